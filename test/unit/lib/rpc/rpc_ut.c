/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the RPC registry, dispatch, answers and rpc_get_methods, through local calls
 * and through a fake JSON-RPC request path (rpc_handle_jsonrpc over a socketpair server).
 */

#include <CUnit/Basic.h>

#include <sys/socket.h>
#include <unistd.h>

#include "rpc/rpc.c"
#include "jsonrpc/jsonrpc_internal.h"

/* What the last local call's callback saw. */
static struct {
	int	calls;
	int	code;
	char	msg[256];
	char	result[4096];
} g_cb;

static void
local_cb(void *ctx, struct json_object *result, int code, const char *msg)
{
	g_cb.calls++;
	g_cb.code = code;
	snprintf(g_cb.msg, sizeof(g_cb.msg), "%s", msg != NULL ? msg : "");
	snprintf(g_cb.result, sizeof(g_cb.result), "%s",
		 json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
}

static void
call(const char *method, const char *params_text)
{
	struct json_object *params = params_text ? json_tokener_parse(params_text) : NULL;

	memset(&g_cb, 0, sizeof(g_cb));
	CU_ASSERT(vd_rpc_call_local(method, params, local_cb, NULL) == 0);
	json_object_put(params);
}

static struct vd_rpc_request *g_held;

static void
rpc_echo(struct vd_rpc_request *req, struct json_object *params)
{
	vd_rpc_send_result(req, json_object_get(params));
}

static void
rpc_fail(struct vd_rpc_request *req, struct json_object *params)
{
	vd_rpc_send_error(req, -ENODEV, "%s", strerror(ENODEV));
}

static void
rpc_twice(struct vd_rpc_request *req, struct json_object *params)
{
	vd_rpc_send_bool(req, true);
	vd_rpc_send_error(req, -EIO, "second answer");	/* the bug under test */
}

static void
rpc_later(struct vd_rpc_request *req, struct json_object *params)
{
	g_held = req;
}

static void
setup_methods(void)
{
	vd_rpc_unregister_all();
	vd_rpc_set_state(VD_RPC_STARTUP);
	vd_rpc_rpc_register();
	CU_ASSERT(vd_rpc_register_method("echo", rpc_echo, VD_RPC_STARTUP | VD_RPC_RUNTIME) == 0);
	CU_ASSERT(vd_rpc_register_method("fail", rpc_fail, VD_RPC_RUNTIME) == 0);
	CU_ASSERT(vd_rpc_register_method("init_only", rpc_echo, VD_RPC_STARTUP) == 0);
	CU_ASSERT(vd_rpc_register_method("twice", rpc_twice, VD_RPC_STARTUP) == 0);
	CU_ASSERT(vd_rpc_register_method("later", rpc_later, VD_RPC_STARTUP) == 0);
	CU_ASSERT(vd_rpc_register_alias("echo_old", "echo") == 0);
}

static void
test_registry(void)
{
	setup_methods();
	CU_ASSERT(vd_rpc_register_method("echo", rpc_fail, VD_RPC_RUNTIME) == -EEXIST);
	CU_ASSERT(vd_rpc_register_alias("echo", "fail") == -EEXIST);
	CU_ASSERT(vd_rpc_register_alias("x", "no_such") == -ENOENT);
	CU_ASSERT(vd_rpc_register_method("", rpc_echo, VD_RPC_RUNTIME) == -EINVAL);
	CU_ASSERT(vd_rpc_register_method("y", NULL, VD_RPC_RUNTIME) == -EINVAL);
	CU_ASSERT(vd_rpc_register_method("y", rpc_echo, 0) == -EINVAL);
	CU_ASSERT(vd_rpc_register_method("y", rpc_echo, 0x10) == -EINVAL);
	CU_ASSERT(vd_rpc_method_exists("echo") && vd_rpc_method_exists("echo_old"));
	CU_ASSERT(!vd_rpc_method_exists("ech") && !vd_rpc_method_exists(NULL));
	CU_ASSERT(!vd_rpc_method_exists("x") && !vd_rpc_method_exists("y"));
	/* Sorted, whatever the registration order. */
	call("rpc_get_methods", "{\"include_aliases\":true}");
	CU_ASSERT_STRING_EQUAL(g_cb.result, "[\"echo\",\"echo_old\",\"fail\",\"init_only\","
			       "\"later\",\"rpc_get_methods\",\"twice\"]");
	vd_rpc_unregister_all();
	CU_ASSERT(!vd_rpc_method_exists("echo"));
}

static void
test_dispatch(void)
{
	setup_methods();
	call("echo", "{\"a\":[1,\"b\"]}");
	CU_ASSERT(g_cb.calls == 1 && g_cb.code == 0);
	CU_ASSERT_STRING_EQUAL(g_cb.result, "{\"a\":[1,\"b\"]}");
	call("echo_old", "[1]");
	CU_ASSERT(g_cb.calls == 1 && g_cb.code == 0);
	CU_ASSERT_STRING_EQUAL(g_cb.result, "[1]");
	call("nope", NULL);
	CU_ASSERT(g_cb.calls == 1 && g_cb.code == -32601);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Method not found: nope");
	/* State checks. */
	call("fail", NULL);
	CU_ASSERT(g_cb.code == -32601);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Method 'fail' may only be called during runtime");
	vd_rpc_set_state(VD_RPC_RUNTIME);
	CU_ASSERT(vd_rpc_get_state() == VD_RPC_RUNTIME);
	call("fail", NULL);
	CU_ASSERT(g_cb.code == -ENODEV);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "No such device");
	call("init_only", NULL);
	CU_ASSERT(g_cb.code == -32601);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Method 'init_only' may only be called during startup");
	CU_ASSERT(rpc_method_check("init_only") == -EPERM);
	CU_ASSERT(rpc_method_check("echo") == 0);
	CU_ASSERT(rpc_method_check("zzz") == -ENOENT);
	CU_ASSERT(vd_rpc_call_local(NULL, NULL, local_cb, NULL) == -EINVAL);
	CU_ASSERT(vd_rpc_call_local("echo", NULL, NULL, NULL) == -EINVAL);
	vd_rpc_unregister_all();
}

static void
test_answer_twice_and_later(void)
{
	setup_methods();
	g_rpc_assert_double_answer = false;
	call("twice", NULL);
	/* The first answer wins; the second is refused. */
	CU_ASSERT(g_cb.calls == 1 && g_cb.code == 0);
	CU_ASSERT_STRING_EQUAL(g_cb.result, "true");
	g_rpc_assert_double_answer = true;

	call("later", NULL);
	CU_ASSERT(g_cb.calls == 0 && g_held != NULL);
	vd_rpc_send_invalid_param(g_held, "size", "must be a power of two");
	CU_ASSERT(g_cb.calls == 1 && g_cb.code == -32602);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Invalid parameters: 'size' must be a power of two");
	g_held = NULL;
	vd_rpc_unregister_all();
}

static void
test_get_methods(void)
{
	setup_methods();
	call("rpc_get_methods", NULL);
	CU_ASSERT_STRING_EQUAL(g_cb.result, "[\"echo\",\"fail\",\"init_only\",\"later\","
			       "\"rpc_get_methods\",\"twice\"]");
	call("rpc_get_methods", "{\"current\":true}");
	CU_ASSERT_STRING_EQUAL(g_cb.result, "[\"echo\",\"init_only\",\"later\","
			       "\"rpc_get_methods\",\"twice\"]");
	vd_rpc_set_state(VD_RPC_RUNTIME);
	call("rpc_get_methods", "{\"current\":true,\"include_aliases\":true}");
	CU_ASSERT_STRING_EQUAL(g_cb.result, "[\"echo\",\"echo_old\",\"fail\",\"rpc_get_methods\"]");
	call("rpc_get_methods", "{\"current\":1}");
	CU_ASSERT(g_cb.code == -32602);
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Invalid parameters: 'current' must be a boolean");
	call("rpc_get_methods", "{\"bogus\":1}");
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Invalid parameters: unknown parameter 'bogus'");
	call("rpc_get_methods", "[true]");
	CU_ASSERT_STRING_EQUAL(g_cb.msg, "Invalid parameters: params must be an object");
	vd_rpc_unregister_all();
}

static char *
poll_read(struct vd_jsonrpc_server *server, int cfd)
{
	static char buf[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 3; i++) {
		vd_jsonrpc_server_poll(server);
	}
	n = read(cfd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_over_jsonrpc(void)
{
	struct vd_jsonrpc_server *server;
	const char *req;
	int sv[2];

	setup_methods();
	server = jsonrpc_server_alloc(rpc_handle_jsonrpc);
	CU_ASSERT_FATAL(server != NULL);
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CU_ASSERT_FATAL(jsonrpc_server_add_conn(server, sv[0]) == 0);

	req = "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"q\"}";
	CU_ASSERT(write(sv[1], req, strlen(req)) == (ssize_t)strlen(req));
	CU_ASSERT_STRING_EQUAL(poll_read(server, sv[1]), "{\"jsonrpc\":\"2.0\",\"id\":\"q\","
			       "\"error\":{\"code\":-32601,"
			       "\"message\":\"Method not found: nope\"}}\n");
	req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo_old\",\"params\":{\"k\":\"v\"},\"id\":5}";
	CU_ASSERT(write(sv[1], req, strlen(req)) == (ssize_t)strlen(req));
	CU_ASSERT_STRING_EQUAL(poll_read(server, sv[1]), "{\"jsonrpc\":\"2.0\",\"id\":5,"
			       "\"result\":{\"k\":\"v\"}}\n");
	/* Answered later, after the client has gone: dropped, nothing leaks. */
	req = "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":6}";
	CU_ASSERT(write(sv[1], req, strlen(req)) == (ssize_t)strlen(req));
	CU_ASSERT_STRING_EQUAL(poll_read(server, sv[1]), "");
	CU_ASSERT_FATAL(g_held != NULL);
	close(sv[1]);
	vd_jsonrpc_server_shutdown(&server);
	vd_rpc_send_bool(g_held, false);
	g_held = NULL;
	vd_rpc_unregister_all();
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("rpc", NULL, NULL);
	CU_ADD_TEST(suite, test_registry);
	CU_ADD_TEST(suite, test_dispatch);
	CU_ADD_TEST(suite, test_answer_twice_and_later);
	CU_ADD_TEST(suite, test_get_methods);
	CU_ADD_TEST(suite, test_over_jsonrpc);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
