/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private declarations of the vhost-nvme bdev module: controllers, namespaces (disks),
 * channels and the pure helpers of the I/O path (shared with the unit test).
 */
#ifndef BDEV_VHOST_NVME_INTERNAL_H
#define BDEV_VHOST_NVME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "vhostd/bdev_module.h"
#include "vhostd/bdev_vhost_nvme.h"
#include "vhostd/log.h"
#include "vhostd/nvme_frontend.h"
#include "vhostd/util.h"
#include "vhostd_internal/bdev_initiator.h"

VD_LOG_FLAG_DECLARE(bdev_vhost_nvme);

/* Largest transfer of one command when MDTS allows more (or is 0: no limit). */
#define NVME_BDEV_MAX_XFER (1u << 20)
/* Most iovecs of one command: pages of NVME_BDEV_MAX_XFER plus a partial first one. */
#define NVME_BDEV_MAX_CMD_IOVS 257
/* NLB is a 0-based 16-bit field. */
#define NVME_BDEV_MAX_NLB 65536u

VD_STATIC_ASSERT(VD_NVME_FE_MAX_NS <= VD_BDEV_INITIATOR_MAX_DISKS, "one disk per namespace");

struct nvme_disk {
	struct vd_bdev_initiator_disk base; /* first: bdev, controller, registered */
	uint32_t nsid;
	uint32_t chunk_blocks; /* blocks per READ/WRITE command */
};

/* States: base.state, ATTACHING (helper thread connecting / enabling), ACTIVE, REMOVING (bdevs
 * being unregistered: detach or target gone), CLOSING (helper thread disabling / closing). */
struct nvme_ctrlr {
	struct vd_bdev_initiator base; /* first: name, path, state, disks; the io_device */
	uint16_t io_queues;
	uint16_t queue_size;
	bool dbbuf;
	bool admin_msg;
	uint32_t timeout_ms;
	struct vd_thread *app_thread;

	/* Shared memory: env regions and the front-end's arena (vd_dma). */
	struct vd_nvme_fe_region regions[VD_NVME_FE_MAX_REGIONS];
	uint32_t nregions;
	void *arena;
	uint64_t arena_size;

	struct vd_nvme_fe *fe;
	int worker_rc;		/* result of the helper thread, read after its message */
	uint32_t queue_mask;	/* atomic: bit q = I/O queue q claimed by a channel */
	uint16_t num_io_queues; /* granted by the controller (<= io_queues) */
	uint64_t max_xfer;	/* bytes per command */
	bool vwc;
	bool write_zeroes;

	struct vd_poller *watch;
};

static inline struct nvme_ctrlr *
nvme_disk_ctrlr(const struct nvme_disk *d)
{
	return VD_CONTAINEROF(d->base.ctrlr, struct nvme_ctrlr, base);
}

/* Position inside an iovec array. */
struct nvme_iov_cursor {
	const struct iovec *iov;
	int iovcnt;
	int idx;
	uint64_t off;
};

/*
 * Take the next \p len bytes of \p cur into \p out (at most \p max entries) and advance.
 * \return the number of entries, or -EINVAL (more than \p max, or fewer bytes left).
 */
int nvme_iov_take(struct nvme_iov_cursor *cur, uint64_t len, struct iovec *out, int max);
/* Blocks per command for a namespace of \p blocklen under \p max_xfer bytes (>= 1). */
uint32_t nvme_chunk_blocks(uint64_t max_xfer, uint32_t blocklen);
/* Bytes per command from Identify MDTS (units of the 4 KiB minimum page, 0 = no limit). */
uint64_t nvme_max_xfer(uint8_t mdts);

#endif /* BDEV_VHOST_NVME_INTERNAL_H */
