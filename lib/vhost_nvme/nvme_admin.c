/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Admin command set (data thread): Identify, queue creation and deletion, features, log pages,
 * Asynchronous Event Request, Abort, Keep Alive and Doorbell Buffer Config.
 *
 * Every command completes synchronously through nvme_ctrlr_complete() except:
 *  - Asynchronous Event Request: held on dp.aers (not counted in io_outstanding) until an
 *    event is pending; at most NVME_AERL + 1 are held.  One that came as a message
 *    (nvme_admin_msg.c) is never held: it takes the pending event or fails with Command
 *    Sequence Error; without an admin queue, CQ 0's eventfd announces pending events.
 *  - Delete I/O SQ of a queue with commands in flight: parked on dp.parked until the last one
 *    finishes (nvme_ctrlr.c: sq_delete_check); their completions are dropped.  As a message
 *    its reply waits the same way; a reset aborts it (Command Aborted due to SQ Deletion).
 * Data returned to the host goes through the PRP walker; a bad PRP fails the command with the
 * walker's status and writes nothing.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vhost_nvme_internal.h"

#define ST(sct, sc) NVME_STATUS(NVME_SCT_##sct, NVME_SC_##sc)

static uint16_t
xfer_to_host(struct nvme_cmd *cmd, const void *buf, uint32_t len)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint32_t cnt;
	uint16_t st;

	st = nvme_prp_map(c->vdev, cmd->sqe.prp1, cmd->sqe.prp2, len, cmd->iovs, NVME_MAX_IOVS,
			  &cnt);
	if (st == 0) {
		vd_iov_from_buf(cmd->iovs, (int)cnt, buf, len);
	}
	return st;
}

static struct nvme_ns *
ns_get(struct nvme_ctrlr *c, uint32_t nsid)
{
	uint32_t n = __atomic_load_n(&c->num_ns, __ATOMIC_ACQUIRE);

	if (nsid == 0 || nsid > n || !c->ns[nsid - 1].active) {
		return NULL;
	}
	return &c->ns[nsid - 1];
}

/* Identify. ------------------------------------------------------------------------------------ */

static void
pad_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', size);
	memcpy(dst, src, VD_MIN(n, size));
}

static void
identify_ctrlr(struct nvme_ctrlr *c, struct nvme_id_ctrlr *id)
{
	id->vid = 0x1af4;
	id->ssvid = 0x1af4;
	pad_copy(id->sn, sizeof(id->sn), c->name);
	pad_copy(id->mn, sizeof(id->mn), "vhostd NVMe Controller");
	pad_copy(id->fr, sizeof(id->fr), "0.1");
	id->rab = 6;
	id->mdts = VD_VHOST_NVME_MDTS;
	id->cntlid = c->cntlid;
	id->ver = NVME_VS_1_3;
	id->oaes = NVME_AEC_NS_ATTR_NOTICES;
	id->oacs = NVME_OACS_DBBUF;
	id->acl = 3;
	id->aerl = NVME_AERL;
	id->frmw = 0x3; /* slot 1 read-only, one slot */
	id->lpa = NVME_LPA_EXTENDED;
	id->elpe = 63;
	id->npss = 0;
	id->wctemp = 0x157;
	id->cctemp = 0x175;
	id->sqes = (NVME_SQES_LOG2 << 4) | NVME_SQES_LOG2;
	id->cqes = (NVME_CQES_LOG2 << 4) | NVME_CQES_LOG2;
	id->nn = VD_VHOST_NVME_MAX_NS;
	id->oncs = NVME_ONCS_COMPARE | NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES;
	id->vwc = 1;
	id->sgls = 0;
	id->psd[0].mp = 2500;
}

static void
identify_ns(struct nvme_ns *ns, struct nvme_id_ns *id)
{
	const uint8_t *uuid = vd_bdev_get_uuid(ns->bdev);
	uint32_t lbads = (uint32_t)__builtin_ctz(ns->block_size);

	id->nsze = ns->num_blocks;
	id->ncap = ns->num_blocks;
	id->nuse = ns->num_blocks;
	id->nsfeat =
		vd_bdev_io_type_supported(ns->bdev, VD_BDEV_IO_TYPE_UNMAP) ? NVME_NSFEAT_THIN : 0;
	id->nlbaf = 0;
	id->flbas = 0;
	id->lbaf[0] = lbads << NVME_LBAF_LBADS_SHIFT;
	memcpy(id->nguid, uuid, 16);
	memcpy(&id->eui64, uuid, 8);
}

static uint32_t
identify_ns_descs(struct nvme_ns *ns, uint8_t *buf)
{
	const uint8_t *uuid = vd_bdev_get_uuid(ns->bdev);
	static const uint8_t types[3][2] = {
		{NVME_NIDT_EUI64, 8},
		{NVME_NIDT_NGUID, 16},
		{NVME_NIDT_UUID, 16},
	};
	uint32_t off = 0, i;

	for (i = 0; i < 3; i++) {
		buf[off] = types[i][0];
		buf[off + 1] = types[i][1];
		memcpy(buf + off + 4, uuid, types[i][1]);
		off += 4 + types[i][1];
	}
	return off;
}

static uint16_t
admin_identify(struct nvme_cmd *cmd, uint8_t *buf)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint32_t nsid = cmd->sqe.nsid, i, n = 0;
	struct nvme_ns *ns = ns_get(c, nsid);

	switch (cmd->sqe.cdw10 & 0xff) {
	case NVME_CNS_CTRLR:
		identify_ctrlr(c, (struct nvme_id_ctrlr *)buf);
		break;
	case NVME_CNS_NS:
		if (nsid == 0 || nsid > VD_VHOST_NVME_MAX_NS) {
			return ST(GENERIC, INVALID_NAMESPACE);
		}
		if (ns != NULL) { /* inactive NSIDs read as zeroes */
			identify_ns(ns, (struct nvme_id_ns *)buf);
		}
		break;
	case NVME_CNS_ACTIVE_NS_LIST:
		if (nsid >= 0xfffffffe) {
			return ST(GENERIC, INVALID_NAMESPACE);
		}
		for (i = nsid + 1; i <= VD_VHOST_NVME_MAX_NS; i++) {
			if (ns_get(c, i) != NULL) {
				((uint32_t *)buf)[n++] = i;
			}
		}
		break;
	case NVME_CNS_NS_ID_DESCRIPTORS:
		if (ns == NULL) {
			return ST(GENERIC, INVALID_NAMESPACE);
		}
		identify_ns_descs(ns, buf);
		break;
	default:
		return ST(GENERIC, INVALID_FIELD);
	}
	return xfer_to_host(cmd, buf, NVME_PAGE_SIZE);
}

/* Queues. -------------------------------------------------------------------------------------- */

/* Largest valid I/O queue id: the granted Number of Queues (0-based fields). */
static uint16_t
max_qid(const struct nvme_ctrlr *c, bool cq)
{
	uint32_t nq = c->dp.feat.num_queues;

	return (uint16_t)((cq ? (nq >> 16) : (nq & 0xffff)) + 1);
}

static uint16_t
check_new_queue(struct nvme_ctrlr *c, const struct nvme_sqe *sqe, bool cq)
{
	uint16_t qid = sqe->cdw10 & 0xffff;
	uint32_t qsize = (sqe->cdw10 >> 16) + 1;
	uint32_t es = cq ? NVME_CC_IOCQES(c->dp.cc) : NVME_CC_IOSQES(c->dp.cc);

	if (es != (cq ? NVME_CQES_LOG2 : NVME_SQES_LOG2)) {
		return ST(GENERIC, INVALID_FIELD);
	}
	if (qid == 0 || qid > max_qid(c, cq) || qid > c->io_queues ||
	    (cq ? c->dp.cqs[qid].valid : c->dp.sqs[qid].valid)) {
		return ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER);
	}
	if (qsize < 2 || qsize > VD_VHOST_NVME_MAX_QUEUE_ENTRIES) {
		return ST(CMD_SPECIFIC, INVALID_QUEUE_SIZE);
	}
	if (!(sqe->cdw11 & NVME_QUEUE_PC) || (sqe->prp1 & (NVME_PAGE_SIZE - 1)) || sqe->prp1 == 0) {
		return ST(GENERIC, INVALID_FIELD); /* CAP.CQR = 1: contiguous only */
	}
	return 0;
}

static uint16_t
admin_create_cq(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	const struct nvme_sqe *sqe = &cmd->sqe;
	uint16_t st = check_new_queue(c, sqe, true), iv = sqe->cdw11 >> 16;

	if (st != 0) {
		return st;
	}
	if (iv > c->io_queues) {
		return ST(CMD_SPECIFIC, INVALID_INTERRUPT_VECTOR);
	}
	if (nvme_cq_create(c, sqe->cdw10 & 0xffff, sqe->prp1, (sqe->cdw10 >> 16) + 1,
			   sqe->cdw11 & NVME_CQ_IEN, iv) != 0) {
		return ST(GENERIC, INVALID_FIELD); /* ring outside guest memory */
	}
	return 0;
}

static uint16_t
admin_create_sq(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	const struct nvme_sqe *sqe = &cmd->sqe;
	uint16_t st = check_new_queue(c, sqe, false), cqid = sqe->cdw11 >> 16;
	int rc;

	if (st != 0) {
		return st;
	}
	if (cqid == 0 || cqid > c->io_queues || !c->dp.cqs[cqid].valid) {
		return ST(CMD_SPECIFIC, COMPLETION_QUEUE_INVALID);
	}
	rc = nvme_sq_create(c, sqe->cdw10 & 0xffff, sqe->prp1, (sqe->cdw10 >> 16) + 1, cqid);
	if (rc == -ENOMEM) {
		return ST(GENERIC, INTERNAL_DEVICE_ERROR);
	}
	return rc == 0 ? 0 : ST(GENERIC, INVALID_FIELD);
}

/* \return true when the command was parked (completes later). */
static bool
admin_delete_sq(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint16_t qid = cmd->sqe.cdw10 & 0xffff;
	struct nvme_sq *sq = &c->dp.sqs[qid];
	struct nvme_cq *cq;
	struct nvme_cmd *o, *tmp;

	if (qid == 0 || qid > VD_VHOST_NVME_MAX_IO_QUEUES || !sq->valid || sq->deleting) {
		cmd->status = ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER);
		return false;
	}
	/* Completions of this SQ still waiting for CQ room are dropped (aborted by deletion). */
	cq = &c->dp.cqs[sq->cqid];
	for (o = TAILQ_FIRST(&cq->overflow); o != NULL; o = tmp) {
		tmp = TAILQ_NEXT(o, link);
		if (o->sq == sq) {
			TAILQ_REMOVE(&cq->overflow, o, link);
			o->busy = false;
			sq->outstanding--;
			TAILQ_INSERT_HEAD(&sq->free, o, link);
		}
	}
	sq->deleting = true;
	if (sq->outstanding == 0) {
		nvme_sq_destroy(sq);
		return false;
	}
	TAILQ_INSERT_TAIL(&c->dp.parked, cmd, link);
	return true;
}

static uint16_t
admin_delete_cq(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint16_t qid = cmd->sqe.cdw10 & 0xffff;
	struct nvme_cq *cq = &c->dp.cqs[qid];

	if (qid == 0 || qid > VD_VHOST_NVME_MAX_IO_QUEUES || !cq->valid) {
		return ST(CMD_SPECIFIC, INVALID_QUEUE_IDENTIFIER);
	}
	if (cq->sq_refs > 0) {
		return ST(CMD_SPECIFIC, INVALID_QUEUE_DELETION);
	}
	nvme_cq_destroy(cq);
	return 0;
}

/* Features. ------------------------------------------------------------------------------------ */

static bool
any_io_queue(const struct nvme_ctrlr *c)
{
	uint32_t i;

	for (i = 1; i <= VD_VHOST_NVME_MAX_IO_QUEUES; i++) {
		if (c->dp.sqs[i].valid || c->dp.cqs[i].valid) {
			return true;
		}
	}
	return false;
}

static uint16_t
set_num_queues(struct nvme_ctrlr *c, uint32_t v, uint32_t *cdw0)
{
	uint32_t nsq = v & 0xffff, ncq = v >> 16, max = c->io_queues - 1u;

	if (nsq == 0xffff || ncq == 0xffff) {
		return ST(GENERIC, INVALID_FIELD);
	}
	if (any_io_queue(c)) {
		return ST(GENERIC, COMMAND_SEQUENCE_ERROR);
	}
	c->dp.feat.num_queues = (VD_MIN(ncq, max) << 16) | VD_MIN(nsq, max);
	*cdw0 = c->dp.feat.num_queues;
	return 0;
}

/* \return a pointer to the stored value of a simple feature, or NULL. */
static uint32_t *
feat_slot(struct nvme_features *f, uint8_t fid)
{
	switch (fid) {
	case NVME_FEAT_ARBITRATION:
		return &f->arbitration;
	case NVME_FEAT_POWER_MANAGEMENT:
		return &f->power_mgmt;
	case NVME_FEAT_TEMPERATURE_THRESHOLD:
		return &f->temp_threshold;
	case NVME_FEAT_ERROR_RECOVERY:
		return &f->err_recovery;
	case NVME_FEAT_VOLATILE_WRITE_CACHE:
		return &f->vwc;
	case NVME_FEAT_INTERRUPT_COALESCING:
		return &f->int_coalescing;
	case NVME_FEAT_WRITE_ATOMICITY:
		return &f->write_atomicity;
	case NVME_FEAT_ASYNC_EVENT_CONFIG:
		return &f->async_event_config;
	default:
		return NULL;
	}
}

static uint16_t
admin_set_features(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint8_t fid = cmd->sqe.cdw10 & 0xff;
	uint32_t v = cmd->sqe.cdw11, *slot;

	if (cmd->sqe.cdw10 & (1u << 31)) {
		return ST(CMD_SPECIFIC, FEATURE_NOT_SAVEABLE);
	}
	switch (fid) {
	case NVME_FEAT_NUMBER_OF_QUEUES:
		return set_num_queues(c, v, &cmd->cdw0);
	case NVME_FEAT_INTERRUPT_VECTOR_CONFIG:
		if ((v & 0xffff) > c->io_queues) {
			return ST(GENERIC, INVALID_FIELD);
		}
		c->dp.feat.iv_config[v & 0xffff] = v & 0x1ffff;
		return 0;
	case NVME_FEAT_POWER_MANAGEMENT:
		if ((v & 0x1f) != 0) { /* NPSS = 0: only power state 0 */
			return ST(GENERIC, INVALID_FIELD);
		}
		break;
	default:
		break;
	}
	slot = feat_slot(&c->dp.feat, fid);
	if (slot == NULL) {
		return ST(GENERIC, INVALID_FIELD);
	}
	*slot = fid == NVME_FEAT_INTERRUPT_COALESCING ? v & 0xffff : v;
	return 0;
}

static uint16_t
admin_get_features(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint8_t fid = cmd->sqe.cdw10 & 0xff, sel = (cmd->sqe.cdw10 >> 8) & 0x7;
	uint32_t *slot = feat_slot(&c->dp.feat, fid), iv = cmd->sqe.cdw11 & 0xffff;

	if (sel == 3) { /* supported capabilities: changeable, not saveable */
		if (slot == NULL && fid != NVME_FEAT_NUMBER_OF_QUEUES &&
		    fid != NVME_FEAT_INTERRUPT_VECTOR_CONFIG) {
			return ST(GENERIC, INVALID_FIELD);
		}
		cmd->cdw0 = 1u << 2;
		return 0;
	}
	if (sel > 3) {
		return ST(GENERIC, INVALID_FIELD);
	}
	if (fid == NVME_FEAT_NUMBER_OF_QUEUES) {
		cmd->cdw0 = c->dp.feat.num_queues;
	} else if (fid == NVME_FEAT_INTERRUPT_VECTOR_CONFIG) {
		if (iv > c->io_queues) {
			return ST(GENERIC, INVALID_FIELD);
		}
		cmd->cdw0 = c->dp.feat.iv_config[iv] | iv;
	} else if (slot == NULL) {
		return ST(GENERIC, INVALID_FIELD);
	} else if (fid == NVME_FEAT_TEMPERATURE_THRESHOLD && *slot == 0) {
		cmd->cdw0 = 0x157; /* default over-temperature threshold, 343 K */
	} else {
		cmd->cdw0 = *slot;
	}
	return 0;
}

/* Log pages. ----------------------------------------------------------------------------------- */

static uint32_t
log_health(struct nvme_ctrlr *c, uint8_t *buf)
{
	struct nvme_health_log *h = (struct nvme_health_log *)buf;

	h->temperature = 0x141;
	h->available_spare = 100;
	h->available_spare_threshold = 10;
	h->data_units_read[0] = c->dp.units_read / 1000;
	h->data_units_written[0] = c->dp.units_written / 1000;
	h->host_read_commands[0] = c->dp.reads;
	h->host_write_commands[0] = c->dp.writes;
	h->power_cycles[0] = 1;
	h->num_error_info_log_entries[0] = c->dp.error_count;
	return sizeof(*h);
}

static uint32_t
log_page(struct nvme_ctrlr *c, uint8_t lid, uint8_t *buf)
{
	struct nvme_firmware_log *fw = (struct nvme_firmware_log *)buf;
	uint32_t i, n = 0;

	switch (lid) {
	case NVME_LOG_ERROR:
		return 64 * sizeof(struct nvme_error_log_entry); /* no entries kept */
	case NVME_LOG_HEALTH:
		return log_health(c, buf);
	case NVME_LOG_FIRMWARE_SLOT:
		fw->afi = 1;
		pad_copy(fw->frs[0], sizeof(fw->frs[0]), "0.1");
		return sizeof(*fw);
	case NVME_LOG_CHANGED_NS:
		for (i = 1; i <= VD_VHOST_NVME_MAX_NS; i++) {
			if (ns_get(c, i) != NULL) {
				((uint32_t *)buf)[n++] = i;
			}
		}
		return NVME_PAGE_SIZE;
	default:
		return 0;
	}
}

static uint16_t
admin_get_log_page(struct nvme_cmd *cmd, uint8_t *buf)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	const struct nvme_sqe *sqe = &cmd->sqe;
	uint64_t numd = (((uint64_t)(sqe->cdw11 & 0xffff) << 16) | (sqe->cdw10 >> 16)) + 1;
	uint64_t off = ((uint64_t)sqe->cdw13 << 32) | sqe->cdw12, len = numd * 4;
	uint8_t page[NVME_PAGE_SIZE] = {0};
	uint32_t size = log_page(c, sqe->cdw10 & 0xff, page);

	if (size == 0) {
		return ST(CMD_SPECIFIC, INVALID_LOG_PAGE);
	}
	if ((off & 3) || off >= size || len > NVME_MAX_XFER) {
		return ST(GENERIC, INVALID_FIELD);
	}
	/* Bytes past the end of the log read as zero. */
	memset(buf, 0, NVME_MAX_XFER);
	memcpy(buf, page + off, size - off);
	return xfer_to_host(cmd, buf, (uint32_t)len);
}

/* Asynchronous events. ------------------------------------------------------------------------- */

/* Forget events of types the host did not ask for. */
static void
aer_filter(struct nvme_ctrlr *c)
{
	if ((c->dp.aer_pending & 1) &&
	    !(c->dp.feat.async_event_config & NVME_AEC_NS_ATTR_NOTICES)) {
		c->dp.aer_pending &= ~1u; /* the host did not ask for these notices */
	}
}

bool
nvme_aer_take_event(struct nvme_ctrlr *c, uint32_t *cdw0)
{
	aer_filter(c);
	if (c->dp.aer_pending == 0) {
		return false;
	}
	c->dp.aer_pending &= ~1u;
	c->dp.aer_signalled = false;
	*cdw0 = NVME_AER_TYPE_NOTICE | (NVME_AER_INFO_NS_ATTR_CHANGED << 8) |
		((uint32_t)NVME_LOG_CHANGED_NS << 16);
	return true;
}

/*
 * Without an admin queue nothing can be held: tell the front-end through CQ 0's eventfd that
 * an event waits for an Asynchronous Event Request message (once per event).
 */
static void
aer_signal(struct nvme_ctrlr *c)
{
	uint64_t one = 1;
	int fd;

	if (c->dp.aer_pending == 0 || c->dp.aer_signalled || c->dp.cqs[0].valid) {
		return;
	}
	c->dp.aer_signalled = true;
	fd = vd_vhost_dev_get_call_fd(c->vdev, 0);
	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one)) {
		return; /* non-blocking: a full counter has already told it */
	}
}

void
nvme_ctrlr_aer_notify(struct nvme_ctrlr *c)
{
	struct nvme_cmd *cmd;

	aer_filter(c);
	while ((cmd = TAILQ_FIRST(&c->dp.aers)) != NULL && nvme_aer_take_event(c, &cmd->cdw0)) {
		TAILQ_REMOVE(&c->dp.aers, cmd, link);
		cmd->status = 0;
		c->dp.io_outstanding++; /* held AERs are not counted: complete() uncounts */
		nvme_ctrlr_complete(cmd);
	}
	aer_signal(c);
}

static bool
admin_aer(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	struct nvme_cmd *a;
	uint32_t n = 0;

	if (cmd->sq->msg) {
		/* A held message would block the connection: the pending event now, or none. */
		if (!nvme_aer_take_event(c, &cmd->cdw0)) {
			cmd->status = ST(GENERIC, COMMAND_SEQUENCE_ERROR);
		}
		return false;
	}

	TAILQ_FOREACH(a, &c->dp.aers, link)
	{
		n++;
	}
	if (n > NVME_AERL) {
		cmd->status = ST(CMD_SPECIFIC, AER_LIMIT_EXCEEDED);
		return false;
	}
	TAILQ_INSERT_TAIL(&c->dp.aers, cmd, link);
	c->dp.io_outstanding--;
	return true;
}

/* Doorbell Buffer Config (NVMe 1.3 §5.7). ------------------------------------------------------ */

static uint16_t
admin_dbbuf(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint64_t dbs = cmd->sqe.prp1, eis = cmd->sqe.prp2;
	volatile uint32_t *shadow, *ei;
	uint32_t i;

	if (dbs == 0 || eis == 0 || (dbs & (NVME_PAGE_SIZE - 1)) || (eis & (NVME_PAGE_SIZE - 1))) {
		return ST(GENERIC, INVALID_FIELD);
	}
	shadow = vd_vhost_gpa_to_vva(c->vdev, dbs, NVME_PAGE_SIZE);
	ei = vd_vhost_gpa_to_vva(c->vdev, eis, NVME_PAGE_SIZE);
	if (shadow == NULL || ei == NULL) {
		return ST(GENERIC, INVALID_FIELD);
	}
	/* Queues that already exist continue from the values vhostd has seen. */
	for (i = 1; i <= VD_VHOST_NVME_MAX_IO_QUEUES; i++) {
		if (c->dp.sqs[i].valid) {
			shadow[2 * i] = c->dp.sqs[i].tail;
			ei[2 * i] = (uint16_t)(c->dp.sqs[i].tail - 1);
		}
		if (c->dp.cqs[i].valid) {
			shadow[2 * i + 1] = c->dp.cqs[i].head;
			ei[2 * i + 1] = (uint16_t)(c->dp.cqs[i].head - 1);
		}
	}
	c->dp.dbbuf_gpa = dbs;
	c->dp.eventidx_gpa = eis;
	c->dp.shadow_db = shadow;
	c->dp.eventidx = ei;
	VD_INFOLOG(vhost_nvme, "%s: shadow doorbells at 0x%lx, EventIdx at 0x%lx\n", c->name,
		   (unsigned long)dbs, (unsigned long)eis);
	return 0;
}

/* Dispatch. ------------------------------------------------------------------------------------ */

/* \return true when the command is held or parked rather than completed now. */
static bool
admin_dispatch(struct nvme_cmd *cmd, uint8_t *buf)
{
	switch (cmd->sqe.opc) {
	case NVME_OPC_IDENTIFY:
		cmd->status = admin_identify(cmd, buf);
		return false;
	case NVME_OPC_CREATE_IO_CQ:
		cmd->status = admin_create_cq(cmd);
		return false;
	case NVME_OPC_CREATE_IO_SQ:
		cmd->status = admin_create_sq(cmd);
		return false;
	case NVME_OPC_DELETE_IO_SQ:
		return admin_delete_sq(cmd);
	case NVME_OPC_DELETE_IO_CQ:
		cmd->status = admin_delete_cq(cmd);
		return false;
	case NVME_OPC_SET_FEATURES:
		cmd->status = admin_set_features(cmd);
		return false;
	case NVME_OPC_GET_FEATURES:
		cmd->status = admin_get_features(cmd);
		return false;
	case NVME_OPC_GET_LOG_PAGE:
		cmd->status = admin_get_log_page(cmd, buf);
		return false;
	case NVME_OPC_ASYNC_EVENT_REQUEST:
		return admin_aer(cmd);
	case NVME_OPC_ABORT:
		cmd->cdw0 = 1; /* not aborted: commands in flight always complete */
		return false;
	case NVME_OPC_KEEP_ALIVE:
		return false;
	case NVME_OPC_DOORBELL_BUFFER_CONFIG:
		cmd->status = admin_dbbuf(cmd);
		return false;
	default:
		cmd->status = ST(GENERIC, INVALID_OPCODE);
		return false;
	}
}

void
nvme_admin_exec(struct nvme_cmd *cmd)
{
	static __thread uint8_t buf[NVME_MAX_XFER] __attribute__((aligned(64)));
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);

	if ((cmd->sqe.fuse_psdt & 0xc3) != 0) { /* no fused commands, no SGLs */
		cmd->status = ST(GENERIC, INVALID_FIELD);
		nvme_ctrlr_complete(cmd);
		return;
	}
	memset(buf, 0, NVME_PAGE_SIZE);
	if (!admin_dispatch(cmd, buf)) {
		nvme_ctrlr_complete(cmd);
	}
	if (c->dp.aer_pending != 0) {
		nvme_ctrlr_aer_notify(c);
	}
}
