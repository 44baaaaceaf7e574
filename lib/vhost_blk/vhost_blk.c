/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-blk controllers: the virtio-blk device on top of lib/vhost, backed by one bdev.
 *
 * Threads and ownership.
 *  - The controller list, create/delete and config space run on the control (app) thread.
 *  - The bdev descriptor is opened, claimed, used and closed on the controller's data thread
 *    (lib/vhost's device thread), so bdev events (REMOVE) arrive where the I/O is.  Everything
 *    under "data thread" in struct blk_ctrlr is touched only there.
 *  - Each started queue has a blk_vq with its own poller and a fixed pool of tasks allocated in
 *    ops->start: no allocation per request.  Guest iovecs go to the bdev as they are (zero
 *    copy); only the header and status byte are cut off.
 *
 * Controller states (control thread, c->state):
 *   CREATING --blk_open_done ok--> READY --vd_vhost_blk_delete--> DELETING
 *   CREATING --blk_open_done error--> DELETING --blk_unregistered--> freed
 * Data-thread states: stopped --ops->start--> started --ops->stop--> stopping (c->stop_done set,
 *   waits for c->outstanding == 0 in blk_stop_check) --> stopped.
 *
 * Invariants (data thread):
 *  - c->outstanding == sum of bvq->outstanding == tasks taken from a ring and not completed.
 *  - c->ch != NULL only while started with an open descriptor; it is put before the descriptor
 *    is closed.  The descriptor is closed when the controller is deleted (c->closing) or the bdev
 *    was hot-removed (c->removed), and only with no task outstanding.
 *  - A task is completed exactly once (blk_task_complete), which returns it to its pool.
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhost_blk_internal.h"
#include "vhost_blk_ctrlr.h"

VD_LOG_FLAG_DEFINE(vhost_blk);

/* Tasks per queue: at most this many requests of one queue are in flight. */
#define BLK_MAX_TASKS 128u
/* Requests taken from a ring per poll: every free task, so one poll drains a ring that holds
 * up to BLK_MAX_TASKS requests (the queue depth of a guest or initiator on one queue). */
#define BLK_BATCH BLK_MAX_TASKS

/* Fields touched per request first (two cache lines with the parsed request), iovs last. */
struct blk_task {
	struct vd_vhost_req req;
	struct blk_vq *bvq;
	uint32_t range_idx;
	uint32_t written; /* data bytes written to the guest */
	struct blk_parsed p;
	struct vd_bdev_io_wait_entry wait;
	struct iovec iovs[BLK_MAX_IOVS];
};

/*
 * Free tasks are a stack of pointers (free[0..num_free)), so a poll hands out the top entries
 * without touching the tasks themselves, and the task completed last, still in cache, is
 * reused first.
 */
struct blk_vq {
	struct blk_ctrlr *ctrlr;
	struct vd_vhost_vq *vq;
	struct vd_poller *poller;
	struct blk_task *tasks;
	uint32_t num_tasks;
	uint32_t num_free;
	uint32_t outstanding;
	bool needs_flush;
	struct blk_task *free[BLK_MAX_TASKS];
};

static TAILQ_HEAD(, blk_ctrlr) g_ctrlrs = TAILQ_HEAD_INITIALIZER(g_ctrlrs);
static bool g_finishing;

static void blk_task_exec(struct blk_task *t);
static void blk_fini_step(void);

/* Data path ------------------------------------------------------------------------------- */

static void
blk_put_channel(struct blk_ctrlr *c)
{
	if (c->ch != NULL) {
		vd_put_io_channel(c->ch);
		c->ch = NULL;
	}
}

static void
blk_close_bdev(struct blk_ctrlr *c)
{
	blk_put_channel(c);
	if (c->desc != NULL) {
		vd_bdev_release_claim(c->desc);
		vd_bdev_close(c->desc);
		c->desc = NULL;
		VD_INFOLOG(vhost_blk, "%s: bdev %s released\n", c->name, c->bdev_name);
	}
}

static void blk_stop_check(struct blk_ctrlr *c);

static void
blk_task_complete(struct blk_task *t, uint8_t status)
{
	struct blk_vq *bvq = t->bvq;
	struct blk_ctrlr *c = bvq->ctrlr;
	uint32_t used = 0;

	if (t->p.status != NULL) {
		*t->p.status = status;
		used = 1 + (status == VIRTIO_BLK_S_OK ? t->written : 0);
	}
	vd_vhost_vq_complete(bvq->vq, t->req.head, used);
	bvq->needs_flush = true;
	assert(bvq->num_free < bvq->num_tasks);
	bvq->free[bvq->num_free++] = t;
	assert(bvq->outstanding > 0 && c->outstanding > 0);
	bvq->outstanding--;
	c->outstanding--;
	if (c->outstanding == 0) {
		if (c->stop_done != NULL) {
			blk_stop_check(c);
		} else if (c->removed) {
			blk_close_bdev(c);
		}
	}
}

static void blk_io_done(struct vd_bdev_io *bdev_io, bool success, void *arg);

static void
blk_task_retry(void *arg)
{
	struct blk_task *t = arg;

	blk_task_exec(t);
}

/* \return 0 (blk_io_done or blk_task_retry will run) or a negative errno. */
static int
blk_task_submit(struct blk_task *t)
{
	struct blk_ctrlr *c = t->bvq->ctrlr;
	struct blk_parsed *p = &t->p;
	int rc;

	switch (p->type) {
	case VIRTIO_BLK_T_IN:
		rc = vd_bdev_readv_blocks(c->desc, c->ch, p->data, p->data_cnt, p->offset_blocks,
					  p->num_blocks, blk_io_done, t);
		break;
	case VIRTIO_BLK_T_OUT:
		rc = vd_bdev_writev_blocks(c->desc, c->ch, p->data, p->data_cnt, p->offset_blocks,
					   p->num_blocks, blk_io_done, t);
		break;
	case VIRTIO_BLK_T_FLUSH:
		rc = vd_bdev_flush_blocks(c->desc, c->ch, 0, c->geom.num_blocks, blk_io_done, t);
		break;
	case VIRTIO_BLK_T_DISCARD:
		rc = vd_bdev_unmap_blocks(c->desc, c->ch, p->ranges[t->range_idx].offset_blocks,
					  p->ranges[t->range_idx].num_blocks, blk_io_done, t);
		break;
	default:
		rc = vd_bdev_write_zeroes_blocks(
			c->desc, c->ch, p->ranges[t->range_idx].offset_blocks,
			p->ranges[t->range_idx].num_blocks, blk_io_done, t);
		break;
	}
	if (rc == -ENOMEM) {
		t->wait.bdev = vd_bdev_desc_get_bdev(c->desc);
		t->wait.cb_fn = blk_task_retry;
		t->wait.cb_arg = t;
		rc = vd_bdev_queue_io_wait(t->wait.bdev, c->ch, &t->wait);
	}
	return rc;
}

static void
blk_io_done(struct vd_bdev_io *bdev_io, bool success, void *arg)
{
	struct blk_task *t = arg;

	vd_bdev_free_io(bdev_io);
	if (!success) {
		blk_task_complete(t, VIRTIO_BLK_S_IOERR);
		return;
	}
	if ((t->p.type == VIRTIO_BLK_T_DISCARD || t->p.type == VIRTIO_BLK_T_WRITE_ZEROES) &&
	    ++t->range_idx < t->p.num_ranges) {
		blk_task_exec(t);
		return;
	}
	t->written = t->p.type == VIRTIO_BLK_T_IN ? t->p.data_len : 0;
	blk_task_complete(t, VIRTIO_BLK_S_OK);
}

/* Run a parsed request: answer it here or hand it to the bdev. */
static void
blk_task_exec(struct blk_task *t)
{
	struct blk_ctrlr *c = t->bvq->ctrlr;
	struct blk_parsed *p = &t->p;

	if (p->type == VIRTIO_BLK_T_GET_ID) {
		t->written = vd_iov_from_buf(p->data, p->data_cnt, c->geom.serial,
					     VD_MIN(p->data_len, VIRTIO_BLK_ID_BYTES));
		blk_task_complete(t, VIRTIO_BLK_S_OK);
		return;
	}
	if (c->desc == NULL || c->ch == NULL || c->removed) {
		blk_task_complete(t, VIRTIO_BLK_S_IOERR);
		return;
	}
	if ((p->type == VIRTIO_BLK_T_FLUSH && !c->geom.flush) ||
	    ((p->type == VIRTIO_BLK_T_IN || p->type == VIRTIO_BLK_T_OUT) && p->num_blocks == 0)) {
		blk_task_complete(t, VIRTIO_BLK_S_OK);
		return;
	}
	if (blk_task_submit(t) != 0) {
		blk_task_complete(t, VIRTIO_BLK_S_IOERR);
	}
}

static void
blk_task_start(struct blk_task *t)
{
	struct blk_vq *bvq = t->bvq;
	int rc;

	bvq->outstanding++;
	bvq->ctrlr->outstanding++;
	t->written = 0;
	t->range_idx = 0;
	rc = blk_parse_request(&bvq->ctrlr->geom, &t->req, &t->p);
	if (rc == BLK_PARSE_DROP) {
		t->p.status = NULL;
		blk_task_complete(t, VIRTIO_BLK_S_IOERR);
	} else if (rc != BLK_PARSE_SUBMIT) {
		blk_task_complete(t, (uint8_t)rc);
	} else {
		blk_task_exec(t);
	}
}

/*
 * Start the cache-line transfers of a batch before parsing its first request: the headers were
 * last written by the front-end on another CPU, and each is a miss that would otherwise be
 * taken one after the other.  A read prefetch: the status byte, written at completion, goes
 * through the store buffer and does not stall.  Always inlined: GCC finds a function that only
 * prefetches "pure" and drops the call.
 */
static inline __attribute__((always_inline)) void
blk_prefetch_batch(struct vd_vhost_req **reqs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (reqs[i]->num_readable > 0) {
			__builtin_prefetch(reqs[i]->iovs[0].iov_base, 0, 3);
		}
	}
}

static bool
blk_vq_flush(struct blk_vq *bvq)
{
	if (!bvq->needs_flush) {
		return false;
	}
	bvq->needs_flush = false;
	vd_vhost_vq_flush(bvq->vq);
	return true;
}

/*
 * Publish the completions gathered since the last run first (the bdev's pollers ran before us
 * in this iteration), so the front-end works on them while we take new requests; then take
 * and start new requests; then publish those answered at once.
 */
static int
blk_vq_poll(void *arg)
{
	struct blk_vq *bvq = arg;
	struct vd_vhost_req *reqs[BLK_BATCH];
	struct blk_task *batch[BLK_BATCH];
	uint32_t pending;
	int n, got = 0, i;
	bool flushed;

	flushed = blk_vq_flush(bvq);
	/* Hand out the top of the free stack; only the tasks the ring fills are popped.  An idle
	 * ring costs one read of avail->idx. */
	pending = vd_vhost_vq_pending(bvq->vq);
	n = (int)VD_MIN(VD_MIN(bvq->num_free, BLK_BATCH), pending);
	for (i = 0; i < n; i++) {
		batch[i] = bvq->free[bvq->num_free - 1 - (uint32_t)i];
		reqs[i] = &batch[i]->req;
	}
	if (n > 0) {
		got = vd_vhost_vq_dequeue(bvq->vq, reqs, (uint16_t)n);
	}
	if (got > 0) {
		/* Pop before starting any: a request completed at once is pushed back. */
		bvq->num_free -= (uint32_t)got;
		blk_prefetch_batch(reqs, got);
		for (i = 0; i < got; i++) {
			blk_task_start(batch[i]);
		}
	}
	flushed |= blk_vq_flush(bvq);
	return got > 0 || flushed ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static void
blk_vq_free(struct blk_vq *bvq)
{
	if (bvq == NULL) {
		return;
	}
	vd_poller_unregister(&bvq->poller);
	vd_vhost_vq_set_ctx(bvq->vq, NULL);
	free(bvq->tasks);
	free(bvq);
}

static int
blk_vq_create(struct blk_ctrlr *c, struct vd_vhost_vq *vq, struct blk_vq **out)
{
	char name[VD_MAX_POLLER_NAME_LEN];
	struct blk_vq *bvq;
	uint32_t i;

	bvq = calloc(1, sizeof(*bvq));
	if (bvq == NULL) {
		return -ENOMEM;
	}
	bvq->ctrlr = c;
	bvq->vq = vq;
	bvq->num_tasks = VD_MIN((uint32_t)vd_vhost_vq_get_size(vq), BLK_MAX_TASKS);
	bvq->tasks = calloc(bvq->num_tasks, sizeof(*bvq->tasks));
	if (bvq->tasks == NULL) {
		free(bvq);
		return -ENOMEM;
	}
	for (i = bvq->num_tasks; i-- > 0;) {
		bvq->tasks[i].bvq = bvq;
		bvq->tasks[i].req.iovs = bvq->tasks[i].iovs;
		bvq->tasks[i].req.max_iovs = BLK_MAX_IOVS;
		bvq->free[bvq->num_free++] = &bvq->tasks[i];
	}
	snprintf(name, sizeof(name), "vblk/%.40s/q%u", c->name, vd_vhost_vq_get_index(vq));
	bvq->poller = vd_poller_register(blk_vq_poll, bvq, 0, name);
	if (bvq->poller == NULL) {
		free(bvq->tasks);
		free(bvq);
		return -ENOMEM;
	}
	vd_vhost_vq_set_ctx(vq, bvq);
	*out = bvq;
	return 0;
}

/* Device ops (data thread) ----------------------------------------------------------------- */

static void
blk_free_vqs(struct blk_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		blk_vq_free(c->vqs[i]);
		c->vqs[i] = NULL;
	}
}

static void
blk_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct blk_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	struct vd_vhost_vq *vq;
	uint16_t i;
	int rc = 0;

	if (c->closing || (c->desc == NULL && !c->removed)) {
		done(dev, -ENODEV);
		return;
	}
	if (c->desc != NULL) {
		c->ch = vd_bdev_get_io_channel(c->desc);
		if (c->ch == NULL) {
			VD_ERRLOG("%s: cannot get an I/O channel of bdev %s\n", c->name,
				  c->bdev_name);
			done(dev, -ENOMEM);
			return;
		}
	}
	for (i = 0; i < VD_COUNTOF(c->vqs) && rc == 0; i++) {
		vq = vd_vhost_dev_get_vq(dev, i);
		if (vq != NULL) {
			rc = blk_vq_create(c, vq, &c->vqs[i]);
		}
	}
	if (rc != 0) {
		VD_ERRLOG("%s: cannot start queues: %s\n", c->name, strerror(-rc));
		blk_free_vqs(c);
		blk_put_channel(c);
		done(dev, rc);
		return;
	}
	c->started = true;
	VD_INFOLOG(vhost_blk, "%s: started\n", c->name);
	done(dev, 0);
}

/* Finish a stop once nothing is outstanding. */
static void
blk_stop_check(struct blk_ctrlr *c)
{
	vd_vhost_done_cb done = c->stop_done;
	uint32_t i;

	if (done == NULL || c->outstanding > 0) {
		return;
	}
	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		if (c->vqs[i] != NULL) {
			vd_vhost_vq_flush(c->vqs[i]->vq);
		}
	}
	blk_free_vqs(c);
	blk_put_channel(c);
	if (c->closing || c->removed) {
		blk_close_bdev(c);
	}
	c->started = false;
	c->stop_done = NULL;
	VD_INFOLOG(vhost_blk, "%s: stopped\n", c->name);
	done(c->stop_dev, 0);
}

static void
blk_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct blk_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	uint32_t i;

	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		if (c->vqs[i] != NULL) {
			vd_poller_unregister(&c->vqs[i]->poller);
		}
	}
	c->stop_dev = dev;
	c->stop_done = done;
	blk_stop_check(c);
}

static int
blk_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t offset, uint32_t len)
{
	struct blk_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	return blk_config_read(&c->geom, buf, offset, len);
}

static const struct vd_vhost_dev_ops g_blk_ops_template = {
	.type = "blk",
	.max_queues = VD_VHOST_BLK_MAX_QUEUES,
	.get_config = blk_get_config,
	.start = blk_start,
	.stop = blk_stop,
};

/* Bdev events (data thread: the descriptor was opened there). */
static void
blk_bdev_event(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	struct blk_ctrlr *c = ctx;

	if (type != VD_BDEV_EVENT_REMOVE) {
		VD_NOTICELOG("%s: bdev %s event %d ignored (the guest keeps the old size)\n",
			     c->name, c->bdev_name, (int)type);
		return;
	}
	VD_WARNLOG("%s: bdev %s hot-removed; requests now fail with IOERR\n", c->name,
		   c->bdev_name);
	c->removed = true;
	if (c->outstanding == 0 && c->stop_done == NULL) {
		blk_close_bdev(c);
	}
}

/* Create / delete (control thread, with messages to the data thread) ---------------------- */

static void
blk_ctrlr_free(struct blk_ctrlr *c)
{
	free(c);
}

static void
blk_unregistered(void *arg)
{
	struct blk_ctrlr *c = arg;
	vd_vhost_blk_done_cb cb = c->cb;
	void *cb_arg = c->cb_arg;
	int rc = c->cb_rc;

	TAILQ_REMOVE(&g_ctrlrs, c, link);
	VD_NOTICELOG("vhost-blk controller %s deleted\n", c->name);
	blk_ctrlr_free(c);
	if (cb != NULL) {
		cb(cb_arg, rc);
	}
	if (g_finishing) {
		blk_fini_step();
	}
}

static void
blk_unregister(struct blk_ctrlr *c)
{
	int rc;

	c->state = BLK_CTRLR_DELETING;
	rc = vd_vhost_dev_unregister(c->vdev, blk_unregistered, c);
	if (rc != 0) {
		/* Only -EBUSY: someone else is already unregistering the device. */
		VD_ERRLOG("%s: cannot unregister: %s\n", c->name, strerror(-rc));
	}
}

static void
blk_open_done(void *arg)
{
	struct blk_ctrlr *c = arg;
	vd_vhost_blk_done_cb cb = c->cb;

	if (c->open_rc != 0) {
		VD_ERRLOG("%s: cannot open bdev %s: %s\n", c->name, c->bdev_name,
			  strerror(-c->open_rc));
		c->cb_rc = c->open_rc;
		blk_unregister(c);
		return;
	}
	c->state = BLK_CTRLR_READY;
	c->cb = NULL;
	VD_NOTICELOG("vhost-blk controller %s: bdev %s%s, socket %s\n", c->name, c->bdev_name,
		     c->geom.readonly ? " (read-only)" : "", vd_vhost_dev_get_socket_path(c->vdev));
	if (cb != NULL) {
		cb(c->cb_arg, 0);
	}
	if (g_finishing) {
		blk_fini_step();
	}
}

static void
blk_open_msg(void *arg)
{
	struct blk_ctrlr *c = arg;
	char claimer[sizeof(c->name) + 32];
	int rc;

	rc = vd_bdev_open_ext(c->bdev_name, true, blk_bdev_event, c, &c->desc);
	if (rc == 0) {
		snprintf(claimer, sizeof(claimer), "vhost-blk controller %s", c->name);
		rc = vd_bdev_claim(c->desc, claimer);
		if (rc != 0) {
			vd_bdev_close(c->desc);
			c->desc = NULL;
		}
	}
	c->open_rc = rc;
	if (vd_thread_send_msg(c->ctrl_thread, blk_open_done, c) != 0) {
		VD_ERRLOG("%s: cannot message the control thread\n", c->name);
	}
}

static bool
blk_name_valid(const char *name)
{
	return name != NULL && name[0] != '\0' && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static uint32_t
blk_limit_sectors(uint64_t max_blocks, uint32_t block_size)
{
	uint64_t spb = block_size / VIRTIO_BLK_SECTOR_SIZE;
	uint64_t s = BLK_DEFAULT_MAX_DISCARD_SECTORS;

	if (max_blocks != 0 && max_blocks < s / spb) {
		s = max_blocks * spb;
	}
	return (uint32_t)(s - s % spb);
}

static int
blk_geom_init(struct blk_geom *g, struct vd_bdev *bdev, bool readonly)
{
	uint32_t bs = vd_bdev_get_block_size(bdev);

	if (bs < VIRTIO_BLK_SECTOR_SIZE || !VD_IS_POW2(bs)) {
		VD_ERRLOG("bdev %s: block size %u cannot be exported over virtio-blk\n",
			  vd_bdev_get_name(bdev), bs);
		return -EINVAL;
	}
	memset(g, 0, sizeof(*g));
	g->num_blocks = vd_bdev_get_num_blocks(bdev);
	g->block_size = bs;
	g->num_queues = VD_VHOST_BLK_MAX_QUEUES;
	g->readonly = readonly;
	g->flush = vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_FLUSH);
	g->write_cache = g->flush && vd_bdev_has_write_cache(bdev);
	g->unmap = vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_UNMAP);
	g->write_zeroes = vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_WRITE_ZEROES);
	g->max_discard_sectors = blk_limit_sectors(vd_bdev_get_max_unmap_blocks(bdev), bs);
	g->max_write_zeroes_sectors =
		blk_limit_sectors(vd_bdev_get_max_write_zeroes_blocks(bdev), bs);
	/* 20 bytes, NUL padded; not NUL terminated when the name fills them (virtio 1.2). */
	memcpy(g->serial, vd_bdev_get_name(bdev),
	       VD_MIN(strlen(vd_bdev_get_name(bdev)), sizeof(g->serial)));
	return 0;
}

static int
blk_ctrlr_alloc(const struct vd_vhost_blk_opts *opts, struct vd_bdev *bdev, struct blk_ctrlr **out)
{
	struct blk_ctrlr *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	if (!vd_strcpy_trunc(c->name, sizeof(c->name), opts->name) ||
	    !vd_strcpy_trunc(c->bdev_name, sizeof(c->bdev_name), vd_bdev_get_name(bdev))) {
		free(c);
		return -ENAMETOOLONG;
	}
	rc = blk_geom_init(&c->geom, bdev, opts->readonly);
	if (rc != 0) {
		free(c);
		return rc;
	}
	if (opts->cpumask != NULL) {
		vd_cpuset_copy(&c->cpumask, opts->cpumask);
		c->has_cpumask = true;
	}
	c->ops = g_blk_ops_template;
	c->ops.features = blk_features(&c->geom);
	c->ctrl_thread = vd_get_thread();
	*out = c;
	return 0;
}

int
vd_vhost_blk_create(const struct vd_vhost_blk_opts *opts, vd_vhost_blk_done_cb cb, void *cb_arg)
{
	struct vd_bdev *bdev;
	struct blk_ctrlr *c;
	int rc;

	if (opts == NULL || !blk_name_valid(opts->name) || opts->bdev_name == NULL ||
	    vd_get_thread() == NULL) {
		return -EINVAL;
	}
	if (g_finishing) {
		return -ESHUTDOWN;
	}
	if (blk_ctrlr_find(opts->name) != NULL || vd_vhost_dev_find(opts->name) != NULL) {
		return -EEXIST;
	}
	bdev = vd_bdev_get_by_name(opts->bdev_name);
	if (bdev == NULL) {
		return -ENODEV;
	}
	if (vd_bdev_is_claimed(bdev)) {
		VD_ERRLOG("bdev %s is already claimed by %s\n", opts->bdev_name,
			  vd_bdev_get_claimer(bdev));
		return -EPERM;
	}
	rc = blk_ctrlr_alloc(opts, bdev, &c);
	if (rc != 0) {
		return rc;
	}
	rc = vd_vhost_dev_register(c->name, vd_vhost_get_sock_dir(), &c->ops, c,
				   c->has_cpumask ? &c->cpumask : NULL, &c->vdev);
	if (rc != 0) {
		VD_ERRLOG("%s: cannot create the vhost-user device: %s\n", c->name, strerror(-rc));
		blk_ctrlr_free(c);
		return rc;
	}
	c->state = BLK_CTRLR_CREATING;
	c->cb = cb;
	c->cb_arg = cb_arg;
	TAILQ_INSERT_TAIL(&g_ctrlrs, c, link);
	rc = vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), blk_open_msg, c);
	if (rc != 0) {
		c->cb_rc = rc;
		blk_unregister(c);
	}
	return 0;
}

static void
blk_close_done(void *arg)
{
	blk_unregister(arg);
}

/* Data thread: no new start; release the bdev now if stopped, else at the end of the stop. */
static void
blk_close_msg(void *arg)
{
	struct blk_ctrlr *c = arg;

	c->closing = true;
	if (!c->started) {
		blk_close_bdev(c);
	}
	if (vd_thread_send_msg(c->ctrl_thread, blk_close_done, c) != 0) {
		VD_ERRLOG("%s: cannot message the control thread\n", c->name);
	}
}

int
vd_vhost_blk_delete(const char *name, vd_vhost_blk_done_cb cb, void *cb_arg)
{
	struct blk_ctrlr *c = blk_ctrlr_find(name);
	int rc;

	if (c == NULL) {
		return -ENODEV;
	}
	if (c->state != BLK_CTRLR_READY) {
		return -EBUSY;
	}
	c->state = BLK_CTRLR_DELETING;
	c->cb = cb;
	c->cb_arg = cb_arg;
	c->cb_rc = 0;
	rc = vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), blk_close_msg, c);
	if (rc != 0) {
		c->state = BLK_CTRLR_READY;
		c->cb = NULL;
		return rc;
	}
	return 0;
}

/* Lookup and introspection (control thread) ------------------------------------------------ */

struct blk_ctrlr *
blk_ctrlr_find(const char *name)
{
	struct blk_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (name != NULL && strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

struct blk_ctrlr *
blk_ctrlr_next(struct blk_ctrlr *prev)
{
	return prev == NULL ? TAILQ_FIRST(&g_ctrlrs) : TAILQ_NEXT(prev, link);
}

bool
vd_vhost_blk_exists(const char *name)
{
	return blk_ctrlr_find(name) != NULL;
}

/* Subsystem -------------------------------------------------------------------------------- */

static void
blk_fini_step(void)
{
	struct blk_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (c->state == BLK_CTRLR_READY) {
			if (vd_vhost_blk_delete(c->name, NULL, NULL) == 0) {
				return;
			}
		} else {
			/* A create or delete in progress calls us again when it ends. */
			return;
		}
	}
	if (TAILQ_EMPTY(&g_ctrlrs)) {
		g_finishing = false;
		vd_subsystem_fini_next();
	}
}

static void
blk_subsystem_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(vhost_blk));
	vd_vhost_init();
	g_finishing = false;
	vd_subsystem_init_next(0);
}

static void
blk_subsystem_fini(void)
{
	g_finishing = true;
	blk_fini_step();
}

static struct vd_subsystem g_blk_subsystem = {
	.name = "vhost_blk",
	.init = blk_subsystem_init,
	.fini = blk_subsystem_fini,
	.write_config_json = blk_write_config_json,
	.depends_on = {"bdev"},
};

struct vd_subsystem *
vd_vhost_blk_subsystem(void)
{
	return &g_blk_subsystem;
}
