/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the driver side of split virtqueues (lib/virtio/virtqueue.c): descriptor chains,
 * the free list, region splitting, notification decisions and hostile used elements.  The test
 * plays the device by reading the avail ring and writing the used ring by hand.
 */

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/virtqueue.c"

#define QSIZE 8

static uint8_t g_buf[2][8192] __attribute__((aligned(64)));
static struct virtio_mem g_mem;
static struct vd_virtqueue g_vq;
static void *g_ring;

const char *
vd_virtio_dev_get_name(const struct vd_virtio_dev *dev)
{
	return "ut";
}

static void
setup(bool event_idx)
{
	struct virtqueue_layout l;

	virtqueue_layout(QSIZE, 32, &l);
	g_ring = aligned_alloc(4096, l.total);
	CU_ASSERT_FATAL(g_ring != NULL);
	memset(g_ring, 0, l.total);
	memset(&g_vq, 0, sizeof(g_vq));
	g_vq.kick_fd = eventfd(0, EFD_NONBLOCK);
	g_vq.call_fd = -1;
	/* Two regions: g_buf[0] and g_buf[1] (adjacent or not), plus the ring. */
	g_mem.nregions = 3;
	g_mem.regions[0] =
		(struct virtio_mem_region){.addr = (uintptr_t)g_buf[0], .len = sizeof(g_buf[0])};
	g_mem.regions[1] =
		(struct virtio_mem_region){.addr = (uintptr_t)g_buf[1], .len = sizeof(g_buf[1])};
	g_mem.regions[2] = (struct virtio_mem_region){.addr = (uintptr_t)g_ring, .len = l.total};
	g_vq.mem = &g_mem;
	CU_ASSERT_FATAL(virtqueue_init(&g_vq, g_ring, QSIZE, 32, event_idx) == 0);
}

static void
teardown(void)
{
	virtqueue_fini(&g_vq);
	close(g_vq.kick_fd);
	free(g_ring);
}

static uint64_t
kicks_pending(void)
{
	uint64_t v = 0;

	return read(g_vq.kick_fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

/* Device side: complete the avail entry at \p pos with \p len. */
static void
dev_complete(uint16_t pos, uint32_t len)
{
	uint16_t head = g_vq.avail->ring[pos & g_vq.mask];
	uint16_t u = g_vq.used->idx;

	g_vq.used->ring[u & g_vq.mask] = (struct vring_used_elem){head, len};
	__atomic_store_n(&g_vq.used->idx, (uint16_t)(u + 1), __ATOMIC_RELEASE);
}

static void
test_chain_and_complete(void)
{
	int cookie, head;
	void *cookies[4];
	uint32_t lens[4];
	uint16_t d;

	setup(false);
	CU_ASSERT_EQUAL(g_vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	head = vd_virtqueue_req_start(&g_vq, &cookie, 3);
	CU_ASSERT_FATAL(head >= 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 16, false), 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0] + 512, 4096, true), 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[1], 1, true), 0);
	/* A fourth descriptor exceeds max_desc. */
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[1], 1, true), -ENOMEM);
	vd_virtqueue_req_end(&g_vq);
	CU_ASSERT_EQUAL(vd_virtqueue_num_free(&g_vq), QSIZE - 3);
	/* Chain shape: readable, writable, writable, NEXT on all but the last. */
	d = (uint16_t)head;
	CU_ASSERT_EQUAL(g_vq.desc[d].flags, VRING_DESC_F_NEXT);
	CU_ASSERT_EQUAL(g_vq.desc[d].len, 16);
	d = g_vq.desc[d].next;
	CU_ASSERT_EQUAL(g_vq.desc[d].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	CU_ASSERT_EQUAL(g_vq.desc[d].addr, (uintptr_t)(g_buf[0] + 512));
	d = g_vq.desc[d].next;
	CU_ASSERT_EQUAL(g_vq.desc[d].flags, VRING_DESC_F_WRITE);
	/* Not visible before the flush; kicked on flush (no NO_NOTIFY). */
	CU_ASSERT_EQUAL(g_vq.avail->idx, 0);
	vd_virtqueue_flush(&g_vq);
	CU_ASSERT_EQUAL(g_vq.avail->idx, 1);
	CU_ASSERT_EQUAL(kicks_pending(), 1);
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, 4), 0);
	dev_complete(0, 4097);
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, 4), 1);
	CU_ASSERT_PTR_EQUAL(cookies[0], &cookie);
	CU_ASSERT_EQUAL(lens[0], 4097);
	CU_ASSERT_EQUAL(vd_virtqueue_num_free(&g_vq), QSIZE);
	CU_ASSERT_EQUAL(vd_virtqueue_num_outstanding(&g_vq), 0);
	teardown();
}

static void
test_region_split_and_fault(void)
{
	int cookie;
	uint8_t outside[64];

	setup(false);
	/* Make the two buffers one contiguous range split over two regions if adjacent; else
	 * check that a buffer running past its region's end is refused. */
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookie, 4) >= 0);
	if (g_buf[0] + sizeof(g_buf[0]) == g_buf[1]) {
		CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0] + 8000, 400, false), 0);
		CU_ASSERT_EQUAL(g_vq.cur_n, 2);
		CU_ASSERT_EQUAL(g_vq.desc[g_vq.cur_head].len, 192);
	}
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, outside, sizeof(outside), false), -EFAULT);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 0, false), -EINVAL);
	vd_virtqueue_req_abort(&g_vq);
	/* Abort gave everything back: a full-size request still fits. */
	CU_ASSERT_EQUAL(vd_virtqueue_num_free(&g_vq), QSIZE);
	CU_ASSERT(vd_virtqueue_req_start(&g_vq, &cookie, QSIZE) >= 0);
	vd_virtqueue_req_abort(&g_vq);
	CU_ASSERT_EQUAL(vd_virtqueue_req_start(&g_vq, &cookie, QSIZE + 1), -ENOMEM);
	teardown();
}

static void
test_free_list_exhaustion(void)
{
	int cookies_in[QSIZE];
	void *cookies[QSIZE];
	uint32_t lens[QSIZE];
	int i;

	setup(false);
	for (i = 0; i < QSIZE / 2; i++) {
		CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookies_in[i], 2) >= 0);
		CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0] + i * 64, 64, false), 0);
		CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[1] + i * 64, 1, true), 0);
		vd_virtqueue_req_end(&g_vq);
	}
	CU_ASSERT_EQUAL(vd_virtqueue_req_start(&g_vq, &cookies_in[0], 1), -ENOMEM);
	vd_virtqueue_flush(&g_vq);
	/* Complete out of order: 2, 0, then 3, 1. */
	dev_complete(2, 1);
	dev_complete(0, 1);
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, QSIZE), 2);
	CU_ASSERT_PTR_EQUAL(cookies[0], &cookies_in[2]);
	CU_ASSERT_PTR_EQUAL(cookies[1], &cookies_in[0]);
	CU_ASSERT_EQUAL(vd_virtqueue_num_free(&g_vq), 4);
	/* Reuse freed descriptors for a 4-descriptor chain. */
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookies_in[4], 4) >= 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0] + i * 8, 8, false), 0);
	}
	vd_virtqueue_req_end(&g_vq);
	vd_virtqueue_flush(&g_vq);
	dev_complete(3, 1);
	dev_complete(1, 1);
	dev_complete(4, 1);
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, QSIZE), 3);
	CU_ASSERT_PTR_EQUAL(cookies[2], &cookies_in[4]);
	CU_ASSERT_EQUAL(vd_virtqueue_num_free(&g_vq), QSIZE);
	teardown();
}

static void
test_notify_suppression(void)
{
	int cookie;
	void *cookies[2];
	uint32_t lens[2];

	/* Without EVENT_IDX: NO_NOTIFY suppresses the kick. */
	setup(false);
	g_vq.used->flags = VRING_USED_F_NO_NOTIFY;
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookie, 1) >= 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 8, false), 0);
	vd_virtqueue_req_end(&g_vq);
	vd_virtqueue_flush(&g_vq);
	CU_ASSERT_EQUAL(kicks_pending(), 0);
	teardown();

	/* With EVENT_IDX: kick only when avail_event is crossed; used_event stays far ahead. */
	setup(true);
	CU_ASSERT_EQUAL(g_vq.avail->flags, 0);
	*g_vq.avail_event = 5; /* device wants a kick when entry 5 becomes available */
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookie, 1) >= 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 8, false), 0);
	vd_virtqueue_req_end(&g_vq);
	vd_virtqueue_flush(&g_vq);
	CU_ASSERT_EQUAL(kicks_pending(), 0);
	*g_vq.avail_event = 0; /* device wants a kick for entry 0: crossed 0 -> 1 */
	g_vq.published = 0;
	g_vq.avail_idx = 1;
	g_vq.avail->idx = 0;
	vd_virtqueue_flush(&g_vq);
	CU_ASSERT_EQUAL(kicks_pending(), 1);
	dev_complete(0, 0);
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, 2), 1);
	CU_ASSERT_EQUAL(*g_vq.used_event, (uint16_t)(1 + USED_EVENT_FAR));
	teardown();
}

static void
test_hostile_used_elements(void)
{
	int cookie;
	void *cookies[2];
	uint32_t lens[2];

	setup(false);
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookie, 1) >= 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 8, false), 0);
	vd_virtqueue_req_end(&g_vq);
	vd_virtqueue_flush(&g_vq);
	/* A head that is not outstanding breaks the queue instead of corrupting the free list. */
	g_vq.used->ring[0] = (struct vring_used_elem){5, 0};
	g_vq.used->idx = 1;
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, 2), -EIO);
	CU_ASSERT(g_vq.broken);
	CU_ASSERT_EQUAL(vd_virtqueue_req_start(&g_vq, &cookie, 1), -ENOMEM);
	CU_ASSERT_EQUAL(vd_virtqueue_abort_all(&g_vq, cookies, 2), 1);
	CU_ASSERT_PTR_EQUAL(cookies[0], &cookie);
	CU_ASSERT_EQUAL(vd_virtqueue_abort_all(&g_vq, cookies, 2), 0);
	teardown();

	/* An index jumping past what is outstanding is refused too. */
	setup(false);
	CU_ASSERT_FATAL(vd_virtqueue_req_start(&g_vq, &cookie, 1) >= 0);
	CU_ASSERT_EQUAL(vd_virtqueue_req_add(&g_vq, g_buf[0], 8, false), 0);
	vd_virtqueue_req_end(&g_vq);
	vd_virtqueue_flush(&g_vq);
	dev_complete(0, 0);
	g_vq.used->idx = 40;
	CU_ASSERT_EQUAL(vd_virtqueue_poll(&g_vq, cookies, lens, 2), -EIO);
	teardown();
}

static void
test_vring_need_event(void)
{
	CU_ASSERT(vring_need_event(0, 1, 0));
	CU_ASSERT(!vring_need_event(1, 1, 0));
	CU_ASSERT(vring_need_event(65535, 0, 65534)); /* wrap */
	CU_ASSERT(vring_need_event(3, 10, 2));
	CU_ASSERT(!vring_need_event(10, 10, 2));
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("virtqueue", NULL, NULL);
	CU_ADD_TEST(suite, test_chain_and_complete);
	CU_ADD_TEST(suite, test_region_split_and_fault);
	CU_ADD_TEST(suite, test_free_list_exhaustion);
	CU_ADD_TEST(suite, test_notify_suppression);
	CU_ADD_TEST(suite, test_hostile_used_elements);
	CU_ADD_TEST(suite, test_vring_need_event);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
