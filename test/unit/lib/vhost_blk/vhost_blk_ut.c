/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of lib/vhost_blk/vhost_blk.c with a fake lib/vhost (one device, queues fed from
 * prepared requests), a fake bdev (submissions recorded, completed by the test, -ENOMEM on
 * demand) and fake threads (messages queued and run by ut_run()).  Covers create/delete and
 * their errors, the data path (zero copy, used length, status), -ENOMEM retry, stop waiting for
 * in-flight I/O, hot-remove and deleting a started controller.
 */

#include <CUnit/Basic.h>

#include "vhost_blk/blk_proto.c"
#include "vhost_blk/vhost_blk.c"

/* Fake threads -------------------------------------------------------------------------- */

struct ut_msg {
	vd_msg_fn fn;
	void *ctx;
};
static struct ut_msg g_msgs[64];
static int g_nmsgs;
static int g_thread_dummy;
static int g_pollers_live;

struct vd_thread *
vd_get_thread(void)
{
	return (struct vd_thread *)&g_thread_dummy;
}

int
vd_thread_send_msg(const struct vd_thread *thread, vd_msg_fn fn, void *ctx)
{
	g_msgs[g_nmsgs++] = (struct ut_msg){fn, ctx};
	return 0;
}

static void
ut_run(void)
{
	int i;

	while (g_nmsgs > 0) {
		struct ut_msg m = g_msgs[0];

		for (i = 1; i < g_nmsgs; i++) {
			g_msgs[i - 1] = g_msgs[i];
		}
		g_nmsgs--;
		m.fn(m.ctx);
	}
}

struct vd_poller {
	vd_poller_fn fn;
	void *arg;
};

struct vd_poller *
vd_poller_register(vd_poller_fn fn, void *arg, uint64_t period_us, const char *name)
{
	struct vd_poller *p = calloc(1, sizeof(*p));

	p->fn = fn;
	p->arg = arg;
	g_pollers_live++;
	return p;
}

void
vd_poller_unregister(struct vd_poller **pp)
{
	if (*pp != NULL) {
		free(*pp);
		*pp = NULL;
		g_pollers_live--;
	}
}

void
vd_subsystem_init_next(int rc)
{
}

static int g_fini_done;

void
vd_subsystem_fini_next(void)
{
	g_fini_done++;
}

void
blk_write_config_json(struct json_object *config)
{
}

/* Fake vhost ---------------------------------------------------------------------------- */

struct fake_guest_req {
	uint16_t head;
	int n, nr;
	struct iovec iov[4];
};

struct vd_vhost_vq {
	uint16_t idx, size;
	void *ctx;
	struct fake_guest_req avail[16];
	int navail;
	uint16_t used_head[64];
	uint32_t used_len[64];
	int nused, flushes;
};

struct vd_vhost_dev {
	void *ctx;
	struct vd_vhost_vq vq[2];
	bool started;
	int done_rc;
	bool unregistered;
};

static struct vd_vhost_dev g_dev;
static bool g_dev_registered;

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
	if (g_dev_registered) {
		return -EEXIST;
	}
	memset(&g_dev, 0, sizeof(g_dev));
	g_dev.ctx = ctx;
	g_dev.vq[0] = (struct vd_vhost_vq){.idx = 0, .size = 128};
	g_dev.vq[1] = (struct vd_vhost_vq){.idx = 1, .size = 4};
	g_dev_registered = true;
	*dev = &g_dev;
	return 0;
}

static void
dev_stop_done(struct vd_vhost_dev *dev, int rc)
{
	dev->started = false;
	dev->done_rc = rc;
}

static void
unregister_msg(void *arg)
{
	struct blk_ctrlr *c = g_dev.ctx;
	vd_vhost_unregister_cb cb = (vd_vhost_unregister_cb)((void **)arg)[0];
	void *cb_arg = ((void **)arg)[1];

	free(arg);
	if (g_dev.started) {
		c->ops.stop(&g_dev, dev_stop_done);
		CU_ASSERT_FATAL(!g_dev.started); /* the tests complete I/O first */
	}
	g_dev_registered = false;
	g_dev.unregistered = true;
	cb(cb_arg);
}

int
vd_vhost_dev_unregister(struct vd_vhost_dev *dev, vd_vhost_unregister_cb cb, void *cb_arg)
{
	void **a = malloc(2 * sizeof(void *));

	a[0] = (void *)cb;
	a[1] = cb_arg;
	return vd_thread_send_msg(NULL, unregister_msg, a);
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
	return vd_get_thread();
}

const char *
vd_vhost_dev_get_socket_path(const struct vd_vhost_dev *dev)
{
	return "/fake/sock";
}

struct vd_vhost_vq *
vd_vhost_dev_get_vq(struct vd_vhost_dev *dev, uint16_t idx)
{
	return idx < 2 ? &dev->vq[idx] : NULL;
}

int
vd_vhost_vq_dequeue(struct vd_vhost_vq *vq, struct vd_vhost_req **reqs, uint16_t n)
{
	int got = 0, i;

	while (got < n && vq->navail > 0) {
		struct fake_guest_req *g = &vq->avail[0];
		struct vd_vhost_req *r = reqs[got++];

		r->head = g->head;
		r->iovcnt = (uint16_t)g->n;
		r->num_readable = (uint16_t)g->nr;
		r->read_len = r->write_len = 0;
		for (i = 0; i < g->n; i++) {
			r->iovs[i] = g->iov[i];
			*(i < g->nr ? &r->read_len : &r->write_len) += (uint32_t)g->iov[i].iov_len;
		}
		memmove(&vq->avail[0], &vq->avail[1], sizeof(vq->avail[0]) * (vq->navail - 1));
		vq->navail--;
	}
	return got;
}

uint32_t
vd_vhost_vq_pending(const struct vd_vhost_vq *vq)
{
	return (uint32_t)vq->navail;
}

void
vd_vhost_vq_complete(struct vd_vhost_vq *vq, uint16_t head, uint32_t used_len)
{
	vq->used_head[vq->nused] = head;
	vq->used_len[vq->nused++] = used_len;
}

void
vd_vhost_vq_flush(struct vd_vhost_vq *vq)
{
	vq->flushes++;
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

/* Fake bdev ----------------------------------------------------------------------------- */

struct vd_bdev {
	const char *name;
	bool claimed, removed;
};
struct vd_bdev_desc {
	int dummy;
};
struct vd_io_channel {
	int dummy;
};
struct vd_bdev_io {
	enum vd_bdev_io_type type;
	uint64_t offset, num;
	struct iovec *iov;
	int iovcnt;
	vd_bdev_io_completion_cb cb;
	void *cb_arg;
};

static struct vd_bdev g_bdev = {.name = "Malloc0"};
static struct vd_bdev_desc g_desc;
static struct vd_io_channel g_ch;
static bool g_desc_open, g_ch_held;
static int g_open_rc;
static vd_bdev_event_cb g_event_cb;
static void *g_event_ctx;
static struct vd_bdev_io g_ios[32];
static int g_nios;
static int g_nomem;
static struct vd_bdev_io_wait_entry *g_waiter;

struct vd_bdev *
vd_bdev_get_by_name(const char *name)
{
	return strcmp(name, g_bdev.name) == 0 ? &g_bdev : NULL;
}

bool
vd_bdev_is_claimed(const struct vd_bdev *bdev)
{
	return bdev->claimed;
}

const char *
vd_bdev_get_claimer(const struct vd_bdev *bdev)
{
	return "someone";
}

const char *
vd_bdev_get_name(const struct vd_bdev *bdev)
{
	return bdev->name;
}

uint32_t
vd_bdev_get_block_size(const struct vd_bdev *bdev)
{
	return 512;
}

uint64_t
vd_bdev_get_num_blocks(const struct vd_bdev *bdev)
{
	return 2048;
}

bool
vd_bdev_io_type_supported(struct vd_bdev *bdev, enum vd_bdev_io_type type)
{
	return true;
}

bool
vd_bdev_has_write_cache(const struct vd_bdev *bdev)
{
	return true;
}

uint64_t
vd_bdev_get_max_unmap_blocks(const struct vd_bdev *bdev)
{
	return 0;
}

uint64_t
vd_bdev_get_max_write_zeroes_blocks(const struct vd_bdev *bdev)
{
	return 0;
}

int
vd_bdev_open_ext(const char *name, bool write, vd_bdev_event_cb event_cb, void *event_ctx,
		 struct vd_bdev_desc **desc)
{
	if (g_open_rc != 0) {
		return g_open_rc;
	}
	g_event_cb = event_cb;
	g_event_ctx = event_ctx;
	g_desc_open = true;
	*desc = &g_desc;
	return 0;
}

int
vd_bdev_claim(struct vd_bdev_desc *desc, const char *claimer)
{
	g_bdev.claimed = true;
	return 0;
}

void
vd_bdev_release_claim(struct vd_bdev_desc *desc)
{
	g_bdev.claimed = false;
}

void
vd_bdev_close(struct vd_bdev_desc *desc)
{
	CU_ASSERT(!g_ch_held); /* channels are put before the close */
	g_desc_open = false;
}

struct vd_bdev *
vd_bdev_desc_get_bdev(struct vd_bdev_desc *desc)
{
	return &g_bdev;
}

struct vd_io_channel *
vd_bdev_get_io_channel(struct vd_bdev_desc *desc)
{
	CU_ASSERT(!g_ch_held);
	g_ch_held = true;
	return &g_ch;
}

void
vd_put_io_channel(struct vd_io_channel *ch)
{
	CU_ASSERT(g_ch_held);
	g_ch_held = false;
}

static int
fake_submit(enum vd_bdev_io_type type, struct iovec *iov, int iovcnt, uint64_t offset, uint64_t num,
	    vd_bdev_io_completion_cb cb, void *cb_arg)
{
	if (g_bdev.removed) {
		return -ENODEV;
	}
	if (g_nomem > 0) {
		g_nomem--;
		return -ENOMEM;
	}
	g_ios[g_nios++] = (struct vd_bdev_io){type, offset, num, iov, iovcnt, cb, cb_arg};
	return 0;
}

int
vd_bdev_readv_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, struct iovec *iov,
		     int iovcnt, uint64_t offset, uint64_t num, vd_bdev_io_completion_cb cb,
		     void *cb_arg)
{
	return fake_submit(VD_BDEV_IO_TYPE_READ, iov, iovcnt, offset, num, cb, cb_arg);
}

int
vd_bdev_writev_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, struct iovec *iov,
		      int iovcnt, uint64_t offset, uint64_t num, vd_bdev_io_completion_cb cb,
		      void *cb_arg)
{
	return fake_submit(VD_BDEV_IO_TYPE_WRITE, iov, iovcnt, offset, num, cb, cb_arg);
}

int
vd_bdev_flush_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, uint64_t offset,
		     uint64_t num, vd_bdev_io_completion_cb cb, void *cb_arg)
{
	return fake_submit(VD_BDEV_IO_TYPE_FLUSH, NULL, 0, offset, num, cb, cb_arg);
}

int
vd_bdev_unmap_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, uint64_t offset,
		     uint64_t num, vd_bdev_io_completion_cb cb, void *cb_arg)
{
	return fake_submit(VD_BDEV_IO_TYPE_UNMAP, NULL, 0, offset, num, cb, cb_arg);
}

int
vd_bdev_write_zeroes_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, uint64_t offset,
			    uint64_t num, vd_bdev_io_completion_cb cb, void *cb_arg)
{
	return fake_submit(VD_BDEV_IO_TYPE_WRITE_ZEROES, NULL, 0, offset, num, cb, cb_arg);
}

void
vd_bdev_free_io(struct vd_bdev_io *bdev_io)
{
}

int
vd_bdev_queue_io_wait(struct vd_bdev *bdev, struct vd_io_channel *ch,
		      struct vd_bdev_io_wait_entry *entry)
{
	CU_ASSERT_PTR_EQUAL(bdev, &g_bdev);
	g_waiter = entry;
	return 0;
}

/* Completes the oldest recorded bdev I/O. */
static void
io_complete_first(bool success)
{
	struct vd_bdev_io io;

	CU_ASSERT_FATAL(g_nios > 0);
	io = g_ios[0];
	memmove(&g_ios[0], &g_ios[1], sizeof(g_ios[0]) * (g_nios - 1));
	g_nios--;
	io.cb(&io, success, io.cb_arg);
}

/* Helpers ------------------------------------------------------------------------------- */

static uint8_t g_mem[65536];
static int g_cb_calls, g_cb_rc;

static void
done_cb(void *arg, int rc)
{
	g_cb_calls++;
	g_cb_rc = rc;
}

static void
reset(void)
{
	g_nmsgs = 0;
	g_nios = 0;
	g_nomem = 0;
	g_waiter = NULL;
	g_open_rc = 0;
	g_cb_calls = 0;
	g_bdev = (struct vd_bdev){.name = "Malloc0"};
}

static struct blk_ctrlr *
create_ok(bool readonly)
{
	struct vd_vhost_blk_opts o = {
		.name = "vhost.0", .bdev_name = "Malloc0", .readonly = readonly};

	reset();
	CU_ASSERT_EQUAL_FATAL(vd_vhost_blk_create(&o, done_cb, NULL), 0);
	ut_run();
	CU_ASSERT_EQUAL(g_cb_calls, 1);
	CU_ASSERT_EQUAL(g_cb_rc, 0);
	CU_ASSERT(g_desc_open && g_bdev.claimed);
	return blk_ctrlr_find("vhost.0");
}

static void
start(struct blk_ctrlr *c)
{
	g_dev.done_rc = 1;
	c->ops.start(&g_dev, dev_stop_done);
	CU_ASSERT_EQUAL(g_dev.done_rc, 0);
	g_dev.started = true;
	CU_ASSERT_EQUAL(g_pollers_live, 2);
}

static void
delete_ok(void)
{
	g_cb_calls = 0;
	CU_ASSERT_EQUAL(vd_vhost_blk_delete("vhost.0", done_cb, NULL), 0);
	ut_run();
	CU_ASSERT_EQUAL(g_cb_calls, 1);
	CU_ASSERT_EQUAL(g_cb_rc, 0);
	CU_ASSERT(!g_desc_open && !g_bdev.claimed && !g_ch_held);
	CU_ASSERT_EQUAL(g_pollers_live, 0);
	CU_ASSERT_PTR_NULL(blk_ctrlr_find("vhost.0"));
}

/* Queue a 3-segment request on queue \p q: header at 0, data at 4096, status at 100 + head. */
static void
guest_req(int q, uint16_t head, uint32_t type, uint64_t sector, uint32_t len)
{
	struct vd_vhost_vq *vq = &g_dev.vq[q];
	struct fake_guest_req *r = &vq->avail[vq->navail++];
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	memcpy(g_mem + 32 * head, &h, sizeof(h));
	r->head = head;
	r->n = 0;
	r->iov[r->n++] = (struct iovec){g_mem + 32 * head, 16};
	if (len > 0) {
		r->iov[r->n++] = (struct iovec){g_mem + 4096, len};
	}
	r->nr = in || len == 0 ? 1 : 2;
	g_mem[2048 + head] = 0xee;
	r->iov[r->n++] = (struct iovec){g_mem + 2048 + head, 1};
}

static void
poll_vq(struct blk_ctrlr *c, int q)
{
	struct blk_vq *bvq = c->vqs[q];

	bvq->poller->fn(bvq->poller->arg);
}

/* Tests --------------------------------------------------------------------------------- */

static void
test_create_errors(void)
{
	struct vd_vhost_blk_opts o = {.name = "vhost.0", .bdev_name = "nope"};
	struct blk_ctrlr *c;

	reset();
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), -ENODEV);
	o.bdev_name = "Malloc0";
	o.name = "a/b";
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), -EINVAL);
	o.name = "";
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), -EINVAL);
	o.name = "vhost.0";
	g_bdev.claimed = true;
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), -EPERM);
	g_bdev.claimed = false;
	CU_ASSERT_EQUAL(g_cb_calls, 0);

	/* the open on the data thread fails: the device is unregistered, cb gets the errno */
	g_open_rc = -EPERM;
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), 0);
	ut_run();
	CU_ASSERT_EQUAL(g_cb_calls, 1);
	CU_ASSERT_EQUAL(g_cb_rc, -EPERM);
	CU_ASSERT(g_dev.unregistered);
	CU_ASSERT_PTR_NULL(blk_ctrlr_find("vhost.0"));

	c = create_ok(false);
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_EQUAL(vd_vhost_blk_create(&o, done_cb, NULL), -EEXIST);
	CU_ASSERT_EQUAL(vd_vhost_blk_delete("other", done_cb, NULL), -ENODEV);
	delete_ok();
}

static void
test_read_write_path(void)
{
	struct blk_ctrlr *c = create_ok(false);
	struct vd_vhost_vq *vq = &g_dev.vq[0];

	start(c);
	guest_req(0, 1, VIRTIO_BLK_T_IN, 8, 4096);
	guest_req(0, 2, VIRTIO_BLK_T_OUT, 16, 1024);
	guest_req(0, 3, VIRTIO_BLK_T_IN, 4096, 512); /* past the end: IOERR, no I/O */
	guest_req(0, 4, 99, 0, 0);		     /* unknown: UNSUPP */
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_nios, 2);
	CU_ASSERT_EQUAL(g_ios[0].type, VD_BDEV_IO_TYPE_READ);
	CU_ASSERT_EQUAL(g_ios[0].offset, 8);
	CU_ASSERT_EQUAL(g_ios[0].num, 8);
	CU_ASSERT_PTR_EQUAL(g_ios[0].iov[0].iov_base, g_mem + 4096); /* zero copy */
	CU_ASSERT_EQUAL(g_ios[0].iovcnt, 1);
	CU_ASSERT_EQUAL(g_ios[1].type, VD_BDEV_IO_TYPE_WRITE);
	CU_ASSERT_EQUAL(vq->nused, 2);
	CU_ASSERT_EQUAL(g_mem[2048 + 3], VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(g_mem[2048 + 4], VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(c->outstanding, 2);

	io_complete_first(true);
	io_complete_first(false);
	CU_ASSERT_EQUAL(vq->nused, 4);
	CU_ASSERT_EQUAL(vq->used_head[2], 1);
	CU_ASSERT_EQUAL(vq->used_len[2], 4097);
	CU_ASSERT_EQUAL(g_mem[2048 + 1], VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(vq->used_len[3], 1);
	CU_ASSERT_EQUAL(g_mem[2048 + 2], VIRTIO_BLK_S_IOERR);
	vq->flushes = 0;
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(vq->flushes, 1);
	CU_ASSERT_EQUAL(c->outstanding, 0);

	/* GET_ID answers without the bdev; FLUSH goes to it; multi-range DISCARD is sequential */
	guest_req(0, 5, VIRTIO_BLK_T_GET_ID, 0, 20);
	poll_vq(c, 0);
	CU_ASSERT(memcmp(g_mem + 4096, "Malloc0", 8) == 0);
	CU_ASSERT_EQUAL(vq->used_len[4], 21);
	{
		struct virtio_blk_discard_write_zeroes s[2] = {{0, 8, 0}, {64, 16, 0}};

		guest_req(0, 6, VIRTIO_BLK_T_DISCARD, 0, 32);
		memcpy(g_mem + 4096, s, sizeof(s));
		poll_vq(c, 0);
		CU_ASSERT_EQUAL(g_nios, 1);
		CU_ASSERT_EQUAL(g_ios[0].type, VD_BDEV_IO_TYPE_UNMAP);
		io_complete_first(true);
		CU_ASSERT_EQUAL(g_nios, 1);
		CU_ASSERT_EQUAL(g_ios[0].offset, 64);
		CU_ASSERT_EQUAL(g_ios[0].num, 16);
		io_complete_first(true);
		CU_ASSERT_EQUAL(g_mem[2048 + 6], VIRTIO_BLK_S_OK);
	}
	c->ops.stop(&g_dev, dev_stop_done);
	CU_ASSERT(!g_dev.started && !g_ch_held && g_pollers_live == 0);
	delete_ok();
}

static void
test_nomem_retry_and_stop_waits(void)
{
	struct blk_ctrlr *c = create_ok(false);
	struct vd_vhost_vq *vq = &g_dev.vq[0];

	start(c);
	g_nomem = 1;
	guest_req(0, 1, VIRTIO_BLK_T_IN, 0, 512);
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_nios, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_waiter);
	g_waiter->cb_fn(g_waiter->cb_arg);
	CU_ASSERT_EQUAL(g_nios, 1);

	/* stop with one I/O in flight: done only after it completes */
	g_dev.done_rc = 1;
	c->ops.stop(&g_dev, dev_stop_done);
	CU_ASSERT_EQUAL(g_dev.done_rc, 1);
	CU_ASSERT_EQUAL(g_pollers_live, 0);
	CU_ASSERT(g_ch_held);
	io_complete_first(true);
	CU_ASSERT_EQUAL(g_dev.done_rc, 0);
	CU_ASSERT_EQUAL(vq->used_len[vq->nused - 1], 513);
	CU_ASSERT(!g_ch_held && g_desc_open);
	g_dev.started = false;
	delete_ok();
}

static void
test_small_queue_pool_limits_dequeue(void)
{
	struct blk_ctrlr *c = create_ok(false);
	int i;

	start(c);
	CU_ASSERT_EQUAL(c->vqs[1]->num_tasks, 4);
	for (i = 0; i < 6; i++) {
		guest_req(1, (uint16_t)(10 + i), VIRTIO_BLK_T_IN, 0, 512);
	}
	poll_vq(c, 1);
	CU_ASSERT_EQUAL(g_nios, 4); /* pool of 4: two stay in the ring */
	CU_ASSERT_EQUAL(g_dev.vq[1].navail, 2);
	for (i = 0; i < 4; i++) {
		io_complete_first(true);
	}
	poll_vq(c, 1);
	CU_ASSERT_EQUAL(g_nios, 2);
	io_complete_first(true);
	io_complete_first(true);
	/* deleting a started controller stops it and releases the bdev */
	delete_ok();
}

/*
 * One poll takes as many requests as there are free tasks; requests answered at once give their
 * task back during the same poll (pushed on the free stack while the rest of the batch starts)
 * and every task ends up free exactly once.
 */
static void
test_free_stack_mixed_batch(void)
{
	struct blk_ctrlr *c = create_ok(false);
	struct blk_vq *bvq;
	uint32_t i, j;
	int k;

	start(c);
	bvq = c->vqs[1];
	CU_ASSERT_EQUAL_FATAL(bvq->num_tasks, 4);
	for (k = 0; k < 6; k++) { /* unknown, IN, unknown, IN, unknown, IN */
		guest_req(1, (uint16_t)(20 + k), k % 2 ? VIRTIO_BLK_T_IN : 99, 0, k % 2 ? 512 : 0);
	}
	poll_vq(c, 1);
	CU_ASSERT_EQUAL(g_nios, 2);
	CU_ASSERT_EQUAL(bvq->num_free, 2); /* the two answered at once */
	CU_ASSERT_EQUAL(g_dev.vq[1].navail, 2);
	poll_vq(c, 1);
	CU_ASSERT_EQUAL(g_nios, 3);
	CU_ASSERT_EQUAL(g_dev.vq[1].navail, 0);
	CU_ASSERT_EQUAL(bvq->num_free, 1);
	for (k = 0; k < 3; k++) {
		io_complete_first(true);
	}
	CU_ASSERT_EQUAL(bvq->num_free, 4);
	CU_ASSERT_EQUAL(bvq->outstanding, 0);
	for (i = 0; i < bvq->num_free; i++) {
		for (j = i + 1; j < bvq->num_free; j++) {
			CU_ASSERT(bvq->free[i] != bvq->free[j]);
		}
	}
	for (k = 0; k < 6; k++) {
		CU_ASSERT_EQUAL(g_mem[2048 + 20 + k],
				k % 2 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_UNSUPP);
	}
	delete_ok();
}

static void
test_hot_remove(void)
{
	struct blk_ctrlr *c = create_ok(false);

	start(c);
	guest_req(0, 1, VIRTIO_BLK_T_OUT, 0, 512);
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_nios, 1);
	g_bdev.removed = true;
	g_event_cb(VD_BDEV_EVENT_REMOVE, &g_bdev, g_event_ctx);
	CU_ASSERT(g_desc_open); /* I/O in flight: kept open */
	guest_req(0, 2, VIRTIO_BLK_T_IN, 0, 512);
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_mem[2048 + 2], VIRTIO_BLK_S_IOERR);
	io_complete_first(false);
	CU_ASSERT(!g_desc_open && !g_ch_held); /* released once idle */
	guest_req(0, 3, VIRTIO_BLK_T_IN, 0, 512);
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_mem[2048 + 3], VIRTIO_BLK_S_IOERR);
	CU_ASSERT_PTR_NOT_NULL(blk_ctrlr_find("vhost.0")); /* controller stays */
	/* restart without a bdev works; requests fail */
	c->ops.stop(&g_dev, dev_stop_done);
	start(c);
	CU_ASSERT(!g_ch_held);
	delete_ok();
}

static void
test_readonly_and_fini(void)
{
	struct blk_ctrlr *c = create_ok(true);

	CU_ASSERT(c->ops.features & (1ULL << VIRTIO_BLK_F_RO));
	start(c);
	guest_req(0, 1, VIRTIO_BLK_T_OUT, 0, 512);
	poll_vq(c, 0);
	CU_ASSERT_EQUAL(g_nios, 0);
	CU_ASSERT_EQUAL(g_mem[2048 + 1], VIRTIO_BLK_S_IOERR);
	/* subsystem fini deletes every controller, then continues */
	g_fini_done = 0;
	vd_vhost_blk_subsystem()->fini();
	ut_run();
	CU_ASSERT_EQUAL(g_fini_done, 1);
	CU_ASSERT_PTR_NULL(blk_ctrlr_find("vhost.0"));
	CU_ASSERT(!g_desc_open);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("vhost_blk", NULL, NULL);
	CU_ADD_TEST(suite, test_create_errors);
	CU_ADD_TEST(suite, test_read_write_path);
	CU_ADD_TEST(suite, test_nomem_retry_and_stop_waits);
	CU_ADD_TEST(suite, test_small_queue_pool_limits_dequeue);
	CU_ADD_TEST(suite, test_free_stack_mixed_batch);
	CU_ADD_TEST(suite, test_hot_remove);
	CU_ADD_TEST(suite, test_readonly_and_fini);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
