/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * RPC methods bdev_null_create and bdev_null_delete (app thread); parameter checks and
 * answers are shared with the other bdev_sync.h module (lib/bdev/bdev_sync.c).
 */

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/bdev_null.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_sync.h"

static void
rpc_bdev_null_create(struct vd_rpc_request *req, struct json_object *params)
{
	struct vd_bdev_null_opts opts = { 0 };
	struct vd_bdev_sync_rpc_opts p;
	struct vd_bdev *bdev = NULL;
	int rc;

	if (!vd_bdev_sync_rpc_create_params(req, params, true, UINT64_MAX, &p)) {
		return;
	}
	opts.name = p.name;
	opts.num_blocks = p.num_blocks;
	opts.block_size = p.block_size;
	memcpy(opts.uuid, p.uuid, sizeof(opts.uuid));
	rc = vd_bdev_null_create(&opts, &bdev);
	vd_bdev_sync_rpc_create_done(req, rc, opts.name, bdev);
}

static void
rpc_bdev_null_delete(struct vd_rpc_request *req, struct json_object *params)
{
	vd_bdev_sync_rpc_delete(req, params, vd_bdev_null_delete);
}

void
vd_bdev_null_rpc_register(void)
{
	vd_rpc_register_method("bdev_null_create", rpc_bdev_null_create,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("bdev_null_delete", rpc_bdev_null_delete,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
}
