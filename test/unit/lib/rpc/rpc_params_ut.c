/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Unit tests of the RPC parameter helpers: values, defaults, and errors naming the field. */

#include <CUnit/Basic.h>

#include "rpc/rpc_params.c"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static struct {
	int	calls;
	int	code;
	char	msg[256];
} g_cb;

/* Values parsed by the method under test. */
static struct {
	const char	*name;
	bool		flag;
	uint64_t	blocks;
	uint32_t	qd;
} g_v;

static void
local_cb(void *ctx, struct json_object *result, int code, const char *msg)
{
	g_cb.calls++;
	g_cb.code = code;
	snprintf(g_cb.msg, sizeof(g_cb.msg), "%s", msg != NULL ? msg : "");
}

/* name: required string; flag: optional bool; num_blocks: optional u64; qd: optional u32. */
static void
rpc_create(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", "flag", "num_blocks", "qd", NULL };

	g_v.name = NULL;
	g_v.flag = false;
	g_v.blocks = 42;
	g_v.qd = 7;
	if (!vd_rpc_params_object(req, params, false) ||
	    !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &g_v.name) ||
	    !vd_rpc_param_bool(req, params, "flag", false, &g_v.flag) ||
	    !vd_rpc_param_u64(req, params, "num_blocks", false, &g_v.blocks) ||
	    !vd_rpc_param_u32(req, params, "qd", false, &g_v.qd)) {
		return;
	}
	g_v.name = g_v.name ? strdup(g_v.name) : NULL;	/* params are freed after the call */
	vd_rpc_send_bool(req, true);
}

/* All fields optional; params may be absent. */
static void
rpc_optional(struct vd_rpc_request *req, struct json_object *params)
{
	g_v.blocks = 42;
	if (!vd_rpc_params_object(req, params, true) ||
	    !vd_rpc_param_u64(req, params, "num_blocks", false, &g_v.blocks)) {
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
call(const char *method, const char *text)
{
	struct json_object *params = text != NULL ? json_tokener_parse(text) : NULL;

	CU_ASSERT_FATAL(text == NULL || params != NULL);
	memset(&g_cb, 0, sizeof(g_cb));
	CU_ASSERT(vd_rpc_call_local(method, params, local_cb, NULL) == 0);
	CU_ASSERT(g_cb.calls == 1);
	json_object_put(params);
}

static void
expect_error(const char *text, const char *msg)
{
	call("create", text);
	CU_ASSERT(g_cb.code == -32602);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, msg);
}

static void
test_values(void)
{
	call("create", "{\"name\":\"m0\"}");
	CU_ASSERT_FATAL(g_cb.code == 0);
	CU_ASSERT_STRING_EQUAL(g_v.name, "m0");
	CU_ASSERT(!g_v.flag && g_v.blocks == 42 && g_v.qd == 7);	/* defaults untouched */
	free((char *)g_v.name);

	call("create", "{\"name\":\"m1\",\"flag\":true,\"num_blocks\":18446744073709551614,"
	     "\"qd\":4294967295}");
	CU_ASSERT_FATAL(g_cb.code == 0);
	CU_ASSERT(g_v.flag && g_v.blocks == UINT64_MAX - 1 && g_v.qd == UINT32_MAX);
	free((char *)g_v.name);

	/* null counts as absent. */
	call("create", "{\"name\":\"m2\",\"num_blocks\":null}");
	CU_ASSERT_FATAL(g_cb.code == 0);
	CU_ASSERT(g_v.blocks == 42);
	free((char *)g_v.name);

	call("optional", NULL);
	CU_ASSERT(g_cb.code == 0 && g_v.blocks == 42);
	call("optional", "{\"num_blocks\":0}");
	CU_ASSERT(g_cb.code == 0 && g_v.blocks == 0);
}

static void
test_errors(void)
{
	expect_error(NULL, "Invalid parameters: params must be an object");
	expect_error("[\"m\"]", "Invalid parameters: params must be an object");
	expect_error("{}", "Invalid parameters: missing required parameter 'name'");
	expect_error("{\"name\":null}", "Invalid parameters: missing required parameter 'name'");
	expect_error("{\"name\":5}", "Invalid parameters: 'name' must be a string");
	expect_error("{\"name\":\"a\",\"flag\":\"yes\"}",
		     "Invalid parameters: 'flag' must be a boolean");
	expect_error("{\"name\":\"a\",\"num_blocks\":-1}",
		     "Invalid parameters: 'num_blocks' must be an unsigned integer");
	expect_error("{\"name\":\"a\",\"num_blocks\":1.5}",
		     "Invalid parameters: 'num_blocks' must be an unsigned integer");
	expect_error("{\"name\":\"a\",\"num_blocks\":\"10\"}",
		     "Invalid parameters: 'num_blocks' must be an unsigned integer");
	expect_error("{\"name\":\"a\",\"num_blocks\":99999999999999999999999}",
		     "Invalid parameters: 'num_blocks' must be an unsigned integer");
	expect_error("{\"name\":\"a\",\"qd\":4294967296}",
		     "Invalid parameters: 'qd' must be an unsigned 32-bit integer");
	expect_error("{\"name\":\"a\",\"qd\":-5}",
		     "Invalid parameters: 'qd' must be an unsigned 32-bit integer");
	expect_error("{\"name\":\"a\",\"colour\":\"red\"}",
		     "Invalid parameters: unknown parameter 'colour'");
	call("optional", "7");
	CU_ASSERT(g_cb.code == -32602);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Invalid parameters: params must be an object");
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	vd_rpc_set_state(VD_RPC_RUNTIME);
	if (vd_rpc_register_method("create", rpc_create, VD_RPC_RUNTIME) != 0 ||
	    vd_rpc_register_method("optional", rpc_optional, VD_RPC_RUNTIME) != 0) {
		return 1;
	}
	suite = CU_add_suite("rpc_params", NULL, NULL);
	CU_ADD_TEST(suite, test_values);
	CU_ADD_TEST(suite, test_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	vd_rpc_unregister_all();
	return nfail != 0;
}
