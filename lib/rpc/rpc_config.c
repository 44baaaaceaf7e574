/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Apply a JSON configuration by calling RPC methods in process; vd_rpc_config_add() builds the
 * entries the subsystems save.
 *
 * Document shape: {"subsystems":[{"subsystem":"bdev","config":[{"method":..., "params":...},
 * ...]}, ...]}.  "config" may be null or missing (the subsystem is skipped).  The whole document
 * is validated before the first call, so a malformed file changes nothing.
 *
 * Sequencing: one call at a time; each step is started from a message to the thread that called
 * vd_rpc_apply_config(), never from inside the previous method's answer.  A long configuration
 * whose methods answer synchronously therefore runs in constant stack depth, and a method that
 * answers later (after I/O) simply continues the chain then.
 *
 * States of struct config_ctx: RUNNING (sub_idx/entry_idx name the next entry) -> DONE (cb runs
 * from config_finish(), then the context is freed).  Entry numbers in messages are indices
 * into the subsystem's "config" array (from 0).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd/thread.h"
#include "rpc_internal.h"

struct config_ctx {
	struct json_object	*subsystems;	/* borrowed from the caller's document */
	size_t			sub_idx;
	size_t			entry_idx;
	bool			ignore_errors;
	int			rc;
	struct vd_thread	*thread;
	vd_rpc_config_cb	cb;
	void			*cb_ctx;
};

static bool
get_typed(struct json_object *obj, const char *key, enum json_type type,
	  struct json_object **out)
{
	return json_object_object_get_ex(obj, key, out) && json_object_is_type(*out, type);
}

static int
validate_entry(const char *subsys, size_t i, struct json_object *entry)
{
	struct json_object *v;

	if (!json_object_is_type(entry, json_type_object)) {
		VD_ERRLOG("config: subsystem %s entry %zu: not an object\n", subsys, i);
		return -EINVAL;
	}
	if (!get_typed(entry, "method", json_type_string, &v)) {
		VD_ERRLOG("config: subsystem %s entry %zu: \"method\" must be a string\n", subsys,
			  i);
		return -EINVAL;
	}
	if (json_object_object_get_ex(entry, "params", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array)) {
		VD_ERRLOG("config: subsystem %s entry %zu: \"params\" must be an object\n", subsys,
			  i);
		return -EINVAL;
	}
	return 0;
}

static int
validate_subsystem(size_t i, struct json_object *sub)
{
	struct json_object *name, *config;
	const char *subsys;
	size_t j, n;

	if (!json_object_is_type(sub, json_type_object) ||
	    !get_typed(sub, "subsystem", json_type_string, &name)) {
		VD_ERRLOG("config: subsystems[%zu]: need an object with a string \"subsystem\"\n",
			  i);
		return -EINVAL;
	}
	subsys = json_object_get_string(name);
	if (!json_object_object_get_ex(sub, "config", &config) || config == NULL) {
		return 0;
	}
	if (!json_object_is_type(config, json_type_array)) {
		VD_ERRLOG("config: subsystem %s: \"config\" must be an array or null\n", subsys);
		return -EINVAL;
	}
	n = json_object_array_length(config);
	for (j = 0; j < n; j++) {
		if (validate_entry(subsys, j, json_object_array_get_idx(config, j)) != 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static int
validate_config(struct json_object *config, struct json_object **subsystems)
{
	size_t i, n;

	if (!json_object_is_type(config, json_type_object) ||
	    !get_typed(config, "subsystems", json_type_array, subsystems)) {
		VD_ERRLOG("config: need an object with a \"subsystems\" array\n");
		return -EINVAL;
	}
	n = json_object_array_length(*subsystems);
	for (i = 0; i < n; i++) {
		if (validate_subsystem(i, json_object_array_get_idx(*subsystems, i)) != 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static void
config_schedule(struct config_ctx *ctx, vd_msg_fn fn)
{
	int rc = vd_thread_send_msg(ctx->thread, fn, ctx);

	if (rc != 0) {
		/* Full message ring: carrying on in this stack is better than stalling. */
		VD_WARNLOG("config: cannot queue next step (%s), continuing inline\n",
			   strerror(-rc));
		fn(ctx);
	}
}

static void
config_finish(void *arg)
{
	struct config_ctx *ctx = arg;

	ctx->cb(ctx->cb_ctx, ctx->ignore_errors ? 0 : ctx->rc);
	free(ctx);
}

/* Find the next entry; \return false when the document is exhausted. */
static bool
config_entry(struct config_ctx *ctx, const char **subsys, struct json_object **entry)
{
	struct json_object *sub, *name, *config;

	while (ctx->sub_idx < json_object_array_length(ctx->subsystems)) {
		sub = json_object_array_get_idx(ctx->subsystems, ctx->sub_idx);
		get_typed(sub, "subsystem", json_type_string, &name);
		*subsys = json_object_get_string(name);
		if (get_typed(sub, "config", json_type_array, &config) &&
		    ctx->entry_idx < json_object_array_length(config)) {
			*entry = json_object_array_get_idx(config, ctx->entry_idx);
			return true;
		}
		ctx->sub_idx++;
		ctx->entry_idx = 0;
	}
	return false;
}

/* Record a failed entry.  \return true to stop. */
static bool
config_failed(struct config_ctx *ctx, int rc)
{
	if (ctx->rc == 0) {
		ctx->rc = rc;
	}
	ctx->entry_idx++;
	return !ctx->ignore_errors;
}

static void config_call_done(void *arg, struct json_object *result, int code, const char *msg);

static void
config_log_refused(const struct config_ctx *ctx, const char *subsys, const char *method, int rc)
{
	const char *ign = ctx->ignore_errors ? " (ignored)" : "";

	if (rc == -ENOENT) {
		VD_ERRLOG("config: subsystem %s entry %zu: method '%s' not found%s\n", subsys,
			  ctx->entry_idx, method, ign);
	} else if (rc == -EPERM) {
		VD_ERRLOG("config: subsystem %s entry %zu: method '%s' may only be called during "
			  "%s%s\n", subsys, ctx->entry_idx, method,
			  vd_rpc_get_state() == VD_RPC_STARTUP ? "runtime" : "startup", ign);
	} else {
		VD_ERRLOG("config: subsystem %s entry %zu: method '%s': %s%s\n", subsys,
			  ctx->entry_idx, method, strerror(-rc), ign);
	}
}

static void
config_next(void *arg)
{
	struct config_ctx *ctx = arg;
	struct json_object *entry, *jmethod, *params = NULL;
	const char *subsys, *method;
	int rc;

	while (config_entry(ctx, &subsys, &entry)) {
		get_typed(entry, "method", json_type_string, &jmethod);
		method = json_object_get_string(jmethod);
		json_object_object_get_ex(entry, "params", &params);
		rc = rpc_method_check(method);
		if (rc == 0) {
			rc = vd_rpc_call_local(method, params, config_call_done, ctx);
		}
		if (rc == 0) {
			return;	/* continues in config_call_done() */
		}
		config_log_refused(ctx, subsys, method, rc);
		if (config_failed(ctx, rc)) {
			break;
		}
	}
	config_schedule(ctx, config_finish);
}

static void
config_call_done(void *arg, struct json_object *result, int code, const char *msg)
{
	struct config_ctx *ctx = arg;
	struct json_object *entry, *jmethod;
	const char *subsys;

	if (code == 0) {
		ctx->entry_idx++;
		config_schedule(ctx, config_next);
		return;
	}
	config_entry(ctx, &subsys, &entry);
	get_typed(entry, "method", json_type_string, &jmethod);
	VD_ERRLOG("config: subsystem %s entry %zu: method '%s' failed: %s (%d)%s\n", subsys,
		  ctx->entry_idx, json_object_get_string(jmethod), msg, code,
		  ctx->ignore_errors ? " (ignored)" : "");
	/* A negative errno passes through; JSON-RPC protocol codes mean bad input. */
	if (config_failed(ctx, code < 0 && code > -4096 ? code : -EINVAL)) {
		config_schedule(ctx, config_finish);
	} else {
		config_schedule(ctx, config_next);
	}
}

int
vd_rpc_apply_config(struct json_object *config, bool ignore_errors, vd_rpc_config_cb cb,
		    void *cb_ctx)
{
	struct json_object *subsystems;
	struct config_ctx *ctx;
	int rc;

	if (cb == NULL || vd_get_thread() == NULL) {
		VD_ERRLOG("config: must be applied from a vd_thread with a callback\n");
		return -EINVAL;
	}
	rc = validate_config(config, &subsystems);
	if (rc != 0) {
		return rc;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		return -ENOMEM;
	}
	ctx->subsystems = subsystems;
	ctx->ignore_errors = ignore_errors;
	ctx->thread = vd_get_thread();
	ctx->cb = cb;
	ctx->cb_ctx = cb_ctx;
	rc = vd_thread_send_msg(ctx->thread, config_next, ctx);
	if (rc != 0) {
		free(ctx);
		return rc;
	}
	return 0;
}

void
vd_rpc_config_add(struct json_object *config, const char *method, struct json_object *params)
{
	struct json_object *entry = json_object_new_object();

	json_object_object_add(entry, "method", json_object_new_string(method));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}
