/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of the io_uring backend: bdev_uring_create and bdev_uring_delete.
 * Parameters are validated here (-32602 naming the field); failures of the operation answer
 * with the negative errno and a message that says what was wrong with which file.
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_file.h"
#include "bdev_uring_internal.h"

static const char *const g_delete_keys[] = { "name", NULL };

static void
rpc_bdev_uring_create(struct vd_rpc_request *req, struct json_object *params)
{
	struct vd_bdev_uring_opts opts = { 0 };
	struct vd_bdev *bdev;
	char err[256] = "";
	int rc;

	if (!vd_bdev_file_rpc_params(req, params, &opts.name, &opts.filename,
				     &opts.block_size)) {
		return;
	}
	rc = bdev_uring_create_ext(&opts, &bdev, err, sizeof(err));
	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", err[0] != '\0' ? err : strerror(-rc));
		return;
	}
	vd_rpc_send_result(req, json_object_new_string(vd_bdev_get_name(bdev)));
}

static void
rpc_bdev_uring_delete_done(void *cb_arg, int rc)
{
	struct vd_rpc_request *req = cb_arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_bdev_uring_delete(struct vd_rpc_request *req, struct json_object *params)
{
	const char *name = NULL;
	int rc;

	if (!vd_rpc_params_object(req, params, false) ||
	    !vd_rpc_params_known(req, params, g_delete_keys) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	rc = vd_bdev_uring_delete(name, rpc_bdev_uring_delete_done, req);
	if (rc != 0) {
		vd_rpc_send_error(req, rc, "no io_uring bdev named '%s'", name);
	}
}

void
vd_bdev_uring_rpc_register(void)
{
	vd_rpc_register_method("bdev_uring_create", rpc_bdev_uring_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_uring_delete", rpc_bdev_uring_delete, VD_RPC_RUNTIME);
}
