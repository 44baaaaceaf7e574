/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Guest memory table: mapping of front-end memory regions and address translation.
 *
 * Invariants of struct vhost_mem:
 *  - regions[0..nregions) are sorted by gpa and their GPA ranges do not overlap;
 *  - every region has 0 < size <= VHOST_MEM_MAX_REGION_SIZE, gpa + size and uva + size do not
 *    overflow, and hva points at a live mapping of at least size bytes that lies inside the
 *    backing file (checked with fstat, so a guest access never faults past EOF).
 * The table is changed only on the control thread while the device is stopped; the data path
 * reads it without locks.  Translation succeeds only when every byte of the range is mapped.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

static bool __attribute__((unused)) mem_check(const struct vhost_mem *mem)
{
	uint32_t i;

	for (i = 1; i < mem->nregions; i++) {
		if (mem->regions[i - 1].gpa + mem->regions[i - 1].size > mem->regions[i].gpa) {
			return false;
		}
	}
	return mem->nregions <= VD_VHOST_MAX_MEM_REGIONS;
}

static bool
region_valid(const struct vhost_mem_region *reg)
{
	if (reg->size == 0 || reg->size > VHOST_MEM_MAX_REGION_SIZE) {
		return false;
	}
	/* gpa + size - 1 etc. must not wrap. */
	return reg->gpa <= UINT64_MAX - reg->size && reg->uva <= UINT64_MAX - reg->size &&
	       reg->mmap_offset <= UINT64_MAX - reg->size;
}

/*
 * Map \p fd for \p reg (gpa, size, uva, mmap_offset set).  The fd stays owned by the caller.
 * \return 0, -EINVAL (bad sizes, not a regular file, file too small) or mmap's errno.
 */
int
vhost_mem_region_map(struct vhost_mem_region *reg, int fd)
{
	struct stat st;
	uint64_t len, align;
	void *addr;

	if (!region_valid(reg)) {
		return -EINVAL;
	}
	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < reg->mmap_offset + reg->size) {
		return -EINVAL;
	}
	/* hugetlbfs reports its page size in st_blksize; mappings must be a multiple of it. */
	align = st.st_blksize > 0 && VD_IS_POW2((uint64_t)st.st_blksize) ? st.st_blksize : 4096;
	len = reg->mmap_offset + reg->size;
	if (len > UINT64_MAX - align) {
		return -EINVAL;
	}
	len = VD_ALIGN_UP(len, align);
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (addr == MAP_FAILED) {
		return -errno;
	}
	reg->mmap_addr = addr;
	reg->mmap_size = len;
	reg->hva = (uint8_t *)addr + reg->mmap_offset;
	return 0;
}

void
vhost_mem_region_unmap(struct vhost_mem_region *reg)
{
	if (reg->mmap_addr != NULL) {
		munmap(reg->mmap_addr, reg->mmap_size);
	}
	reg->mmap_addr = NULL;
	reg->hva = NULL;
}

/*
 * Insert a mapped region keeping the order.  \return 0, -EINVAL (overlap or invalid) or
 * -ENOSPC (table full).  On failure the caller still owns the mapping.
 */
int
vhost_mem_insert(struct vhost_mem *mem, const struct vhost_mem_region *reg)
{
	uint32_t i, pos;

	if (!region_valid(reg)) {
		return -EINVAL;
	}
	if (mem->nregions >= VD_VHOST_MAX_MEM_REGIONS) {
		return -ENOSPC;
	}
	for (pos = 0; pos < mem->nregions && mem->regions[pos].gpa < reg->gpa; pos++) {
	}
	if (pos > 0 && mem->regions[pos - 1].gpa + mem->regions[pos - 1].size > reg->gpa) {
		return -EINVAL;
	}
	if (pos < mem->nregions && reg->gpa + reg->size > mem->regions[pos].gpa) {
		return -EINVAL;
	}
	for (i = mem->nregions; i > pos; i--) {
		mem->regions[i] = mem->regions[i - 1];
	}
	mem->regions[pos] = *reg;
	mem->nregions++;
	assert(mem_check(mem));
	return 0;
}

/* Remove and unmap the region with exactly this gpa and size.  0 or -ENOENT. */
int
vhost_mem_remove(struct vhost_mem *mem, uint64_t gpa, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		if (mem->regions[i].gpa == gpa && mem->regions[i].size == size) {
			break;
		}
	}
	if (i == mem->nregions) {
		return -ENOENT;
	}
	vhost_mem_region_unmap(&mem->regions[i]);
	for (; i + 1 < mem->nregions; i++) {
		mem->regions[i] = mem->regions[i + 1];
	}
	mem->nregions--;
	memset(&mem->regions[mem->nregions], 0, sizeof(mem->regions[0]));
	return 0;
}

void
vhost_mem_clear(struct vhost_mem *mem)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		vhost_mem_region_unmap(&mem->regions[i]);
	}
	memset(mem, 0, sizeof(*mem));
}

static inline const struct vhost_mem_region *
mem_find(const struct vhost_mem *mem, uint64_t gpa)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vhost_mem_region *r = &mem->regions[i];

		if (gpa < r->gpa) {
			return NULL; /* sorted: no later region can contain gpa */
		}
		if (gpa - r->gpa < r->size) {
			return r;
		}
	}
	return NULL;
}

void *
vhost_mem_gpa_to_vva(const struct vhost_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct vhost_mem_region *r;

	if (len == 0) {
		return NULL;
	}
	r = mem_find(mem, gpa);
	if (r == NULL || len > r->size - (gpa - r->gpa)) {
		return NULL;
	}
	return r->hva + (gpa - r->gpa);
}

/*
 * Region holding \p gpa, trying region *hint first (a queue's buffers are usually in the
 * region of its previous buffer).  A stale hint (table changed) is only a miss: it is
 * range-checked against the current table.  *hint is updated on a hit of the search.
 */
static inline const struct vhost_mem_region *
mem_find_hint(const struct vhost_mem *mem, uint64_t gpa, uint32_t *hint)
{
	const struct vhost_mem_region *r;

	if (vd_likely(*hint < mem->nregions)) {
		r = &mem->regions[*hint];
		/* gpa < r->gpa wraps to a value >= size: r->gpa + size cannot overflow. */
		if (vd_likely(gpa - r->gpa < r->size)) {
			return r;
		}
	}
	r = mem_find(mem, gpa);
	if (r != NULL) {
		*hint = (uint32_t)(r - mem->regions);
	}
	return r;
}

int
vhost_mem_gpa_to_iovs_hint(const struct vhost_mem *mem, uint64_t gpa, uint64_t len,
			   struct iovec *iovs, uint32_t max, uint32_t *cnt, uint32_t *hint)
{
	const struct vhost_mem_region *r;
	uint64_t off, chunk;
	uint32_t n = 0;

	if (len == 0 || gpa > UINT64_MAX - len + 1) {
		return -EFAULT;
	}
	while (len > 0) {
		r = mem_find_hint(mem, gpa, hint);
		if (r == NULL) {
			return -EFAULT;
		}
		if (n == max) {
			return -E2BIG;
		}
		off = gpa - r->gpa;
		chunk = VD_MIN(len, r->size - off);
		iovs[n].iov_base = r->hva + off;
		iovs[n].iov_len = chunk;
		n++;
		len -= chunk;
		gpa += chunk;
	}
	*cnt = n;
	return 0;
}

int
vhost_mem_gpa_to_iovs(const struct vhost_mem *mem, uint64_t gpa, uint64_t len, struct iovec *iovs,
		      uint32_t max, uint32_t *cnt)
{
	uint32_t hint = UINT32_MAX;

	return vhost_mem_gpa_to_iovs_hint(mem, gpa, len, iovs, max, cnt, &hint);
}

/* Front-end virtual address (vring addresses) to our pointer: whole range in one region. */
void *
vhost_mem_uva_to_vva(const struct vhost_mem *mem, uint64_t uva, uint64_t len)
{
	uint32_t i;

	if (len == 0) {
		return NULL;
	}
	for (i = 0; i < mem->nregions; i++) {
		const struct vhost_mem_region *r = &mem->regions[i];

		if (uva >= r->uva && uva - r->uva < r->size && len <= r->size - (uva - r->uva)) {
			return r->hva + (uva - r->uva);
		}
	}
	return NULL;
}
