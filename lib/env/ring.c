/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Lockless rings of fixed-size elements over DPDK's rte_ring element API.
 *
 * The ring lives in plain cache-aligned heap memory initialised with rte_ring_init(), so it
 * needs no EAL (unit tests and pre-init code use it).  The element size is kept beside the
 * rte_ring because the element API takes it on every call.  Capacity is exactly the count
 * asked for (RING_F_EXACT_SZ).
 */

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "vhostd/env.h"

struct vd_ring {
	uint32_t elem_size;
	struct rte_ring *r;
	void *mem;
};

static atomic_uint g_ring_seq;

int
vd_ring_create(enum vd_ring_type type, size_t elem_size, size_t count, struct vd_ring **out)
{
	struct vd_ring *ring;
	unsigned int flags = RING_F_SC_DEQ | RING_F_EXACT_SZ;
	char name[RTE_RING_NAMESIZE];
	ssize_t memsize;

	if (elem_size == 0 || elem_size % 4 != 0 || elem_size > 256 || count == 0 ||
	    count > RTE_RING_SZ_MASK / 2) {
		return -EINVAL;
	}
	if (type == VD_RING_SP_SC) {
		flags |= RING_F_SP_ENQ;
	}
	memsize = rte_ring_get_memsize_elem((unsigned int)elem_size,
					    rte_align32pow2((uint32_t)count + 1));
	if (memsize < 0) {
		return -EINVAL;
	}
	ring = calloc(1, sizeof(*ring));
	if (ring == NULL) {
		return -ENOMEM;
	}
	ring->mem = aligned_alloc(RTE_CACHE_LINE_SIZE,
				  VD_ALIGN_UP((size_t)memsize, RTE_CACHE_LINE_SIZE));
	if (ring->mem == NULL) {
		free(ring);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "vd_ring%u", atomic_fetch_add(&g_ring_seq, 1));
	ring->r = ring->mem;
	if (rte_ring_init(ring->r, name, (unsigned int)count, flags) != 0) {
		free(ring->mem);
		free(ring);
		return -EINVAL;
	}
	ring->elem_size = (uint32_t)elem_size;
	*out = ring;
	return 0;
}

void
vd_ring_free(struct vd_ring **pring)
{
	struct vd_ring *ring = *pring;

	if (ring == NULL) {
		return;
	}
	free(ring->mem);
	free(ring);
	*pring = NULL;
}

size_t
vd_ring_enqueue(struct vd_ring *ring, const void *objs, size_t n)
{
	return rte_ring_enqueue_bulk_elem(ring->r, objs, ring->elem_size, (unsigned int)n, NULL);
}

size_t
vd_ring_dequeue(struct vd_ring *ring, void *objs, size_t n)
{
	return rte_ring_dequeue_burst_elem(ring->r, objs, ring->elem_size, (unsigned int)n, NULL);
}

size_t
vd_ring_count(struct vd_ring *ring)
{
	return rte_ring_count(ring->r);
}
