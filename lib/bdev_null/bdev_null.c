/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Null bdev module: disks without data, the performance reference of the bdev path.
 *
 * All null disks share one io_device (&g_null_io_device); its per-thread channel holds the list
 * of submitted I/O and a poller that completes the whole list in one batch; reads leave the
 * buffers untouched and writes are dropped.  A bdev_io is thus always completed after
 * submit_request returned, on the submitting thread, with no lock or allocation on the I/O path.
 *
 * g_disks (under g_null_mutex) lists the disks that exist, registered or being destructed;
 * a disk is freed by null_destruct(), which the bdev layer calls once the last descriptor has
 * closed and every channel of the bdev is gone.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <json-c/json.h>

#include "vhostd/bdev_null.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"

struct null_disk {
	struct vd_bdev		bdev;
	TAILQ_ENTRY(null_disk) link;
};

/* driver_ctx of each bdev_io */
struct null_task {
	STAILQ_ENTRY(null_task) link;
};

struct null_channel {
	STAILQ_HEAD(, null_task) done;
	struct vd_poller	*poller;
};

static pthread_mutex_t g_null_mutex = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, null_disk) g_disks = TAILQ_HEAD_INITIALIZER(g_disks);
static bool g_io_device_registered;
static int g_null_io_device;

static inline struct vd_bdev_io *
task_to_io(struct null_task *task)
{
	return VD_CONTAINEROF((void *)task, struct vd_bdev_io, driver_ctx);
}

/* I/O path ---------------------------------------------------------------------------------- */

static void
null_submit(struct vd_io_channel *ioch, struct vd_bdev_io *io)
{
	struct null_channel *nch = vd_io_channel_get_ctx(ioch);
	struct null_task *task = vd_bdev_io_get_driver_ctx(io);

	STAILQ_INSERT_TAIL(&nch->done, task, link);
}

static int
null_poll(void *arg)
{
	struct null_channel *nch = arg;
	STAILQ_HEAD(, null_task) batch = STAILQ_HEAD_INITIALIZER(batch);
	struct null_task *task;

	if (STAILQ_EMPTY(&nch->done)) {
		return VD_POLLER_IDLE;
	}
	/* Completions may submit more I/O: those go to the next batch. */
	STAILQ_CONCAT(&batch, &nch->done);
	while ((task = STAILQ_FIRST(&batch)) != NULL) {
		STAILQ_REMOVE_HEAD(&batch, link);
		vd_bdev_io_complete(task_to_io(task), VD_BDEV_IO_STATUS_SUCCESS);
	}
	return VD_POLLER_BUSY;
}

static int
null_channel_create(void *io_device, void *ctx_buf)
{
	struct null_channel *nch = ctx_buf;

	STAILQ_INIT(&nch->done);
	nch->poller = vd_poller_register(null_poll, nch, 0, "bdev_null");
	return nch->poller != NULL ? 0 : -ENOMEM;
}

static void
null_channel_destroy(void *io_device, void *ctx_buf)
{
	struct null_channel *nch = ctx_buf;

	vd_poller_unregister(&nch->poller);
}

static struct vd_io_channel *
null_get_io_channel(void *ctx)
{
	return vd_get_io_channel(&g_null_io_device);
}

static bool
null_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	switch (type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
	case VD_BDEV_IO_TYPE_FLUSH:
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
	case VD_BDEV_IO_TYPE_RESET:
		return true;
	default:
		return false;
	}
}

/* Life cycle -------------------------------------------------------------------------------- */

static void
null_disk_free(struct null_disk *disk)
{
	free(disk->bdev.name);
	free(disk);
}

static int
null_destruct(void *ctx)
{
	struct null_disk *disk = ctx;

	pthread_mutex_lock(&g_null_mutex);
	TAILQ_REMOVE(&g_disks, disk, link);
	pthread_mutex_unlock(&g_null_mutex);
	null_disk_free(disk);
	return 0;
}

static void
null_write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct json_object *entry = json_object_new_object();
	struct json_object *params = json_object_new_object();
	char uuid[37];

	vd_bdev_get_uuid_str(bdev, uuid);
	json_object_object_add(params, "name", json_object_new_string(bdev->name));
	json_object_object_add(params, "num_blocks", json_object_new_uint64(bdev->blockcnt));
	json_object_object_add(params, "block_size", json_object_new_int64(bdev->blocklen));
	json_object_object_add(params, "uuid", json_object_new_string(uuid));
	json_object_object_add(entry, "method", json_object_new_string("bdev_null_create"));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}

static const struct vd_bdev_fn_table g_null_fn_table = {
	.destruct		= null_destruct,
	.submit_request		= null_submit,
	.io_type_supported	= null_io_type_supported,
	.get_io_channel		= null_get_io_channel,
	.write_config_json	= null_write_config_json,
};

static size_t
null_get_ctx_size(void)
{
	return sizeof(struct null_task);
}

/* Register the shared io_device once (module init, or the first create if that comes first). */
static void
null_io_device_register(void)
{
	pthread_mutex_lock(&g_null_mutex);
	if (!g_io_device_registered) {
		vd_io_device_register(&g_null_io_device, null_channel_create,
				      null_channel_destroy, sizeof(struct null_channel),
				      "bdev_null");
		g_io_device_registered = true;
	}
	pthread_mutex_unlock(&g_null_mutex);
}

static int
null_init(void)
{
	null_io_device_register();
	return 0;
}

static void
null_fini(void)
{
	pthread_mutex_lock(&g_null_mutex);
	if (g_io_device_registered) {
		vd_io_device_unregister(&g_null_io_device, NULL);
		g_io_device_registered = false;
	}
	pthread_mutex_unlock(&g_null_mutex);
}

struct vd_bdev_module vd_bdev_null_module = {
	.name		= "null",
	.module_init	= null_init,
	.module_fini	= null_fini,
	.get_ctx_size	= null_get_ctx_size,
};

static int
null_opts_check(const struct vd_bdev_null_opts *opts, uint64_t *size)
{
	if (opts->num_blocks == 0 || !VD_IS_POW2(opts->block_size) || opts->block_size < 512 ||
	    opts->block_size > 65536) {
		VD_ERRLOG("null bdev: need num_blocks > 0 and a power-of-two block size in "
			  "512..65536 (got %" PRIu64 " x %" PRIu32 ")\n", opts->num_blocks,
			  opts->block_size);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(opts->num_blocks, (uint64_t)opts->block_size, size)) {
		VD_ERRLOG("null bdev: %" PRIu64 " blocks of %" PRIu32 " bytes is too large\n",
			  opts->num_blocks, opts->block_size);
		return -EINVAL;
	}
	return 0;
}

static struct null_disk *
null_disk_alloc(const struct vd_bdev_null_opts *opts)
{
	struct null_disk *disk = calloc(1, sizeof(*disk));

	if (disk == NULL) {
		return NULL;
	}
	disk->bdev.product_name = "Null disk";
	disk->bdev.blocklen = opts->block_size;
	disk->bdev.blockcnt = opts->num_blocks;
	memcpy(disk->bdev.uuid, opts->uuid, sizeof(disk->bdev.uuid));
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = &g_null_fn_table;
	disk->bdev.module = &vd_bdev_null_module;
	return disk;
}

int
vd_bdev_null_create(const struct vd_bdev_null_opts *opts, struct vd_bdev **bdev)
{
	struct null_disk *disk;
	uint64_t size;
	int rc;

	if (opts->name == NULL) {
		VD_ERRLOG("null bdev: a name is required\n");
		return -EINVAL;
	}
	rc = null_opts_check(opts, &size);
	if (rc != 0) {
		return rc;
	}
	disk = null_disk_alloc(opts);
	if (disk == NULL) {
		return -ENOMEM;
	}
	null_io_device_register();
	pthread_mutex_lock(&g_null_mutex);
	disk->bdev.name = strdup(opts->name);
	if (disk->bdev.name == NULL) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	rc = vd_bdev_register(&disk->bdev);
	if (rc != 0) {
		goto err_unlock;
	}
	TAILQ_INSERT_TAIL(&g_disks, disk, link);
	pthread_mutex_unlock(&g_null_mutex);
	*bdev = &disk->bdev;
	return 0;

err_unlock:
	pthread_mutex_unlock(&g_null_mutex);
	null_disk_free(disk);
	return rc;
}

int
vd_bdev_null_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg)
{
	struct vd_bdev *bdev = vd_bdev_get_by_name(name);

	if (bdev == NULL || bdev->module != &vd_bdev_null_module) {
		return -ENODEV;
	}
	vd_bdev_unregister(bdev, cb, cb_arg);
	return 0;
}
