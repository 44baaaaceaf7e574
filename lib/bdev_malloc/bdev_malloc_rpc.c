/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * RPC methods bdev_malloc_create and bdev_malloc_delete (app thread).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/bdev_malloc.h"
#include "vhostd/rpc.h"
#include "vhostd/util.h"

static bool
check_name(struct vd_rpc_request *req, const char *name)
{
	if (name != NULL && (name[0] == '\0' || strlen(name) >= VD_BDEV_MAX_NAME_LEN ||
			     strchr(name, '/') != NULL)) {
		vd_rpc_send_invalid_param(req, "name", "must be 1..63 characters without '/'");
		return false;
	}
	return true;
}

/* Validate sizes here so that each bad field is named in the answer. */
static bool
check_geometry(struct vd_rpc_request *req, uint64_t num_blocks, uint32_t block_size)
{
	uint64_t bytes;

	if (num_blocks == 0) {
		vd_rpc_send_invalid_param(req, "num_blocks", "must be greater than 0");
		return false;
	}
	if (!VD_IS_POW2(block_size) || block_size < 512 || block_size > 65536) {
		vd_rpc_send_invalid_param(req, "block_size",
					  "must be a power of two between 512 and 65536");
		return false;
	}
	if (__builtin_mul_overflow(num_blocks, (uint64_t)block_size, &bytes) ||
	    bytes > SIZE_MAX / 2) {
		vd_rpc_send_invalid_param(req, "num_blocks", "num_blocks * block_size is too large");
		return false;
	}
	return true;
}

static void
rpc_bdev_malloc_create(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", "num_blocks", "block_size", "uuid", NULL };
	struct vd_bdev_malloc_opts opts = { 0 };
	const char *uuid = NULL;
	struct vd_bdev *bdev;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", false, &opts.name) ||
	    !vd_rpc_param_u64(req, params, "num_blocks", true, &opts.num_blocks) ||
	    !vd_rpc_param_u32(req, params, "block_size", true, &opts.block_size) ||
	    !vd_rpc_param_string(req, params, "uuid", false, &uuid)) {
		return;
	}
	if (!check_name(req, opts.name) || !check_geometry(req, opts.num_blocks, opts.block_size)) {
		return;
	}
	if (uuid != NULL && vd_uuid_parse(opts.uuid, uuid) != 0) {
		vd_rpc_send_invalid_param(req, "uuid", "not a valid UUID");
		return;
	}
	rc = vd_bdev_malloc_create(&opts, &bdev);
	if (rc == -EEXIST) {
		vd_rpc_send_error(req, rc, "bdev %s already exists", opts.name);
		return;
	}
	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_result(req, json_object_new_string(vd_bdev_get_name(bdev)));
}

static void
delete_done(void *cb_arg, int rc)
{
	struct vd_rpc_request *req = cb_arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_bdev_malloc_delete(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = { "name", NULL };
	const char *name = NULL;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	if (vd_bdev_malloc_delete(name, delete_done, req) != 0) {
		vd_rpc_send_error(req, -ENODEV, "bdev %s not found", name);
	}
}

void
vd_bdev_malloc_rpc_register(void)
{
	vd_rpc_register_method("bdev_malloc_create", rpc_bdev_malloc_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_malloc_delete", rpc_bdev_malloc_delete,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
}
