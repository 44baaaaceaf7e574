/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The controller object, shared by vhost_blk.c (device, data path) and vhost_blk_rpc.c (RPC
 * methods, saved configuration).  See vhost_blk.c for states, threads and invariants.
 */
#ifndef VHOST_BLK_CTRLR_H
#define VHOST_BLK_CTRLR_H

#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/event.h"
#include "vhostd/thread.h"
#include "vhostd/vhost.h"
#include "vhost_blk_internal.h"

struct json_object;
struct blk_vq;

enum blk_ctrlr_state {
	BLK_CTRLR_CREATING, /* device registered, bdev being opened on the data thread */
	BLK_CTRLR_READY,
	BLK_CTRLR_DELETING, /* being unregistered */
};

struct blk_ctrlr {
	/* Control thread. */
	TAILQ_ENTRY(blk_ctrlr) link;
	char name[128];
	char bdev_name[VD_BDEV_MAX_NAME_LEN + 1];
	struct vd_cpuset cpumask;
	bool has_cpumask;
	struct blk_geom geom; /* immutable after creation: read by both threads */
	struct vd_vhost_dev_ops ops;
	struct vd_vhost_dev *vdev;
	struct vd_thread *ctrl_thread;
	enum blk_ctrlr_state state;
	vd_vhost_blk_done_cb cb; /* pending create or delete */
	void *cb_arg;
	int cb_rc;
	int open_rc; /* written by the data thread before its reply */

	/* Data thread. */
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct blk_vq *vqs[VD_VHOST_BLK_MAX_QUEUES];
	uint32_t outstanding;
	bool started;
	bool removed;		    /* bdev hot-removed: requests fail with IOERR */
	bool closing;		    /* being deleted: no new start */
	vd_vhost_done_cb stop_done; /* non-NULL while stopping */
	struct vd_vhost_dev *stop_dev;
};

struct blk_ctrlr *blk_ctrlr_find(const char *name);
/** Iterate the controllers: NULL gives the first. */
struct blk_ctrlr *blk_ctrlr_next(struct blk_ctrlr *prev);
/** vhost_blk_rpc.c: subsystem config (one vhost_create_blk_controller per controller). */
void blk_write_config_json(struct json_object *config);

#endif /* VHOST_BLK_CTRLR_H */
