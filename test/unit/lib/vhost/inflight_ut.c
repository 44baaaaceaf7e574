/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/vhost/inflight.c: region creation/mapping checks, the mark/clear protocol
 * done by vring.c, and recovery after a back-end restart (resubmission in fetch order before new
 * avail entries, nothing completed twice, a half-finished batch is finished).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "vhost/inflight.c"
#include "common_ut.h"

#define QSZ 16
#define DESC_GPA (UT_GPA0 + 0x1000)
#define AVAIL_GPA (UT_GPA0 + 0x2000)
#define USED_GPA (UT_GPA0 + 0x3000)
#define DATA_GPA (UT_GPA0 + 0x10000)

static struct vd_vhost_dev g_dev = {.name = "ut"};
static struct vd_vhost_vq g_vq;
static struct vring_desc *g_desc;
static struct vring_avail *g_avail;
static struct vring_used *g_used;
static struct iovec g_iovs[QSZ][4];
static struct vd_vhost_req g_reqs[QSZ];
static struct vd_vhost_req *g_preqs[QSZ];

/* (Re)start the queue as vhost.c does: prepare, then recover from the region. */
static void
start_vq(void)
{
	uint32_t i;

	vhost_vq_init(&g_vq, &g_dev, 0);
	g_vq.num = QSZ;
	g_vq.desc_uva = UT_UVA0 + (DESC_GPA - UT_GPA0);
	g_vq.avail_uva = UT_UVA0 + (AVAIL_GPA - UT_GPA0);
	g_vq.used_uva = UT_UVA0 + (USED_GPA - UT_GPA0);
	g_vq.addr_set = g_vq.kicked = g_vq.enabled = true;
	CU_ASSERT_FATAL(vhost_vq_prepare(&g_vq, &g_dev.mem, 0) == 0);
	CU_ASSERT_FATAL(vhost_inflight_recover(&g_vq) == 0);
	for (i = 0; i < QSZ; i++) {
		g_reqs[i].iovs = g_iovs[i];
		g_reqs[i].max_iovs = 4;
		g_preqs[i] = &g_reqs[i];
	}
}

static void
publish(uint16_t head)
{
	g_desc[head] = (struct vring_desc){DATA_GPA, 1, VRING_DESC_F_WRITE, 0};
	g_avail->ring[g_avail->idx % QSZ] = head;
	g_avail->idx++;
}

static void
setup(void)
{
	int fd;

	ut_mem_init(&g_dev.mem);
	g_desc = ut_hva(DESC_GPA);
	g_avail = ut_hva(AVAIL_GPA);
	g_used = ut_hva(USED_GPA);
	CU_ASSERT_FATAL(vhost_inflight_create(&g_dev.inflight, 2, QSZ, &fd) == 0);
	close(fd);
}

static void
test_create_map(void)
{
	struct vhost_inflight inf = {0};
	struct inflight_queue *q;
	int fd;

	CU_ASSERT_EQUAL(vhost_inflight_create(&inf, 0, 128, &fd), -EINVAL);
	CU_ASSERT_EQUAL(vhost_inflight_create(&inf, VD_VHOST_MAX_QUEUES + 1, 128, &fd), -EINVAL);
	CU_ASSERT_EQUAL(vhost_inflight_create(&inf, 1, 0, &fd), -EINVAL);
	CU_ASSERT_EQUAL(vhost_inflight_create(&inf, 2, 128, &fd), 0);
	CU_ASSERT_EQUAL(inf.size, 2 * vhost_inflight_queue_stride(128));
	q = vhost_inflight_queue(&inf, 1);
	CU_ASSERT_EQUAL(q->version, 1);
	CU_ASSERT_EQUAL(q->desc_num, 128);
	CU_ASSERT_PTR_NULL(vhost_inflight_queue(&inf, 2));
	q->desc[5].inflight = 1;
	vhost_inflight_unmap(&inf);
	/* Mapping it again (reconnect) shows the same state; sizes are checked. */
	CU_ASSERT_EQUAL(vhost_inflight_map(&inf, fd, 4096, 0, 2, 128), -EINVAL);
	CU_ASSERT_EQUAL(vhost_inflight_map(&inf, fd, 1ULL << 20, 0, 2, 128), -EINVAL);
	CU_ASSERT_EQUAL(
		vhost_inflight_map(&inf, fd, 2 * vhost_inflight_queue_stride(128), 0, 2, 128), 0);
	CU_ASSERT_EQUAL(vhost_inflight_queue(&inf, 1)->desc[5].inflight, 1);
	vhost_inflight_unmap(&inf);
	close(fd);
}

static void
test_resubmit_order(void)
{
	uint16_t heads[] = {5, 2, 7, 9};
	struct inflight_queue *q;
	uint32_t i;

	setup();
	start_vq();
	q = g_vq.inflight;
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	for (i = 0; i < 4; i++) {
		publish(heads[i]);
	}
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, QSZ), 4);
	CU_ASSERT_EQUAL(q->desc[5].inflight, 1);
	CU_ASSERT_EQUAL(q->desc[9].inflight, 1);
	vd_vhost_vq_complete(&g_vq, 7, 1);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(q->desc[7].inflight, 0);
	CU_ASSERT_EQUAL(q->used_idx, 1);
	CU_ASSERT_EQUAL(g_used->idx, 1);

	/* The back-end dies here; a new one starts on the same rings and region. */
	vhost_vq_unprepare(&g_vq);
	publish(11); /* new work that arrived meanwhile */
	start_vq();
	CU_ASSERT_EQUAL(g_vq.resubmit_num, 3);
	CU_ASSERT_EQUAL(g_vq.last_avail_idx, 4); /* used 1 + 3 inflight */
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), 4); /* 3 resubmissions + 1 new */
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, QSZ), 4);
	CU_ASSERT_EQUAL(g_reqs[0].head, 5);
	CU_ASSERT_EQUAL(g_reqs[1].head, 2);
	CU_ASSERT_EQUAL(g_reqs[2].head, 9);
	CU_ASSERT_EQUAL(g_reqs[3].head, 11);
	CU_ASSERT_EQUAL(g_vq.stats.resubmitted, 3);
	for (i = 0; i < 4; i++) {
		vd_vhost_vq_complete(&g_vq, g_reqs[i].head, 1);
	}
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(g_used->idx, 5);
	for (i = 0; i < QSZ; i++) {
		CU_ASSERT_EQUAL(q->desc[i].inflight, 0);
	}
	/* Another restart resubmits nothing. */
	vhost_vq_unprepare(&g_vq);
	start_vq();
	CU_ASSERT_EQUAL(g_vq.resubmit_num, 0);
	CU_ASSERT_EQUAL(g_vq.last_avail_idx, 5);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, QSZ), 0);
	vhost_vq_reset(&g_vq);
	vhost_inflight_unmap(&g_dev.inflight);
}

static void
test_half_finished_batch(void)
{
	struct inflight_queue *q;

	setup();
	start_vq();
	q = g_vq.inflight;
	publish(3);
	publish(4);
	publish(6);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, QSZ), 3);
	vd_vhost_vq_complete(&g_vq, 3, 1);
	vd_vhost_vq_complete(&g_vq, 6, 1);
	/* Crash after used->idx was published, before inflight flags were cleared. */
	__atomic_store_n(&g_used->idx, g_vq.used_idx, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(q->last_batch_head, 6);
	CU_ASSERT_EQUAL(q->desc[6].next, 3);
	CU_ASSERT_EQUAL(q->used_idx, 0);
	vhost_vq_unprepare(&g_vq);
	start_vq();
	/* Only head 4 was really in flight. */
	CU_ASSERT_EQUAL(g_vq.resubmit_num, 1);
	CU_ASSERT_EQUAL(g_vq.resubmit[0], 4);
	CU_ASSERT_EQUAL(q->used_idx, 2);
	CU_ASSERT_EQUAL(q->desc[3].inflight, 0);
	CU_ASSERT_EQUAL(g_vq.last_avail_idx, 3);

	/* A garbage used_idx (front-end memory) does not walk out of bounds. */
	vhost_vq_unprepare(&g_vq);
	q->used_idx = 40000;
	q->last_batch_head = 0xffff;
	start_vq();
	CU_ASSERT_EQUAL(g_vq.resubmit_num, 1);
	/* A block describing another queue size is refused. */
	vhost_vq_unprepare(&g_vq);
	q->desc_num = 8;
	vhost_vq_init(&g_vq, &g_dev, 0);
	g_vq.num = QSZ;
	g_vq.desc_uva = UT_UVA0 + (DESC_GPA - UT_GPA0);
	g_vq.avail_uva = UT_UVA0 + (AVAIL_GPA - UT_GPA0);
	g_vq.used_uva = UT_UVA0 + (USED_GPA - UT_GPA0);
	CU_ASSERT_FATAL(vhost_vq_prepare(&g_vq, &g_dev.mem, 0) == 0);
	CU_ASSERT_EQUAL(vhost_inflight_recover(&g_vq), -EINVAL);
	vhost_vq_reset(&g_vq);
	vhost_inflight_unmap(&g_dev.inflight);
}

int
main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("inflight", NULL, NULL);
	CU_ADD_TEST(suite, test_create_map);
	CU_ADD_TEST(suite, test_resubmit_order);
	CU_ADD_TEST(suite, test_half_finished_batch);
	return ut_run(suite);
}
