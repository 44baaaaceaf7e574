/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

#include <CUnit/Basic.h>

#include "util/string.c"

static void
test_strtou64(void)
{
	uint64_t v;

	CU_ASSERT(vd_strtou64("0", &v) == 0 && v == 0);
	CU_ASSERT(vd_strtou64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CU_ASSERT(vd_strtou64("0x10", &v) == 0 && v == 16);
	CU_ASSERT(vd_strtou64("18446744073709551616", &v) == -ERANGE);
	CU_ASSERT(vd_strtou64("-1", &v) == -EINVAL);
	CU_ASSERT(vd_strtou64("12a", &v) == -EINVAL);
	CU_ASSERT(vd_strtou64("", &v) == -EINVAL);
	CU_ASSERT(vd_strtou64(" 1", &v) == -EINVAL);
}

static void
test_strtoi64(void)
{
	int64_t v;

	CU_ASSERT(vd_strtoi64("-5", &v) == 0 && v == -5);
	CU_ASSERT(vd_strtoi64("9223372036854775808", &v) == -ERANGE);
	CU_ASSERT(vd_strtoi64("1 ", &v) == -EINVAL);
}

static void
test_strcpy_trunc(void)
{
	char buf[4];

	CU_ASSERT(vd_strcpy_trunc(buf, sizeof(buf), "abc") && strcmp(buf, "abc") == 0);
	CU_ASSERT(!vd_strcpy_trunc(buf, sizeof(buf), "abcd") && strcmp(buf, "abc") == 0);
	CU_ASSERT(!vd_strcpy_trunc(buf, 0, "a"));
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("string", NULL, NULL);
	CU_ADD_TEST(suite, test_strtou64);
	CU_ADD_TEST(suite, test_strtoi64);
	CU_ADD_TEST(suite, test_strcpy_trunc);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
