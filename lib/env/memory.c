/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * DMA-safe memory from the EAL heap, and the file descriptors behind it.
 *
 * With --single-file-segments every memseg list is one file (hugetlbfs or memfd) in which
 * segment i sits at offset i * page size; vd_mem_for_each_region() merges neighbouring segments
 * that are contiguous both in virtual address and in file offset of the same fd, which keeps the
 * number of regions a vhost-user front-end must share small.
 */

#include <errno.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "vhostd/env.h"
#include "env_internal.h"

void *
vd_dma_malloc(size_t size, size_t align)
{
	if (!vd_env_is_initialized() || size == 0) {
		return NULL;
	}
	return rte_malloc(NULL, size, (unsigned int)align);
}

void *
vd_dma_zmalloc(size_t size, size_t align)
{
	if (!vd_env_is_initialized() || size == 0) {
		return NULL;
	}
	return rte_zmalloc(NULL, size, (unsigned int)align);
}

void
vd_dma_free(void *buf)
{
	rte_free(buf);
}

int
vd_mem_get_fd(const void *addr, int *fd, uint64_t *offset, uint64_t *len)
{
	const struct rte_memseg_list *msl;
	const struct rte_memseg *ms;
	size_t seg_off;
	int mfd;

	if (!vd_env_is_initialized()) {
		return -ENOENT;
	}
	ms = rte_mem_virt2memseg(addr, NULL);
	msl = rte_mem_virt2memseg_list(addr);
	if (ms == NULL || msl == NULL) {
		return -ENOENT;
	}
	mfd = rte_memseg_get_fd(ms);
	if (mfd < 0) {
		return -ENOTSUP;
	}
	if (rte_memseg_get_fd_offset(ms, &seg_off) != 0) {
		return -ENOTSUP;
	}
	*fd = mfd;
	*offset = seg_off + (uint64_t)((const char *)addr - (const char *)ms->addr);
	if (len != NULL) {
		*len = ms->len - (uint64_t)((const char *)addr - (const char *)ms->addr);
	}
	return 0;
}

struct region_walk {
	vd_mem_region_fn fn;
	void *ctx;
	char *addr;
	uint64_t len;
	int fd;
	uint64_t off;
	int rc;
};

static int
flush_region(struct region_walk *w)
{
	int rc = 0;

	if (w->len != 0) {
		rc = w->fn(w->addr, w->len, w->fd, w->off, w->ctx);
	}
	w->len = 0;
	return rc;
}

static int
region_seg_cb(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct region_walk *w = arg;
	size_t off;
	int fd;

	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0 || rte_memseg_get_fd_offset_thread_unsafe(ms, &off) != 0) {
		return 0;	/* not shareable: skip */
	}
	if (w->len != 0 && fd == w->fd && (char *)ms->addr == w->addr + w->len &&
	    off == w->off + w->len) {
		w->len += ms->len;
		return 0;
	}
	w->rc = flush_region(w);
	if (w->rc != 0) {
		return 1;
	}
	w->addr = ms->addr;
	w->len = ms->len;
	w->fd = fd;
	w->off = off;
	return 0;
}

int
vd_mem_for_each_region(vd_mem_region_fn fn, void *ctx)
{
	struct region_walk w = { .fn = fn, .ctx = ctx, .fd = -1 };

	if (!vd_env_is_initialized()) {
		return -ENOENT;
	}
	rte_memseg_walk(region_seg_cb, &w);
	if (w.rc != 0) {
		return w.rc;
	}
	return flush_region(&w);
}
