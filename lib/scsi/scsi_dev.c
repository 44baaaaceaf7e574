/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * SCSI devices (targets) and their logical units: life cycle, the task set, delivery of
 * completions, task management, bdev events.
 *
 * Everything runs on the device's thread (dev->thread); no locks.
 *
 * Completion delivery: a task completed while a public call of this library is on the stack
 * (dev->in_call > 0) is put on dev->deferred and delivered by the device's poller, which is
 * paused whenever it has nothing to do (scsi_dev_kick() resumes it).  So cpl_fn never runs
 * inside vd_scsi_dev_submit()/vd_scsi_dev_task_mgmt(), as the async contract requires.
 *
 * Task states: submitted (on lun->tasks, in_set) --scsi_task_complete--> delivered (directly
 * or via dev->deferred).  A task may additionally be marked aborted by a TMF; it stays in the
 * set until its bdev I/O returns (its data may still be moving), then completes with
 * aborted = true.  dev->aborted_inflight counts such tasks plus the bdev resets of LUN RESETs;
 * TMFs wait on dev->tmf_waiters until it drops to 0 (possibly waiting for other LUNs' aborted
 * tasks too, which only delays the answer).
 *
 * LUN states: active --vd_scsi_dev_remove_lun / bdev REMOVE / destroy--> removing (commands
 * are rejected; the task set drains) --poller, when idle--> freed (channel put, claim released,
 * descriptor closed, remove_cb or LUN_REMOVED event).
 * Device: active --vd_scsi_dev_destroy--> destroying --poller: no LUN, nothing deferred or
 * waiting--> freed, destroy_cb.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_internal.h"

VD_LOG_FLAG_DEFINE(scsi);

static void scsi_dev_check_tmf(struct vd_scsi_dev *dev);

void
scsi_dev_kick(struct vd_scsi_dev *dev)
{
	vd_poller_resume(dev->poller);
}

struct vd_scsi_lun *
scsi_dev_find_lun(const struct vd_scsi_dev *dev, uint32_t id)
{
	struct vd_scsi_lun *lun;

	if (id >= VD_SCSI_DEV_MAX_LUNS) {
		return NULL;
	}
	lun = dev->luns[id];
	return lun != NULL && !lun->removing ? lun : NULL;
}

static bool
lun_is_idle(const struct vd_scsi_lun *lun)
{
	return lun->num_tasks == 0 && lun->resets_inflight == 0;
}

static void
scsi_task_deliver(struct vd_scsi_dev *dev, struct vd_scsi_task *task)
{
	if (dev->in_call > 0) {
		TAILQ_INSERT_TAIL(&dev->deferred, task, priv.link);
		scsi_dev_kick(dev);
		return;
	}
	task->cpl_fn(task, task->cpl_arg);
}

static void
scsi_task_restore_iov(struct vd_scsi_task *task)
{
	if (task->priv.trim_iov != NULL) {
		task->priv.trim_iov->iov_len = task->priv.trim_saved_len;
		task->priv.trim_iov = NULL;
	}
}

void
scsi_task_complete(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;
	struct vd_scsi_dev *dev = p->dev;
	struct vd_scsi_lun *lun = p->lun;
	bool was_aborted = p->aborted;

	scsi_task_restore_iov(task);
	if (p->has_bounce) {
		scsi_sbc_bounce_put(task);
	}
	if (p->in_set) {
		TAILQ_REMOVE(&lun->tasks, task, priv.link);
		lun->num_tasks--;
		p->in_set = false;
		if (lun->removing && lun_is_idle(lun)) {
			scsi_dev_kick(dev);
		}
	}
	if (was_aborted) {
		task->aborted = true;
		task->data_len = 0;
		scsi_task_set_sense(task, VD_SCSI_SENSE_ABORTED_COMMAND, SCSI_ASC_NONE, 0);
	}
	task->residual = (uint32_t)VD_MIN(p->xfer_total - VD_MIN(p->xfer_total, task->data_len),
					  UINT32_MAX);
	/* The task may be reused by its owner from here on: touch only dev/lun below. */
	scsi_task_deliver(dev, task);
	if (was_aborted) {
		assert(dev->aborted_inflight > 0);
		dev->aborted_inflight--;
		scsi_dev_check_tmf(dev);
	}
}

/* Device and LUN life cycle ---------------------------------------------------------------- */

static void
scsi_lun_free(struct vd_scsi_lun *lun)
{
	struct vd_scsi_dev *dev = lun->dev;
	vd_scsi_done_cb cb = lun->remove_cb;
	void *cb_arg = lun->remove_cb_arg;
	bool hot = lun->hot_removed;
	uint32_t id = lun->id;

	assert(lun_is_idle(lun) && TAILQ_EMPTY(&lun->bounce_waiters));
	dev->luns[id] = NULL;
	if (lun->ch != NULL) {
		vd_put_io_channel(lun->ch);
	}
	vd_bdev_release_claim(lun->desc);
	vd_bdev_close(lun->desc);
	scsi_sbc_bounce_free(lun);
	free(lun);
	VD_INFOLOG(scsi, "%s: LUN %u removed\n", dev->name, id);
	if (cb != NULL) {
		cb(cb_arg);
	}
	if (hot && dev->event_cb != NULL && !dev->destroying) {
		dev->event_cb(dev, id, VD_SCSI_DEV_EVENT_LUN_REMOVED, dev->event_ctx);
	}
}

static void
scsi_dev_free(struct vd_scsi_dev *dev)
{
	vd_scsi_done_cb cb = dev->destroy_cb;
	void *cb_arg = dev->destroy_cb_arg;

	vd_poller_unregister(&dev->poller);
	VD_INFOLOG(scsi, "%s: destroyed\n", dev->name);
	free(dev->name);
	free(dev);
	if (cb != NULL) {
		cb(cb_arg);
	}
}

static bool
scsi_dev_reap_luns(struct vd_scsi_dev *dev)
{
	struct vd_scsi_lun *lun;
	bool any = false;
	uint32_t i;

	for (i = 0; i < VD_SCSI_DEV_MAX_LUNS; i++) {
		lun = dev->luns[i];
		if (lun != NULL && lun->removing && lun_is_idle(lun)) {
			scsi_lun_free(lun);
		} else if (lun != NULL) {
			any = true;
		}
	}
	return any;
}

static int
scsi_dev_poll(void *arg)
{
	struct vd_scsi_dev *dev = arg;
	TAILQ_HEAD(, vd_scsi_task) batch = TAILQ_HEAD_INITIALIZER(batch);
	struct vd_scsi_task *task;
	bool luns_left;

	/* Deliver only what is queued now: callbacks may submit and defer more. */
	TAILQ_CONCAT(&batch, &dev->deferred, priv.link);
	while ((task = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, task, priv.link);
		task->cpl_fn(task, task->cpl_arg);
	}
	luns_left = scsi_dev_reap_luns(dev);
	if (dev->destroying && !luns_left && TAILQ_EMPTY(&dev->deferred) &&
	    TAILQ_EMPTY(&dev->tmf_waiters)) {
		scsi_dev_free(dev);
		return VD_POLLER_BUSY;
	}
	if (TAILQ_EMPTY(&dev->deferred)) {
		vd_poller_pause(dev->poller);
	}
	return VD_POLLER_BUSY;
}

int
vd_scsi_dev_create(const struct vd_scsi_dev_opts *opts, struct vd_scsi_dev **devp)
{
	struct vd_scsi_dev *dev;

	if (opts == NULL || opts->name == NULL || vd_get_thread() == NULL) {
		return -EINVAL;
	}
	vd_log_flag_register(&VD_LOG_FLAG(scsi));
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->name = strdup(opts->name);
	if (dev->name == NULL) {
		goto err_free_dev;
	}
	dev->poller = vd_poller_register(scsi_dev_poll, dev, 0, "scsi_dev");
	if (dev->poller == NULL) {
		goto err_free_name;
	}
	vd_poller_pause(dev->poller);
	dev->thread = vd_get_thread();
	dev->event_cb = opts->event_cb;
	dev->event_ctx = opts->event_ctx;
	TAILQ_INIT(&dev->deferred);
	TAILQ_INIT(&dev->tmf_waiters);
	*devp = dev;
	return 0;

err_free_name:
	free(dev->name);
err_free_dev:
	free(dev);
	return -ENOMEM;
}

static void
scsi_lun_start_removal(struct vd_scsi_lun *lun)
{
	lun->removing = true;
	if (lun_is_idle(lun)) {
		scsi_dev_kick(lun->dev);
	}
}

void
vd_scsi_dev_destroy(struct vd_scsi_dev *dev, vd_scsi_done_cb cb, void *cb_arg)
{
	uint32_t i;

	assert(vd_get_thread() == dev->thread && !dev->destroying);
	dev->destroying = true;
	dev->destroy_cb = cb;
	dev->destroy_cb_arg = cb_arg;
	for (i = 0; i < VD_SCSI_DEV_MAX_LUNS; i++) {
		if (dev->luns[i] != NULL) {
			scsi_lun_start_removal(dev->luns[i]);
		}
	}
	scsi_dev_kick(dev);
}

static void
scsi_lun_bdev_event(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	struct vd_scsi_lun *lun = ctx;
	struct vd_scsi_dev *dev = lun->dev;

	switch (type) {
	case VD_BDEV_EVENT_REMOVE:
		if (lun->removing) {
			return;
		}
		VD_NOTICELOG("%s: bdev %s of LUN %u is being removed\n", dev->name,
			     vd_bdev_get_name(bdev), lun->id);
		lun->hot_removed = true;
		scsi_lun_start_removal(lun);
		break;
	case VD_BDEV_EVENT_RESIZE:
		lun->ua |= SCSI_UA_CAPACITY;
		if (dev->event_cb != NULL && !lun->removing) {
			dev->event_cb(dev, lun->id, VD_SCSI_DEV_EVENT_LUN_RESIZED, dev->event_ctx);
		}
		break;
	}
}

static int
scsi_lun_open(struct vd_scsi_lun *lun, const char *bdev_name, const char *claimer)
{
	const char *name = lun->dev->name;
	int rc;

	rc = vd_bdev_open_ext(bdev_name, true, scsi_lun_bdev_event, lun, &lun->desc);
	if (rc != 0) {
		VD_ERRLOG("%s: cannot open bdev %s: %s\n", name, bdev_name, strerror(-rc));
		return rc;
	}
	rc = vd_bdev_claim(lun->desc, claimer);
	if (rc != 0) {
		goto err_close;
	}
	lun->ch = vd_bdev_get_io_channel(lun->desc);
	if (lun->ch == NULL) {
		VD_ERRLOG("%s: no I/O channel for bdev %s\n", name, bdev_name);
		rc = -ENOMEM;
		goto err_release;
	}
	lun->bdev = vd_bdev_desc_get_bdev(lun->desc);
	return 0;

err_release:
	vd_bdev_release_claim(lun->desc);
err_close:
	vd_bdev_close(lun->desc);
	return rc;
}

int
vd_scsi_dev_add_lun(struct vd_scsi_dev *dev, uint32_t id, const char *bdev_name,
		    const char *claimer)
{
	struct vd_scsi_lun *lun;
	int rc;

	assert(vd_get_thread() == dev->thread);
	if (id >= VD_SCSI_DEV_MAX_LUNS || bdev_name == NULL || claimer == NULL ||
	    dev->destroying) {
		return -EINVAL;
	}
	if (dev->luns[id] != NULL) {
		return -EEXIST;
	}
	lun = calloc(1, sizeof(*lun));
	if (lun == NULL) {
		return -ENOMEM;
	}
	lun->dev = dev;
	lun->id = id;
	TAILQ_INIT(&lun->tasks);
	TAILQ_INIT(&lun->bounce_waiters);
	rc = scsi_lun_open(lun, bdev_name, claimer);
	if (rc != 0) {
		free(lun);
		return rc;
	}
	dev->luns[id] = lun;
	VD_INFOLOG(scsi, "%s: LUN %u on bdev %s\n", dev->name, id, bdev_name);
	return 0;
}

int
vd_scsi_dev_remove_lun(struct vd_scsi_dev *dev, uint32_t id, vd_scsi_done_cb cb, void *cb_arg)
{
	struct vd_scsi_lun *lun;

	assert(vd_get_thread() == dev->thread);
	lun = id < VD_SCSI_DEV_MAX_LUNS ? dev->luns[id] : NULL;
	if (lun == NULL) {
		return -ENOENT;
	}
	if (lun->remove_cb != NULL) {
		return -EBUSY;
	}
	lun->remove_cb = cb;
	lun->remove_cb_arg = cb_arg;
	/* The caller asked: no LUN_REMOVED event even if a hot-remove raced with this. */
	lun->hot_removed = false;
	scsi_lun_start_removal(lun);
	return 0;
}

bool
vd_scsi_dev_has_lun(const struct vd_scsi_dev *dev, uint32_t id)
{
	return scsi_dev_find_lun(dev, id) != NULL;
}

uint32_t
vd_scsi_dev_get_lun_count(const struct vd_scsi_dev *dev)
{
	uint32_t i, n = 0;

	for (i = 0; i < VD_SCSI_DEV_MAX_LUNS; i++) {
		n += scsi_dev_find_lun(dev, i) != NULL;
	}
	return n;
}

struct vd_bdev *
vd_scsi_dev_get_lun_bdev(const struct vd_scsi_dev *dev, uint32_t id)
{
	struct vd_scsi_lun *lun = scsi_dev_find_lun(dev, id);

	return lun != NULL ? lun->bdev : NULL;
}

const char *
vd_scsi_dev_get_name(const struct vd_scsi_dev *dev)
{
	return dev->name;
}

/* Task management -------------------------------------------------------------------------- */

static void
scsi_task_abort(struct vd_scsi_task *task)
{
	struct vd_scsi_task_priv *p = &task->priv;

	if (p->aborted) {
		return;
	}
	p->aborted = true;
	p->dev->aborted_inflight++;
	if (p->bounce_waiting) {
		/* Not started: nothing in flight, finish it now. */
		TAILQ_REMOVE(&p->lun->bounce_waiters, task, priv.wait_link);
		p->bounce_waiting = false;
		scsi_task_complete(task);
	}
	/* Otherwise its bdev I/O (or io_wait callback) completes it. */
}

static struct vd_scsi_task *
scsi_lun_find_task(struct vd_scsi_lun *lun, uint64_t tag)
{
	struct vd_scsi_task *t;

	TAILQ_FOREACH(t, &lun->tasks, priv.link) {
		if (t->tag == tag) {
			return t;
		}
	}
	return NULL;
}

static void
scsi_lun_abort_all(struct vd_scsi_lun *lun)
{
	struct vd_scsi_task *t, *tmp;

	/* Aborting may complete (and unlink) a task: fetch the next one first. */
	for (t = TAILQ_FIRST(&lun->tasks); t != NULL; t = tmp) {
		tmp = TAILQ_NEXT(t, priv.link);
		scsi_task_abort(t);
	}
}

static void
scsi_lun_reset_done(struct vd_bdev_io *io, bool success, void *arg)
{
	struct vd_scsi_lun *lun = arg;
	struct vd_scsi_dev *dev = lun->dev;

	vd_bdev_free_io(io);
	lun->resets_inflight--;
	dev->aborted_inflight--;
	if (lun->removing && lun_is_idle(lun)) {
		scsi_dev_kick(dev);
	}
	scsi_dev_check_tmf(dev);
}

static void
scsi_lun_reset(struct vd_scsi_lun *lun)
{
	int rc;

	scsi_lun_abort_all(lun);
	rc = vd_bdev_reset(lun->desc, lun->ch, scsi_lun_reset_done, lun);
	if (rc == 0) {
		lun->resets_inflight++;
		lun->dev->aborted_inflight++;
	} else {
		VD_WARNLOG("%s: LUN %u: bdev reset failed: %s\n", lun->dev->name, lun->id,
			   strerror(-rc));
	}
}

/* The TMF is answered: establish the unit attentions a reset leaves behind. */
static void
scsi_tmf_finish(struct vd_scsi_dev *dev, struct vd_scsi_task *tmf)
{
	struct vd_scsi_lun *lun;
	uint32_t i;

	for (i = 0; i < VD_SCSI_DEV_MAX_LUNS; i++) {
		lun = scsi_dev_find_lun(dev, i);
		if (lun == NULL) {
			continue;
		}
		if ((tmf->tmf == VD_SCSI_TMF_LUN_RESET && i == tmf->lun) ||
		    tmf->tmf == VD_SCSI_TMF_TARGET_RESET || tmf->tmf == VD_SCSI_TMF_I_T_NEXUS_RESET) {
			lun->ua |= SCSI_UA_RESET;
		}
	}
	scsi_task_deliver(dev, tmf);
}

static void
scsi_dev_check_tmf(struct vd_scsi_dev *dev)
{
	struct vd_scsi_task *tmf;

	if (dev->aborted_inflight > 0) {
		return;
	}
	while ((tmf = TAILQ_FIRST(&dev->tmf_waiters)) != NULL) {
		TAILQ_REMOVE(&dev->tmf_waiters, tmf, priv.link);
		scsi_tmf_finish(dev, tmf);
	}
	if (dev->destroying) {
		scsi_dev_kick(dev);
	}
}

static void
scsi_tmf_exec(struct vd_scsi_dev *dev, struct vd_scsi_task *tmf, struct vd_scsi_lun *lun)
{
	struct vd_scsi_task *t;
	uint32_t i;

	switch (tmf->tmf) {
	case VD_SCSI_TMF_ABORT_TASK:
	case VD_SCSI_TMF_QUERY_TASK:
		t = scsi_lun_find_task(lun, tmf->abort_tag);
		if (t != NULL && tmf->tmf == VD_SCSI_TMF_QUERY_TASK) {
			tmf->tmf_response = VD_SCSI_TMF_RESP_SUCCEEDED;
		} else if (t != NULL) {
			scsi_task_abort(t);
		}
		break;
	case VD_SCSI_TMF_ABORT_TASK_SET:
	case VD_SCSI_TMF_CLEAR_TASK_SET:
		scsi_lun_abort_all(lun);
		break;
	case VD_SCSI_TMF_LUN_RESET:
		scsi_lun_reset(lun);
		break;
	default:	/* target-wide resets */
		for (i = 0; i < VD_SCSI_DEV_MAX_LUNS; i++) {
			if (scsi_dev_find_lun(dev, i) != NULL) {
				scsi_lun_reset(dev->luns[i]);
			}
		}
		break;
	}
}

void
vd_scsi_dev_task_mgmt(struct vd_scsi_dev *dev, struct vd_scsi_task *tmf)
{
	bool target_wide = tmf->tmf == VD_SCSI_TMF_TARGET_RESET ||
			   tmf->tmf == VD_SCSI_TMF_I_T_NEXUS_RESET;
	struct vd_scsi_lun *lun = scsi_dev_find_lun(dev, tmf->lun);

	assert(vd_get_thread() == dev->thread);
	memset(&tmf->priv, 0, sizeof(tmf->priv));
	tmf->priv.dev = dev;
	tmf->status = VD_SCSI_STATUS_GOOD;
	tmf->aborted = false;
	tmf->sense_len = 0;
	tmf->data_len = 0;
	tmf->residual = 0;
	tmf->tmf_response = VD_SCSI_TMF_RESP_COMPLETE;
	dev->in_call++;
	if ((unsigned int)tmf->tmf > VD_SCSI_TMF_QUERY_TASK) {
		tmf->tmf_response = VD_SCSI_TMF_RESP_REJECTED;
		scsi_task_deliver(dev, tmf);
	} else if (lun == NULL && !target_wide) {
		tmf->tmf_response = VD_SCSI_TMF_RESP_INCORRECT_LUN;
		scsi_task_deliver(dev, tmf);
	} else {
		VD_INFOLOG(scsi, "%s: TMF %d on LUN %u\n", dev->name, (int)tmf->tmf, tmf->lun);
		scsi_tmf_exec(dev, tmf, lun);
		TAILQ_INSERT_TAIL(&dev->tmf_waiters, tmf, priv.link);
		scsi_dev_check_tmf(dev);
	}
	dev->in_call--;
}
