/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Block device layer: per-thread channels and the I/O path.
 *
 * Each bdev is an io_device; its channel (struct bdev_channel) holds the module's channel, a
 * fixed pool of BDEV_IO_POOL_SIZE bdev_io objects (one allocation at channel creation, none per
 * I/O), the statistics of the channel and the queues below.  Everything is touched only by the
 * channel's thread: no locks, no atomics on the I/O path.
 *
 * Life of a bdev_io (all on the channel's thread):
 *   free_list --submit--> outstanding (+ module) --vd_bdev_io_complete-->
 *     NOMEM:            parked on nomem_queue, resubmitted after the next completion on the
 *                       channel or by the 1 ms retry poller;
 *     inside submit:    put on deferred, finished by a message to this thread (or the retry
 *                       poller if the message ring is full), so the consumer's callback never
 *                       runs inside its own submit call;
 *     otherwise:        finished now: stats, user callback --vd_bdev_free_io--> free_list
 *                       (and the oldest io_wait entries are called while objects are free).
 * Invariants: num_free + (objects in use) == BDEV_IO_POOL_SIZE; num_outstanding counts
 * ch->outstanding; a bdev_io is on at most one of nomem_queue, deferred, resets.
 *
 * Split I/O: UNMAP/WRITE_ZEROES longer than the module's limit, and WRITE_ZEROES emulated with
 * WRITEs of the shared zero buffer, run as a parent with up to BDEV_SPLIT_MAX_CHILDREN children
 * in flight, taken from the same pool.  The first failing child fails the parent (after the
 * children in flight finish).  Only the parent is counted in the statistics.
 *
 * Latency statistics use vd_thread_get_now(): the tick of the poll iteration that submitted
 * and of the one that completed (no TSC read per I/O), so an I/O completed in the iteration that
 * submitted it counts 0 ticks and the resolution is one iteration of the thread.
 *
 * RESET: if the module supports it, it is submitted like any I/O; otherwise it completes once
 * the channel has no outstanding I/O.  Either way I/O parked for NOMEM is aborted first.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/env.h"
#include "vhostd/util.h"
#include "bdev_internal.h"

#define BDEV_IO_INTERNAL_SIZE	VD_ALIGN_UP(sizeof(struct bdev_io_internal), (size_t)64)

static void bdev_io_finish(struct bdev_io_internal *in);
static void bdev_split_continue(void *arg);

static size_t
bdev_io_elem_size(const struct bdev_internal *bi)
{
	return VD_ALIGN_UP(BDEV_IO_INTERNAL_SIZE + sizeof(struct vd_bdev_io) + bi->driver_ctx_size,
			   (size_t)64);
}

/* Channels --------------------------------------------------------------------------------- */

static int
bdev_channel_create(void *io_device, void *ctx_buf)
{
	struct vd_bdev *bdev = io_device;
	struct bdev_channel *ch = ctx_buf;
	size_t elem = bdev_io_elem_size(bdev->internal);
	struct bdev_io_internal *in;
	int i;

	ch->bdev = bdev;
	ch->submit = bdev->fn_table->submit_request;
	ch->blocklen_shift = bdev->internal->blocklen_shift;
	TAILQ_INIT(&ch->outstanding);
	TAILQ_INIT(&ch->nomem_queue);
	TAILQ_INIT(&ch->deferred);
	TAILQ_INIT(&ch->resets);
	if (posix_memalign(&ch->pool, 64, elem * BDEV_IO_POOL_SIZE) != 0) {
		VD_ERRLOG("bdev %s: cannot allocate %zu bytes of bdev_io pool\n", bdev->name,
			  elem * BDEV_IO_POOL_SIZE);
		return -ENOMEM;
	}
	memset(ch->pool, 0, elem * BDEV_IO_POOL_SIZE);
	ch->module_ch = bdev->fn_table->get_io_channel(bdev->ctxt);
	if (ch->module_ch == NULL) {
		VD_ERRLOG("bdev %s: module %s gave no channel\n", bdev->name, bdev->module->name);
		free(ch->pool);
		return -ENOMEM;
	}
	for (i = BDEV_IO_POOL_SIZE - 1; i >= 0; i--) {
		in = (struct bdev_io_internal *)((char *)ch->pool + (size_t)i * elem);
		in->io = (struct vd_bdev_io *)((char *)in + BDEV_IO_INTERNAL_SIZE);
		in->io->internal = in;
		in->io->bdev = bdev;
		in->ch = ch;
		in->next_free = ch->free_list;
		ch->free_list = in;
	}
	ch->num_free = BDEV_IO_POOL_SIZE;
	return 0;
}

static void
bdev_channel_destroy(void *io_device, void *ctx_buf)
{
	struct vd_bdev *bdev = io_device;
	struct bdev_internal *bi = bdev->internal;
	struct bdev_channel *ch = ctx_buf;

	vd_poller_unregister(&ch->nomem_poller);
	pthread_mutex_lock(&bi->mutex);
	bdev_stat_add(&bi->closed_stat, &ch->stat);
	pthread_mutex_unlock(&bi->mutex);
	vd_put_io_channel(ch->module_ch);
	if (ch->num_free != BDEV_IO_POOL_SIZE) {
		/* A consumer bug: freeing would turn it into a use-after-free. */
		VD_ERRLOG("bdev %s: channel released with %u I/O not freed; leaking its pool\n",
			  bi->name, BDEV_IO_POOL_SIZE - ch->num_free);
		return;
	}
	free(ch->pool);
}

void
bdev_io_device_register(struct vd_bdev *bdev)
{
	vd_io_device_register(bdev, bdev_channel_create, bdev_channel_destroy,
			      sizeof(struct bdev_channel), bdev->name);
}

struct vd_io_channel *
vd_bdev_get_io_channel(struct vd_bdev_desc *desc)
{
	return vd_get_io_channel(desc->bdev);
}

/* Pool, wait queue, retry poller ----------------------------------------------------------- */

static inline struct bdev_io_internal *
io_get(struct bdev_channel *ch)
{
	struct bdev_io_internal *in = ch->free_list;

	if (vd_unlikely(in == NULL)) {
		return NULL;
	}
	ch->free_list = in->next_free;
	ch->num_free--;
	return in;
}

/* Call waiters (oldest first) while bdev_io objects are free; each waiter at most once. */
static void
io_wait_run(struct bdev_channel *ch)
{
	struct vd_bdev_io_wait_entry *e, *last = ch->wait_tail;

	while (ch->num_free > 0 && (e = ch->wait_head) != NULL) {
		ch->wait_head = e->next;
		if (ch->wait_head == NULL) {
			ch->wait_tail = NULL;
		}
		e->next = NULL;
		e->cb_fn(e->cb_arg);
		if (e == last) {
			break;
		}
	}
}

void
vd_bdev_free_io(struct vd_bdev_io *bdev_io)
{
	struct bdev_io_internal *in = bdev_io->internal;
	struct bdev_channel *ch = in->ch;

	in->next_free = ch->free_list;
	ch->free_list = in;
	ch->num_free++;
	if (vd_unlikely(ch->wait_head != NULL)) {
		io_wait_run(ch);
	}
}

static void
io_wait_push(struct bdev_channel *ch, struct vd_bdev_io_wait_entry *e)
{
	e->next = NULL;
	if (ch->wait_tail != NULL) {
		ch->wait_tail->next = e;
	} else {
		ch->wait_head = e;
	}
	ch->wait_tail = e;
}

int
vd_bdev_queue_io_wait(struct vd_bdev *bdev, struct vd_io_channel *ioch,
		      struct vd_bdev_io_wait_entry *entry)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);

	if (entry == NULL || entry->cb_fn == NULL || entry->bdev != bdev || ch->bdev != bdev) {
		return -EINVAL;
	}
	io_wait_push(ch, entry);
	return 0;
}

static void nomem_retry(struct bdev_channel *ch);

/* Finish every I/O that completed inside a submit call (or was aborted). */
static void
deferred_drain(struct bdev_channel *ch)
{
	struct bdev_io_tailq local = TAILQ_HEAD_INITIALIZER(local);
	struct bdev_io_internal *in;

	TAILQ_CONCAT(&local, &ch->deferred, qlink);
	while ((in = TAILQ_FIRST(&local)) != NULL) {
		TAILQ_REMOVE(&local, in, qlink);
		bdev_io_finish(in);
	}
}

static void
deferred_drain_msg(void *arg)
{
	struct bdev_channel *ch = arg;

	ch->deferred_msg = false;
	deferred_drain(ch);
}

/* 1 ms safety net: parked and deferred I/O always make progress, even with no completions. */
static int
retry_poll(void *arg)
{
	struct bdev_channel *ch = arg;

	if (!TAILQ_EMPTY(&ch->deferred) && !ch->deferred_msg) {
		deferred_drain(ch);
	}
	if (!TAILQ_EMPTY(&ch->nomem_queue)) {
		nomem_retry(ch);
	}
	if (TAILQ_EMPTY(&ch->nomem_queue) && TAILQ_EMPTY(&ch->deferred)) {
		vd_poller_unregister(&ch->nomem_poller);
	}
	return VD_POLLER_BUSY;
}

static void
retry_poller_start(struct bdev_channel *ch)
{
	if (ch->nomem_poller != NULL) {
		return;
	}
	ch->nomem_poller = vd_poller_register(retry_poll, ch, BDEV_NOMEM_RETRY_US, "bdev_retry");
	if (ch->nomem_poller == NULL) {
		VD_ERRLOG("bdev %s: cannot start the retry poller\n", ch->bdev->internal->name);
	}
}

static void
bdev_io_defer(struct bdev_io_internal *in)
{
	struct bdev_channel *ch = in->ch;

	TAILQ_INSERT_TAIL(&ch->deferred, in, qlink);
	if (ch->deferred_msg) {
		return;
	}
	if (vd_thread_send_msg(vd_get_thread(), deferred_drain_msg, ch) == 0) {
		ch->deferred_msg = true;
	} else {
		retry_poller_start(ch);
	}
}

/* Submission ------------------------------------------------------------------------------- */

static inline void
module_submit(struct bdev_channel *ch, struct bdev_io_internal *in)
{
	ch->in_submit++;
	ch->submit(ch->module_ch, in->io);
	ch->in_submit--;
}

static inline void
bdev_io_start(struct bdev_io_internal *in)
{
	struct bdev_channel *ch = in->ch;

	in->queued = true;
	TAILQ_INSERT_TAIL(&ch->outstanding, in, link);
	ch->num_outstanding++;
	module_submit(ch, in);
}

static void
nomem_retry(struct bdev_channel *ch)
{
	struct bdev_io_internal *in;

	ch->nomem_hit = false;
	while (!ch->nomem_hit && (in = TAILQ_FIRST(&ch->nomem_queue)) != NULL) {
		TAILQ_REMOVE(&ch->nomem_queue, in, qlink);
		module_submit(ch, in);
	}
}

static inline struct bdev_io_internal *
bdev_io_prep(struct vd_bdev_desc *desc, struct bdev_channel *ch, enum vd_bdev_io_type type,
	     uint64_t offset, uint64_t num, vd_bdev_io_completion_cb cb, void *cb_arg)
{
	struct bdev_io_internal *in = io_get(ch);
	struct vd_bdev_io *io;

	if (vd_unlikely(in == NULL)) {
		return NULL;
	}
	io = in->io;
	io->type = type;
	io->offset_blocks = offset;
	io->num_blocks = num;
	io->iovs = NULL;
	io->iovcnt = 0;
	in->desc = desc;
	in->cb = cb;
	in->cb_arg = cb_arg;
	in->status = VD_BDEV_IO_STATUS_PENDING;
	in->errnum = 0;
	in->parent = NULL;
	in->submit_tsc = vd_thread_get_now();
	return in;
}

static inline bool
range_ok(const struct vd_bdev *bdev, uint64_t offset, uint64_t num)
{
	return num <= bdev->blockcnt && offset <= bdev->blockcnt - num;
}

/* Checks shared by every submit call.  \return 0 or the negative errno to return. */
static inline int
bdev_check_submit(struct vd_bdev_desc *desc, struct bdev_channel *ch, uint64_t offset,
		  uint64_t num, bool needs_write)
{
	assert(ch->bdev == desc->bdev);
	assert(desc->thread == vd_get_thread());
	if (vd_unlikely(!range_ok(desc->bdev, offset, num))) {
		return -EINVAL;
	}
	if (vd_unlikely(needs_write && !desc->write)) {
		return -EBADF;
	}
	if (vd_unlikely(bdev_is_removing(desc->bdev))) {
		return -ENODEV;
	}
	return 0;
}

static inline bool
iov_len_ok(const struct iovec *iov, int iovcnt, uint64_t expect)
{
	uint64_t len = 0;
	int i;

	if (vd_unlikely(iov == NULL || iovcnt <= 0)) {
		return false;
	}
	for (i = 0; i < iovcnt; i++) {
		if (vd_unlikely(__builtin_add_overflow(len, iov[i].iov_len, &len))) {
			return false;
		}
	}
	return len == expect;
}

static int
bdev_rw(struct vd_bdev_desc *desc, struct vd_io_channel *ioch, enum vd_bdev_io_type type,
	struct iovec *iov, int iovcnt, void *buf, uint64_t offset, uint64_t num,
	vd_bdev_io_completion_cb cb, void *cb_arg)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);
	struct bdev_io_internal *in;
	int rc;

	rc = bdev_check_submit(desc, ch, offset, num, type == VD_BDEV_IO_TYPE_WRITE);
	if (vd_unlikely(rc != 0 || num == 0)) {
		return rc != 0 ? rc : -EINVAL;
	}
	if (iov == NULL) {
		if (vd_unlikely(buf == NULL)) {
			return -EINVAL;
		}
	} else if (vd_unlikely(!iov_len_ok(iov, iovcnt, num << ch->blocklen_shift))) {
		return -EINVAL;
	}
	in = bdev_io_prep(desc, ch, type, offset, num, cb, cb_arg);
	if (vd_unlikely(in == NULL)) {
		return -ENOMEM;
	}
	if (iov == NULL) {
		in->iov.iov_base = buf;
		in->iov.iov_len = num << ch->blocklen_shift;
		iov = &in->iov;
		iovcnt = 1;
	}
	in->io->iovs = iov;
	in->io->iovcnt = iovcnt;
	bdev_io_start(in);
	return 0;
}

int
vd_bdev_read_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, void *buf,
		    uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
		    void *cb_arg)
{
	return bdev_rw(desc, ch, VD_BDEV_IO_TYPE_READ, NULL, 0, buf, offset_blocks, num_blocks,
		       cb, cb_arg);
}

int
vd_bdev_readv_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, struct iovec *iov,
		     int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
		     vd_bdev_io_completion_cb cb, void *cb_arg)
{
	if (iov == NULL) {
		return -EINVAL;
	}
	return bdev_rw(desc, ch, VD_BDEV_IO_TYPE_READ, iov, iovcnt, NULL, offset_blocks,
		       num_blocks, cb, cb_arg);
}

int
vd_bdev_write_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, void *buf,
		     uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
		     void *cb_arg)
{
	return bdev_rw(desc, ch, VD_BDEV_IO_TYPE_WRITE, NULL, 0, buf, offset_blocks, num_blocks,
		       cb, cb_arg);
}

int
vd_bdev_writev_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, struct iovec *iov,
		      int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
		      vd_bdev_io_completion_cb cb, void *cb_arg)
{
	if (iov == NULL) {
		return -EINVAL;
	}
	return bdev_rw(desc, ch, VD_BDEV_IO_TYPE_WRITE, iov, iovcnt, NULL, offset_blocks,
		       num_blocks, cb, cb_arg);
}

int
vd_bdev_flush_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ioch,
		     uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
		     void *cb_arg)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);
	struct bdev_io_internal *in;
	int rc;

	rc = bdev_check_submit(desc, ch, offset_blocks, num_blocks, false);
	if (rc != 0) {
		return rc;
	}
	if (!desc->bdev->internal->supported[VD_BDEV_IO_TYPE_FLUSH]) {
		return -ENOTSUP;
	}
	in = bdev_io_prep(desc, ch, VD_BDEV_IO_TYPE_FLUSH, offset_blocks, num_blocks, cb, cb_arg);
	if (in == NULL) {
		return -ENOMEM;
	}
	bdev_io_start(in);
	return 0;
}

/* Split I/O -------------------------------------------------------------------------------- */

static int
bdev_split_start(struct bdev_io_internal *in, enum vd_bdev_io_type child_type, uint64_t max)
{
	struct bdev_channel *ch = in->ch;

	in->split_next = in->io->offset_blocks;
	in->split_end = in->io->offset_blocks + in->io->num_blocks;
	in->split_max = max;
	in->split_outstanding = 0;
	in->split_errnum = 0;
	in->child_type = child_type;
	in->waitent.bdev = ch->bdev;
	in->waitent.cb_fn = bdev_split_continue;
	in->waitent.cb_arg = in;
	in->queued = true;
	TAILQ_INSERT_TAIL(&ch->outstanding, in, link);
	ch->num_outstanding++;
	/* Children completing inside this call are deferred: the parent cannot finish here. */
	ch->in_submit++;
	bdev_split_continue(in);
	ch->in_submit--;
	return 0;
}

static void
bdev_split_continue(void *arg)
{
	struct bdev_io_internal *in = arg, *child;
	struct bdev_channel *ch = in->ch;
	uint64_t n;

	while (in->split_next < in->split_end && in->split_outstanding < BDEV_SPLIT_MAX_CHILDREN &&
	       in->split_errnum == 0) {
		n = VD_MIN(in->split_end - in->split_next, in->split_max);
		child = bdev_io_prep(in->desc, ch, in->child_type, in->split_next, n, NULL, NULL);
		if (child == NULL) {
			if (in->split_outstanding == 0) {
				io_wait_push(ch, &in->waitent);
			}
			return;	/* a child completion or a freed bdev_io continues */
		}
		child->parent = in->io;
		if (in->child_type == VD_BDEV_IO_TYPE_WRITE) {
			child->iov.iov_base = g_bdev_zero_buf;
			child->iov.iov_len = n << ch->blocklen_shift;
			child->io->iovs = &child->iov;
			child->io->iovcnt = 1;
		}
		in->split_next += n;
		in->split_outstanding++;
		bdev_io_start(child);
	}
}

static void
bdev_split_child_done(struct bdev_io_internal *child)
{
	struct bdev_io_internal *parent = child->parent->internal;

	if (child->status != VD_BDEV_IO_STATUS_SUCCESS && parent->split_errnum == 0) {
		parent->split_errnum = child->errnum != 0 ? child->errnum : -EIO;
	}
	parent->split_outstanding--;
	vd_bdev_free_io(child->io);
	if (parent->split_outstanding > 0) {
		if (parent->split_errnum == 0) {
			bdev_split_continue(parent);
		}
		return;
	}
	if (parent->split_errnum == 0 && parent->split_next < parent->split_end) {
		bdev_split_continue(parent);
		if (parent->split_outstanding > 0 || parent->split_next < parent->split_end) {
			return;
		}
	}
	parent->status = parent->split_errnum == 0 ? VD_BDEV_IO_STATUS_SUCCESS :
			 VD_BDEV_IO_STATUS_FAILED;
	parent->errnum = parent->split_errnum;
	bdev_io_finish(parent);
}

static int
bdev_zeroing_submit(struct vd_bdev_desc *desc, struct vd_io_channel *ioch,
		    enum vd_bdev_io_type type, uint64_t offset, uint64_t num,
		    vd_bdev_io_completion_cb cb, void *cb_arg)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);
	struct bdev_internal *bi = desc->bdev->internal;
	enum vd_bdev_io_type child = type;
	struct bdev_io_internal *in;
	uint64_t max;
	int rc;

	rc = bdev_check_submit(desc, ch, offset, num, true);
	if (rc != 0 || num == 0) {
		return rc != 0 ? rc : -EINVAL;
	}
	max = type == VD_BDEV_IO_TYPE_UNMAP ? desc->bdev->max_unmap_blocks :
	      desc->bdev->max_write_zeroes_blocks;
	if (!bi->supported[type]) {
		if (type != VD_BDEV_IO_TYPE_WRITE_ZEROES || !bi->supported[VD_BDEV_IO_TYPE_WRITE]) {
			return -ENOTSUP;
		}
		if (g_bdev_zero_buf == NULL) {
			return -ENOMEM;
		}
		child = VD_BDEV_IO_TYPE_WRITE;
		max = BDEV_ZERO_BUF_SIZE >> ch->blocklen_shift;
	}
	in = bdev_io_prep(desc, ch, type, offset, num, cb, cb_arg);
	if (in == NULL) {
		return -ENOMEM;
	}
	if (child == type && (max == 0 || num <= max)) {
		bdev_io_start(in);
		return 0;
	}
	return bdev_split_start(in, child, max);
}

int
vd_bdev_unmap_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, uint64_t offset_blocks,
		     uint64_t num_blocks, vd_bdev_io_completion_cb cb, void *cb_arg)
{
	return bdev_zeroing_submit(desc, ch, VD_BDEV_IO_TYPE_UNMAP, offset_blocks, num_blocks, cb,
				   cb_arg);
}

int
vd_bdev_write_zeroes_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
			    uint64_t offset_blocks, uint64_t num_blocks,
			    vd_bdev_io_completion_cb cb, void *cb_arg)
{
	return bdev_zeroing_submit(desc, ch, VD_BDEV_IO_TYPE_WRITE_ZEROES, offset_blocks,
				   num_blocks, cb, cb_arg);
}

/* Reset ------------------------------------------------------------------------------------ */

/* Abort every I/O parked for NOMEM; their callbacks run from the deferred list. */
static void
nomem_abort_all(struct bdev_channel *ch)
{
	struct bdev_io_internal *in;

	while ((in = TAILQ_FIRST(&ch->nomem_queue)) != NULL) {
		TAILQ_REMOVE(&ch->nomem_queue, in, qlink);
		in->status = VD_BDEV_IO_STATUS_ABORTED;
		in->errnum = -ECANCELED;
		bdev_io_defer(in);
	}
}

/* The channel drained: complete the emulated resets (by the deferred list). */
static void
resets_complete(struct bdev_channel *ch)
{
	struct bdev_io_internal *in;

	while ((in = TAILQ_FIRST(&ch->resets)) != NULL) {
		TAILQ_REMOVE(&ch->resets, in, qlink);
		in->status = VD_BDEV_IO_STATUS_SUCCESS;
		bdev_io_defer(in);
	}
}

int
vd_bdev_reset(struct vd_bdev_desc *desc, struct vd_io_channel *ioch, vd_bdev_io_completion_cb cb,
	      void *cb_arg)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);
	struct bdev_io_internal *in;
	int rc;

	rc = bdev_check_submit(desc, ch, 0, 0, false);
	if (rc != 0) {
		return rc;
	}
	in = bdev_io_prep(desc, ch, VD_BDEV_IO_TYPE_RESET, 0, 0, cb, cb_arg);
	if (in == NULL) {
		return -ENOMEM;
	}
	nomem_abort_all(ch);
	if (desc->bdev->internal->supported[VD_BDEV_IO_TYPE_RESET]) {
		bdev_io_start(in);
		return 0;
	}
	in->queued = false;
	TAILQ_INSERT_TAIL(&ch->resets, in, qlink);
	if (ch->num_outstanding == 0) {
		resets_complete(ch);
	}
	return 0;
}

/* Completion ------------------------------------------------------------------------------- */

static inline void
stat_update(struct bdev_channel *ch, const struct bdev_io_internal *in)
{
	struct vd_bdev_io_stat *s = &ch->stat;
	uint64_t bytes = in->io->num_blocks << ch->blocklen_shift;
	uint64_t ticks;

	if (vd_unlikely(in->status != VD_BDEV_IO_STATUS_SUCCESS)) {
		s->num_errors++;
		return;
	}
	ticks = vd_thread_get_now() - in->submit_tsc;
	switch (in->io->type) {
	case VD_BDEV_IO_TYPE_READ:
		s->num_read_ops++;
		s->bytes_read += bytes;
		s->read_latency_ticks += ticks;
		s->max_read_latency_ticks = VD_MAX(s->max_read_latency_ticks, ticks);
		break;
	case VD_BDEV_IO_TYPE_WRITE:
		s->num_write_ops++;
		s->bytes_written += bytes;
		s->write_latency_ticks += ticks;
		s->max_write_latency_ticks = VD_MAX(s->max_write_latency_ticks, ticks);
		break;
	case VD_BDEV_IO_TYPE_UNMAP:
		s->num_unmap_ops++;
		s->bytes_unmapped += bytes;
		s->unmap_latency_ticks += ticks;
		break;
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		s->num_write_zeroes_ops++;
		s->bytes_zeroed += bytes;
		s->write_zeroes_latency_ticks += ticks;
		break;
	case VD_BDEV_IO_TYPE_FLUSH:
		s->num_flush_ops++;
		s->flush_latency_ticks += ticks;
		break;
	default:
		s->num_reset_ops++;
		break;
	}
}

static void
bdev_io_finish(struct bdev_io_internal *in)
{
	struct bdev_channel *ch = in->ch;

	if (vd_likely(in->queued)) {
		in->queued = false;
		TAILQ_REMOVE(&ch->outstanding, in, link);
		ch->num_outstanding--;
	}
	if (vd_unlikely(in->parent != NULL)) {
		bdev_split_child_done(in);
	} else {
		stat_update(ch, in);
		in->cb(in->io, in->status == VD_BDEV_IO_STATUS_SUCCESS, in->cb_arg);
	}
	if (vd_unlikely(!TAILQ_EMPTY(&ch->nomem_queue))) {
		nomem_retry(ch);
	}
	if (vd_unlikely(!TAILQ_EMPTY(&ch->resets)) && ch->num_outstanding == 0) {
		resets_complete(ch);
	}
}

void
vd_bdev_io_complete(struct vd_bdev_io *bdev_io, enum vd_bdev_io_status status)
{
	struct bdev_io_internal *in = bdev_io->internal;
	struct bdev_channel *ch = in->ch;

	assert(in->queued);
	if (vd_unlikely(status == VD_BDEV_IO_STATUS_NOMEM)) {
		TAILQ_INSERT_TAIL(&ch->nomem_queue, in, qlink);
		if (ch->in_submit != 0) {
			ch->nomem_hit = true;
		}
		retry_poller_start(ch);
		return;
	}
	in->status = status;
	if (vd_unlikely(ch->in_submit != 0)) {
		bdev_io_defer(in);
		return;
	}
	bdev_io_finish(in);
}

void
vd_bdev_io_complete_errno(struct vd_bdev_io *bdev_io, int errno_val)
{
	if (errno_val == 0) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_SUCCESS);
	} else if (errno_val == -ENOMEM) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
	} else {
		bdev_io->internal->errnum = errno_val < 0 ? errno_val : -errno_val;
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_FAILED);
	}
}

/* Accessors -------------------------------------------------------------------------------- */

enum vd_bdev_io_status
vd_bdev_io_get_status(const struct vd_bdev_io *bdev_io)
{
	return (enum vd_bdev_io_status)bdev_io->internal->status;
}

int
vd_bdev_io_get_errno(const struct vd_bdev_io *bdev_io)
{
	const struct bdev_io_internal *in = bdev_io->internal;

	if (in->status == VD_BDEV_IO_STATUS_SUCCESS) {
		return 0;
	}
	return in->errnum != 0 ? in->errnum : -EIO;
}

enum vd_bdev_io_type
vd_bdev_io_get_type(const struct vd_bdev_io *bdev_io)
{
	return bdev_io->type;
}

struct vd_io_channel *
vd_bdev_io_get_io_channel(struct vd_bdev_io *bdev_io)
{
	return bdev_io->internal->ch->module_ch;
}

uint64_t
vd_bdev_io_get_length(const struct vd_bdev_io *bdev_io)
{
	return bdev_io->num_blocks << bdev_io->internal->ch->blocklen_shift;
}

/* Statistics ------------------------------------------------------------------------------- */

void
vd_bdev_get_io_channel_stat(struct vd_io_channel *ioch, struct vd_bdev_io_stat *stat)
{
	struct bdev_channel *ch = vd_io_channel_get_ctx(ioch);

	*stat = ch->stat;
}

struct device_stat_ctx {
	struct vd_bdev			*bdev;
	struct vd_bdev_io_stat		*stat;
	vd_bdev_get_device_stat_cb	cb;
	void				*cb_arg;
};

static void
device_stat_channel(struct vd_io_channel_iter *i)
{
	struct device_stat_ctx *ctx = vd_io_channel_iter_get_ctx(i);
	struct bdev_channel *ch = vd_io_channel_get_ctx(vd_io_channel_iter_get_channel(i));

	bdev_stat_add(ctx->stat, &ch->stat);
	vd_for_each_channel_continue(i, 0);
}

static void
device_stat_done(struct vd_io_channel_iter *i, int status)
{
	struct device_stat_ctx *ctx = vd_io_channel_iter_get_ctx(i);

	ctx->cb(ctx->bdev, ctx->stat, ctx->cb_arg, status);
	free(ctx);
}

void
vd_bdev_get_device_stat(struct vd_bdev *bdev, struct vd_bdev_io_stat *stat,
			vd_bdev_get_device_stat_cb cb, void *cb_arg)
{
	struct bdev_internal *bi = bdev->internal;
	struct device_stat_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		cb(bdev, stat, cb_arg, -ENOMEM);
		return;
	}
	ctx->bdev = bdev;
	ctx->stat = stat;
	ctx->cb = cb;
	ctx->cb_arg = cb_arg;
	pthread_mutex_lock(&bi->mutex);
	*stat = bi->closed_stat;
	pthread_mutex_unlock(&bi->mutex);
	vd_for_each_channel(bdev, device_stat_channel, ctx, device_stat_done);
}
