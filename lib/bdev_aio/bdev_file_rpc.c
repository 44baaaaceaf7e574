/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods shared by the file-backed backends: <backend>_create
 * {"name": string, "filename": string, "block_size"?: power of two in [512, 65536]} and
 * <backend>_delete {"name": string}.  Parameters are validated here (-32602 naming the field);
 * failures of the operation answer with the negative errno and a message that says what was
 * wrong with which file.
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/bdev.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_file.h"

static const char *const g_create_keys[] = { "name", "filename", "block_size", NULL };
static const char *const g_delete_keys[] = { "name", NULL };

/* Strings are borrowed from params; *block_size is 0 when absent.  false: answered -32602. */
static bool
file_rpc_params(struct vd_rpc_request *req, struct json_object *params, const char **name,
		const char **filename, uint32_t *block_size)
{
	*block_size = 0;
	if (!vd_rpc_params_object(req, params, false) ||
	    !vd_rpc_params_known(req, params, g_create_keys) ||
	    !vd_rpc_param_string(req, params, "name", true, name) ||
	    !vd_rpc_param_string(req, params, "filename", true, filename)) {
		return false;
	}
	if ((*name)[0] == '\0' || strlen(*name) >= VD_BDEV_MAX_NAME_LEN) {
		vd_rpc_send_invalid_param(req, "name", "must be 1 to 63 characters long");
		return false;
	}
	if ((*filename)[0] == '\0') {
		vd_rpc_send_invalid_param(req, "filename", "must not be empty");
		return false;
	}
	if (!vd_rpc_param_u32(req, params, "block_size", false, block_size)) {
		return false;
	}
	if (json_object_object_get_ex(params, "block_size", NULL) &&
	    !vd_bdev_file_block_size_valid(*block_size)) {
		vd_rpc_send_invalid_param(req, "block_size",
					  "must be a power of two between 512 and 65536");
		return false;
	}
	return true;
}

void
vd_bdev_file_rpc_create(struct vd_rpc_request *req, struct json_object *params,
			const struct vd_bdev_file_backend *backend)
{
	const char *name, *filename;
	uint32_t block_size;
	struct vd_bdev *bdev;
	char err[256] = "";
	int rc;

	if (!file_rpc_params(req, params, &name, &filename, &block_size)) {
		return;
	}
	rc = vd_bdev_file_disk_create(backend, name, filename, block_size, &bdev, err,
				      sizeof(err));
	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", err[0] != '\0' ? err : strerror(-rc));
		return;
	}
	vd_rpc_send_result(req, json_object_new_string(vd_bdev_get_name(bdev)));
}

static void
file_rpc_delete_done(void *cb_arg, int rc)
{
	struct vd_rpc_request *req = cb_arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

void
vd_bdev_file_rpc_delete(struct vd_rpc_request *req, struct json_object *params,
			const struct vd_bdev_file_backend *backend)
{
	const char *name = NULL;
	int rc;

	if (!vd_rpc_params_object(req, params, false) ||
	    !vd_rpc_params_known(req, params, g_delete_keys) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	rc = vd_bdev_file_disk_delete(backend, name, file_rpc_delete_done, req);
	if (rc != 0) {
		vd_rpc_send_error(req, rc, "no %s bdev named '%s'", backend->label, name);
	}
}
