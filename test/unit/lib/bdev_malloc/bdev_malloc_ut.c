/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the malloc bdev module (bdev_malloc.c, bdev_malloc_rpc.c) over the real bdev
 * layer, on fake threads.  DMA memory comes from the stubs below (no EAL).
 */

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "bdev_malloc/bdev_malloc.c"
#include "bdev_malloc/bdev_malloc_rpc.c"

#include "ut_rpc.h"
#include "ut_thread.h"

/* DMA stubs: plain memory, with an allocation-failure switch. */
static bool g_dma_fail;

void *
vd_dma_malloc(size_t size, size_t align)
{
	void *p = NULL;

	if (g_dma_fail || posix_memalign(&p, align ? align : 64, size) != 0) {
		return NULL;
	}
	return p;
}

void *
vd_dma_zmalloc(size_t size, size_t align)
{
	void *p = vd_dma_malloc(size, align);

	if (p != NULL) {
		memset(p, 0, size);
	}
	return p;
}

void
vd_dma_free(void *buf)
{
	free(buf);
}

/* Helpers ---------------------------------------------------------------------------------- */

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
static int g_unreg_rc;

static void
unreg_done(void *arg, int rc)
{
	g_unreg_count++;
	g_unreg_rc = rc;
}

static void
do_delete(const char *name)
{
	g_unreg_count = 0;
	CU_ASSERT(vd_bdev_malloc_delete(name, unreg_done, NULL) == 0);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 1 && g_unreg_rc == 0);
}

/* Run one I/O to completion; \return its success. */
static bool
wait_io(int rc, struct io_result *r)
{
	int before = r->count;

	CU_ASSERT(rc == 0);
	if (rc != 0) {
		return false;
	}
	CU_ASSERT(r->count == before);	/* never completed inside the call */
	ut_poll_all();
	CU_ASSERT(r->count == before + 1);
	return r->success;
}

/* Tests ------------------------------------------------------------------------------------ */

static void
test_create_delete(void)
{
	struct vd_bdev_malloc_opts opts = { .num_blocks = 16, .block_size = 512 };
	struct vd_bdev *b0, *b1, *b2;

	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &b0) == 0);
	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &b1) == 0);
	CU_ASSERT(strcmp(vd_bdev_get_name(b0), "Malloc0") == 0);
	CU_ASSERT(strcmp(vd_bdev_get_name(b1), "Malloc1") == 0);
	CU_ASSERT(strcmp(vd_bdev_get_product_name(b0), "Malloc disk") == 0);
	opts.name = "Malloc1";
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -EEXIST);
	opts.name = "m/x";
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -EINVAL);
	opts.name = "big";
	opts.num_blocks = UINT64_MAX / 512;
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -EINVAL);
	opts.num_blocks = 0;
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -EINVAL);
	opts.num_blocks = 8;
	opts.block_size = 768;
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -EINVAL);
	opts.block_size = 4096;
	g_dma_fail = true;
	CU_ASSERT(vd_bdev_malloc_create(&opts, &b2) == -ENOMEM);
	g_dma_fail = false;
	CU_ASSERT(vd_bdev_get_by_name("big") == NULL);
	do_delete("Malloc0");
	CU_ASSERT(vd_bdev_malloc_delete("Malloc0", unreg_done, NULL) == -ENODEV);
	/* The free auto name is reused. */
	opts.name = NULL;
	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &b0) == 0);
	CU_ASSERT(strcmp(vd_bdev_get_name(b0), "Malloc0") == 0);
	CU_ASSERT(vd_bdev_get_block_size(b0) == 4096);
	do_delete("Malloc0");
	do_delete("Malloc1");
}

static void
test_round_trip(void)
{
	struct vd_bdev_malloc_opts opts = { .name = "rt", .num_blocks = 64, .block_size = 4096 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct vd_bdev *bdev;
	uint8_t *wbuf = malloc(8 * 4096), *rbuf = malloc(8 * 4096);
	size_t i;

	for (i = 0; i < 8 * 4096; i++) {
		wbuf[i] = (uint8_t)(i * 7 + 3);
	}
	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &bdev) == 0);
	CU_ASSERT_FATAL(vd_bdev_open_ext("rt", true, event_cb, NULL, &desc) == 0);
	ch = vd_bdev_get_io_channel(desc);
	CU_ASSERT_FATAL(ch != NULL);
	CU_ASSERT(wait_io(vd_bdev_write_blocks(desc, ch, wbuf, 56, 8, io_done, &r), &r));
	memset(rbuf, 0, 8 * 4096);
	CU_ASSERT(wait_io(vd_bdev_read_blocks(desc, ch, rbuf, 56, 8, io_done, &r), &r));
	CU_ASSERT(memcmp(wbuf, rbuf, 8 * 4096) == 0);
	/* Blocks around the write stay zero. */
	CU_ASSERT(wait_io(vd_bdev_read_blocks(desc, ch, rbuf, 55, 1, io_done, &r), &r));
	CU_ASSERT(rbuf[0] == 0 && rbuf[4095] == 0);
	/* UNMAP and WRITE_ZEROES zero the range only. */
	CU_ASSERT(wait_io(vd_bdev_unmap_blocks(desc, ch, 57, 2, io_done, &r), &r));
	CU_ASSERT(wait_io(vd_bdev_write_zeroes_blocks(desc, ch, 62, 1, io_done, &r), &r));
	CU_ASSERT(wait_io(vd_bdev_flush_blocks(desc, ch, 0, 64, io_done, &r), &r));
	CU_ASSERT(wait_io(vd_bdev_reset(desc, ch, io_done, &r), &r));
	CU_ASSERT(wait_io(vd_bdev_read_blocks(desc, ch, rbuf, 56, 8, io_done, &r), &r));
	CU_ASSERT(memcmp(rbuf, wbuf, 4096) == 0);
	for (i = 4096; i < 3 * 4096; i++) {
		CU_ASSERT_FATAL(rbuf[i] == 0);
	}
	CU_ASSERT(memcmp(rbuf + 3 * 4096, wbuf + 3 * 4096, 3 * 4096) == 0);
	CU_ASSERT(rbuf[6 * 4096] == 0 && rbuf[7 * 4096 - 1] == 0);
	CU_ASSERT(memcmp(rbuf + 7 * 4096, wbuf + 7 * 4096, 4096) == 0);
	vd_put_io_channel(ch);
	ut_poll_all();
	vd_bdev_close(desc);
	do_delete("rt");
	free(wbuf);
	free(rbuf);
}

/* Split \p buf of \p len bytes into \p n segments of pseudo-random sizes (each >= 1). */
static void
segment(uint8_t *buf, size_t len, struct iovec *iov, int n, unsigned int seed)
{
	size_t left = len, sz;
	int i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		sz = i == n - 1 ? left : 1 + (seed >> 8) % VD_MAX(left / (size_t)(n - i), 1);
		if (left - sz < (size_t)(n - i - 1)) {
			sz = left - (size_t)(n - i - 1);
		}
		iov[i].iov_base = buf;
		iov[i].iov_len = sz;
		buf += sz;
		left -= sz;
	}
}

static void
test_iovec_edges(void)
{
	struct vd_bdev_malloc_opts opts = { .name = "iov", .num_blocks = 32, .block_size = 512 };
	struct iovec wiov[512], riov[97];
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct vd_bdev *bdev;
	size_t len = 4 * 512, i, total = 0;
	uint8_t *wbuf = malloc(len), *rbuf = calloc(1, len);

	for (i = 0; i < len; i++) {
		wbuf[i] = (uint8_t)(i ^ (i >> 8));
	}
	segment(wbuf, len, wiov, 512, 1);
	segment(rbuf, len, riov, 97, 2);
	for (i = 0; i < 512; i++) {
		CU_ASSERT_FATAL(wiov[i].iov_len >= 1);
		total += wiov[i].iov_len;
	}
	CU_ASSERT_FATAL(total == len);
	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &bdev) == 0);
	CU_ASSERT_FATAL(vd_bdev_open_ext("iov", true, event_cb, NULL, &desc) == 0);
	ch = vd_bdev_get_io_channel(desc);
	CU_ASSERT(wait_io(vd_bdev_writev_blocks(desc, ch, wiov, 512, 10, 4, io_done, &r), &r));
	CU_ASSERT(wait_io(vd_bdev_readv_blocks(desc, ch, riov, 97, 10, 4, io_done, &r), &r));
	CU_ASSERT(memcmp(wbuf, rbuf, len) == 0);
	/* One segment short: refused before the module sees it. */
	CU_ASSERT(vd_bdev_readv_blocks(desc, ch, riov, 96, 10, 4, io_done, &r) == -EINVAL);
	/* Single-block, zero-length segments in the middle are allowed. */
	memset(rbuf, 0, len);
	riov[0].iov_base = rbuf;
	riov[0].iov_len = 100;
	riov[1].iov_base = rbuf + 100;
	riov[1].iov_len = 0;
	riov[2].iov_base = rbuf + 100;
	riov[2].iov_len = 412;
	CU_ASSERT(wait_io(vd_bdev_readv_blocks(desc, ch, riov, 3, 11, 1, io_done, &r), &r));
	CU_ASSERT(memcmp(rbuf, wbuf + 512, 512) == 0);
	vd_put_io_channel(ch);
	ut_poll_all();
	vd_bdev_close(desc);
	do_delete("iov");
	free(wbuf);
	free(rbuf);
}

static void
test_delete_in_use(void)
{
	struct vd_bdev_malloc_opts opts = { .name = "busy", .num_blocks = 8, .block_size = 512 };
	struct io_result r = { 0 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct vd_bdev *bdev;
	char buf[512];

	CU_ASSERT_FATAL(vd_bdev_malloc_create(&opts, &bdev) == 0);
	ut_set_thread(1);
	CU_ASSERT_FATAL(vd_bdev_open_ext("busy", true, event_cb, NULL, &desc) == 0);
	ch = vd_bdev_get_io_channel(desc);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, &r) == 0);
	ut_set_thread(0);
	g_events = 0;
	g_unreg_count = 0;
	CU_ASSERT(vd_bdev_malloc_delete("busy", unreg_done, NULL) == 0);
	ut_poll_all();
	CU_ASSERT(g_events == 1 && r.count == 1 && r.success);
	CU_ASSERT(g_unreg_count == 0);
	ut_set_thread(1);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, &r) == -ENODEV);
	vd_put_io_channel(ch);
	ut_poll_all();
	ut_set_thread(1);
	vd_bdev_close(desc);
	ut_set_thread(0);
	ut_poll_all();
	CU_ASSERT(g_unreg_count == 1 && g_unreg_rc == 0);
}

static void
test_rpc(void)
{
	struct ut_rpc_result r;
	struct json_object *cfg;
	struct vd_bdev *bdev;
	const char *s;

	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "\"Malloc0\"") == 0);
	r = ut_rpc("bdev_malloc_create",
		   "{\"name\": \"m1\", \"num_blocks\": 16, \"block_size\": 4096,"
		   " \"uuid\": \"11111111-2222-3333-4444-555555555555\"}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "\"m1\"") == 0);
	bdev = vd_bdev_get_by_name("m1");
	CU_ASSERT_FATAL(bdev != NULL);
	CU_ASSERT(bdev->uuid[0] == 0x11 && bdev->uuid[15] == 0x55);
	r = ut_rpc("bdev_malloc_create",
		   "{\"name\": \"m1\", \"num_blocks\": 16, \"block_size\": 512}");
	CU_ASSERT(r.code == -EEXIST && strstr(r.msg, "m1 already exists") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": -1, \"block_size\": 512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "num_blocks") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 0, \"block_size\": 512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "num_blocks") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8, \"block_size\": 1000}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "block_size") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8, \"block_size\": 256}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "block_size") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "block_size") != NULL);
	r = ut_rpc("bdev_malloc_create",
		   "{\"num_blocks\": 8, \"block_size\": 512, \"uuid\": \"x\"}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "uuid") != NULL);
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8, \"block_size\": 512, \"bogus\": 1}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "bogus") != NULL);
	r = ut_rpc("bdev_malloc_create",
		   "{\"name\": \"a/b\", \"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "name") != NULL);
	r = ut_rpc("bdev_malloc_create", NULL);
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS);
	g_dma_fail = true;
	r = ut_rpc("bdev_malloc_create", "{\"num_blocks\": 8, \"block_size\": 512}");
	CU_ASSERT(r.code == -ENOMEM);
	g_dma_fail = false;

	/* The configuration recreates the disk with its identity. */
	cfg = json_object_new_array();
	bdev->fn_table->write_config_json(bdev, cfg);
	s = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT(strstr(s, "\"method\":\"bdev_malloc_create\"") != NULL);
	CU_ASSERT(strstr(s, "\"name\":\"m1\"") != NULL);
	CU_ASSERT(strstr(s, "\"num_blocks\":16") != NULL);
	CU_ASSERT(strstr(s, "\"block_size\":4096") != NULL);
	CU_ASSERT(strstr(s, "11111111-2222-3333-4444-555555555555") != NULL);
	json_object_put(cfg);

	r = ut_rpc("bdev_malloc_delete", "{\"name\": \"nope\"}");
	CU_ASSERT(r.code == -ENODEV && strstr(r.msg, "nope not found") != NULL);
	r = ut_rpc("bdev_malloc_delete", "{}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "name") != NULL);
	r = ut_rpc("bdev_malloc_delete", "{\"name\": \"m1\"}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "true") == 0);
	r = ut_rpc("bdev_malloc_delete", "{\"name\": \"Malloc0\"}");
	CU_ASSERT(r.code == 0 && strcmp(r.result, "true") == 0);
	CU_ASSERT(vd_bdev_first() == NULL);
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

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(2) != 0) {
		return 1;
	}
	vd_bdev_module_register(&vd_bdev_malloc_module);
	vd_bdev_initialize(init_done, NULL);
	if (g_init_rc != 0) {
		return 1;
	}
	vd_bdev_malloc_rpc_register();
	vd_rpc_set_state(VD_RPC_RUNTIME);
	suite = CU_add_suite("bdev_malloc", NULL, NULL);
	CU_ADD_TEST(suite, test_create_delete);
	CU_ADD_TEST(suite, test_round_trip);
	CU_ADD_TEST(suite, test_iovec_edges);
	CU_ADD_TEST(suite, test_delete_in_use);
	CU_ADD_TEST(suite, test_rpc);
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
