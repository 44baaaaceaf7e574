/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of vd_rpc_apply_config(): order, asynchronous methods, error handling,
 * ignore_errors, malformed documents and long configurations, on fake threads.
 */

#include <CUnit/Basic.h>

#include "rpc/rpc_config.c"
#include "ut_thread.h"

static char g_log[256];
static unsigned int g_ok_calls;
static struct vd_rpc_request *g_held;
static struct {
	int	calls;
	int	rc;
} g_done;

static void
log_add(const char *s)
{
	if (g_log[0] != '\0') {
		strncat(g_log, ",", sizeof(g_log) - strlen(g_log) - 1);
	}
	strncat(g_log, s, sizeof(g_log) - strlen(g_log) - 1);
}

static void
rpc_ok(struct vd_rpc_request *req, struct json_object *params)
{
	struct json_object *n;

	g_ok_calls++;
	if (params != NULL && json_object_object_get_ex(params, "n", &n)) {
		log_add(json_object_get_string(n));
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_async(struct vd_rpc_request *req, struct json_object *params)
{
	log_add("A");
	g_held = req;
}

static void
rpc_bad(struct vd_rpc_request *req, struct json_object *params)
{
	log_add("B");
	vd_rpc_send_error(req, -EIO, "%s", strerror(EIO));
}

static void
rpc_badparam(struct vd_rpc_request *req, struct json_object *params)
{
	log_add("P");
	vd_rpc_send_invalid_param(req, "x", "is wrong");
}

static void
done_cb(void *ctx, int rc)
{
	g_done.calls++;
	g_done.rc = rc;
}

/* The document being applied: borrowed by vd_rpc_apply_config() until its callback. */
static struct json_object *g_config;

static int
apply(const char *text, bool ignore_errors)
{
	struct json_object *config = json_tokener_parse(text);
	int rc;

	json_object_put(g_config);
	g_config = config;
	CU_ASSERT_FATAL(config != NULL);
	g_log[0] = '\0';
	memset(&g_done, 0, sizeof(g_done));
	rc = vd_rpc_apply_config(config, ignore_errors, done_cb, NULL);
	/* Asynchronous contract: the callback never runs inside the call. */
	CU_ASSERT(g_done.calls == 0);
	ut_poll_all();
	return rc;
}

#define ENTRY(m) "{\"method\":\"" m "\"}"
#define OK(n) "{\"method\":\"ok\",\"params\":{\"n\":\"" n "\"}}"

static void
test_happy_path(void)
{
	CU_ASSERT(apply("{\"subsystems\":["
			"{\"subsystem\":\"bdev\",\"config\":[" OK("1") "," OK("2") "]},"
			"{\"subsystem\":\"empty\",\"config\":null},"
			"{\"subsystem\":\"none\"},"
			"{\"subsystem\":\"zero\",\"config\":[]},"
			"{\"subsystem\":\"vhost\",\"config\":[" OK("3") "]}]}", false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == 0);
	CU_ASSERT_STRING_EQUAL(g_log, "1,2,3");
	CU_ASSERT(apply("{\"subsystems\":[]}", false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == 0);
}

static void
test_async_method(void)
{
	CU_ASSERT(apply("{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			OK("1") "," ENTRY("async") "," OK("2") "]}]}", false) == 0);
	CU_ASSERT(g_done.calls == 0);
	CU_ASSERT_STRING_EQUAL(g_log, "1,A");
	CU_ASSERT_FATAL(g_held != NULL);
	vd_rpc_send_result(g_held, NULL);
	g_held = NULL;
	ut_poll_all();
	CU_ASSERT_STRING_EQUAL(g_log, "1,A,2");
	CU_ASSERT(g_done.calls == 1 && g_done.rc == 0);
}

static void
test_errors_stop(void)
{
	const char *doc = "{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			  OK("1") "," ENTRY("bad") "," OK("2") "]}]}";

	CU_ASSERT(apply(doc, false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == -EIO);
	CU_ASSERT_STRING_EQUAL(g_log, "1,B");

	CU_ASSERT(apply("{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			ENTRY("missing") "," OK("2") "]}]}", false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == -ENOENT);
	CU_ASSERT_STRING_EQUAL(g_log, "");

	CU_ASSERT(apply("{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			ENTRY("runtime_only") "," OK("2") "]}]}", false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == -EPERM);
	CU_ASSERT_STRING_EQUAL(g_log, "");

	CU_ASSERT(apply("{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			ENTRY("badparam") "," OK("2") "]}]}", false) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_log, "P");
}

static void
test_ignore_errors(void)
{
	CU_ASSERT(apply("{\"subsystems\":[{\"subsystem\":\"s\",\"config\":["
			OK("1") "," ENTRY("bad") "," ENTRY("missing") "," ENTRY("runtime_only") ","
			OK("2") "]},{\"subsystem\":\"t\",\"config\":[" ENTRY("badparam") ","
			OK("3") "]}]}", true) == 0);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == 0);
	CU_ASSERT_STRING_EQUAL(g_log, "1,B,2,P,3");
}

static void
test_malformed(void)
{
	static const char *const docs[] = {
		"[]", "{}", "{\"subsystems\":{}}", "{\"subsystems\":[5]}",
		"{\"subsystems\":[{\"config\":[]}]}",
		"{\"subsystems\":[{\"subsystem\":1,\"config\":[]}]}",
		"{\"subsystems\":[{\"subsystem\":\"s\",\"config\":{}}]}",
		"{\"subsystems\":[{\"subsystem\":\"s\",\"config\":[" OK("1") ",7]}]}",
		"{\"subsystems\":[{\"subsystem\":\"s\",\"config\":[{\"params\":{}}]}]}",
		"{\"subsystems\":[{\"subsystem\":\"s\",\"config\":[{\"method\":5}]}]}",
		"{\"subsystems\":[{\"subsystem\":\"s\",\"config\":[{\"method\":\"ok\","
		"\"params\":\"x\"}]}]}",
	};
	size_t i;

	g_ok_calls = 0;
	for (i = 0; i < VD_COUNTOF(docs); i++) {
		CU_ASSERT(apply(docs[i], true) == -EINVAL);
		CU_ASSERT(g_done.calls == 0);
	}
	/* Validation comes first: nothing ran, not even the valid first entry. */
	CU_ASSERT(g_ok_calls == 0);
	CU_ASSERT(vd_rpc_apply_config(NULL, false, done_cb, NULL) == -EINVAL);
}

static void
test_long_config(void)
{
	struct json_object *config, *subs, *sub, *arr, *entry;
	const unsigned int n = 20000;
	unsigned int i;

	config = json_object_new_object();
	subs = json_object_new_array();
	sub = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(config, "subsystems", subs);
	json_object_array_add(subs, sub);
	json_object_object_add(sub, "subsystem", json_object_new_string("s"));
	json_object_object_add(sub, "config", arr);
	for (i = 0; i < n; i++) {
		entry = json_object_new_object();
		json_object_object_add(entry, "method", json_object_new_string("ok"));
		json_object_array_add(arr, entry);
	}
	g_ok_calls = 0;
	memset(&g_done, 0, sizeof(g_done));
	CU_ASSERT(vd_rpc_apply_config(config, false, done_cb, NULL) == 0);
	ut_poll_all();
	CU_ASSERT(g_ok_calls == n);
	CU_ASSERT(g_done.calls == 1 && g_done.rc == 0);
	json_object_put(config);
}

static void
test_needs_thread(void)
{
	struct json_object *config = json_tokener_parse("{\"subsystems\":[]}");

	vd_set_thread(NULL);
	CU_ASSERT(vd_rpc_apply_config(config, false, done_cb, NULL) == -EINVAL);
	ut_set_thread(0);
	CU_ASSERT(vd_rpc_apply_config(config, false, NULL, NULL) == -EINVAL);
	json_object_put(config);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(1) != 0) {
		return 1;
	}
	vd_rpc_set_state(VD_RPC_STARTUP);
	if (vd_rpc_register_method("ok", rpc_ok, VD_RPC_STARTUP) != 0 ||
	    vd_rpc_register_method("async", rpc_async, VD_RPC_STARTUP) != 0 ||
	    vd_rpc_register_method("bad", rpc_bad, VD_RPC_STARTUP) != 0 ||
	    vd_rpc_register_method("badparam", rpc_badparam, VD_RPC_STARTUP) != 0 ||
	    vd_rpc_register_method("runtime_only", rpc_ok, VD_RPC_RUNTIME) != 0) {
		return 1;
	}
	suite = CU_add_suite("rpc_config", NULL, NULL);
	CU_ADD_TEST(suite, test_happy_path);
	CU_ADD_TEST(suite, test_async_method);
	CU_ADD_TEST(suite, test_errors_stop);
	CU_ADD_TEST(suite, test_ignore_errors);
	CU_ADD_TEST(suite, test_malformed);
	CU_ADD_TEST(suite, test_long_config);
	CU_ADD_TEST(suite, test_needs_thread);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	json_object_put(g_config);
	vd_rpc_unregister_all();
	ut_thread_fini();
	return nfail != 0;
}
