/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Helpers shared by the lib/vhost unit tests: a fake guest memory made of two adjacent GPA
 * regions backed by separate buffers, and a runner.
 */
#ifndef VHOST_COMMON_UT_H
#define VHOST_COMMON_UT_H

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#define UT_REG_SIZE (1024 * 1024)
#define UT_GPA0 0x100000ULL		/* region 0: [1 MiB, 2 MiB) */
#define UT_GPA1 (UT_GPA0 + UT_REG_SIZE) /* region 1: [2 MiB, 3 MiB) */
#define UT_UVA0 0x7f0000000000ULL
#define UT_UVA1 0x7f1000000000ULL

static uint8_t *g_buf[2];

/* Two regions adjacent in gpa, not in host memory. */
static inline void
ut_mem_init(struct vhost_mem *mem)
{
	uint32_t i;

	memset(mem, 0, sizeof(*mem));
	for (i = 0; i < 2; i++) {
		if (g_buf[i] == NULL) {
			g_buf[i] = aligned_alloc(4096, UT_REG_SIZE);
		}
		memset(g_buf[i], 0, UT_REG_SIZE);
		mem->regions[i].gpa = i == 0 ? UT_GPA0 : UT_GPA1;
		mem->regions[i].size = UT_REG_SIZE;
		mem->regions[i].uva = i == 0 ? UT_UVA0 : UT_UVA1;
		mem->regions[i].hva = g_buf[i];
	}
	mem->nregions = 2;
}

static inline void *
ut_hva(uint64_t gpa)
{
	return gpa >= UT_GPA1 ? g_buf[1] + (gpa - UT_GPA1) : g_buf[0] + (gpa - UT_GPA0);
}

static inline int
ut_run(CU_pSuite suite)
{
	unsigned int nfail;

	(void)suite;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	free(g_buf[0]);
	free(g_buf[1]);
	return nfail != 0;
}

#endif
