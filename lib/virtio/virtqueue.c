/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Split virtqueue, driver side (virtio 1.2 §2.7): descriptor free list, building requests,
 * publishing them, notification suppression and collecting used elements.
 *
 * Invariants (claiming thread only, no locks):
 * - Free descriptors form a list through desc[].next starting at free_head, num_free long.
 *   A request being built takes descriptors from the front of that list without unlinking
 *   them (their .next links stay intact), so req_abort() only forgets the request; req_end()
 *   moves free_head past them.
 * - cookies[head] != NULL exactly while the chain starting at head is with the device;
 *   ndesc[head] is its length.  outstanding counts them.
 * - avail_idx - published = heads put in the avail ring but not yet visible (flush()).
 * - The device is untrusted: a used element naming a head that is not outstanding breaks the
 *   queue (-EIO) instead of corrupting the free list.
 *
 * Notifications: with EVENT_IDX the device's avail_event decides whether flush() kicks, and
 * used_event is kept half a ring-index space ahead so that the device never needs to
 * interrupt us (we poll).  Without it, VRING_USED_F_NO_NOTIFY decides and we set
 * VRING_AVAIL_F_NO_INTERRUPT.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhostd/util.h"
#include "virtio_internal.h"

/* used_event distance that the device can never cross (we poll instead of interrupts). */
#define USED_EVENT_FAR 0x7fff

void
virtqueue_layout(uint16_t size, uint32_t slot_size, struct virtqueue_layout *l)
{
	l->desc_off = 0;
	l->avail_off = (uint64_t)size * sizeof(struct vring_desc);
	l->used_off = VD_ALIGN_UP(l->avail_off + 6 + 2ULL * size, (uint64_t)VD_CACHE_LINE);
	l->slots_off = VD_ALIGN_UP(l->used_off + 6 + 8ULL * size, (uint64_t)VD_CACHE_LINE);
	l->total = VD_ALIGN_UP(l->slots_off + (uint64_t)slot_size * size, 4096ULL);
}

int
virtqueue_init(struct vd_virtqueue *vq, void *mem, uint16_t size, uint32_t slot_size,
	       bool event_idx)
{
	struct virtqueue_layout l;
	uint16_t i;

	virtqueue_layout(size, slot_size, &l);
	vq->cookies = calloc(size, sizeof(*vq->cookies));
	vq->ndesc = calloc(size, sizeof(*vq->ndesc));
	if (vq->cookies == NULL || vq->ndesc == NULL) {
		virtqueue_fini(vq);
		return -ENOMEM;
	}
	vq->ring_mem = mem;
	vq->ring_mem_len = l.total;
	vq->desc = (struct vring_desc *)((uint8_t *)mem + l.desc_off);
	vq->avail = (struct vring_avail *)((uint8_t *)mem + l.avail_off);
	vq->used = (struct vring_used *)((uint8_t *)mem + l.used_off);
	vq->slots = (uint8_t *)mem + l.slots_off;
	vq->used_event = &vq->avail->ring[size];
	vq->avail_event = (volatile uint16_t *)&vq->used->ring[size];
	vq->size = size;
	vq->mask = size - 1;
	vq->slot_size = slot_size;
	vq->event_idx = event_idx;
	for (i = 0; i < size; i++) {
		vq->desc[i].next = (uint16_t)(i + 1);
	}
	vq->free_head = 0;
	vq->num_free = size;
	if (event_idx) {
		*vq->used_event = USED_EVENT_FAR;
	} else {
		vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	}
	return 0;
}

void
virtqueue_fini(struct vd_virtqueue *vq)
{
	free(vq->cookies);
	free(vq->ndesc);
	vq->cookies = NULL;
	vq->ndesc = NULL;
}

const struct virtio_mem_region *
virtio_mem_find(const struct virtio_mem *mem, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct virtio_mem_region *r = &mem->regions[i];

		if (addr >= r->addr && addr - r->addr < r->len) {
			return r;
		}
	}
	return NULL;
}

uint16_t
vd_virtqueue_get_index(const struct vd_virtqueue *vq)
{
	return vq->idx;
}

uint16_t
vd_virtqueue_num_free(const struct vd_virtqueue *vq)
{
	return vq->num_free;
}

uint16_t
vd_virtqueue_num_outstanding(const struct vd_virtqueue *vq)
{
	return vq->outstanding;
}

void *
vd_virtqueue_slot(struct vd_virtqueue *vq, uint16_t head)
{
	return vq->slots + (size_t)head * vq->slot_size;
}

int
vd_virtqueue_req_start(struct vd_virtqueue *vq, void *cookie, uint16_t max_desc)
{
	if (vq->building || cookie == NULL || max_desc == 0) {
		return -EINVAL;
	}
	if (vq->broken || vq->num_free < max_desc) {
		return -ENOMEM;
	}
	vq->building = true;
	vq->cur_head = vq->free_head;
	vq->cur_n = 0;
	vq->cur_max = max_desc;
	vq->cookies[vq->cur_head] = cookie;
	return vq->cur_head;
}

/*
 * Append one descriptor (already known to lie in one region).  Written whole with one 16-byte
 * store: the line was last read by the device on another CPU, and fewer stores waiting for it
 * keep the store buffer from filling.  The free-list link (.next) is kept as it is.
 */
static int
req_add_desc(struct vd_virtqueue *vq, uint64_t addr, uint32_t len, bool write)
{
	struct vring_desc d;
	uint16_t i;

	if (vq->cur_n == vq->cur_max) {
		return -ENOMEM;
	}
	if (vq->cur_n == 0) {
		i = vq->cur_head;
	} else {
		i = vq->desc[vq->cur_last].next;
		vq->desc[vq->cur_last].flags |= VRING_DESC_F_NEXT;
	}
	d.addr = addr;
	d.len = len;
	d.flags = write ? VRING_DESC_F_WRITE : 0;
	d.next = vq->desc[i].next;
	memcpy(&vq->desc[i], &d, sizeof(d));
	vq->cur_last = i;
	vq->cur_n++;
	return 0;
}

/* virtio_mem_find(), trying the region of the previous buffer first. */
static inline const struct virtio_mem_region *
mem_find_hint(struct vd_virtqueue *vq, uint64_t addr)
{
	const struct virtio_mem *mem = vq->mem;
	const struct virtio_mem_region *r;

	if (vd_likely(vq->mem_hint < mem->nregions)) {
		r = &mem->regions[vq->mem_hint];
		if (addr >= r->addr && addr - r->addr < r->len) {
			return r;
		}
	}
	r = virtio_mem_find(mem, addr);
	if (r != NULL) {
		vq->mem_hint = (uint32_t)(r - mem->regions);
	}
	return r;
}

int
vd_virtqueue_req_add(struct vd_virtqueue *vq, const void *buf, uint32_t len, bool write)
{
	uint64_t addr = (uint64_t)(uintptr_t)buf;
	const struct virtio_mem_region *r;
	uint64_t chunk;
	int rc;

	if (!vq->building || len == 0) {
		return -EINVAL;
	}
	while (len > 0) {
		r = mem_find_hint(vq, addr);
		if (r == NULL) {
			return -EFAULT;
		}
		/* A buffer crossing into the next region gets one descriptor per region. */
		chunk = VD_MIN((uint64_t)len, r->addr + r->len - addr);
		rc = req_add_desc(vq, addr, (uint32_t)chunk, write);
		if (rc != 0) {
			return rc;
		}
		addr += chunk;
		len -= (uint32_t)chunk;
	}
	return 0;
}

void
vd_virtqueue_req_abort(struct vd_virtqueue *vq)
{
	if (!vq->building) {
		return;
	}
	/* The free list links were never changed: forgetting the request undoes it. */
	vq->cookies[vq->cur_head] = NULL;
	vq->building = false;
	vq->cur_n = 0;
}

void
vd_virtqueue_req_end(struct vd_virtqueue *vq)
{
	if (!vq->building) {
		return;
	}
	if (vq->cur_n == 0) {
		vd_virtqueue_req_abort(vq);
		return;
	}
	vq->free_head = vq->desc[vq->cur_last].next;
	vq->desc[vq->cur_last].flags &= (uint16_t)~VRING_DESC_F_NEXT;
	vq->num_free -= vq->cur_n;
	vq->ndesc[vq->cur_head] = vq->cur_n;
	vq->avail->ring[vq->avail_idx & vq->mask] = vq->cur_head;
	vq->avail_idx++;
	vq->outstanding++;
	vq->stats.requests++;
	vq->building = false;
	vq->cur_n = 0;
}

void
vd_virtqueue_flush(struct vd_virtqueue *vq)
{
	uint16_t old = vq->published;
	uint64_t one = 1;
	bool kick;

	if (vq->avail_idx == old || vq->broken) {
		return;
	}
	/* Descriptors and ring entries before the index (release). */
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	vq->published = vq->avail_idx;
	/* The index store must be visible before we read the device's suppression state, or
	 * both sides could decide not to act (store-load ordering needs a full barrier). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		kick = vring_need_event(*vq->avail_event, vq->avail_idx, old);
	} else {
		kick = !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) &
			 VRING_USED_F_NO_NOTIFY);
	}
	if (kick && vq->kick_fd >= 0) {
		vq->stats.kicks++;
		if (write(vq->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
			/* Only fails on a closed fd: the device is going away, polls will tell. */
			vq->stats.kicks--;
		}
	}
}

static void
free_chain(struct vd_virtqueue *vq, uint16_t head)
{
	uint16_t tail = head;
	uint16_t n = vq->ndesc[head];
	uint16_t i;

	for (i = 1; i < n; i++) {
		tail = vq->desc[tail].next;
	}
	vq->desc[tail].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += n;
	vq->cookies[head] = NULL;
	vq->outstanding--;
}

int
vd_virtqueue_poll(struct vd_virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	uint16_t used_idx, n = 0, i;
	struct vring_used_elem e;

	if (vq->broken) {
		return -EIO;
	}
	used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	/* Start the transfers of the used lines (written by the device on another CPU) at once. */
	for (i = 0; i < (uint16_t)(used_idx - vq->last_used) && i < max; i += 8) {
		__builtin_prefetch(&vq->used->ring[(uint16_t)(vq->last_used + i) & vq->mask]);
	}
	while (vq->last_used != used_idx && n < max) {
		e = vq->used->ring[vq->last_used & vq->mask];
		if (e.id >= vq->size || vq->cookies[e.id] == NULL ||
		    (uint16_t)(used_idx - vq->last_used) > vq->outstanding) {
			vq->broken = true;
			if (vd_log_ratelimit_ok(&vq->rl, 1)) {
				VD_ERRLOG("virtio %s: queue %u: device used invalid head %u (used "
					  "idx "
					  "%u, %u outstanding)\n",
					  vd_virtio_dev_get_name(vq->dev), vq->idx, e.id, used_idx,
					  vq->outstanding);
			}
			return n > 0 ? n : -EIO;
		}
		cookies[n] = vq->cookies[e.id];
		lens[n] = e.len;
		free_chain(vq, (uint16_t)e.id);
		vq->last_used++;
		n++;
	}
	if (n > 0) {
		vq->stats.polls_busy++;
		if (vq->event_idx) {
			*vq->used_event = (uint16_t)(vq->last_used + USED_EVENT_FAR);
		}
	}
	return n;
}

uint16_t
vd_virtqueue_abort_all(struct vd_virtqueue *vq, void **cookies, uint16_t max)
{
	uint16_t i, n = 0;

	vq->broken = true;
	vd_virtqueue_req_abort(vq);
	for (i = 0; i < vq->size && n < max; i++) {
		if (vq->cookies[i] != NULL) {
			cookies[n++] = vq->cookies[i];
			vq->cookies[i] = NULL;
			vq->outstanding--;
		}
	}
	return n;
}

void
vd_virtqueue_get_stats(const struct vd_virtqueue *vq, struct vd_virtqueue_stats *stats)
{
	*stats = vq->stats;
}
