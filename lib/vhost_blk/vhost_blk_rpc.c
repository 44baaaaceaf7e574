/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of vhost-blk controllers (SPDK names and parameters) and the subsystem's
 * saved configuration.  Everything runs on the app thread.
 *
 *   vhost_create_blk_controller {ctrlr, dev_name, cpumask?, readonly?, packed_ring?,
 *                                transport?} -> true
 *   vhost_get_controllers {name?} -> [{ctrlr, cpumask, delay_base_us, iops_threshold, socket,
 *                                      connected, sessions, queues, backend_specific}]
 *   vhost_delete_controller {ctrlr} -> true
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhost_blk_ctrlr.h"

static void
rpc_blk_done(void *arg, int rc)
{
	struct vd_rpc_request *req = arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_create_error(struct vd_rpc_request *req, const struct vd_vhost_blk_opts *opts, int rc)
{
	struct vd_bdev *bdev;

	switch (rc) {
	case -ENODEV:
		vd_rpc_send_error(req, rc, "bdev %s not found", opts->bdev_name);
		break;
	case -EEXIST:
		vd_rpc_send_error(req, rc, "controller %s already exists", opts->name);
		break;
	case -EPERM:
		bdev = vd_bdev_get_by_name(opts->bdev_name);
		vd_rpc_send_error(req, rc, "bdev %s is already claimed by %s", opts->bdev_name,
				  bdev ? vd_bdev_get_claimer(bdev) : "another user");
		break;
	case -EINVAL:
		vd_rpc_send_invalid_param(req, "ctrlr", "must be a non-empty name without '/'");
		break;
	default:
		vd_rpc_send_error(req, rc, "cannot create controller %s: %s", opts->name,
				  strerror(-rc));
		break;
	}
}

static void
rpc_vhost_create_blk_controller(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr",	   "dev_name",	"cpumask", "readonly",
					    "packed_ring", "transport", NULL};
	struct vd_vhost_blk_opts opts = {0};
	struct vd_cpuset mask, cores;
	const char *cpumask = NULL, *transport = NULL;
	bool packed = false;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &opts.name) ||
	    !vd_rpc_param_string(req, params, "dev_name", true, &opts.bdev_name) ||
	    !vd_rpc_param_string(req, params, "cpumask", false, &cpumask) ||
	    !vd_rpc_param_bool(req, params, "readonly", false, &opts.readonly) ||
	    !vd_rpc_param_bool(req, params, "packed_ring", false, &packed) ||
	    !vd_rpc_param_string(req, params, "transport", false, &transport)) {
		return;
	}
	if (packed) {
		vd_rpc_send_invalid_param(req, "packed_ring", "packed ring not supported");
		return;
	}
	if (transport != NULL && strcmp(transport, "vhost_user_blk") != 0) {
		vd_rpc_send_invalid_param(req, "transport", "must be \"vhost_user_blk\"");
		return;
	}
	if (cpumask != NULL) {
		vd_reactor_get_cpuset(&cores);
		if (!vd_vhost_rpc_parse_cpumask(req, cpumask, &cores, &mask)) {
			return;
		}
		opts.cpumask = &mask;
	}
	rc = vd_vhost_blk_create(&opts, rpc_blk_done, req);
	if (rc != 0) {
		rpc_create_error(req, &opts, rc);
	}
}

static struct json_object *
rpc_ctrlr_info(struct blk_ctrlr *c, const struct vd_cpuset *cores)
{
	struct json_object *o = vd_vhost_ctrlr_info_json(c->vdev, cores), *be, *blk;

	blk = json_object_new_object();
	json_object_object_add(blk, "readonly", json_object_new_boolean(c->geom.readonly));
	json_object_object_add(blk, "bdev", json_object_new_string(c->bdev_name));
	be = json_object_new_object();
	json_object_object_add(be, "block", blk);
	json_object_object_add(o, "backend_specific", be);
	return o;
}

static uint32_t
blk_dump_controllers(struct json_object *array, const char *name)
{
	struct vd_cpuset cores;
	struct blk_ctrlr *c;
	uint32_t n = 0;

	vd_reactor_get_cpuset(&cores);
	for (c = blk_ctrlr_next(NULL); c != NULL; c = blk_ctrlr_next(c)) {
		if (c->state == BLK_CTRLR_READY && (name == NULL || strcmp(name, c->name) == 0)) {
			json_object_array_add(array, rpc_ctrlr_info(c, &cores));
			n++;
		}
	}
	return n;
}

static struct vd_vhost_ctrlr_type g_blk_ctrlr_type = {
	.name = "blk",
	.dump = blk_dump_controllers,
	.delete_ctrlr = vd_vhost_blk_delete,
};

void
blk_write_config_json(struct json_object *config)
{
	struct json_object *params;
	struct blk_ctrlr *c;

	for (c = blk_ctrlr_next(NULL); c != NULL; c = blk_ctrlr_next(c)) {
		if (c->state != BLK_CTRLR_READY) {
			continue;
		}
		params = json_object_new_object();
		json_object_object_add(params, "ctrlr", json_object_new_string(c->name));
		json_object_object_add(params, "dev_name", json_object_new_string(c->bdev_name));
		json_object_object_add(params, "readonly",
				       json_object_new_boolean(c->geom.readonly));
		vd_vhost_config_add_cpumask(params, c->has_cpumask ? &c->cpumask : NULL);
		vd_rpc_config_add(config, "vhost_create_blk_controller", params);
	}
}

void
vd_vhost_blk_rpc_register(void)
{
	vd_rpc_register_method("vhost_create_blk_controller", rpc_vhost_create_blk_controller,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_vhost_ctrlr_type_register(&g_blk_ctrlr_type);
	vd_vhost_rpc_register();
}
