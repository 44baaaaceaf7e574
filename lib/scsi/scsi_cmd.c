/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Command dispatch: vd_scsi_dev_submit() resets the task's results, finds the LUN, applies the
 * checks common to every command (CONTROL byte, unit attention) and runs the handler from a
 * table indexed by opcode.
 *
 * Order of checks (SAM-5/SPC-4): missing LUN -> ILLEGAL REQUEST 25h/00h unless the command
 * works without one (INQUIRY, REPORT LUNS, REQUEST SENSE); NACA set in the CONTROL byte ->
 * 24h/00h; a pending unit attention is reported (and cleared) on any command but INQUIRY,
 * REPORT LUNS and REQUEST SENSE; unknown opcode -> 20h/00h; then the handler.
 */

#include <assert.h>
#include <string.h>

#include "scsi_internal.h"

/* Runs without a LUN and neither reports nor clears unit attentions. */
#define SCSI_CMD_ANY_LUN	0x01

struct scsi_cmd_desc {
	enum scsi_exec (*exec)(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
	uint8_t flags;
};

static const struct scsi_cmd_desc g_scsi_cmds[256] = {
	[SCSI_TEST_UNIT_READY]	= { scsi_spc_no_data, 0 },
	[SCSI_REQUEST_SENSE]	= { scsi_spc_request_sense, SCSI_CMD_ANY_LUN },
	[SCSI_READ_6]		= { scsi_sbc_rw, 0 },
	[SCSI_WRITE_6]		= { scsi_sbc_rw, 0 },
	[SCSI_INQUIRY]		= { scsi_spc_inquiry, SCSI_CMD_ANY_LUN },
	[SCSI_MODE_SELECT_6]	= { scsi_spc_mode_select, 0 },
	[SCSI_MODE_SENSE_6]	= { scsi_spc_mode_sense, 0 },
	[SCSI_START_STOP_UNIT]	= { scsi_spc_no_data, 0 },
	[SCSI_PREVENT_ALLOW]	= { scsi_spc_no_data, 0 },
	[SCSI_READ_CAPACITY_10]	= { scsi_sbc_read_capacity, 0 },
	[SCSI_READ_10]		= { scsi_sbc_rw, 0 },
	[SCSI_WRITE_10]		= { scsi_sbc_rw, 0 },
	[SCSI_VERIFY_10]	= { scsi_sbc_verify, 0 },
	[SCSI_SYNC_CACHE_10]	= { scsi_sbc_sync_cache, 0 },
	[SCSI_WRITE_SAME_10]	= { scsi_sbc_write_same, 0 },
	[SCSI_UNMAP]		= { scsi_sbc_unmap, 0 },
	[SCSI_MODE_SELECT_10]	= { scsi_spc_mode_select, 0 },
	[SCSI_MODE_SENSE_10]	= { scsi_spc_mode_sense, 0 },
	[SCSI_READ_16]		= { scsi_sbc_rw, 0 },
	[SCSI_WRITE_16]		= { scsi_sbc_rw, 0 },
	[SCSI_VERIFY_16]	= { scsi_sbc_verify, 0 },
	[SCSI_SYNC_CACHE_16]	= { scsi_sbc_sync_cache, 0 },
	[SCSI_WRITE_SAME_16]	= { scsi_sbc_write_same, 0 },
	[SCSI_SERVICE_ACTION_IN_16] = { scsi_sbc_read_capacity, 0 },
	[SCSI_REPORT_LUNS]	= { scsi_spc_report_luns, SCSI_CMD_ANY_LUN },
	[SCSI_READ_12]		= { scsi_sbc_rw, 0 },
	[SCSI_WRITE_12]		= { scsi_sbc_rw, 0 },
	[SCSI_VERIFY_12]	= { scsi_sbc_verify, 0 },
};

/* CDB length from the group code of the opcode (0 = unsupported group). */
static uint32_t
scsi_cdb_len(uint8_t opcode)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[opcode >> 5];
}

static uint64_t
iov_total(const struct vd_scsi_task *task)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < task->iovcnt; i++) {
		if (__builtin_add_overflow(sum, task->iovs[i].iov_len, &sum)) {
			return UINT64_MAX;
		}
	}
	return sum;
}

static void
scsi_task_init(struct vd_scsi_dev *dev, struct vd_scsi_task *task)
{
	memset(&task->priv, 0, sizeof(task->priv));
	task->priv.dev = dev;
	task->status = VD_SCSI_STATUS_GOOD;
	task->aborted = false;
	task->sense_len = 0;
	task->data_len = 0;
	task->residual = 0;
	if (task->iovs == NULL || task->iovcnt < 0) {
		task->iovcnt = 0;
	}
	task->priv.xfer_total = task->dir == VD_SCSI_DIR_NONE ? 0 : iov_total(task);
}

/* Checks every command goes through.  \return false with the task's status set on failure. */
static bool
scsi_cmd_precheck(struct vd_scsi_task *task, struct vd_scsi_lun *lun,
		  const struct scsi_cmd_desc *cmd)
{
	uint32_t cdb_len = scsi_cdb_len(task->cdb[0]);
	uint8_t asc, ascq, flags = cmd->flags;

	if (lun == NULL && !(flags & SCSI_CMD_ANY_LUN)) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_LUN_NOT_SUPPORTED, 0);
		return false;
	}
	/* NACA (normal ACA) is not supported. */
	if (cdb_len != 0 && (task->cdb[cdb_len - 1] & 0x04)) {
		scsi_task_invalid_cdb(task, (uint16_t)(cdb_len - 1), 2);
		return false;
	}
	if (lun != NULL && !(flags & SCSI_CMD_ANY_LUN) && scsi_lun_take_ua(lun, &asc, &ascq)) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_UNIT_ATTENTION, asc, ascq);
		return false;
	}
	if (cmd->exec == NULL) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE, 0);
		return false;
	}
	return true;
}

void
vd_scsi_dev_submit(struct vd_scsi_dev *dev, struct vd_scsi_task *task)
{
	const struct scsi_cmd_desc *cmd = &g_scsi_cmds[task->cdb[0]];
	struct vd_scsi_lun *lun = scsi_dev_find_lun(dev, task->lun);
	enum scsi_exec ex = SCSI_EXEC_DONE;

	assert(vd_get_thread() == dev->thread && !dev->destroying);
	scsi_task_init(dev, task);
	dev->in_call++;
	if (scsi_cmd_precheck(task, lun, cmd)) {
		if (lun != NULL) {
			task->priv.lun = lun;
			TAILQ_INSERT_TAIL(&lun->tasks, task, priv.link);
			lun->num_tasks++;
			task->priv.in_set = true;
		}
		ex = cmd->exec(task, lun);
	}
	if (ex == SCSI_EXEC_DONE) {
		scsi_task_complete(task);
	}
	dev->in_call--;
}
