/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the front-end's driver half with external memory (what bdev_vhost_nvme uses):
 * PRPs built from the caller's own buffers (GPA = virtual address), every layout rule, memory
 * region checks, queue full, completion reaping, aborting a queue after a lost connection,
 * per-queue statistics and option validation.  No vhostd: the queue memory is inspected.
 */

#include <CUnit/Basic.h>
#include <stdlib.h>

#include "nvme_frontend/fe_driver.c"

#define UT_MEM (8u << 20)

static uint8_t *g_mem; /* regions 0 and 1 touch; region 2 is elsewhere */
static uint8_t *g_other;
static struct vd_nvme_fe *g_fe;
static uint32_t g_cb_count;
static uint16_t g_cb_status;

static void
ut_cb(void *arg, const struct nvme_cqe *cqe)
{
	g_cb_count++;
	g_cb_status = NVME_CQE_TO_STATUS(cqe->status);
	if (arg != NULL) {
		*(uint16_t *)arg = cqe->cid;
	}
}

static int
setup(void)
{
	g_mem = aligned_alloc(FE_PAGE, UT_MEM);
	g_other = aligned_alloc(FE_PAGE, 1u << 20);
	g_fe = calloc(1, sizeof(*g_fe));
	if (g_mem == NULL || g_other == NULL || g_fe == NULL) {
		return -1;
	}
	g_fe->external = true;
	g_fe->nregions = 3;
	g_fe->regions[0] = (struct vd_nvme_fe_region){g_mem, UT_MEM / 2, 3, 0};
	g_fe->regions[1] = (struct vd_nvme_fe_region){g_mem + UT_MEM / 2, UT_MEM / 2, 4, 0};
	g_fe->regions[2] = (struct vd_nvme_fe_region){g_other, 1u << 20, 5, 0};
	g_fe->mem = g_mem;
	g_fe->mem_size = 1u << 20; /* the arena: first MiB of region 0 */
	g_fe->db = calloc(1, VD_VHOST_NVME_DB_PAGE_SIZE);
	g_fe->connected = true;
	g_fe->opts.queue_size = 8;
	return g_fe->db == NULL || queue_setup(g_fe, 1, 8) != 0 ? -1 : 0;
}

static int
teardown(void)
{
	free(g_fe->q[1].slots);
	free((void *)g_fe->db);
	free(g_fe);
	free(g_mem);
	free(g_other);
	return 0;
}

/* Submit one command on queue 1 and return the SQE as written to the SQ. */
static int
submit(const struct iovec *iov, int n, struct nvme_sqe *out)
{
	struct fe_queue *q = &g_fe->q[1];
	struct nvme_sqe sqe = {.opc = NVME_OPC_READ, .nsid = 1};
	uint16_t slot = q->sq_tail;
	int rc = vd_nvme_fe_submit_iov(g_fe, 1, &sqe, iov, n, ut_cb, NULL);

	if (rc == 0 && out != NULL) {
		*out = q->sq[slot];
	}
	return rc;
}

/* Complete every outstanding command of queue 1 as the controller would. */
static void
complete_all(void)
{
	struct fe_queue *q = &g_fe->q[1];
	uint16_t cid, pos = q->cq_head;
	uint8_t phase = q->phase;

	for (cid = 0; cid < q->size; cid++) {
		if (!q->slots[cid].busy) {
			continue;
		}
		q->cq[pos] = (struct nvme_cqe){.cid = cid, .sqid = 1, .status = phase};
		if (++pos == q->size) {
			pos = 0;
			phase ^= 1;
		}
	}
	vd_nvme_fe_poll(g_fe, 1);
}

static uint64_t *
list_of(const struct nvme_sqe *sqe)
{
	return (uint64_t *)(uintptr_t)sqe->prp2;
}

static void
test_prp_contiguous(void)
{
	uint8_t *b = g_mem + (2u << 20);
	struct iovec iov = {b, 4096};
	struct nvme_sqe s;

	CU_ASSERT_EQUAL(submit(&iov, 1, &s), 0);
	CU_ASSERT_EQUAL(s.prp1, (uint64_t)(uintptr_t)b);
	CU_ASSERT_EQUAL(s.prp2, 0);
	iov.iov_len = 8192;
	CU_ASSERT_EQUAL(submit(&iov, 1, &s), 0);
	CU_ASSERT_EQUAL(s.prp2, (uint64_t)(uintptr_t)(b + 4096));
	iov.iov_len = 16384;
	CU_ASSERT_EQUAL(submit(&iov, 1, &s), 0);
	CU_ASSERT_EQUAL(list_of(&s)[0], (uint64_t)(uintptr_t)(b + 4096));
	CU_ASSERT_EQUAL(list_of(&s)[2], (uint64_t)(uintptr_t)(b + 12288));
	/* The list lives in the arena (shared memory), in the command's own slot page. */
	CU_ASSERT_TRUE(fe_in_mem(g_fe, list_of(&s), FE_PAGE));
	CU_ASSERT_EQUAL(s.prp2 & (FE_PAGE - 1), 0);
	/* Offset into the first page: 3.5 KiB + 4 KiB + 512 B = three pages, two in the list. */
	iov = (struct iovec){b + 512, 8192};
	CU_ASSERT_EQUAL(submit(&iov, 1, &s), 0);
	CU_ASSERT_EQUAL(s.prp1, (uint64_t)(uintptr_t)(b + 512));
	CU_ASSERT_EQUAL(list_of(&s)[0], (uint64_t)(uintptr_t)(b + 4096));
	CU_ASSERT_EQUAL(list_of(&s)[1], (uint64_t)(uintptr_t)(b + 8192));
	complete_all();
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
}

static void
test_prp_iovecs(void)
{
	uint8_t *b = g_mem + (3u << 20);
	struct iovec iov[3] = {{b + 2048, 2048}, {b + 65536, 8192}, {g_other, 100}};
	struct nvme_sqe s;

	CU_ASSERT_EQUAL(submit(iov, 3, &s), 0);
	CU_ASSERT_EQUAL(s.prp1, (uint64_t)(uintptr_t)(b + 2048));
	CU_ASSERT_EQUAL(list_of(&s)[0], (uint64_t)(uintptr_t)(b + 65536));
	CU_ASSERT_EQUAL(list_of(&s)[1], (uint64_t)(uintptr_t)(b + 65536 + 4096));
	CU_ASSERT_EQUAL(list_of(&s)[2], (uint64_t)(uintptr_t)g_other);
	/* Exactly one more page: PRP2 is that page. */
	CU_ASSERT_EQUAL(submit(iov, 2, &s), 0);
	CU_ASSERT_NOT_EQUAL(s.prp2, (uint64_t)(uintptr_t)(b + 65536));
	iov[1].iov_len = 4096;
	CU_ASSERT_EQUAL(submit(iov, 2, &s), 0);
	CU_ASSERT_EQUAL(s.prp2, (uint64_t)(uintptr_t)(b + 65536));
	complete_all();
}

static void
test_prp_rejects(void)
{
	uint8_t *b = g_mem + (4u << 20);
	struct iovec mid[2] = {{b, 4096}, {b + 8192 + 512, 4096}};
	struct iovec end[2] = {{b, 2048}, {b + 8192, 4096}};
	struct iovec odd = {b + 2, 512}, zero = {b, 0};
	struct iovec span = {g_mem + UT_MEM / 2 - 4096, 8192}, out = {g_mem - 4096, 4096};
	struct iovec tail = {g_mem + UT_MEM - 4096, 8192};
	struct iovec big = {g_mem + (1u << 20), (VD_NVME_FE_MAX_PRP_ENTRIES + 2) * FE_PAGE};

	CU_ASSERT_EQUAL(submit(mid, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(submit(end, 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(submit(&odd, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(submit(&zero, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(submit(NULL, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(submit(&out, 1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(submit(&tail, 1, NULL), -EFAULT);
	CU_ASSERT_EQUAL(submit(&big, 1, NULL), -EINVAL);
	big.iov_len -= FE_PAGE;
	/* Two touching regions form one buffer; the first page + 512 list entries fit. */
	CU_ASSERT_EQUAL(submit(&span, 1, NULL), 0);
	CU_ASSERT_EQUAL(submit(&big, 1, NULL), 0);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 2);
	complete_all();
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
	/* GPA = virtual address. */
	CU_ASSERT_EQUAL(vd_nvme_fe_gpa(g_fe, b), (uint64_t)(uintptr_t)b);
	CU_ASSERT_PTR_EQUAL(vd_nvme_fe_hva(g_fe, (uint64_t)(uintptr_t)g_other), g_other);
	CU_ASSERT_PTR_NULL(vd_nvme_fe_hva(g_fe, (uint64_t)(uintptr_t)(g_mem - 1)));
}

static void
test_full_poll_abort(void)
{
	struct iovec iov = {g_mem + (5u << 20), 4096};
	struct fe_queue *q = &g_fe->q[1];
	uint16_t cid = 0xffff;
	struct nvme_sqe sqe = {.opc = NVME_OPC_READ};
	int i;

	g_cb_count = 0;
	for (i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL(submit(&iov, 1, NULL), 0);
	}
	CU_ASSERT_EQUAL(submit(&iov, 1, NULL), -EAGAIN);
	/* One completion by phase tag. */
	q->cq[q->cq_head] = (struct nvme_cqe){.cid = 3, .status = q->phase | (2u << 1)};
	CU_ASSERT_EQUAL(vd_nvme_fe_poll(g_fe, 1), 1);
	CU_ASSERT_EQUAL(g_cb_count, 1);
	CU_ASSERT_EQUAL(g_cb_status, 2);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 6);
	CU_ASSERT_EQUAL(vd_nvme_fe_submit_iov(g_fe, 1, &sqe, &iov, 1, ut_cb, &cid), 0);
	CU_ASSERT_EQUAL(cid, 0xffff);
	/* Connection lost: new submissions fail, the queue is aborted. */
	fe_set_disconnected(g_fe);
	CU_ASSERT_FALSE(vd_nvme_fe_connected(g_fe));
	CU_ASSERT_EQUAL(submit(&iov, 1, NULL), -ENOTCONN);
	vd_nvme_fe_abort_queue(g_fe, 1, NVME_STATUS(0, NVME_SC_ABORTED_SQ_DELETION));
	CU_ASSERT_EQUAL(g_cb_count, 8);
	CU_ASSERT_EQUAL(g_cb_status, NVME_STATUS(0, NVME_SC_ABORTED_SQ_DELETION));
	CU_ASSERT_NOT_EQUAL(cid, 0xffff);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
	CU_ASSERT_FALSE(q->live);
	vd_nvme_fe_abort_queue(g_fe, 1, 0); /* nothing left: no callback */
	vd_nvme_fe_abort_queue(g_fe, 40, 0);
	CU_ASSERT_EQUAL(g_cb_count, 8);
	__atomic_store_n(&g_fe->connected, true, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(submit(&iov, 1, NULL), -EINVAL); /* the queue is dead */
	CU_ASSERT_EQUAL(queue_setup(g_fe, 1, 8), 0);
}

static void
test_stats_per_queue(void)
{
	struct iovec iov = {g_mem + (5u << 20), 4096};
	struct vd_nvme_fe_stats st;
	uint32_t shadow[1024] = {0}, ei[1024] = {0};

	memset(&g_fe->q[1].mmio_doorbells, 0, 3 * sizeof(uint64_t));
	CU_ASSERT_EQUAL(submit(&iov, 1, NULL), 0);
	vd_nvme_fe_get_stats(g_fe, &st);
	CU_ASSERT_EQUAL(st.mmio_doorbells, 1);
	CU_ASSERT_EQUAL(st.shadow_doorbells, 0);
	CU_ASSERT_EQUAL(g_fe->db[2], g_fe->q[1].sq_tail);
	/* Shadow doorbells: EventIdx far behind -> no MMIO. */
	g_fe->shadow = shadow;
	g_fe->eventidx = ei;
	ei[2] = 0xfff0;
	CU_ASSERT_EQUAL(submit(&iov, 1, NULL), 0);
	vd_nvme_fe_get_stats(g_fe, &st);
	CU_ASSERT_EQUAL(st.mmio_doorbells, 1);
	CU_ASSERT_EQUAL(st.shadow_doorbells, 1);
	CU_ASSERT_EQUAL(shadow[2], g_fe->q[1].sq_tail);
	CU_ASSERT_EQUAL(g_fe->q[1].shadow_doorbells, 1);
	complete_all();
	g_fe->shadow = NULL;
	g_fe->eventidx = NULL;
}

static void
test_connect_opts(void)
{
	struct vd_nvme_fe_opts o;
	struct vd_nvme_fe_region r = {g_mem, UT_MEM / 2, 3, 0};
	struct vd_nvme_fe *fe = NULL;
	uint64_t small, larger;

	vd_nvme_fe_opts_init(&o);
	o.socket_path = "/nonexistent/vhost-nvme.sock";
	small = vd_nvme_fe_arena_size(&o);
	o.io_queues = 4;
	o.queue_size = 256;
	larger = vd_nvme_fe_arena_size(&o);
	CU_ASSERT_TRUE(larger > small);
	CU_ASSERT_TRUE(larger >= 4ull * 256 * FE_PAGE);
	o.regions = &r;
	o.nregions = 1;
	o.arena = g_mem + 64; /* not page aligned */
	o.arena_size = larger;
	CU_ASSERT_EQUAL(vd_nvme_fe_connect(&o, &fe), -EINVAL);
	o.arena = g_mem;
	o.arena_size = larger - 1; /* too small */
	CU_ASSERT_EQUAL(vd_nvme_fe_connect(&o, &fe), -EINVAL);
	o.arena = g_other; /* outside the regions */
	o.arena_size = larger;
	CU_ASSERT_EQUAL(vd_nvme_fe_connect(&o, &fe), -EINVAL);
	o.nregions = VD_NVME_FE_MAX_REGIONS + 1;
	CU_ASSERT_EQUAL(vd_nvme_fe_connect(&o, &fe), -EINVAL);
	/* Valid memory: the socket is what fails. */
	o.nregions = 1;
	o.arena = g_mem;
	o.io_queues = 1;
	o.queue_size = 128;
	o.arena_size = vd_nvme_fe_arena_size(&o);
	CU_ASSERT_EQUAL(vd_nvme_fe_connect(&o, &fe), -ENOENT);
	CU_ASSERT_PTR_NULL(fe);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("fe_driver", setup, teardown);
	CU_add_test(s, "prp_contiguous", test_prp_contiguous);
	CU_add_test(s, "prp_iovecs", test_prp_iovecs);
	CU_add_test(s, "prp_rejects", test_prp_rejects);
	CU_add_test(s, "full_poll_abort", test_full_poll_abort);
	CU_add_test(s, "stats_per_queue", test_stats_per_queue);
	CU_add_test(s, "connect_opts", test_connect_opts);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures == 0 && s != NULL ? 0 : 1;
}
