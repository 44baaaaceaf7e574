/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Virtio bdev module: controllers, channels and the I/O path common to blk and scsi.
 *
 * Controller states (app thread; the skeleton is include/vhostd_internal/bdev_initiator.h):
 *   ATTACHING: vd_bdev_virtio_attach() -> connect_done() -> (scsi: scan, virtio_scsi_*) ->
 *              virtio_ctrlr_scan_done() registers the disks -> ACTIVE, attach_cb.
 *              A failure closes the device, frees the controller and reports through attach_cb.
 *   ACTIVE -> REMOVING: vd_bdev_virtio_detach() or the back-end going away (on_disconnect):
 *              every disk is unregistered.
 *   REMOVING:  disk_destruct() of the last disk unregisters the io_device; once every channel
 *              is gone, ctrlr_io_device_gone() closes the device, frees the controller and
 *              calls detach_cb.
 * g_virtio_imod lists every controller; it is touched on the app thread only.
 *
 * Channels: the controller is the io_device; each thread's channel claims one request
 * virtqueue and a poller that collects completions.  I/O is built straight into the ring
 * (no allocation); the per-request header and status live in the queue's DMA slot of the head
 * descriptor.  When the device is broken (back-end gone, bad used element) the poller fails
 * every outstanding request, and new requests fail at once.
 *
 * Publishing: a submit only puts its head in the avail ring; the avail index is published
 * (store, barrier, kick decision) every PUBLISH_BATCH submits and by the channel's poller,
 * before collecting completions and again after their callbacks (which usually submit more).
 * The poller runs every iteration of the thread, so a request waits at most for the rest of
 * the iteration; the target sees one index update per few requests instead of one per request,
 * and still gets the first requests of a long burst while the rest are being built.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/env.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"
#include "bdev_virtio_internal.h"

VD_LOG_FLAG_DEFINE(bdev_virtio);

#define POLL_BATCH 32
/* Requests of a burst published at once (see "Publishing" above). */
#define PUBLISH_BATCH 8

struct virtio_channel {
	struct virtio_ctrlr *ctrlr;
	struct vd_virtqueue *vq;
	struct vd_poller *poller;
	struct vd_log_ratelimit rl;
	uint32_t unpublished; /* requests in the avail ring not yet published */
};

static struct vd_bdev_initiator_module g_virtio_imod;

static inline struct vd_bdev_io *
task_to_io(struct virtio_task *t)
{
	return VD_CONTAINEROF((void *)t, struct vd_bdev_io, driver_ctx);
}

/* Segments and data descriptors ------------------------------------------------------------ */

int
virtio_io_segments(const struct virtio_ctrlr *c, const struct vd_bdev_io *io)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < io->iovcnt; i++) {
		uint64_t len = io->iovs[i].iov_len;

		n += c->size_max != 0 ? (len + c->size_max - 1) / c->size_max : 1;
	}
	if ((c->seg_max != 0 && n > c->seg_max) || n + 2 > c->vq_size) {
		return -EINVAL;
	}
	return (int)n;
}

int
virtio_add_data(const struct virtio_ctrlr *c, struct vd_virtqueue *vq, const struct vd_bdev_io *io,
		bool write)
{
	uint64_t chunk, off;
	int i, rc;

	for (i = 0; i < io->iovcnt; i++) {
		const uint8_t *base = io->iovs[i].iov_base;
		uint64_t len = io->iovs[i].iov_len;

		for (off = 0; off < len; off += chunk) {
			chunk = len - off;
			if (c->size_max != 0 && chunk > c->size_max) {
				chunk = c->size_max;
			}
			rc = vd_virtqueue_req_add(vq, base + off, (uint32_t)chunk, write);
			if (rc != 0) {
				return rc;
			}
		}
	}
	return 0;
}

/* I/O path ---------------------------------------------------------------------------------- */

static void
fail_io(struct virtio_channel *ch, struct vd_bdev_io *io, int rc)
{
	if (rc == -EFAULT && vd_log_ratelimit_ok(&ch->rl, 1)) {
		VD_ERRLOG("virtio %s: I/O buffer outside the memory shared with the back-end "
			  "(allocate buffers with vd_dma_malloc before attaching, or preallocate "
			  "env memory)\n",
			  ch->ctrlr->base.name);
	} else if (rc == -EINVAL && vd_log_ratelimit_ok(&ch->rl, 1)) {
		VD_ERRLOG("virtio %s: I/O of %d buffers exceeds the device's limits (seg_max %u, "
			  "size_max %u, queue size %u)\n",
			  ch->ctrlr->base.name, io->iovcnt, ch->ctrlr->seg_max, ch->ctrlr->size_max,
			  ch->ctrlr->vq_size);
	}
	vd_bdev_io_complete_errno(io, rc);
}

static void
virtio_submit(struct vd_io_channel *ioch, struct vd_bdev_io *io)
{
	struct virtio_channel *ch = vd_io_channel_get_ctx(ioch);
	struct virtio_disk *d = io->bdev->ctxt;
	int rc;

	if (vd_unlikely(vd_virtio_dev_is_broken(ch->ctrlr->dev))) {
		vd_bdev_io_complete(io, VD_BDEV_IO_STATUS_ABORTED);
		return;
	}
	if (ch->ctrlr->type == VD_BDEV_VIRTIO_BLK) {
		rc = virtio_blk_build(d, ch->vq, io);
	} else {
		rc = virtio_scsi_build(d, ch->vq, io);
	}
	if (vd_unlikely(rc != 0)) {
		fail_io(ch, io, rc);
		return;
	}
	/* Publish every few requests of a long burst, so the target can start on them while we
	 * build the rest (a burst is usually the resubmissions of a batch of completions). */
	if (++ch->unpublished >= PUBLISH_BATCH) {
		ch->unpublished = 0;
		vd_virtqueue_flush(ch->vq);
	}
}

static inline bool
channel_flush(struct virtio_channel *ch)
{
	if (ch->unpublished == 0) {
		return false;
	}
	ch->unpublished = 0;
	vd_virtqueue_flush(ch->vq);
	return true;
}

static void
abort_outstanding(struct virtio_channel *ch)
{
	void *cookies[POLL_BATCH];
	uint16_t i, n;

	while ((n = vd_virtqueue_abort_all(ch->vq, cookies, POLL_BATCH)) > 0) {
		for (i = 0; i < n; i++) {
			vd_bdev_io_complete(cookies[i], VD_BDEV_IO_STATUS_ABORTED);
		}
	}
}

static int
virtio_poll(void *arg)
{
	struct virtio_channel *ch = arg;
	void *cookies[POLL_BATCH];
	uint32_t lens[POLL_BATCH];
	struct virtio_task *t;
	bool flushed;
	int i, n;

	flushed = channel_flush(ch);
	/* Check for a dead back-end before polling: requests taken off the used ring must be
	 * completed below, never dropped by the abort path. */
	if (vd_unlikely(vd_virtio_dev_is_broken(ch->ctrlr->dev))) {
		n = -EIO;
	} else {
		n = vd_virtqueue_poll(ch->vq, cookies, lens, POLL_BATCH);
	}
	if (vd_unlikely(n < 0)) {
		if (vd_virtqueue_num_outstanding(ch->vq) == 0) {
			return flushed ? VD_POLLER_BUSY : VD_POLLER_IDLE;
		}
		abort_outstanding(ch);
		return VD_POLLER_BUSY;
	}
	if (n == 0) {
		return flushed ? VD_POLLER_BUSY : VD_POLLER_IDLE;
	}
	/* Decode every status before any callback runs: callbacks submit new requests that
	 * reuse the slots of the heads just freed. */
	for (i = 0; i < n; i++) {
		struct vd_bdev_io *io = cookies[i];
		union virtio_slot *slot;

		t = vd_bdev_io_get_driver_ctx(io);
		slot = vd_virtqueue_slot(ch->vq, t->head);
		t->ok = ch->ctrlr->type == VD_BDEV_VIRTIO_BLK ? virtio_blk_done(slot, io)
							      : virtio_scsi_done(slot, io);
	}
	for (i = 0; i < n; i++) {
		t = vd_bdev_io_get_driver_ctx(cookies[i]);
		vd_bdev_io_complete(cookies[i],
				    t->ok ? VD_BDEV_IO_STATUS_SUCCESS : VD_BDEV_IO_STATUS_FAILED);
	}
	channel_flush(ch);
	return VD_POLLER_BUSY;
}

static int
channel_create(void *io_device, void *ctx_buf)
{
	struct virtio_ctrlr *c = io_device;
	struct virtio_channel *ch = ctx_buf;

	ch->ctrlr = c;
	ch->vq = vd_virtio_dev_claim_queue(c->dev, c->first_queue);
	if (ch->vq == NULL) {
		VD_ERRLOG("virtio %s: no free request queue for thread %s (vq_count %u is less "
			  "than the number of threads doing I/O)\n",
			  c->base.name, vd_thread_get_name(vd_get_thread()), c->vq_count);
		return -ENOMEM;
	}
	ch->poller = vd_poller_register(virtio_poll, ch, 0, "bdev_virtio");
	if (ch->poller == NULL) {
		vd_virtio_dev_release_queue(ch->vq);
		return -ENOMEM;
	}
	return 0;
}

static void
channel_destroy(void *io_device, void *ctx_buf)
{
	struct virtio_channel *ch = ctx_buf;

	vd_poller_unregister(&ch->poller);
	if (vd_virtqueue_num_outstanding(ch->vq) != 0) {
		abort_outstanding(ch);
	}
	vd_virtio_dev_release_queue(ch->vq);
}

static bool
disk_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	struct virtio_disk *d = ctx;

	switch (type) {
	case VD_BDEV_IO_TYPE_READ:
		return true;
	case VD_BDEV_IO_TYPE_WRITE:
		return !d->readonly;
	case VD_BDEV_IO_TYPE_FLUSH:
		return !d->readonly && d->base.bdev.write_cache;
	default:
		return false;
	}
}

/* Controller life cycle ----------------------------------------------------------------------- */

static void
ctrlr_free(struct vd_bdev_initiator *ic)
{
	struct virtio_ctrlr *c = VD_CONTAINEROF(ic, struct virtio_ctrlr, base);

	vd_virtio_dev_close(&c->dev);
	vd_dma_free(c->scan_buf);
	vd_bdev_initiator_fini(&c->base);
	free(c);
}

static void
ctrlr_io_device_gone(void *io_device)
{
	vd_bdev_initiator_removed(io_device);
}

static int
disk_destruct(void *ctx)
{
	vd_bdev_initiator_disk_destruct(ctx);
	return 0;
}

static void
on_disconnect(void *arg)
{
	struct virtio_ctrlr *c = arg;

	if (c->base.state == VD_BDEV_INITIATOR_ACTIVE) {
		VD_ERRLOG("virtio %s: back-end gone, hot-removing its bdevs\n", c->base.name);
		vd_bdev_initiator_remove(&c->base);
	}
	/* ATTACHING: the scan sees the broken device and fails the attach. */
}

static const char *
dev_type_name(const struct virtio_ctrlr *c)
{
	return c->type == VD_BDEV_VIRTIO_BLK ? "blk" : "scsi";
}

static void
write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct virtio_ctrlr *c = virtio_disk_ctrlr(bdev->ctxt);
	struct json_object *params = vd_bdev_initiator_config_params(bdev, config);

	if (params == NULL) {
		return;
	}
	json_object_object_add(params, "trtype", json_object_new_string("user"));
	json_object_object_add(params, "traddr", json_object_new_string(c->base.path));
	json_object_object_add(params, "dev_type", json_object_new_string(dev_type_name(c)));
	json_object_object_add(params, "vq_count", json_object_new_int(c->vq_count));
	json_object_object_add(params, "vq_size", json_object_new_int(c->vq_size));
}

static void
dump_info_json(void *ctx, struct json_object *w)
{
	struct virtio_disk *d = ctx;
	struct virtio_ctrlr *c = virtio_disk_ctrlr(d);
	struct json_object *o = vd_bdev_initiator_dump_info_json(ctx, w);

	json_object_object_add(o, "dev_type", json_object_new_string(dev_type_name(c)));
	if (c->type == VD_BDEV_VIRTIO_SCSI) {
		json_object_object_add(o, "target", json_object_new_int(d->target));
	}
	json_object_object_add(o, "features",
			       json_object_new_uint64(vd_virtio_dev_get_features(c->dev)));
	json_object_object_add(o, "vq_count", json_object_new_int(c->vq_count));
	json_object_object_add(o, "vq_size", json_object_new_int(c->vq_size));
}

static const struct vd_bdev_fn_table g_virtio_fn_table = {
	.destruct = disk_destruct,
	.submit_request = virtio_submit,
	.io_type_supported = disk_io_type_supported,
	.get_io_channel = vd_bdev_initiator_disk_get_io_channel,
	.dump_info_json = dump_info_json,
	.write_config_json = write_config_json,
};

int
virtio_disk_add(struct virtio_ctrlr *c, uint8_t target, uint32_t blocklen, uint64_t blockcnt,
		bool readonly, bool write_cache)
{
	struct vd_bdev_initiator_disk *base;
	struct virtio_disk *d;
	char name[VD_BDEV_MAX_NAME_LEN];
	int rc;

	if (c->type == VD_BDEV_VIRTIO_BLK) {
		snprintf(name, sizeof(name), "%s", c->base.name);
	} else {
		snprintf(name, sizeof(name), "%st%u", c->base.name, target);
	}
	rc = vd_bdev_initiator_disk_add(&c->base, sizeof(*d), name, &base);
	if (rc != 0) {
		return rc;
	}
	d = VD_CONTAINEROF(base, struct virtio_disk, base);
	d->target = target;
	d->readonly = readonly;
	virtio_scsi_lun(d->lun, target);
	base->bdev.product_name =
		c->type == VD_BDEV_VIRTIO_BLK ? "VirtioBlk Disk" : "Virtio SCSI Disk";
	base->bdev.blocklen = blocklen;
	base->bdev.blockcnt = blockcnt;
	base->bdev.write_cache = write_cache;
	return 0;
}

/* Register every disk found; answer the attach. */
void
virtio_ctrlr_scan_done(struct virtio_ctrlr *c, int rc)
{
	const char *names[VD_BDEV_INITIATOR_MAX_DISKS];
	vd_bdev_initiator_attach_cb cb = c->base.attach_cb;
	void *cb_arg = c->base.attach_arg;

	if (rc == 0 && c->base.ndisks == 0) {
		VD_ERRLOG("virtio %s: no disk found behind %s\n", c->base.name, c->base.path);
		rc = -ENODEV;
	}
	if (rc == 0 && vd_virtio_dev_is_broken(c->dev)) {
		rc = -EIO;
	}
	if (rc != 0) {
		vd_bdev_initiator_attach_fail(&c->base, rc);
		return;
	}
	rc = vd_bdev_initiator_register(&c->base, names);
	if (rc != 0) {
		cb(cb_arg, rc, NULL, 0);
		return;
	}
	vd_virtio_dev_set_disconnect_cb(c->dev, on_disconnect, c);
	vd_bdev_initiator_attach_done(&c->base, names);
}

static void
connect_done(void *arg, struct vd_virtio_dev *dev, int rc)
{
	struct virtio_ctrlr *c = arg;

	c->dev = dev;
	if (rc == 0) {
		rc = c->type == VD_BDEV_VIRTIO_BLK ? virtio_blk_probe(c)
						   : virtio_scsi_scan_start(c);
		if (rc == 0 && c->type == VD_BDEV_VIRTIO_SCSI) {
			return; /* the scan calls virtio_ctrlr_scan_done() */
		}
	}
	virtio_ctrlr_scan_done(c, rc);
}

static int
attach_opts_check(const struct vd_bdev_virtio_opts *o)
{
	uint16_t vq_size = o->vq_size ? o->vq_size : VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE;

	if (o->name == NULL || o->name[0] == '\0' || strlen(o->name) + 3 >= VD_BDEV_MAX_NAME_LEN ||
	    o->path == NULL || (o->type != VD_BDEV_VIRTIO_BLK && o->type != VD_BDEV_VIRTIO_SCSI) ||
	    o->vq_count > VD_VIRTIO_MAX_QUEUES - 2 || !VD_IS_POW2(vq_size) || vq_size < 4) {
		return -EINVAL;
	}
	return 0;
}

static struct virtio_ctrlr *
ctrlr_alloc(const struct vd_bdev_virtio_opts *opts, vd_bdev_virtio_attach_cb cb, void *cb_arg)
{
	struct virtio_ctrlr *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return NULL;
	}
	if (vd_bdev_initiator_init(&c->base, &g_virtio_imod, opts->name, opts->path, cb, cb_arg) !=
	    0) {
		ctrlr_free(&c->base);
		return NULL;
	}
	c->type = opts->type;
	c->vq_count = opts->vq_count ? opts->vq_count : 1;
	c->vq_size = opts->vq_size ? opts->vq_size : VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : VD_VIRTIO_DEFAULT_TIMEOUT_MS;
	return c;
}

int
vd_bdev_virtio_attach(const struct vd_bdev_virtio_opts *opts, vd_bdev_virtio_attach_cb cb,
		      void *cb_arg)
{
	struct vd_virtio_user_opts vo = {0};
	struct virtio_ctrlr *c;
	int rc;

	if (opts == NULL || cb == NULL || attach_opts_check(opts) != 0) {
		return -EINVAL;
	}
	if (vd_bdev_initiator_find(&g_virtio_imod, opts->name) != NULL) {
		return -EEXIST;
	}
	c = ctrlr_alloc(opts, cb, cb_arg);
	if (c == NULL) {
		return -ENOMEM;
	}
	vo.name = c->base.name;
	vo.path = c->base.path;
	vo.queue_size = c->vq_size;
	vo.slot_size = VIRTIO_SLOT_SIZE;
	vo.timeout_ms = c->timeout_ms;
	if (c->type == VD_BDEV_VIRTIO_BLK) {
		virtio_blk_opts(&vo);
		vo.num_queues = c->vq_count;
	} else {
		/* The scan buffer must exist before the memory table is built. */
		c->scan_buf = vd_dma_zmalloc(4096, 4096);
		virtio_scsi_opts(&vo);
		vo.num_queues = (uint16_t)(VIRTIO_SCSI_REQ_QUEUE + c->vq_count);
		c->first_queue = VIRTIO_SCSI_REQ_QUEUE;
	}
	rc = c->type == VD_BDEV_VIRTIO_SCSI && c->scan_buf == NULL
		     ? -ENOMEM
		     : vd_virtio_user_connect(&vo, connect_done, c);
	if (rc != 0) {
		ctrlr_free(&c->base);
		return rc;
	}
	return 0;
}

int
vd_bdev_virtio_detach(const char *name, vd_bdev_virtio_detach_cb cb, void *cb_arg)
{
	return vd_bdev_initiator_detach(&g_virtio_imod, name, cb, cb_arg);
}

static struct virtio_ctrlr *
to_virtio_ctrlr(struct vd_bdev_initiator *c)
{
	return c != NULL ? VD_CONTAINEROF(c, struct virtio_ctrlr, base) : NULL;
}

struct virtio_ctrlr *
virtio_ctrlr_first(void)
{
	return to_virtio_ctrlr(vd_bdev_initiator_first(&g_virtio_imod));
}

struct virtio_ctrlr *
virtio_ctrlr_next(struct virtio_ctrlr *c)
{
	return to_virtio_ctrlr(vd_bdev_initiator_next(&c->base));
}

/* Module ------------------------------------------------------------------------------------ */

static int
virtio_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(bdev_virtio));
	return 0;
}

static size_t
virtio_get_ctx_size(void)
{
	return sizeof(struct virtio_task);
}

struct vd_bdev_module vd_bdev_virtio_module = {
	.name = "virtio",
	.module_init = virtio_init,
	.get_ctx_size = virtio_get_ctx_size,
};

static struct vd_bdev_initiator_module g_virtio_imod = {
	.label = "virtio",
	.info_key = "virtio",
	.attach_method = "bdev_virtio_attach_controller",
	.module = &vd_bdev_virtio_module,
	.fn_table = &g_virtio_fn_table,
	.ch_create = channel_create,
	.ch_destroy = channel_destroy,
	.ch_size = sizeof(struct virtio_channel),
	.io_device_gone = ctrlr_io_device_gone,
	.ctrlr_free = ctrlr_free,
	VD_BDEV_INITIATOR_MODULE_INIT(g_virtio_imod),
};
