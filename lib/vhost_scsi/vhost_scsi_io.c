/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The data path of vhost-scsi controllers, on the controller's data thread: device start/stop,
 * one poller per started queue, request and control tasks, the event queue.
 *
 * Queues: 0 control (TMF, asynchronous notification queries), 1 event, 2.. requests.  Each
 * started queue has a struct vscsi_vq with its own poller; request and control queues own a
 * fixed pool of tasks allocated in ops->start (no allocation per request).  A request task
 * carries its vd_vhost_req (iovecs filled by lib/vhost) and the vd_scsi_task handed to lib/scsi;
 * guest data iovecs go to lib/scsi as they are (zero copy), only the header and the response are
 * cut off.
 *
 * Events: vscsi_event_push() appends to c->events (bounded; on overflow the backlog is dropped
 * and the next event delivered is VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED, so the
 * guest rescans).  The event-queue poller takes one guest buffer per pending event and never
 * holds buffers, so stopping needs nothing from it.  Events whose feature (HOTPLUG, CHANGE) was
 * not negotiated are dropped at delivery.
 *
 * Invariants (data thread):
 *  - c->outstanding == sum of vvq->outstanding == tasks taken from a ring and not completed.
 *  - A task is completed exactly once (task_finish), which returns it to its pool.
 *  - While stopping (c->stop_done set) no poller is registered; the stop finishes in
 *    stop_check() when c->outstanding drops to 0.
 *  - A target's lib/scsi device is reached only through c->tgt[i].dev; NULL means absent.
 */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/log.h"
#include "vhost_scsi_ctrlr.h"

/* Requests taken from a ring per poll. */
#define VSCSI_BATCH 32u
/* Tasks per request queue and per control queue. */
#define VSCSI_REQ_TASKS 128u
#define VSCSI_CTRL_TASKS 16u
#define VSCSI_EVENT_IOVS 16u

enum vscsi_vq_kind {
	VSCSI_VQ_CONTROL,
	VSCSI_VQ_EVENT,
	VSCSI_VQ_REQUEST,
};

struct vscsi_task {
	struct vd_vhost_req req;
	struct vd_scsi_task st;
	struct vscsi_vq *vvq;
	struct vscsi_task *next_free;
	union {
		struct vscsi_cmd cmd;
		struct vscsi_ctrl ctrl;
	} u;
	struct iovec iovs[VSCSI_MAX_IOVS];
};

struct vscsi_vq {
	struct vscsi_ctrlr *ctrlr;
	struct vd_vhost_vq *vq;
	struct vd_poller *poller;
	enum vscsi_vq_kind kind;
	struct vscsi_task *tasks;
	struct vscsi_task *free;
	uint32_t num_tasks;
	uint32_t outstanding;
	bool needs_flush;
	/* Event queue only. */
	struct vd_vhost_req ev_req;
	struct iovec ev_iovs[VSCSI_EVENT_IOVS];
};

static void stop_check(struct vscsi_ctrlr *c);

/* Tasks ------------------------------------------------------------------------------------ */

static void
task_finish(struct vscsi_task *t, uint32_t used)
{
	struct vscsi_vq *vvq = t->vvq;
	struct vscsi_ctrlr *c = vvq->ctrlr;

	vd_vhost_vq_complete(vvq->vq, t->req.head, used);
	vvq->needs_flush = true;
	t->next_free = vvq->free;
	vvq->free = t;
	assert(vvq->outstanding > 0 && c->outstanding > 0);
	vvq->outstanding--;
	c->outstanding--;
	if (c->outstanding == 0 && c->stop_done != NULL) {
		stop_check(c);
	}
}

static void
cmd_done(struct vd_scsi_task *st, void *arg)
{
	struct vscsi_task *t = arg;
	uint8_t response = st->aborted ? VIRTIO_SCSI_S_ABORTED : VIRTIO_SCSI_S_OK;

	task_finish(t, vscsi_cmd_respond(&t->u.cmd, response, st));
}

static void
cmd_start(struct vscsi_task *t)
{
	struct vscsi_cmd *cmd = &t->u.cmd;
	struct vd_scsi_task *st = &t->st;
	struct vd_scsi_dev *dev;
	int rc;

	rc = vscsi_parse_cmd(&t->req, cmd);
	if (rc == VSCSI_PARSE_DROP) {
		task_finish(t, 0);
		return;
	}
	if (rc != VSCSI_PARSE_SUBMIT) {
		task_finish(t, vscsi_cmd_respond(cmd, (uint8_t)rc, NULL));
		return;
	}
	dev = t->vvq->ctrlr->tgt[cmd->target].dev;
	if (dev == NULL) {
		task_finish(t, vscsi_cmd_respond(cmd, VIRTIO_SCSI_S_BAD_TARGET, NULL));
		return;
	}
	memcpy(st->cdb, cmd->req.cdb, sizeof(st->cdb));
	st->lun = cmd->lun;
	st->tag = cmd->req.tag;
	st->dir = cmd->dir;
	st->iovs = cmd->data;
	st->iovcnt = cmd->data_cnt;
	st->cpl_fn = cmd_done;
	st->cpl_arg = t;
	vd_scsi_dev_submit(dev, st);
}

static void
tmf_done(struct vd_scsi_task *st, void *arg)
{
	struct vscsi_task *t = arg;

	task_finish(t, vscsi_ctrl_respond(&t->u.ctrl, vscsi_tmf_response(st->tmf_response)));
}

static void
ctrl_start(struct vscsi_task *t)
{
	struct vscsi_ctrl *ctrl = &t->u.ctrl;
	struct vd_scsi_task *st = &t->st;
	struct vd_scsi_dev *dev;
	int rc;

	rc = vscsi_parse_ctrl(&t->req, ctrl);
	if (rc == VSCSI_PARSE_DROP) {
		task_finish(t, 0);
		return;
	}
	if (rc != VSCSI_PARSE_SUBMIT) {
		task_finish(t, vscsi_ctrl_respond(ctrl, (uint8_t)rc));
		return;
	}
	dev = t->vvq->ctrlr->tgt[ctrl->target].dev;
	if (dev == NULL) {
		task_finish(t, vscsi_ctrl_respond(ctrl, VIRTIO_SCSI_S_BAD_TARGET));
		return;
	}
	VD_INFOLOG(vhost_scsi, "%s: TMF %d on target %u LUN %u tag 0x%llx\n", t->vvq->ctrlr->name,
		   (int)ctrl->tmf, ctrl->target, ctrl->lun, (unsigned long long)ctrl->tag);
	st->tmf = ctrl->tmf;
	st->lun = ctrl->lun;
	st->abort_tag = ctrl->tag;
	st->tag = 0;
	st->dir = VD_SCSI_DIR_NONE;
	st->iovs = NULL;
	st->iovcnt = 0;
	st->cpl_fn = tmf_done;
	st->cpl_arg = t;
	vd_scsi_dev_task_mgmt(dev, st);
}

/* Pollers ---------------------------------------------------------------------------------- */

static int
task_vq_poll(void *arg)
{
	struct vscsi_vq *vvq = arg;
	struct vd_vhost_req *reqs[VSCSI_BATCH];
	struct vscsi_task *t;
	int n = 0, got = 0, i;

	for (t = vvq->free; t != NULL && n < (int)VSCSI_BATCH; t = t->next_free) {
		reqs[n++] = &t->req;
	}
	if (n > 0) {
		got = vd_vhost_vq_dequeue(vvq->vq, reqs, (uint16_t)n);
	}
	/* The tasks handed out are the first `got` of the free list, in order.  Take them all off
	 * before starting any: a request completed at once goes back to the head of the list. */
	for (i = 0; i < got; i++) {
		vvq->free = vvq->free->next_free;
	}
	vvq->outstanding += got > 0 ? (uint32_t)got : 0;
	vvq->ctrlr->outstanding += got > 0 ? (uint32_t)got : 0;
	for (i = 0; i < got; i++) {
		t = VD_CONTAINEROF(reqs[i], struct vscsi_task, req);
		if (vvq->kind == VSCSI_VQ_REQUEST) {
			cmd_start(t);
		} else {
			ctrl_start(t);
		}
	}
	if (vvq->needs_flush) {
		vvq->needs_flush = false;
		vd_vhost_vq_flush(vvq->vq);
		return VD_POLLER_BUSY;
	}
	return got > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

/* Whether the guest negotiated what event \p ev needs. */
static bool
event_wanted(struct vscsi_ctrlr *c, const struct virtio_scsi_event *ev)
{
	uint64_t f = vd_vhost_dev_get_features(c->vdev);
	uint32_t type = ev->event & ~VIRTIO_SCSI_T_EVENTS_MISSED;

	if (type == VIRTIO_SCSI_T_PARAM_CHANGE) {
		return f & (1ULL << VIRTIO_SCSI_F_CHANGE);
	}
	return f & (1ULL << VIRTIO_SCSI_F_HOTPLUG);
}

/* The event to deliver next, or NULL.  Unwanted events are dropped here. */
static const struct virtio_scsi_event *
event_peek(struct vscsi_ctrlr *c, struct virtio_scsi_event *missed)
{
	struct vscsi_events *e = &c->events;

	if (e->missed) {
		memset(missed, 0, sizeof(*missed));
		missed->event = VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED;
		if (event_wanted(c, missed)) {
			return missed;
		}
		e->missed = false;
	}
	while (e->count > 0 && !event_wanted(c, &e->ev[e->head])) {
		e->head = (e->head + 1) % VSCSI_MAX_PENDING_EVENTS;
		e->count--;
	}
	return e->count > 0 ? &e->ev[e->head] : NULL;
}

static void
event_pop(struct vscsi_ctrlr *c)
{
	struct vscsi_events *e = &c->events;

	if (e->missed) {
		e->missed = false;
		return;
	}
	e->head = (e->head + 1) % VSCSI_MAX_PENDING_EVENTS;
	e->count--;
}

static int
event_vq_poll(void *arg)
{
	struct vscsi_vq *vvq = arg;
	struct vscsi_ctrlr *c = vvq->ctrlr;
	const struct virtio_scsi_event *ev;
	struct virtio_scsi_event missed;
	struct vd_vhost_req *req = &vvq->ev_req;
	int rc, busy = VD_POLLER_IDLE;

	while ((ev = event_peek(c, &missed)) != NULL) {
		if (vd_vhost_vq_dequeue(vvq->vq, &req, 1) != 1) {
			break;
		}
		busy = VD_POLLER_BUSY;
		rc = vscsi_event_write(req, ev);
		if (rc < 0) {
			/* Not an event buffer: give it back empty, keep the event. */
			vd_vhost_vq_complete(vvq->vq, req->head, 0);
			continue;
		}
		VD_INFOLOG(vhost_scsi, "%s: event 0x%x target %u reason %u delivered\n", c->name,
			   ev->event, ev->lun[1], ev->reason);
		vd_vhost_vq_complete(vvq->vq, req->head, (uint32_t)rc);
		event_pop(c);
	}
	if (busy == VD_POLLER_BUSY) {
		vd_vhost_vq_flush(vvq->vq);
	}
	return busy;
}

void
vscsi_event_push(struct vscsi_ctrlr *c, uint32_t event, uint8_t target, uint32_t lun,
		 uint32_t reason)
{
	struct vscsi_events *e = &c->events;
	struct virtio_scsi_event *ev;

	if (e->count == VSCSI_MAX_PENDING_EVENTS) {
		VD_NOTICELOG("%s: %u events not taken by the guest; reporting events missed\n",
			     c->name, e->count);
		e->count = 0;
		e->head = 0;
		e->missed = true;
	}
	ev = &e->ev[(e->head + e->count) % VSCSI_MAX_PENDING_EVENTS];
	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	vscsi_lun_make(ev->lun, target, lun);
	ev->reason = reason;
	e->count++;
}

void
vscsi_events_clear(struct vscsi_ctrlr *c)
{
	memset(&c->events, 0, sizeof(c->events));
}

/* Queues ----------------------------------------------------------------------------------- */

static void
vq_free(struct vscsi_vq *vvq)
{
	if (vvq == NULL) {
		return;
	}
	vd_poller_unregister(&vvq->poller);
	vd_vhost_vq_set_ctx(vvq->vq, NULL);
	free(vvq->tasks);
	free(vvq);
}

static int
vq_alloc_tasks(struct vscsi_vq *vvq, uint32_t max)
{
	uint32_t i;

	vvq->num_tasks = VD_MIN((uint32_t)vd_vhost_vq_get_size(vvq->vq), max);
	vvq->tasks = calloc(vvq->num_tasks, sizeof(*vvq->tasks));
	if (vvq->tasks == NULL) {
		return -ENOMEM;
	}
	for (i = vvq->num_tasks; i-- > 0;) {
		vvq->tasks[i].vvq = vvq;
		vvq->tasks[i].req.iovs = vvq->tasks[i].iovs;
		vvq->tasks[i].req.max_iovs = VSCSI_MAX_IOVS;
		vvq->tasks[i].next_free = vvq->free;
		vvq->free = &vvq->tasks[i];
	}
	return 0;
}

static int
vq_create(struct vscsi_ctrlr *c, struct vd_vhost_vq *vq, struct vscsi_vq **out)
{
	char name[VD_MAX_POLLER_NAME_LEN];
	uint16_t idx = vd_vhost_vq_get_index(vq);
	struct vscsi_vq *vvq;
	int rc = 0;

	vvq = calloc(1, sizeof(*vvq));
	if (vvq == NULL) {
		return -ENOMEM;
	}
	vvq->ctrlr = c;
	vvq->vq = vq;
	vvq->kind = idx == VSCSI_CONTROLQ ? VSCSI_VQ_CONTROL
		    : idx == VSCSI_EVENTQ ? VSCSI_VQ_EVENT
					  : VSCSI_VQ_REQUEST;
	if (vvq->kind == VSCSI_VQ_EVENT) {
		vvq->ev_req.iovs = vvq->ev_iovs;
		vvq->ev_req.max_iovs = VSCSI_EVENT_IOVS;
	} else {
		rc = vq_alloc_tasks(vvq, vvq->kind == VSCSI_VQ_REQUEST ? VSCSI_REQ_TASKS
								       : VSCSI_CTRL_TASKS);
	}
	snprintf(name, sizeof(name), "vscsi/%.40s/q%u", c->name, idx);
	if (rc == 0) {
		vvq->poller = vd_poller_register(
			vvq->kind == VSCSI_VQ_EVENT ? event_vq_poll : task_vq_poll, vvq, 0, name);
		rc = vvq->poller == NULL ? -ENOMEM : 0;
	}
	if (rc != 0) {
		free(vvq->tasks);
		free(vvq);
		return rc;
	}
	vd_vhost_vq_set_ctx(vq, vvq);
	*out = vvq;
	return 0;
}

static void
free_vqs(struct vscsi_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		vq_free(c->vqs[i]);
		c->vqs[i] = NULL;
	}
}

/* Device ops (data thread) ----------------------------------------------------------------- */

void
vscsi_dev_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct vscsi_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	struct vd_vhost_vq *vq;
	uint16_t i;
	int rc = 0;

	if (c->closing) {
		done(dev, -ENODEV);
		return;
	}
	for (i = 0; i < VD_COUNTOF(c->vqs) && rc == 0; i++) {
		vq = vd_vhost_dev_get_vq(dev, i);
		if (vq != NULL) {
			rc = vq_create(c, vq, &c->vqs[i]);
		}
	}
	if (rc != 0) {
		VD_ERRLOG("%s: cannot start queues: %s\n", c->name, strerror(-rc));
		free_vqs(c);
		done(dev, rc);
		return;
	}
	c->started = true;
	VD_INFOLOG(vhost_scsi, "%s: started\n", c->name);
	done(dev, 0);
}

/* Finish a stop once nothing is outstanding. */
static void
stop_check(struct vscsi_ctrlr *c)
{
	vd_vhost_done_cb done = c->stop_done;
	uint32_t i;

	if (done == NULL || c->outstanding > 0) {
		return;
	}
	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		if (c->vqs[i] != NULL) {
			vd_vhost_vq_flush(c->vqs[i]->vq);
		}
	}
	free_vqs(c);
	c->started = false;
	c->stop_done = NULL;
	VD_INFOLOG(vhost_scsi, "%s: stopped\n", c->name);
	done(c->stop_dev, 0);
}

void
vscsi_dev_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct vscsi_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	uint32_t i;

	for (i = 0; i < VD_COUNTOF(c->vqs); i++) {
		if (c->vqs[i] != NULL) {
			vd_poller_unregister(&c->vqs[i]->poller);
		}
	}
	c->stop_dev = dev;
	c->stop_done = done;
	stop_check(c);
}
