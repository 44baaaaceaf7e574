/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * virtio-scsi specifics of the virtio bdev module: the target scan and SCSI requests.
 *
 * Scan (app thread, poller scan_poll): with request queue 2 claimed by the app thread, for
 * each target 0..7 send to LUN 0, one command at a time:
 *   INQUIRY -> (direct-access LUN present) READ CAPACITY(10) -> (last LBA 0xffffffff)
 *   READ CAPACITY(16) -> disk added -> next target.
 * A target the device calls BAD_TARGET, or that answers with an error, is skipped; a UNIT
 * ATTENTION is retried (3 times).  Every command has the controller's timeout; a timeout or a
 * broken device fails the attach.  The queue is released before the disks are registered.
 *
 * Requests: [cmd_req (readable)] [write data] [cmd_resp (writable)] [read data], the request
 * and response in the head's DMA slot; READ(16)/WRITE(16), SYNCHRONIZE CACHE(10) for flushes.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/env.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"
#include "bdev_virtio_internal.h"

#define SCSI_INQUIRY 0x12
#define SCSI_READ_CAPACITY_10 0x25
#define SCSI_SERVICE_ACTION_IN 0x9e
#define SCSI_SAI_READ_CAPACITY_16 0x10
#define SCSI_READ_16 0x88
#define SCSI_WRITE_16 0x8a
#define SCSI_SYNC_CACHE_10 0x35
#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CHECK 0x02
#define SCSI_SENSE_UNIT_ATTENTION 0x06
#define SCAN_RETRIES 3

enum scan_cmd { SCAN_INQUIRY, SCAN_RC10, SCAN_RC16 };

struct virtio_scan {
	struct vd_virtqueue *vq;
	struct vd_poller *poller;
	uint8_t target;
	enum scan_cmd cmd;
	int retries;
	bool inflight;
	uint16_t head;
	uint64_t deadline;
};

void
virtio_scsi_opts(struct vd_virtio_user_opts *o)
{
	o->device_features = 0;
	o->config_size = VIRTIO_SCSI_CONFIG_SIZE;
	o->config_required = false;
}

void
virtio_scsi_lun(uint8_t lun[8], uint8_t target)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = target;
	lun[2] = 0x40; /* single-level LUN 0, flat addressing */
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

static void
scan_cdb(const struct virtio_scan *s, uint8_t *cdb, uint32_t *len)
{
	memset(cdb, 0, VIRTIO_SCSI_CDB_SIZE);
	switch (s->cmd) {
	case SCAN_INQUIRY:
		cdb[0] = SCSI_INQUIRY;
		cdb[4] = 96;
		*len = 96;
		break;
	case SCAN_RC10:
		cdb[0] = SCSI_READ_CAPACITY_10;
		*len = 8;
		break;
	case SCAN_RC16:
		cdb[0] = SCSI_SERVICE_ACTION_IN;
		cdb[1] = SCSI_SAI_READ_CAPACITY_16;
		put_be(&cdb[10], 32, 4);
		*len = 32;
		break;
	}
}

static int
scan_send(struct virtio_ctrlr *c, struct virtio_scan *s)
{
	union virtio_slot *slot;
	uint32_t len = 0;
	int head, rc;

	head = vd_virtqueue_req_start(s->vq, s, 3);
	if (head < 0) {
		return head;
	}
	s->head = (uint16_t)head;
	slot = vd_virtqueue_slot(s->vq, s->head);
	memset(slot, 0, sizeof(slot->scsi));
	virtio_scsi_lun(slot->scsi.req.lun, s->target);
	slot->scsi.req.tag = s->target * 16u + s->cmd;
	scan_cdb(s, slot->scsi.req.cdb, &len);
	memset(c->scan_buf, 0, len);
	rc = vd_virtqueue_req_add(s->vq, &slot->scsi.req, sizeof(slot->scsi.req), false);
	rc = rc ? rc : vd_virtqueue_req_add(s->vq, &slot->scsi.resp, sizeof(slot->scsi.resp), true);
	rc = rc ? rc : vd_virtqueue_req_add(s->vq, c->scan_buf, len, true);
	if (rc != 0) {
		vd_virtqueue_req_abort(s->vq);
		return rc;
	}
	vd_virtqueue_req_end(s->vq);
	vd_virtqueue_flush(s->vq);
	s->inflight = true;
	s->deadline = vd_get_ticks() + vd_get_ticks_hz() / 1000 * c->timeout_ms;
	return 0;
}

static void
scan_finish(struct virtio_ctrlr *c, int rc)
{
	struct virtio_scan *s = c->scan;

	vd_poller_unregister(&s->poller);
	vd_virtio_dev_release_queue(s->vq);
	free(s);
	c->scan = NULL;
	virtio_ctrlr_scan_done(c, rc);
}

static int
add_disk(struct virtio_ctrlr *c, uint8_t target, uint64_t last_lba, uint32_t blen)
{
	if (!VD_IS_POW2(blen) || blen < 512 || blen > 65536 || last_lba == UINT64_MAX) {
		VD_WARNLOG("virtio %s: target %u: unusable capacity (block size %u); skipped\n",
			   c->base.name, target, blen);
		return 0;
	}
	return virtio_disk_add(c, target, blen, last_lba + 1, false, true);
}

/* Interpret the answer of the current command; advance s->target/s->cmd.  0 or -errno. */
static int
scan_answer(struct virtio_ctrlr *c, struct virtio_scan *s)
{
	const struct virtio_scsi_cmd_resp *r =
		&((union virtio_slot *)vd_virtqueue_slot(s->vq, s->head))->scsi.resp;
	const uint8_t *d = c->scan_buf;
	int rc = 0;

	if (r->response == VIRTIO_SCSI_S_OK && r->status == SCSI_STATUS_CHECK &&
	    (r->sense[2] & 0xf) == SCSI_SENSE_UNIT_ATTENTION && s->retries++ < SCAN_RETRIES) {
		return 0; /* same command again */
	}
	s->retries = 0;
	if (r->response != VIRTIO_SCSI_S_OK || r->status != SCSI_STATUS_GOOD) {
		s->cmd = SCAN_INQUIRY;
		s->target++;
		return 0;
	}
	if (s->cmd == SCAN_INQUIRY) {
		if ((d[0] & 0xe0) == 0 && (d[0] & 0x1f) == 0) {
			s->cmd = SCAN_RC10;
			return 0;
		}
	} else if (s->cmd == SCAN_RC10 && get_be(d, 4) == 0xffffffffu) {
		s->cmd = SCAN_RC16;
		return 0;
	} else if (s->cmd == SCAN_RC10) {
		rc = add_disk(c, s->target, get_be(d, 4), (uint32_t)get_be(d + 4, 4));
	} else {
		rc = add_disk(c, s->target, get_be(d, 8), (uint32_t)get_be(d + 8, 4));
	}
	s->cmd = SCAN_INQUIRY;
	s->target++;
	return rc;
}

static int
scan_poll(void *arg)
{
	struct virtio_ctrlr *c = arg;
	struct virtio_scan *s = c->scan;
	void *cookie;
	uint32_t len;
	int n, rc = 0;

	if (vd_virtio_dev_is_broken(c->dev)) {
		scan_finish(c, -EIO);
		return VD_POLLER_BUSY;
	}
	if (s->inflight) {
		n = vd_virtqueue_poll(s->vq, &cookie, &len, 1);
		if (n == 0 && vd_get_ticks() < s->deadline) {
			return VD_POLLER_IDLE;
		}
		if (n <= 0) {
			VD_ERRLOG("virtio %s: SCSI scan of target %u: %s\n", c->base.name,
				  s->target, n == 0 ? "no answer" : "bad answer");
			scan_finish(c, n == 0 ? -ETIMEDOUT : -EPROTO);
			return VD_POLLER_BUSY;
		}
		s->inflight = false;
		rc = scan_answer(c, s);
	}
	if (rc == 0 && s->target < VD_BDEV_VIRTIO_SCSI_MAX_TARGETS) {
		rc = scan_send(c, s);
		if (rc == 0) {
			return VD_POLLER_BUSY;
		}
	}
	scan_finish(c, rc);
	return VD_POLLER_BUSY;
}

int
virtio_scsi_scan_start(struct virtio_ctrlr *c)
{
	struct virtio_scan *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		return -ENOMEM;
	}
	s->vq = vd_virtio_dev_claim_queue(c->dev, VIRTIO_SCSI_REQ_QUEUE);
	s->poller = vd_poller_register(scan_poll, c, 0, "virtio_scsi_scan");
	if (s->vq == NULL || s->poller == NULL) {
		vd_virtio_dev_release_queue(s->vq);
		vd_poller_unregister(&s->poller);
		free(s);
		return -ENOMEM;
	}
	c->scan = s;
	return 0;
}

void
virtio_scsi_scan_abort(struct virtio_ctrlr *c)
{
	if (c->scan != NULL) {
		scan_finish(c, -ECANCELED);
	}
}

static void
io_cdb(const struct virtio_disk *d, const struct vd_bdev_io *io, uint8_t *cdb)
{
	memset(cdb, 0, VIRTIO_SCSI_CDB_SIZE);
	if (io->type == VD_BDEV_IO_TYPE_FLUSH) {
		cdb[0] = SCSI_SYNC_CACHE_10;
		return;
	}
	cdb[0] = io->type == VD_BDEV_IO_TYPE_READ ? SCSI_READ_16 : SCSI_WRITE_16;
	put_be(&cdb[2], io->offset_blocks, 8);
	put_be(&cdb[10], io->num_blocks, 4);
}

int
virtio_scsi_build(struct virtio_disk *d, struct vd_virtqueue *vq, struct vd_bdev_io *io)
{
	const struct virtio_ctrlr *c = virtio_disk_ctrlr(d);
	struct virtio_task *t = vd_bdev_io_get_driver_ctx(io);
	bool read = io->type == VD_BDEV_IO_TYPE_READ;
	union virtio_slot *slot;
	int nseg = 0, head, rc;

	if (io->type != VD_BDEV_IO_TYPE_READ && io->type != VD_BDEV_IO_TYPE_WRITE &&
	    io->type != VD_BDEV_IO_TYPE_FLUSH) {
		return -ENOTSUP;
	}
	if (io->type != VD_BDEV_IO_TYPE_FLUSH) {
		nseg = virtio_io_segments(c, io);
		if (nseg < 0 || io->num_blocks > UINT32_MAX) {
			return -EINVAL;
		}
	}
	head = vd_virtqueue_req_start(vq, io, (uint16_t)VD_MIN(nseg + 4, (int)c->vq_size));
	if (head < 0) {
		return head;
	}
	t->head = (uint16_t)head;
	slot = vd_virtqueue_slot(vq, t->head);
	memcpy(slot->scsi.req.lun, d->lun, sizeof(d->lun));
	slot->scsi.req.tag = (uint64_t)(uintptr_t)io;
	slot->scsi.req.task_attr = 0;
	io_cdb(d, io, slot->scsi.req.cdb);
	slot->scsi.resp.response = 0xff;
	rc = vd_virtqueue_req_add(vq, &slot->scsi.req, sizeof(slot->scsi.req), false);
	if (rc == 0 && nseg > 0 && !read) {
		rc = virtio_add_data(c, vq, io, false);
	}
	rc = rc ? rc : vd_virtqueue_req_add(vq, &slot->scsi.resp, sizeof(slot->scsi.resp), true);
	if (rc == 0 && nseg > 0 && read) {
		rc = virtio_add_data(c, vq, io, true);
	}
	if (rc != 0) {
		vd_virtqueue_req_abort(vq);
		return rc == -ENOMEM ? -EINVAL : rc;
	}
	vd_virtqueue_req_end(vq);
	return 0;
}

bool
virtio_scsi_done(union virtio_slot *slot, struct vd_bdev_io *io)
{
	return slot->scsi.resp.response == VIRTIO_SCSI_S_OK &&
	       slot->scsi.resp.status == SCSI_STATUS_GOOD;
}
