/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Inflight I/O tracking (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD), split rings.
 *
 * Layout of the shared region: num_queues blocks of vhost_inflight_queue_stride(queue_size)
 * bytes, each a struct inflight_queue header {features, version = 1, desc_num = queue_size,
 * last_batch_head, used_idx} followed by desc_num struct inflight_desc {inflight, padding, next,
 * counter}.  The front-end keeps the fd and gives it back on reconnect (SET_INFLIGHT_FD).
 *
 * Protocol (data path in vring.c):
 *  fetch:     desc[head].counter = counter++; desc[head].inflight = 1
 *  complete:  desc[head].next = last_batch_head; last_batch_head = head; used elem written
 *  flush:     used->idx published; release; inflight = 0 for the batch; release; used_idx = idx
 * Recovery (control thread, before start, rings translated):
 *  - used_idx != used->idx: the last batch was published but not cleared: walk
 *    (used->idx - used_idx) heads from last_batch_head through next, clearing inflight;
 *  - every head still inflight is resubmitted in counter order before new avail entries, and
 *    last_avail_idx = used->idx + number resubmitted (fetches happen in avail order).
 * The region is front-end controlled memory: every index read from it is range-checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

#define INFLIGHT_VERSION 1

uint64_t
vhost_inflight_queue_stride(uint16_t queue_size)
{
	return VD_ALIGN_UP(sizeof(struct inflight_queue) +
				   (uint64_t)queue_size * sizeof(struct inflight_desc),
			   64);
}

static int
inflight_check_params(uint16_t num_queues, uint16_t queue_size)
{
	if (num_queues == 0 || num_queues > VD_VHOST_MAX_QUEUES || queue_size == 0 ||
	    queue_size > VD_VHOST_MAX_QUEUE_SIZE) {
		return -EINVAL;
	}
	return 0;
}

/*
 * Create a zeroed region for \p num_queues x \p queue_size in a memfd and map it.  *fd is the
 * memfd (the caller sends it and closes it).  \return 0, -EINVAL or the errno of memfd/mmap.
 */
int
vhost_inflight_create(struct vhost_inflight *inf, uint16_t num_queues, uint16_t queue_size, int *fd)
{
	uint64_t stride, size;
	struct inflight_queue *q;
	uint16_t i;
	int rc;

	rc = inflight_check_params(num_queues, queue_size);
	if (rc != 0) {
		return rc;
	}
	stride = vhost_inflight_queue_stride(queue_size);
	size = stride * num_queues;
	*fd = memfd_create("vhost-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0) {
		return -errno;
	}
	if (ftruncate(*fd, (off_t)size) != 0) {
		rc = -errno;
		goto err_close;
	}
	rc = vhost_inflight_map(inf, *fd, size, 0, num_queues, queue_size);
	if (rc != 0) {
		goto err_close;
	}
	for (i = 0; i < num_queues; i++) {
		q = vhost_inflight_queue(inf, i);
		q->version = INFLIGHT_VERSION;
		q->desc_num = queue_size;
	}
	return 0;

err_close:
	close(*fd);
	*fd = -1;
	return rc;
}

/* Map a region the front-end handed back.  The fd stays the caller's.  0 or -errno. */
int
vhost_inflight_map(struct vhost_inflight *inf, int fd, uint64_t mmap_size, uint64_t mmap_offset,
		   uint16_t num_queues, uint16_t queue_size)
{
	struct stat st;
	void *addr;
	int rc;

	rc = inflight_check_params(num_queues, queue_size);
	if (rc != 0) {
		return rc;
	}
	if (mmap_size < vhost_inflight_queue_stride(queue_size) * num_queues ||
	    mmap_size > (1ULL << 32) || (mmap_offset & 4095) != 0 || mmap_offset > (1ULL << 40)) {
		return -EINVAL;
	}
	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < mmap_offset + mmap_size) {
		return -EINVAL;
	}
	addr = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mmap_offset);
	if (addr == MAP_FAILED) {
		return -errno;
	}
	vhost_inflight_unmap(inf);
	inf->addr = addr;
	inf->size = mmap_size;
	inf->num_queues = num_queues;
	inf->queue_size = queue_size;
	return 0;
}

void
vhost_inflight_unmap(struct vhost_inflight *inf)
{
	if (inf->addr != NULL) {
		munmap(inf->addr, inf->size);
	}
	memset(inf, 0, sizeof(*inf));
}

struct inflight_queue *
vhost_inflight_queue(const struct vhost_inflight *inf, uint16_t idx)
{
	if (inf->addr == NULL || idx >= inf->num_queues) {
		return NULL;
	}
	return (struct inflight_queue *)((uint8_t *)inf->addr +
					 vhost_inflight_queue_stride(inf->queue_size) * idx);
}

/* Clear the batch that was published in used->idx but not yet cleared in the region. */
static void
inflight_finish_batch(struct vd_vhost_vq *vq, struct inflight_queue *q, uint16_t used)
{
	uint16_t n = used - q->used_idx, head = q->last_batch_head, i;

	if (n > vq->size) {
		VD_WARNLOG("%s: queue %u: inflight used_idx %u inconsistent with used ring %u\n",
			   vd_vhost_dev_get_name(vq->dev), vq->idx, q->used_idx, used);
		n = 0;
	}
	for (i = 0; i < n && head < vq->size; i++) {
		q->desc[head].inflight = 0;
		head = q->desc[head].next;
	}
	q->used_idx = used;
}

static int
cmp_counter(const void *a, const void *b, void *arg)
{
	const struct inflight_queue *q = arg;
	uint64_t ca = q->desc[*(const uint16_t *)a].counter;
	uint64_t cb = q->desc[*(const uint16_t *)b].counter;

	return ca < cb ? -1 : ca > cb;
}

/*
 * Attach the queue to its inflight block and build the resubmit list.  Call after
 * vhost_vq_prepare().  \return 0 (also when there is no region) or -EINVAL (the block does not
 * describe this queue).
 */
int
vhost_inflight_recover(struct vd_vhost_vq *vq)
{
	struct inflight_queue *q = vhost_inflight_queue(&vq->dev->inflight, vq->idx);
	uint16_t used = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	uint64_t max_counter = 0;
	uint32_t i, n = 0;

	vq->inflight = NULL;
	if (q == NULL) {
		return 0;
	}
	if (q->desc_num != vq->dev->inflight.queue_size || vq->size > q->desc_num) {
		return -EINVAL;
	}
	if (q->used_idx != used) {
		inflight_finish_batch(vq, q, used);
	}
	for (i = 0; i < vq->size; i++) {
		if (q->desc[i].inflight == 1) {
			vq->resubmit[n++] = (uint16_t)i;
			max_counter = VD_MAX(max_counter, q->desc[i].counter + 1);
		} else {
			q->desc[i].inflight = 0; /* canonicalise garbage */
		}
	}
	qsort_r(vq->resubmit, n, sizeof(uint16_t), cmp_counter, q);
	vq->resubmit_num = (uint16_t)n;
	vq->resubmit_pos = 0;
	vq->inflight_counter = max_counter;
	vq->inflight = q;
	vq->last_avail_idx = (uint16_t)(used + n);
	vq->used_idx = used;
	if (vq->event_idx) {
		__atomic_store_n((uint16_t *)&vq->used->ring[vq->size],
				 (uint16_t)(vq->last_avail_idx - 1), __ATOMIC_RELAXED);
	}
	if (n > 0) {
		VD_NOTICELOG("%s: queue %u: resubmitting %u inflight requests\n",
			     vd_vhost_dev_get_name(vq->dev), vq->idx, n);
	}
	return 0;
}
