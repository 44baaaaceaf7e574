/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Result reporting for the C test programs under test/functional (one per program, header
 * only): CHECK(cond, fmt, ...) records why a check failed and returns -1 from the calling
 * function; result(name, rc) prints the "TEST-RESULT: PASS|FAIL name[: why]" line that
 * test/run_tests.sh counts and remembers a failure in g_failed (the program's exit status).
 */
#ifndef VHOSTD_TEST_RESULT_H
#define VHOSTD_TEST_RESULT_H

#include <stdarg.h>
#include <stdio.h>

static int g_failed;
static char g_why[512];

static void __attribute__((format(printf, 1, 2)))
why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_why, sizeof(g_why), fmt, ap);
	va_end(ap);
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			why(__VA_ARGS__);                                                          \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

static void
result(const char *name, int rc)
{
	if (rc == 0) {
		printf("TEST-RESULT: PASS %s\n", name);
	} else {
		printf("TEST-RESULT: FAIL %s: %s\n", name, g_why);
		g_failed = 1;
	}
	fflush(stdout);
}

#endif /* VHOSTD_TEST_RESULT_H */
