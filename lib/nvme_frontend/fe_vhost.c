/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The QEMU half of the vhost-user-nvme front-end: the vhost-user client (messages with fds,
 * REPLY_ACK), guest memory, the doorbell page, CQ eventfds and register access through
 * GET_CONFIG/SET_CONFIG, admin commands as VHOST_USER_NVME_ADMIN messages.  Blocking with a
 * timeout (poll()) on the control socket.
 *
 * Guest memory is a private memfd, or the caller's external regions (GPA = virtual address);
 * the memory table carries one region per fd range either way.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhostd/vhost.h"
#include "vhostd/vhost_nvme.h"
#include "fe_internal.h"

enum {
	REQ_GET_FEATURES = 1,
	REQ_SET_FEATURES = 2,
	REQ_SET_OWNER = 3,
	REQ_SET_MEM_TABLE = 5,
	REQ_SET_VRING_CALL = 13,
	REQ_GET_PROTOCOL_FEATURES = 15,
	REQ_SET_PROTOCOL_FEATURES = 16,
	REQ_GET_CONFIG = 24,
	REQ_SET_CONFIG = 25,
};

#define HDR_VERSION 0x1u
#define HDR_REPLY (1u << 2)
#define HDR_NEED_REPLY (1u << 3)

struct fe_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[512];
} __attribute__((packed));

#define FE_HDR 12u

static int
fe_wait_fd(int fd, short ev, uint32_t timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int rc = poll(&p, 1, (int)timeout_ms);

	if (rc < 0) {
		return -errno;
	}
	if (rc == 0) {
		return -ETIMEDOUT;
	}
	return (p.revents & (POLLERR | POLLHUP)) && !(p.revents & ev) ? -ECONNRESET : 0;
}

static int
fe_send(struct vd_nvme_fe *fe, struct fe_msg *m, const int *fds, uint32_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)] = {0};
	struct iovec iov = {.iov_base = m, .iov_len = FE_HDR + m->size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds > 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	n = sendmsg(fe->sock, &mh, MSG_NOSIGNAL);
	if (n != (ssize_t)iov.iov_len) {
		fe_set_disconnected(fe);
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

static int
fe_recv_all(struct vd_nvme_fe *fe, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len) {
		rc = fe_wait_fd(fe->sock, POLLIN, fe->opts.timeout_ms);
		if (rc != 0) {
			return rc;
		}
		n = recv(fe->sock, (uint8_t *)buf + got, len - got, 0);
		if (n <= 0) {
			fe_set_disconnected(fe);
			return n == 0 ? -ECONNRESET : -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static int
fe_recv_reply(struct vd_nvme_fe *fe, uint32_t request, struct fe_msg *r)
{
	int rc = fe_recv_all(fe, r, FE_HDR);

	if (rc == 0 &&
	    (r->request != request || !(r->flags & HDR_REPLY) || r->size > sizeof(r->payload))) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		rc = fe_recv_all(fe, r->payload, r->size);
	}
	return rc;
}

/* Send a request without a reply of its own; wait for the ack when REPLY_ACK is on. */
static int
fe_request(struct vd_nvme_fe *fe, uint32_t req, const void *payload, uint32_t size, const int *fds,
	   uint32_t nfds)
{
	struct fe_msg m = {.request = req, .flags = HDR_VERSION, .size = size};
	uint64_t ack;
	int rc;

	if (size > 0) {
		memcpy(m.payload, payload, size); /* payload may be NULL when size is 0 */
	}
	if (fe->reply_ack) {
		m.flags |= HDR_NEED_REPLY;
	}
	rc = fe_send(fe, &m, fds, nfds);
	if (rc != 0 || !fe->reply_ack) {
		return rc;
	}
	rc = fe_recv_reply(fe, req, &m);
	if (rc == 0 && m.size != 8) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(&ack, m.payload, 8);
		rc = ack == 0 ? 0 : -EIO;
	}
	return rc;
}

static int
fe_get_u64(struct vd_nvme_fe *fe, uint32_t req, uint64_t *v)
{
	struct fe_msg m = {.request = req, .flags = HDR_VERSION, .size = 0};
	int rc = fe_send(fe, &m, NULL, 0);

	if (rc == 0) {
		rc = fe_recv_reply(fe, req, &m);
	}
	if (rc == 0 && m.size != 8) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(v, m.payload, 8);
	}
	return rc;
}

int
vd_nvme_fe_reg_read(struct vd_nvme_fe *fe, uint32_t off, uint32_t len, uint64_t *val)
{
	struct fe_msg m = {.request = REQ_GET_CONFIG, .flags = HDR_VERSION, .size = 12 + len};
	uint32_t hdr[3] = {off, len, 0};
	int rc;

	if (len != 4 && len != 8) {
		return -EINVAL;
	}
	memcpy(m.payload, hdr, sizeof(hdr));
	rc = fe_send(fe, &m, NULL, 0);
	if (rc == 0) {
		rc = fe_recv_reply(fe, REQ_GET_CONFIG, &m);
	}
	if (rc == 0 && m.size != 12 + len) {
		rc = -EIO; /* vhostd answers an empty config on failure */
	}
	if (rc == 0) {
		*val = 0;
		memcpy(val, m.payload + 12, len);
	}
	return rc;
}

int
vd_nvme_fe_admin_msg_send(struct vd_nvme_fe *fe, const void *payload, uint32_t size)
{
	struct fe_msg m = {.request = VHOST_USER_NVME_ADMIN, .flags = HDR_VERSION, .size = size};

	if (size > sizeof(m.payload)) {
		return -EINVAL;
	}
	memcpy(m.payload, payload, size);
	return fe_send(fe, &m, NULL, 0);
}

int
vd_nvme_fe_admin_msg_recv(struct vd_nvme_fe *fe, struct nvme_cqe *cqe)
{
	struct fe_msg m;
	int rc = fe_recv_reply(fe, VHOST_USER_NVME_ADMIN, &m);

	if (rc == 0 && m.size != sizeof(*cqe)) {
		rc = -EPROTO;
	}
	if (rc == 0) {
		memcpy(cqe, m.payload, sizeof(*cqe));
	}
	return rc;
}

int
fe_wait_readable(struct vd_nvme_fe *fe, int fd, uint32_t timeout_ms)
{
	return fe_wait_fd(fd, POLLIN, timeout_ms);
}

int
vd_nvme_fe_reg_write(struct vd_nvme_fe *fe, uint32_t off, uint32_t len, uint64_t val)
{
	uint8_t p[20];
	uint32_t hdr[3] = {off, len, 0};

	if (len != 4 && len != 8) {
		return -EINVAL;
	}
	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 12, &val, len);
	return fe_request(fe, REQ_SET_CONFIG, p, 12 + len, NULL, 0);
}

static int
fe_negotiate(struct vd_nvme_fe *fe)
{
	uint64_t features, pf;
	int rc;

	rc = fe_get_u64(fe, REQ_GET_FEATURES, &features);
	if (rc != 0) {
		return rc;
	}
	if (!(features & (1ULL << VD_VHOST_F_PROTOCOL_FEATURES))) {
		return -EPROTO;
	}
	rc = fe_request(fe, REQ_SET_FEATURES, &features, 8, NULL, 0);
	if (rc == 0) {
		rc = fe_get_u64(fe, REQ_GET_PROTOCOL_FEATURES, &pf);
	}
	if (rc != 0) {
		return rc;
	}
	if (!(pf & VD_VHOST_PROTOCOL_F_CONFIG)) {
		return -EPROTO;
	}
	pf &= VD_VHOST_PROTOCOL_F_CONFIG | VD_VHOST_PROTOCOL_F_REPLY_ACK;
	rc = fe_request(fe, REQ_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0);
	fe->reply_ack = rc == 0 && (pf & VD_VHOST_PROTOCOL_F_REPLY_ACK);
	if (rc == 0) {
		rc = fe_request(fe, REQ_SET_OWNER, NULL, 0, NULL, 0);
	}
	return rc;
}

/* struct vhost_memory: u32 nregions, u32 padding, {gpa, size, uva, mmap_offset}[] */
static int
fe_share_memory(struct vd_nvme_fe *fe)
{
	uint64_t table[1 + 4 * VD_NVME_FE_MAX_REGIONS] = {0};
	int fds[VD_NVME_FE_MAX_REGIONS];
	uint64_t dbsize = VD_VHOST_NVME_DB_PAGE_SIZE;
	uint32_t i, n = fe->external ? fe->nregions : 1;
	int rc;

	table[0] = n;
	for (i = 0; i < n; i++) {
		uint64_t *r = &table[1 + 4 * i];

		if (fe->external) {
			r[0] = (uint64_t)(uintptr_t)fe->regions[i].addr;
			r[1] = fe->regions[i].len;
			r[2] = r[0];
			r[3] = fe->regions[i].fd_offset;
			fds[i] = fe->regions[i].fd;
		} else {
			r[0] = VD_NVME_FE_GPA_BASE;
			r[1] = fe->mem_size;
			r[2] = (uint64_t)(uintptr_t)fe->mem;
			r[3] = 0;
			fds[i] = fe->mem_fd;
		}
	}
	rc = fe_request(fe, REQ_SET_MEM_TABLE, table, 8 + 32 * n, fds, n);
	if (rc == 0) {
		rc = fe_request(fe, VHOST_USER_NVME_SET_DOORBELL_PAGE, &dbsize, 8, &fe->db_fd, 1);
		/* A target that refuses (or drops us for) the doorbell page is not vhost-nvme. */
		if (rc == -EIO || rc == -ECONNRESET) {
			rc = -EPROTO;
		}
	}
	return rc;
}

static int
fe_set_calls(struct vd_nvme_fe *fe)
{
	uint64_t idx;
	uint16_t q;
	int rc;

	for (q = 0; q <= fe->opts.io_queues; q++) {
		fe->q[q].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fe->q[q].efd < 0) {
			return -errno;
		}
		idx = q;
		rc = fe_request(fe, REQ_SET_VRING_CALL, &idx, 8, &fe->q[q].efd, 1);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static int
fe_alloc_shared(size_t size, const char *name, int *fd, void **addr)
{
	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0) {
		return -errno;
	}
	if (ftruncate(*fd, (off_t)size) != 0) {
		return -errno;
	}
	*addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (*addr == MAP_FAILED) {
		*addr = NULL;
		return -errno;
	}
	return 0;
}

static int
fe_socket(struct vd_nvme_fe *fe)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(fe->opts.socket_path) >= sizeof(sa.sun_path)) {
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, fe->opts.socket_path);
	fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fe->sock < 0) {
		return -errno;
	}
	if (connect(fe->sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		return -errno;
	}
	__atomic_store_n(&fe->connected, true, __ATOMIC_RELEASE);
	return 0;
}

void
vd_nvme_fe_opts_init(struct vd_nvme_fe_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->mem_size = 64ULL << 20;
	opts->io_queues = 1;
	opts->queue_size = 128;
	opts->admin_queue_size = 32;
	opts->timeout_ms = 5000;
}

static bool
opts_valid(const struct vd_nvme_fe_opts *o)
{
	const uint8_t *arena = o->arena;
	uint32_t i;

	if (o->socket_path == NULL || o->io_queues > FE_MAX_QUEUES - 1 || o->queue_size < 2 ||
	    o->admin_queue_size < 2 || o->nregions > VD_NVME_FE_MAX_REGIONS) {
		return false;
	}
	if (o->nregions == 0) {
		return true;
	}
	if (o->regions == NULL || arena == NULL || ((uintptr_t)arena & (FE_PAGE - 1)) != 0 ||
	    o->arena_size < vd_nvme_fe_arena_size(o)) {
		return false;
	}
	for (i = 0; i < o->nregions; i++) {
		const uint8_t *a = o->regions[i].addr;

		if (a == NULL || o->regions[i].len == 0 || o->regions[i].fd < 0) {
			return false;
		}
		if (arena >= a && arena - a < (ptrdiff_t)o->regions[i].len &&
		    o->arena_size <= o->regions[i].len - (uint64_t)(arena - a)) {
			return true; /* the arena lies in one region */
		}
	}
	return false;
}

static int
fe_setup_memory(struct vd_nvme_fe *fe, const struct vd_nvme_fe_opts *opts)
{
	void *mem = NULL;
	int rc;

	if (opts->nregions > 0) {
		fe->external = true;
		fe->nregions = opts->nregions;
		memcpy(fe->regions, opts->regions, sizeof(fe->regions[0]) * opts->nregions);
		fe->mem = opts->arena;
		fe->mem_size = opts->arena_size;
		fe->opts.regions = NULL; /* copied above: do not keep the caller's pointer */
		return 0;
	}
	fe->mem_size = VD_ALIGN_UP(opts->mem_size, (uint64_t)FE_PAGE);
	rc = fe_alloc_shared(fe->mem_size, "nvme-fe-guest", &fe->mem_fd, &mem);
	fe->mem = mem;
	return rc;
}

int
vd_nvme_fe_connect(const struct vd_nvme_fe_opts *opts, struct vd_nvme_fe **out)
{
	struct vd_nvme_fe *fe;
	uint32_t i;
	int rc;

	if (opts == NULL || !opts_valid(opts)) {
		return -EINVAL;
	}
	fe = calloc(1, sizeof(*fe));
	if (fe == NULL) {
		return -ENOMEM;
	}
	fe->opts = *opts;
	fe->sock = fe->mem_fd = fe->db_fd = -1;
	for (i = 0; i < FE_MAX_QUEUES; i++) {
		fe->q[i].efd = -1;
	}
	rc = fe_setup_memory(fe, opts);
	if (rc == 0) {
		rc = fe_alloc_shared(VD_VHOST_NVME_DB_PAGE_SIZE, "nvme-fe-db", &fe->db_fd,
				     (void **)&fe->db);
	}
	if (rc == 0) {
		rc = fe_socket(fe);
	}
	if (rc == 0) {
		rc = fe_negotiate(fe);
	}
	if (rc == 0) {
		rc = fe_share_memory(fe);
	}
	if (rc == 0) {
		rc = fe_set_calls(fe);
	}
	if (rc != 0) {
		vd_nvme_fe_close(fe);
		return rc;
	}
	*out = fe;
	return 0;
}

void
vd_nvme_fe_close(struct vd_nvme_fe *fe)
{
	uint32_t i;

	if (fe == NULL) {
		return;
	}
	if (fe->sock >= 0) {
		close(fe->sock);
	}
	for (i = 0; i < FE_MAX_QUEUES; i++) {
		if (fe->q[i].efd >= 0) {
			close(fe->q[i].efd);
		}
		free(fe->q[i].slots);
	}
	if (fe->mem != NULL && !fe->external) {
		munmap(fe->mem, fe->mem_size);
	}
	if (fe->db != NULL) {
		munmap((void *)fe->db, VD_VHOST_NVME_DB_PAGE_SIZE);
	}
	if (fe->mem_fd >= 0) {
		close(fe->mem_fd);
	}
	if (fe->db_fd >= 0) {
		close(fe->db_fd);
	}
	free(fe);
}

void
fe_set_disconnected(struct vd_nvme_fe *fe)
{
	__atomic_store_n(&fe->connected, false, __ATOMIC_RELEASE);
}

bool
vd_nvme_fe_connected(const struct vd_nvme_fe *fe)
{
	return __atomic_load_n(&fe->connected, __ATOMIC_ACQUIRE);
}

bool
vd_nvme_fe_check_connection(struct vd_nvme_fe *fe)
{
	struct pollfd p = {.fd = fe->sock, .events = POLLIN | POLLRDHUP};
	uint8_t junk[64];
	ssize_t n;

	if (!vd_nvme_fe_connected(fe) || fe->sock < 0) {
		return false;
	}
	if (poll(&p, 1, 0) <= 0) {
		return true;
	}
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) {
		fe_set_disconnected(fe);
		return false;
	}
	/* Nothing is ever sent unasked: read it to see EOF, and drop stray bytes. */
	n = recv(fe->sock, junk, sizeof(junk), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		fe_set_disconnected(fe);
		return false;
	}
	return true;
}
