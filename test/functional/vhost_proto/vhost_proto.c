/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user protocol tests against the real lib/vhost on real reactors (vd_app_start).
 *
 * Two "echo" devices (echo0, echo1) run a trivial device: every request is completed at once by
 * writing status byte 0 into the last byte of its last writable segment (used length 1), or
 * with used length 0 when it has no writable segment.  A client pthread fuzzes echo0 with the raw
 * front-end (test/harness) and after every case checks that echo1 and a fresh echo0 connection
 * still work.  Prints "TEST-RESULT: PASS|FAIL <name>" per case; exit status 1 on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd/vhost.h"
#include "vhost_frontend.h"

#define ECHO_QUEUES 2
#define ECHO_BATCH 32
#define ECHO_IOVS 64
#define QSIZE 64
#define MEM_SIZE (4u << 20)

struct echo_vq {
	struct vd_vhost_vq *vq;
	struct vd_poller *poller;
	struct vd_vhost_req reqs[ECHO_BATCH];
	struct vd_vhost_req *preqs[ECHO_BATCH];
	struct iovec iovs[ECHO_BATCH][ECHO_IOVS];
};

struct echo_dev {
	struct vd_vhost_dev *dev;
	struct echo_vq vqs[ECHO_QUEUES];
};

static struct echo_dev g_echo[2];
static char g_dir[64];
static char g_path[2][128];
static int g_failures;
static int g_unregistered;
static struct vd_thread *g_app_thread;

/* Device ----------------------------------------------------------------------------------- */

static int
echo_poll(void *arg)
{
	struct echo_vq *ev = arg;
	struct vd_vhost_req *r;
	int n, i;

	n = vd_vhost_vq_dequeue(ev->vq, ev->preqs, ECHO_BATCH);
	for (i = 0; i < n; i++) {
		r = ev->preqs[i];
		if (r->iovcnt > r->num_readable) {
			struct iovec *last = &r->iovs[r->iovcnt - 1];

			((uint8_t *)last->iov_base)[last->iov_len - 1] = 0;
			vd_vhost_vq_complete(ev->vq, r->head, 1);
		} else {
			vd_vhost_vq_complete(ev->vq, r->head, 0);
		}
	}
	vd_vhost_vq_flush(ev->vq);
	return n > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static void
echo_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct echo_dev *ed = vd_vhost_dev_get_ctx(dev);
	struct echo_vq *ev;
	uint16_t i, j;

	for (i = 0; i < ECHO_QUEUES; i++) {
		ev = &ed->vqs[i];
		ev->vq = vd_vhost_dev_get_vq(dev, i);
		if (ev->vq == NULL) {
			continue;
		}
		for (j = 0; j < ECHO_BATCH; j++) {
			ev->reqs[j].iovs = ev->iovs[j];
			ev->reqs[j].max_iovs = ECHO_IOVS;
			ev->preqs[j] = &ev->reqs[j];
		}
		ev->poller = vd_poller_register(echo_poll, ev, 0, "echo_poll");
	}
	done(dev, 0);
}

static void
echo_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	struct echo_dev *ed = vd_vhost_dev_get_ctx(dev);
	uint16_t i;

	/* Every request is completed inside the poll, so nothing is outstanding here. */
	for (i = 0; i < ECHO_QUEUES; i++) {
		vd_poller_unregister(&ed->vqs[i].poller);
		ed->vqs[i].vq = NULL;
	}
	done(dev, 0);
}

static int
echo_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t offset, uint32_t len)
{
	uint32_t i;

	if (offset + len > 64) {
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		buf[i] = (uint8_t)(0xa0 + offset + i);
	}
	return 0;
}

static const struct vd_vhost_dev_ops g_echo_ops = {
	.type = "echo",
	.max_queues = ECHO_QUEUES,
	.get_config = echo_get_config,
	.start = echo_start,
	.stop = echo_stop,
};

/* Client helpers --------------------------------------------------------------------------- */

static void
result(bool ok, const char *name)
{
	printf("TEST-RESULT: %s %s\n", ok ? "PASS" : "FAIL", name);
	fflush(stdout);
	if (!ok) {
		g_failures++;
	}
}

/* One request: 16 readable bytes, 512 writable bytes, 1 status byte.  true if served. */
static bool
echo_request(struct vfe *fe, uint16_t q)
{
	uint64_t buf = vfe_alloc(fe, 1024, 64);
	uint8_t *status = vfe_gpa(fe, buf + 600);
	struct vfe_desc d[3] = {
		{buf, 16, 0, 0},
		{buf + 64, 512, VFE_DESC_F_WRITE, 0},
		{buf + 600, 1, VFE_DESC_F_WRITE, 0},
	};
	struct vfe_used_elem e;
	uint16_t head;

	*status = 0xff;
	head = vfe_vring_put_chain(fe, q, d, 3);
	vfe_vring_publish(fe, q, head);
	if (vfe_vring_wait_used(fe, q, &e, 2000) != 0) {
		return false;
	}
	return e.id == head && e.len == 1 && *status == 0;
}

static bool
good_session(const char *path)
{
	struct vfe fe;
	uint64_t nq = 0;
	bool ok;
	int i;

	if (vfe_connect(&fe, path, 2000) != 0) {
		return false;
	}
	ok = vfe_bringup(&fe, MEM_SIZE, ECHO_QUEUES, QSIZE) == 0 &&
	     vfe_get_u64(&fe, VHOST_USER_GET_QUEUE_NUM, &nq) == 0 && nq == ECHO_QUEUES;
	for (i = 0; ok && i < 8; i++) {
		ok = echo_request(&fe, (uint16_t)(i % ECHO_QUEUES));
	}
	vfe_close(&fe);
	return ok;
}

/* After a bad case on echo0: echo1 and a fresh echo0 connection must both work. */
static void
check_alive(const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s_then_other_device_ok", name);
	result(good_session(g_path[1]), buf);
	snprintf(buf, sizeof(buf), "%s_then_reconnect_ok", name);
	result(good_session(g_path[0]), buf);
}

/* Send one bad message after negotiation; the back-end must close the connection. */
static void
bad_msg(const char *name, uint64_t proto, uint32_t req, const void *p, uint32_t size,
	const int *fds, uint32_t nfds)
{
	struct vfe fe;
	bool ok;

	ok = vfe_connect(&fe, g_path[0], 2000) == 0 && vfe_negotiate(&fe, ~0ULL, proto) == 0 &&
	     vfe_send(&fe, req, VFE_FLAG_VERSION, p, size, fds, nfds) == 0 &&
	     vfe_wait_closed(&fe, 3000);
	vfe_close(&fe);
	result(ok, name);
	check_alive(name);
}

static void
test_bad_messages(void)
{
	struct {
		uint32_t index, num;
	} st = {0, QSIZE};
	uint8_t big[512] = {0};
	struct {
		uint32_t n, pad;
		struct vfe_mem_region r[9];
	} mt = {0};
	int mfd = memfd_create("t", 0), fds[9], p[2];
	uint64_t v = 0;
	uint32_t i;

	if (mfd < 0 || ftruncate(mfd, 1 << 20) != 0 || pipe(p) != 0) {
		result(false, "bad_messages_setup");
		return;
	}
	bad_msg("unknown_request_0", ~0ULL, 0, NULL, 0, NULL, 0);
	bad_msg("unknown_request_50", ~0ULL, 50, NULL, 0, NULL, 0);
	bad_msg("unknown_request_huge", ~0ULL, 0xffffffffu, NULL, 0, NULL, 0);
	bad_msg("wrong_size_set_features", ~0ULL, VHOST_USER_SET_FEATURES, &v, 4, NULL, 0);
	bad_msg("wrong_size_vring_addr", ~0ULL, VHOST_USER_SET_VRING_ADDR, &v, 8, NULL, 0);
	bad_msg("missing_fd_kick", ~0ULL, VHOST_USER_SET_VRING_KICK, &v, 8, NULL, 0);
	fds[0] = fds[1] = p[1];
	bad_msg("extra_fds", ~0ULL, VHOST_USER_GET_FEATURES, NULL, 0, fds, 2);
	close(p[1]);
	result(read(p[0], &v, 1) == 0, "extra_fds_closed_by_backend");
	close(p[0]);
	bad_msg("log_base_not_negotiated", ~0ULL, VHOST_USER_SET_LOG_BASE, &v, 8, NULL, 0);
	bad_msg("queue_num_without_mq", 0, VHOST_USER_GET_QUEUE_NUM, NULL, 0, NULL, 0);
	for (i = 0; i < 9; i++) {
		fds[i] = mfd;
		mt.r[i] =
			(struct vfe_mem_region){i * 0x10000, 0x10000, 0x10000000 + i * 0x10000, 0};
	}
	mt.n = 2;
	mt.r[1].gpa = 0x8000;
	bad_msg("mem_overlap", ~0ULL, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 2 * 32, fds, 2);
	mt.r[1].gpa = 0x10000;
	mt.r[1].size = 1ULL << 60;
	bad_msg("mem_absurd_size", ~0ULL, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 2 * 32, fds, 2);
	mt.r[1].size = 0;
	bad_msg("mem_zero_size", ~0ULL, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 2 * 32, fds, 2);
	mt.r[1].size = 2 << 20;
	bad_msg("mem_beyond_file", ~0ULL, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 2 * 32, fds, 2);
	mt.r[1].size = 0x10000;
	mt.n = 9;
	bad_msg("mem_too_many_regions", ~0ULL, VHOST_USER_SET_MEM_TABLE, &mt, 8 + 9 * 32, fds, 8);
	st.index = ECHO_QUEUES;
	bad_msg("vring_index_out_of_range", ~0ULL, VHOST_USER_SET_VRING_NUM, &st, 8, NULL, 0);
	st.index = 0;
	st.num = 3;
	bad_msg("vring_size_not_pow2", ~0ULL, VHOST_USER_SET_VRING_NUM, &st, 8, NULL, 0);
	st.num = 65536;
	bad_msg("vring_size_too_big", ~0ULL, VHOST_USER_SET_VRING_NUM, &st, 8, NULL, 0);
	memset(big, 0, sizeof(big));
	((uint32_t *)big)[1] = 300;
	bad_msg("config_too_big", ~0ULL, VHOST_USER_GET_CONFIG, big, 12 + 256, NULL, 0);
	close(mfd);
}

static void
test_partial_message(void)
{
	uint32_t hdr[3] = {VHOST_USER_GET_FEATURES, VFE_FLAG_VERSION, 0};
	struct vfe_msg *m = calloc(1, sizeof(*m));
	struct vfe fe;
	bool ok;

	ok = m != NULL && vfe_connect(&fe, g_path[0], 2000) == 0 &&
	     vfe_send_bytes(&fe, hdr, 5) == 0;
	/* The reactor is not blocked by the half message. */
	result(ok && good_session(g_path[1]), "partial_message_does_not_block");
	ok = ok && vfe_send_bytes(&fe, (uint8_t *)hdr + 5, 7) == 0 && vfe_recv(&fe, m, 2000) == 0 &&
	     m->size == 8;
	result(ok, "partial_message_completed");
	vfe_close(&fe);
	free(m);
}

/* Data-path fuzzing on one connection: bad chains fail alone, the ring keeps working. */
static bool
expect_failed_chain(struct vfe *fe, uint16_t head, uint8_t *status)
{
	struct vfe_used_elem e;

	vfe_vring_publish(fe, 0, head);
	return vfe_vring_wait_used(fe, 0, &e, 2000) == 0 && e.id == head && e.len == 0 &&
	       (status == NULL || *status == 0xff) && echo_request(fe, 0);
}

static void
test_bad_chains(void)
{
	struct vfe fe;
	uint64_t buf, tbl;
	uint8_t *status;
	struct vfe_desc *t;
	uint16_t head;
	bool ok;

	ok = vfe_connect(&fe, g_path[0], 2000) == 0 && vfe_bringup(&fe, MEM_SIZE, 1, QSIZE) == 0;
	result(ok && echo_request(&fe, 0), "chains_bringup");
	if (!ok) {
		vfe_close(&fe);
		return;
	}
	buf = vfe_alloc(&fe, 4096, 64);
	status = vfe_gpa(&fe, buf + 100);
	*status = 0xff;
	{
		struct vfe_desc d[2] = {{buf, 16, 0, 0}, {MEM_SIZE + 4096, 1, VFE_DESC_F_WRITE, 0}};

		head = vfe_vring_put_chain(&fe, 0, d, 2);
		result(expect_failed_chain(&fe, head, status), "desc_outside_memory");
	}
	{
		struct vfe_desc d[2] = {{buf, 16, 0, 0}, {buf + 100, 1, VFE_DESC_F_WRITE, 0}};

		head = vfe_vring_put_chain(&fe, 0, d, 2);
		fe.vq[0].desc[(head + 1) % QSIZE].flags |= VFE_DESC_F_NEXT;
		fe.vq[0].desc[(head + 1) % QSIZE].next = head; /* loop back */
		result(expect_failed_chain(&fe, head, status), "desc_loop");
	}
	{
		struct vfe_desc d[1] = {{buf, 16, 0, 0}};

		head = vfe_vring_put_chain(&fe, 0, d, 1);
		result(expect_failed_chain(&fe, head, NULL), "status_buffer_read_only");
	}
	tbl = vfe_alloc(&fe, 64, 16);
	t = vfe_gpa(&fe, tbl);
	t[0] = (struct vfe_desc){buf, 16, VFE_DESC_F_NEXT, 1};
	t[1] = (struct vfe_desc){buf + 100, 1, VFE_DESC_F_WRITE | VFE_DESC_F_NEXT, 0};
	{
		struct vfe_desc d[1] = {{tbl, 32, VFE_DESC_F_INDIRECT, 0}};

		head = vfe_vring_put_chain(&fe, 0, d, 1);
		result(expect_failed_chain(&fe, head, status), "indirect_loop_overlong");
	}
	result(expect_failed_chain(&fe, QSIZE + 5, NULL), "head_out_of_range");
	/* avail idx jumps by more than the queue size: queue stops, connection can be redone. */
	vfe_vring_set_avail_idx(&fe, 0, (uint16_t)(fe.vq[0].avail_idx + QSIZE + 1));
	usleep(100000);
	result(!echo_request(&fe, 0), "avail_idx_jump_stops_queue");
	vfe_close(&fe);
	check_alive("bad_chains");
}

static void
test_misc(void)
{
	struct {
		uint64_t size, offset;
		uint16_t nq, qs;
	} in = {0, 0, ECHO_QUEUES, QSIZE};
	struct {
		uint32_t offset, size, flags;
		uint8_t data[16];
	} cfg = {8, 16, 0, {0}};
	struct vfe_msg *m = calloc(1, sizeof(*m));
	uint64_t slots = 0;
	struct vfe fe;
	bool ok;

	ok = m != NULL && vfe_connect(&fe, g_path[0], 2000) == 0 &&
	     vfe_bringup(&fe, MEM_SIZE, 1, QSIZE) == 0;
	ok = ok &&
	     vfe_send(&fe, VHOST_USER_GET_CONFIG, VFE_FLAG_VERSION, &cfg, sizeof(cfg), NULL, 0) ==
		     0 &&
	     vfe_recv(&fe, m, 2000) == 0 && m->size == 28 && m->payload[12] == 0xa8;
	result(ok, "get_config");
	ok = ok && vfe_get_u64(&fe, VHOST_USER_GET_MAX_MEM_SLOTS, &slots) == 0 && slots >= 32;
	result(ok, "get_max_mem_slots");
	ok = ok &&
	     vfe_send(&fe, VHOST_USER_GET_INFLIGHT_FD, VFE_FLAG_VERSION, &in, sizeof(in), NULL,
		      0) == 0 &&
	     vfe_recv(&fe, m, 2000) == 0 && m->fd >= 0 && m->size == 24;
	if (m != NULL && m->fd >= 0) {
		close(m->fd);
	}
	result(ok, "get_inflight_fd");
	ok = ok && echo_request(&fe, 0);
	result(ok, "request_after_misc");
	vfe_close(&fe);
	free(m);
}

/* GET_VRING_BASE on a running queue stops it and returns the last avail index. */
static bool
vring_base(struct vfe *fe, uint16_t q, uint32_t *num)
{
	struct {
		uint32_t index, num;
	} st = {q, 0};
	struct vfe_msg *m = calloc(1, sizeof(*m));
	bool ok;

	ok = m != NULL &&
	     vfe_send(fe, VHOST_USER_GET_VRING_BASE, VFE_FLAG_VERSION, &st, 8, NULL, 0) == 0 &&
	     vfe_recv(fe, m, 2000) == 0 && m->size == 8;
	if (ok) {
		memcpy(&st, m->payload, 8);
		*num = st.num;
	}
	free(m);
	return ok;
}

static bool
restart_ring(struct vfe *fe, uint16_t q, uint32_t base)
{
	struct {
		uint32_t index, num;
	} st = {q, base};
	uint64_t v = q;

	return vfe_set(fe, VHOST_USER_SET_VRING_BASE, &st, 8, NULL, 0) == 0 &&
	       vfe_set(fe, VHOST_USER_SET_VRING_KICK, &v, 8, &fe->vq[q].kick_fd, 1) == 0;
}

/*
 * Inflight resubmission: the front-end marks a head inflight in the region as a crashed
 * back-end would have left it, with the avail entry already consumed; after the ring restarts
 * that head is processed exactly once before new entries.
 */
static void
test_inflight_and_base(void)
{
	struct {
		uint64_t size, offset;
		uint16_t nq, qs;
	} in = {0, 0, 1, QSIZE};
	struct vfe_msg *m = calloc(1, sizeof(*m));
	uint8_t *region = MAP_FAILED, *status;
	struct vfe_used_elem e;
	uint32_t base = 0, i;
	uint64_t buf;
	uint16_t head, used;
	struct vfe fe;
	int ifd = -1;
	bool ok;

	ok = m != NULL && vfe_connect(&fe, g_path[0], 2000) == 0 &&
	     vfe_bringup(&fe, MEM_SIZE, 1, QSIZE) == 0 &&
	     vfe_send(&fe, VHOST_USER_GET_INFLIGHT_FD, VFE_FLAG_VERSION, &in, sizeof(in), NULL,
		      0) == 0 &&
	     vfe_recv(&fe, m, 2000) == 0 && m->fd >= 0;
	if (ok) {
		ifd = m->fd;
		memcpy(&in, m->payload, sizeof(in));
		ok = vfe_set(&fe, VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in), &ifd, 1) == 0;
		region = mmap(NULL, in.size, PROT_READ | PROT_WRITE, MAP_SHARED, ifd, 0);
		ok = ok && region != MAP_FAILED;
	}
	for (i = 0; ok && i < 5; i++) {
		ok = echo_request(&fe, 0);
	}
	ok = ok && vring_base(&fe, 0, &base) && base == 5;
	result(ok, "get_vring_base_stops_running_queue");
	if (!ok) {
		goto out;
	}
	/* Head H was fetched (avail idx 6) but never completed before the "crash". */
	buf = vfe_alloc(&fe, 1024, 64);
	status = vfe_gpa(&fe, buf + 600);
	*status = 0xff;
	{
		struct vfe_desc d[2] = {{buf, 16, 0, 0}, {buf + 600, 1, VFE_DESC_F_WRITE, 0}};

		head = vfe_vring_put_chain(&fe, 0, d, 2);
	}
	fe.vq[0].avail[2 + (fe.vq[0].avail_idx & (QSIZE - 1))] = head;
	vfe_vring_set_avail_idx(&fe, 0, (uint16_t)(fe.vq[0].avail_idx + 1));
	region[16 + 16 * head] = 1;				   /* inflight */
	memcpy(region + 16 + 16 * head + 8, &(uint64_t){1000}, 8); /* counter */
	ok = restart_ring(&fe, 0, 5) && vfe_vring_wait_used(&fe, 0, &e, 2000) == 0 &&
	     e.id == head && e.len == 1 && *status == 0 && region[16 + 16 * head] == 0;
	result(ok, "inflight_head_resubmitted");
	usleep(50000);
	used = vfe_vring_used_idx(&fe, 0);
	result(ok && used == 6, "inflight_head_completed_once");
	result(ok && echo_request(&fe, 0) && vfe_vring_used_idx(&fe, 0) == 7,
	       "inflight_then_new_requests");
out:
	if (region != MAP_FAILED) {
		munmap(region, in.size);
	}
	if (ifd >= 0) {
		close(ifd);
	}
	vfe_close(&fe);
	free(m);
}

/* Orchestration ---------------------------------------------------------------------------- */

static void
unregistered(void *arg)
{
	__atomic_add_fetch(&g_unregistered, 1, __ATOMIC_SEQ_CST);
}

static void
app_stop(void *arg)
{
	rmdir(g_dir);
	vd_app_stop(g_failures != 0 ? 1 : 0);
}

static void
send_app(vd_msg_fn fn)
{
	while (vd_thread_send_msg(g_app_thread, fn, NULL) != 0) {
		usleep(1000);
	}
}

static void
unregister_all(void *arg)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (vd_vhost_dev_unregister(g_echo[i].dev, unregistered, NULL) != 0) {
			unregistered(NULL);
		}
	}
}

/* Deleting devices while a front-end is connected with a running queue. */
static void
test_unregister_while_running(void)
{
	struct vfe fe;
	bool ok;
	int i;

	ok = vfe_connect(&fe, g_path[0], 2000) == 0 && vfe_bringup(&fe, MEM_SIZE, 2, QSIZE) == 0 &&
	     echo_request(&fe, 0) && echo_request(&fe, 1);
	send_app(unregister_all);
	ok = ok && vfe_wait_closed(&fe, 3000);
	for (i = 0; i < 300 && __atomic_load_n(&g_unregistered, __ATOMIC_SEQ_CST) < 2; i++) {
		usleep(10000);
	}
	result(ok && g_unregistered == 2 && access(g_path[0], F_OK) != 0,
	       "unregister_while_running");
	vfe_close(&fe);
}

static void *
client(void *arg)
{
	result(good_session(g_path[0]), "good_session_echo0");
	result(good_session(g_path[1]), "good_session_echo1");
	result(good_session(g_path[0]), "reconnect_echo0");
	test_partial_message();
	test_bad_messages();
	test_bad_chains();
	test_misc();
	test_inflight_and_base();
	test_unregister_while_running();
	send_app(app_stop);
	return NULL;
}

static void
app_started(void *ctx)
{
	struct vd_cpuset mask;
	pthread_t tid;
	int i, rc;

	vd_vhost_init();
	g_app_thread = vd_get_thread();
	vd_cpuset_zero(&mask);
	vd_cpuset_set_cpu(&mask, *(uint32_t *)ctx, true);
	for (i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "echo%d", i);
		snprintf(g_path[i], sizeof(g_path[i]), "%s/%s", g_dir, name);
		rc = vd_vhost_dev_register(name, g_dir, &g_echo_ops, &g_echo[i], &mask,
					   &g_echo[i].dev);
		if (rc != 0) {
			result(false, "register");
			vd_app_stop(1);
			return;
		}
	}
	if (pthread_create(&tid, NULL, client, NULL) != 0) {
		vd_app_stop(1);
		return;
	}
	pthread_detach(tid);
}

int
main(void)
{
	struct vd_app_opts opts;
	uint32_t data_core;
	int rc;

	snprintf(g_dir, sizeof(g_dir), "/tmp/vhost_proto.XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	vd_app_opts_init(&opts);
	opts.name = "vhost_proto";
	opts.no_huge = true;
	opts.mem_size_mb = 64;
	opts.rpc_addr = NULL;
	/* Data threads on a second core when there is one: control and data on different cores. */
	data_core = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
	opts.reactor_mask = data_core == 1 ? "0x3" : "0x1";
	rc = vd_app_start(&opts, app_started, &data_core);
	vd_app_fini();
	if (rc != 0 || g_failures != 0) {
		fprintf(stderr, "vhost_proto: rc %d, %d failures\n", rc, g_failures);
		return 1;
	}
	return 0;
}
