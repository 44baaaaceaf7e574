/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Sense data, status, and moving data between response/parameter buffers and the task's
 * iovecs.
 *
 * Sense data is always fixed format (response code 70h, current error), 18 bytes: sense key in
 * byte 2, ADDITIONAL SENSE LENGTH 10, ASC/ASCQ in bytes 12/13, and for ILLEGAL REQUEST with a
 * known field the sense-key specific bytes 15-17 carry SKSV, C/D (CDB or parameter list), BPV
 * and the bit and byte pointers.
 *
 * The iovecs are the transport's (guest memory already translated); every copy is bounded by
 * the iovec lengths, never by what the command claims.
 */

#include <errno.h>
#include <string.h>

#include "scsi_internal.h"

void
scsi_task_set_good(struct vd_scsi_task *task)
{
	task->status = VD_SCSI_STATUS_GOOD;
	task->sense_len = 0;
}

void
scsi_sense_fill(uint8_t *sense, uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(sense, 0, SCSI_FIXED_SENSE_LEN);
	sense[0] = 0x70;
	sense[2] = key & 0x0f;
	sense[7] = SCSI_FIXED_SENSE_LEN - 8;
	sense[12] = asc;
	sense[13] = ascq;
}

void
scsi_task_set_sense(struct vd_scsi_task *task, uint8_t key, uint8_t asc, uint8_t ascq)
{
	task->status = VD_SCSI_STATUS_CHECK_CONDITION;
	scsi_sense_fill(task->sense, key, asc, ascq);
	task->sense_len = SCSI_FIXED_SENSE_LEN;
}

static void
set_field_pointer(struct vd_scsi_task *task, bool cdb, uint16_t byte, uint8_t bit)
{
	/* SKSV, C/D, BPV with the bit pointer, then the byte pointer. */
	task->sense[15] = (uint8_t)(0x80 | (cdb ? 0x40 : 0) | 0x08 | (bit & 0x07));
	scsi_put_be16(&task->sense[16], byte);
}

void
scsi_task_invalid_cdb(struct vd_scsi_task *task, uint16_t byte, uint8_t bit)
{
	scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_CDB, 0);
	set_field_pointer(task, true, byte, bit);
}

void
scsi_task_invalid_param(struct vd_scsi_task *task, uint16_t byte, uint8_t bit)
{
	scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_PARAM, 0);
	set_field_pointer(task, false, byte, bit);
}

bool
scsi_cdb_reserved_ok(struct vd_scsi_task *task, uint16_t byte, uint8_t mask)
{
	uint8_t bad = task->cdb[byte] & mask;

	if (bad == 0) {
		return true;
	}
	scsi_task_invalid_cdb(task, byte, (uint8_t)(31 - __builtin_clz(bad)));
	return false;
}

bool
scsi_task_data_out_ok(struct vd_scsi_task *task, uint64_t need, uint16_t byte)
{
	if (need == 0 || scsi_task_xfer_len(task, VD_SCSI_DIR_TO_DEV) >= need) {
		return true;
	}
	/* Policy: a transport buffer shorter than the CDB's data-out is a malformed request. */
	scsi_task_invalid_cdb(task, byte, 7);
	return false;
}

void
scsi_task_set_info(struct vd_scsi_task *task, uint32_t info)
{
	task->sense[0] |= 0x80;
	scsi_put_be32(&task->sense[3], info);
}

uint64_t
scsi_task_xfer_len(const struct vd_scsi_task *task, enum vd_scsi_dir dir)
{
	return task->dir == dir ? task->priv.xfer_total : 0;
}

void
scsi_task_data_in(struct vd_scsi_task *task, const void *buf, uint32_t len, uint32_t alloc_len)
{
	uint64_t n = VD_MIN(len, alloc_len);
	const uint8_t *src = buf;
	uint32_t done = 0, chunk;
	int i;

	n = VD_MIN(n, scsi_task_xfer_len(task, VD_SCSI_DIR_FROM_DEV));
	for (i = 0; i < task->iovcnt && done < n; i++) {
		chunk = (uint32_t)VD_MIN(task->iovs[i].iov_len, n - done);
		memcpy(task->iovs[i].iov_base, src + done, chunk);
		done += chunk;
	}
	task->data_len = done;
}

uint32_t
scsi_task_data_out(struct vd_scsi_task *task, uint64_t off, void *buf, uint32_t len)
{
	uint8_t *dst = buf;
	uint32_t done = 0, chunk;
	size_t ilen;
	int i;

	if (task->dir != VD_SCSI_DIR_TO_DEV) {
		return 0;
	}
	for (i = 0; i < task->iovcnt && done < len; i++) {
		ilen = task->iovs[i].iov_len;
		if (off >= ilen) {
			off -= ilen;
			continue;
		}
		chunk = (uint32_t)VD_MIN(ilen - off, (uint64_t)(len - done));
		memcpy(dst + done, (uint8_t *)task->iovs[i].iov_base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

static int64_t
mem_cmp_off(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	if (memcmp(a, b, len) == 0) {
		return -1;
	}
	for (i = 0; a[i] == b[i]; i++) {
	}
	return (int64_t)i;
}

int64_t
scsi_task_data_cmp(struct vd_scsi_task *task, uint64_t off, const uint8_t *buf, uint32_t len)
{
	uint64_t start = off;
	uint32_t done = 0, chunk;
	int64_t at;
	size_t ilen;
	int i;

	for (i = 0; i < task->iovcnt && done < len; i++) {
		ilen = task->iovs[i].iov_len;
		if (off >= ilen) {
			off -= ilen;
			continue;
		}
		chunk = (uint32_t)VD_MIN(ilen - off, (uint64_t)(len - done));
		at = mem_cmp_off((uint8_t *)task->iovs[i].iov_base + off, buf + done, chunk);
		if (at >= 0) {
			return (int64_t)(start + done) + at;
		}
		done += chunk;
		off = 0;
	}
	/* A data-out buffer shorter than len was rejected before; treat the rest as a mismatch. */
	return done < len ? (int64_t)(start + done) : -1;
}

int
vd_scsi_lun_decode(const uint8_t *sam_lun, uint32_t len)
{
	uint32_t i;
	int lun;

	if (sam_lun == NULL || len < 2) {
		return -EINVAL;
	}
	switch (sam_lun[0] >> 6) {
	case 0:	/* peripheral device addressing: bus identifier must be 0 */
		if ((sam_lun[0] & 0x3f) != 0) {
			return -EINVAL;
		}
		lun = sam_lun[1];
		break;
	case 1:	/* flat space addressing */
		lun = ((sam_lun[0] & 0x3f) << 8) | sam_lun[1];
		break;
	default:
		return -EINVAL;
	}
	for (i = 2; i < len; i++) {
		if (sam_lun[i] != 0) {
			return -EINVAL;
		}
	}
	return lun;
}
