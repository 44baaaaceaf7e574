/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user messages: non-blocking reading, the dispatch table and the handlers.
 *
 * Reading.  A connection assembles one message at a time in conn->msg: first the 12-byte
 * header (hdr_got), then hdr.size payload bytes (payload_got), each with recvmsg(MSG_DONTWAIT |
 * MSG_CMSG_CLOEXEC) that never reads past the current message, so fds of the next message stay
 * in the socket.  A partial message simply waits for the next poll.  Fds may arrive with any part
 * of the message; more than VD_VHOST_MAX_FDS, or MSG_CTRUNC, is a protocol error.
 *
 * Dispatch.  g_requests[] is indexed by the request id after a bounds check.  Before a handler
 * runs, vhost_user_dispatch() checks, in one place: the id is known and supported, the payload
 * size is within [min_size, max_size], no more than max_fds fds came, and the required protocol
 * feature is negotiated.  Received fds belong to the message: a handler claims one by setting its
 * slot to -1 and the dispatcher closes the rest.  Handlers return VHOST_MSG_OK, VHOST_MSG_REPLY
 * (payload + hdr.size hold the reply), VHOST_MSG_NACK (refused, connection kept) or
 * VHOST_MSG_ERR (protocol error, connection closed).  With REPLY_ACK negotiated and
 * NEED_REPLY set, requests without their own reply get a u64 ack (0 success, 1 failure).
 * Handlers flagged needs_stop run only while the device is stopped (vhost.c guarantees it).
 *
 * Deferred replies.  A device's custom_msg may answer VD_VHOST_MSG_PENDING: nothing is sent,
 * the connection remembers the request id and a token (conn->reply_pending) and vhost.c reads
 * no further message until vd_vhost_dev_msg_reply() sends the reply with that token; meanwhile
 * vhost_user_check_peer() only watches for the front-end going away.  Tokens count up per
 * device, so a reply meant for an earlier connection never reaches a later one.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_internal.h"

#define MSG_RL_BURST 10

struct vhost_req_desc {
	const char *name;
	int (*handler)(struct vhost_conn *conn, struct vhost_msg *msg);
	uint32_t min_size;
	uint32_t max_size;
	uint8_t max_fds;
	bool reply;		/* the request always has a reply of its own */
	bool needs_stop;	/* changes what the data path reads */
	uint64_t proto_feature; /* protocol feature that must be negotiated (0 = none) */
};

static const struct vhost_req_desc g_requests[VHOST_USER_MAX];

const char *
vhost_user_request_name(uint32_t request)
{
	if (request < VHOST_USER_MAX && g_requests[request].name != NULL) {
		return g_requests[request].name;
	}
	return request >= VD_VHOST_CUSTOM_REQ_BASE ? "DEVICE_SPECIFIC" : "UNKNOWN";
}

static void
msg_close_fds(struct vhost_msg *msg)
{
	uint32_t i;

	for (i = 0; i < msg->fd_num; i++) {
		if (msg->fds[i] >= 0) {
			close(msg->fds[i]);
		}
		msg->fds[i] = -1;
	}
	msg->fd_num = 0;
	if (msg->reply_fd >= 0) {
		close(msg->reply_fd);
	}
	msg->reply_fd = -1;
}

void
vhost_user_msg_reset(struct vhost_msg *msg)
{
	msg_close_fds(msg);
	memset(&msg->hdr, 0, sizeof(msg->hdr));
}

/* Keep the fds of one control message; extra fds are closed and reported. */
static int
take_fds(struct vhost_msg *msg, struct msghdr *mh)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd, rc = 0;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (msg->fd_num < VD_VHOST_MAX_FDS) {
				msg->fds[msg->fd_num++] = fd;
			} else {
				close(fd);
				rc = -EPROTO;
			}
		}
	}
	return rc;
}

/* \return bytes read (> 0), 0 if nothing is available, or -errno (EOF = -ECONNRESET). */
static ssize_t
recv_part(struct vhost_conn *conn, void *buf, size_t len)
{
	char control[CMSG_SPACE(sizeof(int) * VD_VHOST_MAX_FDS)];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	ssize_t n;
	int rc;

	n = recvmsg(conn->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	}
	rc = take_fds(&conn->msg, &mh);
	if (n == 0) {
		return -ECONNRESET;
	}
	if (rc != 0 || (mh.msg_flags & MSG_CTRUNC)) {
		return -EPROTO;
	}
	return n;
}

static int
check_header(struct vhost_conn *conn)
{
	const struct vhost_user_hdr *h = &conn->msg.hdr;

	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (h->flags & VHOST_USER_REPLY_MASK) != 0 || h->size > VD_VHOST_MAX_PAYLOAD) {
		VD_ERRLOG("%s: bad message header: request %u flags 0x%x size %u\n",
			  conn->dev->name, h->request, h->flags, h->size);
		return -EPROTO;
	}
	return 0;
}

int
vhost_user_recv(struct vhost_conn *conn)
{
	struct vhost_msg *msg = &conn->msg;
	ssize_t n;

	while (conn->hdr_got < sizeof(msg->hdr)) {
		n = recv_part(conn, (uint8_t *)&msg->hdr + conn->hdr_got,
			      sizeof(msg->hdr) - conn->hdr_got);
		if (n <= 0) {
			return (int)n;
		}
		conn->hdr_got += (uint32_t)n;
		if (conn->hdr_got == sizeof(msg->hdr) && check_header(conn) != 0) {
			return -EPROTO;
		}
	}
	while (conn->payload_got < msg->hdr.size) {
		n = recv_part(conn, msg->payload.raw + conn->payload_got,
			      msg->hdr.size - conn->payload_got);
		if (n <= 0) {
			return (int)n;
		}
		conn->payload_got += (uint32_t)n;
	}
	return 1;
}

static int
send_reply(struct vhost_conn *conn, struct vhost_msg *msg)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2] = {
		{.iov_base = &msg->hdr, .iov_len = sizeof(msg->hdr)},
		{.iov_base = msg->payload.raw, .iov_len = msg->hdr.size},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	struct cmsghdr *c;
	ssize_t n;

	msg->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	if (msg->reply_fd >= 0) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &msg->reply_fd, sizeof(int));
	}
	/* Replies are small: a front-end that does not drain its socket is broken. */
	n = sendmsg(conn->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n != (ssize_t)(sizeof(msg->hdr) + msg->hdr.size)) {
		VD_ERRLOG("%s: cannot send reply to %s: %s\n", conn->dev->name,
			  vhost_user_request_name(msg->hdr.request),
			  n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	return 0;
}

static int
reply_u64(struct vhost_msg *msg, uint64_t v)
{
	msg->payload.u64 = v;
	msg->hdr.size = sizeof(uint64_t);
	return VHOST_MSG_REPLY;
}

static struct vd_vhost_vq *
msg_vq(struct vhost_conn *conn, uint32_t index)
{
	struct vd_vhost_dev *dev = conn->dev;

	if (index >= dev->ops->max_queues || index >= VD_VHOST_MAX_QUEUES) {
		VD_ERRLOG("%s: vring index %u out of range (device has %u queues)\n", dev->name,
			  index, dev->ops->max_queues);
		return NULL;
	}
	if (index >= dev->num_queues) {
		dev->num_queues = (uint16_t)(index + 1);
	}
	return &dev->vqs[index];
}

/* Handlers --------------------------------------------------------------------------------- */

static int
h_get_features(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return reply_u64(msg, conn->dev->features_offered);
}

static int
h_set_features(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_dev *dev = conn->dev;

	if (msg->payload.u64 & ~dev->features_offered) {
		VD_ERRLOG("%s: front-end set unoffered features 0x%" PRIx64 "\n", dev->name,
			  msg->payload.u64 & ~dev->features_offered);
		return VHOST_MSG_ERR;
	}
	dev->features = msg->payload.u64;
	dev->features_set = true;
	return VHOST_MSG_OK;
}

static int
h_set_owner(struct vhost_conn *conn, struct vhost_msg *msg)
{
	conn->owner = true;
	return VHOST_MSG_OK;
}

static void
reset_queues(struct vd_vhost_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->num_queues; i++) {
		vhost_vq_reset(&dev->vqs[i]);
	}
	dev->num_queues = 0;
	dev->features = 0;
	dev->features_set = false;
	dev->status = 0;
}

static int
h_reset(struct vhost_conn *conn, struct vhost_msg *msg)
{
	reset_queues(conn->dev);
	return VHOST_MSG_OK;
}

static int
map_table(struct vhost_conn *conn, struct vhost_msg *msg, struct vhost_mem *mem)
{
	const struct vhost_memory_msg *m = &msg->payload.memory;
	struct vhost_mem_region reg;
	uint32_t i;
	int rc;

	for (i = 0; i < m->nregions; i++) {
		memset(&reg, 0, sizeof(reg));
		reg.gpa = m->regions[i].guest_phys_addr;
		reg.size = m->regions[i].memory_size;
		reg.uva = m->regions[i].userspace_addr;
		reg.mmap_offset = m->regions[i].mmap_offset;
		rc = vhost_mem_region_map(&reg, msg->fds[i]);
		if (rc == 0) {
			rc = vhost_mem_insert(mem, &reg);
			if (rc != 0) {
				vhost_mem_region_unmap(&reg);
			}
		}
		if (rc != 0) {
			VD_ERRLOG("%s: memory region %u (gpa 0x%" PRIx64 " size 0x%" PRIx64
				  " offset 0x%" PRIx64 ") rejected: %s\n",
				  conn->dev->name, i, reg.gpa, reg.size, reg.mmap_offset,
				  strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
h_set_mem_table(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_memory_msg *m = &msg->payload.memory;
	struct vd_vhost_dev *dev = conn->dev;
	struct vhost_mem *mem;

	if (m->nregions == 0 || m->nregions > VHOST_MEMORY_BASELINE_NREGIONS ||
	    msg->hdr.size < 8 + m->nregions * sizeof(m->regions[0]) || msg->fd_num != m->nregions) {
		VD_ERRLOG("%s: SET_MEM_TABLE with %u regions, %u fds, %u bytes\n", dev->name,
			  m->nregions, msg->fd_num, msg->hdr.size);
		return VHOST_MSG_ERR;
	}
	mem = calloc(1, sizeof(*mem));
	if (mem == NULL) {
		return VHOST_MSG_ERR;
	}
	if (map_table(conn, msg, mem) != 0) {
		vhost_mem_clear(mem);
		free(mem);
		return VHOST_MSG_ERR;
	}
	vhost_mem_clear(&dev->mem);
	dev->mem = *mem;
	free(mem);
	return VHOST_MSG_OK;
}

static int
h_set_vring_num(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq = msg_vq(conn, msg->payload.state.index);
	uint32_t num = msg->payload.state.num;

	if (vq == NULL) {
		return VHOST_MSG_ERR;
	}
	if (!VD_IS_POW2(num) || num > VD_VHOST_MAX_QUEUE_SIZE) {
		VD_ERRLOG("%s: queue %u: invalid size %u\n", conn->dev->name, vq->idx, num);
		return VHOST_MSG_ERR;
	}
	vq->num = num;
	return VHOST_MSG_OK;
}

static int
h_set_vring_addr(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_vring_addr *a = &msg->payload.addr;
	struct vd_vhost_vq *vq = msg_vq(conn, a->index);

	if (vq == NULL) {
		return VHOST_MSG_ERR;
	}
	if (a->flags != 0) {
		VD_ERRLOG("%s: queue %u: dirty logging requested but not supported\n",
			  conn->dev->name, vq->idx);
		return VHOST_MSG_ERR;
	}
	vq->desc_uva = a->desc_user_addr;
	vq->avail_uva = a->avail_user_addr;
	vq->used_uva = a->used_user_addr;
	vq->addr_set = true;
	return VHOST_MSG_OK;
}

static int
h_set_vring_base(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq = msg_vq(conn, msg->payload.state.index);

	if (vq == NULL) {
		return VHOST_MSG_ERR;
	}
	if (msg->payload.state.num > UINT16_MAX) {
		VD_ERRLOG("%s: queue %u: base %u out of range\n", conn->dev->name, vq->idx,
			  msg->payload.state.num);
		return VHOST_MSG_ERR;
	}
	vq->base = (uint16_t)msg->payload.state.num;
	return VHOST_MSG_OK;
}

static int
h_get_vring_base(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq = msg_vq(conn, msg->payload.state.index);

	if (vq == NULL) {
		return VHOST_MSG_ERR;
	}
	/* The device is stopped, so base holds the last avail index it reached. */
	msg->payload.state.num = vq->base;
	msg->hdr.size = sizeof(msg->payload.state);
	vq->kicked = false;
	if (vq->kick_fd >= 0) {
		close(vq->kick_fd);
		vq->kick_fd = -1;
	}
	return VHOST_MSG_REPLY;
}

static int
vring_fd_msg(struct vhost_conn *conn, struct vhost_msg *msg, struct vd_vhost_vq **vq, int *fd)
{
	uint64_t v = msg->payload.u64;
	bool nofd = v & VHOST_USER_VRING_NOFD_MASK;

	*vq = NULL;
	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)) {
		VD_ERRLOG("%s: %s: reserved bits set in 0x%" PRIx64 "\n", conn->dev->name,
			  vhost_user_request_name(msg->hdr.request), v);
		return VHOST_MSG_ERR;
	}
	if (nofd != (msg->fd_num == 0)) {
		VD_ERRLOG("%s: %s: %u fds with NOFD=%d\n", conn->dev->name,
			  vhost_user_request_name(msg->hdr.request), msg->fd_num, nofd);
		return VHOST_MSG_ERR;
	}
	*vq = msg_vq(conn, (uint32_t)(v & VHOST_USER_VRING_IDX_MASK));
	if (*vq == NULL) {
		return VHOST_MSG_ERR;
	}
	*fd = -1;
	if (!nofd) {
		*fd = msg->fds[0];
		msg->fds[0] = -1; /* claimed */
	}
	return VHOST_MSG_OK;
}

static void
replace_fd(int *slot, int fd)
{
	if (*slot >= 0) {
		close(*slot);
	}
	*slot = fd;
}

static int
h_set_vring_kick(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq;
	int fd;

	if (vring_fd_msg(conn, msg, &vq, &fd) != VHOST_MSG_OK) {
		return VHOST_MSG_ERR;
	}
	/* We poll the avail ring; the kick fd is kept only to hold the front-end's object. */
	replace_fd(&vq->kick_fd, fd);
	vq->kicked = true;
	if (!(conn->dev->features & (1ULL << VD_VHOST_F_PROTOCOL_FEATURES))) {
		vq->enabled = true;
	}
	return VHOST_MSG_OK;
}

static int
h_set_vring_call(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq;
	int fd, fl;

	if (vring_fd_msg(conn, msg, &vq, &fd) != VHOST_MSG_OK) {
		return VHOST_MSG_ERR;
	}
	if (fd >= 0) {
		/* The data path must never block on an interrupt. */
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
			close(fd);
			return VHOST_MSG_ERR;
		}
	}
	replace_fd(&vq->call_fd, fd);
	return VHOST_MSG_OK;
}

static int
h_set_vring_err(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq;
	int fd;

	if (vring_fd_msg(conn, msg, &vq, &fd) != VHOST_MSG_OK) {
		return VHOST_MSG_ERR;
	}
	replace_fd(&vq->err_fd, fd);
	return VHOST_MSG_OK;
}

static int
h_get_protocol_features(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return reply_u64(msg, conn->dev->protocol_offered);
}

static int
h_set_protocol_features(struct vhost_conn *conn, struct vhost_msg *msg)
{
	if (msg->payload.u64 & ~conn->dev->protocol_offered) {
		VD_ERRLOG("%s: front-end set unoffered protocol features 0x%" PRIx64 "\n",
			  conn->dev->name, msg->payload.u64 & ~conn->dev->protocol_offered);
		return VHOST_MSG_ERR;
	}
	conn->protocol_features = msg->payload.u64;
	return VHOST_MSG_OK;
}

static int
h_get_queue_num(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return reply_u64(msg, conn->dev->ops->max_queues);
}

static int
h_set_vring_enable(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_vq *vq = msg_vq(conn, msg->payload.state.index);

	if (vq == NULL || msg->payload.state.num > 1) {
		return VHOST_MSG_ERR;
	}
	vq->enabled = msg->payload.state.num == 1;
	return VHOST_MSG_OK;
}

static int
h_accept_and_close(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return VHOST_MSG_OK; /* the dispatcher closes the fd */
}

static bool
config_bounds_ok(struct vhost_conn *conn, const struct vhost_msg *msg)
{
	const struct vhost_config_msg *c = &msg->payload.config;

	if (c->hdr.size > VD_VHOST_MAX_CONFIG_SIZE ||
	    c->hdr.offset > VD_VHOST_MAX_CONFIG_SIZE - c->hdr.size ||
	    msg->hdr.size < VHOST_CONFIG_HDR_SIZE + c->hdr.size) {
		VD_ERRLOG("%s: %s: offset %u size %u in a %u-byte message\n", conn->dev->name,
			  vhost_user_request_name(msg->hdr.request), c->hdr.offset, c->hdr.size,
			  msg->hdr.size);
		return false;
	}
	return true;
}

static int
h_get_config(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vhost_config_msg *c = &msg->payload.config;
	struct vd_vhost_dev *dev = conn->dev;

	if (!config_bounds_ok(conn, msg)) {
		return VHOST_MSG_ERR;
	}
	memset(c->region, 0, c->hdr.size);
	if (dev->ops->get_config(dev, c->region, c->hdr.offset, c->hdr.size) != 0) {
		msg->hdr.size = 0; /* an empty reply tells the front-end it failed */
		return VHOST_MSG_REPLY;
	}
	msg->hdr.size = VHOST_CONFIG_HDR_SIZE + c->hdr.size;
	return VHOST_MSG_REPLY;
}

static int
h_set_config(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_config_msg *c = &msg->payload.config;
	struct vd_vhost_dev *dev = conn->dev;

	if (!config_bounds_ok(conn, msg)) {
		return VHOST_MSG_ERR;
	}
	if (dev->ops->set_config == NULL ||
	    dev->ops->set_config(dev, c->region, c->hdr.offset, c->hdr.size, c->hdr.flags) != 0) {
		return VHOST_MSG_NACK;
	}
	return VHOST_MSG_OK;
}

static int
h_get_inflight_fd(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vhost_inflight_msg *in = &msg->payload.inflight;
	struct vd_vhost_dev *dev = conn->dev;
	int rc, fd;

	rc = vhost_inflight_create(&dev->inflight, in->num_queues, in->queue_size, &fd);
	if (rc != 0) {
		VD_ERRLOG("%s: GET_INFLIGHT_FD for %u queues of %u: %s\n", dev->name,
			  in->num_queues, in->queue_size, strerror(-rc));
		return VHOST_MSG_ERR;
	}
	in->mmap_size = dev->inflight.size;
	in->mmap_offset = 0;
	msg->reply_fd = fd; /* sent with the reply, then closed */
	msg->hdr.size = sizeof(*in);
	return VHOST_MSG_REPLY;
}

static int
h_set_inflight_fd(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_inflight_msg *in = &msg->payload.inflight;
	struct vd_vhost_dev *dev = conn->dev;
	int rc;

	if (msg->fd_num != 1) {
		VD_ERRLOG("%s: SET_INFLIGHT_FD without an fd\n", dev->name);
		return VHOST_MSG_ERR;
	}
	rc = vhost_inflight_map(&dev->inflight, msg->fds[0], in->mmap_size, in->mmap_offset,
				in->num_queues, in->queue_size);
	if (rc != 0) {
		VD_ERRLOG("%s: SET_INFLIGHT_FD (size %" PRIu64 ", %u queues of %u) rejected: %s\n",
			  dev->name, in->mmap_size, in->num_queues, in->queue_size, strerror(-rc));
		return VHOST_MSG_ERR;
	}
	return VHOST_MSG_OK;
}

static int
h_get_max_mem_slots(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return reply_u64(msg, VD_VHOST_MAX_MEM_REGIONS);
}

static int
h_add_mem_reg(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_mem_region_msg *m = &msg->payload.mem_reg.region;
	struct vhost_mem_region reg = {
		.gpa = m->guest_phys_addr,
		.size = m->memory_size,
		.uva = m->userspace_addr,
		.mmap_offset = m->mmap_offset,
	};
	int rc;

	if (msg->fd_num != 1) {
		VD_ERRLOG("%s: ADD_MEM_REG without an fd\n", conn->dev->name);
		return VHOST_MSG_ERR;
	}
	rc = vhost_mem_region_map(&reg, msg->fds[0]);
	if (rc == 0) {
		rc = vhost_mem_insert(&conn->dev->mem, &reg);
		if (rc != 0) {
			vhost_mem_region_unmap(&reg);
		}
	}
	if (rc != 0) {
		VD_ERRLOG("%s: ADD_MEM_REG gpa 0x%" PRIx64 " size 0x%" PRIx64 " rejected: %s\n",
			  conn->dev->name, reg.gpa, reg.size, strerror(-rc));
		return VHOST_MSG_ERR;
	}
	return VHOST_MSG_OK;
}

static int
h_rem_mem_reg(struct vhost_conn *conn, struct vhost_msg *msg)
{
	const struct vhost_mem_region_msg *m = &msg->payload.mem_reg.region;

	if (vhost_mem_remove(&conn->dev->mem, m->guest_phys_addr, m->memory_size) != 0) {
		VD_ERRLOG("%s: REM_MEM_REG: no region at gpa 0x%" PRIx64 " size 0x%" PRIx64 "\n",
			  conn->dev->name, m->guest_phys_addr, m->memory_size);
		return VHOST_MSG_NACK;
	}
	return VHOST_MSG_OK;
}

static int
h_set_status(struct vhost_conn *conn, struct vhost_msg *msg)
{
	if (msg->payload.u64 > UINT8_MAX) {
		return VHOST_MSG_ERR;
	}
	conn->dev->status = (uint8_t)msg->payload.u64;
	return VHOST_MSG_OK;
}

static int
h_get_status(struct vhost_conn *conn, struct vhost_msg *msg)
{
	return reply_u64(msg, conn->dev->status);
}

static const struct vhost_req_desc g_requests[VHOST_USER_MAX] = {
#define NOSTOP false
#define STOP true
#define U64 8, 8
#define STATE 8, 8
#define NONE 0, 8
	[VHOST_USER_GET_FEATURES] = {"GET_FEATURES", h_get_features, NONE, 0, true, NOSTOP, 0},
	[VHOST_USER_SET_FEATURES] = {"SET_FEATURES", h_set_features, U64, 0, false, STOP, 0},
	[VHOST_USER_SET_OWNER] = {"SET_OWNER", h_set_owner, NONE, 0, false, NOSTOP, 0},
	[VHOST_USER_RESET_OWNER] = {"RESET_OWNER", h_reset, NONE, 0, false, STOP, 0},
	[VHOST_USER_SET_MEM_TABLE] = {"SET_MEM_TABLE", h_set_mem_table,
				      8 + sizeof(struct vhost_mem_region_msg),
				      sizeof(struct vhost_memory_msg),
				      VHOST_MEMORY_BASELINE_NREGIONS, false, STOP, 0},
	[VHOST_USER_SET_LOG_BASE] = {"SET_LOG_BASE", NULL, 0, 0, 1, true, STOP,
				     VD_VHOST_PROTOCOL_F_LOG_SHMFD},
	[VHOST_USER_SET_LOG_FD] = {"SET_LOG_FD", NULL, 0, 0, 1, false, STOP,
				   VD_VHOST_PROTOCOL_F_LOG_SHMFD},
	[VHOST_USER_SET_VRING_NUM] = {"SET_VRING_NUM", h_set_vring_num, STATE, 0, false, STOP, 0},
	[VHOST_USER_SET_VRING_ADDR] = {"SET_VRING_ADDR", h_set_vring_addr,
				       sizeof(struct vhost_vring_addr),
				       sizeof(struct vhost_vring_addr), 0, false, STOP, 0},
	[VHOST_USER_SET_VRING_BASE] = {"SET_VRING_BASE", h_set_vring_base, STATE, 0, false, STOP,
				       0},
	[VHOST_USER_GET_VRING_BASE] = {"GET_VRING_BASE", h_get_vring_base, STATE, 0, true, STOP, 0},
	[VHOST_USER_SET_VRING_KICK] = {"SET_VRING_KICK", h_set_vring_kick, U64, 1, false, STOP, 0},
	[VHOST_USER_SET_VRING_CALL] = {"SET_VRING_CALL", h_set_vring_call, U64, 1, false, STOP, 0},
	[VHOST_USER_SET_VRING_ERR] = {"SET_VRING_ERR", h_set_vring_err, U64, 1, false, NOSTOP, 0},
	[VHOST_USER_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", h_get_protocol_features,
					      NONE, 0, true, NOSTOP, 0},
	[VHOST_USER_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", h_set_protocol_features, U64,
					      0, false, NOSTOP, 0},
	[VHOST_USER_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", h_get_queue_num, NONE, 0, true, NOSTOP,
				      VD_VHOST_PROTOCOL_F_MQ},
	[VHOST_USER_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", h_set_vring_enable, STATE, 0, false,
					 STOP, 0},
	[VHOST_USER_SEND_RARP] = {"SEND_RARP"},
	[VHOST_USER_NET_SET_MTU] = {"NET_SET_MTU"},
	[VHOST_USER_SET_BACKEND_REQ_FD] = {"SET_BACKEND_REQ_FD", h_accept_and_close, 0, 8, 1, false,
					   NOSTOP, 0},
	[VHOST_USER_IOTLB_MSG] = {"IOTLB_MSG"},
	[VHOST_USER_SET_VRING_ENDIAN] = {"SET_VRING_ENDIAN"},
	[VHOST_USER_GET_CONFIG] = {"GET_CONFIG", h_get_config, VHOST_CONFIG_HDR_SIZE,
				   sizeof(struct vhost_config_msg), 0, true, NOSTOP,
				   VD_VHOST_PROTOCOL_F_CONFIG},
	[VHOST_USER_SET_CONFIG] = {"SET_CONFIG", h_set_config, VHOST_CONFIG_HDR_SIZE,
				   sizeof(struct vhost_config_msg), 0, false, NOSTOP,
				   VD_VHOST_PROTOCOL_F_CONFIG},
	[VHOST_USER_CREATE_CRYPTO_SESSION] = {"CREATE_CRYPTO_SESSION"},
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = {"CLOSE_CRYPTO_SESSION"},
	[VHOST_USER_POSTCOPY_ADVISE] = {"POSTCOPY_ADVISE"},
	[VHOST_USER_POSTCOPY_LISTEN] = {"POSTCOPY_LISTEN"},
	[VHOST_USER_POSTCOPY_END] = {"POSTCOPY_END"},
	[VHOST_USER_GET_INFLIGHT_FD] = {"GET_INFLIGHT_FD", h_get_inflight_fd,
					VHOST_INFLIGHT_MSG_MIN_SIZE,
					sizeof(struct vhost_inflight_msg), 0, true, STOP,
					VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD},
	[VHOST_USER_SET_INFLIGHT_FD] = {"SET_INFLIGHT_FD", h_set_inflight_fd,
					VHOST_INFLIGHT_MSG_MIN_SIZE,
					sizeof(struct vhost_inflight_msg), 1, false, STOP,
					VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD},
	[VHOST_USER_GPU_SET_SOCKET] = {"GPU_SET_SOCKET"},
	[VHOST_USER_RESET_DEVICE] = {"RESET_DEVICE", h_reset, NONE, 0, false, STOP,
				     VD_VHOST_PROTOCOL_F_RESET_DEVICE},
	[VHOST_USER_VRING_KICK] = {"VRING_KICK"},
	[VHOST_USER_GET_MAX_MEM_SLOTS] = {"GET_MAX_MEM_SLOTS", h_get_max_mem_slots, NONE, 0, true,
					  NOSTOP, VD_VHOST_PROTOCOL_F_CONFIGURE_MEM_SLOTS},
	[VHOST_USER_ADD_MEM_REG] = {"ADD_MEM_REG", h_add_mem_reg,
				    sizeof(struct vhost_single_region_msg),
				    sizeof(struct vhost_single_region_msg), 1, false, STOP,
				    VD_VHOST_PROTOCOL_F_CONFIGURE_MEM_SLOTS},
	[VHOST_USER_REM_MEM_REG] = {"REM_MEM_REG", h_rem_mem_reg,
				    sizeof(struct vhost_single_region_msg),
				    sizeof(struct vhost_single_region_msg), 1, false, STOP,
				    VD_VHOST_PROTOCOL_F_CONFIGURE_MEM_SLOTS},
	[VHOST_USER_SET_STATUS] = {"SET_STATUS", h_set_status, U64, 0, false, NOSTOP,
				   VD_VHOST_PROTOCOL_F_STATUS},
	[VHOST_USER_GET_STATUS] = {"GET_STATUS", h_get_status, NONE, 0, true, NOSTOP,
				   VD_VHOST_PROTOCOL_F_STATUS},
	[VHOST_USER_GET_SHARED_OBJECT] = {"GET_SHARED_OBJECT"},
	[VHOST_USER_SET_DEVICE_STATE_FD] = {"SET_DEVICE_STATE_FD"},
	[VHOST_USER_CHECK_DEVICE_STATE] = {"CHECK_DEVICE_STATE"},
#undef NOSTOP
#undef STOP
#undef U64
#undef STATE
#undef NONE
};

/* Dispatch --------------------------------------------------------------------------------- */

bool
vhost_user_msg_needs_stop(const struct vhost_conn *conn)
{
	uint32_t req = conn->msg.hdr.request;

	return req < VHOST_USER_MAX && g_requests[req].needs_stop;
}

static int
msg_error(struct vhost_conn *conn, const char *what)
{
	struct vd_vhost_dev *dev = conn->dev;

	if (vd_log_ratelimit_ok(&dev->rl, MSG_RL_BURST)) {
		VD_ERRLOG("%s: %s (request %u %s, %u bytes, %u fds)\n", dev->name, what,
			  conn->msg.hdr.request, vhost_user_request_name(conn->msg.hdr.request),
			  conn->msg.hdr.size, conn->msg.fd_num);
	}
	return VHOST_MSG_ERR;
}

static int
dispatch_custom(struct vhost_conn *conn, struct vhost_msg *msg)
{
	struct vd_vhost_dev *dev = conn->dev;
	struct vd_vhost_custom_msg cm = {
		.request = msg->hdr.request,
		.size = msg->hdr.size,
		.fds = msg->fds,
		.fd_num = msg->fd_num,
		.token = dev->last_token + 1,
	};
	static uint8_t payload[VD_VHOST_MAX_PAYLOAD]; /* control thread only */
	int rc;

	if (dev->ops->custom_msg == NULL) {
		return msg_error(conn, "unknown request");
	}
	/* The device reads the request and writes the reply in place of it. */
	memcpy(payload, msg->payload.raw, msg->hdr.size);
	cm.payload = payload;
	cm.reply = msg->payload.raw;
	rc = dev->ops->custom_msg(dev, &cm);
	if (rc == VD_VHOST_MSG_NOT_MINE) {
		return msg_error(conn, "unknown request");
	}
	if (rc < 0) {
		return msg_error(conn, "device rejected request");
	}
	if (rc == VD_VHOST_MSG_REPLY) {
		msg->hdr.size = VD_MIN(cm.reply_size, (uint32_t)VD_VHOST_MAX_PAYLOAD);
		return VHOST_MSG_REPLY;
	}
	if (rc == VD_VHOST_MSG_PENDING) {
		dev->last_token = cm.token;
		conn->reply_pending = true;
		conn->pending_request = msg->hdr.request;
		conn->pending_token = cm.token;
		return VHOST_MSG_PENDING;
	}
	return VHOST_MSG_OK;
}

/* Every check that does not depend on the handler, then the handler. */
static int
dispatch_std(struct vhost_conn *conn, struct vhost_msg *msg, bool *has_reply)
{
	const struct vhost_req_desc *d;
	uint32_t req = msg->hdr.request;

	if (req >= VD_VHOST_CUSTOM_REQ_BASE) {
		return dispatch_custom(conn, msg);
	}
	if (req >= VHOST_USER_MAX) {
		return msg_error(conn, "unknown request");
	}
	d = &g_requests[req];
	*has_reply = d->reply;
	if (d->name == NULL) {
		return msg_error(conn, "unknown request");
	}
	if (d->handler == NULL) {
		return msg_error(conn, "request not supported");
	}
	if (msg->hdr.size < d->min_size || msg->hdr.size > d->max_size) {
		return msg_error(conn, "wrong payload size");
	}
	if (msg->fd_num > d->max_fds) {
		return msg_error(conn, "too many fds");
	}
	if (d->proto_feature != 0 && !(conn->protocol_features & d->proto_feature)) {
		return msg_error(conn, "protocol feature not negotiated");
	}
	/* Payload bytes beyond hdr.size are stale: zero them so handlers see a clean struct. */
	memset(msg->payload.raw + msg->hdr.size, 0, d->max_size - msg->hdr.size);
	return d->handler(conn, msg);
}

int
vhost_user_dispatch(struct vhost_conn *conn)
{
	struct vhost_msg *msg = &conn->msg;
	bool has_reply = false, want_ack;
	int rc, send_rc = 0;

	want_ack = (msg->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
		   (conn->protocol_features & VD_VHOST_PROTOCOL_F_REPLY_ACK);
	VD_DEBUGLOG(vhost, "%s: %s size %u fds %u\n", conn->dev->name,
		    vhost_user_request_name(msg->hdr.request), msg->hdr.size, msg->fd_num);
	rc = dispatch_std(conn, msg, &has_reply);
	if (rc == VHOST_MSG_PENDING) {
		/* The device owes the reply; an ack would be a second reply. */
	} else if (rc == VHOST_MSG_REPLY) {
		send_rc = send_reply(conn, msg);
	} else if (want_ack && !has_reply) {
		msg->reply_fd = -1;
		reply_u64(msg, rc == VHOST_MSG_OK ? 0 : 1);
		send_rc = send_reply(conn, msg);
	}
	msg_close_fds(msg);
	if (rc == VHOST_MSG_ERR) {
		return -EPROTO;
	}
	return send_rc;
}

int
vhost_user_check_peer(struct vhost_conn *conn)
{
	char c;
	ssize_t n;

	/* The front-end waits for the reply: any byte it sends now stays in the socket. */
	n = recv(conn->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		return -ECONNRESET;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		return -errno;
	}
	return 0;
}

int
vd_vhost_dev_msg_reply(struct vd_vhost_dev *dev, uint64_t token, const void *reply, uint32_t size)
{
	struct vhost_conn *conn = dev->conn;
	struct vhost_msg *msg;

	if (conn == NULL) {
		return -ENOTCONN;
	}
	if (!conn->reply_pending || conn->pending_token != token) {
		return -ESTALE;
	}
	if (size > VD_VHOST_MAX_PAYLOAD) {
		return -EINVAL;
	}
	if (vhost_user_check_peer(conn) != 0) {
		return -ENOTCONN; /* gone; vhost.c closes the connection at its next poll */
	}
	/* No message is being read while the reply is pending: conn->msg is free. */
	msg = &conn->msg;
	assert(conn->hdr_got == 0 && msg->fd_num == 0);
	conn->reply_pending = false;
	msg->hdr.request = conn->pending_request;
	msg->hdr.size = size;
	msg->reply_fd = -1;
	if (size > 0) {
		memcpy(msg->payload.raw, reply, size);
	}
	if (send_reply(conn, msg) != 0) {
		/* Make the next poll see the end of the connection and close it. */
		shutdown(conn->fd, SHUT_RDWR);
		return -EIO;
	}
	return 0;
}
