/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * SBC-3 block commands on the LUN's bdev: READ CAPACITY(10/16), READ/WRITE(6/10/12/16),
 * SYNCHRONIZE CACHE(10/16), UNMAP, WRITE SAME(10/16), VERIFY(10/12/16).
 *
 * Each handler validates the CDB (and parameter data) completely before any I/O, then runs
 * the command as a sequence of bdev I/Os, one at a time: task->priv.step issues the next one
 * (returning 0), says the command is finished (SBC_STEP_DONE), is waiting for the LUN's bounce
 * buffer (SBC_STEP_WAIT), or fails (negative errno).  sbc_run() drives it: -ENOMEM from the
 * bdev parks the task on the bdev's io_wait queue and retries; each bdev completion calls
 * sbc_run() again; a task marked aborted by a TMF stops at the next step boundary.
 *
 * Data path: READ/WRITE pass the task's iovecs straight to the bdev (zero copy); when the
 * transport buffer is longer than the command, one iovec is shortened for the duration
 * (restored in scsi_task_complete()).  WRITE SAME with a non-zero pattern and VERIFY with
 * BYTCHK=1 use the LUN's one bounce buffer, lent to one task at a time (waiters queue on
 * lun->bounce_waiters, FIFO).
 *
 * Failed bdev I/O: READ/VERIFY -> MEDIUM ERROR 11h/00h; WRITE/WRITE SAME/FLUSH -> MEDIUM
 * ERROR 0Ch/00h; UNMAP -> HARDWARE ERROR 44h/00h; an I/O the bdev aborted (its reset) ->
 * ABORTED COMMAND; the bdev going away -> ILLEGAL REQUEST 25h/00h.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/env.h"
#include "scsi_internal.h"

#define SBC_STEP_DONE	1
#define SBC_STEP_WAIT	2
#define SBC_STEP_BUSY	3

static void sbc_run(struct vd_scsi_task *task);

bool
scsi_lun_unmap_supported(const struct vd_scsi_lun *lun)
{
	return vd_bdev_io_type_supported(lun->bdev, VD_BDEV_IO_TYPE_UNMAP);
}

static uint32_t
lun_bs(const struct vd_scsi_lun *lun)
{
	return vd_bdev_get_block_size(lun->bdev);
}

/* Engine ----------------------------------------------------------------------------------- */

static void
sbc_io_done(struct vd_bdev_io *io, bool success, void *arg)
{
	struct vd_scsi_task *task = arg;
	enum vd_bdev_io_status st = vd_bdev_io_get_status(io);

	vd_bdev_free_io(io);
	if (!success && !task->priv.aborted) {
		if (st == VD_BDEV_IO_STATUS_ABORTED) {
			scsi_task_set_sense(task, VD_SCSI_SENSE_ABORTED_COMMAND, SCSI_ASC_NONE, 0);
		} else {
			scsi_task_set_sense(task, task->priv.err_key, task->priv.err_asc, 0);
		}
		task->data_len = 0;
		scsi_task_complete(task);
		return;
	}
	sbc_run(task);
}

static void
sbc_wait_cb(void *arg)
{
	sbc_run(arg);
}

static void
sbc_run(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_lun *lun = p->lun;
	int rc;

	if (p->aborted) {
		scsi_task_complete(task);
		return;
	}
	rc = p->step(task);
	switch (rc) {
	case 0:
	case SBC_STEP_WAIT:
		return;
	case SBC_STEP_DONE:
		break;
	case -ENOMEM:
		p->bdev_wait.bdev = lun->bdev;
		p->bdev_wait.cb_fn = sbc_wait_cb;
		p->bdev_wait.cb_arg = task;
		if (vd_bdev_queue_io_wait(lun->bdev, lun->ch, &p->bdev_wait) == 0) {
			return;
		}
		/* fall through */
	case SBC_STEP_BUSY:
		task->status = VD_SCSI_STATUS_BUSY;
		task->sense_len = 0;
		break;
	case -ENODEV:
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_LUN_NOT_SUPPORTED, 0);
		break;
	case -EINVAL:	/* capacity shrank since the CDB was checked */
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_LBA_OUT_OF_RANGE, 0);
		break;
	default:
		scsi_task_set_sense(task, VD_SCSI_SENSE_HARDWARE_ERROR,
				    SCSI_ASC_INTERNAL_FAILURE, 0);
		break;
	}
	scsi_task_complete(task);
}

static enum scsi_exec
sbc_start(struct vd_scsi_task *task, int (*step)(struct vd_scsi_task *), uint8_t err_key,
	  uint8_t err_asc)
{
	task->priv.step = step;
	task->priv.err_key = err_key;
	task->priv.err_asc = err_asc;
	sbc_run(task);
	return SCSI_EXEC_PENDING;
}

/* Bounce buffer ---------------------------------------------------------------------------- */

static int
sbc_bounce_alloc(struct vd_scsi_lun *lun)
{
	uint32_t align = VD_MAX(vd_bdev_get_buf_align(lun->bdev), 4096u);

	lun->bounce_len = VD_MAX(SCSI_BOUNCE_BYTES, lun_bs(lun));
	lun->bounce = vd_dma_malloc(lun->bounce_len, align);
	lun->bounce_dma = lun->bounce != NULL;
	/* No EAL (unit tests, tools): plain memory serves CPU-copying backends. */
	if (lun->bounce == NULL && !vd_env_is_initialized() &&
	    posix_memalign(&lun->bounce, align, lun->bounce_len) != 0) {
		lun->bounce = NULL;
	}
	if (lun->bounce == NULL) {
		VD_ERRLOG("%s: LUN %u: no memory for a bounce buffer\n", lun->dev->name, lun->id);
		return -ENOMEM;
	}
	return 0;
}

void
scsi_sbc_bounce_free(struct vd_scsi_lun *lun)
{
	if (lun->bounce_dma) {
		vd_dma_free(lun->bounce);
	} else {
		free(lun->bounce);
	}
	lun->bounce = NULL;
}

static int
sbc_bounce_get(struct vd_scsi_task *task)
{
	struct vd_scsi_lun *lun = task->priv.lun;

	if (lun->bounce == NULL && sbc_bounce_alloc(lun) != 0) {
		return SBC_STEP_BUSY;
	}
	if (lun->bounce_busy) {
		TAILQ_INSERT_TAIL(&lun->bounce_waiters, task, priv.wait_link);
		task->priv.bounce_waiting = true;
		return SBC_STEP_WAIT;
	}
	lun->bounce_busy = true;
	task->priv.has_bounce = true;
	return 0;
}

void
scsi_sbc_bounce_put(struct vd_scsi_task *task)
{
	struct vd_scsi_lun *lun = task->priv.lun;
	struct vd_scsi_task *next;

	lun->bounce_busy = false;
	task->priv.has_bounce = false;
	next = TAILQ_FIRST(&lun->bounce_waiters);
	if (next != NULL) {
		TAILQ_REMOVE(&lun->bounce_waiters, next, priv.wait_link);
		next->priv.bounce_waiting = false;
		sbc_run(next);
	}
}

/* Helpers ---------------------------------------------------------------------------------- */

/* LBA range check (n == 0 still needs lba inside the medium).  False with the sense set. */
static bool
sbc_range_ok(struct vd_scsi_task *task, struct vd_scsi_lun *lun, uint64_t lba, uint64_t n)
{
	uint64_t cap = vd_bdev_get_num_blocks(lun->bdev);

	if (n > cap || lba > cap - n || lba >= cap) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE,
				    0);
		return false;
	}
	return true;
}

/* Pass only the first \p bytes of the iovecs to the bdev.  \return the iovec count. */
static int
sbc_trim_iovs(struct vd_scsi_task *task, uint64_t bytes)
{
	uint64_t acc = 0;
	int i;

	for (i = 0; i < task->iovcnt; i++) {
		if (acc + task->iovs[i].iov_len >= bytes) {
			if (acc + task->iovs[i].iov_len > bytes) {
				task->priv.trim_iov = &task->iovs[i];
				task->priv.trim_saved_len = task->iovs[i].iov_len;
				task->iovs[i].iov_len = bytes - acc;
			}
			return i + 1;
		}
		acc += task->iovs[i].iov_len;
	}
	return task->iovcnt;	/* not reached: the length was checked */
}

/* Single-shot commands: one FLUSH, UNMAP or WRITE_ZEROES over (lba, remaining). */
static int
sbc_once_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_lun *lun = p->lun;
	int rc;

	if (p->issued) {
		return SBC_STEP_DONE;
	}
	switch (p->op) {
	case VD_BDEV_IO_TYPE_FLUSH:
		rc = vd_bdev_flush_blocks(lun->desc, lun->ch, p->lba, p->remaining, sbc_io_done,
					  task);
		break;
	case VD_BDEV_IO_TYPE_UNMAP:
		rc = vd_bdev_unmap_blocks(lun->desc, lun->ch, p->lba, p->remaining, sbc_io_done,
					  task);
		break;
	default:
		rc = vd_bdev_write_zeroes_blocks(lun->desc, lun->ch, p->lba, p->remaining,
						 sbc_io_done, task);
		break;
	}
	p->issued = rc == 0;
	return rc;
}

static enum scsi_exec
sbc_start_once(struct vd_scsi_task *task, uint8_t op, uint64_t lba, uint64_t n)
{
	task->priv.op = op;
	task->priv.lba = lba;
	task->priv.remaining = n;
	if (op == VD_BDEV_IO_TYPE_UNMAP) {
		return sbc_start(task, sbc_once_step, VD_SCSI_SENSE_HARDWARE_ERROR,
				 SCSI_ASC_INTERNAL_FAILURE);
	}
	return sbc_start(task, sbc_once_step, VD_SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
}

/* READ CAPACITY ---------------------------------------------------------------------------- */

static enum scsi_exec
sbc_read_capacity_16(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	uint8_t d[32] = { 0 };

	if ((task->cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16) {
		scsi_task_invalid_cdb(task, 1, 4);
		return SCSI_EXEC_DONE;
	}
	if (!scsi_cdb_reserved_ok(task, 1, 0xe0)) {
		return SCSI_EXEC_DONE;
	}
	scsi_put_be64(d, vd_bdev_get_num_blocks(lun->bdev) - 1);
	scsi_put_be32(&d[8], lun_bs(lun));
	if (scsi_lun_unmap_supported(lun)) {
		d[14] = 0x80;	/* LBPME */
	}
	scsi_task_data_in(task, d, sizeof(d), scsi_be32(&task->cdb[10]));
	return SCSI_EXEC_DONE;
}

enum scsi_exec
scsi_sbc_read_capacity(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	uint64_t last = vd_bdev_get_num_blocks(lun->bdev) - 1;
	uint8_t d[8];

	if (task->cdb[0] == SCSI_SERVICE_ACTION_IN_16) {
		return sbc_read_capacity_16(task, lun);
	}
	if (!scsi_cdb_reserved_ok(task, 1, 0xfe) || !scsi_cdb_reserved_ok(task, 8, 0xfe)) {
		return SCSI_EXEC_DONE;
	}
	if (!(task->cdb[8] & 0x01) && scsi_be32(&task->cdb[2]) != 0) {	/* PMI=0 needs LBA 0 */
		scsi_task_invalid_cdb(task, 2, 7);
		return SCSI_EXEC_DONE;
	}
	scsi_put_be32(d, last > 0xfffffffe ? 0xffffffff : (uint32_t)last);
	scsi_put_be32(&d[4], lun_bs(lun));
	scsi_task_data_in(task, d, sizeof(d), sizeof(d));
	return SCSI_EXEC_DONE;
}

/* READ / WRITE ----------------------------------------------------------------------------- */

struct sbc_rw {
	uint64_t lba;
	uint32_t n;
	uint16_t len_byte;	/* CDB byte of TRANSFER LENGTH, for field pointers */
	bool write;
	bool fua;
};

static bool
sbc_decode_rw(struct vd_scsi_task *task, struct sbc_rw *rw)
{
	const uint8_t *cdb = task->cdb;

	rw->write = cdb[0] == SCSI_WRITE_6 || cdb[0] == SCSI_WRITE_10 ||
		    cdb[0] == SCSI_WRITE_12 || cdb[0] == SCSI_WRITE_16;
	switch (cdb[0]) {
	case SCSI_READ_6:
	case SCSI_WRITE_6:
		rw->lba = ((uint32_t)(cdb[1] & 0x1f) << 16) | scsi_be16(&cdb[2]);
		rw->n = cdb[4] != 0 ? cdb[4] : 256;
		rw->len_byte = 4;
		rw->fua = false;
		return scsi_cdb_reserved_ok(task, 1, 0xe0);
	case SCSI_READ_10:
	case SCSI_WRITE_10:
		rw->lba = scsi_be32(&cdb[2]);
		rw->n = scsi_be16(&cdb[7]);
		rw->len_byte = 7;
		break;
	case SCSI_READ_12:
	case SCSI_WRITE_12:
		rw->lba = scsi_be32(&cdb[2]);
		rw->n = scsi_be32(&cdb[6]);
		rw->len_byte = 6;
		break;
	default:
		rw->lba = scsi_be64(&cdb[2]);
		rw->n = scsi_be32(&cdb[10]);
		rw->len_byte = 10;
		break;
	}
	rw->fua = cdb[1] & 0x08;
	return scsi_cdb_reserved_ok(task, 1, 0xe0);	/* RD/WRPROTECT: no protection info */
}

static int
sbc_read_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	int rc;

	if (p->issued) {
		task->data_len = p->chunk * lun_bs(p->lun);
		return SBC_STEP_DONE;
	}
	rc = vd_bdev_readv_blocks(p->lun->desc, p->lun->ch, task->iovs, p->bdev_iovcnt, p->lba,
				  p->chunk, sbc_io_done, task);
	p->issued = rc == 0;
	return rc;
}

static int
sbc_write_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	int rc;

	if (!p->issued) {
		rc = vd_bdev_writev_blocks(p->lun->desc, p->lun->ch, task->iovs, p->bdev_iovcnt,
					   p->lba, p->chunk, sbc_io_done, task);
		p->issued = rc == 0;
		return rc;
	}
	task->data_len = p->chunk * lun_bs(p->lun);
	if (p->fua) {
		rc = vd_bdev_flush_blocks(p->lun->desc, p->lun->ch, p->lba, p->chunk, sbc_io_done,
					  task);
		p->fua = rc != 0;
		return rc;
	}
	return SBC_STEP_DONE;
}

enum scsi_exec
scsi_sbc_rw(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct sbc_rw rw;
	uint64_t bytes;

	if (!sbc_decode_rw(task, &rw)) {
		return SCSI_EXEC_DONE;
	}
	if (rw.n > scsi_lun_max_xfer_blocks(lun)) {
		scsi_task_invalid_cdb(task, rw.len_byte, 7);
		return SCSI_EXEC_DONE;
	}
	if (!sbc_range_ok(task, lun, rw.lba, rw.n) || rw.n == 0) {
		return SCSI_EXEC_DONE;
	}
	bytes = (uint64_t)rw.n * lun_bs(lun);
	if (scsi_task_xfer_len(task, rw.write ? VD_SCSI_DIR_TO_DEV : VD_SCSI_DIR_FROM_DEV) <
	    bytes) {
		/* Policy: the transport's buffer must hold what the CDB asks for. */
		scsi_task_invalid_cdb(task, rw.len_byte, 7);
		return SCSI_EXEC_DONE;
	}
	p->bdev_iovcnt = sbc_trim_iovs(task, bytes);
	p->lba = rw.lba;
	p->chunk = rw.n;
	if (!rw.write) {
		return sbc_start(task, sbc_read_step, VD_SCSI_SENSE_MEDIUM_ERROR,
				 SCSI_ASC_UNRECOVERED_READ);
	}
	p->fua = rw.fua && vd_bdev_has_write_cache(lun->bdev) &&
		 vd_bdev_io_type_supported(lun->bdev, VD_BDEV_IO_TYPE_FLUSH);
	return sbc_start(task, sbc_write_step, VD_SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
}

/* SYNCHRONIZE CACHE ------------------------------------------------------------------------ */

enum scsi_exec
scsi_sbc_sync_cache(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	bool sixteen = cdb[0] == SCSI_SYNC_CACHE_16;
	uint64_t lba = sixteen ? scsi_be64(&cdb[2]) : scsi_be32(&cdb[2]);
	uint64_t n = sixteen ? scsi_be32(&cdb[10]) : scsi_be16(&cdb[7]);

	/* IMMED (bit 1) is honoured by completing after the flush anyway. */
	if (!scsi_cdb_reserved_ok(task, 1, 0xf8) || !sbc_range_ok(task, lun, lba, n)) {
		return SCSI_EXEC_DONE;
	}
	if (n == 0) {
		n = vd_bdev_get_num_blocks(lun->bdev) - lba;	/* to the end of the medium */
	}
	if (!vd_bdev_io_type_supported(lun->bdev, VD_BDEV_IO_TYPE_FLUSH)) {
		return SCSI_EXEC_DONE;	/* nothing is cached */
	}
	return sbc_start_once(task, VD_BDEV_IO_TYPE_FLUSH, lba, n);
}

/* UNMAP ------------------------------------------------------------------------------------ */

static int
sbc_unmap_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_lun *lun = p->lun;
	uint8_t desc[16];
	uint64_t lba;
	uint32_t n;
	int rc;

	while (p->remaining > 0) {
		/* Re-read: the guest may have changed the buffer since it was checked. */
		if (scsi_task_data_out(task, p->pos, desc, sizeof(desc)) != sizeof(desc)) {
			return -EINVAL;
		}
		lba = scsi_be64(desc);
		n = scsi_be32(&desc[8]);
		if (n != 0) {
			if (!sbc_range_ok(task, lun, lba, n)) {
				return SBC_STEP_DONE;
			}
			rc = vd_bdev_unmap_blocks(lun->desc, lun->ch, lba, n, sbc_io_done, task);
			if (rc != 0) {
				return rc;
			}
		}
		p->pos += sizeof(desc);
		p->remaining--;
		if (n != 0) {
			return 0;
		}
	}
	return SBC_STEP_DONE;
}

/* Check the UNMAP block descriptors.  \return false with the sense set. */
static bool
sbc_unmap_check_descs(struct vd_scsi_task *task, struct vd_scsi_lun *lun, uint32_t ndesc)
{
	uint64_t total = 0;
	uint8_t desc[16];
	uint32_t i, off;

	for (i = 0; i < ndesc; i++) {
		off = 8 + 16 * i;
		scsi_task_data_out(task, off, desc, sizeof(desc));
		if (!sbc_range_ok(task, lun, scsi_be64(desc), scsi_be32(&desc[8]))) {
			return false;
		}
		total += scsi_be32(&desc[8]);
		if (total > SCSI_MAX_UNMAP_BLOCKS) {
			scsi_task_invalid_param(task, (uint16_t)(off + 8), 7);
			return false;
		}
	}
	return true;
}

enum scsi_exec
scsi_sbc_unmap(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	uint32_t len = scsi_be16(&task->cdb[7]), bdl;
	uint8_t hdr[8];

	if (!scsi_lun_unmap_supported(lun)) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE, 0);
		return SCSI_EXEC_DONE;
	}
	/* ANCHOR (bit 0) is not supported. */
	if (!scsi_cdb_reserved_ok(task, 1, 0xff) || len == 0) {
		return SCSI_EXEC_DONE;
	}
	if (len < 8) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_PARAM_LIST_LENGTH, 0);
		return SCSI_EXEC_DONE;
	}
	if (!scsi_task_data_out_ok(task, len, 7)) {
		return SCSI_EXEC_DONE;
	}
	task->data_len = len;
	scsi_task_data_out(task, 0, hdr, sizeof(hdr));
	bdl = scsi_be16(&hdr[2]);
	if (scsi_be16(hdr) + 2u > len) {
		scsi_task_invalid_param(task, 0, 7);
		return SCSI_EXEC_DONE;
	}
	if (bdl + 8u > len || bdl / 16 > SCSI_MAX_UNMAP_DESCS) {
		scsi_task_invalid_param(task, 2, 7);
		return SCSI_EXEC_DONE;
	}
	/* A trailing partial descriptor is ignored (SBC-3). */
	if (!sbc_unmap_check_descs(task, lun, bdl / 16)) {
		return SCSI_EXEC_DONE;
	}
	task->priv.pos = 8;
	task->priv.remaining = bdl / 16;
	return sbc_start(task, sbc_unmap_step, VD_SCSI_SENSE_HARDWARE_ERROR,
			 SCSI_ASC_INTERNAL_FAILURE);
}

/* WRITE SAME ------------------------------------------------------------------------------- */

static bool
sbc_data_out_is_zero(struct vd_scsi_task *task, uint32_t len)
{
	static const uint8_t zero[256];
	uint8_t buf[256];
	uint32_t off, n;

	for (off = 0; off < len; off += n) {
		n = VD_MIN(len - off, (uint32_t)sizeof(buf));
		if (scsi_task_data_out(task, off, buf, n) != n || memcmp(buf, zero, n) != 0) {
			return false;
		}
	}
	return true;
}

static int
sbc_write_same_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_lun *lun = p->lun;
	uint32_t bs = lun_bs(lun), i, n;
	uint8_t *buf;
	int rc;

	if (!p->has_bounce) {
		rc = sbc_bounce_get(task);
		if (rc != 0) {
			return rc;
		}
		buf = lun->bounce;
		scsi_task_data_out(task, 0, buf, bs);
		for (i = 1; i < lun->bounce_len / bs; i++) {
			memcpy(buf + (size_t)i * bs, buf, bs);
		}
	}
	if (p->remaining == 0) {
		return SBC_STEP_DONE;
	}
	n = (uint32_t)VD_MIN(p->remaining, (uint64_t)(lun->bounce_len / bs));
	rc = vd_bdev_write_blocks(lun->desc, lun->ch, lun->bounce, p->lba, n, sbc_io_done, task);
	if (rc == 0) {
		p->lba += n;
		p->remaining -= n;
	}
	return rc;
}

enum scsi_exec
scsi_sbc_write_same(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	bool sixteen = cdb[0] == SCSI_WRITE_SAME_16;
	uint64_t lba = sixteen ? scsi_be64(&cdb[2]) : scsi_be32(&cdb[2]);
	uint64_t n = sixteen ? scsi_be32(&cdb[10]) : scsi_be16(&cdb[7]);
	uint16_t len_byte = sixteen ? 10 : 7;
	bool ndob = sixteen && (cdb[1] & 0x01);
	uint32_t bs = lun_bs(lun);

	/* WRPROTECT, ANCHOR, obsolete PBDATA/LBDATA; NDOB exists in (16) only. */
	if (!scsi_cdb_reserved_ok(task, 1, (uint8_t)(0xf6 | (sixteen ? 0 : 0x01)))) {
		return SCSI_EXEC_DONE;
	}
	if (n == 0 || n > SCSI_MAX_WRITE_SAME_BLOCKS) {	/* WSNZ=1 */
		scsi_task_invalid_cdb(task, len_byte, 7);
		return SCSI_EXEC_DONE;
	}
	if (!sbc_range_ok(task, lun, lba, n) ||
	    (!ndob && !scsi_task_data_out_ok(task, bs, len_byte))) {
		return SCSI_EXEC_DONE;
	}
	task->data_len = ndob ? 0 : bs;
	if ((cdb[1] & 0x08) && scsi_lun_unmap_supported(lun)) {
		return sbc_start_once(task, VD_BDEV_IO_TYPE_UNMAP, lba, n);
	}
	if (ndob || sbc_data_out_is_zero(task, bs)) {
		return sbc_start_once(task, VD_BDEV_IO_TYPE_WRITE_ZEROES, lba, n);
	}
	task->priv.lba = lba;
	task->priv.remaining = n;
	return sbc_start(task, sbc_write_same_step, VD_SCSI_SENSE_MEDIUM_ERROR,
			 SCSI_ASC_WRITE_ERROR);
}

/* VERIFY ----------------------------------------------------------------------------------- */

static int
sbc_verify_step(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_lun *lun = p->lun;
	uint32_t bs = lun_bs(lun), n;
	int64_t miss;
	int rc;

	if (!p->has_bounce) {
		rc = sbc_bounce_get(task);
		if (rc != 0) {
			return rc;
		}
	}
	if (p->chunk > 0) {
		miss = scsi_task_data_cmp(task, p->pos, lun->bounce, p->chunk * bs);
		if (miss >= 0) {
			scsi_task_set_sense(task, VD_SCSI_SENSE_MISCOMPARE, SCSI_ASC_MISCOMPARE, 0);
			scsi_task_set_info(task, (uint32_t)miss);
			return SBC_STEP_DONE;
		}
		p->pos += (uint64_t)p->chunk * bs;
		p->lba += p->chunk;
		p->remaining -= p->chunk;
		p->chunk = 0;
	}
	if (p->remaining == 0) {
		return SBC_STEP_DONE;
	}
	n = (uint32_t)VD_MIN(p->remaining, (uint64_t)(lun->bounce_len / bs));
	rc = vd_bdev_read_blocks(lun->desc, lun->ch, lun->bounce, p->lba, n, sbc_io_done, task);
	if (rc == 0) {
		p->chunk = n;
	}
	return rc;
}

enum scsi_exec
scsi_sbc_verify(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	uint8_t bytchk = (cdb[1] >> 1) & 0x03;
	uint16_t len_byte = cdb[0] == SCSI_VERIFY_16 ? 10 : cdb[0] == SCSI_VERIFY_12 ? 6 : 7;
	uint64_t lba = cdb[0] == SCSI_VERIFY_16 ? scsi_be64(&cdb[2]) : scsi_be32(&cdb[2]);
	uint32_t n = cdb[0] == SCSI_VERIFY_10 ? scsi_be16(&cdb[7]) : scsi_be32(&cdb[len_byte]);

	/* VRPROTECT (no protection info) and reserved bit 3; BYTCHK 10b/11b unsupported. */
	if (!scsi_cdb_reserved_ok(task, 1, 0xe8)) {
		return SCSI_EXEC_DONE;
	}
	if (bytchk > 1) {
		scsi_task_invalid_cdb(task, 1, 2);
		return SCSI_EXEC_DONE;
	}
	if (bytchk && n > scsi_lun_max_xfer_blocks(lun)) {
		scsi_task_invalid_cdb(task, len_byte, 7);
		return SCSI_EXEC_DONE;
	}
	if (!sbc_range_ok(task, lun, lba, n) || n == 0 || bytchk == 0) {
		return SCSI_EXEC_DONE;
	}
	if (!scsi_task_data_out_ok(task, (uint64_t)n * lun_bs(lun), len_byte)) {
		return SCSI_EXEC_DONE;
	}
	task->data_len = n * lun_bs(lun);
	task->priv.lba = lba;
	task->priv.remaining = n;
	return sbc_start(task, sbc_verify_step, VD_SCSI_SENSE_MEDIUM_ERROR,
			 SCSI_ASC_UNRECOVERED_READ);
}
