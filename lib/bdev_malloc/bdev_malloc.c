/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Malloc bdev module: RAM disks in DMA-safe memory.
 *
 * All malloc disks share one io_device (&g_malloc_io_device); its per-thread channel holds the
 * list of I/O whose data was already copied at submission and a poller that completes the whole
 * list in one batch.  A bdev_io is thus always completed after submit_request returned, on the
 * submitting thread, with no lock or allocation on the I/O path.
 *
 * g_disks (under g_malloc_mutex) lists the disks that exist, registered or being destructed;
 * a disk is freed by malloc_destruct(), which the bdev layer calls once the last descriptor has
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

#include "vhostd/bdev_malloc.h"
#include "vhostd/env.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"

struct malloc_disk {
	struct vd_bdev		bdev;
	void			*buf;
	uint32_t		shift;		/* log2(block size) */
	TAILQ_ENTRY(malloc_disk) link;
};

/* driver_ctx of each bdev_io */
struct malloc_task {
	STAILQ_ENTRY(malloc_task) link;
};

struct malloc_channel {
	STAILQ_HEAD(, malloc_task) done;
	struct vd_poller	*poller;
};

static pthread_mutex_t g_malloc_mutex = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, malloc_disk) g_disks = TAILQ_HEAD_INITIALIZER(g_disks);
static bool g_io_device_registered;
static int g_malloc_io_device;

static inline struct vd_bdev_io *
task_to_io(struct malloc_task *task)
{
	return VD_CONTAINEROF((void *)task, struct vd_bdev_io, driver_ctx);
}

/* I/O path ---------------------------------------------------------------------------------- */

static void
malloc_copy(struct malloc_disk *disk, struct vd_bdev_io *io, bool to_disk)
{
	char *p = (char *)disk->buf + (io->offset_blocks << disk->shift);
	int i;

	for (i = 0; i < io->iovcnt; i++) {
		if (to_disk) {
			memcpy(p, io->iovs[i].iov_base, io->iovs[i].iov_len);
		} else {
			memcpy(io->iovs[i].iov_base, p, io->iovs[i].iov_len);
		}
		p += io->iovs[i].iov_len;
	}
}

static void
malloc_submit(struct vd_io_channel *ioch, struct vd_bdev_io *io)
{
	struct malloc_channel *mch = vd_io_channel_get_ctx(ioch);
	struct malloc_disk *disk = io->bdev->ctxt;
	struct malloc_task *task = vd_bdev_io_get_driver_ctx(io);

	switch (io->type) {
	case VD_BDEV_IO_TYPE_READ:
		malloc_copy(disk, io, false);
		break;
	case VD_BDEV_IO_TYPE_WRITE:
		malloc_copy(disk, io, true);
		break;
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		memset((char *)disk->buf + (io->offset_blocks << disk->shift), 0,
		       io->num_blocks << disk->shift);
		break;
	default:
		break;	/* FLUSH, RESET: nothing is cached, nothing is in flight */
	}
	STAILQ_INSERT_TAIL(&mch->done, task, link);
}

static int
malloc_poll(void *arg)
{
	struct malloc_channel *mch = arg;
	STAILQ_HEAD(, malloc_task) batch = STAILQ_HEAD_INITIALIZER(batch);
	struct malloc_task *task;

	if (STAILQ_EMPTY(&mch->done)) {
		return VD_POLLER_IDLE;
	}
	/* Completions may submit more I/O: those go to the next batch. */
	STAILQ_CONCAT(&batch, &mch->done);
	while ((task = STAILQ_FIRST(&batch)) != NULL) {
		STAILQ_REMOVE_HEAD(&batch, link);
		vd_bdev_io_complete(task_to_io(task), VD_BDEV_IO_STATUS_SUCCESS);
	}
	return VD_POLLER_BUSY;
}

static int
malloc_channel_create(void *io_device, void *ctx_buf)
{
	struct malloc_channel *mch = ctx_buf;

	STAILQ_INIT(&mch->done);
	mch->poller = vd_poller_register(malloc_poll, mch, 0, "bdev_malloc");
	return mch->poller != NULL ? 0 : -ENOMEM;
}

static void
malloc_channel_destroy(void *io_device, void *ctx_buf)
{
	struct malloc_channel *mch = ctx_buf;

	vd_poller_unregister(&mch->poller);
}

static struct vd_io_channel *
malloc_get_io_channel(void *ctx)
{
	return vd_get_io_channel(&g_malloc_io_device);
}

static bool
malloc_io_type_supported(void *ctx, enum vd_bdev_io_type type)
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
malloc_disk_free(struct malloc_disk *disk)
{
	vd_dma_free(disk->buf);
	free(disk->bdev.name);
	free(disk);
}

static int
malloc_destruct(void *ctx)
{
	struct malloc_disk *disk = ctx;

	pthread_mutex_lock(&g_malloc_mutex);
	TAILQ_REMOVE(&g_disks, disk, link);
	pthread_mutex_unlock(&g_malloc_mutex);
	malloc_disk_free(disk);
	return 0;
}

static void
malloc_write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct json_object *entry = json_object_new_object();
	struct json_object *params = json_object_new_object();
	char uuid[37];

	vd_bdev_get_uuid_str(bdev, uuid);
	json_object_object_add(params, "name", json_object_new_string(bdev->name));
	json_object_object_add(params, "num_blocks", json_object_new_uint64(bdev->blockcnt));
	json_object_object_add(params, "block_size", json_object_new_int64(bdev->blocklen));
	json_object_object_add(params, "uuid", json_object_new_string(uuid));
	json_object_object_add(entry, "method", json_object_new_string("bdev_malloc_create"));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}

static const struct vd_bdev_fn_table g_malloc_fn_table = {
	.destruct		= malloc_destruct,
	.submit_request		= malloc_submit,
	.io_type_supported	= malloc_io_type_supported,
	.get_io_channel		= malloc_get_io_channel,
	.write_config_json	= malloc_write_config_json,
};

static size_t
malloc_get_ctx_size(void)
{
	return sizeof(struct malloc_task);
}

/* Register the shared io_device once (module init, or the first create if that comes first). */
static void
malloc_io_device_register(void)
{
	pthread_mutex_lock(&g_malloc_mutex);
	if (!g_io_device_registered) {
		vd_io_device_register(&g_malloc_io_device, malloc_channel_create,
				      malloc_channel_destroy, sizeof(struct malloc_channel),
				      "bdev_malloc");
		g_io_device_registered = true;
	}
	pthread_mutex_unlock(&g_malloc_mutex);
}

static int
malloc_init(void)
{
	malloc_io_device_register();
	return 0;
}

static void
malloc_fini(void)
{
	pthread_mutex_lock(&g_malloc_mutex);
	if (g_io_device_registered) {
		vd_io_device_unregister(&g_malloc_io_device, NULL);
		g_io_device_registered = false;
	}
	pthread_mutex_unlock(&g_malloc_mutex);
}

struct vd_bdev_module vd_bdev_malloc_module = {
	.name		= "malloc",
	.module_init	= malloc_init,
	.module_fini	= malloc_fini,
	.get_ctx_size	= malloc_get_ctx_size,
};

/* Caller holds g_malloc_mutex.  First "Malloc<N>" no bdev uses. */
static char *
malloc_auto_name(void)
{
	char name[VD_BDEV_MAX_NAME_LEN];
	uint32_t i;

	for (i = 0; i < UINT32_MAX; i++) {
		snprintf(name, sizeof(name), "Malloc%" PRIu32, i);
		if (vd_bdev_get_by_name(name) == NULL) {
			return strdup(name);
		}
	}
	return NULL;
}

static int
malloc_opts_check(const struct vd_bdev_malloc_opts *opts, uint64_t *size)
{
	if (opts->num_blocks == 0 || !VD_IS_POW2(opts->block_size) || opts->block_size < 512 ||
	    opts->block_size > 65536) {
		VD_ERRLOG("malloc bdev: need num_blocks > 0 and a power-of-two block size in "
			  "512..65536 (got %" PRIu64 " x %" PRIu32 ")\n", opts->num_blocks,
			  opts->block_size);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(opts->num_blocks, (uint64_t)opts->block_size, size) ||
	    *size > SIZE_MAX / 2) {
		VD_ERRLOG("malloc bdev: %" PRIu64 " blocks of %" PRIu32 " bytes is too large\n",
			  opts->num_blocks, opts->block_size);
		return -EINVAL;
	}
	return 0;
}

static struct malloc_disk *
malloc_disk_alloc(const struct vd_bdev_malloc_opts *opts, uint64_t size)
{
	struct malloc_disk *disk = calloc(1, sizeof(*disk));

	if (disk == NULL) {
		return NULL;
	}
	disk->buf = vd_dma_zmalloc(size, 4096);
	if (disk->buf == NULL) {
		VD_ERRLOG("malloc bdev %s: cannot allocate %" PRIu64 " bytes of DMA memory\n",
			  opts->name ? opts->name : "(auto)", size);
		free(disk);
		return NULL;
	}
	disk->shift = (uint32_t)__builtin_ctz(opts->block_size);
	disk->bdev.product_name = "Malloc disk";
	disk->bdev.blocklen = opts->block_size;
	disk->bdev.blockcnt = opts->num_blocks;
	memcpy(disk->bdev.uuid, opts->uuid, sizeof(disk->bdev.uuid));
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = &g_malloc_fn_table;
	disk->bdev.module = &vd_bdev_malloc_module;
	return disk;
}

int
vd_bdev_malloc_create(const struct vd_bdev_malloc_opts *opts, struct vd_bdev **bdev)
{
	struct malloc_disk *disk;
	uint64_t size;
	int rc;

	rc = malloc_opts_check(opts, &size);
	if (rc != 0) {
		return rc;
	}
	disk = malloc_disk_alloc(opts, size);
	if (disk == NULL) {
		return -ENOMEM;
	}
	malloc_io_device_register();
	pthread_mutex_lock(&g_malloc_mutex);
	disk->bdev.name = opts->name != NULL ? strdup(opts->name) : malloc_auto_name();
	if (disk->bdev.name == NULL) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	rc = vd_bdev_register(&disk->bdev);
	if (rc != 0) {
		goto err_unlock;
	}
	TAILQ_INSERT_TAIL(&g_disks, disk, link);
	pthread_mutex_unlock(&g_malloc_mutex);
	*bdev = &disk->bdev;
	return 0;

err_unlock:
	pthread_mutex_unlock(&g_malloc_mutex);
	malloc_disk_free(disk);
	return rc;
}

int
vd_bdev_malloc_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg)
{
	struct vd_bdev *bdev = vd_bdev_get_by_name(name);

	if (bdev == NULL || bdev->module != &vd_bdev_malloc_module) {
		return -ENODEV;
	}
	vd_bdev_unregister(bdev, cb, cb_arg);
	return 0;
}
