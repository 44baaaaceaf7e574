/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Shared between the files of lib/scsi: the device and LUN objects, SCSI constants, byte
 * order helpers and the functions one file calls in another.
 *
 *   scsi_dev.c    device/LUN life cycle, task set, completion delivery, task management
 *   scsi_cmd.c    vd_scsi_dev_submit(): LUN lookup, unit attention, opcode table
 *   scsi_spc.c    primary commands (INQUIRY, MODE SENSE, REPORT LUNS, REQUEST SENSE, ...)
 *   scsi_sbc.c    block commands (READ/WRITE, UNMAP, WRITE SAME, VERIFY, ...) on the bdev
 *   scsi_sense.c  sense data, data-in/out buffer helpers, SAM LUN decoding
 */
#ifndef VD_SCSI_INTERNAL_H
#define VD_SCSI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/log.h"
#include "vhostd/scsi.h"
#include "vhostd/thread.h"

/* Limits advertised in the Block Limits VPD page and enforced on commands. */
#define SCSI_MAX_XFER_BYTES		(8u * 1024 * 1024)
#define SCSI_MAX_UNMAP_DESCS		32u
#define SCSI_MAX_UNMAP_BLOCKS		(1u << 22)
#define SCSI_MAX_WRITE_SAME_BLOCKS	(1u << 22)
/* Per-LUN bounce buffer (WRITE SAME pattern, VERIFY compare), at least one block. */
#define SCSI_BOUNCE_BYTES		(128u * 1024)
/* Largest response built by a data-in command (INQUIRY, MODE SENSE, ...). */
#define SCSI_RESP_MAX			256u
#define SCSI_FIXED_SENSE_LEN		18u

/* Opcodes. */
#define SCSI_TEST_UNIT_READY	0x00
#define SCSI_REQUEST_SENSE	0x03
#define SCSI_READ_6		0x08
#define SCSI_WRITE_6		0x0a
#define SCSI_INQUIRY		0x12
#define SCSI_MODE_SELECT_6	0x15
#define SCSI_MODE_SENSE_6	0x1a
#define SCSI_START_STOP_UNIT	0x1b
#define SCSI_PREVENT_ALLOW	0x1e
#define SCSI_READ_CAPACITY_10	0x25
#define SCSI_READ_10		0x28
#define SCSI_WRITE_10		0x2a
#define SCSI_VERIFY_10		0x2f
#define SCSI_SYNC_CACHE_10	0x35
#define SCSI_WRITE_SAME_10	0x41
#define SCSI_UNMAP		0x42
#define SCSI_MODE_SELECT_10	0x55
#define SCSI_MODE_SENSE_10	0x5a
#define SCSI_READ_16		0x88
#define SCSI_WRITE_16		0x8a
#define SCSI_VERIFY_16		0x8f
#define SCSI_SYNC_CACHE_16	0x91
#define SCSI_WRITE_SAME_16	0x93
#define SCSI_SERVICE_ACTION_IN_16 0x9e
#define SCSI_SAI_READ_CAPACITY_16 0x10
#define SCSI_REPORT_LUNS	0xa0
#define SCSI_READ_12		0xa8
#define SCSI_WRITE_12		0xaa
#define SCSI_VERIFY_12		0xaf

/* Additional sense codes (ASC) and qualifiers. */
#define SCSI_ASC_NONE			0x00
#define SCSI_ASC_WRITE_ERROR		0x0c
#define SCSI_ASC_UNRECOVERED_READ	0x11
#define SCSI_ASC_PARAM_LIST_LENGTH	0x1a
#define SCSI_ASC_MISCOMPARE		0x1d
#define SCSI_ASC_INVALID_OPCODE		0x20
#define SCSI_ASC_LBA_OUT_OF_RANGE	0x21
#define SCSI_ASC_INVALID_FIELD_CDB	0x24
#define SCSI_ASC_LUN_NOT_SUPPORTED	0x25
#define SCSI_ASC_INVALID_FIELD_PARAM	0x26
#define SCSI_ASC_RESET_OCCURRED		0x29
#define SCSI_ASCQ_BUS_DEVICE_RESET	0x03
#define SCSI_ASC_PARAMS_CHANGED		0x2a
#define SCSI_ASCQ_CAPACITY_CHANGED	0x09
#define SCSI_ASC_SAVING_NOT_SUPPORTED	0x39
#define SCSI_ASC_INTERNAL_FAILURE	0x44

/* Pending unit attention conditions of a LUN (one initiator), reported lowest bit first. */
#define SCSI_UA_RESET		(1u << 0)
#define SCSI_UA_CAPACITY	(1u << 1)

/* What a command handler did with the task. */
enum scsi_exec {
	SCSI_EXEC_DONE,		/* status set: the dispatcher completes the task */
	SCSI_EXEC_PENDING,	/* the handler completes it later with scsi_task_complete() */
};

/*
 * One logical unit.  States: active --remove/hot-remove--> removing (new commands rejected)
 * --last task and bdev reset done (poller)--> freed.
 */
struct vd_scsi_lun {
	struct vd_scsi_dev *dev;
	uint32_t id;
	struct vd_bdev_desc *desc;
	struct vd_bdev *bdev;
	struct vd_io_channel *ch;
	TAILQ_HEAD(, vd_scsi_task) tasks;	/* task set: submitted, not completed */
	uint32_t num_tasks;
	TAILQ_HEAD(, vd_scsi_task) bounce_waiters;
	void *bounce;
	uint32_t bounce_len;
	bool bounce_dma;			/* from vd_dma_malloc (else posix_memalign) */
	bool bounce_busy;
	uint32_t ua;				/* SCSI_UA_* pending */
	uint32_t resets_inflight;		/* bdev resets of LUN RESETs */
	bool removing;
	bool hot_removed;			/* report LUN_REMOVED when freed */
	vd_scsi_done_cb remove_cb;
	void *remove_cb_arg;
};

struct vd_scsi_dev {
	char *name;
	struct vd_thread *thread;
	struct vd_scsi_lun *luns[VD_SCSI_DEV_MAX_LUNS];
	TAILQ_HEAD(, vd_scsi_task) deferred;	/* completions to deliver from the poller */
	TAILQ_HEAD(, vd_scsi_task) tmf_waiters;	/* TMFs waiting for aborted tasks */
	uint32_t aborted_inflight;		/* aborted tasks + LUN-reset bdev resets */
	uint32_t in_call;			/* depth of public calls: defer completions */
	struct vd_poller *poller;		/* paused unless there is work */
	bool destroying;
	vd_scsi_done_cb destroy_cb;
	void *destroy_cb_arg;
	vd_scsi_dev_event_cb event_cb;
	void *event_ctx;
};

/* Big-endian helpers. */
static inline uint16_t
scsi_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
scsi_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
scsi_be64(const uint8_t *p)
{
	return ((uint64_t)scsi_be32(p) << 32) | scsi_be32(p + 4);
}

static inline void
scsi_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
scsi_put_be32(uint8_t *p, uint32_t v)
{
	scsi_put_be16(p, (uint16_t)(v >> 16));
	scsi_put_be16(p + 2, (uint16_t)v);
}

static inline void
scsi_put_be64(uint8_t *p, uint64_t v)
{
	scsi_put_be32(p, (uint32_t)(v >> 32));
	scsi_put_be32(p + 4, (uint32_t)v);
}

/* scsi_sense.c */
void scsi_task_set_good(struct vd_scsi_task *task);
void scsi_task_set_sense(struct vd_scsi_task *task, uint8_t key, uint8_t asc, uint8_t ascq);
/* ILLEGAL REQUEST, INVALID FIELD IN CDB with a field pointer to byte/bit of the CDB. */
void scsi_task_invalid_cdb(struct vd_scsi_task *task, uint16_t byte, uint8_t bit);
/* ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST pointing into the parameter data. */
void scsi_task_invalid_param(struct vd_scsi_task *task, uint16_t byte, uint8_t bit);
/* Set the INFORMATION field (and VALID) of the sense data already set. */
void scsi_task_set_info(struct vd_scsi_task *task, uint32_t info);
/* Reserved bits \p mask of CDB byte \p byte must be zero, else INVALID FIELD IN CDB. */
bool scsi_cdb_reserved_ok(struct vd_scsi_task *task, uint16_t byte, uint8_t mask);
/* The data-out buffer must hold \p need bytes, else INVALID FIELD IN CDB at \p byte. */
bool scsi_task_data_out_ok(struct vd_scsi_task *task, uint64_t need, uint16_t byte);
void scsi_sense_fill(uint8_t *sense, uint8_t key, uint8_t asc, uint8_t ascq);
/* Data-in: copy min(len, alloc_len, data-in buffer) bytes into the iovecs; sets data_len. */
void scsi_task_data_in(struct vd_scsi_task *task, const void *buf, uint32_t len,
		       uint32_t alloc_len);
/* Data-out: copy up to len bytes from offset off of the iovecs.  \return bytes copied. */
uint32_t scsi_task_data_out(struct vd_scsi_task *task, uint64_t off, void *buf, uint32_t len);
/* Bytes the transport can move in the command's direction (0 if the direction differs). */
uint64_t scsi_task_xfer_len(const struct vd_scsi_task *task, enum vd_scsi_dir dir);
/* Compare len bytes of the data-out at off with buf: -1 if equal, else the mismatch offset. */
int64_t scsi_task_data_cmp(struct vd_scsi_task *task, uint64_t off, const uint8_t *buf,
			   uint32_t len);

/* scsi_dev.c */
void scsi_task_complete(struct vd_scsi_task *task);
struct vd_scsi_lun *scsi_dev_find_lun(const struct vd_scsi_dev *dev, uint32_t id);
void scsi_dev_kick(struct vd_scsi_dev *dev);

/* scsi_spc.c */
enum scsi_exec scsi_spc_inquiry(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_spc_report_luns(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_spc_request_sense(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_spc_mode_sense(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_spc_mode_select(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_spc_no_data(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
/* Next pending unit attention of the LUN as sense (cleared).  \return false if none. */
bool scsi_lun_take_ua(struct vd_scsi_lun *lun, uint8_t *asc, uint8_t *ascq);

/* scsi_sbc.c */
enum scsi_exec scsi_sbc_read_capacity(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_sbc_rw(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_sbc_sync_cache(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_sbc_unmap(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_sbc_write_same(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
enum scsi_exec scsi_sbc_verify(struct vd_scsi_task *task, struct vd_scsi_lun *lun);
/* Give back the LUN's bounce buffer held by task (the next waiter runs). */
void scsi_sbc_bounce_put(struct vd_scsi_task *task);
void scsi_sbc_bounce_free(struct vd_scsi_lun *lun);
bool scsi_lun_unmap_supported(const struct vd_scsi_lun *lun);
uint32_t scsi_lun_max_xfer_blocks(const struct vd_scsi_lun *lun);

#endif /* VD_SCSI_INTERNAL_H */
