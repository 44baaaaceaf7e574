/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the bdev layer core (bdev.c + bdev_io.c) against the fake module of
 * test/common/ut_bdev.h, on fake threads.
 */

#include <CUnit/Basic.h>

#include "bdev/bdev.c"
#include "bdev/bdev_io.c"

#include "ut_thread.h"
#include "ut_bdev.h"

struct io_result {
	int		count;
	bool		success;
	int		errnum;
	enum vd_bdev_io_type type;
	struct vd_thread *thread;
};

static void
io_done(struct vd_bdev_io *io, bool success, void *cb_arg)
{
	struct io_result *r = cb_arg;

	r->count++;
	r->success = success;
	r->errnum = vd_bdev_io_get_errno(io);
	r->type = vd_bdev_io_get_type(io);
	r->thread = vd_get_thread();
	vd_bdev_free_io(io);
}

struct event_result {
	int			count;
	enum vd_bdev_event_type	type;
	struct vd_thread	*thread;
};

static void
event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	struct event_result *e = ctx;

	e->count++;
	e->type = type;
	e->thread = vd_get_thread();
}

static int g_unreg_rc = 1;
static int g_unreg_count;

static void
unreg_done(void *arg, int rc)
{
	g_unreg_rc = rc;
	g_unreg_count++;
}

static void
ut_delete(struct ut_bdev *ub)
{
	g_unreg_count = 0;
	vd_bdev_unregister(&ub->bdev, unreg_done, NULL);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 1);
	CU_ASSERT(g_unreg_rc == 0);
}

static void
reset_ctl(void)
{
	memset(&g_ut_bdev_ctl.submitted, 0, sizeof(g_ut_bdev_ctl.submitted));
	memset(&g_ut_bdev_ctl.max_blocks_seen, 0, sizeof(g_ut_bdev_ctl.max_blocks_seen));
	g_ut_bdev_ctl.mode = UT_BDEV_COMPLETE_MANUAL;
	g_ut_bdev_ctl.nomem_next = 0;
	g_ut_bdev_ctl.fail_next = 0;
	g_ut_bdev_ctl.fail_errno = 0;
}

/* Open "name" on the current thread and get a channel. */
static void
open_ch(const char *name, bool write, struct event_result *ev, struct vd_bdev_desc **desc,
	struct vd_io_channel **ch)
{
	CU_ASSERT_FATAL(vd_bdev_open_ext(name, write, event_cb, ev, desc) == 0);
	*ch = vd_bdev_get_io_channel(*desc);
	CU_ASSERT_FATAL(*ch != NULL);
}

static void
close_ch(struct vd_bdev_desc *desc, struct vd_io_channel *ch)
{
	vd_put_io_channel(ch);
	ut_poll_all();
	vd_bdev_close(desc);
	ut_poll_all();
}

/* Tests ------------------------------------------------------------------------------------ */

static void
test_register_errors(void)
{
	static const char *const bad_names[] = {
		"", "a/b", "tab\there",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	struct ut_bdev *ub = NULL, *ub2 = NULL;
	uint8_t zero[16] = { 0 };
	char long_ok[VD_BDEV_MAX_NAME_LEN];
	size_t i;

	for (i = 0; i < VD_COUNTOF(bad_names); i++) {
		CU_ASSERT(ut_bdev_create(bad_names[i], 8, 512, &ub) == -EINVAL);
	}
	memset(long_ok, 'x', sizeof(long_ok) - 1);
	long_ok[sizeof(long_ok) - 1] = '\0';
	CU_ASSERT(ut_bdev_create("b0", 8, 0, &ub) == -EINVAL);
	CU_ASSERT(ut_bdev_create("b0", 8, 1000, &ub) == -EINVAL);
	CU_ASSERT(ut_bdev_create("b0", 8, 256, &ub) == -EINVAL);
	CU_ASSERT(ut_bdev_create("b0", 8, 131072, &ub) == -EINVAL);
	CU_ASSERT(ut_bdev_create("b0", 0, 512, &ub) == -EINVAL);

	CU_ASSERT_FATAL(ut_bdev_create(long_ok, 8, 65536, &ub2) == 0);
	CU_ASSERT_FATAL(ut_bdev_create("b0", 8, 4096, &ub) == 0);
	CU_ASSERT(memcmp(ub->bdev.uuid, zero, 16) != 0);
	CU_ASSERT((ub->bdev.uuid[6] & 0xf0) == 0x40);
	CU_ASSERT(vd_bdev_get_by_name("b0") == &ub->bdev);
	CU_ASSERT(ut_bdev_create("b0", 8, 512, &ub2) == -EEXIST);
	CU_ASSERT(vd_bdev_alias_add(&ub->bdev, "b0-alias") == 0);
	CU_ASSERT(vd_bdev_alias_add(&ub->bdev, "b0-alias") == -EEXIST);
	CU_ASSERT(vd_bdev_alias_add(&ub->bdev, "b0") == -EEXIST);
	CU_ASSERT(vd_bdev_alias_add(&ub->bdev, "x/y") == -EINVAL);
	CU_ASSERT(ut_bdev_create("b0-alias", 8, 512, &ub2) == -EEXIST);
	CU_ASSERT(vd_bdev_get_by_name("b0-alias") == &ub->bdev);
	CU_ASSERT(vd_bdev_get_block_size(&ub->bdev) == 4096);
	CU_ASSERT(vd_bdev_get_num_blocks(&ub->bdev) == 8);
	CU_ASSERT(strcmp(vd_bdev_get_product_name(&ub->bdev), "UT disk") == 0);
	CU_ASSERT(vd_bdev_first() != NULL);
	ut_delete(ub);
	CU_ASSERT(vd_bdev_get_by_name("b0-alias") == NULL);
	/* The name is free again once removal started. */
	CU_ASSERT_FATAL(ut_bdev_create("b0", 8, 512, &ub) == 0);
	ut_delete(ub);
	ut_delete(vd_bdev_get_by_name(long_ok)->ctxt);
	/* Unregistering twice: the second is refused with -EBUSY, later. */
	CU_ASSERT_FATAL(ut_bdev_create("b1", 8, 512, &ub) == 0);
	g_unreg_count = 0;
	vd_bdev_unregister(&ub->bdev, unreg_done, NULL);
	vd_bdev_unregister(&ub->bdev, unreg_done, NULL);
	CU_ASSERT(g_unreg_count == 0);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 2);
}

static void
test_uuid(void)
{
	uint8_t u[16];
	char buf[37];

	CU_ASSERT(vd_uuid_parse(u, "0123456789ab-cdef-0123-456789abcdef") == -EINVAL);
	CU_ASSERT(vd_uuid_parse(u, "01234567-89ab-cdef-0123-456789abcdeg") == -EINVAL);
	CU_ASSERT(vd_uuid_parse(u, "01234567-89ab-cdef-0123-456789abcde") == -EINVAL);
	CU_ASSERT(vd_uuid_parse(u, NULL) == -EINVAL);
	CU_ASSERT_FATAL(vd_uuid_parse(u, "01234567-89AB-cdef-0123-456789abcdef") == 0);
	CU_ASSERT(u[0] == 0x01 && u[5] == 0xab && u[15] == 0xef);
	vd_uuid_fmt(u, buf);
	CU_ASSERT(strcmp(buf, "01234567-89ab-cdef-0123-456789abcdef") == 0);
}

static void
test_open_claim(void)
{
	struct vd_bdev_desc *d1, *d2, *d3;
	struct event_result ev = { 0 };
	struct ut_bdev *ub = NULL;

	CU_ASSERT(vd_bdev_open_ext("nope", false, event_cb, &ev, &d1) == -ENODEV);
	CU_ASSERT_FATAL(ut_bdev_create("c0", 8, 512, &ub) == 0);
	CU_ASSERT(vd_bdev_open_ext("c0", false, NULL, &ev, &d1) == -EINVAL);
	CU_ASSERT_FATAL(vd_bdev_open_ext("c0", true, event_cb, &ev, &d1) == 0);
	CU_ASSERT_FATAL(vd_bdev_open_ext("c0", false, event_cb, &ev, &d2) == 0);
	CU_ASSERT(vd_bdev_desc_get_bdev(d1) == &ub->bdev);
	CU_ASSERT(vd_bdev_claim(d1, "ctrlr-A") == 0);
	CU_ASSERT(vd_bdev_is_claimed(&ub->bdev));
	CU_ASSERT(strcmp(vd_bdev_get_claimer(&ub->bdev), "ctrlr-A") == 0);
	CU_ASSERT(vd_bdev_claim(d1, "ctrlr-A") == 0);	/* idempotent for the owner */
	CU_ASSERT(vd_bdev_claim(d2, "ctrlr-B") == -EPERM);
	CU_ASSERT(vd_bdev_open_ext("c0", true, event_cb, &ev, &d3) == -EPERM);
	CU_ASSERT_FATAL(vd_bdev_open_ext("c0", false, event_cb, &ev, &d3) == 0);
	vd_bdev_close(d3);
	vd_bdev_release_claim(d1);
	CU_ASSERT(!vd_bdev_is_claimed(&ub->bdev));
	CU_ASSERT(vd_bdev_get_claimer(&ub->bdev) == NULL);
	/* d1 is open for writing: nobody else may claim. */
	CU_ASSERT(vd_bdev_claim(d2, "ctrlr-B") == -EPERM);
	vd_bdev_close(d1);
	CU_ASSERT(vd_bdev_claim(d2, "ctrlr-B") == 0);
	/* Closing the claiming descriptor releases the claim. */
	vd_bdev_close(d2);
	CU_ASSERT(!vd_bdev_is_claimed(&ub->bdev));
	CU_ASSERT_FATAL(vd_bdev_open_ext("c0", true, event_cb, &ev, &d1) == 0);
	vd_bdev_close(d1);
	CU_ASSERT(ev.count == 0);
	ut_delete(ub);
}

static void
test_bounds(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc, *rdesc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = NULL;
	char buf[4096];
	struct iovec iov[2] = { { buf, 512 }, { buf + 512, 512 } };

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("e0", 16, 512, &ub) == 0);
	ub->supported[VD_BDEV_IO_TYPE_FLUSH] = false;	/* cached at register: no effect */
	open_ch("e0", true, &ev, &desc, &ch);
	CU_ASSERT_FATAL(vd_bdev_open_ext("e0", false, event_cb, &ev, &rdesc) == 0);

	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 16, 1, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 15, 2, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, UINT64_MAX, 2, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 1, UINT64_MAX, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 0, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, NULL, 0, 1, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 0, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_readv_blocks(desc, ch, iov, 2, 0, 1, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_readv_blocks(desc, ch, iov, 1, 0, 2, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_readv_blocks(desc, ch, iov, 0, 0, 1, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_readv_blocks(desc, ch, NULL, 1, 0, 1, io_done, &r) == -EINVAL);
	iov[1].iov_len = SIZE_MAX;	/* wraps to exactly 511 bytes in total */
	CU_ASSERT(vd_bdev_writev_blocks(desc, ch, iov, 2, 0, 1, io_done, &r) == -EINVAL);
	iov[1].iov_len = 512;
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 0, 0, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 10, 7, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 16, 1, io_done, &r) == -EINVAL);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 17, io_done, &r) == -EINVAL);
	ut_poll_all();
	CU_ASSERT(r.count == 0);
	CU_ASSERT(g_ut_bdev_ctl.pending == 0);

	/* A read-only descriptor cannot modify. */
	vd_put_io_channel(ch);
	ch = vd_bdev_get_io_channel(rdesc);
	CU_ASSERT(vd_bdev_write_blocks(rdesc, ch, buf, 0, 1, io_done, &r) == -EBADF);
	CU_ASSERT(vd_bdev_unmap_blocks(rdesc, ch, 0, 1, io_done, &r) == -EBADF);
	CU_ASSERT(vd_bdev_write_zeroes_blocks(rdesc, ch, 0, 1, io_done, &r) == -EBADF);
	CU_ASSERT(vd_bdev_readv_blocks(rdesc, ch, iov, 2, 14, 2, io_done, &r) == 0);
	CU_ASSERT(r.count == 0);	/* never inside the call */
	ut_bdev_complete_all();
	CU_ASSERT(r.count == 1 && r.success && r.type == VD_BDEV_IO_TYPE_READ);
	vd_put_io_channel(ch);
	ut_poll_all();
	vd_bdev_close(rdesc);
	vd_bdev_close(desc);
	ut_delete(ub);
}

static void
test_unsupported(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = ut_bdev_alloc("u0", 16, 512);

	reset_ctl();
	ub->supported[VD_BDEV_IO_TYPE_UNMAP] = false;
	ub->supported[VD_BDEV_IO_TYPE_FLUSH] = false;
	ub->supported[VD_BDEV_IO_TYPE_WRITE_ZEROES] = false;
	ub->supported[VD_BDEV_IO_TYPE_WRITE] = false;
	CU_ASSERT_FATAL(vd_bdev_register(&ub->bdev) == 0);
	CU_ASSERT(!vd_bdev_io_type_supported(&ub->bdev, VD_BDEV_IO_TYPE_WRITE_ZEROES));
	CU_ASSERT(vd_bdev_io_type_supported(&ub->bdev, VD_BDEV_IO_TYPE_RESET));
	CU_ASSERT(!vd_bdev_io_type_supported(&ub->bdev, VD_BDEV_NUM_IO_TYPES));
	open_ch("u0", true, &ev, &desc, &ch);
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 0, 1, io_done, &r) == -ENOTSUP);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 1, io_done, &r) == -ENOTSUP);
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 0, 1, io_done, &r) == -ENOTSUP);
	close_ch(desc, ch);
	ut_delete(ub);
	CU_ASSERT(r.count == 0);
}

/* A module completing inside submit_request: the callback still runs after the call. */
static void
test_inline_completion_deferred(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = NULL;
	char buf[512];

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("i0", 16, 512, &ub) == 0);
	open_ch("i0", true, &ev, &desc, &ch);
	g_ut_bdev_ctl.mode = UT_BDEV_COMPLETE_INLINE;
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 0, io_done, &r) == 0);
	CU_ASSERT(r.count == 0);
	ut_poll_thread(0);
	CU_ASSERT(r.count == 2 && r.success);
	CU_ASSERT(r.thread == ut_thread(0));
	/* Failure with the module's errno. */
	g_ut_bdev_ctl.fail_next = 1;
	g_ut_bdev_ctl.fail_errno = -ENOSPC;
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);
	ut_poll_thread(0);
	CU_ASSERT(r.count == 3 && !r.success && r.errnum == -ENOSPC);
	reset_ctl();
	close_ch(desc, ch);
	ut_delete(ub);
}

static void
test_nomem_retry(void)
{
	struct event_result ev = { 0 };
	struct io_result r[4] = { { 0 } };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = NULL;
	char buf[512];
	int i;

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("n0", 16, 512, &ub) == 0);
	open_ch("n0", true, &ev, &desc, &ch);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &r[0]) == 0);
	g_ut_bdev_ctl.nomem_next = 2;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 1, 1, io_done, &r[1]) == 0);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 2, 1, io_done, &r[2]) == 0);
	CU_ASSERT(g_ut_bdev_ctl.pending == 1);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_READ] == 3);
	/* Completing r[0] resubmits the parked ones. */
	CU_ASSERT(ut_bdev_complete(1) == 1);
	CU_ASSERT(r[0].count == 1);
	CU_ASSERT(g_ut_bdev_ctl.pending == 2);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_READ] == 5);
	ut_bdev_complete_all();
	CU_ASSERT(r[1].count == 1 && r[1].success && r[2].count == 1 && r[2].success);

	/* Nothing else in flight: the 1 ms poller retries, and keeps retrying. */
	g_ut_bdev_ctl.nomem_next = 2;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 3, 1, io_done, &r[3]) == 0);
	ut_poll_thread(0);
	CU_ASSERT(g_ut_bdev_ctl.pending == 0);
	for (i = 0; i < 2; i++) {
		ut_time_advance_us(BDEV_NOMEM_RETRY_US + 1);
		ut_poll_thread(0);
	}
	CU_ASSERT(g_ut_bdev_ctl.pending == 1);
	ut_bdev_complete_all();
	CU_ASSERT(r[3].count == 1 && r[3].success);
	ut_time_advance_us(BDEV_NOMEM_RETRY_US + 1);
	ut_poll_thread(0);
	CU_ASSERT(((struct bdev_channel *)vd_io_channel_get_ctx(ch))->nomem_poller == NULL);
	close_ch(desc, ch);
	ut_delete(ub);
}

struct waiter {
	struct vd_bdev_io_wait_entry entry;
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct io_result *r;
	char *buf;
	int calls;
	int rc;
};

static void
waiter_cb(void *arg)
{
	struct waiter *w = arg;

	w->calls++;
	w->rc = vd_bdev_read_blocks(w->desc, w->ch, w->buf, 0, 1, io_done, w->r);
}

static void
test_pool_exhaustion(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 }, rw = { 0 };
	struct waiter w = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = NULL, *other = NULL;
	char buf[512];
	int i;

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("p0", 16, 512, &ub) == 0);
	CU_ASSERT_FATAL(ut_bdev_create("p1", 16, 512, &other) == 0);
	open_ch("p0", true, &ev, &desc, &ch);
	for (i = 0; i < BDEV_IO_POOL_SIZE; i++) {
		CU_ASSERT_FATAL(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);
	}
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &r) == -ENOMEM);
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &r) == -ENOMEM);
	w.entry.bdev = &other->bdev;
	w.entry.cb_fn = waiter_cb;
	w.entry.cb_arg = &w;
	w.desc = desc;
	w.ch = ch;
	w.r = &rw;
	w.buf = buf;
	w.rc = 1;
	CU_ASSERT(vd_bdev_queue_io_wait(&ub->bdev, ch, &w.entry) == -EINVAL);
	w.entry.bdev = &ub->bdev;
	CU_ASSERT(vd_bdev_queue_io_wait(&ub->bdev, ch, &w.entry) == 0);
	CU_ASSERT(ut_bdev_complete(1) == 1);
	CU_ASSERT(r.count == 1);
	CU_ASSERT(w.calls == 1 && w.rc == 0);
	ut_bdev_complete_all();
	CU_ASSERT(r.count == BDEV_IO_POOL_SIZE && rw.count == 1);
	CU_ASSERT(w.calls == 1);
	close_ch(desc, ch);
	ut_delete(other);
	ut_delete(ub);
}

static void
test_hot_remove(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 }, r2 = { 0 };
	struct vd_bdev_desc *desc, *d2, *d3;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = NULL;
	uint32_t destructs;
	char buf[512];

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("h0", 16, 512, &ub) == 0);
	ut_set_thread(1);
	open_ch("h0", true, &ev, &desc, &ch);
	CU_ASSERT_FATAL(vd_bdev_open_ext("h0", false, event_cb, &ev, &d2) == 0);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);

	ut_set_thread(0);
	g_unreg_count = 0;
	destructs = g_ut_bdev_ctl.destructs;
	vd_bdev_unregister(&ub->bdev, unreg_done, NULL);
	CU_ASSERT(vd_bdev_get_by_name("h0") == NULL);
	CU_ASSERT(ev.count == 0);
	ut_poll_all();
	CU_ASSERT(ev.count == 2 && ev.type == VD_BDEV_EVENT_REMOVE && ev.thread == ut_thread(1));
	CU_ASSERT(g_unreg_count == 0);

	ut_set_thread(1);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &r2) == -ENODEV);
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &r2) == -ENODEV);
	CU_ASSERT(vd_bdev_open_ext("h0", false, event_cb, &ev, &d3) == -ENODEV);
	/* The outstanding write finishes normally. */
	ut_bdev_complete_all();
	CU_ASSERT(r.count == 1 && r.success);
	vd_bdev_close(d2);
	vd_put_io_channel(ch);
	ut_poll_all();
	CU_ASSERT(g_ut_bdev_ctl.destructs == destructs);
	ut_set_thread(1);
	vd_bdev_close(desc);
	ut_set_thread(0);
	ut_poll_all();
	CU_ASSERT(g_ut_bdev_ctl.destructs == destructs + 1);
	CU_ASSERT(g_unreg_count == 1 && g_unreg_rc == 0);
	CU_ASSERT(r2.count == 0);
}

/* Closing before the REMOVE message is delivered must not touch the freed descriptor. */
static void
test_close_before_event(void)
{
	struct event_result ev = { 0 };
	struct vd_bdev_desc *desc;
	struct ut_bdev *ub = NULL;

	CU_ASSERT_FATAL(ut_bdev_create("h1", 16, 512, &ub) == 0);
	ut_set_thread(1);
	CU_ASSERT_FATAL(vd_bdev_open_ext("h1", false, event_cb, &ev, &desc) == 0);
	ut_set_thread(0);
	g_unreg_count = 0;
	vd_bdev_unregister(&ub->bdev, unreg_done, NULL);
	ut_set_thread(1);
	vd_bdev_close(desc);
	ut_set_thread(0);
	ut_poll_all();
	CU_ASSERT(ev.count == 0);
	CU_ASSERT(g_unreg_count == 1 && g_unreg_rc == 0);
}

static void
test_unmap_split(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = ut_bdev_alloc("s0", 1000, 512);
	int rounds = 0;

	reset_ctl();
	ub->bdev.max_unmap_blocks = 8;
	ub->bdev.max_write_zeroes_blocks = 16;
	CU_ASSERT_FATAL(vd_bdev_register(&ub->bdev) == 0);
	memset(ub->data, 0xaa, 1000 * 512);
	open_ch("s0", true, &ev, &desc, &ch);
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 3, 100, io_done, &r) == 0);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP] == BDEV_SPLIT_MAX_CHILDREN);
	while (g_ut_bdev_ctl.pending > 0 && rounds++ < 100) {
		ut_bdev_complete(1);
	}
	CU_ASSERT(r.count == 1 && r.success && r.type == VD_BDEV_IO_TYPE_UNMAP);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP] == 13);
	CU_ASSERT(g_ut_bdev_ctl.max_blocks_seen[VD_BDEV_IO_TYPE_UNMAP] == 8);
	CU_ASSERT(ub->data[3 * 512 - 1] == 0xaa && ub->data[3 * 512] == 0);
	CU_ASSERT(ub->data[103 * 512 - 1] == 0 && ub->data[103 * 512] == 0xaa);

	/* Within the limit: passed through as is. */
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 0, 16, io_done, &r) == 0);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE_ZEROES] == 1);
	ut_bdev_complete_all();
	CU_ASSERT(r.count == 2 && r.success);

	/* A failing child fails the parent once, after the children in flight. */
	g_ut_bdev_ctl.fail_next = 2;
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 0, 1000, io_done, &r) == 0);
	rounds = 0;
	while (g_ut_bdev_ctl.pending > 0 && rounds++ < 100) {
		ut_bdev_complete_all();
	}
	CU_ASSERT(r.count == 3 && !r.success && r.errnum == -EIO);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE_ZEROES] == 1 +
		  BDEV_SPLIT_MAX_CHILDREN);
	close_ch(desc, ch);
	ut_delete(ub);
}

static void
test_write_zeroes_emulation(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = ut_bdev_alloc("z0", 5000, 512);
	size_t i;
	bool zero = true;

	reset_ctl();
	ub->supported[VD_BDEV_IO_TYPE_WRITE_ZEROES] = false;
	CU_ASSERT_FATAL(vd_bdev_register(&ub->bdev) == 0);
	CU_ASSERT(vd_bdev_io_type_supported(&ub->bdev, VD_BDEV_IO_TYPE_WRITE_ZEROES));
	memset(ub->data, 0xff, 5000 * 512);
	open_ch("z0", true, &ev, &desc, &ch);
	/* 4097 blocks = 2 MiB + 512 bytes: three writes from the 1 MiB zero buffer. */
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 1, 4097, io_done, &r) == 0);
	g_ut_bdev_ctl.mode = UT_BDEV_COMPLETE_INLINE;
	ut_bdev_complete_all();
	ut_poll_all();
	CU_ASSERT(r.count == 1 && r.success && r.type == VD_BDEV_IO_TYPE_WRITE_ZEROES);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE] == 3);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE_ZEROES] == 0);
	for (i = 512; i < 4098 * 512; i++) {
		zero = zero && ub->data[i] == 0;
	}
	CU_ASSERT(zero);
	CU_ASSERT(ub->data[511] == 0xff && ub->data[4098 * 512] == 0xff);
	reset_ctl();
	close_ch(desc, ch);
	ut_delete(ub);
}

static void
test_reset(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 }, rp = { 0 }, rr = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_bdev *ub = ut_bdev_alloc("r0", 16, 512);
	char buf[512];

	reset_ctl();
	ub->supported[VD_BDEV_IO_TYPE_RESET] = false;
	CU_ASSERT_FATAL(vd_bdev_register(&ub->bdev) == 0);
	open_ch("r0", true, &ev, &desc, &ch);
	/* No I/O: completes, but not inside the call. */
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &rr) == 0);
	CU_ASSERT(rr.count == 0);
	ut_poll_all();
	CU_ASSERT(rr.count == 1 && rr.success && rr.type == VD_BDEV_IO_TYPE_RESET);

	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);
	g_ut_bdev_ctl.nomem_next = 1;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 1, io_done, &rp) == 0);
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &rr) == 0);
	ut_poll_all();
	/* The parked I/O was aborted; the reset waits for the one in the module. */
	CU_ASSERT(rp.count == 1 && !rp.success && rp.errnum == -ECANCELED);
	CU_ASSERT(rr.count == 1);
	ut_bdev_complete_all();
	CU_ASSERT(r.count == 1 && r.success);
	ut_poll_all();
	CU_ASSERT(rr.count == 2 && rr.success);
	close_ch(desc, ch);
	ut_delete(ub);

	/* A module that implements RESET receives it. */
	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("r1", 16, 512, &ub) == 0);
	open_ch("r1", true, &ev, &desc, &ch);
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &rr) == 0);
	CU_ASSERT(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_RESET] == 1);
	ut_bdev_complete_all();
	CU_ASSERT(rr.count == 3 && rr.success);
	close_ch(desc, ch);
	ut_delete(ub);
}

static int g_stat_calls;
static struct vd_bdev_io_stat g_stat;

static void
stat_done(struct vd_bdev *bdev, struct vd_bdev_io_stat *stat, void *cb_arg, int rc)
{
	CU_ASSERT(rc == 0);
	CU_ASSERT(stat == &g_stat);
	g_stat_calls++;
}

static void
test_stats(void)
{
	struct event_result ev = { 0 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *d0, *d1;
	struct vd_io_channel *c0, *c1;
	struct vd_bdev_io_stat st;
	struct ut_bdev *ub = NULL;
	char buf[4 * 4096];

	reset_ctl();
	CU_ASSERT_FATAL(ut_bdev_create("st0", 64, 4096, &ub) == 0);
	open_ch("st0", true, &ev, &d0, &c0);
	ut_set_thread(1);
	open_ch("st0", true, &ev, &d1, &c1);
	CU_ASSERT(vd_bdev_write_blocks(d1, c1, buf, 0, 4, io_done, &r) == 0);
	ut_bdev_complete_all();
	ut_set_thread(0);
	CU_ASSERT(vd_bdev_read_blocks(d0, c0, buf, 0, 2, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_read_blocks(d0, c0, buf, 2, 1, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_unmap_blocks(d0, c0, 0, 8, io_done, &r) == 0);
	g_ut_bdev_ctl.fail_next = 1;
	CU_ASSERT(vd_bdev_flush_blocks(d0, c0, 0, 1, io_done, &r) == 0);
	ut_bdev_complete_all();
	CU_ASSERT(r.count == 5);

	vd_bdev_get_io_channel_stat(c0, &st);
	CU_ASSERT(st.num_read_ops == 2 && st.bytes_read == 3 * 4096);
	CU_ASSERT(st.num_unmap_ops == 1 && st.bytes_unmapped == 8 * 4096);
	CU_ASSERT(st.num_write_ops == 0 && st.num_errors == 1 && st.num_flush_ops == 0);
	CU_ASSERT(st.read_latency_ticks > 0 && st.max_read_latency_ticks > 0);

	/* Thread 1's channel goes away: its numbers move into the bdev's total. */
	ut_set_thread(1);
	close_ch(d1, c1);
	ut_set_thread(0);
	g_stat_calls = 0;
	vd_bdev_get_device_stat(&ub->bdev, &g_stat, stat_done, NULL);
	ut_poll_all();
	CU_ASSERT(g_stat_calls == 1);
	CU_ASSERT(g_stat.num_read_ops == 2 && g_stat.num_write_ops == 1);
	CU_ASSERT(g_stat.bytes_written == 4 * 4096 && g_stat.num_errors == 1);
	close_ch(d0, c0);
	ut_delete(ub);
}

static void
test_io_type_names(void)
{
	CU_ASSERT(strcmp(vd_bdev_io_type_name(VD_BDEV_IO_TYPE_WRITE_ZEROES), "write_zeroes") == 0);
	CU_ASSERT(strcmp(vd_bdev_io_type_name(VD_BDEV_NUM_IO_TYPES), "invalid") == 0);
	CU_ASSERT(strcmp(vd_bdev_io_type_name(-1), "invalid") == 0);
}

static bool g_fini_done;

static void
fini_done(void *arg)
{
	g_fini_done = true;
}

static void
test_finish(void)
{
	struct ut_bdev *a = NULL, *b = NULL;
	uint32_t destructs = g_ut_bdev_ctl.destructs;

	CU_ASSERT_FATAL(ut_bdev_create("f0", 8, 512, &a) == 0);
	CU_ASSERT_FATAL(ut_bdev_create("f1", 8, 512, &b) == 0);
	vd_bdev_finish(fini_done, NULL);
	ut_poll_all();
	CU_ASSERT(g_fini_done);
	CU_ASSERT(g_ut_bdev_ctl.destructs == destructs + 2);
	CU_ASSERT(vd_bdev_first() == NULL);
	CU_ASSERT(g_bdev_zero_buf == NULL);
}

static int g_init_rc = 1;

static void
init_done(void *arg, int rc)
{
	g_init_rc = rc;
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	if (ut_thread_init(2) != 0) {
		return 1;
	}
	vd_bdev_module_register(&ut_bdev_module);
	vd_bdev_initialize(init_done, NULL);
	if (g_init_rc != 0) {
		return 1;
	}
	suite = CU_add_suite("bdev", NULL, NULL);
	CU_ADD_TEST(suite, test_register_errors);
	CU_ADD_TEST(suite, test_uuid);
	CU_ADD_TEST(suite, test_open_claim);
	CU_ADD_TEST(suite, test_bounds);
	CU_ADD_TEST(suite, test_unsupported);
	CU_ADD_TEST(suite, test_inline_completion_deferred);
	CU_ADD_TEST(suite, test_nomem_retry);
	CU_ADD_TEST(suite, test_pool_exhaustion);
	CU_ADD_TEST(suite, test_hot_remove);
	CU_ADD_TEST(suite, test_close_before_event);
	CU_ADD_TEST(suite, test_unmap_split);
	CU_ADD_TEST(suite, test_write_zeroes_emulation);
	CU_ADD_TEST(suite, test_reset);
	CU_ADD_TEST(suite, test_stats);
	CU_ADD_TEST(suite, test_io_type_names);
	CU_ADD_TEST(suite, test_finish);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	ut_thread_fini();
	return nfail != 0;
}
