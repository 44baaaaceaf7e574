/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

#include <CUnit/Basic.h>
#include <fcntl.h>

#include "log/log.c"

VD_LOG_FLAG_DEFINE(alpha);
VD_LOG_FLAG_DEFINE(beta);

static void
test_flags(void)
{
	struct vd_log_flag *f;
	int n = 0;

	CU_ASSERT(vd_log_set_flag("alpha", true, false) == -ENOENT);	/* unknown, not kept */
	CU_ASSERT(vd_log_set_flag("beta", true, true) == -ENOENT);	/* unknown, kept pending */
	vd_log_flag_register(&VD_LOG_FLAG(alpha));
	vd_log_flag_register(&VD_LOG_FLAG(beta));
	vd_log_flag_register(&VD_LOG_FLAG(beta));	/* idempotent */
	CU_ASSERT(!VD_LOG_FLAG(alpha).enabled);
	CU_ASSERT(VD_LOG_FLAG(beta).enabled);
	for (f = vd_log_flag_next(NULL); f != NULL; f = vd_log_flag_next(f)) {
		n++;
	}
	CU_ASSERT(n == 2);
	CU_ASSERT(vd_log_set_flag("all", true, false) == 0);
	CU_ASSERT(VD_LOG_FLAG(alpha).enabled && VD_LOG_FLAG(beta).enabled);
	CU_ASSERT(vd_log_set_flag("alpha", false, false) == 0);
	CU_ASSERT(!VD_LOG_FLAG(alpha).enabled);
	CU_ASSERT(vd_log_set_flag("", true, true) == -EINVAL);
	CU_ASSERT(vd_log_set_flag(NULL, true, true) == -EINVAL);
}

static void
test_levels(void)
{
	CU_ASSERT(vd_log_level_parse("error") == VD_LOG_ERROR);
	CU_ASSERT(vd_log_level_parse("WARNING") == VD_LOG_WARN);
	CU_ASSERT(vd_log_level_parse("warn") == VD_LOG_WARN);
	CU_ASSERT(vd_log_level_parse("Debug") == VD_LOG_DEBUG);
	CU_ASSERT(vd_log_level_parse("verbose") == VD_LOG_DISABLED);
	CU_ASSERT(vd_log_level_parse(NULL) == VD_LOG_DISABLED);
	CU_ASSERT_STRING_EQUAL(vd_log_level_name(VD_LOG_NOTICE), "NOTICE");
	CU_ASSERT_STRING_EQUAL(vd_log_level_name((enum vd_log_level)42), "DISABLED");
	vd_log_set_print_level(VD_LOG_ERROR);
	CU_ASSERT(vd_log_get_print_level() == VD_LOG_ERROR);
	vd_log_set_print_level(VD_LOG_NOTICE);
}

/* Messages go out as one line each; a level above the print level is dropped. */
static void
test_output(void)
{
	char path[] = "/tmp/log_utXXXXXX", buf[4096];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	VD_ERRLOG("first %d\n", 1);
	VD_WARNLOG("second without newline");
	vd_log_set_print_level(VD_LOG_ERROR);
	VD_NOTICELOG("dropped\n");
	vd_log_set_print_level(VD_LOG_NOTICE);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';
	CU_ASSERT(strstr(buf, "*ERROR*: first 1\n") != NULL);
	CU_ASSERT(strstr(buf, "*WARNING*: second without newline\n") != NULL);
	CU_ASSERT(strstr(buf, "dropped") == NULL);
	close(fd);
	unlink(path);
}

static void
test_ratelimit(void)
{
	struct vd_log_ratelimit rl = { 0 };
	int i, ok = 0;

	for (i = 0; i < 100; i++) {
		ok += vd_log_ratelimit_ok(&rl, 5);
	}
	/* at most two windows could be crossed during the loop */
	CU_ASSERT(ok >= 5 && ok <= 10);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("log", NULL, NULL);
	CU_ADD_TEST(suite, test_flags);
	CU_ADD_TEST(suite, test_levels);
	CU_ADD_TEST(suite, test_output);
	CU_ADD_TEST(suite, test_ratelimit);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
