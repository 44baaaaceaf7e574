/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Split virtqueue processing (virtio 1.2 §2.7) for the data path.
 *
 * The guest is untrusted: every ring index and descriptor is read once into a local copy and
 * range-checked.  Policies (documented in doc/vhost-user.md):
 *  - avail->idx ahead of last_avail_idx by more than the queue size: the queue is broken
 *    (logged once, dequeue returns -EIO) until the front-end sets the ring up again;
 *  - avail head >= queue size: used element {head, 0} is written, the ring keeps working;
 *  - an avail head that is still outstanding: the queue is broken (completing it would
 *    complete a request twice);
 *  - a malformed chain (index >= table size, more descriptors than the table holds = loop or
 *    over-long, nested or NEXT|INDIRECT indirect, indirect table not a multiple of 16 or outside
 *    one memory region, a readable descriptor after a writable one, any byte outside guest
 *    memory, more segments than the request holds, lengths summing over 4 GiB) is completed by
 *    the library with length 0; only that request fails.
 *
 * Invariants while started: outstanding == number of heads with head_busy[head] == 1;
 * batch_count <= size; used_idx - used->idx == batch_count (modulo 2^16).
 *
 * Notifications: we poll, so we ask the guest not to kick (VRING_USED_F_NO_NOTIFY, or with
 * EVENT_IDX an avail_event that stays just behind last_avail_idx).  Interrupts are decided once
 * per flushed batch from used_event (EVENT_IDX) or VRING_AVAIL_F_NO_INTERRUPT.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhost_internal.h"

#define VRING_RL_BURST 10
/* Avail heads read ahead (and their descriptors prefetched) at a time. */
#define VRING_DEQ_CHUNK 64

static inline uint16_t
load_u16_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint16_t
load_u16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
store_u16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline uint16_t *
used_event_ptr(const struct vd_vhost_vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static inline uint16_t *
avail_event_ptr(const struct vd_vhost_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

void
vhost_vq_init(struct vd_vhost_vq *vq, struct vd_vhost_dev *dev, uint16_t idx)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->idx = idx;
	vq->kick_fd = -1;
	vq->call_fd = -1;
	vq->err_fd = -1;
}

void
vhost_vq_unprepare(struct vd_vhost_vq *vq)
{
	free(vq->head_busy);
	free(vq->batch_heads);
	free(vq->resubmit);
	vq->head_busy = NULL;
	vq->batch_heads = NULL;
	vq->resubmit = NULL;
	vq->resubmit_num = 0;
	vq->resubmit_pos = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->mem = NULL;
	vq->inflight = NULL;
	vq->running = false;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
	}
	*fd = -1;
}

void
vhost_vq_reset(struct vd_vhost_vq *vq)
{
	struct vd_vhost_dev *dev = vq->dev;
	uint16_t idx = vq->idx;

	vhost_vq_unprepare(vq);
	close_fd(&vq->kick_fd);
	close_fd(&vq->call_fd);
	close_fd(&vq->err_fd);
	vhost_vq_init(vq, dev, idx);
}

bool
vhost_vq_is_ready(const struct vd_vhost_vq *vq)
{
	return vq->num != 0 && vq->addr_set && vq->kicked && vq->enabled;
}

/*
 * Translate the rings of a ready queue and allocate its per-start arrays (control thread, device
 * stopped).  \return 0, -EFAULT (a ring outside memory or misaligned) or -ENOMEM.
 */
int
vhost_vq_prepare(struct vd_vhost_vq *vq, const struct vhost_mem *mem, uint64_t features)
{
	uint64_t n = vq->num;
	bool event_idx = features & (1ULL << VD_VIRTIO_F_EVENT_IDX);
	uint64_t extra = event_idx ? 2 : 0;

	if ((vq->desc_uva & 15) || (vq->avail_uva & 1) || (vq->used_uva & 3)) {
		return -EFAULT;
	}
	vq->desc = vhost_mem_uva_to_vva(mem, vq->desc_uva, 16 * n);
	vq->avail = vhost_mem_uva_to_vva(mem, vq->avail_uva, 4 + 2 * n + extra);
	vq->used = vhost_mem_uva_to_vva(mem, vq->used_uva, 4 + 8 * n + extra);
	if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL) {
		vhost_vq_unprepare(vq);
		return -EFAULT;
	}
	vq->head_busy = calloc(n, 1);
	vq->batch_heads = calloc(n, sizeof(uint16_t));
	vq->resubmit = calloc(n, sizeof(uint16_t));
	if (vq->head_busy == NULL || vq->batch_heads == NULL || vq->resubmit == NULL) {
		vhost_vq_unprepare(vq);
		return -ENOMEM;
	}
	vq->mem = mem;
	vq->size = (uint16_t)n; /* n == 32768 fits; a u16 size of 0 never happens */
	vq->mask = (uint16_t)(n - 1);
	vq->event_idx = event_idx;
	vq->indirect = features & (1ULL << VD_VIRTIO_F_INDIRECT_DESC);
	vq->broken = false;
	vq->last_avail_idx = vq->base;
	vq->used_idx = load_u16(&vq->used->idx);
	vq->signalled_valid = false;
	vq->batch_count = 0;
	vq->outstanding = 0;
	vq->mem_hint = 0;
	if (event_idx) {
		store_u16(avail_event_ptr(vq), (uint16_t)(vq->last_avail_idx - 1));
	} else {
		store_u16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
	}
	return 0;
}

/* Append the translation of one descriptor to the request. */
static int
chain_add(struct vd_vhost_vq *vq, struct vd_vhost_req *req, const struct vring_desc *d)
{
	uint32_t cnt;
	int rc;

	if (d->len == 0) {
		return 0;
	}
	rc = vhost_mem_gpa_to_iovs_hint(vq->mem, d->addr, d->len, &req->iovs[req->iovcnt],
					req->max_iovs - req->iovcnt, &cnt, &vq->mem_hint);
	if (rc != 0) {
		return rc;
	}
	req->iovcnt += cnt;
	if (d->flags & VRING_DESC_F_WRITE) {
		if (req->write_len > UINT32_MAX - d->len) {
			return -EINVAL;
		}
		req->write_len += d->len;
	} else {
		if (req->num_readable != req->iovcnt - cnt) {
			return -EINVAL; /* readable after writable */
		}
		if (req->read_len > UINT32_MAX - d->len) {
			return -EINVAL;
		}
		req->read_len += d->len;
		req->num_readable = req->iovcnt;
	}
	return 0;
}

/* Switch to an indirect table described by \p d.  0 or -EINVAL/-EFAULT. */
static int
chain_indirect(struct vd_vhost_vq *vq, const struct vring_desc *d, const struct vring_desc **table,
	       uint32_t *tsize)
{
	if (!vq->indirect || *table != vq->desc || (d->flags & VRING_DESC_F_NEXT)) {
		return -EINVAL; /* not negotiated, nested, or INDIRECT|NEXT */
	}
	if (d->len == 0 || (d->len % sizeof(struct vring_desc)) != 0 ||
	    d->len / sizeof(struct vring_desc) > VD_VHOST_MAX_QUEUE_SIZE) {
		return -EINVAL;
	}
	*table = vhost_mem_gpa_to_vva(vq->mem, d->addr, d->len);
	if (*table == NULL || ((uintptr_t)*table & 15) != 0) {
		return -EFAULT;
	}
	*tsize = d->len / sizeof(struct vring_desc);
	return 0;
}

/*
 * Walk the chain at \p head into \p req.  The count of visited descriptors is bounded by the
 * table size, so loops end.  \return 0 or a negative errno (the chain is malformed).
 */
int
vhost_vq_map_chain(struct vd_vhost_vq *vq, uint16_t head, struct vd_vhost_req *req)
{
	const struct vring_desc *table = vq->desc;
	uint32_t tsize = vq->size, idx = head, count = 0;
	struct vring_desc d;
	int rc;

	req->head = head;
	req->iovcnt = 0;
	req->num_readable = 0;
	req->read_len = 0;
	req->write_len = 0;
	for (;;) {
		if (idx >= tsize || ++count > tsize) {
			return idx >= tsize ? -EINVAL : -ELOOP;
		}
		/* One read of the guest's descriptor: it may change under us. */
		memcpy(&d, (const void *)&table[idx], sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			rc = chain_indirect(vq, &d, &table, &tsize);
			if (rc != 0) {
				return rc;
			}
			idx = 0;
			count = 0;
			continue;
		}
		rc = chain_add(vq, req, &d);
		if (rc != 0) {
			return rc;
		}
		if (!(d.flags & VRING_DESC_F_NEXT)) {
			return 0;
		}
		idx = d.next;
	}
}

static void
vq_inflight_set(struct vd_vhost_vq *vq, uint16_t head)
{
	struct inflight_desc *d = &vq->inflight->desc[head];

	d->counter = vq->inflight_counter++;
	__atomic_store_n(&d->inflight, 1, __ATOMIC_RELEASE);
}

static void
vq_put_used(struct vd_vhost_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	/* A hostile guest can re-post heads we completed but did not publish yet. */
	if (vd_unlikely(vq->batch_count == vq->size)) {
		vd_vhost_vq_flush(vq);
	}
	e = &vq->used->ring[vq->used_idx & vq->mask];

	e->id = head;
	e->len = len;
	if (vq->inflight != NULL && head < vq->size) {
		vq->inflight->desc[head].next = vq->inflight->last_batch_head;
		vq->inflight->last_batch_head = head;
	}
	vq->batch_heads[vq->batch_count++] = head;
	vq->used_idx++;
}

static void
vq_break(struct vd_vhost_vq *vq, const char *why, uint16_t a, uint16_t b)
{
	vq->broken = true;
	VD_ERRLOG("%s: queue %u stopped: %s (%u, %u)\n", vd_vhost_dev_get_name(vq->dev), vq->idx,
		  why, a, b);
}

/* Hand \p head (already marked outstanding) to the caller, or complete it if malformed. */
static bool
vq_take(struct vd_vhost_vq *vq, uint16_t head, struct vd_vhost_req *req)
{
	int rc = vhost_vq_map_chain(vq, head, req);

	if (vd_unlikely(rc != 0)) {
		if (vd_log_ratelimit_ok(&vq->rl, VRING_RL_BURST)) {
			VD_ERRLOG("%s: queue %u: bad descriptor chain at head %u: %s\n",
				  vd_vhost_dev_get_name(vq->dev), vq->idx, head, strerror(-rc));
		}
		vq->stats.bad_chains++;
		vd_vhost_vq_complete(vq, head, 0);
		return false;
	}
	vq->stats.requests++;
	vq->stats.bytes += (uint64_t)req->read_len + req->write_len;
	return true;
}

static uint16_t
vq_dequeue_resubmit(struct vd_vhost_vq *vq, struct vd_vhost_req **reqs, uint16_t n)
{
	uint16_t got = 0, head;

	while (vq->resubmit_pos < vq->resubmit_num && got < n) {
		head = vq->resubmit[vq->resubmit_pos++];
		vq->head_busy[head] = 1;
		vq->outstanding++;
		vq->stats.resubmitted++;
		if (vq_take(vq, head, reqs[got])) {
			got++;
		}
	}
	return got;
}

/* Take one avail head.  \return 1 taken, 0 completed/skipped, -EIO ring broken. */
static int
vq_dequeue_one(struct vd_vhost_vq *vq, uint16_t head, struct vd_vhost_req *req)
{
	if (vd_unlikely(head >= vq->size)) {
		if (vd_log_ratelimit_ok(&vq->rl, VRING_RL_BURST)) {
			VD_ERRLOG("%s: queue %u: avail head %u >= queue size %u\n",
				  vd_vhost_dev_get_name(vq->dev), vq->idx, head, vq->size);
		}
		vq->stats.bad_chains++;
		vq_put_used(vq, head, 0);
		return 0;
	}
	if (vd_unlikely(vq->head_busy[head])) {
		vq_break(vq, "avail head already outstanding", head, vq->last_avail_idx);
		return -EIO;
	}
	vq->head_busy[head] = 1;
	vq->outstanding++;
	if (vq->inflight != NULL) {
		vq_inflight_set(vq, head);
	}
	return vq_take(vq, head, req) ? 1 : 0;
}

/*
 * Copy \p cnt avail heads from last_avail_idx on into \p heads (one read of each entry: the
 * front-end keeps writing the rest of the same cache line) and start fetching their
 * descriptors, so the misses of a batch overlap.
 */
static void
vq_read_heads(struct vd_vhost_vq *vq, uint16_t *heads, uint16_t cnt)
{
	uint16_t i, head;

	for (i = 0; i < cnt; i++) {
		head = load_u16(&vq->avail->ring[(uint16_t)(vq->last_avail_idx + i) & vq->mask]);
		heads[i] = head;
		if (head < vq->size) {
			/* A chain of up to 3 contiguous descriptors (header, data, status, as
			 * front-ends usually lay them out) may end in the next cache line. */
			__builtin_prefetch(&vq->desc[head]);
			if (head + 2u < vq->size) {
				__builtin_prefetch((const uint8_t *)&vq->desc[head] + 47);
			}
		}
	}
}

int
vd_vhost_vq_dequeue(struct vd_vhost_vq *vq, struct vd_vhost_req **reqs, uint16_t n)
{
	uint16_t heads[VRING_DEQ_CHUNK];
	uint16_t got, avail_idx, pending, chunk, i, failed = 0;
	int rc;

	if (vd_unlikely(vq->broken)) {
		return -EIO;
	}
	got = vq_dequeue_resubmit(vq, reqs, n);
	avail_idx = load_u16_acquire(&vq->avail->idx);
	pending = avail_idx - vq->last_avail_idx;
	if (vd_unlikely(pending > vq->size)) {
		vq_break(vq, "avail index jumped", avail_idx, vq->last_avail_idx);
		return got > 0 ? got : -EIO;
	}
	pending = VD_MIN(pending, (uint16_t)(n - got));
	while (pending > 0) {
		chunk = VD_MIN(pending, (uint16_t)VRING_DEQ_CHUNK);
		vq_read_heads(vq, heads, chunk);
		for (i = 0; i < chunk; i++) {
			vq->last_avail_idx++;
			rc = vq_dequeue_one(vq, heads[i], reqs[got]);
			if (rc < 0) {
				return got > 0 ? got : rc;
			}
			got += rc;
			failed += rc == 0;
		}
		pending -= chunk;
		if (vq->event_idx) {
			store_u16(avail_event_ptr(vq), (uint16_t)(vq->last_avail_idx - 1));
		}
	}
	if (vd_unlikely(failed > 0)) {
		vd_vhost_vq_flush(vq); /* publish chains the library failed itself */
	}
	return got;
}

uint32_t
vd_vhost_vq_pending(const struct vd_vhost_vq *vq)
{
	uint16_t n;

	if (vd_unlikely(vq->broken)) {
		return 0;
	}
	/* A jump past the queue size is left for vd_vhost_vq_dequeue() to detect. */
	n = (uint16_t)(load_u16(&vq->avail->idx) - vq->last_avail_idx);
	return (uint32_t)VD_MIN(n, vq->size) + (uint32_t)(vq->resubmit_num - vq->resubmit_pos);
}

void
vd_vhost_vq_complete(struct vd_vhost_vq *vq, uint16_t head, uint32_t used_len)
{
	if (vd_unlikely(head >= vq->size || !vq->head_busy[head])) {
		VD_ERRLOG("%s: queue %u: completion of head %u that is not outstanding\n",
			  vd_vhost_dev_get_name(vq->dev), vq->idx, head);
		return;
	}
	vq->head_busy[head] = 0;
	vq->outstanding--;
	vq->stats.completions++;
	vq_put_used(vq, head, used_len);
}

static void
vq_inflight_clear_batch(struct vd_vhost_vq *vq)
{
	uint16_t i, head;

	/* Used elements are visible before their inflight flags drop (vhost-user.rst). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < vq->batch_count; i++) {
		head = vq->batch_heads[i];
		if (head < vq->size) {
			__atomic_store_n(&vq->inflight->desc[head].inflight, 0, __ATOMIC_RELAXED);
		}
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->inflight->used_idx = vq->used_idx;
}

static bool
vq_need_interrupt(struct vd_vhost_vq *vq)
{
	uint16_t old = vq->signalled_used;
	bool valid = vq->signalled_valid;

	/* The guest's used_event/flags must be read after used->idx is visible. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!vq->event_idx) {
		return !(load_u16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	return !valid || vring_need_event(load_u16(used_event_ptr(vq)), vq->used_idx, old);
}

/* Interrupt the driver through the call fd, if there is one. */
static void
vq_signal(struct vd_vhost_vq *vq)
{
	uint64_t one = 1;

	/* eventfd write of 8 bytes cannot block short of counter overflow; ignore EAGAIN */
	if (vq->call_fd >= 0 && write(vq->call_fd, &one, sizeof(one)) == sizeof(one)) {
		vq->stats.calls++;
	}
}

void
vd_vhost_vq_flush(struct vd_vhost_vq *vq)
{
	if (vq->batch_count == 0) {
		return;
	}
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	if (vq->inflight != NULL) {
		vq_inflight_clear_batch(vq);
	}
	vq->batch_count = 0;
	if (vq_need_interrupt(vq)) {
		vq_signal(vq);
	}
}

void
vhost_vq_signal_start(struct vd_vhost_vq *vq)
{
	vq_signal(vq);
}

uint16_t
vd_vhost_vq_get_index(const struct vd_vhost_vq *vq)
{
	return vq->idx;
}

uint16_t
vd_vhost_vq_get_size(const struct vd_vhost_vq *vq)
{
	return vq->size;
}

uint32_t
vd_vhost_vq_get_outstanding(const struct vd_vhost_vq *vq)
{
	return vq->outstanding;
}

struct vd_vhost_dev *
vd_vhost_vq_get_dev(const struct vd_vhost_vq *vq)
{
	return vq->dev;
}

void
vd_vhost_vq_set_ctx(struct vd_vhost_vq *vq, void *ctx)
{
	vq->ctx = ctx;
}

void *
vd_vhost_vq_get_ctx(const struct vd_vhost_vq *vq)
{
	return vq->ctx;
}
