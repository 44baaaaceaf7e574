/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private declarations of lib/virtio: the device, its shared memory table and its split
 * virtqueues (driver side).
 */
#ifndef VIRTIO_INTERNAL_H
#define VIRTIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/log.h"
#include "vhostd/virtio.h"
#include "vhostd_internal/vhost_user_proto.h"

VD_LOG_FLAG_DECLARE(virtio);

/* One fd-backed range of our memory shared with the back-end (gpa = uva = addr). */
struct virtio_mem_region {
	uint64_t addr;
	uint64_t len;
	int fd; /* borrowed from the env layer */
	uint64_t fd_offset;
};

struct virtio_mem {
	uint32_t nregions;
	struct virtio_mem_region regions[VHOST_MEMORY_BASELINE_NREGIONS];
};

struct vd_virtqueue {
	/* Rings, in shared DMA memory. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;		/* after avail->ring[size] */
	volatile uint16_t *avail_event; /* after used->ring[size] */
	uint16_t size;
	uint16_t mask;
	bool event_idx;
	bool broken;
	/* Driver state (claiming thread). */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx; /* next avail slot (shadow of avail->idx) */
	uint16_t published; /* avail->idx at the last flush */
	uint16_t last_used;
	uint16_t outstanding;
	/* Request being built: cur_n == 0 when none. */
	bool building;
	uint16_t cur_head;
	uint16_t cur_last;
	uint16_t cur_n;
	uint16_t cur_max;
	void **cookies;	 /* [size] by head; NULL = free */
	uint16_t *ndesc; /* [size] chain length by head */
	uint8_t *slots;	 /* [size * slot_size], shared DMA memory */
	uint32_t slot_size;
	void *ring_mem; /* vd_dma allocation holding rings and slots */
	uint64_t ring_mem_len;
	const struct virtio_mem *mem;
	uint32_t mem_hint; /* region of the last buffer added (a hint, range-checked) */
	int kick_fd;
	int call_fd;
	bool claimed; /* atomic */
	uint16_t idx;
	struct vd_virtio_dev *dev;
	struct vd_virtqueue_stats stats;
	struct vd_log_ratelimit rl;
};

/* Ring memory layout for a queue of \p size entries (offsets from the allocation start). */
struct virtqueue_layout {
	uint64_t desc_off;
	uint64_t avail_off;
	uint64_t used_off;
	uint64_t slots_off;
	uint64_t total;
};

void virtqueue_layout(uint16_t size, uint32_t slot_size, struct virtqueue_layout *l);
/* Set up the driver state over \p mem (zeroed, laid out by virtqueue_layout).  0 or -ENOMEM. */
int virtqueue_init(struct vd_virtqueue *vq, void *mem, uint16_t size, uint32_t slot_size,
		   bool event_idx);
/* Free the per-queue arrays (not the ring memory). */
void virtqueue_fini(struct vd_virtqueue *vq);
/* The region containing [addr, addr + 1), or NULL. */
const struct virtio_mem_region *virtio_mem_find(const struct virtio_mem *mem, uint64_t addr);

#endif /* VIRTIO_INTERNAL_H */
