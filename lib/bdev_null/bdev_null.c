/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Null bdev module: disks without data, the performance reference of the bdev path.
 *
 * Reads leave the buffers untouched and writes are dropped; completion, the shared io_device,
 * registration and the disk list are the skeleton of include/vhostd_internal/bdev_sync.h
 * (lib/bdev/bdev_sync.c).  A disk is freed by null_destruct(), which the bdev layer calls once
 * the last descriptor has closed and every channel of the bdev is gone.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vhostd/bdev_null.h"
#include "vhostd/log.h"
#include "vhostd_internal/bdev_sync.h"

static int
null_destruct(void *ctx)
{
	struct vd_bdev_sync_disk *disk = ctx;

	vd_bdev_sync_disk_remove(disk);
	free(disk->bdev.name);
	free(disk);
	return 0;
}

static const struct vd_bdev_fn_table g_null_fn_table = {
	.destruct		= null_destruct,
	.submit_request		= vd_bdev_sync_submit_done,
	.io_type_supported	= vd_bdev_sync_io_type_supported,
	.get_io_channel		= vd_bdev_sync_get_io_channel,
	.write_config_json	= vd_bdev_sync_write_config_json,
};

static struct vd_bdev_sync_module g_null = {
	.label		= "null",
	.io_name	= "bdev_null",
	.create_method	= "bdev_null_create",
	.product_name	= "Null disk",
	.module		= &vd_bdev_null_module,
	.fn_table	= &g_null_fn_table,
	VD_BDEV_SYNC_MODULE_INIT(g_null),
};

static int
null_init(void)
{
	vd_bdev_sync_io_device_register(&g_null);
	return 0;
}

static void
null_fini(void)
{
	vd_bdev_sync_io_device_unregister(&g_null);
}

struct vd_bdev_module vd_bdev_null_module = {
	.name		= "null",
	.module_init	= null_init,
	.module_fini	= null_fini,
	.get_ctx_size	= vd_bdev_sync_get_ctx_size,
};

int
vd_bdev_null_create(const struct vd_bdev_null_opts *opts, struct vd_bdev **bdev)
{
	struct vd_bdev_sync_disk *disk;
	uint64_t size;
	int rc;

	if (opts->name == NULL) {
		VD_ERRLOG("null bdev: a name is required\n");
		return -EINVAL;
	}
	rc = vd_bdev_sync_check_geometry(&g_null, opts->num_blocks, opts->block_size,
					 UINT64_MAX, &size);
	if (rc != 0) {
		return rc;
	}
	disk = calloc(1, sizeof(*disk));
	if (disk == NULL) {
		return -ENOMEM;
	}
	vd_bdev_sync_disk_init(disk, &g_null, opts->num_blocks, opts->block_size, opts->uuid);
	rc = vd_bdev_sync_disk_register(disk, opts->name);
	if (rc != 0) {
		free(disk->bdev.name);
		free(disk);
		return rc;
	}
	*bdev = &disk->bdev;
	return 0;
}

int
vd_bdev_null_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg)
{
	return vd_bdev_sync_delete(&vd_bdev_null_module, name, cb, cb_arg);
}
