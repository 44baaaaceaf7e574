/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* EAL bring-up in --no-huge mode, DMA allocation and the fds behind it, cores. */

#include <CUnit/Basic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "env/env.c"
#include "env/memory.c"
#include "env/ticks.c"

static int g_regions;
static int g_region_fd_ok;

static int
count_region(void *addr, uint64_t len, int fd, uint64_t off, void *ctx)
{
	struct stat st;

	g_regions++;
	if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size >= off + len) {
		g_region_fd_ok++;
	}
	return 0;
}

static void
test_env_init_and_memory(void)
{
	struct vd_env_opts opts;
	uint64_t off, len;
	void *buf, *map;
	char *p;
	int fd;

	vd_env_opts_init(&opts);
	opts.no_huge = true;
	opts.mem_size_mb = 64;
	opts.name = "env_ut";

	CU_ASSERT(vd_dma_malloc(64, 0) == NULL);	/* not initialised yet */
	CU_ASSERT_FATAL(vd_env_init(&opts) == 0);
	CU_ASSERT(vd_env_is_initialized());
	CU_ASSERT(!vd_env_uses_hugepages());
	CU_ASSERT(vd_env_init(&opts) == -EALREADY);
	CU_ASSERT(vd_env_get_core_count() == 1);
	CU_ASSERT(vd_env_get_first_core() == 0);
	CU_ASSERT(vd_env_get_next_core(UINT32_MAX) == 0);
	CU_ASSERT(vd_env_get_next_core(0) == UINT32_MAX);
	CU_ASSERT(vd_env_get_current_core() == 0);
	CU_ASSERT(vd_env_core_launch(0, NULL, NULL) == -EINVAL);

	buf = vd_dma_zmalloc(1 << 20, 4096);
	CU_ASSERT_FATAL(buf != NULL);
	CU_ASSERT(((uintptr_t)buf & 4095) == 0);
	CU_ASSERT(((char *)buf)[12345] == 0);

	/* The fd really maps the same memory: write through the buffer, read through the fd. */
	CU_ASSERT_FATAL(vd_mem_get_fd((char *)buf + 100, &fd, &off, &len) == 0);
	CU_ASSERT(len >= 1);
	memset(buf, 0x5a, 4096);
	map = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, (off_t)(off & ~4095ULL));
	CU_ASSERT_FATAL(map != MAP_FAILED);
	p = (char *)map + (off & 4095);
	CU_ASSERT(p[0] == 0x5a && p[3995] == 0x5a);
	munmap(map, 8192);

	CU_ASSERT(vd_mem_get_fd(&opts, &fd, &off, &len) == -ENOENT);	/* stack: not env memory */

	g_regions = g_region_fd_ok = 0;
	CU_ASSERT(vd_mem_for_each_region(count_region, NULL) == 0);
	CU_ASSERT(g_regions >= 1 && g_regions <= 8);
	CU_ASSERT(g_region_fd_ok == g_regions);

	vd_dma_free(buf);
	CU_ASSERT(vd_get_ticks_hz() > 1000000);
	vd_env_fini();
	CU_ASSERT(!vd_env_is_initialized());
}

static void
test_bad_opts(void)
{
	struct vd_env_opts opts;

	vd_env_opts_init(&opts);
	vd_cpuset_zero(&opts.cpumask);
	CU_ASSERT(vd_env_init(&opts) == -EINVAL);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("env", NULL, NULL);
	CU_ADD_TEST(suite, test_bad_opts);
	CU_ADD_TEST(suite, test_env_init_and_memory);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
