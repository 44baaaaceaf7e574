/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Controller engine and admin command set without a vhost connection: guest memory is one
 * array at GPA 0x100000, the doorbell page a local array, and the test drives nvme_ctrlr_poll()
 * directly (the data thread).  Covers enable/reset, the admin parser, queue creation/deletion
 * ordering and limits, completion phase tags and CQ-full handling, AER holding, doorbell
 * validation.
 */

#include <CUnit/Basic.h>

#include "vhost_nvme/nvme_prp.c"
#include "vhost_nvme/nvme_ctrlr.c"
#include "vhost_nvme/nvme_admin.c"
#include "vhost_nvme/nvme_io.c"
#include "vhost_nvme/nvme_admin_msg.c"

VD_LOG_FLAG_DEFINE(vhost_nvme);

#define MEM_GPA 0x100000ull
#define MEM_LEN (1024 * 1024)
#define ASQ_OFF 0x0
#define ACQ_OFF 0x1000
#define IOSQ_OFF 0x2000
#define IOCQ_OFF 0x3000
#define BUF_OFF 0x10000

static uint8_t g_mem[MEM_LEN] __attribute__((aligned(4096)));
static uint32_t g_db[1024];
static struct nvme_ctrlr g_c;

void *
vd_vhost_gpa_to_vva(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa < MEM_GPA || gpa - MEM_GPA >= MEM_LEN ||
	    len > MEM_LEN - (gpa - MEM_GPA)) {
		return NULL;
	}
	return g_mem + (gpa - MEM_GPA);
}

int
vd_vhost_gpa_to_iovs(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len, struct iovec *iovs,
		     uint32_t max, uint32_t *cnt)
{
	void *p = vd_vhost_gpa_to_vva(dev, gpa, len);

	if (p == NULL) {
		return -EFAULT;
	}
	iovs[0].iov_base = p;
	iovs[0].iov_len = len;
	*cnt = 1;
	return 0;
}

void *
vd_vhost_dev_get_ctx(const struct vd_vhost_dev *dev)
{
	return &g_c;
}

int
vd_vhost_dev_get_call_fd(struct vd_vhost_dev *dev, uint16_t idx)
{
	return -1;
}

struct vd_thread *
vd_vhost_dev_get_thread(const struct vd_vhost_dev *dev)
{
	return NULL;
}

bool
vd_vhost_dev_is_connected(const struct vd_vhost_dev *dev)
{
	return false;
}

int
vd_vhost_dev_msg_reply(struct vd_vhost_dev *dev, uint64_t token, const void *reply, uint32_t size)
{
	return -ENOTCONN;
}

void
vhost_nvme_delete_finish(struct nvme_ctrlr *c)
{
}

/* Helpers. ---------------------------------------------------------------------------------- */

static uint16_t g_asq_tail, g_acq_head;
static uint8_t g_aphase;

static void
ctrlr_setup(uint16_t io_queues, uint32_t cc_extra)
{
	memset(&g_c, 0, sizeof(g_c));
	memset(g_mem, 0, sizeof(g_mem));
	memset(g_db, 0, sizeof(g_db));
	g_c.name = "ut";
	g_c.io_queues = io_queues;
	nvme_ctrlr_reset_dp(&g_c);
	g_c.dp.db = g_db;
	g_c.dp.started = true;
	g_c.aqa = (7u << 16) | 7u; /* 8 entries each */
	g_c.asq = MEM_GPA + ASQ_OFF;
	g_c.acq = MEM_GPA + ACQ_OFF;
	g_c.cc = NVME_CC_EN | (6u << 16) | (4u << 20) | cc_extra;
	g_asq_tail = 0;
	g_acq_head = 0;
	g_aphase = 1;
	nvme_ctrlr_poll(&g_c);
}

/* Submit one admin command and return its status (0xffff if no completion was posted). */
static uint16_t
admin_cmd(struct nvme_sqe *sqe, uint32_t *cdw0)
{
	struct nvme_sqe *sq = (struct nvme_sqe *)(g_mem + ASQ_OFF);
	struct nvme_cqe *cq = (struct nvme_cqe *)(g_mem + ACQ_OFF), *e;

	sqe->cid = (uint16_t)(g_asq_tail + 100);
	sq[g_asq_tail] = *sqe;
	g_asq_tail = (g_asq_tail + 1) % 8;
	g_db[0] = g_asq_tail;
	nvme_ctrlr_poll(&g_c);
	e = &cq[g_acq_head];
	if (NVME_CQE_PHASE(e->status) != g_aphase) {
		return 0xffff;
	}
	CU_ASSERT_EQUAL(e->cid, sqe->cid);
	CU_ASSERT_EQUAL(e->sqid, 0);
	CU_ASSERT_EQUAL(e->sqhd, g_asq_tail);
	if (cdw0 != NULL) {
		*cdw0 = e->cdw0;
	}
	if (++g_acq_head == 8) {
		g_acq_head = 0;
		g_aphase ^= 1;
	}
	g_db[1] = g_acq_head;
	return NVME_CQE_TO_STATUS(e->status);
}

static uint16_t
admin_simple(uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint64_t prp1)
{
	struct nvme_sqe s = {
		.opc = opc, .nsid = nsid, .cdw10 = cdw10, .cdw11 = cdw11, .prp1 = prp1};

	return admin_cmd(&s, NULL);
}

/* Create CQ 1 with \p cq_entries and SQ 1 (16 entries) on it. */
static void
io_pair_create(uint32_t cq_entries)
{
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_CREATE_IO_CQ, 0, 1 | ((cq_entries - 1) << 16), 3,
				     MEM_GPA + IOCQ_OFF),
			0);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_CREATE_IO_SQ, 0, 1 | (15u << 16), 1 | (1u << 16),
				     MEM_GPA + IOSQ_OFF),
			0);
}

/* One command of SQ 1 in flight, as if fetched and waiting for its bdev. */
static struct nvme_cmd *
io_in_flight(void)
{
	struct nvme_sq *sq = &g_c.dp.sqs[1];
	struct nvme_cmd *io = TAILQ_FIRST(&sq->free);

	TAILQ_REMOVE(&sq->free, io, link);
	io->busy = true;
	sq->outstanding++;
	g_c.dp.io_outstanding++;
	return io;
}

#define ST(sct, sc) NVME_STATUS(NVME_SCT_##sct, NVME_SC_##sc)

/* Tests. ------------------------------------------------------------------------------------ */

static void
test_enable_and_reset(void)
{
	ctrlr_setup(2, 0);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_RDY);
	CU_ASSERT(g_c.dp.sqs[0].valid && g_c.dp.cqs[0].valid);
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, 0);
	CU_ASSERT(!g_c.dp.sqs[0].valid && !g_c.dp.cqs[0].valid);
	/* Memory page size other than 4 KiB: controller fatal. */
	ctrlr_setup(2, 1u << 7);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_CFS);
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, 0);
	/* Admin queue outside guest memory. */
	ctrlr_setup(2, 0);
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	g_c.acq = 0x7000000000ull;
	g_c.cc = NVME_CC_EN;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_CFS);
	/* Shutdown notification. */
	ctrlr_setup(2, 0);
	g_c.cc |= 1u << NVME_CC_SHN_SHIFT;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_RDY | NVME_CSTS_SHST_DONE);
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_registers(void)
{
	uint8_t buf[8];
	uint64_t cap;
	uint32_t v = 0x00ff00ff;

	ctrlr_setup(2, 0);
	CU_ASSERT_EQUAL(vhost_nvme_get_config(NULL, buf, NVME_REG_CAP, 8), 0);
	memcpy(&cap, buf, 8);
	CU_ASSERT_EQUAL(NVME_CAP_MQES(cap), 1023);
	CU_ASSERT(cap & NVME_CAP_CQR);
	CU_ASSERT_EQUAL(vhost_nvme_get_config(NULL, buf, NVME_REG_CSTS, 4), 0);
	CU_ASSERT_EQUAL(buf[0], NVME_CSTS_RDY);
	CU_ASSERT_EQUAL(vhost_nvme_get_config(NULL, buf, 0x36, 4), -EINVAL);
	/* AQA is ignored while enabled, taken while disabled. */
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, NVME_REG_AQA, 4, 0), 0);
	CU_ASSERT_EQUAL(g_c.aqa, (7u << 16) | 7u);
	g_c.cc = 0;
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, NVME_REG_AQA, 4, 0), 0);
	CU_ASSERT_EQUAL(g_c.aqa, v);
	/* ASQ written in two halves. */
	v = 0x12345000;
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, NVME_REG_ASQ, 4, 0), 0);
	v = 0x9;
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, NVME_REG_ASQ + 4, 4, 0), 0);
	CU_ASSERT_EQUAL(g_c.asq, 0x912345000ull);
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, NVME_REG_CC, 2, 0), -EINVAL);
	CU_ASSERT_EQUAL(vhost_nvme_set_config(NULL, (uint8_t *)&v, 0x15, 4, 0), -EINVAL);
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_queue_state_machine(void)
{
	uint32_t cdw0 = 0;
	struct nvme_sqe s = {
		.opc = NVME_OPC_SET_FEATURES, .cdw10 = NVME_FEAT_NUMBER_OF_QUEUES, .cdw11 = 0};

	ctrlr_setup(2, 0);
	/* Ask for 1 pair: queue id 2 becomes invalid. */
	CU_ASSERT_EQUAL(admin_cmd(&s, &cdw0), 0);
	CU_ASSERT_EQUAL(cdw0, 0);
	CU_ASSERT_EQUAL(
		admin_simple(NVME_OPC_CREATE_IO_CQ, 0, 2 | (15u << 16), 3, MEM_GPA + IOCQ_OFF),
		ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER));
	/* SQ before its CQ. */
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_CREATE_IO_SQ, 0, 1 | (15u << 16), 1 | (1u << 16),
				     MEM_GPA + IOSQ_OFF),
			ST(CMD_SPECIFIC, COMPLETION_QUEUE_INVALID));
	CU_ASSERT_EQUAL(
		admin_simple(NVME_OPC_CREATE_IO_CQ, 0, 1 | (15u << 16), 3, MEM_GPA + IOCQ_OFF), 0);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_CREATE_IO_SQ, 0, 1 | (15u << 16), 1 | (1u << 16),
				     MEM_GPA + IOSQ_OFF),
			0);
	CU_ASSERT_EQUAL(g_c.dp.cqs[1].sq_refs, 1);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_DELETE_IO_CQ, 0, 1, 0, 0),
			ST(CMD_SPECIFIC, INVALID_QUEUE_DELETION));
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_DELETE_IO_SQ, 0, 1, 0, 0), 0);
	CU_ASSERT_EQUAL(g_c.dp.cqs[1].sq_refs, 0);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_DELETE_IO_CQ, 0, 1, 0, 0), 0);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_DELETE_IO_CQ, 0, 1, 0, 0),
			ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER));
	/* Wrong I/O queue entry sizes in CC. */
	g_c.dp.cc &= ~(0xffu << 16);
	g_c.cc = g_c.dp.cc;
	CU_ASSERT_EQUAL(
		admin_simple(NVME_OPC_CREATE_IO_CQ, 0, 1 | (15u << 16), 3, MEM_GPA + IOCQ_OFF),
		ST(GENERIC, INVALID_FIELD));
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_admin_phase_wrap(void)
{
	uint32_t i;

	ctrlr_setup(1, 0);
	/* 20 commands through an 8-entry queue pair: phase flips twice, sqhd follows. */
	for (i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(admin_simple(NVME_OPC_KEEP_ALIVE, 0, 0, 0, 0), 0);
	}
	CU_ASSERT_EQUAL(g_aphase, 1 ^ ((20 / 8) & 1));
	CU_ASSERT_EQUAL(admin_simple(0xc5, 0, 0, 0, 0), ST(GENERIC, INVALID_OPCODE));
	/* Fused and SGL commands are refused. */
	{
		struct nvme_sqe s = {.opc = NVME_OPC_KEEP_ALIVE, .fuse_psdt = 0x40};

		CU_ASSERT_EQUAL(admin_cmd(&s, NULL), ST(GENERIC, INVALID_FIELD));
	}
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_cq_full_holds_completions(void)
{
	struct nvme_sqe *sq = (struct nvme_sqe *)(g_mem + IOSQ_OFF);
	struct nvme_cqe *cq = (struct nvme_cqe *)(g_mem + IOCQ_OFF);
	uint32_t i;

	ctrlr_setup(1, 0);
	/* A 2-entry CQ holds one completion at a time. */
	io_pair_create(2);
	for (i = 0; i < 3; i++) { /* no namespace: each fails with Invalid Namespace */
		memset(&sq[i], 0, sizeof(sq[i]));
		sq[i].opc = NVME_OPC_READ;
		sq[i].nsid = 1;
		sq[i].cid = (uint16_t)(10 + i);
	}
	g_db[2] = 3;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(cq[0].status), 1);
	CU_ASSERT_EQUAL(cq[0].cid, 10);
	CU_ASSERT_EQUAL(NVME_CQE_TO_STATUS(cq[0].status), ST(GENERIC, INVALID_NAMESPACE));
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(cq[1].status), 0); /* not written: CQ full */
	/* Host consumes entry 0: the next completion lands in slot 1 with phase 1. */
	g_db[3] = 1;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(cq[1].cid, 11);
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(cq[1].status), 1);
	CU_ASSERT_EQUAL(cq[0].cid, 10);
	g_db[3] = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(cq[0].cid, 12);
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(cq[0].status), 0); /* wrapped: phase flipped */
	CU_ASSERT_EQUAL(cq[0].sqhd, 3);
	/* A CQ head beyond the queue size is ignored. */
	g_db[3] = 7;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.dp.cqs[1].head, 0);
	/* An SQ tail beyond the queue size is ignored too. */
	g_db[2] = 500;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.dp.sqs[1].tail, 3);
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_aer_held_and_limit(void)
{
	struct nvme_sqe s = {.opc = NVME_OPC_ASYNC_EVENT_REQUEST};
	struct nvme_cqe *cq = (struct nvme_cqe *)(g_mem + ACQ_OFF);
	uint32_t i, cdw0;

	ctrlr_setup(1, 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(admin_cmd(&s, NULL), 0xffff); /* held */
	}
	CU_ASSERT_EQUAL(g_c.dp.io_outstanding, 0);
	CU_ASSERT_EQUAL(admin_cmd(&s, NULL), ST(CMD_SPECIFIC, AER_LIMIT_EXCEEDED));
	/* Namespace attribute notices enabled: a namespace change completes one AER. */
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_SET_FEATURES, 0, NVME_FEAT_ASYNC_EVENT_CONFIG,
				     NVME_AEC_NS_ATTR_NOTICES, 0),
			0);
	g_c.dp.ns_changed = 1;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(cq[g_acq_head].status), g_aphase);
	cdw0 = cq[g_acq_head].cdw0;
	CU_ASSERT_EQUAL(cdw0 & 0x7, NVME_AER_TYPE_NOTICE);
	CU_ASSERT_EQUAL((cdw0 >> 16) & 0xff, NVME_LOG_CHANGED_NS);
	/* Reset drops the three still held, nothing left in flight. */
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, 0);
	CU_ASSERT(TAILQ_EMPTY(&g_c.dp.aers));
	nvme_ctrlr_reset_dp(&g_c);
}

/* Run \p sqe as a VHOST_USER_NVME_ADMIN message on the data thread; \return its status. */
static uint16_t
msg_cmd(const struct nvme_sqe *sqe, uint32_t *cdw0)
{
	struct nvme_admin_msg m = {.c = &g_c, .sqe = *sqe};

	msg_exec(&m);
	CU_ASSERT_EQUAL(m.done, 1);
	CU_ASSERT_EQUAL(m.cqe.cid, sqe->cid);
	CU_ASSERT_EQUAL(m.cqe.sqid, 0);
	CU_ASSERT_EQUAL(m.cqe.sqhd, 0);
	CU_ASSERT_EQUAL(NVME_CQE_PHASE(m.cqe.status), 0);
	if (cdw0 != NULL) {
		*cdw0 = m.cqe.cdw0;
	}
	return NVME_CQE_TO_STATUS(m.cqe.status);
}

static void
test_admin_msg(void)
{
	struct nvme_sqe s = {.opc = NVME_OPC_IDENTIFY, .cdw10 = NVME_CNS_CTRLR, .cid = 77};
	struct nvme_id_ctrlr *id = (struct nvme_id_ctrlr *)(g_mem + BUF_OFF);
	uint32_t cdw0 = 0;

	/* AQA = ASQ = ACQ = 0: ready without an admin queue. */
	memset(&g_c, 0, sizeof(g_c));
	g_c.name = "ut";
	g_c.io_queues = 1;
	nvme_ctrlr_reset_dp(&g_c);
	g_c.dp.db = g_db;
	g_c.dp.started = true;
	/* Not enabled yet: Command Sequence Error. */
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), ST(GENERIC, COMMAND_SEQUENCE_ERROR));
	g_c.cc = NVME_CC_EN | (6u << 16) | (4u << 20);
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_RDY);
	CU_ASSERT_FALSE(g_c.dp.cqs[0].valid);
	CU_ASSERT_FALSE(g_c.dp.sqs[0].valid);
	s.prp1 = MEM_GPA + BUF_OFF;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), 0);
	CU_ASSERT_EQUAL(id->vid, 0x1af4);
	CU_ASSERT_EQUAL(g_c.dp.io_outstanding, 0);
	s.opc = 0x7f;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), ST(GENERIC, INVALID_OPCODE));
	/* Asynchronous events are never held: none pending → Command Sequence Error. */
	memset(&s, 0, sizeof(s));
	s.opc = NVME_OPC_ASYNC_EVENT_REQUEST;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), ST(GENERIC, COMMAND_SEQUENCE_ERROR));
	CU_ASSERT(TAILQ_EMPTY(&g_c.dp.aers));
	memset(&s, 0, sizeof(s));
	s.opc = NVME_OPC_SET_FEATURES;
	s.cdw10 = NVME_FEAT_ASYNC_EVENT_CONFIG;
	s.cdw11 = NVME_AEC_NS_ATTR_NOTICES;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), 0);
	g_c.dp.ns_changed = 1;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_TRUE(g_c.dp.aer_signalled);
	memset(&s, 0, sizeof(s));
	s.opc = NVME_OPC_ASYNC_EVENT_REQUEST;
	CU_ASSERT_EQUAL(msg_cmd(&s, &cdw0), 0);
	CU_ASSERT_EQUAL(cdw0, NVME_AER_TYPE_NOTICE | (NVME_AER_INFO_NS_ATTR_CHANGED << 8) |
				      ((uint32_t)NVME_LOG_CHANGED_NS << 16));
	CU_ASSERT_FALSE(g_c.dp.aer_signalled);
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), ST(GENERIC, COMMAND_SEQUENCE_ERROR));
	/* Stopped data path: Command Sequence Error, nothing executed. */
	g_c.dp.started = false;
	s.opc = NVME_OPC_KEEP_ALIVE;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), ST(GENERIC, COMMAND_SEQUENCE_ERROR));
	g_c.dp.started = true;
	CU_ASSERT_EQUAL(msg_cmd(&s, NULL), 0);
	/* Other bad admin values are still fatal. */
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, 0);
	g_c.asq = MEM_GPA + ASQ_OFF;
	g_c.cc = NVME_CC_EN | (6u << 16) | (4u << 20);
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, NVME_CSTS_CFS);
	nvme_ctrlr_reset_dp(&g_c);
}

/* Delete I/O SQ by message waits for the queue; a reset aborts it; completing it later works. */
static void
test_admin_msg_delete_sq(void)
{
	struct nvme_admin_msg m = {.c = &g_c, .sqe = {.opc = NVME_OPC_DELETE_IO_SQ, .cdw10 = 1}};
	struct nvme_admin_msg m2 = m;
	struct nvme_cmd *io;

	ctrlr_setup(1, 0);
	io_pair_create(16);
	io = io_in_flight();
	msg_exec(&m);
	CU_ASSERT_EQUAL(m.done, 0);
	CU_ASSERT_TRUE(g_c.dp.msg_cmd.busy);
	/* A second message while one executes: Command Sequence Error. */
	msg_exec(&m2);
	CU_ASSERT_EQUAL(m2.done, 1);
	CU_ASSERT_EQUAL(NVME_CQE_TO_STATUS(m2.cqe.status), ST(GENERIC, COMMAND_SEQUENCE_ERROR));
	/* The queue drains: the deferred reply is a success. */
	io->status = 0;
	nvme_ctrlr_complete(io);
	CU_ASSERT_EQUAL(m.done, 1);
	CU_ASSERT_EQUAL(NVME_CQE_TO_STATUS(m.cqe.status), 0);
	CU_ASSERT_FALSE(g_c.dp.sqs[1].valid);
	CU_ASSERT_EQUAL(g_c.dp.io_outstanding, 0);
	/* Again, and this time CC.EN=0 arrives first: aborted, then the reset completes. */
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_CREATE_IO_SQ, 0, 1 | (15u << 16), 1 | (1u << 16),
				     MEM_GPA + IOSQ_OFF),
			0);
	io = io_in_flight();
	memset(&m, 0, sizeof(m));
	m.c = &g_c;
	m.sqe.opc = NVME_OPC_DELETE_IO_SQ;
	m.sqe.cdw10 = 1;
	m.sqe.cid = 9;
	msg_exec(&m);
	CU_ASSERT_EQUAL(m.done, 0);
	g_c.cc = 0;
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(m.done, 1);
	CU_ASSERT_EQUAL(m.cqe.cid, 9);
	CU_ASSERT_EQUAL(NVME_CQE_TO_STATUS(m.cqe.status), ST(GENERIC, ABORTED_SQ_DELETION));
	CU_ASSERT_FALSE(g_c.dp.msg_cmd.busy);
	CU_ASSERT_EQUAL(g_c.csts & NVME_CSTS_RDY, NVME_CSTS_RDY); /* the I/O is still in flight */
	nvme_ctrlr_complete(io);
	nvme_ctrlr_poll(&g_c);
	CU_ASSERT_EQUAL(g_c.csts, 0);
	nvme_ctrlr_reset_dp(&g_c);
}

static void
test_identify_and_logs(void)
{
	struct nvme_id_ctrlr *id = (struct nvme_id_ctrlr *)(g_mem + BUF_OFF);
	struct nvme_sqe s = {.opc = NVME_OPC_GET_LOG_PAGE};

	ctrlr_setup(3, 0);
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_IDENTIFY, 0, NVME_CNS_CTRLR, 0, MEM_GPA + BUF_OFF),
			0);
	CU_ASSERT_EQUAL(id->mdts, VD_VHOST_NVME_MDTS);
	CU_ASSERT_EQUAL(id->nn, VD_VHOST_NVME_MAX_NS);
	CU_ASSERT(memcmp(id->sn, "ut ", 3) == 0);
	/* Identify into memory the guest does not have. */
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_IDENTIFY, 0, NVME_CNS_CTRLR, 0, 0x7000000000ull),
			ST(GENERIC, DATA_TRANSFER_ERROR));
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_IDENTIFY, 0xffffffff, NVME_CNS_ACTIVE_NS_LIST, 0,
				     MEM_GPA + BUF_OFF),
			ST(GENERIC, INVALID_NAMESPACE));
	/* Get Log Page: 2 dwords at offset 4 of the firmware slot log. */
	memset(g_mem + BUF_OFF, 0xee, 16);
	s.cdw10 = NVME_LOG_FIRMWARE_SLOT | (1u << 16);
	s.cdw12 = 8;
	s.prp1 = MEM_GPA + BUF_OFF;
	CU_ASSERT_EQUAL(admin_cmd(&s, NULL), 0);
	CU_ASSERT(memcmp(g_mem + BUF_OFF, "0.1     ", 8) == 0);
	CU_ASSERT_EQUAL(g_mem[BUF_OFF + 8], 0xee);
	/* Offset past the end of the log. */
	s.cdw12 = 512;
	CU_ASSERT_EQUAL(admin_cmd(&s, NULL), ST(GENERIC, INVALID_FIELD));
	/* Interrupt vector config beyond the vectors. */
	CU_ASSERT_EQUAL(
		admin_simple(NVME_OPC_SET_FEATURES, 0, NVME_FEAT_INTERRUPT_VECTOR_CONFIG, 4, 0),
		ST(GENERIC, INVALID_FIELD));
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_SET_FEATURES, 0, NVME_FEAT_INTERRUPT_VECTOR_CONFIG,
				     3 | (1u << 16), 0),
			0);
	CU_ASSERT_EQUAL(g_c.dp.feat.iv_config[3], 3 | (1u << 16));
	/* Doorbell Buffer Config: page-aligned, in guest memory. */
	CU_ASSERT_EQUAL(admin_simple(NVME_OPC_DOORBELL_BUFFER_CONFIG, 0, 0, 0, MEM_GPA + 8),
			ST(GENERIC, INVALID_FIELD));
	s.opc = NVME_OPC_DOORBELL_BUFFER_CONFIG;
	s.cdw10 = s.cdw12 = 0;
	s.prp1 = MEM_GPA + 0x20000;
	s.prp2 = MEM_GPA + 0x21000;
	CU_ASSERT_EQUAL(admin_cmd(&s, NULL), 0);
	CU_ASSERT_PTR_EQUAL(g_c.dp.shadow_db, (uint32_t *)(g_mem + 0x20000));
	nvme_ctrlr_reset_dp(&g_c);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("nvme_ctrlr", NULL, NULL);
	CU_ADD_TEST(s, test_enable_and_reset);
	CU_ADD_TEST(s, test_registers);
	CU_ADD_TEST(s, test_queue_state_machine);
	CU_ADD_TEST(s, test_admin_phase_wrap);
	CU_ADD_TEST(s, test_cq_full_holds_completions);
	CU_ADD_TEST(s, test_aer_held_and_limit);
	CU_ADD_TEST(s, test_identify_and_logs);
	CU_ADD_TEST(s, test_admin_msg);
	CU_ADD_TEST(s, test_admin_msg_delete_sq);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
