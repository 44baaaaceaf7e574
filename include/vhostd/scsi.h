/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * SCSI target emulation over bdevs (SPC-4/SBC-3 direct-access block devices).
 *
 * A vd_scsi_dev is one SCSI target (vhost-scsi: one per target number) with up to
 * VD_SCSI_DEV_MAX_LUNS logical units, each backed by a bdev that lib/scsi opens, claims and
 * gets an I/O channel for.  The library knows nothing about the transport (virtio): the
 * caller decodes its request into a caller-owned struct vd_scsi_task (CDB, LUN, iovecs) and
 * gets back SCSI status, fixed-format sense data and the transferred length.
 *
 * Threads: a device belongs to the thread that created it.  Every call on it (LUN add/remove,
 * submit, task management, destroy) must be made on that thread, every callback runs there,
 * and the backing bdevs' I/O channels are that thread's.  A controller that runs its queues on
 * a data thread creates its devices on that thread (send it a message).
 *
 * Async contract: vd_scsi_dev_submit() and vd_scsi_dev_task_mgmt() never fail; the task's
 * cpl_fn runs exactly once, after the call has returned (never inside it), on the device's
 * thread.  Functions returning int follow the house rule (non-zero: the callback never runs).
 *
 * No memory is allocated per command: tasks are the caller's (e.g. one per virtqueue slot);
 * commands that need a bounce buffer (WRITE SAME with a non-zero pattern, VERIFY with BYTCHK)
 * share one per LUN, allocated on first use with vd_dma_malloc().
 */
#ifndef VHOSTD_SCSI_H
#define VHOSTD_SCSI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "vhostd/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VD_SCSI_CDB_MAX_LEN	32
/** Size of the sense buffer in a task; lib/scsi writes 18-byte fixed-format sense data. */
#define VD_SCSI_SENSE_MAX_LEN	32
/** LUN ids are 0 .. VD_SCSI_DEV_MAX_LUNS - 1. */
#define VD_SCSI_DEV_MAX_LUNS	8

/* SAM status codes. */
#define VD_SCSI_STATUS_GOOD			0x00
#define VD_SCSI_STATUS_CHECK_CONDITION		0x02
#define VD_SCSI_STATUS_BUSY			0x08
#define VD_SCSI_STATUS_TASK_SET_FULL		0x28
#define VD_SCSI_STATUS_TASK_ABORTED		0x40

/* Sense keys. */
#define VD_SCSI_SENSE_NO_SENSE		0x00
#define VD_SCSI_SENSE_NOT_READY		0x02
#define VD_SCSI_SENSE_MEDIUM_ERROR	0x03
#define VD_SCSI_SENSE_HARDWARE_ERROR	0x04
#define VD_SCSI_SENSE_ILLEGAL_REQUEST	0x05
#define VD_SCSI_SENSE_UNIT_ATTENTION	0x06
#define VD_SCSI_SENSE_ABORTED_COMMAND	0x0b
#define VD_SCSI_SENSE_MISCOMPARE	0x0e

/** Data direction as the transport sees it. */
enum vd_scsi_dir {
	VD_SCSI_DIR_NONE = 0,
	VD_SCSI_DIR_FROM_DEV,	/**< data-in: device writes the iovecs */
	VD_SCSI_DIR_TO_DEV,	/**< data-out: device reads the iovecs */
};

/** Task management functions (SAM-5). */
enum vd_scsi_tmf {
	VD_SCSI_TMF_ABORT_TASK = 0,	/**< abort the task with tag abort_tag on lun */
	VD_SCSI_TMF_ABORT_TASK_SET,	/**< abort every task on lun */
	VD_SCSI_TMF_CLEAR_TASK_SET,	/**< same as ABORT_TASK_SET (one initiator) */
	VD_SCSI_TMF_LUN_RESET,		/**< abort all on lun, reset the bdev, unit attention */
	VD_SCSI_TMF_TARGET_RESET,	/**< LUN_RESET of every LUN */
	VD_SCSI_TMF_I_T_NEXUS_RESET,	/**< same as TARGET_RESET (one initiator) */
	VD_SCSI_TMF_QUERY_TASK,		/**< is abort_tag in the task set of lun? */
};

enum vd_scsi_tmf_response {
	VD_SCSI_TMF_RESP_COMPLETE = 0,	/**< done (also: ABORT_TASK of an unknown tag) */
	VD_SCSI_TMF_RESP_SUCCEEDED,	/**< QUERY_TASK: the task exists */
	VD_SCSI_TMF_RESP_REJECTED,	/**< function not supported */
	VD_SCSI_TMF_RESP_INCORRECT_LUN,	/**< lun does not exist */
};

struct vd_scsi_dev;
struct vd_scsi_lun;
struct vd_scsi_task;

/** Task (or task-management) completion, on the device's thread. */
typedef void (*vd_scsi_task_cpl_cb)(struct vd_scsi_task *task, void *cb_arg);
typedef void (*vd_scsi_done_cb)(void *cb_arg);

enum vd_scsi_dev_event {
	/** The LUN's bdev was hot-removed; its last command has finished and it is gone now. */
	VD_SCSI_DEV_EVENT_LUN_REMOVED,
	/** The LUN's capacity changed (a unit attention 2Ah/09h is pending for it). */
	VD_SCSI_DEV_EVENT_LUN_RESIZED,
};

typedef void (*vd_scsi_dev_event_cb)(struct vd_scsi_dev *dev, uint32_t lun,
				     enum vd_scsi_dev_event event, void *event_ctx);

/**
 * lib/scsi's bookkeeping inside a task.  Owned by lib/scsi between submit and completion;
 * the caller neither reads nor initialises it.
 */
struct vd_scsi_task_priv {
	TAILQ_ENTRY(vd_scsi_task) link;		/* LUN task set, or deferred completions */
	TAILQ_ENTRY(vd_scsi_task) wait_link;	/* LUN bounce-buffer waiters */
	struct vd_scsi_dev *dev;
	struct vd_scsi_lun *lun;
	struct vd_bdev_io_wait_entry bdev_wait;
	int (*step)(struct vd_scsi_task *task);	/* issues the next bdev I/O */
	struct iovec *trim_iov;			/* iovec shortened for this command */
	uint64_t trim_saved_len;
	uint64_t lba;				/* next block of a multi-step command */
	uint64_t remaining;			/* blocks (or descriptors) left */
	uint64_t xfer_total;			/* sum of the iovec lengths */
	uint64_t pos;				/* byte position in the data-out buffer */
	uint32_t chunk;				/* blocks of the step in flight */
	uint8_t op;				/* single-shot commands: bdev I/O type */
	bool issued;				/* single-shot I/O submitted */
	int bdev_iovcnt;			/* iovecs passed to the bdev (trimmed) */
	uint8_t err_key, err_asc;		/* sense to report if the step fails */
	bool in_set;				/* on the LUN task set */
	bool aborted;				/* a TMF aborts it */
	bool fua;				/* flush after the write */
	bool has_bounce;			/* holds the LUN's bounce buffer */
	bool bounce_waiting;			/* on the LUN's bounce waiters */
};

/**
 * A SCSI command or task-management request.  The caller owns it (no allocation per command)
 * and must keep it (and the iovecs) valid until cpl_fn runs.
 */
struct vd_scsi_task {
	/* Set by the caller before vd_scsi_dev_submit(). */
	uint8_t cdb[VD_SCSI_CDB_MAX_LEN];
	uint32_t lun;			/**< LUN id within the device */
	uint64_t tag;			/**< unique among the device's tasks in flight */
	enum vd_scsi_dir dir;
	/**
	 * Data buffer, borrowed until completion.  lib/scsi may shorten one iov_len while the
	 * command runs (when the buffer is longer than the command needs) and restores it
	 * before cpl_fn.
	 */
	struct iovec *iovs;
	int iovcnt;
	vd_scsi_task_cpl_cb cpl_fn;
	void *cpl_arg;

	/* Set by the caller before vd_scsi_dev_task_mgmt(). */
	enum vd_scsi_tmf tmf;
	uint64_t abort_tag;		/**< ABORT_TASK / QUERY_TASK target */

	/* Results, valid in cpl_fn. */
	uint8_t status;			/**< VD_SCSI_STATUS_* */
	bool aborted;			/**< ended by a TMF (transport reports "aborted") */
	uint8_t sense[VD_SCSI_SENSE_MAX_LEN];
	uint32_t sense_len;		/**< 0, or 18 with CHECK CONDITION */
	uint32_t data_len;		/**< bytes moved to/from the iovecs */
	uint32_t residual;		/**< iovec total minus data_len */
	enum vd_scsi_tmf_response tmf_response;

	struct vd_scsi_task_priv priv;
};

struct vd_scsi_dev_opts {
	const char *name;		/**< for logs, e.g. "vhost.0/t1"; copied */
	vd_scsi_dev_event_cb event_cb;	/**< hot-remove / resize notifications; may be NULL */
	void *event_ctx;
};

/**
 * Create a device with no LUN on the current thread.
 * \return 0, -EINVAL (no name, or no current thread), -ENOMEM.
 */
int vd_scsi_dev_create(const struct vd_scsi_dev_opts *opts, struct vd_scsi_dev **dev);

/**
 * Destroy \p dev: every LUN is removed after its commands finish, then \p cb (may be NULL)
 * runs once, after this call returns.  No submission may follow this call.
 */
void vd_scsi_dev_destroy(struct vd_scsi_dev *dev, vd_scsi_done_cb cb, void *cb_arg);

/**
 * Add LUN \p lun backed by bdev \p bdev_name, opened for writing and claimed with \p claimer
 * (both copied).  The LUN is ready at once (no power-on unit attention, so firmware
 * drivers that do not retry keep working).
 * \return 0, -EINVAL (lun out of range, NULL strings), -EEXIST (lun in use), -ENODEV (no
 * such bdev), -EPERM (claimed by someone else), -ENOMEM.
 */
int vd_scsi_dev_add_lun(struct vd_scsi_dev *dev, uint32_t lun, const char *bdev_name,
			const char *claimer);

/**
 * Remove LUN \p lun: new commands to it fail with LOGICAL UNIT NOT SUPPORTED at once; \p cb
 * (may be NULL) runs after its commands finished and the bdev was released.
 * \return 0, -ENOENT (no such LUN), -EBUSY (a removal with a callback is already running).
 */
int vd_scsi_dev_remove_lun(struct vd_scsi_dev *dev, uint32_t lun, vd_scsi_done_cb cb,
			   void *cb_arg);

/** Whether \p lun exists and is not being removed. */
bool vd_scsi_dev_has_lun(const struct vd_scsi_dev *dev, uint32_t lun);
/** Number of LUNs that exist and are not being removed. */
uint32_t vd_scsi_dev_get_lun_count(const struct vd_scsi_dev *dev);
/** The bdev behind \p lun, or NULL.  Borrowed. */
struct vd_bdev *vd_scsi_dev_get_lun_bdev(const struct vd_scsi_dev *dev, uint32_t lun);
const char *vd_scsi_dev_get_name(const struct vd_scsi_dev *dev);

/**
 * Execute the SCSI command in \p task (status, sense, data_len, residual are filled).
 * A command to a missing LUN gets CHECK CONDITION, LOGICAL UNIT NOT SUPPORTED (INQUIRY gets
 * peripheral qualifier 011b, REPORT LUNS and REQUEST SENSE work).
 */
void vd_scsi_dev_submit(struct vd_scsi_dev *dev, struct vd_scsi_task *task);

/**
 * Run the task-management function task->tmf on task->lun.  cpl_fn runs once every task it
 * aborts has completed (each with aborted = true), with task->tmf_response set.
 */
void vd_scsi_dev_task_mgmt(struct vd_scsi_dev *dev, struct vd_scsi_task *task);

/**
 * Decode a SAM LUN (first level: peripheral or flat space addressing; the following levels,
 * if \p len > 2, must be zero).  \return the LUN id, or -EINVAL.
 */
int vd_scsi_lun_decode(const uint8_t *sam_lun, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_SCSI_H */
