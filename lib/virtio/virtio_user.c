/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-user front-end: the connection, the handshake and the device object.
 *
 * The handshake is a table of steps run by a poller on the control thread; each step sends one
 * message and, when it needs an answer (GET_* requests, or an ack with REPLY_ACK), waits for it
 * without blocking, with a deadline of opts.timeout_ms.  Order (as QEMU does it):
 *   CONNECT -> GET_FEATURES -> GET_PROTOCOL_FEATURES -> SET_PROTOCOL_FEATURES ->
 *   GET_QUEUE_NUM -> SET_OWNER -> GET_CONFIG -> SET_FEATURES -> SET_MEM_TABLE ->
 *   per queue { SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_CALL,
 *   SET_VRING_KICK, SET_VRING_ENABLE } -> SYNC (GET_FEATURES, without REPLY_ACK) -> READY.
 * Steps the back-end's features make pointless return STEP_SKIP.
 *
 * Device states: HANDSHAKE (poller hs_poll) -> READY (poller watch_poll every 10 ms: EOF or
 * error on the socket) -> BROKEN (disconnect callback ran) ; vd_virtio_dev_close() from READY
 * or BROKEN.  A failed handshake frees the device and reports the error through the connect
 * callback.  `broken` is read by data threads (atomic).
 *
 * The rings and request slots are allocated with vd_dma_zmalloc just before the memory table
 * is built, so they are part of it.  Guest physical addresses are our virtual addresses.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhostd/env.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"
#include "virtio_internal.h"

VD_LOG_FLAG_DEFINE(virtio);

#define WATCH_PERIOD_US 10000
#define STOP_WAIT_MS 200
#define MAX_REPLY_PAYLOAD (VHOST_CONFIG_HDR_SIZE + VD_VIRTIO_MAX_CONFIG)

#define WANT_PROTOCOL                                                                              \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |          \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))

enum hs_step {
	HS_CONNECT,
	HS_GET_FEATURES,
	HS_GET_PROTOCOL_FEATURES,
	HS_SET_PROTOCOL_FEATURES,
	HS_GET_QUEUE_NUM,
	HS_SET_OWNER,
	HS_GET_CONFIG,
	HS_SET_FEATURES,
	HS_SET_MEM_TABLE,
	HS_VRING_NUM, /* first per-queue step */
	HS_VRING_BASE,
	HS_VRING_ADDR,
	HS_VRING_CALL,
	HS_VRING_KICK,
	HS_VRING_ENABLE, /* last per-queue step */
	HS_SYNC,
	HS_READY,
};

/* What a step's send function did. */
enum {
	STEP_NEXT = 0, /* sent; no answer expected */
	STEP_WAIT = 1, /* sent; wait for the answer */
	STEP_SKIP = 2, /* nothing to do */
};

enum dev_state { DEV_HANDSHAKE, DEV_READY, DEV_BROKEN };

struct rx_buf {
	struct vhost_user_hdr hdr;
	uint8_t payload[MAX_REPLY_PAYLOAD];
} __attribute__((packed));

struct vd_virtio_dev {
	char *name;
	char *path;
	struct vd_virtio_user_opts opts;
	int fd;
	enum dev_state state;
	bool broken; /* atomic */
	struct vd_poller *poller;
	struct vd_thread *thread;

	uint64_t features_offered;
	uint64_t features;
	uint64_t proto;
	uint16_t backend_queues;
	uint8_t config[VD_VIRTIO_MAX_CONFIG];
	struct virtio_mem mem;
	struct vd_virtqueue *vqs; /* [opts.num_queues] */

	/* Handshake. */
	enum hs_step step;
	uint16_t step_q;
	bool waiting;
	uint32_t wait_req;
	uint64_t deadline;
	struct rx_buf rx;
	uint32_t rx_got;
	vd_virtio_connect_cb connect_cb;
	void *connect_arg;
	vd_virtio_disconnect_cb disconnect_cb;
	void *disconnect_arg;
	struct vd_log_ratelimit rl;
};

struct hs_step_desc {
	const char *name;
	int (*send)(struct vd_virtio_dev *dev);
	/* The answer of a GET request: 0 or -errno. */
	int (*reply)(struct vd_virtio_dev *dev, const void *payload, uint32_t size);
};

static const struct hs_step_desc g_steps[];

static const char *
req_name(uint32_t req)
{
	static const char *const names[] = {
		[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
		[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
		[VHOST_USER_SET_OWNER] = "SET_OWNER",
		[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
		[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
		[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
		[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
		[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	};

	if (req < VD_COUNTOF(names) && names[req] != NULL) {
		return names[req];
	}
	return "request";
}

/* Transport ---------------------------------------------------------------------------------- */

static bool
has_proto(const struct vd_virtio_dev *dev, unsigned int bit)
{
	return (dev->proto >> bit) & 1;
}

/*
 * Send one request; with \p want_ack and REPLY_ACK negotiated, ask for an ack.
 * \return STEP_WAIT when an answer must be awaited, STEP_NEXT, or -errno.
 */
static int
send_msg(struct vd_virtio_dev *dev, uint32_t req, const void *payload, uint32_t size,
	 const int *fds, uint32_t nfds, bool want_ack)
{
	struct vhost_user_hdr hdr = {.request = req, .flags = VHOST_USER_VERSION, .size = size};
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)] = {0};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
	struct cmsghdr *cm;
	bool wait = req == VHOST_USER_GET_FEATURES || req == VHOST_USER_GET_PROTOCOL_FEATURES ||
		    req == VHOST_USER_GET_QUEUE_NUM || req == VHOST_USER_GET_CONFIG;
	ssize_t n;

	if (!wait && want_ack && has_proto(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
		hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
		wait = true;
	}
	if (nfds > 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	n = sendmsg(dev->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		return errno == EPIPE || errno == ECONNRESET ? -EIO : -errno;
	}
	/* A fresh, idle stream socket takes a few hundred bytes at once; short means trouble. */
	if ((size_t)n != sizeof(hdr) + size) {
		return -EIO;
	}
	dev->wait_req = req;
	return wait ? STEP_WAIT : STEP_NEXT;
}

static void
close_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;
	int fds[VHOST_USER_MAX_FDS];
	size_t i, n;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			continue;
		}
		n = VD_MIN((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int), VD_COUNTOF(fds));
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			close(fds[i]);
		}
	}
}

/* Read more of the answer.  \return 1 complete, 0 need more, -errno. */
static int
recv_reply(struct vd_virtio_dev *dev)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov;
	struct msghdr mh;
	uint32_t want;
	ssize_t n;

	for (;;) {
		want = sizeof(dev->rx.hdr);
		if (dev->rx_got >= sizeof(dev->rx.hdr)) {
			if (dev->rx.hdr.size > sizeof(dev->rx.payload)) {
				return -EPROTO;
			}
			want += dev->rx.hdr.size;
		}
		if (dev->rx_got == want) {
			return 1;
		}
		iov.iov_base = (uint8_t *)&dev->rx + dev->rx_got;
		iov.iov_len = want - dev->rx_got;
		mh = (struct msghdr){.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		n = recvmsg(dev->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				return 0;
			}
			return errno == ECONNRESET ? -EIO : -errno;
		}
		close_fds(&mh);
		if (n == 0) {
			return -EIO;
		}
		dev->rx_got += (uint32_t)n;
	}
}

/* Handshake steps ---------------------------------------------------------------------------- */

static int
step_connect(struct vd_virtio_dev *dev)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int err = 0;

	if (dev->fd < 0) {
		dev->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (dev->fd < 0) {
			return -errno;
		}
		memcpy(sa.sun_path, dev->path, strlen(dev->path) + 1);
		if (connect(dev->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			return STEP_NEXT;
		}
		if (errno != EINPROGRESS && errno != EAGAIN) {
			return -errno;
		}
	}
	/* Connection in progress (listen backlog full): wait for writability. */
	pfd = (struct pollfd){.fd = dev->fd, .events = POLLOUT};
	if (poll(&pfd, 1, 0) <= 0) {
		dev->wait_req = VHOST_USER_NONE;
		return -EAGAIN;
	}
	if (getsockopt(dev->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		return err != 0 ? -err : -errno;
	}
	return STEP_NEXT;
}

static int
step_get_u64(struct vd_virtio_dev *dev, uint32_t req)
{
	return send_msg(dev, req, NULL, 0, NULL, 0, false);
}

static int
reply_u64(const void *payload, uint32_t size, uint64_t *val)
{
	if (size != sizeof(*val)) {
		return -EPROTO;
	}
	memcpy(val, payload, sizeof(*val));
	return 0;
}

static int
step_get_features(struct vd_virtio_dev *dev)
{
	return step_get_u64(dev, VHOST_USER_GET_FEATURES);
}

static int
reply_get_features(struct vd_virtio_dev *dev, const void *payload, uint32_t size)
{
	int rc = reply_u64(payload, size, &dev->features_offered);

	if (rc == 0 && !((dev->features_offered >> VIRTIO_F_VERSION_1) & 1)) {
		VD_ERRLOG(
			"virtio %s: back-end does not offer VIRTIO_F_VERSION_1 (features %#" PRIx64
			")\n",
			dev->name, dev->features_offered);
		return -ENOTSUP;
	}
	return rc;
}

static bool
offers_protocol(const struct vd_virtio_dev *dev)
{
	return (dev->features_offered >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
}

static int
step_get_protocol_features(struct vd_virtio_dev *dev)
{
	return offers_protocol(dev) ? step_get_u64(dev, VHOST_USER_GET_PROTOCOL_FEATURES)
				    : STEP_SKIP;
}

static int
reply_get_protocol_features(struct vd_virtio_dev *dev, const void *payload, uint32_t size)
{
	uint64_t offered = 0;
	int rc = reply_u64(payload, size, &offered);

	dev->proto = offered & WANT_PROTOCOL;
	return rc;
}

static int
step_set_protocol_features(struct vd_virtio_dev *dev)
{
	if (!offers_protocol(dev)) {
		return STEP_SKIP;
	}
	/* REPLY_ACK is not in force for this very message. */
	return send_msg(dev, VHOST_USER_SET_PROTOCOL_FEATURES, &dev->proto, sizeof(dev->proto),
			NULL, 0, false);
}

static int
step_get_queue_num(struct vd_virtio_dev *dev)
{
	dev->backend_queues = dev->opts.num_queues;
	return has_proto(dev, VHOST_USER_PROTOCOL_F_MQ)
		       ? step_get_u64(dev, VHOST_USER_GET_QUEUE_NUM)
		       : STEP_SKIP;
}

static int
reply_get_queue_num(struct vd_virtio_dev *dev, const void *payload, uint32_t size)
{
	uint64_t num;
	int rc = reply_u64(payload, size, &num);

	if (rc != 0) {
		return rc;
	}
	if (num < dev->opts.num_queues) {
		VD_ERRLOG("virtio %s: back-end supports %" PRIu64 " queues, %u requested\n",
			  dev->name, num, dev->opts.num_queues);
		return -ENOTSUP;
	}
	dev->backend_queues = (uint16_t)VD_MIN(num, (uint64_t)UINT16_MAX);
	return 0;
}

static int
step_set_owner(struct vd_virtio_dev *dev)
{
	return send_msg(dev, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, true);
}

static int
step_get_config(struct vd_virtio_dev *dev)
{
	uint8_t buf[VHOST_CONFIG_HDR_SIZE + VD_VIRTIO_MAX_CONFIG] = {0};
	struct vhost_config_hdr hdr = {.offset = 0, .size = dev->opts.config_size};

	if (dev->opts.config_size == 0) {
		return STEP_SKIP;
	}
	if (!has_proto(dev, VHOST_USER_PROTOCOL_F_CONFIG)) {
		if (dev->opts.config_required) {
			VD_ERRLOG("virtio %s: back-end has no CONFIG protocol feature\n",
				  dev->name);
			return -ENOTSUP;
		}
		return STEP_SKIP;
	}
	memcpy(buf, &hdr, sizeof(hdr));
	return send_msg(dev, VHOST_USER_GET_CONFIG, buf, VHOST_CONFIG_HDR_SIZE + hdr.size, NULL, 0,
			false);
}

static int
reply_get_config(struct vd_virtio_dev *dev, const void *payload, uint32_t size)
{
	struct vhost_config_hdr hdr;

	if (size != VHOST_CONFIG_HDR_SIZE + dev->opts.config_size) {
		/* libvhost-user answers a refused read with an empty payload. */
		VD_ERRLOG("virtio %s: back-end refused GET_CONFIG of %u bytes (answer of %u "
			  "bytes)\n",
			  dev->name, dev->opts.config_size, size);
		return -EIO;
	}
	memcpy(&hdr, payload, sizeof(hdr));
	if (hdr.size != dev->opts.config_size) {
		return -EPROTO;
	}
	memcpy(dev->config, (const uint8_t *)payload + VHOST_CONFIG_HDR_SIZE, hdr.size);
	return 0;
}

static int
step_set_features(struct vd_virtio_dev *dev)
{
	uint64_t want = dev->opts.device_features | (1ULL << VIRTIO_F_VERSION_1) |
			(1ULL << VIRTIO_F_EVENT_IDX) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);

	dev->features = dev->features_offered & want;
	return send_msg(dev, VHOST_USER_SET_FEATURES, &dev->features, sizeof(dev->features), NULL,
			0, true);
}

static int
add_region(void *addr, uint64_t len, int fd, uint64_t fd_offset, void *ctx)
{
	struct vd_virtio_dev *dev = ctx;

	if (dev->mem.nregions == VHOST_MEMORY_BASELINE_NREGIONS) {
		VD_WARNLOG("virtio %s: more than %u memory regions; sharing the first %u only\n",
			   dev->name, VHOST_MEMORY_BASELINE_NREGIONS,
			   VHOST_MEMORY_BASELINE_NREGIONS);
		return 1;
	}
	dev->mem.regions[dev->mem.nregions++] = (struct virtio_mem_region){
		.addr = (uint64_t)(uintptr_t)addr,
		.len = len,
		.fd = fd,
		.fd_offset = fd_offset,
	};
	return 0;
}

static int alloc_queues(struct vd_virtio_dev *dev);

static int
step_set_mem_table(struct vd_virtio_dev *dev)
{
	struct vhost_memory_msg m = {0};
	int fds[VHOST_MEMORY_BASELINE_NREGIONS];
	uint32_t i;
	int rc;

	/* Rings first, so that the table built next contains them. */
	rc = alloc_queues(dev);
	if (rc != 0) {
		return rc;
	}
	rc = vd_mem_for_each_region(add_region, dev);
	if (rc < 0 || dev->mem.nregions == 0) {
		VD_ERRLOG("virtio %s: no shareable (fd-backed) env memory\n", dev->name);
		return -ENOTSUP;
	}
	for (i = 0; i < dev->opts.num_queues; i++) {
		const struct vd_virtqueue *vq = &dev->vqs[i];
		const struct virtio_mem_region *r =
			virtio_mem_find(&dev->mem, (uintptr_t)vq->ring_mem);

		if (r == NULL || (uintptr_t)vq->ring_mem + vq->ring_mem_len > r->addr + r->len) {
			VD_ERRLOG("virtio %s: queue memory is outside the shared regions\n",
				  dev->name);
			return -ENOTSUP;
		}
	}
	m.nregions = dev->mem.nregions;
	for (i = 0; i < m.nregions; i++) {
		const struct virtio_mem_region *r = &dev->mem.regions[i];

		m.regions[i] = (struct vhost_mem_region_msg){
			.guest_phys_addr = r->addr,
			.memory_size = r->len,
			.userspace_addr = r->addr,
			.mmap_offset = r->fd_offset,
		};
		fds[i] = r->fd;
	}
	return send_msg(dev, VHOST_USER_SET_MEM_TABLE, &m,
			(uint32_t)(offsetof(struct vhost_memory_msg, regions) +
				   m.nregions * sizeof(m.regions[0])),
			fds, m.nregions, true);
}

static int
send_vring_state(struct vd_virtio_dev *dev, uint32_t req, uint32_t num)
{
	struct vhost_vring_state s = {.index = dev->step_q, .num = num};

	return send_msg(dev, req, &s, sizeof(s), NULL, 0, true);
}

static int
step_vring_num(struct vd_virtio_dev *dev)
{
	return send_vring_state(dev, VHOST_USER_SET_VRING_NUM, dev->opts.queue_size);
}

static int
step_vring_base(struct vd_virtio_dev *dev)
{
	return send_vring_state(dev, VHOST_USER_SET_VRING_BASE, 0);
}

static int
step_vring_addr(struct vd_virtio_dev *dev)
{
	const struct vd_virtqueue *vq = &dev->vqs[dev->step_q];
	struct vhost_vring_addr a = {
		.index = dev->step_q,
		.desc_user_addr = (uintptr_t)vq->desc,
		.used_user_addr = (uintptr_t)vq->used,
		.avail_user_addr = (uintptr_t)vq->avail,
	};

	return send_msg(dev, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, true);
}

static int
step_vring_call(struct vd_virtio_dev *dev)
{
	uint64_t v = dev->step_q;

	return send_msg(dev, VHOST_USER_SET_VRING_CALL, &v, sizeof(v),
			&dev->vqs[dev->step_q].call_fd, 1, true);
}

static int
step_vring_kick(struct vd_virtio_dev *dev)
{
	uint64_t v = dev->step_q;

	return send_msg(dev, VHOST_USER_SET_VRING_KICK, &v, sizeof(v),
			&dev->vqs[dev->step_q].kick_fd, 1, true);
}

static int
step_vring_enable(struct vd_virtio_dev *dev)
{
	/* Without PROTOCOL_FEATURES rings start enabled. */
	if (!((dev->features >> VHOST_USER_F_PROTOCOL_FEATURES) & 1)) {
		return STEP_SKIP;
	}
	return send_vring_state(dev, VHOST_USER_SET_VRING_ENABLE, 1);
}

static int
step_sync(struct vd_virtio_dev *dev)
{
	/* Without acks, an answered GET proves that everything before it was processed. */
	if (has_proto(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
		return STEP_SKIP;
	}
	return step_get_u64(dev, VHOST_USER_GET_FEATURES);
}

static int
reply_sync(struct vd_virtio_dev *dev, const void *payload, uint32_t size)
{
	uint64_t v;

	return reply_u64(payload, size, &v);
}

static const struct hs_step_desc g_steps[] = {
	[HS_CONNECT] = {"connect", step_connect, NULL},
	[HS_GET_FEATURES] = {"GET_FEATURES", step_get_features, reply_get_features},
	[HS_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", step_get_protocol_features,
				      reply_get_protocol_features},
	[HS_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", step_set_protocol_features, NULL},
	[HS_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", step_get_queue_num, reply_get_queue_num},
	[HS_SET_OWNER] = {"SET_OWNER", step_set_owner, NULL},
	[HS_GET_CONFIG] = {"GET_CONFIG", step_get_config, reply_get_config},
	[HS_SET_FEATURES] = {"SET_FEATURES", step_set_features, NULL},
	[HS_SET_MEM_TABLE] = {"SET_MEM_TABLE", step_set_mem_table, NULL},
	[HS_VRING_NUM] = {"SET_VRING_NUM", step_vring_num, NULL},
	[HS_VRING_BASE] = {"SET_VRING_BASE", step_vring_base, NULL},
	[HS_VRING_ADDR] = {"SET_VRING_ADDR", step_vring_addr, NULL},
	[HS_VRING_CALL] = {"SET_VRING_CALL", step_vring_call, NULL},
	[HS_VRING_KICK] = {"SET_VRING_KICK", step_vring_kick, NULL},
	[HS_VRING_ENABLE] = {"SET_VRING_ENABLE", step_vring_enable, NULL},
	[HS_SYNC] = {"GET_FEATURES (sync)", step_sync, reply_sync},
	[HS_READY] = {"ready", NULL, NULL},
};

/* Queues -------------------------------------------------------------------------------------- */

static void
free_queues(struct vd_virtio_dev *dev)
{
	uint16_t i;

	if (dev->vqs == NULL) {
		return;
	}
	for (i = 0; i < dev->opts.num_queues; i++) {
		struct vd_virtqueue *vq = &dev->vqs[i];

		virtqueue_fini(vq);
		vd_dma_free(vq->ring_mem);
		if (vq->kick_fd >= 0) {
			close(vq->kick_fd);
		}
		if (vq->call_fd >= 0) {
			close(vq->call_fd);
		}
	}
	free(dev->vqs);
	dev->vqs = NULL;
}

static int
alloc_queues(struct vd_virtio_dev *dev)
{
	bool event_idx = (dev->features >> VIRTIO_F_EVENT_IDX) & 1;
	struct virtqueue_layout l;
	uint16_t i;
	void *mem;

	virtqueue_layout(dev->opts.queue_size, dev->opts.slot_size, &l);
	for (i = 0; i < dev->opts.num_queues; i++) {
		struct vd_virtqueue *vq = &dev->vqs[i];

		mem = vd_dma_zmalloc(l.total, 4096);
		if (mem == NULL) {
			VD_ERRLOG("virtio %s: cannot allocate %" PRIu64 " bytes of DMA memory for "
				  "queue %u\n",
				  dev->name, l.total, i);
			return -ENOMEM;
		}
		if (virtqueue_init(vq, mem, dev->opts.queue_size, dev->opts.slot_size, event_idx) !=
		    0) {
			vd_dma_free(mem);
			return -ENOMEM;
		}
		vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vq->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vq->kick_fd < 0 || vq->call_fd < 0) {
			return -errno;
		}
	}
	return 0;
}

/* Handshake driver --------------------------------------------------------------------------- */

static void
dev_free(struct vd_virtio_dev *dev)
{
	vd_poller_unregister(&dev->poller);
	if (dev->fd >= 0) {
		close(dev->fd);
	}
	free_queues(dev);
	free(dev->name);
	free(dev->path);
	free(dev);
}

static int watch_poll(void *arg);

static void
hs_finish(struct vd_virtio_dev *dev, int rc)
{
	vd_virtio_connect_cb cb = dev->connect_cb;
	void *cb_arg = dev->connect_arg;

	vd_poller_unregister(&dev->poller);
	if (rc == 0) {
		dev->poller = vd_poller_register(watch_poll, dev, WATCH_PERIOD_US, "virtio_watch");
		rc = dev->poller == NULL ? -ENOMEM : 0;
	}
	if (rc != 0) {
		VD_ERRLOG("virtio %s: vhost-user handshake with %s failed at %s: %s\n", dev->name,
			  dev->path, g_steps[dev->step].name, strerror(-rc));
		dev_free(dev);
		cb(cb_arg, NULL, rc);
		return;
	}
	dev->state = DEV_READY;
	VD_NOTICELOG("virtio %s: connected to %s (features %#" PRIx64 ", protocol %#" PRIx64
		     ", %u queues of %u)\n",
		     dev->name, dev->path, dev->features, dev->proto, dev->opts.num_queues,
		     dev->opts.queue_size);
	cb(cb_arg, dev, 0);
}

static void
hs_advance(struct vd_virtio_dev *dev)
{
	if (dev->step == HS_VRING_ENABLE && dev->step_q + 1 < dev->opts.num_queues) {
		dev->step_q++;
		dev->step = HS_VRING_NUM;
	} else {
		dev->step++;
	}
	dev->waiting = false;
	dev->deadline = vd_get_ticks() + vd_get_ticks_hz() / 1000 * dev->opts.timeout_ms;
}

/* A complete answer is in dev->rx: check and use it.  0 or -errno. */
static int
hs_process_reply(struct vd_virtio_dev *dev)
{
	const struct vhost_user_hdr *h = &dev->rx.hdr;
	const struct hs_step_desc *s = &g_steps[dev->step];
	uint64_t ack;

	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    !(h->flags & VHOST_USER_REPLY_MASK) || h->request != dev->wait_req) {
		VD_ERRLOG("virtio %s: not a vhost-user back-end? unexpected answer to %s "
			  "(request %u, flags %#x, size %u)\n",
			  dev->name, req_name(dev->wait_req), h->request, h->flags, h->size);
		return -EPROTO;
	}
	if (s->reply != NULL) {
		return s->reply(dev, dev->rx.payload, h->size);
	}
	if (reply_u64(dev->rx.payload, h->size, &ack) != 0) {
		return -EPROTO;
	}
	if (ack != 0) {
		VD_ERRLOG("virtio %s: back-end refused %s (%#" PRIx64 ")\n", dev->name,
			  req_name(dev->wait_req), ack);
		return -EIO;
	}
	return 0;
}

static int
hs_wait(struct vd_virtio_dev *dev)
{
	int rc = recv_reply(dev);

	if (rc < 0) {
		if (rc == -EIO) {
			VD_ERRLOG("virtio %s: back-end closed the connection during %s\n",
				  dev->name, req_name(dev->wait_req));
		} else if (rc == -EPROTO) {
			VD_ERRLOG("virtio %s: not a vhost-user back-end? answer to %s announces "
				  "%u payload bytes (request %u, flags %#x)\n",
				  dev->name, req_name(dev->wait_req), dev->rx.hdr.size,
				  dev->rx.hdr.request, dev->rx.hdr.flags);
		}
		return rc;
	}
	if (rc == 0) {
		return -EAGAIN;
	}
	rc = hs_process_reply(dev);
	if (rc == 0) {
		hs_advance(dev);
	}
	return rc;
}

static int
hs_poll(void *arg)
{
	struct vd_virtio_dev *dev = arg;
	int rc;

	if (dev->waiting) {
		rc = hs_wait(dev);
	} else {
		rc = g_steps[dev->step].send(dev);
		if (rc == STEP_WAIT) {
			dev->waiting = true;
			dev->rx_got = 0;
			rc = hs_wait(dev);
		} else if (rc >= 0) {
			hs_advance(dev);
			rc = 0;
		}
	}
	if (rc == -EAGAIN) {
		if (vd_get_ticks() < dev->deadline) {
			return VD_POLLER_IDLE;
		}
		VD_ERRLOG("virtio %s: no answer from %s to %s within %u ms\n", dev->name, dev->path,
			  g_steps[dev->step].name, dev->opts.timeout_ms);
		rc = -ETIMEDOUT;
	}
	if (rc < 0) {
		hs_finish(dev, rc);
	} else if (dev->step == HS_READY) {
		hs_finish(dev, 0);
	}
	return VD_POLLER_BUSY;
}

static void
dev_broken(struct vd_virtio_dev *dev, const char *why)
{
	__atomic_store_n(&dev->broken, true, __ATOMIC_RELEASE);
	dev->state = DEV_BROKEN;
	vd_poller_unregister(&dev->poller);
	VD_ERRLOG("virtio %s: lost the back-end %s: %s\n", dev->name, dev->path, why);
	if (dev->disconnect_cb != NULL) {
		dev->disconnect_cb(dev->disconnect_arg);
	}
}

static int
watch_poll(void *arg)
{
	struct vd_virtio_dev *dev = arg;
	struct pollfd pfd = {.fd = dev->fd, .events = POLLIN};
	uint8_t buf[256];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0) {
		return VD_POLLER_IDLE;
	}
	n = recv(dev->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0) {
		if (vd_log_ratelimit_ok(&dev->rl, 1)) {
			VD_WARNLOG("virtio %s: ignoring %zd unsolicited bytes from the back-end\n",
				   dev->name, n);
		}
		return VD_POLLER_BUSY;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return VD_POLLER_IDLE;
	}
	dev_broken(dev, n == 0 ? "connection closed" : strerror(errno));
	return VD_POLLER_BUSY;
}

/* Public API ---------------------------------------------------------------------------------- */

static int
opts_check(const struct vd_virtio_user_opts *o)
{
	if (o->name == NULL || o->path == NULL || o->path[0] == '\0' ||
	    strlen(o->path) >= sizeof(((struct sockaddr_un *)0)->sun_path) || o->num_queues == 0 ||
	    o->num_queues > VD_VIRTIO_MAX_QUEUES || !VD_IS_POW2(o->queue_size) ||
	    o->queue_size < 2 || o->queue_size > VD_VIRTIO_MAX_QUEUE_SIZE ||
	    o->config_size > VD_VIRTIO_MAX_CONFIG || o->slot_size > 4096 ||
	    vd_get_thread() == NULL) {
		return -EINVAL;
	}
	return 0;
}

int
vd_virtio_user_connect(const struct vd_virtio_user_opts *opts, vd_virtio_connect_cb cb,
		       void *cb_arg)
{
	struct vd_virtio_dev *dev;
	uint16_t i;

	if (opts == NULL || cb == NULL || opts_check(opts) != 0) {
		return -EINVAL;
	}
	vd_log_flag_register(&VD_LOG_FLAG(virtio));
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->fd = -1;
	dev->opts = *opts;
	dev->opts.timeout_ms = opts->timeout_ms ? opts->timeout_ms : VD_VIRTIO_DEFAULT_TIMEOUT_MS;
	dev->name = strdup(opts->name);
	dev->path = strdup(opts->path);
	dev->vqs = calloc(opts->num_queues, sizeof(*dev->vqs));
	if (dev->name == NULL || dev->path == NULL || dev->vqs == NULL) {
		goto err_free;
	}
	dev->opts.name = dev->name;
	dev->opts.path = dev->path;
	for (i = 0; i < opts->num_queues; i++) {
		dev->vqs[i] = (struct vd_virtqueue){
			.kick_fd = -1,
			.call_fd = -1,
			.idx = i,
			.dev = dev,
			.mem = &dev->mem,
		};
	}
	dev->thread = vd_get_thread();
	dev->connect_cb = cb;
	dev->connect_arg = cb_arg;
	dev->step = HS_CONNECT;
	dev->deadline = vd_get_ticks() + vd_get_ticks_hz() / 1000 * dev->opts.timeout_ms;
	dev->poller = vd_poller_register(hs_poll, dev, 0, "virtio_handshake");
	if (dev->poller == NULL) {
		goto err_free;
	}
	return 0;

err_free:
	dev_free(dev);
	return -ENOMEM;
}

void
vd_virtio_dev_set_disconnect_cb(struct vd_virtio_dev *dev, vd_virtio_disconnect_cb cb, void *cb_arg)
{
	dev->disconnect_cb = cb;
	dev->disconnect_arg = cb_arg;
}

/*
 * Stop the back-end's rings before their memory is freed: GET_VRING_BASE stops a ring, and its
 * answer says so.  A bounded wait (STOP_WAIT_MS in all) on the control path of a detach: a
 * back-end that does not answer in time gets the connection closed under it.
 */
static void
stop_rings(struct vd_virtio_dev *dev)
{
	uint64_t end = vd_get_ticks() + vd_get_ticks_hz() / 1000 * STOP_WAIT_MS;
	struct pollfd pfd = {.fd = dev->fd, .events = POLLIN};
	uint16_t i, answered = 0;
	int rc;

	for (i = 0; i < dev->opts.num_queues; i++) {
		struct vhost_vring_state st = {.index = i};

		if (send_msg(dev, VHOST_USER_GET_VRING_BASE, &st, sizeof(st), NULL, 0, false) < 0) {
			return;
		}
	}
	dev->wait_req = VHOST_USER_GET_VRING_BASE;
	while (answered < dev->opts.num_queues && vd_get_ticks() < end) {
		dev->rx_got = 0;
		while ((rc = recv_reply(dev)) == 0 && vd_get_ticks() < end) {
			poll(&pfd, 1, 1);
		}
		if (rc <= 0) {
			break;
		}
		answered++;
	}
	if (answered < dev->opts.num_queues) {
		VD_WARNLOG("virtio %s: back-end stopped %u of %u rings before the close\n",
			   dev->name, answered, dev->opts.num_queues);
	}
}

void
vd_virtio_dev_close(struct vd_virtio_dev **pdev)
{
	struct vd_virtio_dev *dev = pdev != NULL ? *pdev : NULL;

	if (dev == NULL) {
		return;
	}
	*pdev = NULL;
	VD_INFOLOG(virtio, "virtio %s: closing the connection to %s\n", dev->name, dev->path);
	if (dev->state == DEV_READY) {
		stop_rings(dev);
	}
	dev_free(dev);
}

const char *
vd_virtio_dev_get_name(const struct vd_virtio_dev *dev)
{
	return dev->name;
}

uint64_t
vd_virtio_dev_get_features(const struct vd_virtio_dev *dev)
{
	return dev->features;
}

const void *
vd_virtio_dev_get_config(const struct vd_virtio_dev *dev, uint32_t *len)
{
	if (len != NULL) {
		*len = dev->opts.config_size;
	}
	return dev->config;
}

uint16_t
vd_virtio_dev_get_num_queues(const struct vd_virtio_dev *dev)
{
	return dev->opts.num_queues;
}

bool
vd_virtio_dev_is_broken(const struct vd_virtio_dev *dev)
{
	return __atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE);
}

struct vd_virtqueue *
vd_virtio_dev_claim_queue(struct vd_virtio_dev *dev, uint16_t first)
{
	uint16_t i;

	for (i = first; i < dev->opts.num_queues; i++) {
		if (!__atomic_exchange_n(&dev->vqs[i].claimed, true, __ATOMIC_ACQ_REL)) {
			return &dev->vqs[i];
		}
	}
	return NULL;
}

void
vd_virtio_dev_release_queue(struct vd_virtqueue *vq)
{
	if (vq != NULL) {
		__atomic_store_n(&vq->claimed, false, __ATOMIC_RELEASE);
	}
}
