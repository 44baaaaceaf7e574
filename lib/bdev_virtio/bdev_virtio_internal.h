/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private declarations of the virtio bdev module: controllers, disks, channels, and the
 * device-type specific request builders (blk in bdev_virtio_blk.c, scsi in
 * bdev_virtio_scsi.c).
 */
#ifndef BDEV_VIRTIO_INTERNAL_H
#define BDEV_VIRTIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "vhostd/bdev_module.h"
#include "vhostd/bdev_virtio.h"
#include "vhostd/log.h"
#include "vhostd/util.h"
#include "vhostd/virtio.h"
#include "vhostd_internal/bdev_initiator.h"

VD_LOG_FLAG_DECLARE(bdev_virtio);

/* virtio-blk (virtio 1.2 §5.2) */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
/* Config bytes read: capacity .. num_queues (qemu-storage-daemon refuses larger reads than its
 * structure, so never ask for fields we do not use). */
#define VIRTIO_BLK_CONFIG_SIZE 36

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* virtio-scsi (virtio 1.2 §5.6) */
#define VIRTIO_SCSI_REQ_QUEUE 2
#define VIRTIO_SCSI_CDB_SIZE 32
#define VIRTIO_SCSI_SENSE_SIZE 96
#define VIRTIO_SCSI_S_OK 0
#define VIRTIO_SCSI_S_BAD_TARGET 3
#define VIRTIO_SCSI_CONFIG_SIZE 36

struct virtio_scsi_cmd_req {
	uint8_t lun[8];
	uint64_t tag;
	uint8_t task_attr;
	uint8_t prio;
	uint8_t crn;
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
} __attribute__((packed));

struct virtio_scsi_cmd_resp {
	uint32_t sense_len;
	uint32_t resid;
	uint16_t status_qualifier;
	uint8_t status;
	uint8_t response;
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
} __attribute__((packed));

/* The DMA scratch slot of one request (by head id). */
union virtio_slot {
	struct {
		struct virtio_blk_outhdr hdr;
		uint8_t status;
	} blk;
	struct {
		struct virtio_scsi_cmd_req req;
		struct virtio_scsi_cmd_resp resp;
	} scsi;
};
#define VIRTIO_SLOT_SIZE 256
VD_STATIC_ASSERT(sizeof(union virtio_slot) <= VIRTIO_SLOT_SIZE, "slot size");

struct virtio_disk {
	struct vd_bdev_initiator_disk base; /* first: bdev, controller, registered */
	uint8_t target;
	uint8_t lun[8]; /* scsi: virtio-scsi LUN address */
	bool readonly;
};

struct virtio_scan;

/* States: base.state, ATTACHING (connecting, scanning), ACTIVE, REMOVING (bdevs being
 * unregistered: detach or back-end gone). */
struct virtio_ctrlr {
	struct vd_bdev_initiator base; /* first: name, path, state, disks; the io_device */
	enum vd_bdev_virtio_type type;
	uint16_t vq_count;
	uint16_t vq_size;
	uint32_t timeout_ms;
	struct vd_virtio_dev *dev;
	uint16_t first_queue; /* first request queue */
	uint32_t seg_max;     /* 0 = no limit */
	uint32_t size_max;    /* 0 = no limit */
	void *scan_buf;	      /* scsi: 4 KiB of shared DMA memory */
	struct virtio_scan *scan;
};

static inline struct virtio_ctrlr *
virtio_disk_ctrlr(const struct virtio_disk *d)
{
	return VD_CONTAINEROF(d->base.ctrlr, struct virtio_ctrlr, base);
}

/* driver_ctx of each bdev_io */
struct virtio_task {
	uint16_t head;
	uint8_t status; /* copied from the slot before any completion runs */
	bool ok;
};

/* bdev_virtio.c */
void virtio_ctrlr_scan_done(struct virtio_ctrlr *c, int rc);
int virtio_disk_add(struct virtio_ctrlr *c, uint8_t target, uint32_t blocklen, uint64_t blockcnt,
		    bool readonly, bool write_cache);
struct virtio_ctrlr *virtio_ctrlr_first(void);
struct virtio_ctrlr *virtio_ctrlr_next(struct virtio_ctrlr *c);
/* Segments of \p io after splitting at size_max, or -EINVAL over seg_max / the queue. */
int virtio_io_segments(const struct virtio_ctrlr *c, const struct vd_bdev_io *io);
/* Append the data buffers of \p io (split at size_max).  0 or -errno. */
int virtio_add_data(const struct virtio_ctrlr *c, struct vd_virtqueue *vq,
		    const struct vd_bdev_io *io, bool write);

/* bdev_virtio_blk.c */
void virtio_blk_opts(struct vd_virtio_user_opts *o);
int virtio_blk_probe(struct virtio_ctrlr *c);
int virtio_blk_build(struct virtio_disk *d, struct vd_virtqueue *vq, struct vd_bdev_io *io);
bool virtio_blk_done(union virtio_slot *slot, struct vd_bdev_io *io);

/* bdev_virtio_scsi.c */
void virtio_scsi_opts(struct vd_virtio_user_opts *o);
int virtio_scsi_scan_start(struct virtio_ctrlr *c);
void virtio_scsi_scan_abort(struct virtio_ctrlr *c);
int virtio_scsi_build(struct virtio_disk *d, struct vd_virtqueue *vq, struct vd_bdev_io *io);
bool virtio_scsi_done(union virtio_slot *slot, struct vd_bdev_io *io);
void virtio_scsi_lun(uint8_t lun[8], uint8_t target);

#endif /* BDEV_VIRTIO_INTERNAL_H */
