/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-scsi controllers: life cycle, targets and the subsystem.  The data path is in
 * vhost_scsi_io.c, the wire format in scsi_proto.c, the RPC methods in vhost_scsi_rpc.c.
 *
 * Threads and ownership.
 *  - The controller list, create/delete, target bookkeeping (tgt[i].state, bdev_name) and the
 *    config space run on the control (app) thread.
 *  - lib/scsi devices belong to the thread that creates them, so every target's device is
 *    created, used and destroyed on the controller's data thread (lib/vhost's device thread),
 *    reached by messages.  tgt[i].dev is touched only there.
 *
 * Target slot states (control thread, tgt->state):
 *   EMPTY --add_target--> ADDING --add_done ok--> ACTIVE --remove_target / bdev hot-removed-->
 *   REMOVING --remove_done--> EMPTY;   ADDING --add_done error--> EMPTY.
 * At most one operation per slot is in flight (its cb in tgt->cb).  On the data thread a target
 * is visible (tgt->dev != NULL) from the add message until the remove message, which clears
 * tgt->dev before vd_scsi_dev_destroy(), so no command is submitted to a dying device.
 * A guest gets VIRTIO_SCSI_T_TRANSPORT_RESET RESCAN when a target appears and REMOVED when it
 * goes; the event backlog is cleared when a front-end connects (its driver scans anyway).
 *
 * Controller states (control thread, c->state):
 *   READY --vd_vhost_scsi_delete (no slot busy)--> DELETING: the data thread marks c->closing,
 *   destroys every target, then the control thread unregisters the vhost device --> freed.
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhost_scsi_ctrlr.h"

VD_LOG_FLAG_DEFINE(vhost_scsi);

static TAILQ_HEAD(, vscsi_ctrlr) g_ctrlrs = TAILQ_HEAD_INITIALIZER(g_ctrlrs);
static bool g_finishing;

static void fini_step(void);
static void target_remove_begin(struct vscsi_target *tgt, vd_vhost_scsi_done_cb cb, void *cb_arg);

static void
send_ctrl(struct vscsi_ctrlr *c, vd_msg_fn fn, void *arg)
{
	if (vd_thread_send_msg(c->ctrl_thread, fn, arg) != 0) {
		VD_ERRLOG("%s: cannot message the control thread\n", c->name);
	}
}

/* Device ops (control thread) -------------------------------------------------------------- */

static int
scsi_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t offset, uint32_t len)
{
	return vscsi_config_read(buf, offset, len);
}

static void
connected_msg(void *arg)
{
	vscsi_events_clear(arg);
}

static void
scsi_connected(struct vd_vhost_dev *dev)
{
	struct vscsi_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	if (vd_thread_send_msg(vd_vhost_dev_get_thread(dev), connected_msg, c) != 0) {
		VD_ERRLOG("%s: cannot message the data thread\n", c->name);
	}
}

static const struct vd_vhost_dev_ops g_scsi_ops_template = {
	.type = "scsi",
	.max_queues = VSCSI_MAX_QUEUES,
	.get_config = scsi_get_config,
	.start = vscsi_dev_start,
	.stop = vscsi_dev_stop,
	.connected = scsi_connected,
};

/* Targets: events from lib/scsi (data thread) ---------------------------------------------- */

static void
hot_removed_msg(void *arg)
{
	struct vscsi_target *tgt = arg;

	/* Still the device that lost its bdev: an RPC removal or a controller deletion may have
	 * begun in between. */
	if (tgt->state == VSCSI_TGT_ACTIVE && tgt->ctrlr->state == VSCSI_CTRLR_READY) {
		VD_WARNLOG("%s: bdev %s of target %u was hot-removed; removing the target\n",
			   tgt->ctrlr->name, tgt->bdev_name, tgt->num);
		target_remove_begin(tgt, NULL, NULL);
	}
}

static void
scsi_dev_event(struct vd_scsi_dev *dev, uint32_t lun, enum vd_scsi_dev_event event, void *ctx)
{
	struct vscsi_target *tgt = ctx;
	struct vscsi_ctrlr *c = tgt->ctrlr;

	switch (event) {
	case VD_SCSI_DEV_EVENT_LUN_REMOVED:
		send_ctrl(c, hot_removed_msg, tgt);
		break;
	case VD_SCSI_DEV_EVENT_LUN_RESIZED:
		VD_NOTICELOG("%s: target %u LUN %u changed capacity\n", c->name, tgt->num, lun);
		vscsi_event_push(c, VIRTIO_SCSI_T_PARAM_CHANGE, tgt->num, lun,
				 0x2a | (0x09 << 8)); /* CAPACITY DATA HAS CHANGED */
		break;
	}
}

/* Targets: add ----------------------------------------------------------------------------- */

static void
tgt_op_finish(struct vscsi_target *tgt, enum vscsi_tgt_state state, int rc)
{
	vd_vhost_scsi_done_cb cb = tgt->cb;
	void *cb_arg = tgt->cb_arg;

	tgt->state = state;
	tgt->cb = NULL;
	if (state == VSCSI_TGT_EMPTY) {
		tgt->bdev_name[0] = '\0';
	}
	if (cb != NULL) {
		cb(cb_arg, rc);
	}
	if (g_finishing) {
		fini_step();
	}
}

static void
add_done_msg(void *arg)
{
	struct vscsi_target *tgt = arg;

	if (tgt->op_rc != 0) {
		VD_ERRLOG("%s: cannot add target %u (bdev %s): %s\n", tgt->ctrlr->name, tgt->num,
			  tgt->bdev_name, strerror(-tgt->op_rc));
		tgt_op_finish(tgt, VSCSI_TGT_EMPTY, tgt->op_rc);
		return;
	}
	VD_NOTICELOG("%s: target %u added (bdev %s)\n", tgt->ctrlr->name, tgt->num, tgt->bdev_name);
	tgt_op_finish(tgt, VSCSI_TGT_ACTIVE, tgt->num);
}

/* Data thread: create the lib/scsi device with LUN 0. */
static int
target_create(struct vscsi_target *tgt)
{
	struct vscsi_ctrlr *c = tgt->ctrlr;
	char name[sizeof(c->name) + 16], claimer[sizeof(c->name) + 48];
	struct vd_scsi_dev_opts opts = {.name = name, .event_cb = scsi_dev_event, .event_ctx = tgt};
	struct vd_scsi_dev *dev;
	int rc;

	if (c->closing) {
		return -ENODEV;
	}
	snprintf(name, sizeof(name), "%s/t%u", c->name, tgt->num);
	snprintf(claimer, sizeof(claimer), "vhost-scsi controller %s target %u", c->name, tgt->num);
	rc = vd_scsi_dev_create(&opts, &dev);
	if (rc != 0) {
		return rc;
	}
	rc = vd_scsi_dev_add_lun(dev, 0, tgt->bdev_name, claimer);
	if (rc != 0) {
		vd_scsi_dev_destroy(dev, NULL, NULL);
		return rc;
	}
	tgt->dev = dev;
	vscsi_event_push(c, VIRTIO_SCSI_T_TRANSPORT_RESET, tgt->num, 0,
			 VIRTIO_SCSI_EVT_RESET_RESCAN);
	return 0;
}

static void
add_msg(void *arg)
{
	struct vscsi_target *tgt = arg;

	tgt->op_rc = target_create(tgt);
	send_ctrl(tgt->ctrlr, add_done_msg, tgt);
}

static int
target_pick(struct vscsi_ctrlr *c, int target)
{
	int i;

	if (target >= VD_VHOST_SCSI_MAX_TARGETS || target < -1) {
		return -EINVAL;
	}
	if (target >= 0) {
		return c->tgt[target].state == VSCSI_TGT_EMPTY ? target : -EEXIST;
	}
	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		if (c->tgt[i].state == VSCSI_TGT_EMPTY) {
			return i;
		}
	}
	return -ENOSPC;
}

int
vd_vhost_scsi_add_target(const char *name, int target, const char *bdev_name,
			 vd_vhost_scsi_done_cb cb, void *cb_arg)
{
	struct vscsi_ctrlr *c = vscsi_ctrlr_find(name);
	struct vscsi_target *tgt;
	struct vd_bdev *bdev;
	int num, rc;

	if (c == NULL || bdev_name == NULL) {
		return -ENODEV;
	}
	if (c->state != VSCSI_CTRLR_READY) {
		return -EBUSY;
	}
	num = target_pick(c, target);
	if (num < 0) {
		return num;
	}
	bdev = vd_bdev_get_by_name(bdev_name);
	if (bdev == NULL) {
		return -ENODEV;
	}
	if (vd_bdev_is_claimed(bdev)) {
		VD_ERRLOG("bdev %s is already claimed by %s\n", bdev_name,
			  vd_bdev_get_claimer(bdev));
		return -EPERM;
	}
	tgt = &c->tgt[num];
	if (!vd_strcpy_trunc(tgt->bdev_name, sizeof(tgt->bdev_name), vd_bdev_get_name(bdev))) {
		return -ENAMETOOLONG;
	}
	rc = vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), add_msg, tgt);
	if (rc != 0) {
		tgt->bdev_name[0] = '\0';
		return rc;
	}
	tgt->state = VSCSI_TGT_ADDING;
	tgt->cb = cb;
	tgt->cb_arg = cb_arg;
	return 0;
}

/* Targets: remove -------------------------------------------------------------------------- */

static void
remove_done_msg(void *arg)
{
	struct vscsi_target *tgt = arg;

	VD_NOTICELOG("%s: target %u removed (bdev %s released)\n", tgt->ctrlr->name, tgt->num,
		     tgt->bdev_name);
	tgt_op_finish(tgt, VSCSI_TGT_EMPTY, 0);
}

static void
destroyed(void *arg)
{
	struct vscsi_target *tgt = arg;

	send_ctrl(tgt->ctrlr, remove_done_msg, tgt);
}

static void
remove_msg(void *arg)
{
	struct vscsi_target *tgt = arg;
	struct vd_scsi_dev *dev = tgt->dev;

	if (dev == NULL) {
		/* Cannot happen (the slot was ACTIVE), but never strand the caller. */
		send_ctrl(tgt->ctrlr, remove_done_msg, tgt);
		return;
	}
	tgt->dev = NULL;
	vscsi_event_push(tgt->ctrlr, VIRTIO_SCSI_T_TRANSPORT_RESET, tgt->num, 0,
			 VIRTIO_SCSI_EVT_RESET_REMOVED);
	vd_scsi_dev_destroy(dev, destroyed, tgt);
}

static void
target_remove_begin(struct vscsi_target *tgt, vd_vhost_scsi_done_cb cb, void *cb_arg)
{
	struct vscsi_ctrlr *c = tgt->ctrlr;

	tgt->state = VSCSI_TGT_REMOVING;
	tgt->cb = cb;
	tgt->cb_arg = cb_arg;
	if (vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), remove_msg, tgt) != 0) {
		/* The message ring is sized for far more than a few control messages. */
		VD_ERRLOG("%s: cannot message the data thread to remove target %u\n", c->name,
			  tgt->num);
		tgt->state = VSCSI_TGT_ACTIVE;
		tgt->cb = NULL;
		if (cb != NULL) {
			cb(cb_arg, -ENOMEM);
		}
	}
}

int
vd_vhost_scsi_remove_target(const char *name, uint32_t target, vd_vhost_scsi_done_cb cb,
			    void *cb_arg)
{
	struct vscsi_ctrlr *c = vscsi_ctrlr_find(name);
	struct vscsi_target *tgt;

	if (c == NULL) {
		return -ENODEV;
	}
	if (target >= VD_VHOST_SCSI_MAX_TARGETS) {
		return -EINVAL;
	}
	tgt = &c->tgt[target];
	if (tgt->state == VSCSI_TGT_EMPTY) {
		return -ENODEV;
	}
	if (c->state != VSCSI_CTRLR_READY || tgt->state != VSCSI_TGT_ACTIVE) {
		return -EBUSY;
	}
	target_remove_begin(tgt, cb, cb_arg);
	return 0;
}

/* Create / delete -------------------------------------------------------------------------- */

static bool
name_valid(const char *name)
{
	return name != NULL && name[0] != '\0' && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int
vd_vhost_scsi_create(const char *name, const struct vd_cpuset *cpumask)
{
	struct vscsi_ctrlr *c;
	uint8_t i;
	int rc;

	if (!name_valid(name) || vd_get_thread() == NULL) {
		return -EINVAL;
	}
	if (g_finishing) {
		return -ESHUTDOWN;
	}
	if (vscsi_ctrlr_find(name) != NULL || vd_vhost_dev_find(name) != NULL) {
		return -EEXIST;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	if (!vd_strcpy_trunc(c->name, sizeof(c->name), name)) {
		free(c);
		return -ENAMETOOLONG;
	}
	if (cpumask != NULL) {
		vd_cpuset_copy(&c->cpumask, cpumask);
		c->has_cpumask = true;
	}
	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		c->tgt[i].ctrlr = c;
		c->tgt[i].num = i;
	}
	c->ops = g_scsi_ops_template;
	c->ops.features = vscsi_features();
	c->ctrl_thread = vd_get_thread();
	rc = vd_vhost_dev_register(c->name, vd_vhost_get_sock_dir(), &c->ops, c,
				   c->has_cpumask ? &c->cpumask : NULL, &c->vdev);
	if (rc != 0) {
		VD_ERRLOG("%s: cannot create the vhost-user device: %s\n", name, strerror(-rc));
		free(c);
		return rc;
	}
	c->state = VSCSI_CTRLR_READY;
	TAILQ_INSERT_TAIL(&g_ctrlrs, c, link);
	VD_NOTICELOG("vhost-scsi controller %s: socket %s\n", c->name,
		     vd_vhost_dev_get_socket_path(c->vdev));
	return 0;
}

static void
unregistered(void *arg)
{
	struct vscsi_ctrlr *c = arg;
	vd_vhost_scsi_done_cb cb = c->cb;
	void *cb_arg = c->cb_arg;

	TAILQ_REMOVE(&g_ctrlrs, c, link);
	VD_NOTICELOG("vhost-scsi controller %s deleted\n", c->name);
	free(c);
	if (cb != NULL) {
		cb(cb_arg, 0);
	}
	if (g_finishing) {
		fini_step();
	}
}

static void
closed_msg(void *arg)
{
	struct vscsi_ctrlr *c = arg;
	int rc;

	rc = vd_vhost_dev_unregister(c->vdev, unregistered, c);
	if (rc != 0) {
		/* Only -EBUSY: someone else is already unregistering the device. */
		VD_ERRLOG("%s: cannot unregister: %s\n", c->name, strerror(-rc));
	}
}

static void
close_destroyed(void *arg)
{
	struct vscsi_ctrlr *c = arg;

	assert(c->destroying > 0);
	if (--c->destroying == 0) {
		send_ctrl(c, closed_msg, c);
	}
}

/* Data thread: no new start or target; destroy every target, then unregister. */
static void
close_msg(void *arg)
{
	struct vscsi_ctrlr *c = arg;
	struct vd_scsi_dev *dev;
	uint32_t i;

	c->closing = true;
	c->destroying = 1; /* held until every destroy is issued */
	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		dev = c->tgt[i].dev;
		if (dev != NULL) {
			c->tgt[i].dev = NULL;
			c->destroying++;
			vd_scsi_dev_destroy(dev, close_destroyed, c);
		}
	}
	vscsi_events_clear(c);
	close_destroyed(c);
}

static bool
ctrlr_busy(const struct vscsi_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		if (c->tgt[i].state == VSCSI_TGT_ADDING || c->tgt[i].state == VSCSI_TGT_REMOVING) {
			return true;
		}
	}
	return c->state != VSCSI_CTRLR_READY;
}

int
vd_vhost_scsi_delete(const char *name, vd_vhost_scsi_done_cb cb, void *cb_arg)
{
	struct vscsi_ctrlr *c = vscsi_ctrlr_find(name);
	int rc;

	if (c == NULL) {
		return -ENODEV;
	}
	if (ctrlr_busy(c)) {
		return -EBUSY;
	}
	rc = vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), close_msg, c);
	if (rc != 0) {
		return rc;
	}
	c->state = VSCSI_CTRLR_DELETING;
	c->cb = cb;
	c->cb_arg = cb_arg;
	return 0;
}

/* Lookup (control thread) ------------------------------------------------------------------ */

struct vscsi_ctrlr *
vscsi_ctrlr_find(const char *name)
{
	struct vscsi_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (name != NULL && strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

struct vscsi_ctrlr *
vscsi_ctrlr_next(struct vscsi_ctrlr *prev)
{
	return prev == NULL ? TAILQ_FIRST(&g_ctrlrs) : TAILQ_NEXT(prev, link);
}

bool
vd_vhost_scsi_exists(const char *name)
{
	return vscsi_ctrlr_find(name) != NULL;
}

/* Subsystem -------------------------------------------------------------------------------- */

static void
fini_step(void)
{
	struct vscsi_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (ctrlr_busy(c)) {
			/* A target operation or a delete in progress calls us again when it ends.
			 */
			return;
		}
	}
	c = TAILQ_FIRST(&g_ctrlrs);
	if (c != NULL) {
		if (vd_vhost_scsi_delete(c->name, NULL, NULL) != 0) {
			VD_ERRLOG("%s: cannot delete the controller at shutdown\n", c->name);
		}
		return;
	}
	g_finishing = false;
	vd_subsystem_fini_next();
}

static void
subsystem_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(vhost_scsi));
	vd_vhost_init();
	g_finishing = false;
	vd_subsystem_init_next(0);
}

static void
subsystem_fini(void)
{
	g_finishing = true;
	fini_step();
}

static struct vd_subsystem g_scsi_subsystem = {
	.name = "vhost_scsi",
	.init = subsystem_init,
	.fini = subsystem_fini,
	.write_config_json = vscsi_write_config_json,
	.depends_on = {"bdev"},
};

struct vd_subsystem *
vd_vhost_scsi_subsystem(void)
{
	return &g_scsi_subsystem;
}
