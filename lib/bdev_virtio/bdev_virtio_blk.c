/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * virtio-blk specifics of the virtio bdev module: features, config space and requests.
 *
 * A request is [outhdr (device-readable)] [data...] [status byte (device-writable)], the
 * header and status in the DMA slot of the head descriptor.  seg_max and size_max bound the
 * data descriptors when the device offers them; size_max == 0 means "no limit" (as Linux reads
 * it; qemu-storage-daemon advertises SIZE_MAX with 0).
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "vhostd/util.h"
#include "bdev_virtio_internal.h"

void
virtio_blk_opts(struct vd_virtio_user_opts *o)
{
	o->device_features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
			     (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
			     (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_MQ);
	o->config_size = VIRTIO_BLK_CONFIG_SIZE;
	o->config_required = true;
}

static uint32_t
cfg_u32(const uint8_t *cfg, size_t off)
{
	uint32_t v;

	memcpy(&v, cfg + off, sizeof(v));
	return v;
}

/* Read the config space and describe the one disk.  0 or -errno (logged). */
int
virtio_blk_probe(struct virtio_ctrlr *c)
{
	const uint8_t *cfg = vd_virtio_dev_get_config(c->dev, NULL);
	uint32_t blocklen = 512;
	uint64_t capacity;
	uint16_t nq;

	memcpy(&capacity, cfg, sizeof(capacity));
	if (vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_SIZE_MAX)) {
		c->size_max = cfg_u32(cfg, 8);
	}
	if (vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_SEG_MAX)) {
		c->seg_max = cfg_u32(cfg, 12);
	}
	if (vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_BLK_SIZE)) {
		blocklen = cfg_u32(cfg, 20);
		if (!VD_IS_POW2(blocklen) || blocklen < 512 || blocklen > 65536) {
			VD_ERRLOG("virtio %s: unusable block size %u\n", c->base.name, blocklen);
			return -ENOTSUP;
		}
	}
	memcpy(&nq, cfg + 34, sizeof(nq));
	if (c->vq_count > 1 &&
	    (!vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_MQ) || nq < c->vq_count)) {
		VD_ERRLOG("virtio %s: device has %u queues, %u requested\n", c->base.name,
			  vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_MQ) ? nq : 1, c->vq_count);
		return -ENOTSUP;
	}
	if (capacity * 512 / blocklen == 0 || capacity > UINT64_MAX / 512) {
		VD_ERRLOG("virtio %s: bad capacity %" PRIu64 " sectors\n", c->base.name, capacity);
		return -ENOTSUP;
	}
	return virtio_disk_add(c, 0, blocklen, capacity * 512 / blocklen,
			       vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_RO),
			       vd_virtio_dev_has_feature(c->dev, VIRTIO_BLK_F_FLUSH));
}

int
virtio_blk_build(struct virtio_disk *d, struct vd_virtqueue *vq, struct vd_bdev_io *io)
{
	const struct virtio_ctrlr *c = virtio_disk_ctrlr(d);
	struct virtio_task *t = vd_bdev_io_get_driver_ctx(io);
	union virtio_slot *slot;
	int nseg = 0, head, rc;
	uint32_t type;

	switch (io->type) {
	case VD_BDEV_IO_TYPE_READ:
		type = VIRTIO_BLK_T_IN;
		break;
	case VD_BDEV_IO_TYPE_WRITE:
		type = VIRTIO_BLK_T_OUT;
		break;
	case VD_BDEV_IO_TYPE_FLUSH:
		type = VIRTIO_BLK_T_FLUSH;
		break;
	default:
		return -ENOTSUP;
	}
	if (type != VIRTIO_BLK_T_FLUSH) {
		nseg = virtio_io_segments(c, io);
		if (nseg < 0) {
			return nseg;
		}
	}
	/* Two spare descriptors for buffers that cross a shared-memory region boundary. */
	head = vd_virtqueue_req_start(vq, io, (uint16_t)VD_MIN(nseg + 4, (int)c->vq_size));
	if (head < 0) {
		return head;
	}
	t->head = (uint16_t)head;
	slot = vd_virtqueue_slot(vq, t->head);
	slot->blk.hdr.type = type;
	slot->blk.hdr.ioprio = 0;
	slot->blk.hdr.sector =
		type == VIRTIO_BLK_T_FLUSH ? 0 : io->offset_blocks * (d->base.bdev.blocklen / 512);
	slot->blk.status = 0xff;
	rc = vd_virtqueue_req_add(vq, &slot->blk.hdr, sizeof(slot->blk.hdr), false);
	if (rc == 0 && nseg > 0) {
		rc = virtio_add_data(c, vq, io, type == VIRTIO_BLK_T_IN);
	}
	if (rc == 0) {
		rc = vd_virtqueue_req_add(vq, &slot->blk.status, 1, true);
	}
	if (rc != 0) {
		vd_virtqueue_req_abort(vq);
		return rc == -ENOMEM ? -EINVAL : rc;
	}
	vd_virtqueue_req_end(vq);
	return 0;
}

bool
virtio_blk_done(union virtio_slot *slot, struct vd_bdev_io *io)
{
	return slot->blk.status == VIRTIO_BLK_S_OK;
}
