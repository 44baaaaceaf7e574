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

/* The inline iovec copies of vhostd/util.h (no source file of their own). */
static void
test_iov_copy(void)
{
	uint8_t a[8] = {0}, b[8] = {0}, src[12] = "hello world", out[12] = {0};
	struct iovec iov[3] = {{a, 5}, {b, 0}, {b, 8}};

	CU_ASSERT_EQUAL(vd_iov_from_buf(iov, 3, src, 11), 11);
	CU_ASSERT(memcmp(a, "hello", 5) == 0 && memcmp(b, " world", 6) == 0);
	CU_ASSERT_EQUAL(vd_iov_from_buf(iov, 3, src, 12), 12);
	CU_ASSERT_EQUAL(vd_iov_from_buf(iov, 1, src, 12), 5);
	CU_ASSERT_EQUAL(vd_iov_to_buf(iov, 3, 3, out, 5), 5);
	CU_ASSERT(memcmp(out, "lo wo", 5) == 0);
	CU_ASSERT_EQUAL(vd_iov_to_buf(iov, 3, 10, out, 100), 3);
	CU_ASSERT(memcmp(out, "d", 2) == 0);
	CU_ASSERT_EQUAL(vd_iov_to_buf(iov, 3, 13, out, 100), 0);
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
	CU_ADD_TEST(suite, test_iov_copy);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
