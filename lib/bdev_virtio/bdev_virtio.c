/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Virtio bdev module: controllers, channels and the I/O path common to blk and scsi.
 *
 * Controller states (app thread):
 *   ATTACHING: vd_bdev_virtio_attach() -> connect_done() -> (scsi: scan, virtio_scsi_*) ->
 *              virtio_ctrlr_scan_done() registers the disks -> ACTIVE, attach_cb.
 *              A failure closes the device, frees the controller and reports through attach_cb.
 *   ACTIVE -> REMOVING: vd_bdev_virtio_detach() or the back-end going away (on_disconnect):
 *              every disk is unregistered.
 *   REMOVING:  disk_destruct() of the last disk unregisters the io_device; once every channel
 *              is gone, ctrlr_io_device_gone() closes the device, frees the controller and
 *              calls detach_cb.
 * g_ctrlrs lists every controller; it is touched on the app thread only.
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

static TAILQ_HEAD(, virtio_ctrlr) g_ctrlrs = TAILQ_HEAD_INITIALIZER(g_ctrlrs);

static struct virtio_ctrlr *
ctrlr_find(const char *name)
{
	struct virtio_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

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
			  ch->ctrlr->name);
	} else if (rc == -EINVAL && vd_log_ratelimit_ok(&ch->rl, 1)) {
		VD_ERRLOG("virtio %s: I/O of %d buffers exceeds the device's limits (seg_max %u, "
			  "size_max %u, queue size %u)\n",
			  ch->ctrlr->name, io->iovcnt, ch->ctrlr->seg_max, ch->ctrlr->size_max,
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
			  c->name, vd_thread_get_name(vd_get_thread()), c->vq_count);
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

static struct vd_io_channel *
disk_get_io_channel(void *ctx)
{
	struct virtio_disk *d = ctx;

	return vd_get_io_channel(d->ctrlr);
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
		return !d->readonly && d->bdev.write_cache;
	default:
		return false;
	}
}

/* Controller life cycle ----------------------------------------------------------------------- */

static void
ctrlr_free(struct virtio_ctrlr *c)
{
	uint32_t i;

	vd_virtio_dev_close(&c->dev);
	for (i = 0; i < c->ndisks; i++) {
		if (c->disks[i] != NULL) {
			free(c->disks[i]->bdev.name);
			free(c->disks[i]);
		}
	}
	vd_dma_free(c->scan_buf);
	free(c->name);
	free(c->path);
	free(c);
}

static void
ctrlr_io_device_gone(void *io_device)
{
	struct virtio_ctrlr *c = io_device;
	vd_bdev_virtio_detach_cb cb = c->detach_cb;
	void *cb_arg = c->detach_arg;

	VD_NOTICELOG("virtio %s: controller removed\n", c->name);
	TAILQ_REMOVE(&g_ctrlrs, c, link);
	ctrlr_free(c);
	if (cb != NULL) {
		cb(cb_arg, 0);
	}
}

static int
disk_destruct(void *ctx)
{
	struct virtio_disk *d = ctx;
	struct virtio_ctrlr *c = d->ctrlr;

	d->registered = false;
	if (--c->nregistered == 0) {
		if (c->state != CTRLR_REMOVING) {
			/* The bdev layer removed the last disk by itself (shutdown). */
			c->state = CTRLR_REMOVING;
		}
		vd_io_device_unregister(c, ctrlr_io_device_gone);
	}
	return 0;
}

static void
ctrlr_remove(struct virtio_ctrlr *c)
{
	uint32_t i;

	c->state = CTRLR_REMOVING;
	if (c->nregistered == 0) {
		vd_io_device_unregister(c, ctrlr_io_device_gone);
		return;
	}
	for (i = 0; i < c->ndisks; i++) {
		if (c->disks[i] != NULL && c->disks[i]->registered) {
			vd_bdev_unregister(&c->disks[i]->bdev, NULL, NULL);
		}
	}
}

static void
on_disconnect(void *arg)
{
	struct virtio_ctrlr *c = arg;

	if (c->state == CTRLR_ACTIVE) {
		VD_ERRLOG("virtio %s: back-end gone, hot-removing its bdevs\n", c->name);
		ctrlr_remove(c);
	}
	/* ATTACHING: the scan sees the broken device and fails the attach. */
}

static void
write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct virtio_disk *d = bdev->ctxt;
	struct virtio_ctrlr *c = d->ctrlr;
	struct json_object *entry, *params;

	/* One entry per controller: from its first disk. */
	if (c->disks[0] != d) {
		return;
	}
	entry = json_object_new_object();
	params = json_object_new_object();
	json_object_object_add(params, "name", json_object_new_string(c->name));
	json_object_object_add(params, "trtype", json_object_new_string("user"));
	json_object_object_add(params, "traddr", json_object_new_string(c->path));
	json_object_object_add(
		params, "dev_type",
		json_object_new_string(c->type == VD_BDEV_VIRTIO_BLK ? "blk" : "scsi"));
	json_object_object_add(params, "vq_count", json_object_new_int(c->vq_count));
	json_object_object_add(params, "vq_size", json_object_new_int(c->vq_size));
	json_object_object_add(entry, "method",
			       json_object_new_string("bdev_virtio_attach_controller"));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}

static void
dump_info_json(void *ctx, struct json_object *w)
{
	struct virtio_disk *d = ctx;
	struct virtio_ctrlr *c = d->ctrlr;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "controller", json_object_new_string(c->name));
	json_object_object_add(o, "traddr", json_object_new_string(c->path));
	json_object_object_add(
		o, "dev_type",
		json_object_new_string(c->type == VD_BDEV_VIRTIO_BLK ? "blk" : "scsi"));
	if (c->type == VD_BDEV_VIRTIO_SCSI) {
		json_object_object_add(o, "target", json_object_new_int(d->target));
	}
	json_object_object_add(o, "features",
			       json_object_new_uint64(vd_virtio_dev_get_features(c->dev)));
	json_object_object_add(o, "vq_count", json_object_new_int(c->vq_count));
	json_object_object_add(o, "vq_size", json_object_new_int(c->vq_size));
	json_object_object_add(w, "virtio", o);
}

static const struct vd_bdev_fn_table g_virtio_fn_table = {
	.destruct = disk_destruct,
	.submit_request = virtio_submit,
	.io_type_supported = disk_io_type_supported,
	.get_io_channel = disk_get_io_channel,
	.dump_info_json = dump_info_json,
	.write_config_json = write_config_json,
};

int
virtio_disk_add(struct virtio_ctrlr *c, uint8_t target, uint32_t blocklen, uint64_t blockcnt,
		bool readonly, bool write_cache)
{
	struct virtio_disk *d;
	char name[VD_BDEV_MAX_NAME_LEN];

	if (c->ndisks == VD_COUNTOF(c->disks)) {
		return -ENOSPC;
	}
	if (c->type == VD_BDEV_VIRTIO_BLK) {
		snprintf(name, sizeof(name), "%s", c->name);
	} else {
		snprintf(name, sizeof(name), "%st%u", c->name, target);
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->bdev.name = strdup(name)) == NULL) {
		free(d);
		return -ENOMEM;
	}
	d->ctrlr = c;
	d->target = target;
	d->readonly = readonly;
	virtio_scsi_lun(d->lun, target);
	d->bdev.product_name =
		c->type == VD_BDEV_VIRTIO_BLK ? "VirtioBlk Disk" : "Virtio SCSI Disk";
	d->bdev.blocklen = blocklen;
	d->bdev.blockcnt = blockcnt;
	d->bdev.write_cache = write_cache;
	d->bdev.ctxt = d;
	d->bdev.fn_table = &g_virtio_fn_table;
	d->bdev.module = &vd_bdev_virtio_module;
	c->disks[c->ndisks++] = d;
	return 0;
}

/* Register every disk found; answer the attach. */
void
virtio_ctrlr_scan_done(struct virtio_ctrlr *c, int rc)
{
	const char *names[VD_BDEV_VIRTIO_SCSI_MAX_TARGETS];
	vd_bdev_virtio_attach_cb cb = c->attach_cb;
	void *cb_arg = c->attach_arg;
	uint32_t i;

	if (rc == 0 && c->ndisks == 0) {
		VD_ERRLOG("virtio %s: no disk found behind %s\n", c->name, c->path);
		rc = -ENODEV;
	}
	if (rc == 0 && vd_virtio_dev_is_broken(c->dev)) {
		rc = -EIO;
	}
	if (rc != 0) {
		TAILQ_REMOVE(&g_ctrlrs, c, link);
		ctrlr_free(c);
		cb(cb_arg, rc, NULL, 0);
		return;
	}
	vd_io_device_register(c, channel_create, channel_destroy, sizeof(struct virtio_channel),
			      c->name);
	c->state = CTRLR_ACTIVE;
	for (i = 0; i < c->ndisks; i++) {
		rc = vd_bdev_register(&c->disks[i]->bdev);
		if (rc != 0) {
			VD_ERRLOG("virtio %s: cannot register bdev %s: %s\n", c->name,
				  c->disks[i]->bdev.name, strerror(-rc));
			break;
		}
		c->disks[i]->registered = true;
		c->nregistered++;
		names[i] = c->disks[i]->bdev.name;
	}
	if (rc != 0) {
		/* Undo: the controller goes away once the registered disks are destructed. */
		c->attach_cb = NULL;
		ctrlr_remove(c);
		cb(cb_arg, rc, NULL, 0);
		return;
	}
	vd_virtio_dev_set_disconnect_cb(c->dev, on_disconnect, c);
	cb(cb_arg, 0, names, c->ndisks);
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
ctrlr_alloc(const struct vd_bdev_virtio_opts *opts)
{
	struct virtio_ctrlr *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return NULL;
	}
	c->name = strdup(opts->name);
	c->path = strdup(opts->path);
	if (c->name == NULL || c->path == NULL) {
		ctrlr_free(c);
		return NULL;
	}
	c->type = opts->type;
	c->vq_count = opts->vq_count ? opts->vq_count : 1;
	c->vq_size = opts->vq_size ? opts->vq_size : VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : VD_VIRTIO_DEFAULT_TIMEOUT_MS;
	c->state = CTRLR_ATTACHING;
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
	if (ctrlr_find(opts->name) != NULL) {
		return -EEXIST;
	}
	c = ctrlr_alloc(opts);
	if (c == NULL) {
		return -ENOMEM;
	}
	c->attach_cb = cb;
	c->attach_arg = cb_arg;
	vo.name = c->name;
	vo.path = c->path;
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
		ctrlr_free(c);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g_ctrlrs, c, link);
	return 0;
}

int
vd_bdev_virtio_detach(const char *name, vd_bdev_virtio_detach_cb cb, void *cb_arg)
{
	struct virtio_ctrlr *c = name != NULL ? ctrlr_find(name) : NULL;

	if (c == NULL) {
		return -ENODEV;
	}
	if (c->state == CTRLR_ATTACHING || c->detach_cb != NULL) {
		return -EBUSY;
	}
	c->detach_cb = cb;
	c->detach_arg = cb_arg;
	if (c->state == CTRLR_ACTIVE) {
		ctrlr_remove(c);
	}
	return 0;
}

struct virtio_ctrlr *
virtio_ctrlr_first(void)
{
	return TAILQ_FIRST(&g_ctrlrs);
}

struct virtio_ctrlr *
virtio_ctrlr_next(struct virtio_ctrlr *c)
{
	return TAILQ_NEXT(c, link);
}

/* Module ------------------------------------------------------------------------------------ */

static int
virtio_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(bdev_virtio));
	return 0;
}

static void
virtio_fini(void)
{
}

static size_t
virtio_get_ctx_size(void)
{
	return sizeof(struct virtio_task);
}

struct vd_bdev_module vd_bdev_virtio_module = {
	.name = "virtio",
	.module_init = virtio_init,
	.module_fini = virtio_fini,
	.get_ctx_size = virtio_get_ctx_size,
};
