/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * RPC methods of the framework: reactors, threads, subsystems, configuration and logging.
 *
 * Handlers run on the app thread.  Data owned by other OS threads is gathered where it lives:
 * framework_get_reactors visits reactor after reactor through their event rings (one reactor
 * at a time touches the result), then answers from the app thread; thread_get_stats does the
 * same over lightweight threads with vd_for_each_thread().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "vhostd/env.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "event_internal.h"

static void
rpc_framework_wait_init(struct vd_rpc_request *req, struct json_object *params)
{
	if (params != NULL && (!vd_rpc_params_object(req, params, true) ||
			       !vd_rpc_params_known(req, params, (const char *const[]){ NULL }))) {
		return;
	}
	app_wait_init(req);
}

static const struct {
	const char		*name;
	enum vd_log_level	level;
} g_levels[] = {
	{ "ERROR", VD_LOG_ERROR },
	{ "WARNING", VD_LOG_WARN },
	{ "WARN", VD_LOG_WARN },
	{ "NOTICE", VD_LOG_NOTICE },
	{ "INFO", VD_LOG_INFO },
	{ "DEBUG", VD_LOG_DEBUG },
};

static void
json_add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_uint64(v));
}

static struct json_object *
thread_cpumask_json(struct vd_thread *t)
{
	struct vd_cpuset mask;
	char buf[VD_CPUSET_SIZE / 4 + 8];

	/* A thread allowed "anywhere" is shown as the reactor mask it may actually use. */
	vd_cpuset_copy(&mask, vd_thread_get_cpumask(t));
	vd_cpuset_and(&mask, reactors_get_mask());
	return json_object_new_string(vd_cpuset_fmt(&mask, buf, sizeof(buf)));
}

/* Methods without parameters accept none, or an empty object. */
static bool
rpc_no_params(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const none[] = { NULL };

	return vd_rpc_params_object(req, params, true) &&
	       (params == NULL || vd_rpc_params_known(req, params, none));
}

/* framework_get_reactors -------------------------------------------------------------------- */

struct get_reactors_ctx {
	struct vd_rpc_request	*req;
	struct vd_thread	*app_thread;
	struct json_object	*reactors;
	uint32_t		idx;
	uint64_t		now;
	int			rc;
};

static void
get_reactors_add_thread(struct vd_thread *t, uint64_t placed_tsc, void *arg)
{
	struct get_reactors_ctx *ctx = arg;
	struct json_object *arr, *o = json_object_new_object();
	struct json_object *reactor;

	reactor = json_object_array_get_idx(ctx->reactors,
					    json_object_array_length(ctx->reactors) - 1);
	json_object_object_get_ex(reactor, "lw_threads", &arr);
	json_object_object_add(o, "name", json_object_new_string(vd_thread_get_name(t)));
	json_add_u64(o, "id", vd_thread_get_id(t));
	json_object_object_add(o, "cpumask", thread_cpumask_json(t));
	json_add_u64(o, "elapsed", ctx->now > placed_tsc ? ctx->now - placed_tsc : 0);
	json_object_array_add(arr, o);
}

static void
get_reactors_done(void *arg)
{
	struct get_reactors_ctx *ctx = arg;
	struct json_object *res;

	if (ctx->rc != 0) {
		vd_rpc_send_error(ctx->req, ctx->rc, "%s", strerror(-ctx->rc));
		json_object_put(ctx->reactors);
	} else {
		res = json_object_new_object();
		json_add_u64(res, "tick_rate", vd_get_ticks_hz());
		json_object_object_add(res, "reactors", ctx->reactors);
		vd_rpc_send_result(ctx->req, res);
	}
	free(ctx);
}

static void
get_reactors_finish(struct get_reactors_ctx *ctx)
{
	if (vd_thread_send_msg(ctx->app_thread, get_reactors_done, ctx) != 0) {
		/* The app thread's ring is full: nothing safe to do but drop the answer. */
		VD_ERRLOG("framework_get_reactors: cannot return to the app thread\n");
		json_object_put(ctx->reactors);
		free(ctx);
	}
}

/* Runs on reactor ctx->idx, outside any lightweight thread. */
static void
get_reactors_visit(void *arg)
{
	struct get_reactors_ctx *ctx = arg;
	struct vd_reactor_stats st;
	struct json_object *o = json_object_new_object();
	int rc;

	vd_reactor_get_stats(reactor_get_lcore(ctx->idx), &st);
	ctx->now = vd_get_ticks();
	json_add_u64(o, "lcore", st.lcore);
	json_add_u64(o, "busy", st.busy_tsc);
	json_add_u64(o, "idle", st.idle_tsc);
	json_object_object_add(o, "in_interrupt", json_object_new_boolean(false));
	json_object_object_add(o, "lw_threads", json_object_new_array());
	json_object_array_add(ctx->reactors, o);
	reactor_foreach_thread_local(ctx->idx, get_reactors_add_thread, ctx);

	if (++ctx->idx < vd_reactor_count()) {
		rc = reactor_send_event(ctx->idx, get_reactors_visit, ctx);
		if (rc == 0) {
			return;
		}
		ctx->rc = rc;
	}
	get_reactors_finish(ctx);
}

static void
rpc_framework_get_reactors(struct vd_rpc_request *req, struct json_object *params)
{
	struct get_reactors_ctx *ctx;
	int rc;

	if (!rpc_no_params(req, params)) {
		return;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL || (ctx->reactors = json_object_new_array()) == NULL) {
		free(ctx);
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	ctx->req = req;
	ctx->app_thread = vd_get_thread();
	rc = reactor_send_event(0, get_reactors_visit, ctx);
	if (rc != 0) {
		json_object_put(ctx->reactors);
		free(ctx);
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
	}
}

/* thread_get_stats -------------------------------------------------------------------------- */

struct thread_stats_ctx {
	struct vd_rpc_request	*req;
	struct json_object	*threads;
};

/* Runs on each thread in turn. */
static void
thread_stats_visit(void *arg)
{
	struct thread_stats_ctx *ctx = arg;
	struct vd_thread *t = vd_get_thread();
	struct vd_thread_stats st = { 0 };
	struct vd_poller_stats ps;
	struct json_object *o = json_object_new_object();
	uint64_t n_active = 0, n_timed = 0, n_paused = 0;
	struct vd_poller *p;

	vd_thread_get_stats(t, &st);
	for (p = vd_thread_get_first_poller(t); p != NULL; p = vd_thread_get_next_poller(t, p)) {
		vd_poller_get_stats(p, &ps);
		if (vd_poller_is_paused(p)) {
			n_paused++;
		} else if (ps.period_ticks != 0) {
			n_timed++;
		} else {
			n_active++;
		}
	}
	json_object_object_add(o, "name", json_object_new_string(vd_thread_get_name(t)));
	json_add_u64(o, "id", vd_thread_get_id(t));
	json_object_object_add(o, "cpumask", thread_cpumask_json(t));
	json_add_u64(o, "busy", st.busy_tsc);
	json_add_u64(o, "idle", st.idle_tsc);
	json_add_u64(o, "active_pollers_count", n_active);
	json_add_u64(o, "timed_pollers_count", n_timed);
	json_add_u64(o, "paused_pollers_count", n_paused);
	json_object_array_add(ctx->threads, o);
}

static void
thread_stats_done(void *arg)
{
	struct thread_stats_ctx *ctx = arg;
	struct json_object *res = json_object_new_object();

	json_add_u64(res, "tick_rate", vd_get_ticks_hz());
	json_object_object_add(res, "threads", ctx->threads);
	vd_rpc_send_result(ctx->req, res);
	free(ctx);
}

static void
rpc_thread_get_stats(struct vd_rpc_request *req, struct json_object *params)
{
	struct thread_stats_ctx *ctx;
	int rc;

	if (!rpc_no_params(req, params)) {
		return;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL || (ctx->threads = json_object_new_array()) == NULL) {
		free(ctx);
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	ctx->req = req;
	rc = vd_for_each_thread(thread_stats_visit, ctx, thread_stats_done);
	if (rc != 0) {
		json_object_put(ctx->threads);
		free(ctx);
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
	}
}

/* Subsystems and configuration -------------------------------------------------------------- */

static void
rpc_framework_get_subsystems(struct vd_rpc_request *req, struct json_object *params)
{
	struct json_object *res, *o, *deps;
	struct vd_subsystem *s;
	uint32_t d;

	if (!rpc_no_params(req, params)) {
		return;
	}
	res = json_object_new_array();
	for (s = vd_subsystem_get_first(); s != NULL; s = vd_subsystem_get_next(s)) {
		o = json_object_new_object();
		deps = json_object_new_array();
		for (d = 0; d < VD_COUNTOF(s->depends_on) && s->depends_on[d] != NULL; d++) {
			json_object_array_add(deps, json_object_new_string(s->depends_on[d]));
		}
		json_object_object_add(o, "subsystem", json_object_new_string(s->name));
		json_object_object_add(o, "depends_on", deps);
		json_object_array_add(res, o);
	}
	vd_rpc_send_result(req, res);
}

static void
rpc_framework_get_config(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", NULL };
	struct json_object *config;
	struct vd_subsystem *s;
	const char *name;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	s = vd_subsystem_find(name);
	if (s == NULL) {
		vd_rpc_send_error(req, -ENODEV, "subsystem %s not found", name);
		return;
	}
	config = json_object_new_array();
	if (s->write_config_json != NULL) {
		s->write_config_json(config);
	}
	vd_rpc_send_result(req, config);
}

static void
rpc_save_config(struct vd_rpc_request *req, struct json_object *params)
{
	struct json_object *config;

	if (!rpc_no_params(req, params)) {
		return;
	}
	config = vd_subsystem_save_config();
	if (config == NULL) {
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	vd_rpc_send_result(req, config);
}

/* Logging ----------------------------------------------------------------------------------- */

static void
rpc_log_flag(struct vd_rpc_request *req, struct json_object *params, bool enable)
{
	static const char *const known[] = { "flag", NULL };
	const char *flag;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "flag", true, &flag)) {
		return;
	}
	rc = vd_log_set_flag(flag, enable, false);
	if (rc == -ENOENT) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS, "flag: unknown log flag '%s'", flag);
		return;
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_log_set_flag(struct vd_rpc_request *req, struct json_object *params)
{
	rpc_log_flag(req, params, true);
}

static void
rpc_log_clear_flag(struct vd_rpc_request *req, struct json_object *params)
{
	rpc_log_flag(req, params, false);
}

static void
rpc_log_get_flags(struct vd_rpc_request *req, struct json_object *params)
{
	struct json_object *res;
	struct vd_log_flag *f;

	if (!rpc_no_params(req, params)) {
		return;
	}
	res = json_object_new_object();
	for (f = vd_log_flag_next(NULL); f != NULL; f = vd_log_flag_next(f)) {
		json_object_object_add(res, f->name, json_object_new_boolean(f->enabled));
	}
	vd_rpc_send_result(req, res);
}

static void
rpc_log_set_print_level(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "level", NULL };
	const char *level;
	size_t i;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "level", true, &level)) {
		return;
	}
	for (i = 0; i < VD_COUNTOF(g_levels); i++) {
		if (strcasecmp(level, g_levels[i].name) == 0) {
			vd_log_set_print_level(g_levels[i].level);
			vd_rpc_send_bool(req, true);
			return;
		}
	}
	vd_rpc_send_invalid_param(req, "level", "expected ERROR, WARNING, NOTICE, INFO or DEBUG");
}

static void
rpc_log_get_print_level(struct vd_rpc_request *req, struct json_object *params)
{
	enum vd_log_level level = vd_log_get_print_level();
	const char *name = "DISABLED";
	size_t i;

	if (!rpc_no_params(req, params)) {
		return;
	}
	for (i = 0; i < VD_COUNTOF(g_levels); i++) {
		if (g_levels[i].level == level) {
			name = g_levels[i].name;
			break;
		}
	}
	vd_rpc_send_result(req, json_object_new_string(name));
}

static const struct {
	const char		*name;
	vd_rpc_method_fn	fn;
	uint32_t		state_mask;
} g_methods[] = {
	{ "framework_wait_init", rpc_framework_wait_init, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "framework_get_reactors", rpc_framework_get_reactors, VD_RPC_RUNTIME },
	{ "thread_get_stats", rpc_thread_get_stats, VD_RPC_RUNTIME },
	{ "framework_get_subsystems", rpc_framework_get_subsystems,
	  VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "framework_get_config", rpc_framework_get_config, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "save_config", rpc_save_config, VD_RPC_RUNTIME },
	{ "log_set_flag", rpc_log_set_flag, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "log_clear_flag", rpc_log_clear_flag, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "log_get_flags", rpc_log_get_flags, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "log_set_print_level", rpc_log_set_print_level, VD_RPC_STARTUP | VD_RPC_RUNTIME },
	{ "log_get_print_level", rpc_log_get_print_level, VD_RPC_STARTUP | VD_RPC_RUNTIME },
};

void
vd_event_rpc_register(void)
{
	size_t i;
	int rc;

	for (i = 0; i < VD_COUNTOF(g_methods); i++) {
		rc = vd_rpc_register_method(g_methods[i].name, g_methods[i].fn,
					    g_methods[i].state_mask);
		if (rc != 0 && rc != -EEXIST) {
			VD_ERRLOG("cannot register RPC method %s: %s\n", g_methods[i].name,
				  strerror(-rc));
		}
	}
}
