/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of bdev_rpc.c: bdev_get_bdevs, bdev_get_iostat and the "bdev" subsystem hooks,
 * against the fake module of ut_bdev.h.
 */

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "bdev/bdev_rpc.c"

#include "ut_thread.h"
#include "ut_bdev.h"

/* lib/event stubs: count the subsystem framework calls. */
static int g_init_next_calls, g_init_next_rc = 1, g_fini_next_calls;

void
vd_subsystem_init_next(int rc)
{
	g_init_next_calls++;
	g_init_next_rc = rc;
}

void
vd_subsystem_fini_next(void)
{
	g_fini_next_calls++;
}

struct rpc_result {
	int calls;
	int code;
	char msg[256];
	struct json_object *result;
};

static void
rpc_done(void *ctx, struct json_object *result, int code, const char *msg)
{
	struct rpc_result *r = ctx;

	r->calls++;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
	r->result = result ? json_object_get(result) : NULL;
}

static struct rpc_result
rpc(const char *method, const char *params)
{
	struct json_object *p = params ? json_tokener_parse(params) : NULL;
	struct rpc_result r = { 0 };

	CU_ASSERT(vd_rpc_call_local(method, p, rpc_done, &r) == 0);
	ut_poll_all();
	CU_ASSERT(r.calls == 1);
	json_object_put(p);
	return r;
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void
io_done(struct vd_bdev_io *io, bool success, void *cb_arg)
{
	vd_bdev_free_io(io);
}

static void
event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
}

static void
unreg_done(void *arg, int rc)
{
}

static void
test_get_bdevs(void)
{
	struct ut_bdev *a = NULL, *b = ut_bdev_alloc("g1", 16, 4096);
	struct vd_bdev_desc *desc;
	struct json_object *o, *types;
	struct rpc_result r;
	char uuid[37];

	CU_ASSERT_FATAL(ut_bdev_create("g0", 100, 512, &a) == 0);
	b->supported[VD_BDEV_IO_TYPE_UNMAP] = false;
	b->supported[VD_BDEV_IO_TYPE_WRITE_ZEROES] = false;
	CU_ASSERT_FATAL(vd_bdev_register(&b->bdev) == 0);
	CU_ASSERT(vd_bdev_alias_add(&b->bdev, "g1-alias") == 0);
	CU_ASSERT_FATAL(vd_bdev_open_ext("g1", true, event_cb, NULL, &desc) == 0);
	CU_ASSERT(vd_bdev_claim(desc, "vhost_blk ctrlr0") == 0);

	r = rpc("bdev_get_bdevs", NULL);
	CU_ASSERT_FATAL(r.code == 0 && r.result != NULL);
	CU_ASSERT(json_object_array_length(r.result) == 2);
	json_object_put(r.result);

	r = rpc("bdev_get_bdevs", "{\"name\": \"g1-alias\"}");
	CU_ASSERT_FATAL(r.code == 0 && json_object_array_length(r.result) == 1);
	o = json_object_array_get_idx(r.result, 0);
	vd_bdev_get_uuid_str(&b->bdev, uuid);
	CU_ASSERT(strcmp(json_object_get_string(get(o, "name")), "g1") == 0);
	CU_ASSERT(strcmp(json_object_get_string(json_object_array_get_idx(get(o, "aliases"), 0)),
			 "g1-alias") == 0);
	CU_ASSERT(strcmp(json_object_get_string(get(o, "product_name")), "UT disk") == 0);
	CU_ASSERT(json_object_get_int64(get(o, "block_size")) == 4096);
	CU_ASSERT(json_object_get_uint64(get(o, "num_blocks")) == 16);
	CU_ASSERT(strcmp(json_object_get_string(get(o, "uuid")), uuid) == 0);
	CU_ASSERT(json_object_get_boolean(get(o, "claimed")));
	CU_ASSERT(strcmp(json_object_get_string(get(o, "claimer")), "vhost_blk ctrlr0") == 0);
	types = get(o, "supported_io_types");
	CU_ASSERT(json_object_get_boolean(get(types, "read")));
	CU_ASSERT(!json_object_get_boolean(get(types, "unmap")));
	CU_ASSERT(json_object_get_boolean(get(types, "write_zeroes")));	/* emulated */
	CU_ASSERT(json_object_get_boolean(get(types, "reset")));
	CU_ASSERT(get(o, "driver_specific") != NULL);
	json_object_put(r.result);

	r = rpc("bdev_get_bdevs", "{\"name\": \"g0\"}");
	o = json_object_array_get_idx(r.result, 0);
	CU_ASSERT(!json_object_get_boolean(get(o, "claimed")) && get(o, "claimer") == NULL);
	json_object_put(r.result);

	r = rpc("bdev_get_bdevs", "{\"name\": \"zz\"}");
	CU_ASSERT(r.code == -ENODEV && strcmp(r.msg, "bdev zz not found") == 0);
	r = rpc("bdev_get_bdevs", "{\"name\": 5}");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS && strstr(r.msg, "name") != NULL);
	r = rpc("bdev_get_bdevs", "[1]");
	CU_ASSERT(r.code == VD_RPC_INVALID_PARAMS);
	vd_bdev_close(desc);
	vd_bdev_unregister(&a->bdev, unreg_done, NULL);
	vd_bdev_unregister(&b->bdev, unreg_done, NULL);
	ut_poll_all();
}

static void
test_get_iostat(void)
{
	struct ut_bdev *a = NULL, *b = NULL;
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct json_object *arr, *o;
	struct rpc_result r;
	char buf[3 * 512];

	CU_ASSERT_FATAL(ut_bdev_create("s0", 100, 512, &a) == 0);
	CU_ASSERT_FATAL(ut_bdev_create("s1", 100, 512, &b) == 0);
	/* I/O on thread 1, statistics asked on thread 0. */
	ut_set_thread(1);
	CU_ASSERT_FATAL(vd_bdev_open_ext("s1", true, event_cb, NULL, &desc) == 0);
	ch = vd_bdev_get_io_channel(desc);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, buf, 0, 3, io_done, NULL) == 0);
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf, 0, 1, io_done, NULL) == 0);
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 0, 10, io_done, NULL) == 0);
	ut_bdev_complete_all();
	ut_set_thread(0);

	r = rpc("bdev_get_iostat", "{\"name\": \"s1\"}");
	CU_ASSERT_FATAL(r.code == 0 && r.result != NULL);
	CU_ASSERT(json_object_get_uint64(get(r.result, "tick_rate")) == vd_get_ticks_hz());
	CU_ASSERT(json_object_get_uint64(get(r.result, "ticks")) > 0);
	arr = get(r.result, "bdevs");
	CU_ASSERT_FATAL(json_object_array_length(arr) == 1);
	o = json_object_array_get_idx(arr, 0);
	CU_ASSERT(strcmp(json_object_get_string(get(o, "name")), "s1") == 0);
	CU_ASSERT(json_object_get_uint64(get(o, "num_read_ops")) == 1);
	CU_ASSERT(json_object_get_uint64(get(o, "bytes_read")) == 3 * 512);
	CU_ASSERT(json_object_get_uint64(get(o, "num_write_ops")) == 1);
	CU_ASSERT(json_object_get_uint64(get(o, "bytes_written")) == 512);
	CU_ASSERT(json_object_get_uint64(get(o, "num_unmap_ops")) == 1);
	CU_ASSERT(json_object_get_uint64(get(o, "bytes_unmapped")) == 10 * 512);
	CU_ASSERT(json_object_get_uint64(get(o, "read_latency_ticks")) > 0);
	CU_ASSERT(get(o, "write_latency_ticks") != NULL && get(o, "unmap_latency_ticks") != NULL);
	json_object_put(r.result);

	r = rpc("bdev_get_iostat", NULL);
	CU_ASSERT_FATAL(r.code == 0);
	CU_ASSERT(json_object_array_length(get(r.result, "bdevs")) == 2);
	json_object_put(r.result);
	r = rpc("bdev_get_iostat", "{\"name\": \"nope\"}");
	CU_ASSERT(r.code == -ENODEV && strstr(r.msg, "nope not found") != NULL);

	ut_set_thread(1);
	vd_put_io_channel(ch);
	ut_poll_all();
	ut_set_thread(1);
	vd_bdev_close(desc);
	ut_set_thread(0);
	vd_bdev_unregister(&a->bdev, unreg_done, NULL);
	vd_bdev_unregister(&b->bdev, unreg_done, NULL);
	ut_poll_all();
}

static int g_cfg_calls;

static void
module_config_json(struct json_object *arr)
{
	g_cfg_calls++;
	json_object_array_add(arr, json_object_new_string("module-options"));
}

static void
test_subsystem(void)
{
	struct vd_subsystem *s = vd_bdev_subsystem();
	struct json_object *arr = json_object_new_array();
	struct ut_bdev *a = NULL;

	CU_ASSERT(strcmp(s->name, "bdev") == 0);
	ut_bdev_module.config_json = module_config_json;
	/* main() initialised the layer: finish it, then run it again through the hooks. */
	s->fini();
	ut_poll_all();
	CU_ASSERT(g_fini_next_calls == 1);
	s->init();
	CU_ASSERT(g_init_next_calls == 1 && g_init_next_rc == 0);
	CU_ASSERT_FATAL(ut_bdev_create("w0", 8, 512, &a) == 0);
	s->write_config_json(arr);
	CU_ASSERT(g_cfg_calls == 1 && json_object_array_length(arr) == 1);
	json_object_put(arr);
	s->fini();
	ut_poll_all();
	CU_ASSERT(g_fini_next_calls == 2);
	CU_ASSERT(vd_bdev_first() == NULL);
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

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(2) != 0) {
		return 1;
	}
	vd_bdev_module_register(&ut_bdev_module);
	vd_bdev_initialize(init_done, NULL);
	if (g_init_rc != 0) {
		return 1;
	}
	vd_bdev_rpc_register();
	vd_rpc_set_state(VD_RPC_RUNTIME);
	suite = CU_add_suite("bdev_rpc", NULL, NULL);
	CU_ADD_TEST(suite, test_get_bdevs);
	CU_ADD_TEST(suite, test_get_iostat);
	CU_ADD_TEST(suite, test_subsystem);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	vd_rpc_unregister_all();
	ut_thread_fini();
	return nfail != 0;
}
