/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Calling a registered JSON-RPC method from a unit test and keeping its answer as text.
 *
 *	struct ut_rpc_result r = ut_rpc("bdev_null_create", "{\"name\": \"n0\", ...}");
 *	CU_ASSERT(r.code == 0 && strcmp(r.result, "\"n0\"") == 0);
 *
 * ut_rpc() runs the fake threads (ut_thread.h) until the answer is in and asserts that exactly
 * one answer came.  Header-only; include it from exactly one .c file.
 */
#ifndef VD_UT_RPC_H
#define VD_UT_RPC_H

#include <stdio.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "vhostd/rpc.h"
#include "ut_thread.h"

struct ut_rpc_result {
	int calls;
	int code;		/* 0 on success */
	char msg[256];		/* the error message, "" on success */
	char result[1024];	/* the result as plain JSON, "" on error */
};

static void
ut_rpc_done(void *ctx, struct json_object *result, int code, const char *msg)
{
	struct ut_rpc_result *r = ctx;

	r->calls++;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
	snprintf(r->result, sizeof(r->result), "%s",
		 result ? json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN) : "");
}

/* \p params is JSON text or NULL. */
static struct ut_rpc_result
ut_rpc(const char *method, const char *params)
{
	struct json_object *p = params ? json_tokener_parse(params) : NULL;
	struct ut_rpc_result r = { 0 };

	CU_ASSERT(vd_rpc_call_local(method, p, ut_rpc_done, &r) == 0);
	ut_poll_all();
	CU_ASSERT(r.calls == 1);
	json_object_put(p);
	return r;
}

#endif /* VD_UT_RPC_H */
