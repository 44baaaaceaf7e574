/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-nvme functional cases, driven by test_vhost_nvme against a real vhostd:
 *
 *   nvme_func CASE SOCK_A [SOCK_B]
 *
 * SOCK_A is a controller with 2 namespaces (2 I/O queues), SOCK_B one with 1 namespace; the
 * three namespaces are distinct malloc bdevs of 8 MiB, 512-byte blocks.  Exit status 0 = pass;
 * failures are described on stderr.  Every expected NVMe status is exact (SCT << 8 | SC).
 * The msg_* cases submit admin commands as VHOST_USER_NVME_ADMIN messages, without an admin
 * queue (msg_aer waits for a line on stdin after printing READY: the script adds a namespace).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vhostd/nvme_frontend.h"

static int g_fail;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			g_fail++;                                                                  \
		}                                                                                  \
	} while (0)

#define ST(sct, sc) NVME_STATUS(NVME_SCT_##sct, NVME_SC_##sc)

/* Connect; with \p admin_msg, admin commands go as VHOST_USER_NVME_ADMIN messages. */
static struct vd_nvme_fe *
fe_connect(const char *sock, uint16_t ioq, bool dbbuf, bool irq, bool skip_queues, bool admin_msg)
{
	struct vd_nvme_fe_opts o;
	struct vd_nvme_fe *fe = NULL;
	int rc;

	vd_nvme_fe_opts_init(&o);
	o.socket_path = sock;
	o.io_queues = ioq;
	o.dbbuf = dbbuf;
	o.interrupts = irq;
	o.skip_io_queues = skip_queues;
	o.admin_msg = admin_msg;
	rc = vd_nvme_fe_connect(&o, &fe);
	if (rc != 0) {
		fprintf(stderr, "connect %s: %s\n", sock, strerror(-rc));
		return NULL;
	}
	return fe;
}

static struct vd_nvme_fe *
fe_open_mode(const char *sock, uint16_t ioq, bool dbbuf, bool irq, bool skip_queues, bool admin_msg)
{
	struct vd_nvme_fe *fe = fe_connect(sock, ioq, dbbuf, irq, skip_queues, admin_msg);
	int rc;

	if (fe == NULL) {
		return NULL;
	}
	rc = vd_nvme_fe_enable(fe);
	if (rc != 0) {
		fprintf(stderr, "enable %s: %s\n", sock, strerror(-rc));
		vd_nvme_fe_close(fe);
		return NULL;
	}
	return fe;
}

static struct vd_nvme_fe *
fe_open(const char *sock, uint16_t ioq, bool dbbuf, bool irq, bool skip_queues)
{
	return fe_open_mode(sock, ioq, dbbuf, irq, skip_queues, false);
}

/* Run a command synchronously; \return its status (SCT << 8 | SC) or 0xffff on timeout. */
static uint16_t
run(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe, void *buf, uint32_t len,
    uint32_t *cdw0)
{
	struct nvme_cqe cqe;
	int rc = vd_nvme_fe_cmd_sync(fe, qid, sqe, buf, len, &cqe);

	if (rc != 0) {
		fprintf(stderr, "opcode 0x%x on queue %u: %s\n", sqe->opc, qid, strerror(-rc));
		return 0xffff;
	}
	if (cdw0 != NULL) {
		*cdw0 = cqe.cdw0;
	}
	return NVME_CQE_TO_STATUS(cqe.status);
}

static uint16_t
admin(struct vd_nvme_fe *fe, uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11,
      uint64_t prp1, void *buf, uint32_t len)
{
	struct nvme_sqe sqe = {
		.opc = opc, .nsid = nsid, .cdw10 = cdw10, .cdw11 = cdw11, .prp1 = prp1};

	return run(fe, 0, &sqe, buf, len, NULL);
}

static uint16_t
rw(struct vd_nvme_fe *fe, uint16_t qid, uint8_t opc, uint32_t nsid, uint64_t lba, uint32_t nlb,
   void *buf, uint32_t len)
{
	struct nvme_sqe sqe;

	vd_nvme_fe_sqe_rw(&sqe, opc, nsid, lba, nlb);
	return run(fe, qid, &sqe, buf, len, NULL);
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
	}
}

/* Cases. ------------------------------------------------------------------------------------ */

static void
case_identify(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 2, false, false, false);
	const struct nvme_id_ctrlr *id;
	uint8_t *buf;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	id = vd_nvme_fe_id_ctrlr(fe);
	buf = vd_nvme_fe_alloc(fe, 4096, 4096);
	CHECK(id->mdts == 5, "mdts %u", id->mdts);
	CHECK(id->oacs & NVME_OACS_DBBUF, "oacs 0x%x", id->oacs);
	CHECK(id->sqes == 0x66 && id->cqes == 0x44, "sqes 0x%x cqes 0x%x", id->sqes, id->cqes);
	CHECK(id->nn == 32, "nn %u", id->nn);
	CHECK(id->sgls == 0, "sgls");
	CHECK(id->vwc & 1, "vwc");
	CHECK(id->ver == NVME_VS_1_3, "ver 0x%x", id->ver);
	CHECK(memcmp(id->sn, "nvme0 ", 6) == 0, "sn '%.20s'", id->sn);
	CHECK(vd_nvme_fe_num_ns(fe) == 2, "num_ns %u", vd_nvme_fe_num_ns(fe));
	CHECK(vd_nvme_fe_get_ns(fe, 0)->block_size == 512, "block size");
	CHECK(vd_nvme_fe_get_ns(fe, 0)->num_blocks == 16384, "num blocks %lu",
	      (unsigned long)vd_nvme_fe_get_ns(fe, 0)->num_blocks);
	/* Namespace identification descriptors: EUI64, NGUID, UUID. */
	CHECK(admin(fe, NVME_OPC_IDENTIFY, 1, NVME_CNS_NS_ID_DESCRIPTORS, 0, 0, buf, 4096) == 0,
	      "cns 3");
	CHECK(buf[0] == NVME_NIDT_EUI64 && buf[1] == 8 && buf[12] == NVME_NIDT_NGUID &&
		      buf[13] == 16 && buf[32] == NVME_NIDT_UUID && buf[33] == 16,
	      "descriptors");
	/* Inactive NSID reads as zeroes; NSID 0 and an unknown CNS are errors. */
	memset(buf, 0xff, 4096);
	CHECK(admin(fe, NVME_OPC_IDENTIFY, 5, NVME_CNS_NS, 0, 0, buf, 4096) == 0, "inactive");
	CHECK(buf[0] == 0 && buf[4095] == 0, "inactive ns not zeroed");
	CHECK(admin(fe, NVME_OPC_IDENTIFY, 0, NVME_CNS_NS, 0, 0, buf, 4096) ==
		      ST(GENERIC, INVALID_NAMESPACE),
	      "nsid 0");
	CHECK(admin(fe, NVME_OPC_IDENTIFY, 9, NVME_CNS_NS_ID_DESCRIPTORS, 0, 0, buf, 4096) ==
		      ST(GENERIC, INVALID_NAMESPACE),
	      "descs of inactive ns");
	CHECK(admin(fe, NVME_OPC_IDENTIFY, 0, 0x55, 0, 0, buf, 4096) == ST(GENERIC, INVALID_FIELD),
	      "cns 0x55");
	CHECK(admin(fe, 0x7f, 0, 0, 0, 0, NULL, 0) == ST(GENERIC, INVALID_OPCODE), "admin 0x7f");
	vd_nvme_fe_close(fe);
	fe = fe_open(b, 1, false, false, false);
	CHECK(fe != NULL && vd_nvme_fe_num_ns(fe) == 1, "controller B has 1 namespace");
	vd_nvme_fe_close(fe);
}

static uint32_t
qsz(uint32_t qid, uint32_t entries)
{
	return qid | ((entries - 1) << 16);
}

static void
case_queues(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 2, false, false, true);
	uint64_t ring;
	void *buf;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	ring = vd_nvme_fe_gpa(fe, vd_nvme_fe_alloc(fe, 64 * 1024, 4096));
	buf = vd_nvme_fe_alloc(fe, 4096, 4096);
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(0, 16), 3, ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "cq id 0");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(3, 16), 3, ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "cq id beyond Number of Queues");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 1), 3, ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_SIZE),
	      "1-entry cq");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 1025), 3, ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_SIZE),
	      "cq beyond MQES");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 2, ring, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "PC=0");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 3 | (9u << 16), ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_INTERRUPT_VECTOR),
	      "iv 9");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 3, ring + 8, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "unaligned cq");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 3, 0x10000000000ull, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "cq outside guest memory");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 3 | (1u << 16), ring, NULL, 0) == 0,
	      "create cq 1");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_CQ, 0, qsz(1, 16), 3, ring, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "cq 1 twice");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_SQ, 0, qsz(1, 16), 1 | (2u << 16), ring + 4096, NULL,
		    0) == ST(CMD_SPECIFIC, COMPLETION_QUEUE_INVALID),
	      "sq on missing cq");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_SQ, 0, qsz(1, 16), 0 | (1u << 16), ring + 4096, NULL,
		    0) == ST(GENERIC, INVALID_FIELD),
	      "sq PC=0");
	CHECK(admin(fe, NVME_OPC_CREATE_IO_SQ, 0, qsz(1, 16), 1 | (1u << 16), ring + 4096, NULL,
		    0) == 0,
	      "create sq 1");
	CHECK(admin(fe, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_NUMBER_OF_QUEUES, 0, 0, NULL, 0) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "NOQ after queue creation");
	CHECK(admin(fe, NVME_OPC_DELETE_IO_CQ, 0, 1, 0, 0, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_DELETION),
	      "delete cq in use");
	CHECK(admin(fe, NVME_OPC_DELETE_IO_SQ, 0, 1, 0, 0, NULL, 0) == 0, "delete sq 1");
	CHECK(admin(fe, NVME_OPC_DELETE_IO_SQ, 0, 1, 0, 0, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "delete sq 1 twice");
	CHECK(admin(fe, NVME_OPC_DELETE_IO_CQ, 0, 1, 0, 0, NULL, 0) == 0, "delete cq 1");
	CHECK(admin(fe, NVME_OPC_DELETE_IO_SQ, 0, 0, 0, 0, NULL, 0) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "delete admin sq");
	/* Features and log pages. */
	CHECK(admin(fe, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_POWER_MANAGEMENT, 1, 0, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "power state 1");
	CHECK(admin(fe, NVME_OPC_SET_FEATURES, 0, 0x7e, 0, 0, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "unknown feature");
	CHECK(admin(fe, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_ARBITRATION | (1u << 31), 0, 0, NULL,
		    0) == ST(CMD_SPECIFIC, FEATURE_NOT_SAVEABLE),
	      "save");
	CHECK(admin(fe, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_INTERRUPT_COALESCING, 0x0a03, 0, NULL,
		    0) == 0,
	      "set coalescing");
	{
		struct nvme_sqe s = {.opc = NVME_OPC_GET_FEATURES,
				     .cdw10 = NVME_FEAT_INTERRUPT_COALESCING};
		uint32_t v = 0;

		CHECK(run(fe, 0, &s, NULL, 0, &v) == 0 && v == 0x0a03, "get coalescing 0x%x", v);
	}
	CHECK(admin(fe, NVME_OPC_GET_LOG_PAGE, 0xffffffff, NVME_LOG_HEALTH | (127u << 16), 0, 0,
		    buf, 512) == 0,
	      "health log");
	CHECK(admin(fe, NVME_OPC_GET_LOG_PAGE, 0, 0x70 | (127u << 16), 0, 0, buf, 512) ==
		      ST(CMD_SPECIFIC, INVALID_LOG_PAGE),
	      "log 0x70");
	{
		struct nvme_sqe s = {.opc = NVME_OPC_GET_LOG_PAGE,
				     .cdw10 = NVME_LOG_FIRMWARE_SLOT | (3u << 16),
				     .cdw12 = 2};

		CHECK(run(fe, 0, &s, buf, 16, NULL) == ST(GENERIC, INVALID_FIELD),
		      "unaligned log offset");
	}
	/* AERL = 3: four are held, the fifth fails. */
	{
		struct nvme_sqe s;
		int i;

		for (i = 0; i < 4; i++) {
			memset(&s, 0, sizeof(s));
			s.opc = NVME_OPC_ASYNC_EVENT_REQUEST;
			CHECK(vd_nvme_fe_submit(fe, 0, &s, NULL, 0, NULL, NULL) == 0, "aer %d", i);
		}
		memset(&s, 0, sizeof(s));
		s.opc = NVME_OPC_ASYNC_EVENT_REQUEST;
		CHECK(run(fe, 0, &s, NULL, 0, NULL) == ST(CMD_SPECIFIC, AER_LIMIT_EXCEEDED),
		      "fifth AER");
	}
	CHECK(admin(fe, NVME_OPC_KEEP_ALIVE, 0, 0, 0, 0, NULL, 0) == 0, "keep alive");
	CHECK(admin(fe, NVME_OPC_DOORBELL_BUFFER_CONFIG, 0, 0, 0, 0, NULL, 0) ==
		      ST(GENERIC, INVALID_FIELD),
	      "dbbuf without buffers");
	vd_nvme_fe_close(fe);
}

/* Write then read back patterns of several shapes on every namespace of \p fe. */
static void
verify_ns(struct vd_nvme_fe *fe, uint32_t seed)
{
	static const uint32_t shapes[][2] = {{1, 0}, {8, 100}, {16, 4092}, {256, 0}, {255, 512}};
	uint8_t *wbuf = vd_nvme_fe_alloc(fe, 256 * 1024, 4096);
	uint8_t *rbuf = vd_nvme_fe_alloc(fe, 256 * 1024, 4096);
	uint32_t i, s, len, off;
	uint16_t q;

	for (i = 0; i < vd_nvme_fe_num_ns(fe); i++) {
		const struct vd_nvme_fe_ns *ns = vd_nvme_fe_get_ns(fe, i);

		for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			len = shapes[s][0] * ns->block_size;
			off = shapes[s][1];
			q = (uint16_t)(1 + s % vd_nvme_fe_num_io_queues(fe));
			fill(wbuf + off, len, seed + ns->nsid * 10 + s);
			memset(rbuf + off, 0, len);
			CHECK(rw(fe, q, NVME_OPC_WRITE, ns->nsid, 1000 + s * 300, shapes[s][0],
				 wbuf + off, len) == 0,
			      "write ns %u shape %u", ns->nsid, s);
			CHECK(rw(fe, q, NVME_OPC_READ, ns->nsid, 1000 + s * 300, shapes[s][0],
				 rbuf + off, len) == 0,
			      "read ns %u shape %u", ns->nsid, s);
			CHECK(memcmp(wbuf + off, rbuf + off, len) == 0, "data ns %u shape %u",
			      ns->nsid, s);
		}
		/* Tag block 0 of each namespace to check isolation across namespaces. */
		fill(wbuf, 512, seed + ns->nsid);
		CHECK(rw(fe, 1, NVME_OPC_WRITE, ns->nsid, 0, 1, wbuf, 512) == 0, "tag write");
	}
}

static void
check_tags(struct vd_nvme_fe *fe, uint32_t seed)
{
	uint8_t *rbuf = vd_nvme_fe_alloc(fe, 512, 4096), want[512];
	uint32_t i;

	for (i = 0; i < vd_nvme_fe_num_ns(fe); i++) {
		uint32_t nsid = vd_nvme_fe_get_ns(fe, i)->nsid;

		fill(want, 512, seed + nsid);
		CHECK(rw(fe, 1, NVME_OPC_READ, nsid, 0, 1, rbuf, 512) == 0, "tag read");
		CHECK(memcmp(want, rbuf, 512) == 0, "namespace %u holds another's data", nsid);
	}
}

static void
case_rw(const char *a, const char *b, bool dbbuf)
{
	struct vd_nvme_fe *fa = fe_open(a, 2, dbbuf, !dbbuf, false);
	struct vd_nvme_fe *fb = fe_open(b, 1, dbbuf, false, false);
	struct vd_nvme_fe_stats st;

	if (fa == NULL || fb == NULL) {
		g_fail++;
		vd_nvme_fe_close(fa);
		vd_nvme_fe_close(fb);
		return;
	}
	verify_ns(fa, 1);
	verify_ns(fb, 2);
	/* Controller A's namespaces 1 and 2 and B's namespace 1 are three different bdevs. */
	check_tags(fa, 1);
	check_tags(fb, 2);
	vd_nvme_fe_get_stats(fa, &st);
	if (dbbuf) {
		CHECK(st.shadow_doorbells > 0, "no shadow doorbell used");
		CHECK(st.mmio_doorbells * 4 < st.shadow_doorbells,
		      "EventIdx not maintained: %lu MMIO for %lu shadow writes",
		      (unsigned long)st.mmio_doorbells, (unsigned long)st.shadow_doorbells);
	} else {
		CHECK(st.shadow_doorbells == 0, "shadow doorbells without DBBUF");
		CHECK(st.interrupts > 0, "no interrupt through the CQ eventfds");
	}
	vd_nvme_fe_close(fa);
	vd_nvme_fe_close(fb);
}

static void
case_io_errors(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 1, false, false, false);
	uint8_t *buf, *zero;
	struct nvme_sqe s;
	uint64_t *list;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	buf = vd_nvme_fe_alloc(fe, 256 * 1024, 4096);
	zero = vd_nvme_fe_alloc(fe, 4096, 4096);
	list = vd_nvme_fe_alloc(fe, 4096, 4096);
	CHECK(rw(fe, 1, 0x7e, 1, 0, 1, buf, 512) == ST(GENERIC, INVALID_OPCODE), "opcode 0x7e");
	CHECK(rw(fe, 1, NVME_OPC_READ, 99, 0, 1, buf, 512) == ST(GENERIC, INVALID_NAMESPACE),
	      "nsid 99");
	CHECK(rw(fe, 1, NVME_OPC_READ, 0, 0, 1, buf, 512) == ST(GENERIC, INVALID_NAMESPACE),
	      "nsid 0");
	CHECK(rw(fe, 1, NVME_OPC_READ, 1, 16384, 1, buf, 512) == ST(GENERIC, LBA_OUT_OF_RANGE),
	      "lba past the end");
	CHECK(rw(fe, 1, NVME_OPC_WRITE, 1, 16383, 2, buf, 1024) == ST(GENERIC, LBA_OUT_OF_RANGE),
	      "range crossing the end");
	CHECK(rw(fe, 1, NVME_OPC_READ, 1, 0, 257, buf, 257 * 512) == ST(GENERIC, INVALID_FIELD),
	      "beyond MDTS");
	/* Malformed PRPs. */
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_READ, 1, 0, 16);
	s.prp1 = vd_nvme_fe_gpa(fe, buf);
	s.prp2 = vd_nvme_fe_gpa(fe, buf) + 4096 + 8;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, PRP_OFFSET_INVALID), "prp2 offset");
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_READ, 1, 0, 1);
	s.prp1 = 0x7000000000ull;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, DATA_TRANSFER_ERROR),
	      "prp1 outside guest memory");
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_READ, 1, 0, 1);
	s.prp1 = vd_nvme_fe_gpa(fe, buf) + 2;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, INVALID_FIELD), "prp1 not dword");
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_READ, 1, 0, 24);
	s.prp1 = vd_nvme_fe_gpa(fe, buf);
	s.prp2 = 0x7000000000ull;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, DATA_TRANSFER_ERROR),
	      "prp list outside guest memory");
	list[0] = vd_nvme_fe_gpa(fe, buf) + 4096;
	list[1] = vd_nvme_fe_gpa(fe, buf) + 8192 + 512;
	s.prp2 = vd_nvme_fe_gpa(fe, list);
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, PRP_OFFSET_INVALID),
	      "list entry with offset");
	list[1] = 0x7000000000ull;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == ST(GENERIC, DATA_TRANSFER_ERROR),
	      "list entry outside guest memory");
	/* Compare, Write Zeroes, Dataset Management, Flush. */
	fill(buf, 4096, 77);
	CHECK(rw(fe, 1, NVME_OPC_WRITE, 1, 50, 8, buf, 4096) == 0, "write");
	CHECK(rw(fe, 1, NVME_OPC_COMPARE, 1, 50, 8, buf, 4096) == 0, "compare equal");
	buf[4000] ^= 1;
	CHECK(rw(fe, 1, NVME_OPC_COMPARE, 1, 50, 8, buf, 4096) == ST(MEDIA, COMPARE_FAILURE),
	      "compare different");
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_WRITE_ZEROES, 1, 50, 4);
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == 0, "write zeroes");
	CHECK(rw(fe, 1, NVME_OPC_READ, 1, 50, 8, buf, 4096) == 0, "read back");
	{
		uint8_t exp[4096];

		fill(exp, sizeof(exp), 77);
		CHECK(memcmp(buf, zero, 2048) == 0 && memcmp(buf + 2048, exp + 2048, 2048) == 0,
		      "write zeroes wrote the wrong blocks");
	}
	{
		struct nvme_dsm_range *r = (struct nvme_dsm_range *)list;

		memset(list, 0, 4096);
		r[0].slba = 100;
		r[0].nlb = 8;
		r[1].slba = 16380;
		r[1].nlb = 4;
		memset(&s, 0, sizeof(s));
		s.opc = NVME_OPC_DATASET_MANAGEMENT;
		s.nsid = 1;
		s.cdw10 = 1;
		s.cdw11 = NVME_DSM_ATTR_DEALLOCATE;
		CHECK(run(fe, 1, &s, list, 32, NULL) == 0, "deallocate");
		r[1].slba = 16382;
		memset(&s, 0, sizeof(s));
		s.opc = NVME_OPC_DATASET_MANAGEMENT;
		s.nsid = 1;
		s.cdw10 = 1;
		s.cdw11 = NVME_DSM_ATTR_DEALLOCATE;
		CHECK(run(fe, 1, &s, list, 32, NULL) == ST(GENERIC, LBA_OUT_OF_RANGE),
		      "deallocate past the end");
	}
	memset(&s, 0, sizeof(s));
	s.opc = NVME_OPC_FLUSH;
	s.nsid = 1;
	CHECK(run(fe, 1, &s, NULL, 0, NULL) == 0, "flush");
	vd_nvme_fe_close(fe);
}

struct inflight {
	uint32_t done;
	uint32_t ok;
};

static void
count_cb(void *arg, const struct nvme_cqe *cqe)
{
	struct inflight *f = arg;

	f->done++;
	f->ok += NVME_CQE_TO_STATUS(cqe->status) == 0;
}

/* Queue \p n 128 KiB commands alternating read and write over both I/O queues. */
static uint32_t
flood(struct vd_nvme_fe *fe, uint8_t *buf, uint32_t n, struct inflight *f)
{
	struct nvme_sqe s;
	uint32_t i, sent = 0;

	for (i = 0; i < n; i++) {
		vd_nvme_fe_sqe_rw(&s, (i & 1) ? NVME_OPC_READ : NVME_OPC_WRITE, 1 + i % 2,
				  (i * 256) % 16000, 256);
		if (vd_nvme_fe_submit(fe, (uint16_t)(1 + i % 2), &s, buf + (i % 8) * 131072, 131072,
				      count_cb, f) == 0) {
			sent++;
		}
	}
	return sent;
}

static void
case_reset(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 2, false, false, false);
	struct inflight f = {0};
	uint8_t *buf, *mem;
	uint64_t size, i, bad = 0;
	uint32_t sent;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	buf = vd_nvme_fe_alloc(fe, 8 * 131072, 4096);
	sent = flood(fe, buf, 200, &f);
	CHECK(sent > 100, "only %u commands queued", sent);
	CHECK(vd_nvme_fe_disable(fe) == 0, "CC.EN=0 did not finish");
	/* Reap whatever was posted before RDY fell, then poison all guest memory. */
	vd_nvme_fe_poll(fe, 1);
	vd_nvme_fe_poll(fe, 2);
	mem = vd_nvme_fe_mem(fe, &size);
	memset(mem, 0xa5, size);
	usleep(200 * 1000);
	for (i = 0; i < size; i++) {
		bad += mem[i] != 0xa5;
	}
	CHECK(bad == 0, "%lu bytes of guest memory changed after the reset", (unsigned long)bad);
	fprintf(stderr, "reset: %u queued, %u completed before reset\n", sent, f.done);
	/* The controller comes back. */
	CHECK(vd_nvme_fe_enable(fe) == 0, "re-enable after reset");
	verify_ns(fe, 5);
	CHECK(vd_nvme_fe_shutdown(fe) == 0, "shutdown notification");
	vd_nvme_fe_close(fe);
}

static void
case_disconnect(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 2, true, false, false);
	struct inflight f = {0};
	uint8_t *buf;
	int round;

	for (round = 0; round < 3 && fe != NULL; round++) {
		buf = vd_nvme_fe_alloc(fe, 8 * 131072, 4096);
		CHECK(flood(fe, buf, 150, &f) > 100, "queue");
		usleep(1000);
		vd_nvme_fe_close(fe); /* mid-I/O */
		fe = fe_open(a, 2, round & 1, false, false);
	}
	CHECK(fe != NULL, "reconnect");
	if (fe != NULL) {
		verify_ns(fe, 9);
		vd_nvme_fe_close(fe);
	}
}

/* A new front-end on \p sock (admin by message or queue) reads and writes correctly. */
static void
reopen_verify(const char *sock, bool admin_msg, uint32_t seed, const char *what)
{
	struct vd_nvme_fe *fe = fe_open_mode(sock, 2, false, false, false, admin_msg);

	CHECK(fe != NULL, "%s", what);
	if (fe != NULL) {
		verify_ns(fe, seed);
		vd_nvme_fe_close(fe);
	}
}

static void
case_doorbell(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open(a, 1, false, false, false);
	uint8_t *buf;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	/* A tail beyond the queue size is ignored; the queue keeps working. */
	vd_nvme_fe_ring_doorbell(fe, 1, false, 5000);
	usleep(10000);
	vd_nvme_fe_ring_doorbell(fe, 1, false, 0);
	buf = vd_nvme_fe_alloc(fe, 4096, 4096);
	CHECK(rw(fe, 1, NVME_OPC_READ, 1, 0, 8, buf, 4096) == 0, "I/O after a bad doorbell");
	vd_nvme_fe_close(fe);
}

struct bench {
	struct vd_nvme_fe *fe;
	uint8_t *buf;
	uint64_t nblocks;
	uint64_t done;
	uint64_t seed;
	uint32_t bs_blocks;
	bool stop;
};

static void bench_cb(void *arg, const struct nvme_cqe *cqe);

static void
bench_submit(struct bench *b)
{
	struct nvme_sqe s;
	uint64_t lba;

	b->seed = b->seed * 6364136223846793005ull + 1442695040888963407ull;
	lba = ((b->seed >> 17) % (b->nblocks / b->bs_blocks)) * b->bs_blocks;
	vd_nvme_fe_sqe_rw(&s, NVME_OPC_READ, 1, lba, b->bs_blocks);
	if (vd_nvme_fe_submit(b->fe, 1, &s, b->buf, 4096, bench_cb, b) != 0) {
		g_fail++;
	}
}

static void
bench_cb(void *arg, const struct nvme_cqe *cqe)
{
	struct bench *b = arg;

	b->done++;
	if (NVME_CQE_TO_STATUS(cqe->status) != 0) {
		g_fail++;
	}
	if (!b->stop) {
		bench_submit(b);
	}
}

/* 4 KiB random reads at queue depth \p qd on namespace 1 for \p secs: prints IOPS and latency. */
static void
case_bench(const char *a, uint32_t qd, uint32_t secs, bool dbbuf)
{
	struct vd_nvme_fe *fe = fe_open(a, 1, dbbuf, false, false);
	struct bench b = {.fe = fe, .seed = 42};
	struct timespec t0, t1;
	double el;
	uint32_t i;

	if (fe == NULL) {
		g_fail++;
		return;
	}
	b.buf = vd_nvme_fe_alloc(fe, 4096, 4096);
	b.bs_blocks = 4096 / vd_nvme_fe_get_ns(fe, 0)->block_size;
	b.nblocks = vd_nvme_fe_get_ns(fe, 0)->num_blocks;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < qd; i++) {
		bench_submit(&b);
	}
	do {
		vd_nvme_fe_poll(fe, 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (el < secs);
	b.stop = true;
	while (vd_nvme_fe_outstanding(fe, 1) > 0) {
		vd_nvme_fe_poll(fe, 1);
	}
	printf("vhost-nvme%s qd=%u iops=%.0f avg_lat_us=%.2f\n", dbbuf ? "(dbbuf)" : "", qd,
	       (double)b.done / el, el * 1e6 * qd / (double)b.done);
	vd_nvme_fe_close(fe);
}

/* Admin commands as messages (VHOST_USER_NVME_ADMIN). --------------------------------------- */

#define AEN_NS_CHANGED                                                                             \
	(NVME_AER_TYPE_NOTICE | (NVME_AER_INFO_NS_ATTR_CHANGED << 8) |                             \
	 ((uint32_t)NVME_LOG_CHANGED_NS << 16))

/* One admin message; \return its status, 0xffff when no valid reply came. */
static uint16_t
msg(struct vd_nvme_fe *fe, uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, void *buf,
    uint32_t len, uint32_t *cdw0)
{
	struct nvme_sqe sqe = {.opc = opc, .nsid = nsid, .cdw10 = cdw10, .cdw11 = cdw11};
	struct nvme_cqe cqe;
	int rc = vd_nvme_fe_admin_msg(fe, &sqe, buf, len, &cqe);

	if (rc != 0) {
		fprintf(stderr, "admin message 0x%x: %s\n", opc, strerror(-rc));
		return 0xffff;
	}
	CHECK(cqe.cid == sqe.cid && cqe.sqid == 0 && cqe.sqhd == 0 &&
		      NVME_CQE_PHASE(cqe.status) == 0,
	      "CQE of opcode 0x%x: cid %u/%u sqid %u sqhd %u status 0x%x", opc, cqe.cid, sqe.cid,
	      cqe.sqid, cqe.sqhd, cqe.status);
	if (cdw0 != NULL) {
		*cdw0 = cqe.cdw0;
	}
	return NVME_CQE_TO_STATUS(cqe.status);
}

/* Bring-up, Identify, queue creation and I/O with admin by message, beside an admin-queue peer. */
static void
case_msg_admin(const char *a, const char *b)
{
	struct vd_nvme_fe *fa = fe_open_mode(a, 2, false, true, false, true);
	struct vd_nvme_fe *fb = fe_open(b, 1, false, false, false);
	const struct nvme_id_ctrlr *id;
	uint8_t *buf;
	uint64_t v = 1;

	if (fa == NULL || fb == NULL) {
		g_fail++;
		vd_nvme_fe_close(fa);
		vd_nvme_fe_close(fb);
		return;
	}
	CHECK(vd_nvme_fe_reg_read(fa, NVME_REG_AQA, 4, &v) == 0 && v == 0, "AQA 0x%lx",
	      (unsigned long)v);
	id = vd_nvme_fe_id_ctrlr(fa);
	CHECK(id->mdts == 5 && id->nn == 32, "identify by message: mdts %u nn %u", id->mdts,
	      id->nn);
	CHECK(memcmp(id->sn, "nvme0 ", 6) == 0, "sn '%.20s'", id->sn);
	CHECK(vd_nvme_fe_num_ns(fa) == 2 && vd_nvme_fe_num_io_queues(fa) == 2,
	      "namespaces %u, I/O queues %u", vd_nvme_fe_num_ns(fa), vd_nvme_fe_num_io_queues(fa));
	verify_ns(fa, 21);
	verify_ns(fb, 22);
	check_tags(fa, 21);
	buf = vd_nvme_fe_alloc(fa, 4096, 4096);
	/* The same checks and statuses as on the admin queue. */
	CHECK(msg(fa, 0x7f, 0, 0, 0, NULL, 0, NULL) == ST(GENERIC, INVALID_OPCODE), "opcode 0x7f");
	CHECK(msg(fa, NVME_OPC_IDENTIFY, 0, NVME_CNS_NS, 0, buf, 4096, NULL) ==
		      ST(GENERIC, INVALID_NAMESPACE),
	      "identify nsid 0");
	CHECK(msg(fa, NVME_OPC_IDENTIFY, 9, NVME_CNS_NS_ID_DESCRIPTORS, 0, buf, 4096, NULL) ==
		      ST(GENERIC, INVALID_NAMESPACE),
	      "descriptors of inactive ns");
	CHECK(msg(fa, NVME_OPC_CREATE_IO_CQ, 0, qsz(0, 16), 3, NULL, 0, NULL) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "cq id 0");
	CHECK(msg(fa, NVME_OPC_DELETE_IO_SQ, 0, 0, 0, NULL, 0, NULL) ==
		      ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER),
	      "delete admin sq");
	/* Delete and re-create I/O queue 2 by message, then I/O again. */
	CHECK(msg(fa, NVME_OPC_DELETE_IO_SQ, 0, 2, 0, NULL, 0, NULL) == 0, "delete sq 2");
	CHECK(msg(fa, NVME_OPC_DELETE_IO_CQ, 0, 2, 0, NULL, 0, NULL) == 0, "delete cq 2");
	CHECK(msg(fa, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_NUMBER_OF_QUEUES, 0, NULL, 0, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "NOQ with queues");
	CHECK(msg(fa, NVME_OPC_KEEP_ALIVE, 0, 0, 0, NULL, 0, NULL) == 0, "keep alive");
	CHECK(msg(fa, NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, NULL, 0, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "AER with no event pending");
	CHECK(rw(fa, 1, NVME_OPC_READ, 1, 0, 1, buf, 512) == 0, "read on queue 1");
	CHECK(vd_nvme_fe_shutdown(fa) == 0, "shutdown");
	CHECK(msg(fa, NVME_OPC_KEEP_ALIVE, 0, 0, 0, NULL, 0, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "admin message after shutdown");
	vd_nvme_fe_close(fa);
	vd_nvme_fe_close(fb);
}

/* Before CC.EN=1: Command Sequence Error; a wrong payload size closes only that connection. */
static void
case_msg_errors(const char *a, const char *b)
{
	struct vd_nvme_fe *fa = fe_connect(a, 2, false, false, false, true);
	struct vd_nvme_fe *fb = fe_open_mode(b, 1, false, false, false, true);
	struct nvme_sqe sqe = {.opc = NVME_OPC_IDENTIFY, .cdw10 = NVME_CNS_CTRLR};
	struct nvme_cqe cqe;
	uint8_t *buf;

	if (fa == NULL || fb == NULL) {
		g_fail++;
		vd_nvme_fe_close(fa);
		vd_nvme_fe_close(fb);
		return;
	}
	buf = vd_nvme_fe_alloc(fa, 4096, 4096);
	CHECK(msg(fa, NVME_OPC_IDENTIFY, 0, NVME_CNS_CTRLR, 0, buf, 4096, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "identify before CC.EN=1");
	CHECK(vd_nvme_fe_enable(fa) == 0, "enable after the refused command");
	verify_ns(fa, 31);
	/* 60 bytes are no SQE: protocol error, connection closed. */
	CHECK(vd_nvme_fe_admin_msg_send(fa, &sqe, 60) == 0, "send short");
	CHECK(vd_nvme_fe_admin_msg_recv(fa, &cqe) == -ECONNRESET, "short SQE not refused");
	CHECK(!vd_nvme_fe_connected(fa), "connection still up");
	vd_nvme_fe_close(fa);
	/* The other controller keeps serving, and the first takes a new front-end. */
	verify_ns(fb, 32);
	CHECK(msg(fb, NVME_OPC_KEEP_ALIVE, 0, 0, 0, NULL, 0, NULL) == 0, "B keep alive");
	vd_nvme_fe_close(fb);
	reopen_verify(a, true, 33, "reconnect after the protocol error");
}

/*
 * Asynchronous event without an admin queue: the test script adds a namespace to controller A
 * when this prints READY; CQ 0's eventfd fires and an AER message returns the notice.
 */
static void
case_msg_aer(const char *a, const char *b)
{
	struct vd_nvme_fe *fe = fe_open_mode(a, 2, false, false, false, true);
	uint32_t *log, cdw0 = 0, i, n = 0;
	char line[16];

	if (fe == NULL) {
		g_fail++;
		return;
	}
	log = vd_nvme_fe_alloc(fe, 4096, 4096);
	CHECK(msg(fe, NVME_OPC_SET_FEATURES, 0, NVME_FEAT_ASYNC_EVENT_CONFIG,
		  NVME_AEC_NS_ATTR_NOTICES, NULL, 0, NULL) == 0,
	      "enable namespace notices");
	CHECK(msg(fe, NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, NULL, 0, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "AER with nothing pending");
	CHECK(vd_nvme_fe_wait_event(fe, 100) == -ETIMEDOUT, "event before any change");
	printf("READY\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		CHECK(0, "no go-ahead from the test script");
	}
	CHECK(vd_nvme_fe_wait_event(fe, 5000) == 0, "no event signalled on CQ 0's eventfd");
	CHECK(msg(fe, NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, NULL, 0, &cdw0) == 0, "AER");
	CHECK(cdw0 == AEN_NS_CHANGED, "AER dword 0 0x%x", cdw0);
	CHECK(msg(fe, NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, NULL, 0, NULL) ==
		      ST(GENERIC, COMMAND_SEQUENCE_ERROR),
	      "second AER: event already taken");
	CHECK(msg(fe, NVME_OPC_GET_LOG_PAGE, 0, NVME_LOG_CHANGED_NS | (1023u << 16), 0, log, 4096,
		  NULL) == 0,
	      "changed namespace list");
	for (i = 0; i < 1024 && log[i] != 0; i++) {
		n++;
	}
	CHECK(n == 3 && log[2] == 3, "changed list: %u entries", n);
	CHECK(msg(fe, NVME_OPC_IDENTIFY, 3, NVME_CNS_NS, 0, log, 4096, NULL) == 0 &&
		      ((struct nvme_id_ns *)log)->nsze == 16384,
	      "identify the new namespace");
	vd_nvme_fe_close(fe);
}

/* Disconnect while a Delete I/O SQ message waits for the queue's commands. */
static void
case_msg_disconnect(const char *a, const char *b)
{
	struct nvme_sqe sqe = {.opc = NVME_OPC_DELETE_IO_SQ, .cdw10 = 1};
	struct vd_nvme_fe *fe;
	struct inflight f = {0};
	struct nvme_cqe cqe;
	uint8_t *buf;
	int round;

	for (round = 0; round < 3; round++) {
		fe = fe_open_mode(a, 2, round == 1, false, false, true);
		if (fe == NULL) {
			g_fail++;
			return;
		}
		buf = vd_nvme_fe_alloc(fe, 8 * 131072, 4096);
		CHECK(flood(fe, buf, 150, &f) > 100, "queue");
		CHECK(vd_nvme_fe_admin_msg_send(fe, &sqe, sizeof(sqe)) == 0, "send delete sq 1");
		if (round == 2) {
			/* Once: let it finish; the deferred reply arrives after the queue drained.
			 */
			CHECK(vd_nvme_fe_admin_msg_recv(fe, &cqe) == 0 &&
				      NVME_CQE_TO_STATUS(cqe.status) == 0,
			      "delete sq 1 with commands in flight");
		}
		vd_nvme_fe_close(fe); /* the reply is still pending in rounds 0 and 1 */
	}
	reopen_verify(a, true, 41, "reconnect");
	reopen_verify(a, false, 42, "admin queue mode after messages");
}

static void
case_rw_bar(const char *a, const char *b)
{
	case_rw(a, b, false);
}

static void
case_rw_dbbuf(const char *a, const char *b)
{
	case_rw(a, b, true);
}

static const struct {
	const char *name;
	void (*fn)(const char *a, const char *b);
} g_cases[] = {
	{"identify", case_identify},
	{"queues", case_queues},
	{"rw", case_rw_bar},
	{"rw_dbbuf", case_rw_dbbuf},
	{"io_errors", case_io_errors},
	{"reset", case_reset},
	{"disconnect", case_disconnect},
	{"doorbell", case_doorbell},
	{"msg_admin", case_msg_admin},
	{"msg_errors", case_msg_errors},
	{"msg_aer", case_msg_aer},
	{"msg_disconnect", case_msg_disconnect},
};

int
main(int argc, char **argv)
{
	const char *c, *a, *b;
	size_t i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CASE SOCK_A [SOCK_B]\n", argv[0]);
		return 2;
	}
	c = argv[1];
	a = argv[2];
	b = argc > 3 ? argv[3] : argv[2];
	if (strcmp(c, "bench") == 0) {
		case_bench(a, argc > 3 ? (uint32_t)atoi(argv[3]) : 1,
			   argc > 4 ? (uint32_t)atoi(argv[4]) : 5, argc > 5 && atoi(argv[5]) != 0);
		return g_fail == 0 ? 0 : 1;
	}
	for (i = 0; i < sizeof(g_cases) / sizeof(g_cases[0]); i++) {
		if (strcmp(c, g_cases[i].name) == 0) {
			g_cases[i].fn(a, b);
			return g_fail == 0 ? 0 : 1;
		}
	}
	fprintf(stderr, "unknown case %s\n", c);
	return 2;
}
