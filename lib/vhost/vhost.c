/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Device life cycle: registration, the listening socket, the one connection, and the
 * start/stop hand-shake with the device's data thread.
 *
 * Threads.  Everything here runs on the control thread (the registering thread) from one timed
 * poller per device (ctrl_poll), except data_start/data_stop which run on the device's data
 * thread.  The device's done callbacks may run on any thread: they only set dev->async_done
 * (atomic), which ctrl_poll picks up, so no message can be lost to a full ring.
 *
 * Device states (dev->state):
 *   STOPPED  --dev_start()-->  STARTING  --on_started(0)-->  STARTED
 *   STARTING --on_started(rc != 0)--> STOPPED (start_failed until the front-end changes state)
 *   STARTED  --dev_stop()-->   STOPPING  --on_stopped()-->   STOPPED, then dev->after_stop:
 *            dispatch the parked message, close the connection, or nothing.
 * While STARTING or STOPPING no message is read.  A message flagged needs_stop that arrives
 * while STARTED is parked and dispatched after the stop.  The device is started when it should
 * run (vhost_dev_should_run) and a poll found no new message, so a burst of set-up messages
 * leads to one start.
 *
 * A device-specific message with a deferred reply (conn->reply_pending) stops message reading
 * until vd_vhost_dev_msg_reply() sends it; conn_poll only watches for the front-end leaving.
 * Closing the connection forgets the pending reply (a later reply gets -ENOTCONN/-ESTALE).
 *
 * Connection: at most one; while it exists the listening socket is not accepted, so a second
 * front-end waits in the backlog until the first disconnects (QEMU reconnect=1 semantics).
 * Deleting: dev->deleting; the poller stops the device, closes the connection, then frees.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_internal.h"

VD_LOG_FLAG_DEFINE(vhost);

#define CTRL_POLL_US 200
#define CTRL_MSGS_PER_POLL 32

static TAILQ_HEAD(, vd_vhost_dev) g_devs = TAILQ_HEAD_INITIALIZER(g_devs);

void
vd_vhost_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(vhost));
}

struct vd_vhost_dev *
vd_vhost_dev_find(const char *name)
{
	struct vd_vhost_dev *dev;

	TAILQ_FOREACH(dev, &g_devs, link)
	{
		if (strcmp(dev->name, name) == 0) {
			return dev;
		}
	}
	return NULL;
}

struct vd_vhost_dev *
vd_vhost_dev_first(void)
{
	return TAILQ_FIRST(&g_devs);
}

struct vd_vhost_dev *
vd_vhost_dev_next(struct vd_vhost_dev *prev)
{
	return TAILQ_NEXT(prev, link);
}

const char *
vd_vhost_dev_get_name(const struct vd_vhost_dev *dev)
{
	return dev->name;
}

const char *
vd_vhost_dev_get_socket_path(const struct vd_vhost_dev *dev)
{
	return dev->path;
}

void *
vd_vhost_dev_get_ctx(const struct vd_vhost_dev *dev)
{
	return dev->ctx;
}

struct vd_thread *
vd_vhost_dev_get_thread(const struct vd_vhost_dev *dev)
{
	return dev->data_thread;
}

bool
vd_vhost_dev_is_connected(const struct vd_vhost_dev *dev)
{
	return dev->conn != NULL;
}

uint64_t
vd_vhost_dev_get_features(const struct vd_vhost_dev *dev)
{
	return dev->features;
}

uint16_t
vd_vhost_dev_get_num_queues(const struct vd_vhost_dev *dev)
{
	return dev->num_queues;
}

struct vd_vhost_vq *
vd_vhost_dev_get_vq(struct vd_vhost_dev *dev, uint16_t idx)
{
	if (idx >= dev->num_queues || !dev->vqs[idx].running) {
		return NULL;
	}
	return &dev->vqs[idx];
}

int
vd_vhost_dev_get_call_fd(struct vd_vhost_dev *dev, uint16_t idx)
{
	return idx < VD_VHOST_MAX_QUEUES ? dev->vqs[idx].call_fd : -1;
}

int
vd_vhost_dev_get_vq_stats(const struct vd_vhost_dev *dev, uint16_t idx,
			  struct vd_vhost_vq_stats *stats)
{
	if (idx >= dev->num_queues) {
		return -ENOENT;
	}
	*stats = dev->vqs[idx].stats;
	return 0;
}

void *
vd_vhost_gpa_to_vva(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len)
{
	return vhost_mem_gpa_to_vva(&dev->mem, gpa, len);
}

int
vd_vhost_gpa_to_iovs(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len, struct iovec *iovs,
		     uint32_t max, uint32_t *cnt)
{
	return vhost_mem_gpa_to_iovs(&dev->mem, gpa, len, iovs, max, cnt);
}

void
vhost_dev_reset_frontend_state(struct vd_vhost_dev *dev)
{
	uint16_t i;

	for (i = 0; i < VD_VHOST_MAX_QUEUES; i++) {
		vhost_vq_reset(&dev->vqs[i]);
	}
	vhost_mem_clear(&dev->mem);
	vhost_inflight_unmap(&dev->inflight);
	dev->num_queues = 0;
	dev->features = 0;
	dev->features_set = false;
	dev->status = 0;
	dev->start_failed = false;
}

bool
vhost_dev_should_run(const struct vd_vhost_dev *dev)
{
	uint16_t i;

	if (dev->conn == NULL || dev->deleting || dev->mem.nregions == 0 || !dev->features_set) {
		return false;
	}
	if (dev->ops->no_vrings) {
		return true;
	}
	for (i = 0; i < dev->num_queues; i++) {
		if (vhost_vq_is_ready(&dev->vqs[i])) {
			return true;
		}
	}
	return false;
}

uint64_t
vhost_dev_protocol_features(const struct vd_vhost_dev *dev)
{
	uint64_t f = VD_VHOST_PROTOCOL_F_MQ | VD_VHOST_PROTOCOL_F_REPLY_ACK |
		     VD_VHOST_PROTOCOL_F_CONFIG | VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD |
		     VD_VHOST_PROTOCOL_F_RESET_DEVICE | VD_VHOST_PROTOCOL_F_CONFIGURE_MEM_SLOTS |
		     VD_VHOST_PROTOCOL_F_STATUS;

	if (dev->ops->get_config == NULL) {
		f &= ~VD_VHOST_PROTOCOL_F_CONFIG;
	}
	if (dev->ops->no_vrings) {
		f &= ~(VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD | VD_VHOST_PROTOCOL_F_MQ);
	}
	return f & ~dev->ops->protocol_features_clear;
}

/* Start / stop ----------------------------------------------------------------------------- */

static void
async_done(struct vd_vhost_dev *dev, int rc)
{
	__atomic_store_n(&dev->async_rc, rc, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->async_done, 1, __ATOMIC_RELEASE);
}

static void
data_start(void *ctx)
{
	struct vd_vhost_dev *dev = ctx;

	dev->ops->start(dev, async_done);
}

static void
data_stop(void *ctx)
{
	struct vd_vhost_dev *dev = ctx;

	dev->ops->stop(dev, async_done);
}

static void
send_data(struct vd_vhost_dev *dev, vd_msg_fn fn)
{
	if (vd_thread_send_msg(dev->data_thread, fn, dev) != 0) {
		dev->retry_fn = fn; /* ctrl_poll retries */
	}
}

static void
dev_unprepare_queues(struct vd_vhost_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->num_queues; i++) {
		struct vd_vhost_vq *vq = &dev->vqs[i];

		if (!vq->running) {
			continue;
		}
		/* The data thread is quiescent for this device: publish what it left. */
		vd_vhost_vq_flush(vq);
		if (vq->outstanding != 0) {
			VD_ERRLOG("%s: queue %u stopped with %u requests outstanding\n", dev->name,
				  vq->idx, vq->outstanding);
		}
		vq->base = vq->last_avail_idx;
		vhost_vq_unprepare(vq);
	}
}

static bool
dev_prepare_queue(struct vd_vhost_dev *dev, struct vd_vhost_vq *vq)
{
	bool inflight = dev->conn->protocol_features & VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD;
	int rc;

	rc = vhost_vq_prepare(vq, &dev->mem, dev->features);
	if (rc == 0 && inflight) {
		rc = vhost_inflight_recover(vq);
		if (rc != 0) {
			vhost_vq_unprepare(vq);
		}
	}
	if (rc != 0) {
		VD_ERRLOG("%s: queue %u cannot start (rings desc 0x%" PRIx64 " avail 0x%" PRIx64
			  " used 0x%" PRIx64 ", size %u): %s\n",
			  dev->name, vq->idx, vq->desc_uva, vq->avail_uva, vq->used_uva, vq->num,
			  strerror(-rc));
		return false;
	}
	vq->running = true;
	vhost_vq_signal_start(vq);
	return true;
}

static void
dev_start(struct vd_vhost_dev *dev)
{
	uint16_t i, n = 0;

	for (i = 0; i < dev->num_queues; i++) {
		if (vhost_vq_is_ready(&dev->vqs[i]) && dev_prepare_queue(dev, &dev->vqs[i])) {
			n++;
		}
	}
	if (n == 0 && !dev->ops->no_vrings) {
		dev->start_failed = true;
		return;
	}
	VD_INFOLOG(vhost, "%s: starting with %u queues\n", dev->name, n);
	dev->state = VHOST_DEV_STARTING;
	send_data(dev, data_start);
}

static void
dev_stop(struct vd_vhost_dev *dev, enum vhost_after_stop after)
{
	dev->state = VHOST_DEV_STOPPING;
	dev->after_stop = after;
	send_data(dev, data_stop);
}

/* Connection ------------------------------------------------------------------------------- */

static void
conn_close(struct vd_vhost_dev *dev)
{
	struct vhost_conn *conn = dev->conn;

	VD_NOTICELOG("%s: front-end disconnected\n", dev->name);
	close(conn->fd);
	vhost_user_msg_reset(&conn->msg);
	free(conn);
	dev->conn = NULL;
	vhost_dev_reset_frontend_state(dev);
	if (dev->ops->disconnected != NULL) {
		dev->ops->disconnected(dev);
	}
}

static void
conn_close_begin(struct vd_vhost_dev *dev)
{
	if (dev->state == VHOST_DEV_STARTED) {
		dev_stop(dev, VHOST_AFTER_STOP_CLOSE);
	} else {
		conn_close(dev);
	}
}

static void
conn_dispatch(struct vd_vhost_dev *dev)
{
	struct vhost_conn *conn = dev->conn;
	bool changes = vhost_user_msg_needs_stop(conn);
	int rc;

	rc = vhost_user_dispatch(conn);
	conn->hdr_got = 0;
	conn->payload_got = 0;
	conn->parked = false;
	if (changes) {
		dev->start_failed = false;
	}
	if (rc != 0) {
		conn_close_begin(dev);
	}
}

static int
conn_poll(struct vd_vhost_dev *dev)
{
	uint32_t n;
	int rc;

	for (n = 0; n < CTRL_MSGS_PER_POLL && dev->conn != NULL; n++) {
		rc = dev->conn->reply_pending ? vhost_user_check_peer(dev->conn)
					      : vhost_user_recv(dev->conn);
		if (rc == 0) {
			break;
		}
		if (rc < 0) {
			if (rc != -ECONNRESET) {
				VD_ERRLOG("%s: closing connection: %s\n", dev->name, strerror(-rc));
			}
			conn_close_begin(dev);
			return VD_POLLER_BUSY;
		}
		if (dev->state == VHOST_DEV_STARTED && vhost_user_msg_needs_stop(dev->conn)) {
			dev->conn->parked = true;
			dev_stop(dev, VHOST_AFTER_STOP_DISPATCH);
			return VD_POLLER_BUSY;
		}
		conn_dispatch(dev);
		if (dev->state != VHOST_DEV_STARTED && dev->state != VHOST_DEV_STOPPED) {
			return VD_POLLER_BUSY;
		}
	}
	if (n == 0 && dev->state == VHOST_DEV_STOPPED && !dev->start_failed &&
	    vhost_dev_should_run(dev)) {
		dev_start(dev);
	}
	return n > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static int
try_accept(struct vd_vhost_dev *dev)
{
	struct vhost_conn *conn;
	uint32_t i;
	int fd;

	fd = accept4(dev->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && vd_log_ratelimit_ok(&dev->rl, 5)) {
			VD_ERRLOG("%s: accept: %s\n", dev->name, strerror(errno));
		}
		return VD_POLLER_IDLE;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		VD_ERRLOG("%s: no memory for a connection\n", dev->name);
		close(fd);
		return VD_POLLER_IDLE;
	}
	conn->fd = fd;
	conn->dev = dev;
	for (i = 0; i < VD_VHOST_MAX_FDS; i++) {
		conn->msg.fds[i] = -1;
	}
	conn->msg.reply_fd = -1;
	dev->conn = conn;
	VD_NOTICELOG("%s: front-end connected\n", dev->name);
	if (dev->ops->connected != NULL) {
		dev->ops->connected(dev);
	}
	return VD_POLLER_BUSY;
}

/* Control poller --------------------------------------------------------------------------- */

static void
on_stopped(struct vd_vhost_dev *dev)
{
	dev_unprepare_queues(dev);
	dev->state = VHOST_DEV_STOPPED;
	switch (dev->after_stop) {
	case VHOST_AFTER_STOP_DISPATCH:
		conn_dispatch(dev);
		break;
	case VHOST_AFTER_STOP_CLOSE:
		conn_close(dev);
		break;
	case VHOST_AFTER_STOP_NONE:
		break;
	}
}

static void
on_started(struct vd_vhost_dev *dev, int rc)
{
	if (rc != 0) {
		VD_ERRLOG("%s: device failed to start: %s\n", dev->name, strerror(-rc));
		dev_unprepare_queues(dev);
		dev->state = VHOST_DEV_STOPPED;
		dev->start_failed = true;
		return;
	}
	dev->state = VHOST_DEV_STARTED;
}

static void
data_thread_exit(void *ctx)
{
	vd_thread_exit(vd_get_thread());
}

static void
dev_free(struct vd_vhost_dev *dev)
{
	vd_vhost_unregister_cb cb = dev->unregister_cb;
	void *cb_arg = dev->unregister_arg;

	if (dev->conn != NULL) {
		conn_close(dev);
	}
	vhost_dev_reset_frontend_state(dev);
	vd_poller_unregister(&dev->poller);
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		unlink(dev->path);
	}
	if (dev->data_thread != NULL &&
	    vd_thread_send_msg(dev->data_thread, data_thread_exit, NULL) != 0) {
		VD_ERRLOG("%s: cannot stop data thread\n", dev->name);
	}
	TAILQ_REMOVE(&g_devs, dev, link);
	VD_NOTICELOG("%s: vhost device deleted\n", dev->name);
	free(dev->name);
	free(dev->path);
	free(dev);
	if (cb != NULL) {
		cb(cb_arg);
	}
}

static int
ctrl_poll(void *arg)
{
	struct vd_vhost_dev *dev = arg;

	if (dev->retry_fn != NULL) {
		if (vd_thread_send_msg(dev->data_thread, dev->retry_fn, dev) == 0) {
			dev->retry_fn = NULL;
		}
		return VD_POLLER_BUSY;
	}
	if (__atomic_load_n(&dev->async_done, __ATOMIC_ACQUIRE)) {
		dev->async_done = 0;
		if (dev->state == VHOST_DEV_STOPPING) {
			on_stopped(dev);
		} else if (dev->state == VHOST_DEV_STARTING) {
			on_started(dev, dev->async_rc);
		}
		return VD_POLLER_BUSY;
	}
	if (dev->state == VHOST_DEV_STARTING || dev->state == VHOST_DEV_STOPPING) {
		return VD_POLLER_IDLE;
	}
	if (dev->deleting) {
		if (dev->state == VHOST_DEV_STARTED) {
			dev_stop(dev, VHOST_AFTER_STOP_CLOSE);
		} else {
			dev_free(dev);
		}
		return VD_POLLER_BUSY;
	}
	return dev->conn == NULL ? try_accept(dev) : conn_poll(dev);
}

/* Registration ----------------------------------------------------------------------------- */

static int
listen_socket(struct vd_vhost_dev *dev)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (!vd_strcpy_trunc(sa.sun_path, sizeof(sa.sun_path), dev->path)) {
		return -ENAMETOOLONG;
	}
	if (lstat(dev->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			VD_ERRLOG("%s exists and is not a socket\n", dev->path);
			return -EEXIST;
		}
		unlink(dev->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0) {
		rc = -errno;
		VD_ERRLOG("cannot listen on %s: %s\n", dev->path, strerror(-rc));
		close(fd);
		return rc;
	}
	dev->listen_fd = fd;
	return 0;
}

static int
check_args(const char *name, const char *sock_dir, const struct vd_vhost_dev_ops *ops)
{
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL || sock_dir == NULL ||
	    ops == NULL || ops->start == NULL || ops->stop == NULL ||
	    ops->max_queues > VD_VHOST_MAX_QUEUES || (!ops->no_vrings && ops->max_queues == 0)) {
		return -EINVAL;
	}
	if (vd_get_thread() == NULL) {
		return -EINVAL;
	}
	return vd_vhost_dev_find(name) != NULL ? -EEXIST : 0;
}

static int
dev_alloc(const char *name, const char *sock_dir, const struct vd_vhost_dev_ops *ops, void *ctx,
	  struct vd_vhost_dev **out)
{
	struct vd_vhost_dev *dev;
	uint16_t i;

	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->listen_fd = -1;
	dev->name = strdup(name);
	if (dev->name == NULL || asprintf(&dev->path, "%s/%s", sock_dir, name) < 0) {
		free(dev->name);
		free(dev);
		return -ENOMEM;
	}
	dev->ops = ops;
	dev->ctx = ctx;
	dev->ctrl_thread = vd_get_thread();
	dev->features_offered = ops->features | (1ULL << VD_VIRTIO_F_VERSION_1) |
				(1ULL << VD_VIRTIO_F_INDIRECT_DESC) |
				(1ULL << VD_VIRTIO_F_EVENT_IDX) |
				(1ULL << VD_VHOST_F_PROTOCOL_FEATURES);
	dev->protocol_offered = vhost_dev_protocol_features(dev);
	for (i = 0; i < VD_VHOST_MAX_QUEUES; i++) {
		vhost_vq_init(&dev->vqs[i], dev, i);
	}
	*out = dev;
	return 0;
}

static char g_sock_dir[PATH_MAX] = ".";

int
vd_vhost_set_sock_dir(const char *dir)
{
	if (dir == NULL || dir[0] == '\0' ||
	    !vd_strcpy_trunc(g_sock_dir, sizeof(g_sock_dir), dir)) {
		return -ENAMETOOLONG;
	}
	return 0;
}

const char *
vd_vhost_get_sock_dir(void)
{
	return g_sock_dir;
}

int
vd_vhost_dev_register(const char *name, const char *sock_dir, const struct vd_vhost_dev_ops *ops,
		      void *ctx, const struct vd_cpuset *cpumask, struct vd_vhost_dev **out)
{
	struct vd_vhost_dev *dev;
	char tname[VD_MAX_THREAD_NAME_LEN];
	int rc;

	rc = check_args(name, sock_dir, ops);
	if (rc != 0) {
		return rc;
	}
	rc = dev_alloc(name, sock_dir, ops, ctx, &dev);
	if (rc != 0) {
		return rc;
	}
	rc = listen_socket(dev);
	if (rc != 0) {
		goto err_free;
	}
	snprintf(tname, sizeof(tname), "vhost.%s", name);
	dev->data_thread = vd_thread_create(tname, cpumask);
	dev->poller = vd_poller_register(ctrl_poll, dev, CTRL_POLL_US, name);
	if (dev->data_thread == NULL || dev->poller == NULL) {
		rc = -ENOMEM;
		goto err_thread;
	}
	TAILQ_INSERT_TAIL(&g_devs, dev, link);
	VD_NOTICELOG("%s: vhost-user %s device listening on %s\n", name,
		     ops->type != NULL ? ops->type : "", dev->path);
	*out = dev;
	return 0;

err_thread:
	vd_poller_unregister(&dev->poller);
	if (dev->data_thread != NULL) {
		vd_thread_send_msg(dev->data_thread, data_thread_exit, NULL);
	}
	close(dev->listen_fd);
	unlink(dev->path);
err_free:
	free(dev->name);
	free(dev->path);
	free(dev);
	return rc;
}

int
vd_vhost_dev_unregister(struct vd_vhost_dev *dev, vd_vhost_unregister_cb cb, void *cb_arg)
{
	if (dev->deleting) {
		return -EBUSY;
	}
	dev->deleting = true;
	dev->unregister_cb = cb;
	dev->unregister_arg = cb_arg;
	return 0;
}
