/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * RPC method registry, dispatch and answers.
 *
 * The registry is an array sorted by name (binary search).  An alias is an entry of its own
 * that copies its target's handler and state mask.  The registry and the state are touched on
 * the app thread only (registration at start-up, dispatch from the RPC poller and the config
 * path), so there is no lock.
 *
 * A struct vd_rpc_request wraps either a JSON-RPC request (socket) or a local call (config).
 * Invariants:
 *  - it is answered exactly once; a second answer is a programming error: it is logged and
 *    asserted (debug builds) and otherwise ignored;
 *  - refs: one for the pending answer, one held by rpc_dispatch() while the handler runs, so
 *    that a second answer given from inside the handler is caught rather than a use after free.
 *    A second answer given after the handler returned cannot be caught (the request is gone).
 */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/jsonrpc.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd/util.h"
#include "rpc_internal.h"

VD_LOG_FLAG_DEFINE(rpc);

#define RPC_STATE_MASK (VD_RPC_STARTUP | VD_RPC_RUNTIME)
#define RPC_MAX_NAME_LEN 128

struct rpc_method {
	char			*name;
	vd_rpc_method_fn	fn;
	uint32_t		state_mask;
	bool			is_alias;
};

struct vd_rpc_request {
	struct vd_jsonrpc_request	*jreq;		/* NULL for a local call */
	vd_rpc_local_cb			cb;
	void				*cb_ctx;
	char				*method;
	uint32_t			refs;
	bool				answered;
};

static struct rpc_method *g_methods;
static size_t g_num_methods;
static size_t g_cap_methods;
static uint32_t g_state = VD_RPC_STARTUP;
/* Unit tests clear this to exercise the double-answer guard in debug builds. */
static bool g_rpc_assert_double_answer = true;

/* \return the index of \p name, or -(insertion point) - 1. */
static ssize_t
method_find(const char *name)
{
	size_t lo = 0, hi = g_num_methods, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, g_methods[mid].name);
		if (c == 0) {
			return (ssize_t)mid;
		}
		if (c < 0) {
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	return -(ssize_t)lo - 1;
}

static const struct rpc_method *
method_lookup(const char *name)
{
	ssize_t i = method_find(name);

	return i >= 0 ? &g_methods[i] : NULL;
}

static int
method_insert(const char *name, vd_rpc_method_fn fn, uint32_t state_mask, bool is_alias)
{
	struct rpc_method *arr;
	ssize_t i;
	size_t pos, cap;

	if (name == NULL || name[0] == '\0' || strlen(name) > RPC_MAX_NAME_LEN) {
		return -EINVAL;
	}
	i = method_find(name);
	if (i >= 0) {
		VD_ERRLOG("RPC method '%s' is already registered\n", name);
		return -EEXIST;
	}
	pos = (size_t)(-i - 1);
	if (g_num_methods == g_cap_methods) {
		cap = g_cap_methods ? g_cap_methods * 2 : 64;
		arr = realloc(g_methods, cap * sizeof(*arr));
		if (arr == NULL) {
			return -ENOMEM;
		}
		g_methods = arr;
		g_cap_methods = cap;
	}
	memmove(&g_methods[pos + 1], &g_methods[pos], (g_num_methods - pos) * sizeof(*g_methods));
	g_methods[pos] = (struct rpc_method) {
		.name = strdup(name), .fn = fn, .state_mask = state_mask, .is_alias = is_alias,
	};
	if (g_methods[pos].name == NULL) {
		memmove(&g_methods[pos], &g_methods[pos + 1],
			(g_num_methods - pos) * sizeof(*g_methods));
		return -ENOMEM;
	}
	g_num_methods++;
	return 0;
}

int
vd_rpc_register_method(const char *name, vd_rpc_method_fn fn, uint32_t state_mask)
{
	if (fn == NULL || state_mask == 0 || (state_mask & ~RPC_STATE_MASK) != 0) {
		return -EINVAL;
	}
	return method_insert(name, fn, state_mask, false);
}

int
vd_rpc_register_alias(const char *alias, const char *name)
{
	const struct rpc_method *m;

	m = name != NULL ? method_lookup(name) : NULL;
	if (m == NULL) {
		VD_ERRLOG("RPC alias '%s': method '%s' is not registered\n", alias,
			  name != NULL ? name : "(null)");
		return -ENOENT;
	}
	return method_insert(alias, m->fn, m->state_mask, true);
}

void
vd_rpc_unregister_all(void)
{
	size_t i;

	for (i = 0; i < g_num_methods; i++) {
		free(g_methods[i].name);
	}
	free(g_methods);
	g_methods = NULL;
	g_num_methods = g_cap_methods = 0;
}

bool
vd_rpc_method_exists(const char *name)
{
	return name != NULL && method_lookup(name) != NULL;
}

void
vd_rpc_for_each_method(vd_rpc_method_iter_fn fn, void *ctx)
{
	size_t i;

	for (i = 0; i < g_num_methods; i++) {
		fn(g_methods[i].name, g_methods[i].is_alias, g_methods[i].state_mask, ctx);
	}
}

void
vd_rpc_set_state(uint32_t state)
{
	assert(state == VD_RPC_STARTUP || state == VD_RPC_RUNTIME);
	g_state = state;
}

uint32_t
vd_rpc_get_state(void)
{
	return g_state;
}

int
rpc_method_check(const char *name)
{
	const struct rpc_method *m = method_lookup(name);

	if (m == NULL) {
		return -ENOENT;
	}
	return (m->state_mask & g_state) != 0 ? 0 : -EPERM;
}

/* Answers ----------------------------------------------------------------------------------- */

static void
request_put(struct vd_rpc_request *req)
{
	assert(req->refs > 0);
	if (--req->refs == 0) {
		free(req->method);
		free(req);
	}
}

static bool
request_answer_begin(struct vd_rpc_request *req)
{
	if (req->answered) {
		VD_ERRLOG("RPC method '%s' answered twice (ignored)\n", req->method);
		if (g_rpc_assert_double_answer) {
			assert(false && "RPC request answered twice");
		}
		return false;
	}
	req->answered = true;
	return true;
}

void
vd_rpc_send_result(struct vd_rpc_request *req, struct json_object *result)
{
	if (!request_answer_begin(req)) {
		json_object_put(result);
		return;
	}
	if (req->jreq != NULL) {
		vd_jsonrpc_send_result(req->jreq, result);
	} else {
		req->cb(req->cb_ctx, result, 0, NULL);
		json_object_put(result);
	}
	request_put(req);
}

void
vd_rpc_send_bool(struct vd_rpc_request *req, bool value)
{
	vd_rpc_send_result(req, json_object_new_boolean(value));
}

static void
send_error_str(struct vd_rpc_request *req, int code, const char *msg)
{
	if (!request_answer_begin(req)) {
		return;
	}
	VD_INFOLOG(rpc, "method '%s' failed: %d %s\n", req->method, code, msg);
	if (req->jreq != NULL) {
		vd_jsonrpc_send_error(req->jreq, code, "%s", msg);
	} else {
		req->cb(req->cb_ctx, NULL, code, msg);
	}
	request_put(req);
}

void
vd_rpc_send_error(struct vd_rpc_request *req, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	send_error_str(req, code, rc >= 0 ? msg : "Internal error (out of memory)");
	if (rc >= 0) {
		free(msg);
	}
}

void
vd_rpc_send_invalid_param(struct vd_rpc_request *req, const char *field, const char *why)
{
	vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS, "Invalid parameters: '%s' %s", field, why);
}

/* Dispatch ---------------------------------------------------------------------------------- */

static struct vd_rpc_request *
request_new(const char *method)
{
	struct vd_rpc_request *req;

	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		return NULL;
	}
	req->method = strdup(method);
	if (req->method == NULL) {
		free(req);
		return NULL;
	}
	req->refs = 2;	/* the answer, and rpc_dispatch() */
	return req;
}

static void
rpc_dispatch(struct vd_rpc_request *req, struct json_object *params)
{
	const struct rpc_method *m = method_lookup(req->method);

	if (m == NULL) {
		vd_rpc_send_error(req, VD_JSONRPC_ERROR_METHOD_NOT_FOUND, "Method not found: %s",
				  req->method);
	} else if ((m->state_mask & g_state) == 0) {
		vd_rpc_send_error(req, VD_JSONRPC_ERROR_METHOD_NOT_FOUND,
				  "Method '%s' may only be called during %s", req->method,
				  m->state_mask & VD_RPC_STARTUP ? "startup" : "runtime");
	} else {
		VD_INFOLOG(rpc, "calling '%s'\n", req->method);
		m->fn(req, params);
	}
	request_put(req);
}

void
rpc_handle_jsonrpc(struct vd_jsonrpc_request *jreq, const char *method,
		   struct json_object *params)
{
	struct vd_rpc_request *req = request_new(method);

	if (req == NULL) {
		vd_jsonrpc_send_error(jreq, VD_JSONRPC_ERROR_INTERNAL_ERROR, "Out of memory");
		return;
	}
	req->jreq = jreq;
	rpc_dispatch(req, params);
}

int
vd_rpc_call_local(const char *method, struct json_object *params, vd_rpc_local_cb cb,
		  void *ctx)
{
	struct vd_rpc_request *req;

	if (method == NULL || cb == NULL) {
		return -EINVAL;
	}
	req = request_new(method);
	if (req == NULL) {
		return -ENOMEM;
	}
	req->cb = cb;
	req->cb_ctx = ctx;
	rpc_dispatch(req, params);
	return 0;
}

/* rpc_get_methods --------------------------------------------------------------------------- */

struct get_methods_ctx {
	struct json_object	*arr;
	bool			current;
	bool			include_aliases;
	bool			nomem;
};

static void
get_methods_add(const char *name, bool is_alias, uint32_t state_mask, void *arg)
{
	struct get_methods_ctx *ctx = arg;
	struct json_object *s;

	if ((is_alias && !ctx->include_aliases) || (ctx->current && !(state_mask & g_state))) {
		return;
	}
	s = json_object_new_string(name);
	if (s == NULL || json_object_array_add(ctx->arr, s) != 0) {
		json_object_put(s);
		ctx->nomem = true;
	}
}

static void
rpc_rpc_get_methods(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "current", "include_aliases", NULL };
	struct get_methods_ctx ctx = { 0 };

	if (!vd_rpc_params_object(req, params, true) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_bool(req, params, "current", false, &ctx.current) ||
	    !vd_rpc_param_bool(req, params, "include_aliases", false, &ctx.include_aliases)) {
		return;
	}
	ctx.arr = json_object_new_array();
	if (ctx.arr == NULL) {
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	vd_rpc_for_each_method(get_methods_add, &ctx);
	if (ctx.nomem) {
		json_object_put(ctx.arr);
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	vd_rpc_send_result(req, ctx.arr);
}

void
vd_rpc_rpc_register(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(rpc));
	vd_rpc_register_method("rpc_get_methods", rpc_rpc_get_methods,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
}
