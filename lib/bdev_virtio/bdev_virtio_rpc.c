/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * RPC methods of the virtio bdev module (SPDK names and parameters):
 *   bdev_virtio_attach_controller {name, trtype: "user", traddr, dev_type: "blk"|"scsi",
 *                                  vq_count?, vq_size?, timeout_ms?} -> [bdev names]
 *   bdev_virtio_detach_controller {name} -> true
 *   bdev_virtio_get_controllers {name?} -> [{name, trtype, traddr, dev_type, vq_count,
 *                                           vq_size, bdevs}]
 * attach and detach answer asynchronously, when the work is done.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "vhostd/rpc.h"
#include "bdev_virtio_internal.h"

static const char *
attach_hint(int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
		return " (no vhost-user back-end listens on traddr)";
	case -ETIMEDOUT:
		return " (the back-end did not answer a handshake step in time)";
	case -EPROTO:
		return " (not a vhost-user back-end: malformed answer)";
	case -EIO:
		return " (the back-end refused a request or closed the connection)";
	case -ENOTSUP:
		return " (the back-end lacks a required feature; see the log)";
	case -ENODEV:
		return " (no disk found)";
	default:
		return "";
	}
}

static void
attach_done(void *cb_arg, int rc, const char *const *names, size_t count)
{
	vd_bdev_initiator_rpc_attach_reply(cb_arg, "virtio", rc, attach_hint(rc), names, count);
}

static bool
parse_attach(struct vd_rpc_request *req, struct json_object *params, struct vd_bdev_virtio_opts *o)
{
	static const char *const known[] = {"name",	"trtype",  "traddr",	 "dev_type",
					    "vq_count", "vq_size", "timeout_ms", NULL};
	const char *trtype = NULL, *dev_type = NULL;
	uint32_t vq_count = 1, vq_size = VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE, timeout = 0;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &o->name) ||
	    !vd_rpc_param_string(req, params, "trtype", true, &trtype) ||
	    !vd_rpc_param_string(req, params, "traddr", true, &o->path) ||
	    !vd_rpc_param_string(req, params, "dev_type", true, &dev_type) ||
	    !vd_rpc_param_u32(req, params, "vq_count", false, &vq_count) ||
	    !vd_rpc_param_u32(req, params, "vq_size", false, &vq_size) ||
	    !vd_rpc_param_u32(req, params, "timeout_ms", false, &timeout)) {
		return false;
	}
	if (strcasecmp(trtype, "user") != 0) {
		vd_rpc_send_invalid_param(req, "trtype", "must be \"user\" (vhost-user)");
		return false;
	}
	if (strcmp(dev_type, "blk") != 0 && strcmp(dev_type, "scsi") != 0) {
		vd_rpc_send_invalid_param(req, "dev_type", "must be \"blk\" or \"scsi\"");
		return false;
	}
	if (vq_count == 0 || vq_count > VD_VIRTIO_MAX_QUEUES - 2) {
		vd_rpc_send_invalid_param(req, "vq_count", "must be 1..62");
		return false;
	}
	if (vq_size < 4 || vq_size > VD_VIRTIO_MAX_QUEUE_SIZE || (vq_size & (vq_size - 1))) {
		vd_rpc_send_invalid_param(req, "vq_size", "must be a power of two, 4..32768");
		return false;
	}
	o->type = strcmp(dev_type, "blk") == 0 ? VD_BDEV_VIRTIO_BLK : VD_BDEV_VIRTIO_SCSI;
	o->vq_count = (uint16_t)vq_count;
	o->vq_size = (uint16_t)vq_size;
	o->timeout_ms = timeout;
	return true;
}

static void
rpc_bdev_virtio_attach_controller(struct vd_rpc_request *req, struct json_object *params)
{
	struct vd_bdev_virtio_opts o = {0};
	int rc;

	if (!parse_attach(req, params, &o)) {
		return;
	}
	rc = vd_bdev_virtio_attach(&o, attach_done, req);
	if (rc == -EINVAL) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
				  "Invalid parameters: bad 'name' "
				  "(1..60 characters) or 'traddr' (too long)");
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot attach virtio controller '%s': %s", o.name,
				  strerror(-rc));
	}
}

static void
rpc_bdev_virtio_detach_controller(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_initiator_rpc_detach(req, params, "virtio", vd_bdev_virtio_detach, NULL);
}

static const char *
state_name(enum vd_bdev_initiator_state state)
{
	switch (state) {
	case VD_BDEV_INITIATOR_ACTIVE:
		return "active";
	case VD_BDEV_INITIATOR_ATTACHING:
		return "attaching";
	default:
		return "removing";
	}
}

static struct json_object *
ctrlr_json(struct virtio_ctrlr *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bdevs = json_object_new_array();
	uint32_t i;

	json_object_object_add(o, "name", json_object_new_string(c->base.name));
	json_object_object_add(o, "trtype", json_object_new_string("user"));
	json_object_object_add(o, "traddr", json_object_new_string(c->base.path));
	json_object_object_add(
		o, "dev_type",
		json_object_new_string(c->type == VD_BDEV_VIRTIO_BLK ? "blk" : "scsi"));
	json_object_object_add(o, "vq_count", json_object_new_int(c->vq_count));
	json_object_object_add(o, "vq_size", json_object_new_int(c->vq_size));
	json_object_object_add(o, "state", json_object_new_string(state_name(c->base.state)));
	for (i = 0; i < c->base.ndisks; i++) {
		if (c->base.disks[i]->registered) {
			json_object_array_add(bdevs,
					      json_object_new_string(c->base.disks[i]->bdev.name));
		}
	}
	json_object_object_add(o, "bdevs", bdevs);
	return o;
}

static void
rpc_bdev_virtio_get_controllers(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"name", NULL};
	const char *name = NULL;
	struct json_object *arr;
	struct virtio_ctrlr *c;

	if (!vd_rpc_params_object(req, params, true) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", false, &name)) {
		return;
	}
	arr = json_object_new_array();
	for (c = virtio_ctrlr_first(); c != NULL; c = virtio_ctrlr_next(c)) {
		if (name == NULL || strcmp(name, c->base.name) == 0) {
			json_object_array_add(arr, ctrlr_json(c));
		}
	}
	if (name != NULL && json_object_array_length(arr) == 0) {
		json_object_put(arr);
		vd_rpc_send_error(req, -ENODEV, "no virtio controller '%s'", name);
		return;
	}
	vd_rpc_send_result(req, arr);
}

void
vd_bdev_virtio_rpc_register(void)
{
	vd_rpc_register_method("bdev_virtio_attach_controller", rpc_bdev_virtio_attach_controller,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_virtio_detach_controller", rpc_bdev_virtio_detach_controller,
			       VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_virtio_get_controllers", rpc_bdev_virtio_get_controllers,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
}
