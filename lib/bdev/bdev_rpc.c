/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Core bdev RPC methods (bdev_get_bdevs, bdev_get_iostat) and the "bdev" subsystem.
 *
 * Everything here runs on the app thread.  bdev_get_iostat is asynchronous: it keeps a list of
 * bdev names and, for each, opens a read-only descriptor (so the bdev cannot be destructed
 * under it), sums the statistics of every channel with vd_bdev_get_device_stat() and closes
 * the descriptor; a bdev removed in between is skipped.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/env.h"
#include "vhostd/event.h"
#include "vhostd/rpc.h"
#include "bdev_internal.h"

/* bdev_get_bdevs --------------------------------------------------------------------------- */

static struct json_object *
supported_io_types_json(struct vd_bdev *bdev)
{
	static const enum vd_bdev_io_type types[] = {
		VD_BDEV_IO_TYPE_READ, VD_BDEV_IO_TYPE_WRITE, VD_BDEV_IO_TYPE_UNMAP,
		VD_BDEV_IO_TYPE_FLUSH, VD_BDEV_IO_TYPE_RESET, VD_BDEV_IO_TYPE_WRITE_ZEROES,
	};
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; o != NULL && i < VD_COUNTOF(types); i++) {
		json_object_object_add(o, vd_bdev_io_type_name(types[i]),
				       json_object_new_boolean(vd_bdev_io_type_supported(bdev,
										types[i])));
	}
	return o;
}

static struct json_object *
aliases_json(struct vd_bdev *bdev)
{
	struct json_object *arr = json_object_new_array();
	struct bdev_alias *a;

	pthread_mutex_lock(&g_bdev_mutex);
	TAILQ_FOREACH(a, &bdev->internal->aliases, link) {
		json_object_array_add(arr, json_object_new_string(a->name));
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	return arr;
}

static struct json_object *
bdev_info_json(struct vd_bdev *bdev)
{
	struct json_object *o = json_object_new_object(), *drv;
	struct bdev_internal *bi = bdev->internal;
	char uuid[37];

	vd_bdev_get_uuid_str(bdev, uuid);
	json_object_object_add(o, "name", json_object_new_string(bdev->name));
	json_object_object_add(o, "aliases", aliases_json(bdev));
	json_object_object_add(o, "product_name",
			       json_object_new_string(vd_bdev_get_product_name(bdev)));
	json_object_object_add(o, "block_size", json_object_new_int64(bdev->blocklen));
	json_object_object_add(o, "num_blocks", json_object_new_uint64(bdev->blockcnt));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	pthread_mutex_lock(&bi->mutex);
	json_object_object_add(o, "claimed", json_object_new_boolean(bi->claim_desc != NULL));
	if (bi->claim_desc != NULL) {
		json_object_object_add(o, "claimer", json_object_new_string(bi->claimer));
	}
	pthread_mutex_unlock(&bi->mutex);
	json_object_object_add(o, "supported_io_types", supported_io_types_json(bdev));
	json_object_object_add(o, "write_cache", json_object_new_boolean(bdev->write_cache));
	drv = json_object_new_object();
	if (bdev->fn_table->dump_info_json != NULL) {
		bdev->fn_table->dump_info_json(bdev->ctxt, drv);
	}
	json_object_object_add(o, "driver_specific", drv);
	return o;
}

static void
rpc_bdev_get_bdevs(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", "timeout", NULL };
	const char *name = NULL;
	struct json_object *arr;
	struct vd_bdev *bdev;

	if (!vd_rpc_params_object(req, params, true) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", false, &name)) {
		return;
	}
	if (name != NULL) {
		bdev = vd_bdev_get_by_name(name);
		if (bdev == NULL) {
			vd_rpc_send_error(req, -ENODEV, "bdev %s not found", name);
			return;
		}
		arr = json_object_new_array();
		json_object_array_add(arr, bdev_info_json(bdev));
		vd_rpc_send_result(req, arr);
		return;
	}
	arr = json_object_new_array();
	for (bdev = vd_bdev_first(); bdev != NULL; bdev = vd_bdev_next(bdev)) {
		json_object_array_add(arr, bdev_info_json(bdev));
	}
	vd_rpc_send_result(req, arr);
}

/* bdev_get_iostat -------------------------------------------------------------------------- */

struct iostat_ctx {
	struct vd_rpc_request	*req;
	struct json_object	*result;
	struct json_object	*bdevs;
	char			**names;
	size_t			num_names;
	size_t			next;
	struct vd_bdev_desc	*desc;
	struct vd_bdev_io_stat	stat;
};

static void
iostat_ctx_free(struct iostat_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->num_names; i++) {
		free(ctx->names[i]);
	}
	free(ctx->names);
	json_object_put(ctx->result);
	free(ctx);
}

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static struct json_object *
iostat_json(const char *name, const struct vd_bdev_io_stat *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	add_u64(o, "bytes_read", s->bytes_read);
	add_u64(o, "num_read_ops", s->num_read_ops);
	add_u64(o, "bytes_written", s->bytes_written);
	add_u64(o, "num_write_ops", s->num_write_ops);
	add_u64(o, "bytes_unmapped", s->bytes_unmapped);
	add_u64(o, "num_unmap_ops", s->num_unmap_ops);
	add_u64(o, "bytes_zeroed", s->bytes_zeroed);
	add_u64(o, "num_write_zeroes_ops", s->num_write_zeroes_ops);
	add_u64(o, "num_flush_ops", s->num_flush_ops);
	add_u64(o, "num_reset_ops", s->num_reset_ops);
	add_u64(o, "num_errors", s->num_errors);
	add_u64(o, "read_latency_ticks", s->read_latency_ticks);
	add_u64(o, "max_read_latency_ticks", s->max_read_latency_ticks);
	add_u64(o, "write_latency_ticks", s->write_latency_ticks);
	add_u64(o, "max_write_latency_ticks", s->max_write_latency_ticks);
	add_u64(o, "unmap_latency_ticks", s->unmap_latency_ticks);
	add_u64(o, "write_zeroes_latency_ticks", s->write_zeroes_latency_ticks);
	add_u64(o, "flush_latency_ticks", s->flush_latency_ticks);
	return o;
}

static void
iostat_event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	/* The descriptor is closed as soon as its statistics arrive. */
}

static void iostat_next(struct iostat_ctx *ctx);

static void
iostat_done(struct vd_bdev *bdev, struct vd_bdev_io_stat *stat, void *cb_arg, int rc)
{
	struct iostat_ctx *ctx = cb_arg;

	if (rc == 0) {
		json_object_array_add(ctx->bdevs, iostat_json(bdev->name, stat));
	}
	vd_bdev_close(ctx->desc);
	ctx->desc = NULL;
	iostat_next(ctx);
}

static void
iostat_next(struct iostat_ctx *ctx)
{
	while (ctx->next < ctx->num_names) {
		if (vd_bdev_open_ext(ctx->names[ctx->next++], false, iostat_event_cb, NULL,
				     &ctx->desc) == 0) {
			vd_bdev_get_device_stat(ctx->desc->bdev, &ctx->stat, iostat_done, ctx);
			return;
		}
	}
	vd_rpc_send_result(ctx->req, ctx->result);
	ctx->result = NULL;
	iostat_ctx_free(ctx);
}

/* Snapshot the names to visit.  \return 0 or -ENOMEM. */
static int
iostat_collect(struct iostat_ctx *ctx, const char *name)
{
	struct vd_bdev *bdev;
	size_t n = 0;

	for (bdev = vd_bdev_first(); bdev != NULL; bdev = vd_bdev_next(bdev)) {
		n++;
	}
	ctx->names = calloc(n + 1, sizeof(char *));
	if (ctx->names == NULL) {
		return -ENOMEM;
	}
	if (name != NULL) {
		ctx->names[0] = strdup(name);
		ctx->num_names = 1;
		return ctx->names[0] != NULL ? 0 : -ENOMEM;
	}
	for (bdev = vd_bdev_first(); bdev != NULL && ctx->num_names < n;
	     bdev = vd_bdev_next(bdev)) {
		ctx->names[ctx->num_names] = strdup(bdev->name);
		if (ctx->names[ctx->num_names++] == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void
rpc_bdev_get_iostat(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", NULL };
	const char *name = NULL;
	struct iostat_ctx *ctx;

	if (!vd_rpc_params_object(req, params, true) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", false, &name)) {
		return;
	}
	if (name != NULL && vd_bdev_get_by_name(name) == NULL) {
		vd_rpc_send_error(req, -ENODEV, "bdev %s not found", name);
		return;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL || (ctx->result = json_object_new_object()) == NULL ||
	    (ctx->bdevs = json_object_new_array()) == NULL || iostat_collect(ctx, name) != 0) {
		if (ctx != NULL) {
			json_object_put(ctx->bdevs);
			iostat_ctx_free(ctx);
		}
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	ctx->req = req;
	add_u64(ctx->result, "tick_rate", vd_get_ticks_hz());
	add_u64(ctx->result, "ticks", vd_get_ticks());
	json_object_object_add(ctx->result, "bdevs", ctx->bdevs);
	iostat_next(ctx);
}

void
vd_bdev_rpc_register(void)
{
	vd_rpc_register_method("bdev_get_bdevs", rpc_bdev_get_bdevs,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_get_iostat", rpc_bdev_get_iostat,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
}

/* The "bdev" subsystem --------------------------------------------------------------------- */

static void
subsystem_init_done(void *cb_arg, int rc)
{
	vd_subsystem_init_next(rc);
}

static void
subsystem_init(void)
{
	vd_bdev_initialize(subsystem_init_done, NULL);
}

static void
subsystem_fini_done(void *cb_arg)
{
	vd_subsystem_fini_next();
}

static void
subsystem_fini(void)
{
	vd_bdev_finish(subsystem_fini_done, NULL);
}

/* Module options first, then one creation entry per bdev, in registration order. */
static void
subsystem_write_config(struct json_object *config)
{
	struct vd_bdev_module *m;
	struct vd_bdev *bdev;

	for (m = bdev_module_first(); m != NULL; m = m->next) {
		if (m->config_json != NULL) {
			m->config_json(config);
		}
	}
	for (bdev = vd_bdev_first(); bdev != NULL; bdev = vd_bdev_next(bdev)) {
		if (bdev->fn_table->write_config_json != NULL) {
			bdev->fn_table->write_config_json(bdev, config);
		}
	}
}

static struct vd_subsystem g_bdev_subsystem = {
	.name = "bdev",
	.init = subsystem_init,
	.fini = subsystem_fini,
	.write_config_json = subsystem_write_config,
};

struct vd_subsystem *
vd_bdev_subsystem(void)
{
	return &g_bdev_subsystem;
}
