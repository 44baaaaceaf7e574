/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Minimal raw vhost-user front-end used by tests (see vhost_frontend.h).
 * Ring layout per queue in guest memory: desc (16 * size, 16-aligned), avail (6 + 2 * size),
 * used (6 + 8 * size, 4-aligned).  Descriptors are handed out sequentially modulo the size,
 * which is enough for tests that keep fewer than size descriptors outstanding.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost_frontend.h"

struct vfe_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect a new socket to \p path, retrying until \p end (ms).  fd or -errno. */
static int
sock_connect(const char *path, int64_t end)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			return -errno;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			return fd;
		}
		close(fd);
		if (now_ms() >= end) {
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

int
vfe_connect(struct vfe *fe, const char *path, int timeout_ms)
{
	uint16_t i;

	memset(fe, 0, sizeof(*fe));
	fe->mem_fd = -1;
	fe->timeout_ms = 2000;
	for (i = 0; i < VFE_MAX_QUEUES; i++) {
		fe->vq[i].kick_fd = -1;
		fe->vq[i].call_fd = -1;
	}
	fe->fd = sock_connect(path, now_ms() + timeout_ms);
	return fe->fd < 0 ? fe->fd : 0;
}

static void
close_vring_fds(struct vfe *fe)
{
	uint16_t i;

	for (i = 0; i < VFE_MAX_QUEUES; i++) {
		if (fe->vq[i].kick_fd >= 0) {
			close(fe->vq[i].kick_fd);
		}
		if (fe->vq[i].call_fd >= 0) {
			close(fe->vq[i].call_fd);
		}
		fe->vq[i].kick_fd = fe->vq[i].call_fd = -1;
	}
}

void
vfe_close(struct vfe *fe)
{
	if (fe->fd >= 0) {
		close(fe->fd);
	}
	fe->fd = -1;
	close_vring_fds(fe);
	if (fe->mem != NULL) {
		munmap(fe->mem, fe->mem_size);
	}
	fe->mem = NULL;
	if (fe->mem_fd >= 0) {
		close(fe->mem_fd);
	}
	fe->mem_fd = -1;
}

int
vfe_send(struct vfe *fe, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
	 const int *fds, uint32_t nfds)
{
	struct vfe_hdr h = {.request = request, .flags = flags, .size = size};
	char control[CMSG_SPACE(sizeof(int) * 32)];
	struct iovec iov[2] = {
		{.iov_base = &h, .iov_len = sizeof(h)},
		{.iov_base = (void *)payload, .iov_len = payload != NULL ? size : 0},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	struct cmsghdr *c;
	ssize_t n;

	if (nfds > 32) {
		return -EINVAL;
	}
	if (nfds > 0) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	n = sendmsg(fe->fd, &mh, MSG_NOSIGNAL);
	if (n < 0) {
		return -errno;
	}
	return (size_t)n == sizeof(h) + iov[1].iov_len ? 0 : -EIO;
}

int
vfe_send_bytes(struct vfe *fe, const void *buf, uint32_t len)
{
	ssize_t n = send(fe->fd, buf, len, MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : -EIO;
}

static int
recv_full(struct vfe *fe, void *buf, size_t len, int64_t end, int *fd)
{
	char control[CMSG_SPACE(sizeof(int) * 4)];
	struct pollfd pfd = {.fd = fe->fd, .events = POLLIN};
	size_t got = 0;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	while (got < len) {
		int left = (int)(end - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			return -ETIMEDOUT;
		}
		iov.iov_base = (uint8_t *)buf + got;
		iov.iov_len = len - got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		n = recvmsg(fe->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n <= 0) {
			return n == 0 ? -ECONNRESET : -errno;
		}
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_type == SCM_RIGHTS && fd != NULL && *fd < 0) {
				memcpy(fd, CMSG_DATA(c), sizeof(int));
			}
		}
		got += (size_t)n;
	}
	return 0;
}

int
vfe_recv(struct vfe *fe, struct vfe_msg *msg, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct vfe_hdr h;
	int rc;

	msg->fd = -1;
	rc = recv_full(fe, &h, sizeof(h), end, &msg->fd);
	if (rc != 0) {
		return rc;
	}
	if (h.size > VFE_MAX_PAYLOAD) {
		return -EPROTO;
	}
	msg->request = h.request;
	msg->flags = h.flags;
	msg->size = h.size;
	return recv_full(fe, msg->payload, h.size, end, &msg->fd);
}

bool
vfe_wait_closed(struct vfe *fe, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = fe->fd, .events = POLLIN};
	char buf[256];
	ssize_t n;

	for (;;) {
		int left = (int)(end - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			return false;
		}
		n = recv(fe->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			return true;
		}
	}
}

int
vfe_get_u64(struct vfe *fe, uint32_t request, uint64_t *val)
{
	struct vfe_msg *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL) {
		return -ENOMEM;
	}
	rc = vfe_send(fe, request, VFE_FLAG_VERSION, NULL, 0, NULL, 0);
	if (rc == 0) {
		rc = vfe_recv(fe, m, fe->timeout_ms);
	}
	if (rc == 0 && (m->request != request || m->size != 8 || !(m->flags & VFE_FLAG_REPLY))) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(val, m->payload, 8);
	}
	if (m->fd >= 0) {
		close(m->fd);
	}
	free(m);
	return rc;
}

int
vfe_set(struct vfe *fe, uint32_t request, const void *payload, uint32_t size, const int *fds,
	uint32_t nfds)
{
	bool ack = fe->protocol_features & VFE_PF_REPLY_ACK;
	struct vfe_msg *m;
	uint64_t v;
	int rc;

	rc = vfe_send(fe, request, VFE_FLAG_VERSION | (ack ? VFE_FLAG_NEED_REPLY : 0), payload,
		      size, fds, nfds);
	if (rc != 0 || !ack) {
		return rc;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	rc = vfe_recv(fe, m, fe->timeout_ms);
	if (rc == 0 && (m->request != request || m->size != 8)) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(&v, m->payload, 8);
		rc = v == 0 ? 0 : -EIO;
	}
	free(m);
	return rc;
}

int
vfe_set_u64(struct vfe *fe, uint32_t request, uint64_t val)
{
	return vfe_set(fe, request, &val, sizeof(val), NULL, 0);
}

int
vfe_mem_create(struct vfe *fe, uint64_t size)
{
	fe->mem_fd = memfd_create("vfe-guest", MFD_CLOEXEC);
	if (fe->mem_fd < 0) {
		return -errno;
	}
	if (ftruncate(fe->mem_fd, (off_t)size) != 0) {
		return -errno;
	}
	fe->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fe->mem_fd, 0);
	if (fe->mem == MAP_FAILED) {
		fe->mem = NULL;
		return -errno;
	}
	fe->mem_size = size;
	fe->mem_next = 4096; /* keep gpa 0 unused */
	return 0;
}

uint64_t
vfe_alloc(struct vfe *fe, uint64_t size, uint64_t align)
{
	uint64_t gpa = (fe->mem_next + align - 1) & ~(align - 1);

	if (gpa + size > fe->mem_size) {
		fprintf(stderr, "vfe_alloc: guest memory exhausted\n");
		abort();
	}
	fe->mem_next = gpa + size;
	return gpa;
}

void *
vfe_gpa(struct vfe *fe, uint64_t gpa)
{
	return fe->mem + gpa;
}

int
vfe_set_mem_table(struct vfe *fe)
{
	struct {
		uint32_t nregions;
		uint32_t padding;
		struct vfe_mem_region r;
	} m = {
		.nregions = 1,
		.r = {.gpa = 0, .size = fe->mem_size, .uva = (uintptr_t)fe->mem},
	};

	return vfe_set(fe, VHOST_USER_SET_MEM_TABLE, &m, sizeof(m), &fe->mem_fd, 1);
}

int
vfe_negotiate(struct vfe *fe, uint64_t want_features, uint64_t want_proto)
{
	uint64_t f, pf = 0;
	int rc;

	rc = vfe_get_u64(fe, VHOST_USER_GET_FEATURES, &f);
	if (rc != 0) {
		return rc;
	}
	fe->features = f & want_features;
	rc = vfe_set_u64(fe, VHOST_USER_SET_FEATURES, fe->features);
	if (rc == 0 && (fe->features & VFE_F_PROTOCOL_FEATURES)) {
		rc = vfe_get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);
		if (rc == 0) {
			rc = vfe_set_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES, pf & want_proto);
			fe->protocol_features = pf & want_proto;
		}
	}
	if (rc == 0) {
		rc = vfe_set(fe, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	}
	return rc;
}

static int
vring_fd(struct vfe *fe, uint32_t request, uint16_t idx, int *fd)
{
	uint64_t v = idx;

	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0) {
		return -errno;
	}
	return vfe_set(fe, request, &v, sizeof(v), fd, 1);
}

/* NUM/ADDR/BASE(\p base)/KICK/CALL/ENABLE for queue \p idx, whose rings are allocated. */
static int
vring_start(struct vfe *fe, uint16_t idx, uint16_t base)
{
	struct vfe_vring *vq = &fe->vq[idx];
	struct {
		uint32_t index, num;
	} st = {idx, vq->size};
	struct {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} addr = {.index = idx,
		  .desc = (uintptr_t)vq->desc,
		  .used = (uintptr_t)vq->used,
		  .avail = (uintptr_t)vq->avail};
	int rc;

	rc = vfe_set(fe, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	st.num = base;
	rc = rc ?: vfe_set(fe, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0);
	rc = rc ?: vfe_set(fe, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0);
	rc = rc ?: vring_fd(fe, VHOST_USER_SET_VRING_KICK, idx, &vq->kick_fd);
	rc = rc ?: vring_fd(fe, VHOST_USER_SET_VRING_CALL, idx, &vq->call_fd);
	if (rc == 0 && (fe->features & VFE_F_PROTOCOL_FEATURES)) {
		st.num = 1;
		rc = vfe_set(fe, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
	}
	return rc;
}

int
vfe_vring_setup(struct vfe *fe, uint16_t idx, uint16_t size)
{
	struct vfe_vring *vq = &fe->vq[idx];
	int rc;

	vq->size = size;
	vq->desc_gpa = vfe_alloc(fe, 16ULL * size, 4096);
	vq->avail_gpa = vfe_alloc(fe, 6ULL + 2ULL * size, 64);
	vq->used_gpa = vfe_alloc(fe, 6ULL + 8ULL * size, 4096);
	vq->desc = vfe_gpa(fe, vq->desc_gpa);
	vq->avail = vfe_gpa(fe, vq->avail_gpa);
	vq->used = vfe_gpa(fe, vq->used_gpa);
	rc = vring_start(fe, idx, 0);
	if (rc == 0 && idx >= fe->num_queues) {
		fe->num_queues = idx + 1;
	}
	return rc;
}

/* The 24-byte payload QEMU sends (20 bytes of fields, padded to 8). */
static const void *
inflight_payload(const struct vfe_inflight *inf, uint8_t buf[24])
{
	memset(buf, 0, 24);
	memcpy(buf, &inf->mmap_size, 8);
	memcpy(buf + 8, &inf->mmap_offset, 8);
	memcpy(buf + 16, &inf->num_queues, 2);
	memcpy(buf + 18, &inf->queue_size, 2);
	return buf;
}

int
vfe_get_inflight(struct vfe *fe, uint16_t nq, uint16_t qsize, struct vfe_inflight *inf)
{
	struct vfe_msg *m = calloc(1, sizeof(*m));
	uint8_t buf[24];
	int rc;

	memset(inf, 0, sizeof(*inf));
	inf->fd = -1;
	inf->num_queues = nq;
	inf->queue_size = qsize;
	if (m == NULL) {
		return -ENOMEM;
	}
	rc = vfe_send(fe, VHOST_USER_GET_INFLIGHT_FD, VFE_FLAG_VERSION, inflight_payload(inf, buf),
		      24, NULL, 0);
	rc = rc ?: vfe_recv(fe, m, fe->timeout_ms);
	if (rc == 0 && (m->request != VHOST_USER_GET_INFLIGHT_FD || m->size < 20 || m->fd < 0)) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(&inf->mmap_size, m->payload, 8);
		memcpy(&inf->mmap_offset, m->payload + 8, 8);
		inf->fd = m->fd;
		m->fd = -1;
		inf->region = mmap(NULL, inf->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, inf->fd,
				   (off_t)inf->mmap_offset);
		if (inf->region == MAP_FAILED) {
			inf->region = NULL;
			rc = -errno;
		}
	}
	if (m->fd >= 0) {
		close(m->fd);
	}
	free(m);
	if (rc == 0) {
		rc = vfe_set_inflight(fe, inf);
	}
	return rc;
}

int
vfe_set_inflight(struct vfe *fe, const struct vfe_inflight *inf)
{
	uint8_t buf[24];

	return vfe_set(fe, VHOST_USER_SET_INFLIGHT_FD, inflight_payload(inf, buf), 24, &inf->fd, 1);
}

void
vfe_inflight_free(struct vfe_inflight *inf)
{
	if (inf->region != NULL) {
		munmap(inf->region, inf->mmap_size);
	}
	if (inf->fd >= 0) {
		close(inf->fd);
	}
	inf->region = NULL;
	inf->fd = -1;
}

int
vfe_reconnect(struct vfe *fe, const char *path, int timeout_ms, const struct vfe_inflight *inf)
{
	uint64_t features = fe->features, proto = fe->protocol_features;
	uint16_t i;
	int rc;

	if (fe->fd >= 0) {
		close(fe->fd);
	}
	close_vring_fds(fe);
	fe->fd = sock_connect(path, now_ms() + timeout_ms);
	if (fe->fd < 0) {
		return fe->fd;
	}
	/* Nothing is negotiated on the new connection yet (no REPLY_ACK before SET_PROTOCOL_FEATURES). */
	fe->features = 0;
	fe->protocol_features = 0;
	rc = vfe_negotiate(fe, features, proto);
	if (rc == 0 && (fe->features != features || fe->protocol_features != proto)) {
		rc = -EPROTO; /* the new back-end offers less than the old one did */
	}
	if (rc == 0 && inf != NULL) {
		rc = vfe_set_inflight(fe, inf);
	}
	rc = rc ?: vfe_set_mem_table(fe);
	for (i = 0; rc == 0 && i < fe->num_queues; i++) {
		rc = vring_start(fe, i, vfe_vring_used_idx(fe, i));
	}
	return rc;
}

int
vfe_bringup(struct vfe *fe, uint64_t mem_size, uint16_t nq, uint16_t qsize)
{
	uint16_t i;
	int rc;

	rc = vfe_negotiate(fe, ~0ULL, ~0ULL);
	rc = rc ?: vfe_mem_create(fe, mem_size);
	rc = rc ?: vfe_set_mem_table(fe);
	for (i = 0; rc == 0 && i < nq; i++) {
		rc = vfe_vring_setup(fe, i, qsize);
	}
	return rc;
}

uint16_t
vfe_vring_put_chain(struct vfe *fe, uint16_t q, const struct vfe_desc *d, uint16_t n)
{
	struct vfe_vring *vq = &fe->vq[q];
	uint16_t head = vq->next_desc, i, cur = head;

	for (i = 0; i < n; i++) {
		uint16_t next = (uint16_t)((cur + 1) & (vq->size - 1));

		vq->desc[cur] = d[i];
		if (i + 1 < n) {
			vq->desc[cur].flags |= VFE_DESC_F_NEXT;
			vq->desc[cur].next = next;
		}
		cur = next;
	}
	vq->next_desc = cur;
	return head;
}

void
vfe_vring_publish(struct vfe *fe, uint16_t q, uint16_t head)
{
	struct vfe_vring *vq = &fe->vq[q];
	uint64_t one = 1;

	vq->avail[2 + (vq->avail_idx & (vq->size - 1))] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail[1], vq->avail_idx, __ATOMIC_RELEASE);
	if (vq->kick_fd >= 0 && write(vq->kick_fd, &one, sizeof(one)) < 0) {
		/* the back-end polls; a failed kick is harmless */
	}
}

void
vfe_vring_set_avail_idx(struct vfe *fe, uint16_t q, uint16_t idx)
{
	fe->vq[q].avail_idx = idx;
	__atomic_store_n(&fe->vq[q].avail[1], idx, __ATOMIC_RELEASE);
}

uint16_t
vfe_vring_used_idx(struct vfe *fe, uint16_t q)
{
	return __atomic_load_n((uint16_t *)(fe->vq[q].used + 2), __ATOMIC_ACQUIRE);
}

int
vfe_vring_wait_used(struct vfe *fe, uint16_t q, struct vfe_used_elem *e, int timeout_ms)
{
	struct vfe_vring *vq = &fe->vq[q];
	int64_t end = now_ms() + timeout_ms;

	while (vfe_vring_used_idx(fe, q) == vq->last_used) {
		if (now_ms() >= end) {
			return -ETIMEDOUT;
		}
		usleep(200);
	}
	memcpy(e, vq->used + 4 + 8 * (vq->last_used & (vq->size - 1)), sizeof(*e));
	vq->last_used++;
	return 0;
}
