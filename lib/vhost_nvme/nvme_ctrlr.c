/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The NVMe controller's engine: register file, controller state, queues in guest memory,
 * doorbells (BAR page or shadow), command fetch, completion posting and interrupts.
 *
 * Controller states (struct nvme_dp.state, data thread; CSTS mirrors them):
 *   DISABLED  --CC.EN=1, valid AQA/ASQ/ACQ/CC (nvme_enable)-->      ENABLED   (CSTS.RDY=1)
 *             (AQA = ASQ = ACQ = 0: enabled without an admin queue, admin by message only)
 *   DISABLED  --CC.EN=1, invalid values-->                         FATAL     (CSTS.CFS=1)
 *   ENABLED   --CC.SHN!=0 (poll_cc)-->                              SHUTTING  (SHST=01b)
 *   SHUTTING  --no command in flight (poll_finish)-->               SHUTDOWN  (SHST=10b)
 *   any but DISABLED --CC.EN=0 (poll_cc)-->                         RESETTING
 *   RESETTING --no command in flight (poll_finish, nvme_reset_done)--> DISABLED (CSTS=0)
 * CC is read level-triggered every poll, so writes made while lib/vhost has the device stopped
 * are acted upon at the next start.
 *
 * Invariants.
 *  - Guest memory is touched only between ops->start and ops->stop (dp.started), and never
 *    after a reset began: completions of commands in flight at CC.EN=0 are dropped, and CSTS.RDY
 *    falls only when no bdev I/O can still write into guest buffers (io_outstanding == 0).
 *  - io_outstanding counts fetched commands not yet completed or dropped, except held AERs.
 *  - A CQ entry is written body first, then the status word with the phase tag (release), so
 *    the guest never sees a new phase with stale contents.  A full CQ keeps completions on
 *    cq->overflow in order until the head doorbell moves.
 *  - A tail doorbell value >= the queue size is ignored (logged, rate-limited): vhostd never
 *    indexes outside a queue.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhostd/env.h"
#include "vhost_nvme_internal.h"

#define NVME_CAP_MQES_VAL (VD_VHOST_NVME_MAX_QUEUE_ENTRIES - 1)
#define NVME_CAP_TO_VAL 20   /* 10 s */
#define NVME_MAX_CMD_CTX 256 /* contexts per queue: deeper queues wait in guest memory */

uint64_t
nvme_ctrlr_cap(const struct nvme_ctrlr *c)
{
	return (uint64_t)NVME_CAP_MQES_VAL | NVME_CAP_CQR |
	       ((uint64_t)NVME_CAP_TO_VAL << NVME_CAP_TO_SHIFT) | NVME_CAP_CSS_NVM;
}

/* Register file (control thread). ------------------------------------------------------------ */

static void
regs_image(struct nvme_ctrlr *c, uint8_t *img)
{
	uint64_t cap = nvme_ctrlr_cap(c), asq, acq;
	uint32_t vs = NVME_VS_1_3, cc, csts, aqa;

	cc = __atomic_load_n(&c->cc, __ATOMIC_RELAXED);
	csts = __atomic_load_n(&c->csts, __ATOMIC_ACQUIRE);
	aqa = __atomic_load_n(&c->aqa, __ATOMIC_RELAXED);
	asq = __atomic_load_n(&c->asq, __ATOMIC_RELAXED);
	acq = __atomic_load_n(&c->acq, __ATOMIC_RELAXED);
	memset(img, 0, NVME_REG_END);
	memcpy(img + NVME_REG_CAP, &cap, 8);
	memcpy(img + NVME_REG_VS, &vs, 4);
	memcpy(img + NVME_REG_CC, &cc, 4);
	memcpy(img + NVME_REG_CSTS, &csts, 4);
	memcpy(img + NVME_REG_AQA, &aqa, 4);
	memcpy(img + NVME_REG_ASQ, &asq, 8);
	memcpy(img + NVME_REG_ACQ, &acq, 8);
}

int
vhost_nvme_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t off, uint32_t len)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	uint8_t img[NVME_REG_END];

	if (off >= NVME_REG_END || len > NVME_REG_END - off) {
		return -EINVAL;
	}
	regs_image(c, img);
	memcpy(buf, img + off, len);
	return 0;
}

/* Merge a 4- or 8-byte write into a 64-bit register at \p base. */
static void
reg_write64(uint64_t *reg, uint32_t base, const uint8_t *buf, uint32_t off, uint32_t len)
{
	uint64_t v = __atomic_load_n(reg, __ATOMIC_RELAXED);

	memcpy((uint8_t *)&v + (off - base), buf, len);
	__atomic_store_n(reg, v, __ATOMIC_RELAXED);
}

int
vhost_nvme_set_config(struct vd_vhost_dev *dev, const uint8_t *buf, uint32_t off, uint32_t len,
		      uint32_t flags)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	bool en = __atomic_load_n(&c->cc, __ATOMIC_RELAXED) & NVME_CC_EN;
	uint32_t v = 0;

	if ((len != 4 && len != 8) || (off & 3) || off >= NVME_REG_END ||
	    len > NVME_REG_END - off) {
		return -EINVAL;
	}
	memcpy(&v, buf, 4);
	if (off == NVME_REG_CC && len == 4) {
		/* Release: AQA/ASQ/ACQ written before CC are visible to the data thread. */
		__atomic_store_n(&c->cc, v, __ATOMIC_RELEASE);
	} else if (en) {
		/* AQA/ASQ/ACQ changes while enabled are undefined (§3.1): ignore them. */
		return 0;
	} else if (off == NVME_REG_AQA && len == 4) {
		__atomic_store_n(&c->aqa, v, __ATOMIC_RELAXED);
	} else if (off >= NVME_REG_ASQ && off < NVME_REG_ACQ && off + len <= NVME_REG_ACQ) {
		reg_write64(&c->asq, NVME_REG_ASQ, buf, off, len);
	} else if (off >= NVME_REG_ACQ && off + len <= NVME_REG_END) {
		reg_write64(&c->acq, NVME_REG_ACQ, buf, off, len);
	}
	/* CAP, VS, CSTS are read-only; INTMS/INTMC/NSSR are not implemented: ignored. */
	return 0;
}

static void
set_csts(struct nvme_ctrlr *c, uint32_t csts)
{
	__atomic_store_n(&c->csts, csts, __ATOMIC_RELEASE);
}

/* Queues (data thread). ------------------------------------------------------------------------ */

static void *
ring_map(struct nvme_ctrlr *c, uint64_t gpa, uint16_t size, uint32_t esize)
{
	return vd_vhost_gpa_to_vva(c->vdev, gpa, (uint64_t)size * esize);
}

int
nvme_cq_create(struct nvme_ctrlr *c, uint16_t id, uint64_t gpa, uint16_t size, bool ien,
	       uint16_t iv)
{
	struct nvme_cq *cq = &c->dp.cqs[id];
	struct nvme_cqe *ring = ring_map(c, gpa, size, sizeof(struct nvme_cqe));

	if (ring == NULL) {
		return -EFAULT;
	}
	memset(cq, 0, sizeof(*cq));
	cq->id = id;
	cq->size = size;
	cq->gpa = gpa;
	cq->ring = ring;
	cq->phase = 1;
	cq->ien = ien;
	cq->iv = iv;
	cq->call_fd = vd_vhost_dev_get_call_fd(c->vdev, id);
	TAILQ_INIT(&cq->overflow);
	cq->valid = true;
	return 0;
}

int
nvme_sq_create(struct nvme_ctrlr *c, uint16_t id, uint64_t gpa, uint16_t size, uint16_t cqid)
{
	struct nvme_sq *sq = &c->dp.sqs[id];
	struct nvme_sqe *ring = ring_map(c, gpa, size, sizeof(struct nvme_sqe));
	uint32_t i, n = VD_MIN((uint32_t)size, NVME_MAX_CMD_CTX);

	if (ring == NULL) {
		return -EFAULT;
	}
	memset(sq, 0, sizeof(*sq));
	sq->cmds = calloc(n, sizeof(*sq->cmds));
	if (sq->cmds == NULL) {
		return -ENOMEM;
	}
	TAILQ_INIT(&sq->free);
	for (i = 0; i < n; i++) {
		sq->cmds[i].sq = sq;
		TAILQ_INSERT_TAIL(&sq->free, &sq->cmds[i], link);
	}
	sq->id = id;
	sq->size = size;
	sq->gpa = gpa;
	sq->ring = ring;
	sq->cqid = cqid;
	sq->ctrlr = c;
	sq->valid = true;
	c->dp.cqs[cqid].sq_refs++;
	return 0;
}

void
nvme_sq_destroy(struct nvme_sq *sq)
{
	struct nvme_ctrlr *c = sq->ctrlr;

	if (!sq->valid) {
		return;
	}
	if (c->dp.cqs[sq->cqid].sq_refs > 0) {
		c->dp.cqs[sq->cqid].sq_refs--;
	}
	free(sq->cmds);
	memset(sq, 0, sizeof(*sq));
}

void
nvme_cq_destroy(struct nvme_cq *cq)
{
	memset(cq, 0, sizeof(*cq));
	cq->call_fd = -1;
}

/* Doorbells. ----------------------------------------------------------------------------------- */

static bool
use_shadow(const struct nvme_ctrlr *c, uint16_t qid)
{
	return qid > 0 && c->dp.shadow_db != NULL;
}

/* \return the doorbell value, or -1 when there is no doorbell to read. */
static int32_t
db_read(struct nvme_ctrlr *c, uint16_t qid, bool cq)
{
	uint32_t slot = 2u * qid + (cq ? 1 : 0);

	if (use_shadow(c, qid)) {
		return (int32_t)(__atomic_load_n(&c->dp.shadow_db[slot], __ATOMIC_ACQUIRE) &
				 0xffff);
	}
	if (c->dp.db == NULL) {
		return -1;
	}
	return (int32_t)(__atomic_load_n(&c->dp.db[slot], __ATOMIC_ACQUIRE) & 0xffff);
}

/*
 * vhostd polls the shadow doorbells, so it never wants the BAR write the host makes when its
 * new value passes EventIdx (NVMe 1.3 §5.7).  Keeping EventIdx one behind the last value seen
 * makes the host's "crossed EventIdx" test false for any update short of a full wrap.
 */
static void
eventidx_write(struct nvme_ctrlr *c, uint16_t qid, bool cq, uint16_t v)
{
	if (use_shadow(c, qid)) {
		__atomic_store_n(&c->dp.eventidx[2u * qid + (cq ? 1 : 0)], (uint16_t)(v - 1),
				 __ATOMIC_RELEASE);
	}
}

static void
bad_doorbell(struct nvme_ctrlr *c, uint16_t qid, bool cq, int32_t v, uint16_t size)
{
	if (vd_log_ratelimit_ok(&c->dp.rl, 10)) {
		VD_ERRLOG("%s: %s %u doorbell %d beyond queue size %u: ignored\n", c->name,
			  cq ? "CQ" : "SQ", qid, v, size);
	}
}

/* Completions. --------------------------------------------------------------------------------- */

static bool
cq_full(const struct nvme_cq *cq)
{
	return (uint16_t)((cq->tail + 1) % cq->size) == cq->head;
}

static void
cq_write(struct nvme_cq *cq, const struct nvme_cmd *cmd)
{
	struct nvme_cqe *e = &cq->ring[cq->tail];
	uint16_t st = NVME_CQE_STATUS(cmd->status, cmd->status != 0) | cq->phase;

	e->cdw0 = cmd->cdw0;
	e->cdw1 = 0;
	e->sqhd = cmd->sq->head;
	e->sqid = cmd->sq->id;
	e->cid = cmd->sqe.cid;
	__atomic_store_n(&e->status, st, __ATOMIC_RELEASE);
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	if (cq->unsignalled++ == 0) {
		cq->first_unsignalled_tick = vd_get_ticks();
	}
}

static void
cmd_release(struct nvme_cmd *cmd)
{
	struct nvme_sq *sq = cmd->sq;

	cmd->busy = false;
	sq->outstanding--;
	TAILQ_INSERT_HEAD(&sq->free, cmd, link);
}

/* A parked Delete I/O SQ finishes when its queue has no command left. */
static void
sq_delete_check(struct nvme_ctrlr *c, struct nvme_sq *sq)
{
	struct nvme_cmd *del;

	if (!sq->deleting || sq->outstanding != 0) {
		return;
	}
	del = TAILQ_FIRST(&c->dp.parked);
	for (; del != NULL; del = TAILQ_NEXT(del, link)) {
		if (del->sqe.opc == NVME_OPC_DELETE_IO_SQ && (del->sqe.cdw10 & 0xffff) == sq->id) {
			break;
		}
	}
	nvme_sq_destroy(sq);
	if (del != NULL) {
		TAILQ_REMOVE(&c->dp.parked, del, link);
		del->status = 0;
		nvme_ctrlr_complete(del);
	}
}

/* Finish a pending ops->stop once nothing is in flight. */
static void
stop_check(struct nvme_ctrlr *c)
{
	vd_vhost_done_cb done = c->dp.stop_done;
	uint32_t i;

	if (done == NULL || c->dp.io_outstanding != 0) {
		return;
	}
	c->dp.stop_done = NULL;
	for (i = 0; i < VD_VHOST_NVME_MAX_NS; i++) {
		if (c->ns[i].ch != NULL) {
			vd_put_io_channel(c->ns[i].ch);
			c->ns[i].ch = NULL;
		}
	}
	c->dp.started = false;
	done(c->vdev, 0);
}

static void
io_done(struct nvme_ctrlr *c)
{
	assert(c->dp.io_outstanding > 0);
	c->dp.io_outstanding--;
	stop_check(c);
}

/*
 * Finish a command: post its completion (or drop it when the controller is being reset or its
 * SQ deleted) and return its context.  Data thread.
 */
void
nvme_ctrlr_complete(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	struct nvme_sq *sq = cmd->sq;
	struct nvme_cq *cq = &c->dp.cqs[sq->cqid];
	bool drop = c->dp.state == NVME_DP_RESETTING || c->dp.state == NVME_DP_FATAL ||
		    sq->deleting || !cq->valid || !c->dp.started;

	if (sq->msg) {
		/* Its completion is the reply to a vhost-user message, not a CQ entry. */
		nvme_admin_msg_complete(cmd);
		io_done(c);
		return;
	}
	if (cmd->status != 0 && !drop) {
		c->dp.error_count++;
	}
	if (drop) {
		cmd_release(cmd);
	} else if (!TAILQ_EMPTY(&cq->overflow) || cq_full(cq)) {
		TAILQ_INSERT_TAIL(&cq->overflow, cmd, link);
	} else {
		cq_write(cq, cmd);
		cmd_release(cmd);
	}
	sq_delete_check(c, sq);
	io_done(c);
}

static bool
cq_drain_overflow(struct nvme_ctrlr *c, struct nvme_cq *cq)
{
	struct nvme_cmd *cmd;
	bool busy = false;

	while ((cmd = TAILQ_FIRST(&cq->overflow)) != NULL && !cq_full(cq)) {
		TAILQ_REMOVE(&cq->overflow, cmd, link);
		cq_write(cq, cmd);
		cmd_release(cmd);
		busy = true;
	}
	return busy;
}

static void
cq_maybe_signal(struct nvme_ctrlr *c, struct nvme_cq *cq, uint64_t now)
{
	uint32_t ic = c->dp.feat.int_coalescing, thr = (ic & 0xff) + 1;
	uint64_t wait = ((ic >> 8) & 0xff) * vd_get_ticks_hz() / 10000; /* 100 us units */
	uint64_t one = 1;
	bool cd = cq->id == 0 || (c->dp.feat.iv_config[cq->iv] & (1u << 16));

	if (cq->unsignalled == 0) {
		return;
	}
	if (!cd && cq->unsignalled < thr && now - cq->first_unsignalled_tick < wait) {
		return;
	}
	cq->unsignalled = 0;
	if (cq->ien && cq->call_fd >= 0) {
		/* Non-blocking fd (lib/vhost): a full counter means the guest is behind anyway. */
		if (write(cq->call_fd, &one, sizeof(one)) != sizeof(one)) {
			return;
		}
	}
}

/* Fetch. --------------------------------------------------------------------------------------- */

static int
cq_poll_head(struct nvme_ctrlr *c, struct nvme_cq *cq)
{
	int32_t v = db_read(c, cq->id, true);

	if (v < 0 || (uint16_t)v == cq->head) {
		return 0;
	}
	if (v >= cq->size) {
		bad_doorbell(c, cq->id, true, v, cq->size);
		return 0;
	}
	cq->head = (uint16_t)v;
	eventidx_write(c, cq->id, true, cq->head);
	return 1;
}

static int
sq_fetch(struct nvme_ctrlr *c, struct nvme_sq *sq)
{
	struct nvme_cmd *cmd;
	int32_t v = db_read(c, sq->id, false);
	int n = 0;

	if (v < 0) {
		return 0;
	}
	if (v >= sq->size) {
		bad_doorbell(c, sq->id, false, v, sq->size);
	} else {
		sq->tail = (uint16_t)v;
	}
	while (sq->head != sq->tail && n < NVME_BATCH && c->dp.state == NVME_DP_ENABLED &&
	       !sq->deleting && (cmd = TAILQ_FIRST(&sq->free)) != NULL) {
		TAILQ_REMOVE(&sq->free, cmd, link);
		memcpy(&cmd->sqe, &sq->ring[sq->head], sizeof(cmd->sqe));
		sq->head = (uint16_t)((sq->head + 1) % sq->size);
		cmd->busy = true;
		cmd->status = 0;
		cmd->cdw0 = 0;
		cmd->iovcnt = 0;
		sq->outstanding++;
		c->dp.io_outstanding++;
		if (sq->id == 0) {
			nvme_admin_exec(cmd);
		} else {
			nvme_io_exec(cmd);
		}
		n++;
	}
	if (n > 0) {
		eventidx_write(c, sq->id, false, sq->tail);
	}
	return n;
}

/* Controller state. ------------------------------------------------------------------------------
 */

static void
dbbuf_clear(struct nvme_ctrlr *c)
{
	c->dp.dbbuf_gpa = 0;
	c->dp.eventidx_gpa = 0;
	c->dp.shadow_db = NULL;
	c->dp.eventidx = NULL;
}

/* Drop held AERs and parked commands; destroy every queue.  No command may be in flight. */
static void
reset_queues(struct nvme_ctrlr *c)
{
	uint32_t i;

	TAILQ_INIT(&c->dp.aers);
	TAILQ_INIT(&c->dp.parked);
	TAILQ_INIT(&c->dp.bounce_wait);
	for (i = 0; i <= VD_VHOST_NVME_MAX_IO_QUEUES; i++) {
		nvme_sq_destroy(&c->dp.sqs[i]);
		nvme_cq_destroy(&c->dp.cqs[i]);
	}
	dbbuf_clear(c);
	memset(&c->dp.feat, 0, sizeof(c->dp.feat));
	c->dp.aer_pending = 0;
	c->dp.aer_signalled = false;
	c->dp.io_outstanding = 0;
}

static void
nvme_enable_features(struct nvme_ctrlr *c)
{
	c->dp.feat.num_queues = ((uint32_t)(c->io_queues - 1) << 16) | (c->io_queues - 1);
	c->dp.feat.vwc = 0;
	c->dp.feat.arbitration = 0;
}

static int
nvme_enable(struct nvme_ctrlr *c, uint32_t cc)
{
	uint32_t aqa = __atomic_load_n(&c->aqa, __ATOMIC_RELAXED);
	uint64_t asq = __atomic_load_n(&c->asq, __ATOMIC_RELAXED);
	uint64_t acq = __atomic_load_n(&c->acq, __ATOMIC_RELAXED);
	uint16_t sqs = NVME_AQA_ASQS(aqa) + 1, cqs = NVME_AQA_ACQS(aqa) + 1;
	int rc;

	if (aqa == 0 && asq == 0 && acq == 0 && NVME_CC_CSS(cc) == 0 && NVME_CC_MPS(cc) == 0 &&
	    NVME_CC_AMS(cc) == 0) {
		/* No admin queue: admin commands come only as VHOST_USER_NVME_ADMIN messages. */
		nvme_enable_features(c);
		VD_INFOLOG(vhost_nvme, "%s: enabled without an admin queue (admin by message)\n",
			   c->name);
		return 0;
	}
	if (NVME_CC_CSS(cc) != 0 || NVME_CC_MPS(cc) != 0 || NVME_CC_AMS(cc) != 0 || sqs < 2 ||
	    cqs < 2 || (asq & (NVME_PAGE_SIZE - 1)) || (acq & (NVME_PAGE_SIZE - 1))) {
		VD_ERRLOG("%s: enable refused: CC 0x%x AQA 0x%x ASQ 0x%lx ACQ 0x%lx\n", c->name, cc,
			  aqa, (unsigned long)asq, (unsigned long)acq);
		return -EINVAL;
	}
	rc = nvme_cq_create(c, 0, acq, cqs, true, 0);
	if (rc == 0) {
		rc = nvme_sq_create(c, 0, asq, sqs, 0);
	}
	if (rc != 0) {
		VD_ERRLOG("%s: admin queues outside guest memory: %s\n", c->name, strerror(-rc));
		return rc;
	}
	nvme_enable_features(c);
	VD_INFOLOG(vhost_nvme, "%s: enabled (admin SQ %u CQ %u entries)\n", c->name, sqs, cqs);
	return 0;
}

static void
begin_reset(struct nvme_ctrlr *c)
{
	struct nvme_cmd *cmd;

	c->dp.state = NVME_DP_RESETTING;
	/* Held AERs and commands waiting for a bounce buffer have nothing in flight: drop now. */
	while ((cmd = TAILQ_FIRST(&c->dp.aers)) != NULL) {
		TAILQ_REMOVE(&c->dp.aers, cmd, link);
		cmd_release(cmd);
	}
	while ((cmd = TAILQ_FIRST(&c->dp.parked)) != NULL) {
		TAILQ_REMOVE(&c->dp.parked, cmd, link);
		if (cmd->sq->msg) {
			/* The front-end waits for a reply: abort the Delete I/O SQ. */
			nvme_cmd_set_status(cmd, NVME_SCT_GENERIC, NVME_SC_ABORTED_SQ_DELETION);
			nvme_admin_msg_complete(cmd);
		} else {
			cmd_release(cmd);
		}
		io_done(c); /* parked deletes count as in flight */
	}
	while ((cmd = TAILQ_FIRST(&c->dp.bounce_wait)) != NULL) {
		TAILQ_REMOVE(&c->dp.bounce_wait, cmd, link);
		cmd_release(cmd);
		io_done(c);
	}
	VD_INFOLOG(vhost_nvme, "%s: reset: %u commands in flight\n", c->name, c->dp.io_outstanding);
}

static void
poll_cc(struct nvme_ctrlr *c)
{
	uint32_t cc = __atomic_load_n(&c->cc, __ATOMIC_ACQUIRE);

	c->dp.cc = cc;
	if (!(cc & NVME_CC_EN)) {
		if (c->dp.state != NVME_DP_DISABLED && c->dp.state != NVME_DP_RESETTING) {
			begin_reset(c);
		}
		return;
	}
	if (c->dp.state == NVME_DP_DISABLED) {
		if (nvme_enable(c, cc) != 0) {
			c->dp.state = NVME_DP_FATAL;
			set_csts(c, NVME_CSTS_CFS);
			return;
		}
		c->dp.state = NVME_DP_ENABLED;
		set_csts(c, NVME_CSTS_RDY);
	} else if (c->dp.state == NVME_DP_ENABLED && NVME_CC_SHN(cc) != 0) {
		c->dp.state = NVME_DP_SHUTTING;
		set_csts(c, NVME_CSTS_RDY | NVME_CSTS_SHST_OCCUR);
	}
}

static void
poll_finish(struct nvme_ctrlr *c)
{
	if (c->dp.io_outstanding != 0) {
		return;
	}
	if (c->dp.state == NVME_DP_RESETTING) {
		reset_queues(c);
		c->dp.state = NVME_DP_DISABLED;
		set_csts(c, 0);
		VD_INFOLOG(vhost_nvme, "%s: reset done\n", c->name);
	} else if (c->dp.state == NVME_DP_SHUTTING) {
		c->dp.state = NVME_DP_SHUTDOWN;
		set_csts(c, NVME_CSTS_RDY | NVME_CSTS_SHST_DONE);
	}
}

static void
poll_db_page(struct nvme_ctrlr *c)
{
	void *p = __atomic_exchange_n(&c->db_pending, NULL, __ATOMIC_ACQ_REL);

	if (p == NULL) {
		return;
	}
	if (c->db_map != NULL) {
		munmap(c->db_map, VD_VHOST_NVME_DB_PAGE_SIZE);
	}
	c->db_map = p;
	c->dp.db = p;
}

int
nvme_ctrlr_poll(void *arg)
{
	struct nvme_ctrlr *c = arg;
	uint64_t now;
	uint32_t i;
	int n = 0;

	poll_db_page(c);
	poll_cc(c);
	if (__atomic_exchange_n(&c->dp.ns_changed, 0, __ATOMIC_ACQ_REL) != 0 &&
	    c->dp.state == NVME_DP_ENABLED) {
		c->dp.aer_pending |= 1;
	}
	if (c->dp.state == NVME_DP_ENABLED || c->dp.state == NVME_DP_SHUTTING) {
		for (i = 0; i <= c->io_queues; i++) {
			if (c->dp.cqs[i].valid) {
				n += cq_poll_head(c, &c->dp.cqs[i]);
				n += cq_drain_overflow(c, &c->dp.cqs[i]);
			}
		}
		for (i = 0; i <= c->io_queues; i++) {
			if (c->dp.sqs[i].valid) {
				n += sq_fetch(c, &c->dp.sqs[i]);
			}
		}
		now = vd_get_ticks();
		for (i = 0; i <= c->io_queues; i++) {
			if (c->dp.cqs[i].valid) {
				cq_maybe_signal(c, &c->dp.cqs[i], now);
			}
		}
		if (c->dp.aer_pending != 0) {
			nvme_ctrlr_aer_notify(c);
		}
	}
	poll_finish(c);
	return n > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

/* Start / stop (data thread, called by lib/vhost). ----------------------------------------------
 */

/* Translate every ring again: the memory table may have changed while stopped. */
static int
remap_queues(struct nvme_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i <= VD_VHOST_NVME_MAX_IO_QUEUES; i++) {
		struct nvme_cq *cq = &c->dp.cqs[i];
		struct nvme_sq *sq = &c->dp.sqs[i];

		if (cq->valid) {
			cq->ring = ring_map(c, cq->gpa, cq->size, sizeof(struct nvme_cqe));
			cq->call_fd = vd_vhost_dev_get_call_fd(c->vdev, cq->id);
			if (cq->ring == NULL) {
				return -EFAULT;
			}
		}
		if (sq->valid) {
			sq->ring = ring_map(c, sq->gpa, sq->size, sizeof(struct nvme_sqe));
			if (sq->ring == NULL) {
				return -EFAULT;
			}
		}
	}
	if (c->dp.dbbuf_gpa != 0) {
		c->dp.shadow_db = vd_vhost_gpa_to_vva(c->vdev, c->dp.dbbuf_gpa, NVME_PAGE_SIZE);
		c->dp.eventidx = vd_vhost_gpa_to_vva(c->vdev, c->dp.eventidx_gpa, NVME_PAGE_SIZE);
		if (c->dp.shadow_db == NULL || c->dp.eventidx == NULL) {
			return -EFAULT;
		}
	}
	return 0;
}

void
vhost_nvme_dev_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	c->dp.started = true;
	if (remap_queues(c) != 0 && c->dp.state != NVME_DP_DISABLED) {
		VD_ERRLOG("%s: queues no longer in guest memory: controller fatal\n", c->name);
		c->dp.state = NVME_DP_FATAL;
		set_csts(c, NVME_CSTS_CFS);
	}
	c->dp.poller = vd_poller_register(nvme_ctrlr_poll, c, 0, "vhost_nvme_poll");
	if (c->dp.poller == NULL) {
		c->dp.started = false;
		done(dev, -ENOMEM);
		return;
	}
	done(dev, 0);
}

void
vhost_nvme_dev_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	vd_poller_unregister(&c->dp.poller);
	/* In-flight commands finish (and post while memory is still mapped); io_done ends it. */
	c->dp.stop_done = done;
	stop_check(c);
}

/* Full reset when the front-end is gone (control thread, device stopped). */
void
nvme_ctrlr_reset_dp(struct nvme_ctrlr *c)
{
	void *p = __atomic_exchange_n(&c->db_pending, NULL, __ATOMIC_ACQ_REL);

	if (p != NULL) {
		munmap(p, VD_VHOST_NVME_DB_PAGE_SIZE);
	}
	if (c->db_map != NULL) {
		munmap(c->db_map, VD_VHOST_NVME_DB_PAGE_SIZE);
		c->db_map = NULL;
	}
	c->dp.db = NULL;
	reset_queues(c);
	nvme_admin_msg_init(c);
	c->dp.state = NVME_DP_DISABLED;
	c->dp.cc = 0;
	__atomic_store_n(&c->cc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->aqa, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->asq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->acq, 0, __ATOMIC_RELAXED);
	set_csts(c, 0);
}
