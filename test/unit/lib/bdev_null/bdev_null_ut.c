/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the null bdev module (bdev_null.c, bdev_null_rpc.c) over the real bdev layer,
 * on fake threads, plus a measurement of the cost of one I/O through the whole bdev path.
 */

#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <time.h>

#include "bdev_null/bdev_null.c"
#include "bdev_null/bdev_null_rpc.c"

#include "ut_rpc.h"
#include "ut_thread.h"

struct io_result {
	int count;
	bool success;
};

static void
io_done(struct vd_bdev_io *io, bool success, void *cb_arg)
{
	struct io_result *r = cb_arg;

	r->count++;
	r->success = success;
	vd_bdev_free_io(io);
}

static int g_events;

static void
event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	g_events++;
}

static int g_unreg_count;

static void
unreg_done(void *arg, int rc)
{
	CU_ASSERT(rc == 0);
	g_unreg_count++;
}

static void
test_create_io_delete(void)
{
	struct vd_bdev_null_opts opts = { .num_blocks = 1 << 20, .block_size = 4096 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct vd_bdev *bdev;
	uint8_t buf[2 * 4096];
	int i;

	CU_ASSERT(vd_bdev_null_create(&opts, &bdev) == -EINVAL);	/* name required */
	opts.name = "null0";
	opts.block_size = 520;
	CU_ASSERT(vd_bdev_null_create(&opts, &bdev) == -EINVAL);
	opts.block_size = 4096;
	CU_ASSERT_FATAL(vd_bdev_null_create(&opts, &bdev) == 0);
	CU_ASSERT(vd_bdev_null_create(&opts, &bdev) == -EEXIST);
	CU_ASSERT(strcmp(vd_bdev_get_product_name(bdev), "Null disk") == 0);
	CU_ASSERT(vd_bdev_get_num_blocks(bdev) == 1 << 20);
	CU_ASSERT_FATAL(vd_bdev_open_ext("null0", true, event_cb, NULL, &desc) == 0);
	ch = vd_bdev_get_io_channel(desc);
	CU_ASSERT_FATAL(ch != NULL);
	memset(buf, 0x5a, sizeof(buf));
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 7, 2, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 7, 2, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 0, 1 << 20, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 0, 8, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 0, io_done, &r) == 0);
	CU_ASSERT(vd_bdev_reset(desc, ch, io_done, &r) == 0);
	CU_ASSERT(r.count == 0);
	ut_poll_all();
	CU_ASSERT(r.count == 6 && r.success);
	for (i = 0; i < (int)sizeof(buf); i++) {
		CU_ASSERT_FATAL(buf[i] == 0x5a);	/* reads do not touch the buffer */
	}
	/* Delete while open: REMOVE, then destruct once closed. */
	g_unreg_count = 0;
	g_events = 0;
	CU_ASSERT(vd_bdev_null_delete("null0", unreg_done, NULL) == 0);
	ut_poll_all();
	CU_ASSERT(g_events == 1 && g_unreg_count == 0);
	vd_put_io_channel(ch);
	vd_bdev_close(desc);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 1);
	CU_ASSERT(vd_bdev_null_delete("null0", unreg_done, NULL) == -ENODEV);
}

static void
test_rpc(void)
{
	struct ut_rpc_result r;

	r = ut_rpc("bdev_null_create",
		   "{\"name\": \"n0\", \"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "\"n0\"") == 0);
	r = ut_rpc("bdev_null_create",
		   "{\"name\": \"n0\", \"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == -EEXIST && strstr(r.msg, "n0 already exists") != NULL);
	r = ut_rpc("bdev_null_create", "{\"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "name") != NULL);
	r = ut_rpc("bdev_null_create",
		   "{\"name\": \"n1\", \"num_blocks\": -8, \"block_size\": 512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "num_blocks") != NULL);
	r = ut_rpc("bdev_null_create",
		   "{\"name\": \"n1\", \"num_blocks\": 8, \"block_size\": 513}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "block_size") != NULL);
	r = ut_rpc("bdev_null_create",
		   "{\"name\": \"n1\", \"num_blocks\": 8, \"block_size\": -512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "block_size") != NULL);
	r = ut_rpc("bdev_null_delete", "{\"name\": \"n1\"}");
	CU_ASSERT(r.code == -ENODEV && strstr(r.msg, "n1 not found") != NULL);
	r = ut_rpc("bdev_null_delete", "{\"name\": \"n0\"}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "true") == 0);
	CU_ASSERT(vd_bdev_get_by_name("n0") == NULL);
}

/* Queue depth 128 of 4 KiB reads, resubmitted from the completion callback. */
struct perf_ctx {
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	uint64_t done;
	uint64_t target;
	int errors;
	char buf[4096];
};

static void
perf_done(struct vd_bdev_io *io, bool success, void *cb_arg)
{
	struct perf_ctx *p = cb_arg;

	vd_bdev_free_io(io);
	p->done++;
	if (!success) {
		p->errors++;
	}
	if (p->done + 128 <= p->target &&
	    vd_bdev_read_blocks(p->desc, p->ch, p->buf, p->done & 1023, 1, perf_done, p) != 0) {
		p->errors++;
	}
}

static void
test_null_path_cost(void)
{
	struct vd_bdev_null_opts opts = { .name = "perf", .num_blocks = 1 << 20, .block_size = 4096 };
	struct perf_ctx *p = calloc(1, sizeof(*p));
	struct timespec t0, t1;
	struct vd_bdev *bdev;
	double ns;
	int i;

	p->target = 2000000;
	CU_ASSERT_FATAL(vd_bdev_null_create(&opts, &bdev) == 0);
	CU_ASSERT_FATAL(vd_bdev_open_ext("perf", false, event_cb, NULL, &p->desc) == 0);
	p->ch = vd_bdev_get_io_channel(p->desc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 128; i++) {
		CU_ASSERT(vd_bdev_read_blocks(p->desc, p->ch, p->buf, i, 1, perf_done, p) == 0);
	}
	while (p->done < p->target) {
		vd_thread_poll(ut_thread(0), 0, ut_now());
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vd_set_thread(ut_thread(0));
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	     (double)p->target;
	printf("\n    null bdev: %.1f ns per 4 KiB read (submit + poll + complete, QD 128)\n", ns);
	CU_ASSERT(p->errors == 0);
	CU_ASSERT(p->done == p->target);
	vd_put_io_channel(p->ch);
	vd_bdev_close(p->desc);
	g_unreg_count = 0;
	CU_ASSERT(vd_bdev_null_delete("perf", unreg_done, NULL) == 0);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 1);
	free(p);
}

static int g_init_rc = 1;

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
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(1) != 0) {
		return 1;
	}
	vd_bdev_module_register(&vd_bdev_null_module);
	vd_bdev_initialize(init_done, NULL);
	if (g_init_rc != 0) {
		return 1;
	}
	vd_bdev_null_rpc_register();
	vd_rpc_set_state(VD_RPC_RUNTIME);
	suite = CU_add_suite("bdev_null", NULL, NULL);
	CU_ADD_TEST(suite, test_create_io_delete);
	CU_ADD_TEST(suite, test_rpc);
	CU_ADD_TEST(suite, test_null_path_cost);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	vd_bdev_finish(fini_done, NULL);
	ut_poll_all();
	vd_rpc_unregister_all();
	ut_thread_fini();
	return nfail != 0;
}
