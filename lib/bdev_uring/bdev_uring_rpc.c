/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of the io_uring backend: bdev_uring_create and bdev_uring_delete.  The work is
 * shared with the AIO backend (lib/bdev_aio/bdev_file_rpc.c).
 */

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_file.h"
#include "bdev_uring_internal.h"

static void
rpc_bdev_uring_create(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_file_rpc_create(req, params, &bdev_uring_backend);
}

static void
rpc_bdev_uring_delete(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_file_rpc_delete(req, params, &bdev_uring_backend);
}

void
vd_bdev_uring_rpc_register(void)
{
	vd_rpc_register_method("bdev_uring_create", rpc_bdev_uring_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_uring_delete", rpc_bdev_uring_delete, VD_RPC_RUNTIME);
}
