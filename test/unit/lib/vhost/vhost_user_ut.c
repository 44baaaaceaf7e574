/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/vhost/vhost_user.c: message assembly from partial reads, the dispatch
 * table checks (unknown and out-of-range ids, sizes, fds, feature gating), REPLY_ACK, fd
 * ownership, memory table and vring validation, config bounds, device custom messages and their
 * deferred replies.
 * The front-end side is the test harness over a socketpair.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost/vhost_user.c"
#include "vhost_frontend.h"
#include "common_ut.h"

static int
ut_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t offset, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		buf[i] = (uint8_t)(offset + i);
	}
	return 0;
}

static uint64_t g_token;

static int
ut_custom(struct vd_vhost_dev *dev, struct vd_vhost_custom_msg *m)
{
	if (m->request == 90) {
		g_token = m->token;
		return VD_VHOST_MSG_PENDING;
	}
	if (m->request != 80) {
		return VD_VHOST_MSG_NOT_MINE;
	}
	if (m->size != 4) {
		return -EINVAL;
	}
	memcpy(m->reply, m->payload, 4);
	m->reply[0]++;
	m->reply_size = 4;
	return VD_VHOST_MSG_REPLY;
}

static void
ut_nop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
}

static const struct vd_vhost_dev_ops g_ops = {
	.max_queues = 4,
	.get_config = ut_get_config,
	.custom_msg = ut_custom,
	.start = ut_nop,
	.stop = ut_nop,
};

static struct vd_vhost_dev g_dev;
static struct vhost_conn g_conn;
static struct vfe g_fe;
static struct vfe_msg g_reply;

static void
setup(void)
{
	int sv[2];
	uint32_t i;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	memset(&g_dev, 0, sizeof(g_dev));
	g_dev.name = "ut";
	g_dev.ops = &g_ops;
	g_dev.features_offered =
		(1ULL << VD_VIRTIO_F_VERSION_1) | (1ULL << VD_VHOST_F_PROTOCOL_FEATURES);
	g_dev.protocol_offered = vhost_dev_protocol_features(&g_dev);
	for (i = 0; i < VD_VHOST_MAX_QUEUES; i++) {
		vhost_vq_init(&g_dev.vqs[i], &g_dev, (uint16_t)i);
	}
	memset(&g_conn, 0, sizeof(g_conn));
	g_conn.fd = sv[1];
	g_conn.dev = &g_dev;
	for (i = 0; i < VD_VHOST_MAX_FDS; i++) {
		g_conn.msg.fds[i] = -1;
	}
	g_conn.msg.reply_fd = -1;
	memset(&g_fe, 0, sizeof(g_fe));
	g_fe.fd = sv[0];
	g_fe.mem_fd = -1;
	g_fe.timeout_ms = 1000;
	for (i = 0; i < VFE_MAX_QUEUES; i++) {
		g_fe.vq[i].kick_fd = g_fe.vq[i].call_fd = -1;
	}
}

static void
teardown(void)
{
	vhost_user_msg_reset(&g_conn.msg);
	close(g_conn.fd);
	vhost_dev_reset_frontend_state(&g_dev);
	vfe_close(&g_fe);
}

/* Receive one whole message on the back-end side and dispatch it. */
static int
deliver(void)
{
	int rc = vhost_user_recv(&g_conn);

	if (rc != 1) {
		return rc == 0 ? -EAGAIN : rc;
	}
	rc = vhost_user_dispatch(&g_conn);
	g_conn.hdr_got = g_conn.payload_got = 0;
	return rc;
}

static int
send_deliver(uint32_t req, uint32_t flags, const void *p, uint32_t size, const int *fds,
	     uint32_t nfds)
{
	CU_ASSERT_FATAL(vfe_send(&g_fe, req, VFE_FLAG_VERSION | flags, p, size, fds, nfds) == 0);
	return deliver();
}

static bool
fd_is_closed_by_peer(int rfd)
{
	char c;

	/* rfd is the read end of a pipe whose only remaining write end was sent away. */
	return read(rfd, &c, 1) == 0;
}

static void
test_partial_message(void)
{
	struct vhost_user_hdr h = {.request = VHOST_USER_SET_FEATURES, .flags = 1, .size = 8};
	uint64_t f = 1ULL << VD_VIRTIO_F_VERSION_1;

	setup();
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), 0);
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, &h, 5), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), 0);
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, (uint8_t *)&h + 5, 7), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), 0);
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, &f, 3), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), 0);
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, (uint8_t *)&f + 3, 5), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), 1);
	CU_ASSERT_EQUAL(vhost_user_dispatch(&g_conn), 0);
	CU_ASSERT_EQUAL(g_dev.features, f);
	teardown();

	/* EOF, bad version, reply flag, oversized payload. */
	setup();
	close(g_fe.fd);
	g_fe.fd = -1;
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), -ECONNRESET);
	teardown();
	setup();
	h.flags = 2;
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, &h, sizeof(h)), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), -EPROTO);
	teardown();
	setup();
	h.flags = 1 | VHOST_USER_REPLY_MASK;
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, &h, sizeof(h)), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), -EPROTO);
	teardown();
	setup();
	h.flags = 1;
	h.size = VD_VHOST_MAX_PAYLOAD + 1;
	CU_ASSERT_EQUAL(vfe_send_bytes(&g_fe, &h, sizeof(h)), 0);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), -EPROTO);
	teardown();
}

static void
test_unknown_requests(void)
{
	uint32_t ids[] = {0,
			  VHOST_USER_SEND_RARP,
			  VHOST_USER_IOTLB_MSG,
			  VHOST_USER_MAX,
			  63,
			  200,
			  0x7fffffff,
			  0xffffffff};
	uint32_t i;

	for (i = 0; i < VD_COUNTOF(ids); i++) {
		setup();
		CU_ASSERT_EQUAL(send_deliver(ids[i], 0, NULL, 0, NULL, 0), -EPROTO);
		teardown();
	}
}

static void
test_sizes_and_fds(void)
{
	uint64_t v = 0;
	int p[2];

	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_FEATURES, 0, &v, 4, NULL, 0), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_FEATURES, 0, &v, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_ADDR, 0, &v, 8, NULL, 0), -EPROTO);
	teardown();

	/* An fd where none is expected is closed by the dispatcher. */
	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_FEATURES, 0, NULL, 0, &p[1], 1), -EPROTO);
	close(p[1]);
	CU_ASSERT_TRUE(fd_is_closed_by_peer(p[0]));
	close(p[0]);
	teardown();

	/* Missing fd without NOFD; fd with NOFD (closed); reserved bits. */
	setup();
	v = 0;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_KICK, 0, &v, 8, NULL, 0), -EPROTO);
	teardown();
	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	v = VHOST_USER_VRING_NOFD_MASK;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_CALL, 0, &v, 8, &p[1], 1), -EPROTO);
	close(p[1]);
	CU_ASSERT_TRUE(fd_is_closed_by_peer(p[0]));
	close(p[0]);
	teardown();
	setup();
	v = 1ULL << 20;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_CALL, 0, &v, 8, NULL, 0), -EPROTO);
	teardown();

	/* A claimed fd stays open: the kick fd belongs to the queue now. */
	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	v = 1;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_KICK, 0, &v, 8, &p[1], 1), 0);
	close(p[1]);
	CU_ASSERT(g_dev.vqs[1].kick_fd >= 0 && g_dev.vqs[1].kicked);
	CU_ASSERT_EQUAL(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CU_ASSERT_FALSE(fd_is_closed_by_peer(p[0]));
	teardown(); /* closes the queue's fd */
	CU_ASSERT_TRUE(fd_is_closed_by_peer(p[0]));
	close(p[0]);
}

static void
test_too_many_fds(void)
{
	int fds[VD_VHOST_MAX_FDS + 1], p[2];
	uint32_t i;

	setup();
	CU_ASSERT_FATAL(pipe(p) == 0);
	for (i = 0; i < VD_COUNTOF(fds); i++) {
		fds[i] = p[1];
	}
	CU_ASSERT_EQUAL(vfe_send(&g_fe, VHOST_USER_GET_FEATURES, 1, NULL, 0, fds, VD_COUNTOF(fds)),
			0);
	close(p[1]);
	CU_ASSERT_EQUAL(vhost_user_recv(&g_conn), -EPROTO);
	vhost_user_msg_reset(&g_conn.msg);
	CU_ASSERT_TRUE(fd_is_closed_by_peer(p[0]));
	close(p[0]);
	teardown();
}

static void
test_feature_gating_and_ack(void)
{
	struct vhost_vring_state st = {.index = 0, .num = 3};
	uint64_t v;

	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_LOG_BASE, 0, NULL, 0, NULL, 0), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_CONFIG, 0, &st, 8, NULL, 0), -EPROTO);
	/* Unoffered protocol features are refused. */
	v = VD_VHOST_PROTOCOL_F_LOG_SHMFD;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), -EPROTO);
	v = VD_VHOST_PROTOCOL_F_MQ | VD_VHOST_PROTOCOL_F_REPLY_ACK;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(g_reply.size, 8);
	CU_ASSERT_EQUAL(*(uint64_t *)g_reply.payload, 4);
	CU_ASSERT(g_reply.flags & VFE_FLAG_REPLY);

	/* REPLY_ACK: success, then failure (which also closes). */
	st.num = 64;
	CU_ASSERT_EQUAL(
		send_deliver(VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY_MASK, &st, 8, NULL, 0),
		0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(*(uint64_t *)g_reply.payload, 0);
	st.num = 3;
	CU_ASSERT_EQUAL(
		send_deliver(VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY_MASK, &st, 8, NULL, 0),
		-EPROTO);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(*(uint64_t *)g_reply.payload, 1);
	teardown();
}

static void
test_vring_validation(void)
{
	struct vhost_vring_state st = {.index = 4, .num = 64};
	struct vhost_vring_addr a = {.index = 0, .flags = 1};

	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_NUM, 0, &st, 8, NULL, 0), -EPROTO);
	st.index = 0;
	st.num = 65536;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_NUM, 0, &st, 8, NULL, 0), -EPROTO);
	st.num = 0;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_NUM, 0, &st, 8, NULL, 0), -EPROTO);
	st.num = 32768;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_NUM, 0, &st, 8, NULL, 0), 0);
	st.num = 65536;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_BASE, 0, &st, 8, NULL, 0), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0),
			-EPROTO);
	st.num = 2;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_ENABLE, 0, &st, 8, NULL, 0), -EPROTO);
	st.num = 1;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_ENABLE, 0, &st, 8, NULL, 0), 0);
	st.num = 77;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_VRING_BASE, 0, &st, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_VRING_BASE, 0, &st, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(((struct vhost_vring_state *)g_reply.payload)->num, 77);
	CU_ASSERT_EQUAL(g_dev.num_queues, 1);
	teardown();
}

static void
test_mem_table(void)
{
	struct vhost_memory_msg m = {.nregions = 2};
	int fd = memfd_create("ut", MFD_CLOEXEC), fds[2] = {fd, fd};
	uint32_t size = 8 + 2 * sizeof(m.regions[0]);

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	m.regions[0] = (struct vhost_mem_region_msg){0, 0x80000, 0x10000000, 0};
	m.regions[1] = (struct vhost_mem_region_msg){0x40000, 0x40000, 0x20000000, 0x80000};
	setup(); /* overlapping gpa */
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size, fds, 2), -EPROTO);
	CU_ASSERT_EQUAL(g_dev.mem.nregions, 0);
	teardown();
	setup(); /* fd count does not match */
	m.regions[1].guest_phys_addr = 0x80000;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size, fds, 1), -EPROTO);
	teardown();
	setup(); /* absurd size */
	m.regions[1].memory_size = 1ULL << 60;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size, fds, 2), -EPROTO);
	teardown();
	setup(); /* beyond the file */
	m.regions[1].memory_size = 0x80001;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size, fds, 2), -EPROTO);
	teardown();
	setup(); /* nregions larger than the message */
	m.regions[1].memory_size = 0x80000;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size - 8, fds, 2), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_MEM_TABLE, 0, &m, size, fds, 2), 0);
	CU_ASSERT_EQUAL(g_dev.mem.nregions, 2);
	CU_ASSERT_PTR_NOT_NULL(vhost_mem_gpa_to_vva(&g_dev.mem, 0x7ffe0, 0x20));
	CU_ASSERT_PTR_NULL(vhost_mem_gpa_to_vva(&g_dev.mem, 0xffff0, 0x20));
	teardown();
	close(fd);
}

static void
test_config_and_custom(void)
{
	struct vhost_config_msg c = {.hdr = {.offset = 0, .size = 16}};
	uint64_t v = VD_VHOST_PROTOCOL_F_CONFIG;
	uint32_t x = 41;

	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), 0);
	c.hdr.offset = 4;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_CONFIG, 0, &c, 12 + 16, NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(g_reply.size, 12 + 16);
	CU_ASSERT_EQUAL(g_reply.payload[12], 4);
	CU_ASSERT_EQUAL(g_reply.payload[12 + 15], 19);
	/* No set_config: refused, connection kept. */
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_CONFIG, 0, &c, 12 + 16, NULL, 0), 0);
	/* Bounds. */
	c.hdr.offset = 250;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_CONFIG, 0, &c, 12 + 16, NULL, 0), -EPROTO);
	c.hdr.offset = 0;
	c.hdr.size = 300;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_CONFIG, 0, &c, 12 + 256, NULL, 0), -EPROTO);
	c.hdr.size = 64;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_CONFIG, 0, &c, 12 + 16, NULL, 0), -EPROTO);
	/* Device-specific request ids. */
	CU_ASSERT_EQUAL(send_deliver(80, 0, &x, 4, NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(g_reply.request, 80);
	CU_ASSERT_EQUAL(*(uint32_t *)g_reply.payload, 42);
	CU_ASSERT_EQUAL(send_deliver(80, 0, &x, 3, NULL, 0), -EPROTO);
	CU_ASSERT_EQUAL(send_deliver(81, 0, &x, 4, NULL, 0), -EPROTO);
	teardown();
}

static bool
fe_has_data(void)
{
	char c;

	return recv(g_fe.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

static void
test_deferred_reply(void)
{
	uint64_t v = VD_VHOST_PROTOCOL_F_REPLY_ACK, first;
	uint32_t x = 7, r = 0xabcd;

	setup();
	g_dev.conn = &g_conn;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), 0);
	/* Pending: nothing sent, not even the ack asked for. */
	CU_ASSERT_EQUAL(send_deliver(90, VFE_FLAG_NEED_REPLY, &x, 4, NULL, 0), 0);
	CU_ASSERT_TRUE(g_conn.reply_pending);
	CU_ASSERT_NOT_EQUAL(g_token, 0);
	CU_ASSERT_FALSE(fe_has_data());
	CU_ASSERT_EQUAL(vhost_user_check_peer(&g_conn), 0);
	/* A wrong token sends nothing. */
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token + 1, &r, 4), -ESTALE);
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, &r, VD_VHOST_MAX_PAYLOAD + 1),
			-EINVAL);
	CU_ASSERT_FALSE(fe_has_data());
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, &r, 4), 0);
	CU_ASSERT_FALSE(g_conn.reply_pending);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(g_reply.request, 90);
	CU_ASSERT_EQUAL(g_reply.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	CU_ASSERT_EQUAL(g_reply.size, 4);
	CU_ASSERT_EQUAL(*(uint32_t *)g_reply.payload, 0xabcd);
	/* Replied once: the same token is stale now. */
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, &r, 4), -ESTALE);
	CU_ASSERT_FALSE(fe_has_data());
	/* Tokens are unique: the next pending message gets a new one; a 0-byte reply. */
	first = g_token;
	CU_ASSERT_EQUAL(send_deliver(90, 0, &x, 4, NULL, 0), 0);
	CU_ASSERT_NOT_EQUAL(g_token, first);
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, first, &r, 4), -ESTALE);
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT_EQUAL(g_reply.size, 0);
	/* The front-end leaves while a reply is pending: the peer check sees it. */
	CU_ASSERT_EQUAL(send_deliver(90, 0, &x, 4, NULL, 0), 0);
	vfe_close(&g_fe);
	CU_ASSERT_EQUAL(vhost_user_check_peer(&g_conn), -ECONNRESET);
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, &r, 4), -ENOTCONN);
	/* No connection: nothing can be sent. */
	g_dev.conn = NULL;
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(&g_dev, g_token, &r, 4), -ENOTCONN);
	teardown();
}

static void
test_inflight_msgs(void)
{
	struct vhost_inflight_msg in = {.num_queues = 2, .queue_size = 128};
	uint64_t v = VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD;
	int fd;

	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_INFLIGHT_FD, 0, &in, sizeof(in), NULL, 0),
			-EPROTO);
	teardown();
	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_GET_INFLIGHT_FD, 0, &in, sizeof(in), NULL, 0), 0);
	CU_ASSERT_EQUAL(vfe_recv(&g_fe, &g_reply, 1000), 0);
	CU_ASSERT(g_reply.fd >= 0);
	memcpy(&in, g_reply.payload, sizeof(in));
	CU_ASSERT_EQUAL(in.mmap_size, 2 * vhost_inflight_queue_stride(128));
	fd = g_reply.fd;
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_INFLIGHT_FD, 0, &in, sizeof(in), NULL, 0),
			-EPROTO);
	teardown();
	setup();
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0), 0);
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_INFLIGHT_FD, 0, &in, sizeof(in), &fd, 1), 0);
	CU_ASSERT_PTR_NOT_NULL(g_dev.inflight.addr);
	in.mmap_size *= 4; /* larger than the file */
	CU_ASSERT_EQUAL(send_deliver(VHOST_USER_SET_INFLIGHT_FD, 0, &in, sizeof(in), &fd, 1),
			-EPROTO);
	teardown();
	close(fd);
}

int
main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("vhost_user", NULL, NULL);
	CU_ADD_TEST(suite, test_partial_message);
	CU_ADD_TEST(suite, test_unknown_requests);
	CU_ADD_TEST(suite, test_sizes_and_fds);
	CU_ADD_TEST(suite, test_too_many_fds);
	CU_ADD_TEST(suite, test_feature_gating_and_ack);
	CU_ADD_TEST(suite, test_vring_validation);
	CU_ADD_TEST(suite, test_mem_table);
	CU_ADD_TEST(suite, test_config_and_custom);
	CU_ADD_TEST(suite, test_deferred_reply);
	CU_ADD_TEST(suite, test_inflight_msgs);
	return ut_run(suite);
}
