/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of the AIO backend: bdev_aio_create and bdev_aio_delete.  The work is
 * shared with the io_uring backend (lib/bdev_aio/bdev_file_rpc.c).
 */

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_file.h"
#include "bdev_aio_internal.h"

static void
rpc_bdev_aio_create(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_file_rpc_create(req, params, &bdev_aio_backend);
}

static void
rpc_bdev_aio_delete(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_file_rpc_delete(req, params, &bdev_aio_backend);
}

void
vd_bdev_aio_rpc_register(void)
{
	vd_rpc_register_method("bdev_aio_create", rpc_bdev_aio_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_aio_delete", rpc_bdev_aio_delete, VD_RPC_RUNTIME);
}
