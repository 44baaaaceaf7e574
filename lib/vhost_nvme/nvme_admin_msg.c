/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Admin commands submitted as VHOST_USER_NVME_ADMIN messages (the second way besides the admin
 * queue; doc/vhost-nvme.md "Two ways to submit admin commands").
 *
 * Path of one message:
 *   control thread  nvme_admin_msg_recv(): 64-byte SQE; CSTS.RDY = 0 → Command Sequence Error
 *                   replied at once; else a struct nvme_admin_msg and its control-thread poller
 *                   (msg_poll), and lib/vhost defers the reply (VD_VHOST_MSG_PENDING).
 *   msg_poll        hands the message to the data thread (retried while its ring is full).
 *   data thread     msg_exec(): data path not started or controller not enabled → Command
 *                   Sequence Error; else dp.msg_cmd on the ring-less dp.msg_sq runs through
 *                   nvme_admin_exec() like an admin-queue command; nvme_ctrlr_complete() sends
 *                   it to nvme_admin_msg_complete(), which fills the CQE and sets done (release).
 *   msg_poll        sees done: vd_vhost_dev_msg_reply() (a front-end that has gone, or a new
 *                   connection, makes it -ENOTCONN/-ESTALE: dropped), frees the message.
 *
 * Invariants.
 *  - At most one message command executes per controller (the front-end waits for each reply,
 *    and a connection closes only after ops->stop drained the data thread); a second one would
 *    get Command Sequence Error.
 *  - After setting done the data thread never touches the message; the control thread frees it.
 *  - c->admin_msgs counts messages not yet freed: a deleted controller is freed only when it is
 *    0 (vhost_nvme_delete_finish), so no message outlives its controller.
 *  - The data thread gets a message only before lib/vhost's stop or exit message for it (same
 *    sender, FIFO); a message still unsent (its ring was full) when the controller is being
 *    deleted or its front-end went away is answered without running (c->conn_gen).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhost_nvme_internal.h"

struct nvme_admin_msg {
	struct nvme_ctrlr *c;
	uint64_t token;
	uint64_t conn_gen; /* the front-end connection it came on */
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	bool sent; /* handed to the data thread */
	int done;  /* cqe final (atomic, release by the data thread) */
	struct vd_poller *poller;
};

static void
cqe_fill(struct nvme_cqe *cqe, const struct nvme_sqe *sqe, uint32_t cdw0, uint16_t status)
{
	memset(cqe, 0, sizeof(*cqe));
	cqe->cdw0 = cdw0;
	cqe->cid = sqe->cid;
	cqe->status = NVME_CQE_STATUS(status, status != 0);
}

static void
msg_finish(struct nvme_admin_msg *m, uint32_t cdw0, uint16_t status)
{
	cqe_fill(&m->cqe, &m->sqe, cdw0, status);
	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
}

/* Data thread. ------------------------------------------------------------------------------- */

void
nvme_admin_msg_init(struct nvme_ctrlr *c)
{
	memset(&c->dp.msg_sq, 0, sizeof(c->dp.msg_sq));
	c->dp.msg_sq.msg = true;
	c->dp.msg_sq.ctrlr = c;
	memset(&c->dp.msg_cmd, 0, sizeof(c->dp.msg_cmd));
	c->dp.msg_cmd.sq = &c->dp.msg_sq;
	c->dp.msg_ctx = NULL;
}

static void
msg_exec(void *arg)
{
	struct nvme_admin_msg *m = arg;
	struct nvme_ctrlr *c = m->c;
	struct nvme_cmd *cmd = &c->dp.msg_cmd;

	/* Stopped: the controller state belongs to the control thread until the next start. */
	if (!c->dp.started || c->dp.state != NVME_DP_ENABLED || cmd->busy) {
		msg_finish(m, 0, NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_COMMAND_SEQUENCE_ERROR));
		return;
	}
	memcpy(&cmd->sqe, &m->sqe, sizeof(cmd->sqe));
	cmd->busy = true;
	cmd->status = 0;
	cmd->cdw0 = 0;
	cmd->iovcnt = 0;
	c->dp.msg_ctx = m;
	c->dp.msg_sq.outstanding++;
	c->dp.io_outstanding++;
	nvme_admin_exec(cmd);
}

/* Called by nvme_ctrlr_complete() for a command of dp.msg_sq (which then uncounts it). */
void
nvme_admin_msg_complete(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	struct nvme_admin_msg *m = c->dp.msg_ctx;

	c->dp.msg_ctx = NULL;
	cmd->busy = false;
	c->dp.msg_sq.outstanding--;
	if (cmd->status != 0) {
		c->dp.error_count++;
	}
	msg_finish(m, cmd->cdw0, cmd->status);
}

/* Control thread. ---------------------------------------------------------------------------- */

static int
msg_poll(void *arg)
{
	struct nvme_admin_msg *m = arg;
	struct nvme_ctrlr *c = m->c;
	int rc;

	if (!m->sent) {
		if (c->deleting || m->conn_gen != c->conn_gen ||
		    !vd_vhost_dev_is_connected(c->vdev)) {
			/* The data thread may be exiting, or the front-end has gone: never run it.
			 */
			msg_finish(m, 0,
				   NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORTED_SQ_DELETION));
		} else {
			rc = vd_thread_send_msg(vd_vhost_dev_get_thread(c->vdev), msg_exec, m);
			if (rc == -ENOMEM) {
				return VD_POLLER_IDLE; /* ring full: next poll */
			}
			if (rc != 0) {
				msg_finish(m, 0,
					   NVME_STATUS(NVME_SCT_GENERIC,
						       NVME_SC_INTERNAL_DEVICE_ERROR));
			}
		}
		m->sent = true;
	}
	if (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE)) {
		return VD_POLLER_IDLE;
	}
	if (!c->vdev_gone) {
		rc = vd_vhost_dev_msg_reply(c->vdev, m->token, &m->cqe, sizeof(m->cqe));
		if (rc != 0) {
			VD_INFOLOG(vhost_nvme,
				   "%s: admin message (opcode 0x%02x) not answered: %s\n", c->name,
				   m->sqe.opc, strerror(-rc));
		}
	}
	vd_poller_unregister(&m->poller);
	free(m);
	c->admin_msgs--;
	if (c->vdev_gone && c->admin_msgs == 0) {
		vhost_nvme_delete_finish(c);
	}
	return VD_POLLER_BUSY;
}

static int
reply_now(struct vd_vhost_custom_msg *msg, const struct nvme_sqe *sqe, uint16_t status)
{
	struct nvme_cqe cqe;

	cqe_fill(&cqe, sqe, 0, status);
	memcpy(msg->reply, &cqe, sizeof(cqe));
	msg->reply_size = sizeof(cqe);
	return VD_VHOST_MSG_REPLY;
}

int
nvme_admin_msg_recv(struct nvme_ctrlr *c, struct vd_vhost_custom_msg *msg)
{
	struct nvme_admin_msg *m;
	struct nvme_sqe sqe;

	if (msg->size != sizeof(sqe) || msg->fd_num != 0) {
		VD_ERRLOG("%s: NVME_ADMIN: need a %zu-byte payload and no fd (got %u bytes, %u "
			  "fds)\n",
			  c->name, sizeof(sqe), msg->size, msg->fd_num);
		return -EINVAL;
	}
	memcpy(&sqe, msg->payload, sizeof(sqe));
	c->admin_msgs_total++;
	if (!(__atomic_load_n(&c->csts, __ATOMIC_ACQUIRE) & NVME_CSTS_RDY) || c->deleting) {
		return reply_now(msg, &sqe,
				 NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_COMMAND_SEQUENCE_ERROR));
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return reply_now(msg, &sqe,
				 NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL_DEVICE_ERROR));
	}
	m->c = c;
	m->token = msg->token;
	m->conn_gen = c->conn_gen;
	m->sqe = sqe;
	m->poller = vd_poller_register(msg_poll, m, 0, "nvme_admin_msg");
	if (m->poller == NULL) {
		free(m);
		return reply_now(msg, &sqe,
				 NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL_DEVICE_ERROR));
	}
	c->admin_msgs++;
	return VD_VHOST_MSG_PENDING;
}
