/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * RPC methods of the vhost-nvme bdev module:
 *   bdev_vhost_nvme_attach_controller {name, traddr, io_queues?, queue_size?, dbbuf?,
 *                                      timeout_ms?, admin_msg?} -> [bdev names]
 *   bdev_vhost_nvme_detach_controller {name} -> true
 * Both answer asynchronously, when the work is done.
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/rpc.h"
#include "bdev_vhost_nvme_internal.h"

static const char *
attach_hint(int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
		return " (no vhost-user target listens on traddr)";
	case -ETIMEDOUT:
		return " (the target did not answer a step in time: not a vhost-user target?)";
	case -EPROTO:
		return " (not a vhost-user-nvme target: unexpected or malformed answer)";
	case -ECONNRESET:
		return " (the target closed the connection)";
	case -EIO:
		return " (the target refused a request or an admin command failed; see the log)";
	case -ENODEV:
		return " (controller fatal status, or no namespace)";
	case -ENOTSUP:
		return " (env memory cannot be shared: no fd-backed memory)";
	default:
		return "";
	}
}

static void
attach_done(void *cb_arg, int rc, const char *const *names, size_t count)
{
	vd_bdev_initiator_rpc_attach_reply(cb_arg, "vhost-nvme", rc, attach_hint(rc), names, count);
}

static bool
parse_attach(struct vd_rpc_request *req, struct json_object *params,
	     struct vd_bdev_vhost_nvme_opts *o)
{
	static const char *const known[] = {"name",  "traddr",	   "io_queues", "queue_size",
					    "dbbuf", "timeout_ms", "admin_msg", NULL};
	uint32_t io_queues = 1, queue_size = VD_BDEV_VHOST_NVME_DEFAULT_QUEUE_SIZE, timeout = 0;
	bool dbbuf = true, admin_msg = false;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &o->name) ||
	    !vd_rpc_param_string(req, params, "traddr", true, &o->path) ||
	    !vd_rpc_param_u32(req, params, "io_queues", false, &io_queues) ||
	    !vd_rpc_param_u32(req, params, "queue_size", false, &queue_size) ||
	    !vd_rpc_param_bool(req, params, "dbbuf", false, &dbbuf) ||
	    !vd_rpc_param_u32(req, params, "timeout_ms", false, &timeout) ||
	    !vd_rpc_param_bool(req, params, "admin_msg", false, &admin_msg)) {
		return false;
	}
	if (o->name[0] == '\0' || strlen(o->name) + 4 >= VD_BDEV_MAX_NAME_LEN) {
		vd_rpc_send_invalid_param(req, "name", "must be 1..59 characters");
		return false;
	}
	if (io_queues == 0 || io_queues > VD_BDEV_VHOST_NVME_MAX_IO_QUEUES) {
		vd_rpc_send_invalid_param(req, "io_queues", "must be 1..31");
		return false;
	}
	if (queue_size < 4 || queue_size > 1024) {
		vd_rpc_send_invalid_param(req, "queue_size", "must be 4..1024");
		return false;
	}
	if (timeout > 600000) {
		vd_rpc_send_invalid_param(req, "timeout_ms", "must be at most 600000");
		return false;
	}
	o->io_queues = (uint16_t)io_queues;
	o->queue_size = (uint16_t)queue_size;
	o->dbbuf = dbbuf;
	o->timeout_ms = timeout;
	o->admin_msg = admin_msg;
	return true;
}

static void
rpc_bdev_vhost_nvme_attach_controller(struct vd_rpc_request *req, struct json_object *params)
{
	struct vd_bdev_vhost_nvme_opts o = {0};
	int rc;

	if (!parse_attach(req, params, &o)) {
		return;
	}
	rc = vd_bdev_vhost_nvme_attach(&o, attach_done, req);
	if (rc == -EINVAL) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
				  "Invalid parameters: bad 'traddr' (empty)");
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot attach vhost-nvme controller '%s': %s%s", o.name,
				  rc == -EEXIST ? "controller name in use" : strerror(-rc),
				  rc == -EEXIST ? "" : attach_hint(rc));
	}
}

static void
rpc_bdev_vhost_nvme_detach_controller(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_initiator_rpc_detach(req, params, "vhost-nvme", vd_bdev_vhost_nvme_detach,
				     "attach or detach in progress");
}

void
vd_bdev_vhost_nvme_rpc_register(void)
{
	vd_rpc_register_method("bdev_vhost_nvme_attach_controller",
			       rpc_bdev_vhost_nvme_attach_controller,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_vhost_nvme_detach_controller",
			       rpc_bdev_vhost_nvme_detach_controller, VD_RPC_RUNTIME);
}
