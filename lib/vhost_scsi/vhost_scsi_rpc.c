/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of vhost-scsi controllers (SPDK names and parameters), the "scsi" controller
 * type of vhost_get_controllers / vhost_delete_controller, and the subsystem's saved
 * configuration.  Everything runs on the app thread.
 *
 *   vhost_create_scsi_controller {ctrlr, cpumask?, delay?} -> true
 *   vhost_scsi_controller_add_target {ctrlr, scsi_target_num, bdev_name} -> target number
 *   vhost_scsi_controller_remove_target {ctrlr, scsi_target_num} -> true
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhost_scsi_ctrlr.h"

static void
rpc_done_bool(void *arg, int rc)
{
	struct vd_rpc_request *req = arg;

	if (rc < 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_done_target(void *arg, int rc)
{
	struct vd_rpc_request *req = arg;

	if (rc < 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_result(req, json_object_new_int(rc));
}

static void
rpc_vhost_create_scsi_controller(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", "cpumask", "delay", NULL};
	const char *name = NULL, *cpumask = NULL;
	struct vd_cpuset mask, cores;
	bool delay = false;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name) ||
	    !vd_rpc_param_string(req, params, "cpumask", false, &cpumask) ||
	    !vd_rpc_param_bool(req, params, "delay", false, &delay)) {
		return;
	}
	vd_reactor_get_cpuset(&cores);
	if (cpumask != NULL && !vd_vhost_rpc_parse_cpumask(req, cpumask, &cores, &mask)) {
		return;
	}
	/* SPDK's "delay" defers starting the controller; ours listens at once, which a later
	 * vhost_start_scsi_controller would only confirm. */
	rc = vd_vhost_scsi_create(name, cpumask != NULL ? &mask : NULL);
	switch (rc) {
	case 0:
		vd_rpc_send_bool(req, true);
		break;
	case -EINVAL:
		vd_rpc_send_invalid_param(req, "ctrlr", "must be a non-empty name without '/'");
		break;
	case -EEXIST:
		vd_rpc_send_error(req, rc, "controller %s already exists", name);
		break;
	default:
		vd_rpc_send_error(req, rc, "cannot create controller %s: %s", name, strerror(-rc));
		break;
	}
}

/* scsi_target_num: a JSON integer, -1 (first free) or 0 .. VD_VHOST_SCSI_MAX_TARGETS - 1. */
static bool
rpc_param_target(struct vd_rpc_request *req, struct json_object *params, bool allow_any, int *out)
{
	struct json_object *o;
	int64_t v;

	if (!json_object_object_get_ex(params, "scsi_target_num", &o) || o == NULL ||
	    !json_object_is_type(o, json_type_int)) {
		vd_rpc_send_invalid_param(req, "scsi_target_num", "must be an integer");
		return false;
	}
	v = json_object_get_int64(o);
	if (v >= VD_VHOST_SCSI_MAX_TARGETS || v < (allow_any ? -1 : 0)) {
		vd_rpc_send_error(
			req, -32602, "Invalid parameters: 'scsi_target_num' must be %s0..%d",
			allow_any ? "-1 (first free) or " : "", VD_VHOST_SCSI_MAX_TARGETS - 1);
		return false;
	}
	*out = (int)v;
	return true;
}

static void
rpc_add_target_error(struct vd_rpc_request *req, const char *ctrlr, const char *bdev, int target,
		     int rc)
{
	struct vd_bdev *b;

	switch (rc) {
	case -ENODEV:
		if (!vd_vhost_scsi_exists(ctrlr)) {
			vd_rpc_send_error(req, rc, "vhost-scsi controller %s not found", ctrlr);
		} else {
			vd_rpc_send_error(req, rc, "bdev %s not found", bdev);
		}
		break;
	case -EEXIST:
		vd_rpc_send_error(req, rc, "target %d of controller %s is in use", target, ctrlr);
		break;
	case -ENOSPC:
		vd_rpc_send_error(req, rc, "controller %s has no free target", ctrlr);
		break;
	case -EPERM:
		b = vd_bdev_get_by_name(bdev);
		vd_rpc_send_error(req, rc, "bdev %s is already claimed by %s", bdev,
				  b ? vd_bdev_get_claimer(b) : "another user");
		break;
	default:
		vd_rpc_send_error(req, rc, "cannot add target to controller %s: %s", ctrlr,
				  strerror(-rc));
		break;
	}
}

static void
rpc_vhost_scsi_controller_add_target(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", "scsi_target_num", "bdev_name", NULL};
	const char *name = NULL, *bdev = NULL;
	int target, rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name) ||
	    !rpc_param_target(req, params, true, &target) ||
	    !vd_rpc_param_string(req, params, "bdev_name", true, &bdev)) {
		return;
	}
	rc = vd_vhost_scsi_add_target(name, target, bdev, rpc_done_target, req);
	if (rc != 0) {
		rpc_add_target_error(req, name, bdev, target, rc);
	}
}

static void
rpc_vhost_scsi_controller_remove_target(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", "scsi_target_num", NULL};
	const char *name = NULL;
	int target, rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name) ||
	    !rpc_param_target(req, params, false, &target)) {
		return;
	}
	rc = vd_vhost_scsi_remove_target(name, (uint32_t)target, rpc_done_bool, req);
	if (rc == -ENODEV && !vd_vhost_scsi_exists(name)) {
		vd_rpc_send_error(req, rc, "vhost-scsi controller %s not found", name);
	} else if (rc == -ENODEV) {
		vd_rpc_send_error(req, rc, "controller %s has no target %d", name, target);
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot remove target %d of controller %s: %s", target,
				  name, strerror(-rc));
	}
}

/* vhost_get_controllers ------------------------------------------------------------------- */

/* SPDK shape: [{"scsi_dev_num", "id", "target_name", "luns": [{"id", "bdev_name"}]}]. */
static struct json_object *
rpc_targets(struct vscsi_ctrlr *c)
{
	struct json_object *arr = json_object_new_array(), *t, *luns, *lun;
	char tname[32];
	uint32_t i;

	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		if (c->tgt[i].state != VSCSI_TGT_ACTIVE) {
			continue;
		}
		snprintf(tname, sizeof(tname), "Target %u", i);
		lun = json_object_new_object();
		json_object_object_add(lun, "id", json_object_new_int(0));
		json_object_object_add(lun, "bdev_name",
				       json_object_new_string(c->tgt[i].bdev_name));
		luns = json_object_new_array();
		json_object_array_add(luns, lun);
		t = json_object_new_object();
		json_object_object_add(t, "scsi_dev_num", json_object_new_int((int)i));
		json_object_object_add(t, "id", json_object_new_int((int)i));
		json_object_object_add(t, "target_name", json_object_new_string(tname));
		json_object_object_add(t, "luns", luns);
		json_object_array_add(arr, t);
	}
	return arr;
}

static struct json_object *
rpc_ctrlr_info(struct vscsi_ctrlr *c, const struct vd_cpuset *cores)
{
	struct json_object *o = vd_vhost_ctrlr_info_json(c->vdev, cores), *be;

	be = json_object_new_object();
	json_object_object_add(be, "scsi", rpc_targets(c));
	json_object_object_add(o, "backend_specific", be);
	return o;
}

static uint32_t
scsi_dump_controllers(struct json_object *array, const char *name)
{
	struct vd_cpuset cores;
	struct vscsi_ctrlr *c;
	uint32_t n = 0;

	vd_reactor_get_cpuset(&cores);
	for (c = vscsi_ctrlr_next(NULL); c != NULL; c = vscsi_ctrlr_next(c)) {
		if (c->state == VSCSI_CTRLR_READY && (name == NULL || strcmp(name, c->name) == 0)) {
			json_object_array_add(array, rpc_ctrlr_info(c, &cores));
			n++;
		}
	}
	return n;
}

static struct vd_vhost_ctrlr_type g_scsi_ctrlr_type = {
	.name = "scsi",
	.dump = scsi_dump_controllers,
	.delete_ctrlr = vd_vhost_scsi_delete,
};

/* Saved configuration ---------------------------------------------------------------------- */

static void
config_ctrlr(struct json_object *config, struct vscsi_ctrlr *c)
{
	struct json_object *params = json_object_new_object();
	uint32_t i;

	json_object_object_add(params, "ctrlr", json_object_new_string(c->name));
	vd_vhost_config_add_cpumask(params, c->has_cpumask ? &c->cpumask : NULL);
	vd_rpc_config_add(config, "vhost_create_scsi_controller", params);
	for (i = 0; i < VD_VHOST_SCSI_MAX_TARGETS; i++) {
		if (c->tgt[i].state != VSCSI_TGT_ACTIVE) {
			continue;
		}
		params = json_object_new_object();
		json_object_object_add(params, "ctrlr", json_object_new_string(c->name));
		json_object_object_add(params, "scsi_target_num", json_object_new_int((int)i));
		json_object_object_add(params, "bdev_name",
				       json_object_new_string(c->tgt[i].bdev_name));
		vd_rpc_config_add(config, "vhost_scsi_controller_add_target", params);
	}
}

void
vscsi_write_config_json(struct json_object *config)
{
	struct vscsi_ctrlr *c;

	for (c = vscsi_ctrlr_next(NULL); c != NULL; c = vscsi_ctrlr_next(c)) {
		if (c->state == VSCSI_CTRLR_READY) {
			config_ctrlr(config, c);
		}
	}
}

void
vd_vhost_scsi_rpc_register(void)
{
	vd_rpc_register_method("vhost_create_scsi_controller", rpc_vhost_create_scsi_controller,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("vhost_scsi_controller_add_target",
			       rpc_vhost_scsi_controller_add_target,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("vhost_scsi_controller_remove_target",
			       rpc_vhost_scsi_controller_remove_target, VD_RPC_RUNTIME);
	vd_vhost_ctrlr_type_register(&g_scsi_ctrlr_type);
	vd_vhost_rpc_register();
}
