/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/vhost/vring.c: chain walking (direct, indirect, loops, over-long chains,
 * bad indices, memory holes), avail index policies, completion and interrupt suppression.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "vhost/vring.c"
#include "common_ut.h"

#define QSZ 16
#define DESC_GPA (UT_GPA0 + 0x1000)
#define AVAIL_GPA (UT_GPA0 + 0x2000)
#define USED_GPA (UT_GPA0 + 0x3000)
#define DATA_GPA (UT_GPA0 + 0x10000)

static struct vd_vhost_dev g_dev = {.name = "ut"};
static struct vhost_mem g_mem;
static struct vd_vhost_vq g_vq;
static struct vring_desc *g_desc;
static struct vring_avail *g_avail;
static struct vring_used *g_used;
static struct iovec g_iovs[QSZ][8];
static struct vd_vhost_req g_reqs[QSZ];
static struct vd_vhost_req *g_preqs[QSZ];

static void
setup(uint64_t features)
{
	uint32_t i;

	ut_mem_init(&g_mem);
	vhost_vq_init(&g_vq, &g_dev, 0);
	g_vq.num = QSZ;
	g_vq.desc_uva = UT_UVA0 + (DESC_GPA - UT_GPA0);
	g_vq.avail_uva = UT_UVA0 + (AVAIL_GPA - UT_GPA0);
	g_vq.used_uva = UT_UVA0 + (USED_GPA - UT_GPA0);
	g_vq.addr_set = g_vq.kicked = g_vq.enabled = true;
	g_vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CU_ASSERT_FATAL(vhost_vq_is_ready(&g_vq));
	CU_ASSERT_FATAL(vhost_vq_prepare(&g_vq, &g_mem, features) == 0);
	g_desc = ut_hva(DESC_GPA);
	g_avail = ut_hva(AVAIL_GPA);
	g_used = ut_hva(USED_GPA);
	for (i = 0; i < QSZ; i++) {
		g_reqs[i].iovs = g_iovs[i];
		g_reqs[i].max_iovs = 8;
		g_preqs[i] = &g_reqs[i];
	}
}

static void
teardown(void)
{
	vhost_vq_reset(&g_vq);
}

static void
set_desc(uint16_t i, uint64_t gpa, uint32_t len, uint16_t flags, uint16_t next)
{
	g_desc[i] = (struct vring_desc){.addr = gpa, .len = len, .flags = flags, .next = next};
}

static void
publish(uint16_t head)
{
	g_avail->ring[g_avail->idx % QSZ] = head;
	g_avail->idx++;
}

static uint64_t
calls(void)
{
	uint64_t v = 0;

	return read(g_vq.call_fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void
test_simple_chain(void)
{
	setup(0);
	CU_ASSERT_EQUAL(g_used->flags, VRING_USED_F_NO_NOTIFY);
	set_desc(0, DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA + 16, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, DATA_GPA + 1024, 1, VRING_DESC_F_WRITE, 0);
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), 1);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 4), 1);
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), 0);
	CU_ASSERT_EQUAL(g_reqs[0].head, 0);
	CU_ASSERT_EQUAL(g_reqs[0].iovcnt, 3);
	CU_ASSERT_EQUAL(g_reqs[0].num_readable, 1);
	CU_ASSERT_EQUAL(g_reqs[0].read_len, 16);
	CU_ASSERT_EQUAL(g_reqs[0].write_len, 513);
	CU_ASSERT_PTR_EQUAL(g_reqs[0].iovs[2].iov_base, ut_hva(DATA_GPA + 1024));
	CU_ASSERT_EQUAL(vd_vhost_vq_get_outstanding(&g_vq), 1);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 4), 0);

	vd_vhost_vq_complete(&g_vq, 0, 1);
	CU_ASSERT_EQUAL(g_used->idx, 0); /* not visible before flush */
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(g_used->idx, 1);
	CU_ASSERT_EQUAL(g_used->ring[0].id, 0);
	CU_ASSERT_EQUAL(g_used->ring[0].len, 1);
	CU_ASSERT_EQUAL(calls(), 1);
	/* Completing twice is ignored. */
	vd_vhost_vq_complete(&g_vq, 0, 1);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(g_used->idx, 1);
	CU_ASSERT_EQUAL(g_vq.stats.requests, 1);
	CU_ASSERT_EQUAL(g_vq.stats.completions, 1);
	teardown();
}

static void
test_region_split(void)
{
	setup(0);
	set_desc(0, UT_GPA1 - 8, 24, VRING_DESC_F_WRITE, 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 1);
	CU_ASSERT_EQUAL(g_reqs[0].iovcnt, 2);
	CU_ASSERT_EQUAL(g_reqs[0].iovs[0].iov_len, 8);
	CU_ASSERT_EQUAL(g_reqs[0].iovs[1].iov_len, 16);
	CU_ASSERT_EQUAL(g_reqs[0].num_readable, 0);
	teardown();
}

/* Publish a chain expected to be rejected: completed by the library with length 0. */
static void
expect_bad(uint16_t head)
{
	uint16_t used = g_used->idx;

	publish(head);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 0);
	CU_ASSERT_EQUAL(g_used->idx, (uint16_t)(used + 1));
	CU_ASSERT_EQUAL(g_used->ring[used % QSZ].id, head);
	CU_ASSERT_EQUAL(g_used->ring[used % QSZ].len, 0);
	CU_ASSERT_EQUAL(vd_vhost_vq_get_outstanding(&g_vq), 0);
}

static void
test_bad_chains(void)
{
	uint64_t bad;

	setup(0);
	/* Outside guest memory. */
	set_desc(0, UT_GPA1 + UT_REG_SIZE - 4, 8, 0, 0);
	expect_bad(0);
	/* Loop 1 -> 2 -> 1. */
	set_desc(1, DATA_GPA, 8, VRING_DESC_F_NEXT, 2);
	set_desc(2, DATA_GPA, 8, VRING_DESC_F_NEXT, 1);
	expect_bad(1);
	/* next index >= queue size. */
	set_desc(3, DATA_GPA, 8, VRING_DESC_F_NEXT, QSZ);
	expect_bad(3);
	/* Readable after writable. */
	set_desc(4, DATA_GPA, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 5);
	set_desc(5, DATA_GPA, 8, 0, 0);
	expect_bad(4);
	/* More segments than the request holds: 9 descriptors, 8 iovecs. */
	for (uint16_t i = 6; i < 15; i++) {
		set_desc(i, DATA_GPA, 8, i < 14 ? VRING_DESC_F_NEXT : 0, i + 1);
	}
	expect_bad(6);
	/* Indirect while not negotiated. */
	set_desc(15, DATA_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad(15);
	CU_ASSERT_EQUAL(g_vq.stats.bad_chains, 6);
	bad = g_vq.stats.bad_chains;
	/* The ring still works afterwards. */
	set_desc(0, DATA_GPA, 8, 0, 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 1);
	CU_ASSERT_EQUAL(g_vq.stats.bad_chains, bad);
	teardown();
}

static void
test_indirect(void)
{
	struct vring_desc *t = ut_hva(DATA_GPA + 0x1000);
	struct vring_desc *t2 = ut_hva(DATA_GPA + 0x2000);

	setup(1ULL << VD_VIRTIO_F_INDIRECT_DESC);
	t[0] = (struct vring_desc){DATA_GPA, 16, VRING_DESC_F_NEXT, 1};
	t[1] = (struct vring_desc){DATA_GPA + 64, 4, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2};
	t[2] = (struct vring_desc){DATA_GPA + 128, 1, VRING_DESC_F_WRITE, 0};
	set_desc(0, DATA_GPA + 0x1000, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 1);
	CU_ASSERT_EQUAL(g_reqs[0].iovcnt, 3);
	CU_ASSERT_EQUAL(g_reqs[0].write_len, 5);
	vd_vhost_vq_complete(&g_vq, 0, 5);
	vd_vhost_vq_flush(&g_vq);

	/* Length not a multiple of 16. */
	set_desc(1, DATA_GPA + 0x1000, 40, VRING_DESC_F_INDIRECT, 0);
	expect_bad(1);
	/* INDIRECT together with NEXT. */
	set_desc(2, DATA_GPA + 0x1000, 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 3);
	expect_bad(2);
	/* Nested indirect. */
	t2[0] = (struct vring_desc){DATA_GPA + 0x1000, 48, VRING_DESC_F_INDIRECT, 0};
	set_desc(3, DATA_GPA + 0x2000, 16, VRING_DESC_F_INDIRECT, 0);
	expect_bad(3);
	/* Table outside memory. */
	set_desc(4, UT_GPA1 + UT_REG_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad(4);
	/* Loop inside the table: 0 -> 1 -> 0. */
	t2[0] = (struct vring_desc){DATA_GPA, 8, VRING_DESC_F_NEXT, 1};
	t2[1] = (struct vring_desc){DATA_GPA, 8, VRING_DESC_F_NEXT, 0};
	set_desc(5, DATA_GPA + 0x2000, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad(5);
	/* next beyond the table. */
	t2[1].next = 2;
	expect_bad(5);
	teardown();
}

static void
test_bad_heads(void)
{
	setup(0);
	/* Head >= queue size: used element {head, 0}, ring keeps working. */
	publish(QSZ + 3);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 0);
	CU_ASSERT_EQUAL(g_used->idx, 1);
	CU_ASSERT_EQUAL(g_used->ring[0].id, QSZ + 3);
	CU_ASSERT_FALSE(g_vq.broken);
	/* Head still outstanding posted again: ring broken. */
	set_desc(0, DATA_GPA, 8, 0, 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 1);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), -EIO);
	CU_ASSERT_TRUE(g_vq.broken);
	teardown();

	/* avail->idx jumping more than the queue size ahead. */
	setup(0);
	g_avail->idx = QSZ + 1;
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), QSZ); /* capped; dequeue finds the jump */
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), -EIO);
	CU_ASSERT_EQUAL(vd_vhost_vq_pending(&g_vq), 0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), -EIO);
	CU_ASSERT_EQUAL(g_used->idx, 0);
	teardown();
	/* Exactly the queue size is fine. */
	setup(0);
	for (uint16_t i = 0; i < QSZ; i++) {
		set_desc(i, DATA_GPA, 8, 0, 0);
		publish(i);
	}
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, QSZ), QSZ);
	teardown();
}

static void
test_notify(void)
{
	uint16_t *used_event, *avail_event;

	setup(1ULL << VD_VIRTIO_F_EVENT_IDX);
	used_event = &g_avail->ring[QSZ];
	avail_event = (uint16_t *)&g_used->ring[QSZ];
	CU_ASSERT_EQUAL(g_used->flags, 0);
	CU_ASSERT_EQUAL(*avail_event, 0xffff); /* never reached by a guest polling from 0 */
	for (uint16_t i = 0; i < 4; i++) {
		set_desc(i, DATA_GPA, 8, VRING_DESC_F_WRITE, 0);
		publish(i);
	}
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 4), 4);
	CU_ASSERT_EQUAL(*avail_event, 3);
	/* First flush always signals; then only when used_event is crossed. */
	*used_event = 0;
	vd_vhost_vq_complete(&g_vq, 0, 8);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(calls(), 1);
	*used_event = 2; /* guest wants an interrupt once used idx passes 2 */
	vd_vhost_vq_complete(&g_vq, 1, 8);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(calls(), 0);
	vd_vhost_vq_complete(&g_vq, 2, 8);
	vd_vhost_vq_complete(&g_vq, 3, 8);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(calls(), 1);
	CU_ASSERT_EQUAL(g_used->idx, 4);
	teardown();

	setup(0);
	g_avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	set_desc(0, DATA_GPA, 8, 0, 0);
	publish(0);
	CU_ASSERT_EQUAL(vd_vhost_vq_dequeue(&g_vq, g_preqs, 1), 1);
	vd_vhost_vq_complete(&g_vq, 0, 0);
	vd_vhost_vq_flush(&g_vq);
	CU_ASSERT_EQUAL(calls(), 0);
	CU_ASSERT_EQUAL(g_used->idx, 1);
	teardown();
}

static void
test_prepare_errors(void)
{
	ut_mem_init(&g_mem);
	vhost_vq_init(&g_vq, &g_dev, 0);
	g_vq.num = QSZ;
	g_vq.desc_uva = UT_UVA0 + 8; /* misaligned */
	g_vq.avail_uva = UT_UVA0 + 0x2000;
	g_vq.used_uva = UT_UVA0 + 0x3000;
	CU_ASSERT_EQUAL(vhost_vq_prepare(&g_vq, &g_mem, 0), -EFAULT);
	g_vq.desc_uva = UT_UVA0 + UT_REG_SIZE - 16 * QSZ + 16; /* table runs off the region */
	CU_ASSERT_EQUAL(vhost_vq_prepare(&g_vq, &g_mem, 0), -EFAULT);
	g_vq.desc_uva = UT_UVA0 + 0x1000;
	g_vq.used_uva = 0x1000; /* not a front-end address */
	CU_ASSERT_EQUAL(vhost_vq_prepare(&g_vq, &g_mem, 0), -EFAULT);
	CU_ASSERT_PTR_NULL(g_vq.desc);
	vhost_vq_reset(&g_vq);
}

int
main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("vring", NULL, NULL);
	CU_ADD_TEST(suite, test_simple_chain);
	CU_ADD_TEST(suite, test_region_split);
	CU_ADD_TEST(suite, test_bad_chains);
	CU_ADD_TEST(suite, test_indirect);
	CU_ADD_TEST(suite, test_bad_heads);
	CU_ADD_TEST(suite, test_notify);
	CU_ADD_TEST(suite, test_prepare_errors);
	return ut_run(suite);
}
