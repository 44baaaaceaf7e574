/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/vhost/vhost_mem.c: region validation and mapping, insertion order and
 * overlap, GPA and UVA translation (crossing regions, out of bounds, overflow).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "vhost/vhost_mem.c"
#include "common_ut.h"

static int
ut_memfd(uint64_t size)
{
	int fd = memfd_create("ut", MFD_CLOEXEC);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

static void
test_region_map(void)
{
	struct vhost_mem_region r = {.gpa = 0, .size = 8192, .mmap_offset = 4096};
	int fd = ut_memfd(3 * 4096), pfd[2];

	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), 0);
	CU_ASSERT_PTR_EQUAL(r.hva, (uint8_t *)r.mmap_addr + 4096);
	r.hva[8191] = 1; /* last byte is inside the file */
	vhost_mem_region_unmap(&r);
	CU_ASSERT_PTR_NULL(r.mmap_addr);

	/* File smaller than offset + size: would SIGBUS on access. */
	r.size = 3 * 4096;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), -EINVAL);
	r.size = 0;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), -EINVAL);
	r.size = VHOST_MEM_MAX_REGION_SIZE + 1;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), -EINVAL);
	r.size = 4096;
	r.gpa = UINT64_MAX - 100;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), -EINVAL);
	r.gpa = 0;
	r.mmap_offset = UINT64_MAX - 100;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, fd), -EINVAL);
	close(fd);

	/* Not a regular file. */
	CU_ASSERT_FATAL(pipe(pfd) == 0);
	r.mmap_offset = 0;
	CU_ASSERT_EQUAL(vhost_mem_region_map(&r, pfd[0]), -EINVAL);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_insert_overlap(void)
{
	struct vhost_mem mem = {0};
	struct vhost_mem_region r = {.size = 0x1000};
	uint32_t i;

	r.gpa = 0x3000;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), 0);
	r.gpa = 0x1000;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), 0);
	CU_ASSERT_EQUAL(mem.regions[0].gpa, 0x1000); /* sorted */
	r.gpa = 0x3800;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), -EINVAL);
	r.gpa = 0x0800;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), -EINVAL);
	r.gpa = 0x2000; /* exactly between: adjacent is fine */
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), 0);
	CU_ASSERT_EQUAL(mem.nregions, 3);
	r.size = 0;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), -EINVAL);
	r.size = 0x1000;
	for (i = 3; i < VD_VHOST_MAX_MEM_REGIONS; i++) {
		r.gpa = 0x100000 + i * 0x1000;
		CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), 0);
	}
	r.gpa = 0x10000000;
	CU_ASSERT_EQUAL(vhost_mem_insert(&mem, &r), -ENOSPC);
	CU_ASSERT_EQUAL(vhost_mem_remove(&mem, 0x2000, 0x1000), 0);
	CU_ASSERT_EQUAL(vhost_mem_remove(&mem, 0x2000, 0x1000), -ENOENT);
	CU_ASSERT_EQUAL(mem.nregions, VD_VHOST_MAX_MEM_REGIONS - 1);
	CU_ASSERT_EQUAL(mem.regions[1].gpa, 0x3000);
}

static void
test_translate(void)
{
	struct vhost_mem mem;
	struct iovec iov[4];
	uint32_t cnt = 0;

	ut_mem_init(&mem);
	CU_ASSERT_PTR_EQUAL(vhost_mem_gpa_to_vva(&mem, UT_GPA0 + 10, 100), g_buf[0] + 10);
	CU_ASSERT_PTR_EQUAL(vhost_mem_gpa_to_vva(&mem, UT_GPA1 - 1, 1), g_buf[0] + UT_REG_SIZE - 1);
	/* Crossing into the next region is not contiguous on the host. */
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&mem, UT_GPA1 - 1, 2));
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&mem, UT_GPA0 - 1, 1));
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&mem, UT_GPA1 + UT_REG_SIZE, 1));
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&mem, UT_GPA0, 0));
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&mem, UT_GPA0 + 1, UINT64_MAX));

	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs(&mem, UT_GPA1 - 16, 48, iov, 4, &cnt), 0);
	CU_ASSERT_EQUAL(cnt, 2);
	CU_ASSERT_PTR_EQUAL(iov[0].iov_base, g_buf[0] + UT_REG_SIZE - 16);
	CU_ASSERT_EQUAL(iov[0].iov_len, 16);
	CU_ASSERT_PTR_EQUAL(iov[1].iov_base, g_buf[1]);
	CU_ASSERT_EQUAL(iov[1].iov_len, 32);
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs(&mem, UT_GPA1 - 16, 48, iov, 1, &cnt), -E2BIG);
	/* Runs off the end of the last region. */
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs(&mem, UT_GPA1 + UT_REG_SIZE - 8, 16, iov, 4, &cnt),
			-EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs(&mem, UT_GPA0, 0, iov, 4, &cnt), -EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs(&mem, UINT64_MAX - 4, 16, iov, 4, &cnt), -EFAULT);

	CU_ASSERT_PTR_EQUAL(vhost_mem_uva_to_vva(&mem, UT_UVA1 + 8, 8), g_buf[1] + 8);
	CU_ASSERT_PTR_NULL(vhost_mem_uva_to_vva(&mem, UT_UVA0 + UT_REG_SIZE - 4, 8));
	CU_ASSERT_PTR_NULL(vhost_mem_uva_to_vva(&mem, UT_UVA0 - 4, 8));
	CU_ASSERT_PTR_NULL(vhost_mem_uva_to_vva(&mem, UT_UVA0, 0));
}

/* The region hint is only a hint: any value, stale or wrong, translates like no hint. */
static void
test_translate_hint(void)
{
	static const uint32_t hints[] = {0, 1, 2, 7, UINT32_MAX};
	struct vhost_mem mem;
	struct iovec iov[4];
	uint32_t cnt, hint, i;

	ut_mem_init(&mem);
	for (i = 0; i < VD_COUNTOF(hints); i++) {
		hint = hints[i];
		cnt = 0;
		CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA1 + 8, 8, iov, 4, &cnt, &hint),
				0);
		CU_ASSERT_EQUAL(cnt, 1);
		CU_ASSERT_PTR_EQUAL(iov[0].iov_base, g_buf[1] + 8);
		CU_ASSERT_EQUAL(hint, 1);
		/* Region 1 hinted, the address in region 0; then across both. */
		CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA0, 4, iov, 4, &cnt, &hint), 0);
		CU_ASSERT_PTR_EQUAL(iov[0].iov_base, g_buf[0]);
		CU_ASSERT_EQUAL(hint, 0);
		CU_ASSERT_EQUAL(
			vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA1 - 16, 48, iov, 4, &cnt, &hint), 0);
		CU_ASSERT_EQUAL(cnt, 2);
		CU_ASSERT_PTR_EQUAL(iov[1].iov_base, g_buf[1]);
		CU_ASSERT_EQUAL(iov[1].iov_len, 32);
		/* Below region 1 (unsigned wrap) and past its end: misses, not hits. */
		hint = 1;
		CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA0 - 1, 1, iov, 4, &cnt, &hint),
				-EFAULT);
		hint = 1;
		CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA1 + UT_REG_SIZE, 1, iov, 4,
							   &cnt, &hint),
				-EFAULT);
	}
	/* A hint left from a bigger table (regions removed since) is range-checked. */
	hint = 1;
	mem.nregions = 1;
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA1, 8, iov, 4, &cnt, &hint), -EFAULT);
	CU_ASSERT_EQUAL(vhost_mem_gpa_to_iovs_hint(&mem, UT_GPA0, 8, iov, 4, &cnt, &hint), 0);
	CU_ASSERT_EQUAL(hint, 0);
}

int
main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("vhost_mem", NULL, NULL);
	CU_ADD_TEST(suite, test_region_map);
	CU_ADD_TEST(suite, test_insert_overlap);
	CU_ADD_TEST(suite, test_translate);
	CU_ADD_TEST(suite, test_translate_hint);
	return ut_run(suite);
}
