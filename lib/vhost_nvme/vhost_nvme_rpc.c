/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of vhost-nvme controllers and the subsystem's saved configuration (app
 * thread).
 *
 *   vhost_create_nvme_controller {ctrlr, io_queues, cpumask?} -> true
 *       alias construct_vhost_nvme_controller (SPDK 18.x)
 *   vhost_nvme_controller_add_ns {ctrlr, bdev_name} -> true
 *       alias add_vhost_nvme_ns (SPDK 18.x)
 *   Listing and deletion are the generic vhost_get_controllers / vhost_delete_controller
 *   (lib/vhost/vhost_rpc.c) through the "nvme" controller type registered here.
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/event.h"
#include "vhostd/rpc.h"
#include "vhost_nvme_internal.h"

static void
rpc_create(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", "io_queues", "cpumask", NULL};
	const char *name = NULL, *mask_str = NULL;
	uint32_t io_queues = 0;
	struct vd_cpuset mask, cores;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name) ||
	    !vd_rpc_param_u32(req, params, "io_queues", true, &io_queues) ||
	    !vd_rpc_param_string(req, params, "cpumask", false, &mask_str)) {
		return;
	}
	if (io_queues == 0 || io_queues > VD_VHOST_NVME_MAX_IO_QUEUES) {
		vd_rpc_send_invalid_param(req, "io_queues", "must be 1..31");
		return;
	}
	vd_reactor_get_cpuset(&cores);
	if (mask_str != NULL && !vd_vhost_rpc_parse_cpumask(req, mask_str, &cores, &mask)) {
		return;
	}
	rc = vd_vhost_nvme_create(name, io_queues, mask_str != NULL ? &mask : NULL);
	if (rc == -EEXIST) {
		vd_rpc_send_error(req, rc, "controller %s already exists", name);
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot create controller %s: %s", name, strerror(-rc));
	} else {
		vd_rpc_send_bool(req, true);
	}
}

static void
rpc_add_ns(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", "bdev_name", NULL};
	const char *name = NULL, *bdev = NULL;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name) ||
	    !vd_rpc_param_string(req, params, "bdev_name", true, &bdev)) {
		return;
	}
	if (!vd_vhost_nvme_exists(name)) {
		vd_rpc_send_error(req, -ENODEV, "controller %s not found", name);
		return;
	}
	rc = vd_vhost_nvme_add_ns(name, bdev);
	if (rc < 0) {
		vd_rpc_send_error(req, rc, "cannot add bdev %s to %s: %s", bdev, name,
				  strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static struct vd_vhost_ctrlr_type g_nvme_ctrlr_type = {
	.name = "nvme",
	.dump = vd_vhost_nvme_dump_controllers,
	.delete_ctrlr = vd_vhost_nvme_delete,
};

void
vhost_nvme_write_config_json(struct json_object *config)
{
	struct json_object *p;
	struct nvme_ctrlr *c;
	uint32_t i;

	for (c = vhost_nvme_next(NULL); c != NULL; c = vhost_nvme_next(c)) {
		if (c->deleting) {
			continue;
		}
		p = json_object_new_object();
		json_object_object_add(p, "ctrlr", json_object_new_string(c->name));
		json_object_object_add(p, "io_queues", json_object_new_int(c->io_queues));
		vd_vhost_config_add_cpumask(p, c->has_cpumask ? &c->cpumask : NULL);
		vd_rpc_config_add(config, "vhost_create_nvme_controller", p);
		for (i = 0; i < c->num_ns; i++) {
			p = json_object_new_object();
			json_object_object_add(p, "ctrlr", json_object_new_string(c->name));
			json_object_object_add(p, "bdev_name",
					       json_object_new_string(c->ns[i].bdev_name));
			vd_rpc_config_add(config, "vhost_nvme_controller_add_ns", p);
		}
	}
}

void
vd_vhost_nvme_rpc_register(void)
{
	vd_rpc_register_method("vhost_create_nvme_controller", rpc_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("vhost_nvme_controller_add_ns", rpc_add_ns,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_vhost_ctrlr_type_register(&g_nvme_ctrlr_type);
	vd_vhost_rpc_register();
	vd_rpc_register_alias("construct_vhost_nvme_controller", "vhost_create_nvme_controller");
	vd_rpc_register_alias("add_vhost_nvme_ns", "vhost_nvme_controller_add_ns");
}
