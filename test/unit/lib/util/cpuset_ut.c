/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

#include <CUnit/Basic.h>

#include "util/cpuset.c"

static void
test_parse_hex(void)
{
	struct vd_cpuset s;
	char buf[80];

	CU_ASSERT(vd_cpuset_parse(&s, "0x1") == 0);
	CU_ASSERT(vd_cpuset_count(&s) == 1 && vd_cpuset_get_cpu(&s, 0));
	CU_ASSERT(vd_cpuset_parse(&s, "0X3") == 0);
	CU_ASSERT(vd_cpuset_count(&s) == 2);
	CU_ASSERT(vd_cpuset_parse(&s, "f0") == 0);
	CU_ASSERT(vd_cpuset_count(&s) == 4 && vd_cpuset_get_cpu(&s, 4) && !vd_cpuset_get_cpu(&s, 3));
	CU_ASSERT_STRING_EQUAL(vd_cpuset_fmt(&s, buf, sizeof(buf)), "0xf0");
	CU_ASSERT(vd_cpuset_parse(&s, "0x10000000000000000") == 0);
	CU_ASSERT(vd_cpuset_get_cpu(&s, 64) && vd_cpuset_count(&s) == 1);
	CU_ASSERT_STRING_EQUAL(vd_cpuset_fmt(&s, buf, sizeof(buf)), "0x10000000000000000");
	vd_cpuset_zero(&s);
	CU_ASSERT_STRING_EQUAL(vd_cpuset_fmt(&s, buf, sizeof(buf)), "0x0");
}

static void
test_parse_list(void)
{
	struct vd_cpuset s;

	CU_ASSERT(vd_cpuset_parse(&s, "[0,2-3]") == 0);
	CU_ASSERT(vd_cpuset_count(&s) == 3 && !vd_cpuset_get_cpu(&s, 1));
	CU_ASSERT(vd_cpuset_next(&s, -1) == 0 && vd_cpuset_next(&s, 0) == 2);
	CU_ASSERT(vd_cpuset_next(&s, 3) == -1);
	CU_ASSERT(vd_cpuset_parse(&s, "[ 5 ]") == 0);
	CU_ASSERT(vd_cpuset_count(&s) == 1 && vd_cpuset_get_cpu(&s, 5));
}

static void
test_parse_bad(void)
{
	struct vd_cpuset s, orig;

	vd_cpuset_parse(&orig, "0x5");
	s = orig;
	CU_ASSERT(vd_cpuset_parse(&s, "") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "0x") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "0xg") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "[1,") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "[3-1]") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "[256]") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, "[1]x") == -EINVAL);
	CU_ASSERT(vd_cpuset_parse(&s, NULL) == -EINVAL);
	/* 65 hex digits: bit 256 is out of range */
	CU_ASSERT(vd_cpuset_parse(&s,
		"10000000000000000000000000000000000000000000000000000000000000000") == -EINVAL);
	CU_ASSERT(vd_cpuset_equal(&s, &orig));	/* untouched on error */
}

static void
test_ops(void)
{
	struct vd_cpuset a, b;

	vd_cpuset_parse(&a, "0x6");
	vd_cpuset_parse(&b, "0x3");
	vd_cpuset_and(&a, &b);
	CU_ASSERT(vd_cpuset_count(&a) == 1 && vd_cpuset_get_cpu(&a, 1));
	vd_cpuset_or(&a, &b);
	CU_ASSERT(vd_cpuset_equal(&a, &b));
	vd_cpuset_set_cpu(&a, 1000, true);	/* ignored */
	CU_ASSERT(!vd_cpuset_get_cpu(&a, 1000));
	vd_cpuset_set_cpu(&a, 0, false);
	CU_ASSERT(vd_cpuset_count(&a) == 1);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("cpuset", NULL, NULL);
	CU_ADD_TEST(suite, test_parse_hex);
	CU_ADD_TEST(suite, test_parse_list);
	CU_ADD_TEST(suite, test_parse_bad);
	CU_ADD_TEST(suite, test_ops);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
