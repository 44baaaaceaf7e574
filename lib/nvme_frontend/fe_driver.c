/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The guest-driver half of the vhost-user-nvme front-end: queues in guest memory, PRP
 * construction, doorbells (BAR page, or shadow doorbells with the EventIdx rule of NVMe 1.3
 * §5.7: a BAR write only when the new value passes the controller's EventIdx), completion
 * reaping by phase tag, and the bring-up sequence of a Linux-like driver.
 *
 * Invariants: a queue never has more than size - 1 commands outstanding; the CID is the slot
 * index; each slot owns one guest page for its PRP list.  Queue memory is allocated once per
 * queue id and reused by later enables.  Everything an I/O queue's submit/poll/abort touches
 * (its SQ, CQ, slots, statistics and its own doorbell words) belongs to that queue, so
 * different threads may drive different queues.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vhostd/vhost_nvme.h"
#include "fe_internal.h"

/* Guest memory. -------------------------------------------------------------------------------- */

void *
vd_nvme_fe_alloc(struct vd_nvme_fe *fe, uint64_t len, uint64_t align)
{
	uint64_t off;

	if (align == 0 || !VD_IS_POW2(align)) {
		align = 64;
	}
	off = VD_ALIGN_UP(fe->mem_used, align);
	if (off > fe->mem_size || len > fe->mem_size - off) {
		return NULL;
	}
	fe->mem_used = off + len;
	memset(fe->mem + off, 0, len);
	return fe->mem + off;
}

uint64_t
vd_nvme_fe_gpa(const struct vd_nvme_fe *fe, const void *ptr)
{
	if (fe->external) {
		return (uint64_t)(uintptr_t)ptr;
	}
	return VD_NVME_FE_GPA_BASE + (uint64_t)((const uint8_t *)ptr - fe->mem);
}

void *
vd_nvme_fe_hva(const struct vd_nvme_fe *fe, uint64_t gpa)
{
	if (fe->external) {
		return fe_in_mem(fe, (void *)(uintptr_t)gpa, 1) ? (void *)(uintptr_t)gpa : NULL;
	}
	if (gpa < VD_NVME_FE_GPA_BASE || gpa - VD_NVME_FE_GPA_BASE >= fe->mem_size) {
		return NULL;
	}
	return fe->mem + (gpa - VD_NVME_FE_GPA_BASE);
}

void *
vd_nvme_fe_mem(const struct vd_nvme_fe *fe, uint64_t *size)
{
	*size = fe->mem_size;
	return fe->mem;
}

/* The external region holding byte \p a, or NULL. */
static const struct vd_nvme_fe_region *
region_find(const struct vd_nvme_fe *fe, uintptr_t a)
{
	uint32_t i;

	for (i = 0; i < fe->nregions; i++) {
		uintptr_t base = (uintptr_t)fe->regions[i].addr;

		if (a >= base && a - base < fe->regions[i].len) {
			return &fe->regions[i];
		}
	}
	return NULL;
}

bool
fe_in_mem(const struct vd_nvme_fe *fe, const void *p, uint64_t len)
{
	const struct vd_nvme_fe_region *r;
	uintptr_t a = (uintptr_t)p, end;

	if (!fe->external) {
		const uint8_t *b = p;

		return b >= fe->mem && b <= fe->mem + fe->mem_size &&
		       len <= (uint64_t)(fe->mem + fe->mem_size - b);
	}
	if (len > UINTPTR_MAX - a) {
		return false;
	}
	/* A buffer may run over several regions that touch each other. */
	for (end = a + len; a < end; a = (uintptr_t)r->addr + r->len) {
		r = region_find(fe, a);
		if (r == NULL) {
			return false;
		}
	}
	return true;
}

uint64_t
vd_nvme_fe_arena_size(const struct vd_nvme_fe_opts *o)
{
	uint64_t as = o->admin_queue_size, qs = o->queue_size, per_q;

	/* SQ and CQ rounded to pages, one PRP list page per slot. */
	per_q = VD_ALIGN_UP(qs * 64, (uint64_t)FE_PAGE) + VD_ALIGN_UP(qs * 16, (uint64_t)FE_PAGE) +
		qs * FE_PAGE;
	return VD_ALIGN_UP(as * 64, (uint64_t)FE_PAGE) + VD_ALIGN_UP(as * 16, (uint64_t)FE_PAGE) +
	       as * FE_PAGE + o->io_queues * per_q +
	       8 * FE_PAGE; /* Identify ctrlr, ns list, ns, DBBUF pages, slack */
}

/* Queues. -------------------------------------------------------------------------------------- */

static int
queue_setup(struct vd_nvme_fe *fe, uint16_t qid, uint16_t size)
{
	struct fe_queue *q = &fe->q[qid];
	uint32_t i;

	if (q->slots == NULL || q->size < size) {
		free(q->slots);
		q->slots = calloc(size, sizeof(*q->slots));
		q->sq = vd_nvme_fe_alloc(fe, (uint64_t)size * sizeof(struct nvme_sqe), FE_PAGE);
		q->cq = vd_nvme_fe_alloc(fe, (uint64_t)size * sizeof(struct nvme_cqe), FE_PAGE);
		if (q->slots == NULL || q->sq == NULL || q->cq == NULL) {
			return -ENOMEM;
		}
		for (i = 0; i < size; i++) {
			q->slots[i].prp_list = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE);
			if (q->slots[i].prp_list == NULL) {
				return -ENOMEM;
			}
		}
	}
	memset(q->sq, 0, (size_t)size * sizeof(struct nvme_sqe));
	memset(q->cq, 0, (size_t)size * sizeof(struct nvme_cqe));
	for (i = 0; i < size; i++) {
		q->slots[i].busy = false;
	}
	q->id = qid;
	q->size = size;
	q->sq_tail = 0;
	q->cq_head = 0;
	q->phase = 1;
	q->outstanding = 0;
	q->next_cid = 0;
	q->live = true;
	return 0;
}

static void
db_write(struct vd_nvme_fe *fe, uint16_t qid, bool cq, uint16_t value)
{
	uint32_t idx = 2u * qid + (cq ? 1 : 0);
	uint16_t old, ei;

	if (qid > 0 && fe->shadow != NULL) {
		old = (uint16_t)fe->shadow[idx];
		__atomic_store_n(&fe->shadow[idx], value, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		fe->q[qid].shadow_doorbells++;
		ei = (uint16_t)__atomic_load_n(&fe->eventidx[idx], __ATOMIC_ACQUIRE);
		if ((uint16_t)(value - ei - 1) >= (uint16_t)(value - old)) {
			return; /* the controller polls the shadow: no MMIO needed */
		}
	}
	__atomic_store_n(&fe->db[idx], value, __ATOMIC_RELEASE);
	if (qid > 0) {
		fe->q[qid].mmio_doorbells++;
	}
}

void
vd_nvme_fe_ring_doorbell(struct vd_nvme_fe *fe, uint16_t qid, bool cq, uint32_t value)
{
	__atomic_store_n(&fe->db[2u * qid + (cq ? 1 : 0)], value, __ATOMIC_RELEASE);
}

/* Append the page addresses of [gpa, gpa + len) after the first page of the command. */
static int
prp_add_pages(uint64_t *list, uint32_t *n, uint64_t page, uint64_t end)
{
	for (; page < end; page += FE_PAGE) {
		if (*n == VD_NVME_FE_MAX_PRP_ENTRIES) {
			return -EINVAL; /* no chained lists from this builder */
		}
		list[(*n)++] = page;
	}
	return 0;
}

/*
 * PRP1/PRP2 for \p iov: PRP1 = first buffer (any dword-aligned offset), then every further page
 * in the slot's list page; PRP2 = the only such page itself, or the list.
 */
static int
prp_build(struct vd_nvme_fe *fe, struct fe_slot *slot, struct nvme_sqe *sqe,
	  const struct iovec *iov, int iovcnt)
{
	uint64_t gpa, end;
	uint32_t n = 0;
	int i, rc;

	for (i = 0; i < iovcnt; i++) {
		gpa = vd_nvme_fe_gpa(fe, iov[i].iov_base);
		end = gpa + iov[i].iov_len;
		if (iov[i].iov_len == 0 || (i == 0 && (gpa & 3) != 0) ||
		    (i > 0 && (gpa & (FE_PAGE - 1)) != 0) ||
		    (i < iovcnt - 1 && (end & (FE_PAGE - 1)) != 0)) {
			return -EINVAL;
		}
		if (!fe_in_mem(fe, iov[i].iov_base, iov[i].iov_len)) {
			return -EFAULT;
		}
		if (i == 0) {
			sqe->prp1 = gpa;
			gpa = (gpa & ~(uint64_t)(FE_PAGE - 1)) + FE_PAGE;
		}
		rc = prp_add_pages(slot->prp_list, &n, gpa, end);
		if (rc != 0) {
			return rc;
		}
	}
	sqe->prp2 = n == 0 ? 0 : n == 1 ? slot->prp_list[0] : vd_nvme_fe_gpa(fe, slot->prp_list);
	return 0;
}

static struct fe_slot *
slot_claim(struct fe_queue *q)
{
	uint16_t cid;

	for (cid = q->next_cid; q->slots[cid].busy; cid = (uint16_t)((cid + 1) % q->size)) {
	}
	return &q->slots[cid];
}

static void
sq_push(struct vd_nvme_fe *fe, struct fe_queue *q, struct fe_slot *slot, struct nvme_sqe *sqe,
	vd_nvme_fe_cb cb, void *cb_arg)
{
	uint16_t cid = (uint16_t)(slot - q->slots);

	q->next_cid = (uint16_t)((cid + 1) % q->size);
	slot->busy = true;
	slot->cb = cb;
	slot->cb_arg = cb_arg;
	sqe->cid = cid;
	q->sq[q->sq_tail] = *sqe;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->size);
	q->outstanding++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	db_write(fe, q->id, false, q->sq_tail);
}

static struct fe_queue *
queue_for_submit(struct vd_nvme_fe *fe, uint16_t qid, int *rc)
{
	struct fe_queue *q = qid < FE_MAX_QUEUES ? &fe->q[qid] : NULL;

	*rc = 0;
	if (q == NULL || !q->live) {
		*rc = -EINVAL;
	} else if (q->outstanding >= (uint32_t)q->size - 1) {
		*rc = -EAGAIN;
	}
	return *rc == 0 ? q : NULL;
}

int
vd_nvme_fe_submit(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe, void *buf,
		  uint32_t len, vd_nvme_fe_cb cb, void *cb_arg)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct fe_queue *q;
	struct fe_slot *slot;
	int rc;

	q = queue_for_submit(fe, qid, &rc);
	if (q == NULL) {
		return rc;
	}
	slot = slot_claim(q);
	if (buf != NULL) {
		/* Historical contract of this call: any unusable buffer is -EINVAL. */
		rc = prp_build(fe, slot, sqe, &iov, 1);
		if (rc != 0) {
			return -EINVAL;
		}
	}
	sq_push(fe, q, slot, sqe, cb, cb_arg);
	return 0;
}

int
vd_nvme_fe_submit_iov(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe,
		      const struct iovec *iov, int iovcnt, vd_nvme_fe_cb cb, void *cb_arg)
{
	struct fe_queue *q;
	struct fe_slot *slot;
	int rc;

	if (!vd_nvme_fe_connected(fe)) {
		return -ENOTCONN;
	}
	q = queue_for_submit(fe, qid, &rc);
	if (q == NULL) {
		return rc;
	}
	if (iovcnt <= 0 || iov == NULL) {
		return -EINVAL;
	}
	slot = slot_claim(q);
	rc = prp_build(fe, slot, sqe, iov, iovcnt);
	if (rc != 0) {
		return rc;
	}
	sq_push(fe, q, slot, sqe, cb, cb_arg);
	return 0;
}

void
vd_nvme_fe_abort_queue(struct vd_nvme_fe *fe, uint16_t qid, uint16_t status)
{
	struct fe_queue *q = qid < FE_MAX_QUEUES ? &fe->q[qid] : NULL;
	struct nvme_cqe cqe = {.sqid = qid, .status = NVME_CQE_STATUS(status, true)};
	struct fe_slot *slot;
	uint16_t cid;

	if (q == NULL || q->slots == NULL) {
		return;
	}
	q->live = false;
	for (cid = 0; cid < q->size && q->outstanding > 0; cid++) {
		slot = &q->slots[cid];
		if (!slot->busy) {
			continue;
		}
		slot->busy = false;
		q->outstanding--;
		cqe.cid = cid;
		if (slot->cb != NULL) {
			slot->cb(slot->cb_arg, &cqe);
		}
	}
}

int
vd_nvme_fe_poll(struct vd_nvme_fe *fe, uint16_t qid)
{
	struct fe_queue *q = &fe->q[qid];
	struct nvme_cqe cqe;
	struct fe_slot *slot;
	uint16_t st;
	int n = 0;

	if (qid >= FE_MAX_QUEUES || !q->live) {
		return 0;
	}
	for (;;) {
		st = __atomic_load_n(&q->cq[q->cq_head].status, __ATOMIC_ACQUIRE);
		if (NVME_CQE_PHASE(st) != q->phase) {
			break;
		}
		cqe = q->cq[q->cq_head];
		cqe.status = st;
		if (++q->cq_head == q->size) {
			q->cq_head = 0;
			q->phase ^= 1;
		}
		n++;
		if (cqe.cid >= q->size || !q->slots[cqe.cid].busy) {
			fprintf(stderr, "nvme_fe: queue %u: completion for idle cid %u\n", qid,
				cqe.cid);
			continue;
		}
		slot = &q->slots[cqe.cid];
		slot->busy = false;
		q->outstanding--;
		if (slot->cb != NULL) {
			slot->cb(slot->cb_arg, &cqe);
		}
	}
	if (n > 0) {
		db_write(fe, qid, true, q->cq_head);
	}
	return n;
}

int
vd_nvme_fe_wait(struct vd_nvme_fe *fe, uint16_t qid, uint32_t timeout_us)
{
	struct fe_queue *q = &fe->q[qid];
	struct pollfd p = {.fd = q->efd, .events = POLLIN};
	uint64_t v;
	int n = vd_nvme_fe_poll(fe, qid);

	if (n > 0 || timeout_us == 0) {
		return n;
	}
	if (fe->opts.interrupts && q->efd >= 0) {
		if (poll(&p, 1, (int)VD_MAX(timeout_us / 1000, 1u)) > 0 &&
		    read(q->efd, &v, sizeof(v)) == sizeof(v)) {
			q->interrupts++;
		}
	} else {
		usleep(VD_MIN(timeout_us, 50u));
	}
	return vd_nvme_fe_poll(fe, qid);
}

uint32_t
vd_nvme_fe_outstanding(const struct vd_nvme_fe *fe, uint16_t qid)
{
	return qid < FE_MAX_QUEUES ? fe->q[qid].outstanding : 0;
}

struct sync_ctx {
	bool done;
	struct nvme_cqe cqe;
};

static void
sync_cb(void *arg, const struct nvme_cqe *cqe)
{
	struct sync_ctx *s = arg;

	s->cqe = *cqe;
	s->done = true;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
vd_nvme_fe_admin_msg(struct vd_nvme_fe *fe, struct nvme_sqe *sqe, void *buf, uint32_t len,
		     struct nvme_cqe *cqe)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	int rc;

	if (buf != NULL) {
		if (fe->msg_slot.prp_list == NULL) {
			fe->msg_slot.prp_list = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE);
		}
		if (fe->msg_slot.prp_list == NULL ||
		    prp_build(fe, &fe->msg_slot, sqe, &iov, 1) != 0) {
			return -EINVAL;
		}
	}
	sqe->cid = fe->msg_cid++;
	rc = vd_nvme_fe_admin_msg_send(fe, sqe, sizeof(*sqe));
	if (rc == 0) {
		rc = vd_nvme_fe_admin_msg_recv(fe, cqe);
	}
	return rc;
}

int
vd_nvme_fe_wait_event(struct vd_nvme_fe *fe, uint32_t timeout_ms)
{
	uint64_t v;
	int rc = fe_wait_readable(fe, fe->q[0].efd, timeout_ms);

	if (rc == 0 && read(fe->q[0].efd, &v, sizeof(v)) != sizeof(v)) {
		rc = -EAGAIN;
	}
	return rc;
}

int
vd_nvme_fe_cmd_sync(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe, void *buf,
		    uint32_t len, struct nvme_cqe *cqe)
{
	struct sync_ctx s = {0};
	uint64_t deadline = now_ms() + fe->opts.timeout_ms;
	int rc;

	if (qid == 0 && fe->opts.admin_msg) {
		return vd_nvme_fe_admin_msg(fe, sqe, buf, len, cqe);
	}
	rc = vd_nvme_fe_submit(fe, qid, sqe, buf, len, sync_cb, &s);
	if (rc != 0) {
		return rc;
	}
	while (!s.done && now_ms() < deadline) {
		vd_nvme_fe_wait(fe, qid, 1000);
	}
	if (!s.done) {
		fe->q[qid].slots[sqe->cid].cb = NULL; /* a late completion is ignored */
		return -ETIMEDOUT;
	}
	*cqe = s.cqe;
	return 0;
}

/* Bring-up. ------------------------------------------------------------------------------------ */

static int
wait_csts(struct vd_nvme_fe *fe, uint32_t mask, uint32_t want)
{
	uint64_t deadline = now_ms() + fe->opts.timeout_ms, v;
	int rc;

	do {
		rc = vd_nvme_fe_reg_read(fe, NVME_REG_CSTS, 4, &v);
		if (rc != 0) {
			return rc;
		}
		if ((v & mask) == want) {
			return 0;
		}
		if ((v & NVME_CSTS_CFS) && !(want & NVME_CSTS_CFS)) {
			return -ENODEV;
		}
		usleep(200);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

static int
admin(struct vd_nvme_fe *fe, struct nvme_sqe *sqe, void *buf, uint32_t len, uint32_t *cdw0)
{
	struct nvme_cqe cqe;
	uint8_t opc = sqe->opc;
	int rc = vd_nvme_fe_cmd_sync(fe, 0, sqe, buf, len, &cqe);

	if (rc != 0) {
		return rc;
	}
	if (NVME_CQE_TO_STATUS(cqe.status) != 0) {
		fprintf(stderr, "nvme_fe: admin opcode 0x%02x failed: status 0x%03x\n", opc,
			NVME_CQE_TO_STATUS(cqe.status));
		return -EIO;
	}
	if (cdw0 != NULL) {
		*cdw0 = cqe.cdw0;
	}
	return 0;
}

static int
enable_admin(struct vd_nvme_fe *fe)
{
	uint16_t as = fe->opts.admin_queue_size;
	uint32_t cc = NVME_CC_EN | (NVME_SQES_LOG2 << NVME_CC_IOSQES_SHIFT) |
		      (NVME_CQES_LOG2 << NVME_CC_IOCQES_SHIFT);
	uint64_t aqa = 0, asq = 0, acq = 0; /* all 0: no admin queue, admin by message */
	int rc = 0;

	if (!fe->opts.admin_msg) {
		rc = queue_setup(fe, 0, as);
		aqa = (uint32_t)(as - 1) * 0x10001u;
		asq = vd_nvme_fe_gpa(fe, fe->q[0].sq);
		acq = vd_nvme_fe_gpa(fe, fe->q[0].cq);
	}
	if (rc == 0) {
		rc = vd_nvme_fe_reg_write(fe, NVME_REG_AQA, 4, aqa);
	}
	if (rc == 0) {
		rc = vd_nvme_fe_reg_write(fe, NVME_REG_ASQ, 8, asq);
	}
	if (rc == 0) {
		rc = vd_nvme_fe_reg_write(fe, NVME_REG_ACQ, 8, acq);
	}
	if (rc == 0) {
		rc = vd_nvme_fe_reg_write(fe, NVME_REG_CC, 4, cc);
	}
	if (rc == 0) {
		rc = wait_csts(fe, NVME_CSTS_RDY, NVME_CSTS_RDY);
	}
	return rc;
}

static int
setup_dbbuf(struct vd_nvme_fe *fe)
{
	struct nvme_sqe sqe = {.opc = NVME_OPC_DOORBELL_BUFFER_CONFIG};
	void *dbs = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE),
	     *eis = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE);
	int rc;

	if (dbs == NULL || eis == NULL) {
		return -ENOMEM;
	}
	sqe.prp1 = vd_nvme_fe_gpa(fe, dbs);
	sqe.prp2 = vd_nvme_fe_gpa(fe, eis);
	rc = admin(fe, &sqe, NULL, 0, NULL);
	if (rc == 0) {
		fe->shadow = dbs;
		fe->eventidx = eis;
	}
	return rc;
}

static int
create_io_queues(struct vd_nvme_fe *fe)
{
	struct nvme_sqe sqe;
	uint16_t qid, size = fe->opts.queue_size;
	int rc;

	for (qid = 1; qid <= fe->nq; qid++) {
		rc = queue_setup(fe, qid, size);
		if (rc != 0) {
			return rc;
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opc = NVME_OPC_CREATE_IO_CQ;
		sqe.prp1 = vd_nvme_fe_gpa(fe, fe->q[qid].cq);
		sqe.cdw10 = qid | ((uint32_t)(size - 1) << 16);
		sqe.cdw11 = NVME_QUEUE_PC | (fe->opts.polled_cqs ? 0 : NVME_CQ_IEN) |
			    ((uint32_t)qid << 16);
		rc = admin(fe, &sqe, NULL, 0, NULL);
		if (rc != 0) {
			return rc;
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opc = NVME_OPC_CREATE_IO_SQ;
		sqe.prp1 = vd_nvme_fe_gpa(fe, fe->q[qid].sq);
		sqe.cdw10 = qid | ((uint32_t)(size - 1) << 16);
		sqe.cdw11 = NVME_QUEUE_PC | ((uint32_t)qid << 16);
		rc = admin(fe, &sqe, NULL, 0, NULL);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static int
identify_namespaces(struct vd_nvme_fe *fe)
{
	struct nvme_sqe sqe = {.opc = NVME_OPC_IDENTIFY, .cdw10 = NVME_CNS_ACTIVE_NS_LIST};
	uint32_t *list = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE), i;
	struct nvme_id_ns *id = vd_nvme_fe_alloc(fe, FE_PAGE, FE_PAGE);
	int rc;

	if (list == NULL || id == NULL) {
		return -ENOMEM;
	}
	rc = admin(fe, &sqe, list, FE_PAGE, NULL);
	fe->num_ns = 0;
	for (i = 0; rc == 0 && i < VD_NVME_FE_MAX_NS && list[i] != 0; i++) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opc = NVME_OPC_IDENTIFY;
		sqe.nsid = list[i];
		sqe.cdw10 = NVME_CNS_NS;
		rc = admin(fe, &sqe, id, FE_PAGE, NULL);
		if (rc == 0) {
			fe->ns[fe->num_ns].nsid = list[i];
			fe->ns[fe->num_ns].block_size =
				1u << ((id->lbaf[id->flbas & 0xf] >> NVME_LBAF_LBADS_SHIFT) & 0xff);
			fe->ns[fe->num_ns].num_blocks = id->nsze;
			fe->num_ns++;
		}
	}
	return rc;
}

int
vd_nvme_fe_enable(struct vd_nvme_fe *fe)
{
	struct nvme_sqe sqe = {.opc = NVME_OPC_IDENTIFY, .cdw10 = NVME_CNS_CTRLR};
	uint32_t cdw0 = 0, want = fe->opts.io_queues - 1u;
	int rc = enable_admin(fe);

	if (rc == 0 && fe->id_ctrlr == NULL) {
		fe->id_ctrlr = vd_nvme_fe_alloc(fe, sizeof(*fe->id_ctrlr), FE_PAGE);
		rc = fe->id_ctrlr == NULL ? -ENOMEM : 0;
	}
	if (rc == 0) {
		rc = admin(fe, &sqe, fe->id_ctrlr, sizeof(*fe->id_ctrlr), NULL);
	}
	if (rc == 0 && fe->opts.io_queues > 0) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opc = NVME_OPC_SET_FEATURES;
		sqe.cdw10 = NVME_FEAT_NUMBER_OF_QUEUES;
		sqe.cdw11 = want | (want << 16);
		rc = admin(fe, &sqe, NULL, 0, &cdw0);
		fe->nq = (uint16_t)(VD_MIN(VD_MIN(cdw0 & 0xffff, cdw0 >> 16), want) + 1);
	}
	if (rc == 0 && fe->opts.dbbuf && (fe->id_ctrlr->oacs & NVME_OACS_DBBUF)) {
		rc = setup_dbbuf(fe);
	}
	if (rc == 0 && !fe->opts.skip_io_queues) {
		rc = create_io_queues(fe);
	}
	if (rc == 0) {
		rc = identify_namespaces(fe);
	}
	return rc;
}

static void
forget_queues(struct vd_nvme_fe *fe)
{
	uint32_t i;

	for (i = 0; i < FE_MAX_QUEUES; i++) {
		fe->q[i].live = false;
		fe->q[i].outstanding = 0;
	}
	fe->shadow = NULL;
	fe->eventidx = NULL;
	memset((void *)fe->db, 0, VD_VHOST_NVME_DB_PAGE_SIZE);
}

int
vd_nvme_fe_disable(struct vd_nvme_fe *fe)
{
	int rc = vd_nvme_fe_reg_write(fe, NVME_REG_CC, 4, 0);

	if (rc == 0) {
		rc = wait_csts(fe, NVME_CSTS_RDY, 0);
	}
	forget_queues(fe);
	return rc;
}

int
vd_nvme_fe_shutdown(struct vd_nvme_fe *fe)
{
	uint64_t cc;
	int rc = vd_nvme_fe_reg_read(fe, NVME_REG_CC, 4, &cc);

	if (rc == 0) {
		cc |= 1u << NVME_CC_SHN_SHIFT;
		rc = vd_nvme_fe_reg_write(fe, NVME_REG_CC, 4, cc);
	}
	if (rc == 0) {
		rc = wait_csts(fe, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE);
	}
	return rc;
}

/* Accessors and builders. -----------------------------------------------------------------------
 */

const struct nvme_id_ctrlr *
vd_nvme_fe_id_ctrlr(const struct vd_nvme_fe *fe)
{
	return fe->id_ctrlr;
}

uint32_t
vd_nvme_fe_num_ns(const struct vd_nvme_fe *fe)
{
	return fe->num_ns;
}

const struct vd_nvme_fe_ns *
vd_nvme_fe_get_ns(const struct vd_nvme_fe *fe, uint32_t idx)
{
	return idx < fe->num_ns ? &fe->ns[idx] : NULL;
}

uint16_t
vd_nvme_fe_num_io_queues(const struct vd_nvme_fe *fe)
{
	return fe->nq;
}

void
vd_nvme_fe_get_stats(const struct vd_nvme_fe *fe, struct vd_nvme_fe_stats *stats)
{
	uint32_t i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < FE_MAX_QUEUES; i++) {
		stats->mmio_doorbells += fe->q[i].mmio_doorbells;
		stats->shadow_doorbells += fe->q[i].shadow_doorbells;
		stats->interrupts += fe->q[i].interrupts;
	}
}

void
vd_nvme_fe_sqe_rw(struct nvme_sqe *sqe, uint8_t opc, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opc = opc;
	sqe->nsid = nsid;
	sqe->cdw10 = (uint32_t)slba;
	sqe->cdw11 = (uint32_t)(slba >> 32);
	sqe->cdw12 = (nlb - 1) & 0xffff;
}
