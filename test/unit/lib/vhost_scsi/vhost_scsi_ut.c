/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of lib/vhost_scsi (vhost_scsi.c, vhost_scsi_io.c) with a fake lib/vhost (one
 * device; queues fed from prepared descriptor chains, used elements recorded), the real lib/scsi
 * over the fake bdev (test/common/ut_bdev.h) and fake threads (thread 0 = control, thread 1 =
 * the controller's data thread).  Covers target add/remove and their errors, the request path
 * (response codes, zero copy, used lengths), task management, the event queue (delivery,
 * backlog, overflow, unnegotiated features, garbage buffers), bdev hot-remove, stop waiting for
 * in-flight commands, and controller deletion.
 */

#include <CUnit/Basic.h>

#include "vhost_scsi/scsi_proto.c"
#include "vhost_scsi/vhost_scsi.c"
#include "vhost_scsi/vhost_scsi_io.c"

#include "ut_thread.h"
#include "ut_bdev.h"

#define UT_BS 512u
#define UT_BLOCKS 256u

/* Stubs of lib/event and vhost_scsi_rpc.c ------------------------------------------------- */

static int g_fini_done;

void
vd_subsystem_init_next(int rc)
{
}

void
vd_subsystem_fini_next(void)
{
	g_fini_done++;
}

void
vscsi_write_config_json(struct json_object *config)
{
}

/* Fake vhost ---------------------------------------------------------------------------- */

struct fake_chain {
	int n, nr;
	struct iovec iov[8];
};

struct vd_vhost_vq {
	uint16_t idx, size;
	bool running;
	void *ctx;
	struct fake_chain avail[64];
	int navail, next;
	uint16_t used_head[256];
	uint32_t used_len[256];
	int nused, flushed;
};

struct vd_vhost_dev {
	void *ctx;
	struct vd_vhost_vq vq[4];
	uint64_t features;
	bool started;
	int done_rc, done_calls;
};

static struct vd_vhost_dev g_dev;
static bool g_dev_registered;
static int g_register_rc;

void
vd_vhost_init(void)
{
}

const char *
vd_vhost_get_sock_dir(void)
{
	return ".";
}

int
vd_vhost_dev_register(const char *name, const char *sock_dir, const struct vd_vhost_dev_ops *ops,
		      void *ctx, const struct vd_cpuset *cpumask, struct vd_vhost_dev **dev)
{
	uint16_t i;

	if (g_register_rc != 0) {
		return g_register_rc;
	}
	if (g_dev_registered) {
		return -EEXIST;
	}
	memset(&g_dev, 0, sizeof(g_dev));
	g_dev.ctx = ctx;
	for (i = 0; i < 4; i++) {
		g_dev.vq[i].idx = i;
		g_dev.vq[i].size = 64;
	}
	g_dev.features = ops->features;
	g_dev_registered = true;
	*dev = &g_dev;
	return 0;
}

static void
dev_done(struct vd_vhost_dev *dev, int rc)
{
	dev->done_rc = rc;
	dev->done_calls++;
}

static void
ut_dev_start(void)
{
	struct vscsi_ctrlr *c = g_dev.ctx;
	int i;

	for (i = 0; i < 4; i++) {
		g_dev.vq[i].running = true;
	}
	/* lib/vhost reports the connection before the first start. */
	c->ops.connected(&g_dev);
	ut_poll_all();
	g_dev.done_calls = 0;
	ut_set_thread(1);
	c->ops.start(&g_dev, dev_done);
	ut_set_thread(0);
	CU_ASSERT(g_dev.done_calls == 1 && g_dev.done_rc == 0);
	g_dev.started = true;
}

/* Stop; \return whether it finished (it waits for in-flight commands). */
static bool
ut_dev_stop(void)
{
	struct vscsi_ctrlr *c = g_dev.ctx;

	g_dev.done_calls = 0;
	ut_set_thread(1);
	c->ops.stop(&g_dev, dev_done);
	ut_set_thread(0);
	return g_dev.done_calls == 1;
}

static void
unregister_msg(void *arg)
{
	void **a = arg;
	vd_vhost_unregister_cb cb = (vd_vhost_unregister_cb)a[0];
	void *cb_arg = a[1];

	free(a);
	if (g_dev.started) {
		CU_ASSERT_FATAL(ut_dev_stop()); /* the tests complete I/O first */
		g_dev.started = false;
	}
	g_dev_registered = false;
	cb(cb_arg);
}

int
vd_vhost_dev_unregister(struct vd_vhost_dev *dev, vd_vhost_unregister_cb cb, void *cb_arg)
{
	void **a = malloc(2 * sizeof(void *));

	a[0] = (void *)cb;
	a[1] = cb_arg;
	return vd_thread_send_msg(ut_thread(0), unregister_msg, a);
}

struct vd_vhost_dev *
vd_vhost_dev_find(const char *name)
{
	return NULL;
}

void *
vd_vhost_dev_get_ctx(const struct vd_vhost_dev *dev)
{
	return dev->ctx;
}

struct vd_thread *
vd_vhost_dev_get_thread(const struct vd_vhost_dev *dev)
{
	return ut_thread(1);
}

const char *
vd_vhost_dev_get_socket_path(const struct vd_vhost_dev *dev)
{
	return "/fake/sock";
}

uint64_t
vd_vhost_dev_get_features(const struct vd_vhost_dev *dev)
{
	return dev->features;
}

struct vd_vhost_vq *
vd_vhost_dev_get_vq(struct vd_vhost_dev *dev, uint16_t idx)
{
	return idx < 4 && dev->vq[idx].running ? &dev->vq[idx] : NULL;
}

int
vd_vhost_vq_dequeue(struct vd_vhost_vq *vq, struct vd_vhost_req **reqs, uint16_t n)
{
	int got = 0, i;

	while (got < n && vq->next < vq->navail) {
		struct fake_chain *fc = &vq->avail[vq->next];
		struct vd_vhost_req *r = reqs[got];

		r->head = (uint16_t)vq->next;
		r->iovcnt = (uint16_t)fc->n;
		r->num_readable = (uint16_t)fc->nr;
		r->read_len = 0;
		r->write_len = 0;
		for (i = 0; i < fc->n; i++) {
			r->iovs[i] = fc->iov[i];
			if (i < fc->nr) {
				r->read_len += (uint32_t)fc->iov[i].iov_len;
			} else {
				r->write_len += (uint32_t)fc->iov[i].iov_len;
			}
		}
		vq->next++;
		got++;
	}
	return got;
}

void
vd_vhost_vq_complete(struct vd_vhost_vq *vq, uint16_t head, uint32_t used_len)
{
	vq->used_head[vq->nused] = head;
	vq->used_len[vq->nused] = used_len;
	vq->nused++;
}

void
vd_vhost_vq_flush(struct vd_vhost_vq *vq)
{
	vq->flushed = vq->nused;
}

uint16_t
vd_vhost_vq_get_index(const struct vd_vhost_vq *vq)
{
	return vq->idx;
}

uint16_t
vd_vhost_vq_get_size(const struct vd_vhost_vq *vq)
{
	return vq->size;
}

void
vd_vhost_vq_set_ctx(struct vd_vhost_vq *vq, void *ctx)
{
	vq->ctx = ctx;
}

/* Helpers ------------------------------------------------------------------------------- */

static struct ut_bdev *g_ub[10];
static int g_cb_rc;
static int g_cb_calls;

static void
ut_cb(void *arg, int rc)
{
	g_cb_rc = rc;
	g_cb_calls++;
}

/* Poll, and complete fake bdev I/O on the data thread, until nothing moves. */
static void
ut_drive(void)
{
	int i, idle = 0;
	uint32_t done;

	for (i = 0; i < 200 && idle < 3; i++) {
		ut_time_advance_us(1000);
		ut_poll_all();
		ut_set_thread(1);
		done = ut_bdev_complete_all();
		ut_set_thread(0);
		idle = done == 0 && g_ut_bdev_ctl.pending == 0 ? idle + 1 : 0;
	}
}

static void
ut_add_target(int target, const char *bdev, int want)
{
	g_cb_calls = 0;
	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_add_target("vs", target, bdev, ut_cb, NULL), 0);
	ut_drive();
	CU_ASSERT_EQUAL(g_cb_calls, 1);
	CU_ASSERT_EQUAL(g_cb_rc, want);
}

static void
ut_remove_target(uint32_t target)
{
	g_cb_calls = 0;
	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_remove_target("vs", target, ut_cb, NULL), 0);
	ut_drive();
	CU_ASSERT(g_cb_calls == 1 && g_cb_rc == 0);
}

static void
ut_delete(void)
{
	g_cb_calls = 0;
	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_delete("vs", ut_cb, NULL), 0);
	ut_drive();
	CU_ASSERT(g_cb_calls == 1 && g_cb_rc == 0);
	CU_ASSERT(!g_dev_registered);
	CU_ASSERT(vscsi_ctrlr_find("vs") == NULL);
}

/* Guest memory of the request helpers. */
static uint8_t g_hdr[64], g_data[8192];
static struct virtio_scsi_cmd_resp g_resp;

static struct vd_vhost_vq *
vq(int idx)
{
	return &g_dev.vq[idx];
}

static void
push(int q, const struct iovec *iov, int n, int nr)
{
	struct fake_chain *fc = &vq(q)->avail[vq(q)->navail++];

	memcpy(fc->iov, iov, n * sizeof(*iov));
	fc->n = n;
	fc->nr = nr;
}

/* Queue a command for target/lun with data-in (in > 0) or data-out (out > 0) of g_data. */
static void
push_cmd(uint8_t target, uint32_t lun, uint64_t tag, const uint8_t *cdb, uint32_t in, uint32_t out)
{
	struct virtio_scsi_cmd_req *r = (struct virtio_scsi_cmd_req *)g_hdr;
	struct iovec iov[3];
	int n = 0;

	memset(r, 0, sizeof(*r));
	vscsi_lun_make(r->lun, target, lun);
	r->tag = tag;
	memcpy(r->cdb, cdb, 16);
	memset(&g_resp, 0xee, sizeof(g_resp));
	iov[n++] = (struct iovec){g_hdr, sizeof(*r)};
	if (out > 0) {
		iov[n++] = (struct iovec){g_data, out};
	}
	iov[n++] = (struct iovec){&g_resp, sizeof(g_resp)};
	if (in > 0) {
		iov[n++] = (struct iovec){g_data, in};
	}
	push(2, iov, n, out > 0 ? 2 : 1);
}

static uint32_t
last_used_len(int q)
{
	CU_ASSERT_FATAL(vq(q)->nused > 0);
	return vq(q)->used_len[vq(q)->nused - 1];
}

static const uint8_t CDB_READ10_LBA1[16] = {0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0};
static const uint8_t CDB_WRITE10_LBA2[16] = {0x2a, 0, 0, 0, 0, 2, 0, 0, 1, 0};
static const uint8_t CDB_INQUIRY[16] = {0x12, 0, 0, 0, 96, 0};
static const uint8_t CDB_TUR[16] = {0};

/* Fixture: controller "vs" with target 0 on ut0, started with queues 0..3, HOTPLUG+CHANGE. */
static void
ut_setup(void)
{
	memset(&g_ut_bdev_ctl, 0, sizeof(g_ut_bdev_ctl));
	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_create("vs", NULL), 0);
	ut_add_target(0, "ut0", 0);
	ut_dev_start();
}

static void
ut_teardown(void)
{
	ut_drive();
	ut_delete();
}

/* Tests --------------------------------------------------------------------------------- */

static void
test_create_and_target_errors(void)
{
	struct vscsi_ctrlr *c;
	char name[8];
	int i;

	CU_ASSERT_EQUAL(vd_vhost_scsi_create("", NULL), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_create("a/b", NULL), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_create(NULL, NULL), -EINVAL);
	g_register_rc = -EADDRINUSE;
	CU_ASSERT_EQUAL(vd_vhost_scsi_create("vs", NULL), -EADDRINUSE);
	g_register_rc = 0;
	CU_ASSERT_EQUAL(vd_vhost_scsi_create("vs", NULL), 0);
	CU_ASSERT_EQUAL(vd_vhost_scsi_create("vs", NULL), -EEXIST);
	CU_ASSERT(vd_vhost_scsi_exists("vs") && !vd_vhost_scsi_exists("other"));
	c = vscsi_ctrlr_find("vs");
	CU_ASSERT_EQUAL(c->ops.max_queues, 2 + VD_VHOST_SCSI_MAX_REQUEST_QUEUES);

	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("nope", 0, "ut0", ut_cb, NULL), -ENODEV);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 8, "ut0", ut_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", -2, "ut0", ut_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 0, "nobdev", ut_cb, NULL), -ENODEV);
	ut_add_target(-1, "ut0", 0);
	CU_ASSERT_EQUAL(c->tgt[0].state, VSCSI_TGT_ACTIVE);
	/* While an add is in flight the slot and the controller are busy. */
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 3, "ut3", ut_cb, NULL), 0);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 3, "ut4", ut_cb, NULL), -EEXIST);
	CU_ASSERT_EQUAL(vd_vhost_scsi_remove_target("vs", 3, ut_cb, NULL), -EBUSY);
	CU_ASSERT_EQUAL(vd_vhost_scsi_delete("vs", ut_cb, NULL), -EBUSY);
	ut_drive();
	CU_ASSERT_EQUAL(c->tgt[3].state, VSCSI_TGT_ACTIVE);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 0, "ut1", ut_cb, NULL), -EEXIST);
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 1, "ut0", ut_cb, NULL), -EPERM);
	CU_ASSERT_EQUAL(vd_vhost_scsi_remove_target("vs", 2, ut_cb, NULL), -ENODEV);
	CU_ASSERT_EQUAL(vd_vhost_scsi_remove_target("vs", 8, ut_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_remove_target("nope", 0, ut_cb, NULL), -ENODEV);
	/* -1 picks the lowest free slots: 1, 2, 4, 5, 6, 7, then there is none. */
	for (i = 1; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		if (i == 3) {
			continue;
		}
		snprintf(name, sizeof(name), "ut%d", i);
		ut_add_target(-1, name, i);
	}
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", -1, "ut8", ut_cb, NULL), -ENOSPC);
	/* A removed slot is free again and its bdev released. */
	ut_remove_target(7);
	CU_ASSERT(!vd_bdev_is_claimed(vd_bdev_get_by_name("ut7")));
	ut_add_target(7, "ut9", 7);
	ut_remove_target(7);
	CU_ASSERT_EQUAL(c->tgt[7].state, VSCSI_TGT_EMPTY);
	CU_ASSERT(!vd_bdev_is_claimed(vd_bdev_get_by_name("ut9")));
	ut_delete();
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "ut%d", i);
		CU_ASSERT(!vd_bdev_is_claimed(vd_bdev_get_by_name(name)));
	}
}

static void
ut_bdev_event(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
}

static void
test_add_fails_on_data_thread(void)
{
	struct vd_bdev_desc *desc = NULL;

	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_create("vs", NULL), 0);
	/* Claimed between the control-thread check and the data-thread open. */
	CU_ASSERT_EQUAL(vd_vhost_scsi_add_target("vs", 2, "ut1", ut_cb, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(vd_bdev_open_ext("ut1", false, ut_bdev_event, NULL, &desc), 0);
	CU_ASSERT_EQUAL(vd_bdev_claim(desc, "someone else"), 0);
	g_cb_calls = 0;
	ut_drive();
	CU_ASSERT(g_cb_calls == 1 && g_cb_rc == -EPERM);
	CU_ASSERT_EQUAL(vscsi_ctrlr_find("vs")->tgt[2].state, VSCSI_TGT_EMPTY);
	CU_ASSERT_EQUAL(vscsi_ctrlr_find("vs")->tgt[2].bdev_name[0], '\0');
	vd_bdev_release_claim(desc);
	vd_bdev_close(desc);
	ut_delete();
}

static void
test_io_path(void)
{
	struct ut_bdev *ub = g_ub[0];
	int i;

	ut_setup();
	for (i = 0; i < (int)UT_BS; i++) {
		ub->data[UT_BS + i] = (uint8_t)(i * 7);
	}
	/* READ(10) with a longer data-in buffer: zero copy, residual reported. */
	push_cmd(0, 0, 1, CDB_READ10_LBA1, 1024, 0);
	ut_drive();
	CU_ASSERT_EQUAL(vq(2)->nused, 1);
	CU_ASSERT_EQUAL(vq(2)->flushed, 1);
	CU_ASSERT_EQUAL(last_used_len(2), 108 + UT_BS);
	CU_ASSERT_EQUAL(g_resp.response, VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(g_resp.status, VD_SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(g_resp.sense_len, 0);
	CU_ASSERT_EQUAL(g_resp.resid, 1024 - UT_BS);
	CU_ASSERT(memcmp(g_data, ub->data + UT_BS, UT_BS) == 0);

	/* WRITE(10). */
	memset(g_data, 0x5a, UT_BS);
	push_cmd(0, 0, 2, CDB_WRITE10_LBA2, 0, UT_BS);
	ut_drive();
	CU_ASSERT_EQUAL(last_used_len(2), 108);
	CU_ASSERT(g_resp.response == VIRTIO_SCSI_S_OK && g_resp.status == 0);
	CU_ASSERT(ub->data[2 * UT_BS] == 0x5a && ub->data[3 * UT_BS - 1] == 0x5a);

	/* Absent target, absent LUN (SCSI answer), READ without a buffer (CHECK CONDITION). */
	push_cmd(4, 0, 3, CDB_TUR, 0, 0);
	ut_drive();
	CU_ASSERT_EQUAL(last_used_len(2), 108);
	CU_ASSERT_EQUAL(g_resp.response, VIRTIO_SCSI_S_BAD_TARGET);
	push_cmd(0, 1, 4, CDB_INQUIRY, 96, 0);
	ut_drive();
	CU_ASSERT_EQUAL(g_resp.response, VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(g_data[0], 0x7f);
	push_cmd(0, 0, 5, CDB_READ10_LBA1, 0, 0);
	ut_drive();
	CU_ASSERT(g_resp.response == VIRTIO_SCSI_S_OK &&
		  g_resp.status == VD_SCSI_STATUS_CHECK_CONDITION && g_resp.sense_len == 18);
	CU_ASSERT_EQUAL(g_resp.sense[2], VD_SCSI_SENSE_ILLEGAL_REQUEST);

	/* Short header: FAILURE; no room for a response: used length 0. */
	push(2, (struct iovec[]){{g_hdr, 20}, {&g_resp, sizeof(g_resp)}}, 2, 1);
	ut_drive();
	CU_ASSERT(last_used_len(2) == 108 && g_resp.response == VIRTIO_SCSI_S_FAILURE);
	push(2, (struct iovec[]){{g_hdr, 51}, {&g_resp, 50}}, 2, 1);
	ut_drive();
	CU_ASSERT_EQUAL(last_used_len(2), 0);
	CU_ASSERT_EQUAL(vscsi_ctrlr_find("vs")->outstanding, 0);
	ut_teardown();
}

static void
push_tmf(uint32_t subtype, uint8_t target, uint32_t lun, uint64_t tag, uint8_t *resp)
{
	static struct virtio_scsi_ctrl_tmf_req reqs[8];
	static int n;
	struct virtio_scsi_ctrl_tmf_req *r = &reqs[n++ % 8];

	memset(r, 0, sizeof(*r));
	r->type = VIRTIO_SCSI_T_TMF;
	r->subtype = subtype;
	vscsi_lun_make(r->lun, target, lun);
	r->tag = tag;
	*resp = 0xee;
	push(0, (struct iovec[]){{r, sizeof(*r)}, {resp, 1}}, 2, 1);
}

static void
test_tmf(void)
{
	uint8_t resp, resp2;

	ut_setup();
	push_tmf(VIRTIO_SCSI_T_TMF_ABORT_TASK, 0, 0, 999, &resp);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	CU_ASSERT_EQUAL(last_used_len(0), 1);
	push_tmf(VIRTIO_SCSI_T_TMF_ABORT_TASK, 6, 0, 1, &resp);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_BAD_TARGET);
	push_tmf(VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 3, 0, &resp);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_INCORRECT_LUN);
	push_tmf(VIRTIO_SCSI_T_TMF_QUERY_TASK_SET, 0, 0, 0, &resp);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_FUNCTION_REJECTED);

	/* ABORT TASK of a command whose bdev I/O is in flight: the command ends ABORTED, the
	 * TMF completes after it. */
	push_cmd(0, 0, 55, CDB_READ10_LBA1, UT_BS, 0);
	ut_poll_all();
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.pending, 1);
	push_tmf(VIRTIO_SCSI_T_TMF_ABORT_TASK, 0, 0, 55, &resp);
	ut_poll_all();
	CU_ASSERT_EQUAL(resp, 0xee);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	CU_ASSERT_EQUAL(g_resp.response, VIRTIO_SCSI_S_ABORTED);

	/* LUN RESET and I_T NEXUS RESET complete; the next command sees the unit attention. */
	push_tmf(VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 0, 0, &resp);
	push_tmf(VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, 0, 0, 0, &resp2);
	ut_drive();
	CU_ASSERT(resp == VIRTIO_SCSI_S_FUNCTION_COMPLETE &&
		  resp2 == VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	push_cmd(0, 0, 56, CDB_TUR, 0, 0);
	ut_drive();
	CU_ASSERT(g_resp.response == VIRTIO_SCSI_S_OK &&
		  g_resp.status == VD_SCSI_STATUS_CHECK_CONDITION &&
		  g_resp.sense[2] == VD_SCSI_SENSE_UNIT_ATTENTION);
	ut_teardown();
}

static struct virtio_scsi_event g_evbuf[8];
static int g_nev;

static void
push_event_buf(void)
{
	memset(&g_evbuf[g_nev], 0xee, sizeof(g_evbuf[0]));
	push(1, (struct iovec[]){{&g_evbuf[g_nev], sizeof(g_evbuf[0])}}, 1, 0);
	g_nev++;
}

static void
check_event(int i, uint32_t event, uint8_t target, uint32_t reason)
{
	CU_ASSERT_EQUAL(g_evbuf[i].event, event);
	CU_ASSERT_EQUAL(g_evbuf[i].reason, reason);
	CU_ASSERT(g_evbuf[i].lun[0] == 1 && g_evbuf[i].lun[1] == target);
	CU_ASSERT(g_evbuf[i].lun[2] == 0 && g_evbuf[i].lun[3] == 0);
}

static void
test_events(void)
{
	struct vscsi_ctrlr *c;
	uint8_t junk[32];
	int i;

	g_nev = 0;
	ut_setup();
	c = vscsi_ctrlr_find("vs");
	/* A new connection clears the backlog (its driver scans anyway). */
	ut_set_thread(1);
	vscsi_event_push(c, VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 0, VIRTIO_SCSI_EVT_RESET_RESCAN);
	ut_set_thread(0);
	CU_ASSERT_EQUAL(c->events.count, 1);
	scsi_connected(&g_dev);
	ut_drive();
	CU_ASSERT_EQUAL(c->events.count, 0);
	/* No buffer yet: the event waits. */
	ut_add_target(2, "ut2", 2);
	CU_ASSERT_EQUAL(c->events.count, 1);
	push_event_buf();
	ut_drive();
	CU_ASSERT_EQUAL(vq(1)->nused, 1);
	CU_ASSERT_EQUAL(last_used_len(1), 16);
	check_event(0, VIRTIO_SCSI_T_TRANSPORT_RESET, 2, VIRTIO_SCSI_EVT_RESET_RESCAN);
	/* A readable (garbage) buffer is returned empty; the event goes to the next one. */
	push(1, (struct iovec[]){{junk, 16}}, 1, 1);
	push_event_buf();
	ut_remove_target(2);
	CU_ASSERT_EQUAL(vq(1)->used_len[1], 0);
	CU_ASSERT_EQUAL(last_used_len(1), 16);
	check_event(1, VIRTIO_SCSI_T_TRANSPORT_RESET, 2, VIRTIO_SCSI_EVT_RESET_REMOVED);
	/* Overflow: the backlog is dropped and EVENTS_MISSED reported once. */
	ut_set_thread(1);
	for (i = 0; i < (int)VSCSI_MAX_PENDING_EVENTS + 1; i++) {
		vscsi_event_push(c, VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 0,
				 VIRTIO_SCSI_EVT_RESET_RESCAN);
	}
	ut_set_thread(0);
	CU_ASSERT(c->events.missed && c->events.count == 1);
	push_event_buf();
	push_event_buf();
	push_event_buf();
	ut_drive();
	CU_ASSERT_EQUAL(g_evbuf[2].event, VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED);
	check_event(3, VIRTIO_SCSI_T_TRANSPORT_RESET, 1, VIRTIO_SCSI_EVT_RESET_RESCAN);
	CU_ASSERT_EQUAL(g_evbuf[4].event, 0xeeeeeeee); /* nothing more to say */
	/* Without HOTPLUG negotiated, hot-plug events are dropped; PARAM_CHANGE needs CHANGE. */
	g_dev.features &= ~(1ULL << VIRTIO_SCSI_F_HOTPLUG);
	ut_add_target(2, "ut2", 2);
	ut_set_thread(1);
	vscsi_event_push(c, VIRTIO_SCSI_T_PARAM_CHANGE, 0, 0, 0x092a);
	ut_set_thread(0);
	ut_drive();
	CU_ASSERT_EQUAL(g_evbuf[4].event, VIRTIO_SCSI_T_PARAM_CHANGE);
	CU_ASSERT_EQUAL(g_evbuf[4].reason, 0x092a);
	CU_ASSERT_EQUAL(c->events.count, 0);
	ut_teardown();
}

static void
unreg_done(void *arg, int rc)
{
}

static void
test_hot_remove(void)
{
	struct ut_bdev *hot = NULL;
	struct vscsi_ctrlr *c;
	uint8_t resp;

	g_nev = 0;
	ut_setup();
	c = vscsi_ctrlr_find("vs");
	CU_ASSERT_EQUAL_FATAL(ut_bdev_create("hot0", UT_BLOCKS, UT_BS, &hot), 0);
	ut_add_target(5, "hot0", 5);
	push_event_buf();
	ut_drive();
	check_event(0, VIRTIO_SCSI_T_TRANSPORT_RESET, 5, VIRTIO_SCSI_EVT_RESET_RESCAN);
	vd_bdev_unregister(&hot->bdev, unreg_done, NULL);
	push_event_buf();
	ut_drive();
	CU_ASSERT_EQUAL(c->tgt[5].state, VSCSI_TGT_EMPTY);
	CU_ASSERT(vd_bdev_get_by_name("hot0") == NULL);
	check_event(1, VIRTIO_SCSI_T_TRANSPORT_RESET, 5, VIRTIO_SCSI_EVT_RESET_REMOVED);
	push_tmf(VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 5, 0, 0, &resp);
	ut_drive();
	CU_ASSERT_EQUAL(resp, VIRTIO_SCSI_S_BAD_TARGET);
	ut_teardown();
}

static void
test_stop_waits_and_delete_started(void)
{
	struct vscsi_ctrlr *c;

	ut_setup();
	c = vscsi_ctrlr_find("vs");
	push_cmd(0, 0, 1, CDB_READ10_LBA1, UT_BS, 0);
	ut_poll_all();
	CU_ASSERT_EQUAL(c->outstanding, 1);
	CU_ASSERT(!ut_dev_stop());
	ut_drive();
	CU_ASSERT_EQUAL(g_dev.done_calls, 1);
	CU_ASSERT(vq(2)->nused == 1 && vq(2)->flushed == 1);
	CU_ASSERT(!c->started && c->vqs[2] == NULL);
	/* Start again and delete while started, with two targets. */
	ut_dev_start();
	ut_add_target(1, "ut1", 1);
	ut_delete();
	CU_ASSERT(!vd_bdev_is_claimed(vd_bdev_get_by_name("ut0")));
	CU_ASSERT(!vd_bdev_is_claimed(vd_bdev_get_by_name("ut1")));
}

static void
test_subsystem_fini(void)
{
	g_fini_done = 0;
	CU_ASSERT_EQUAL_FATAL(vd_vhost_scsi_create("vs", NULL), 0);
	ut_add_target(0, "ut0", 0);
	ut_add_target(4, "ut4", 4);
	g_scsi_subsystem.fini();
	ut_drive();
	CU_ASSERT_EQUAL(g_fini_done, 1);
	CU_ASSERT(vscsi_ctrlr_next(NULL) == NULL);
	CU_ASSERT_EQUAL(vd_vhost_scsi_create("vs2", NULL), 0); /* not finishing any more */
	g_cb_calls = 0;
	CU_ASSERT_EQUAL(vd_vhost_scsi_delete("vs2", ut_cb, NULL), 0);
	ut_drive();
	CU_ASSERT_EQUAL(g_cb_calls, 1);
}

static int g_init_rc;

static void
init_done(void *arg, int rc)
{
	g_init_rc = rc;
}

static void
fini_done(void *arg)
{
}

int
main(void)
{
	CU_pSuite s;
	unsigned int nfail;
	char name[8];
	int i;

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(2) != 0) {
		return 1;
	}
	vd_bdev_module_register(&ut_bdev_module);
	vd_bdev_initialize(init_done, NULL);
	ut_poll_all();
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "ut%d", i);
		if (g_init_rc != 0 || ut_bdev_create(name, UT_BLOCKS, UT_BS, &g_ub[i]) != 0) {
			return 1;
		}
	}
	g_scsi_subsystem.init();
	s = CU_add_suite("vhost_scsi", NULL, NULL);
	CU_add_test(s, "create_and_target_errors", test_create_and_target_errors);
	CU_add_test(s, "add_fails_on_data_thread", test_add_fails_on_data_thread);
	CU_add_test(s, "io_path", test_io_path);
	CU_add_test(s, "tmf", test_tmf);
	CU_add_test(s, "events", test_events);
	CU_add_test(s, "hot_remove", test_hot_remove);
	CU_add_test(s, "stop_waits_and_delete_started", test_stop_waits_and_delete_started);
	CU_add_test(s, "subsystem_fini", test_subsystem_fini);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	vd_bdev_finish(fini_done, NULL);
	ut_poll_all();
	ut_thread_fini();
	return nfail != 0;
}
