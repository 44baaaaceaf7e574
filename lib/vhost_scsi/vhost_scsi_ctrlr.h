/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The controller object, shared by vhost_scsi.c (life cycle, targets), vhost_scsi_io.c (queues,
 * data path, events) and vhost_scsi_rpc.c (RPC methods, saved configuration).  See
 * vhost_scsi.c for the states, threads and invariants.
 */
#ifndef VHOST_SCSI_CTRLR_H
#define VHOST_SCSI_CTRLR_H

#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/event.h"
#include "vhostd/scsi.h"
#include "vhostd/thread.h"
#include "vhostd/vhost.h"
#include "vhost_scsi_internal.h"

struct vscsi_vq;
struct vscsi_ctrlr;

/* Pending events kept for a guest that has not posted event buffers yet. */
#define VSCSI_MAX_PENDING_EVENTS 32u

enum vscsi_ctrlr_state {
	VSCSI_CTRLR_READY,
	VSCSI_CTRLR_DELETING, /* targets being destroyed, then the device unregistered */
};

/* Target slot states (control thread). */
enum vscsi_tgt_state {
	VSCSI_TGT_EMPTY,
	VSCSI_TGT_ADDING, /* device being created on the data thread */
	VSCSI_TGT_ACTIVE,
	VSCSI_TGT_REMOVING, /* device being destroyed on the data thread */
};

struct vscsi_target {
	struct vscsi_ctrlr *ctrlr;
	uint8_t num;
	/* Control thread. */
	enum vscsi_tgt_state state;
	char bdev_name[VD_BDEV_MAX_NAME_LEN + 1];
	vd_vhost_scsi_done_cb cb; /* pending add or remove */
	void *cb_arg;
	int op_rc; /* written by the data thread before its reply */
	/* Data thread. */
	struct vd_scsi_dev *dev; /* NULL: commands get BAD_TARGET */
};

/* The event queue's backlog (data thread). */
struct vscsi_events {
	struct virtio_scsi_event ev[VSCSI_MAX_PENDING_EVENTS];
	uint32_t head;
	uint32_t count;
	bool missed; /* overflowed: report VIRTIO_SCSI_T_EVENTS_MISSED next */
};

struct vscsi_ctrlr {
	/* Control thread. */
	TAILQ_ENTRY(vscsi_ctrlr) link;
	char name[128];
	struct vd_cpuset cpumask;
	bool has_cpumask;
	struct vd_vhost_dev_ops ops;
	struct vd_vhost_dev *vdev;
	struct vd_thread *ctrl_thread;
	enum vscsi_ctrlr_state state;
	vd_vhost_scsi_done_cb cb; /* pending delete */
	void *cb_arg;
	struct vscsi_target tgt[VD_VHOST_SCSI_MAX_TARGETS];

	/* Data thread. */
	struct vscsi_vq *vqs[VSCSI_MAX_QUEUES];
	uint32_t outstanding; /* requests taken from any queue and not completed */
	uint32_t destroying;  /* targets being destroyed while closing */
	bool started;
	bool closing;		    /* being deleted: no new start, no new target */
	vd_vhost_done_cb stop_done; /* non-NULL while stopping */
	struct vd_vhost_dev *stop_dev;
	struct vscsi_events events;
};

/* vhost_scsi_io.c (data thread) */
void vscsi_dev_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
void vscsi_dev_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
void vscsi_event_push(struct vscsi_ctrlr *c, uint32_t event, uint8_t target, uint32_t lun,
		      uint32_t reason);
void vscsi_events_clear(struct vscsi_ctrlr *c);

/* vhost_scsi.c (control thread) */
struct vscsi_ctrlr *vscsi_ctrlr_find(const char *name);
/** Iterate the controllers: NULL gives the first. */
struct vscsi_ctrlr *vscsi_ctrlr_next(struct vscsi_ctrlr *prev);

/* vhost_scsi_rpc.c: subsystem config (create + add_target per controller). */
void vscsi_write_config_json(struct json_object *config);

VD_LOG_FLAG_DECLARE(vhost_scsi);

#endif /* VHOST_SCSI_CTRLR_H */
