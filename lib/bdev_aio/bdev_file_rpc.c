/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Parameter parsing shared by bdev_aio_create and bdev_uring_create:
 * {"name": string, "filename": string, "block_size"?: power of two in [512, 65536]}.
 */

#include <string.h>

#include <json-c/json.h>

#include "vhostd/bdev.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_file.h"

static const char *const g_create_keys[] = { "name", "filename", "block_size", NULL };

bool
vd_bdev_file_rpc_params(struct vd_rpc_request *req, struct json_object *params,
			const char **name, const char **filename, uint32_t *block_size)
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
