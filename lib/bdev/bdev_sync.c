/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The skeleton of the bdev modules whose I/O is done at submission, malloc and null
 * (include/vhostd_internal/bdev_sync.h): the completion channel, geometry checks, disk
 * registration and the create/delete RPC plumbing.
 *
 * Invariants: a task is on exactly one channel's done list from submission until its poll
 * completes it; smod->disks (under smod->mutex) holds every disk from a successful
 * vd_bdev_sync_disk_register() until vd_bdev_sync_disk_remove().
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd/util.h"
#include "vhostd_internal/bdev_sync.h"

/* driver_ctx of each bdev_io */
struct sync_task {
	STAILQ_ENTRY(sync_task) link;
};

struct sync_channel {
	STAILQ_HEAD(, sync_task) done;
	struct vd_poller *poller;
};

static inline struct vd_bdev_io *
task_to_io(struct sync_task *task)
{
	return VD_CONTAINEROF((void *)task, struct vd_bdev_io, driver_ctx);
}

/* I/O path ---------------------------------------------------------------------------------- */

void
vd_bdev_sync_submit_done(struct vd_io_channel *ioch, struct vd_bdev_io *bdev_io)
{
	struct sync_channel *sch = vd_io_channel_get_ctx(ioch);
	struct sync_task *task = vd_bdev_io_get_driver_ctx(bdev_io);

	STAILQ_INSERT_TAIL(&sch->done, task, link);
}

static int
sync_poll(void *arg)
{
	struct sync_channel *sch = arg;
	STAILQ_HEAD(, sync_task) batch = STAILQ_HEAD_INITIALIZER(batch);
	struct sync_task *task;

	if (STAILQ_EMPTY(&sch->done)) {
		return VD_POLLER_IDLE;
	}
	/* Completions may submit more I/O: those go to the next batch. */
	STAILQ_CONCAT(&batch, &sch->done);
	while ((task = STAILQ_FIRST(&batch)) != NULL) {
		STAILQ_REMOVE_HEAD(&batch, link);
		vd_bdev_io_complete(task_to_io(task), VD_BDEV_IO_STATUS_SUCCESS);
	}
	return VD_POLLER_BUSY;
}

static int
sync_channel_create(void *io_device, void *ctx_buf)
{
	struct vd_bdev_sync_module *smod = io_device;
	struct sync_channel *sch = ctx_buf;

	STAILQ_INIT(&sch->done);
	sch->poller = vd_poller_register(sync_poll, sch, 0, smod->io_name);
	return sch->poller != NULL ? 0 : -ENOMEM;
}

static void
sync_channel_destroy(void *io_device, void *ctx_buf)
{
	struct sync_channel *sch = ctx_buf;

	vd_poller_unregister(&sch->poller);
}

size_t
vd_bdev_sync_get_ctx_size(void)
{
	return sizeof(struct sync_task);
}

struct vd_io_channel *
vd_bdev_sync_get_io_channel(void *ctx)
{
	struct vd_bdev_sync_disk *disk = ctx;

	return vd_get_io_channel(disk->smod);
}

bool
vd_bdev_sync_io_type_supported(void *ctx, enum vd_bdev_io_type type)
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

void
vd_bdev_sync_write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct vd_bdev_sync_disk *disk = bdev->ctxt;
	struct json_object *entry = json_object_new_object();
	struct json_object *params = json_object_new_object();
	char uuid[37];

	vd_bdev_get_uuid_str(bdev, uuid);
	json_object_object_add(params, "name", json_object_new_string(bdev->name));
	json_object_object_add(params, "num_blocks", json_object_new_uint64(bdev->blockcnt));
	json_object_object_add(params, "block_size", json_object_new_int64(bdev->blocklen));
	json_object_object_add(params, "uuid", json_object_new_string(uuid));
	json_object_object_add(entry, "method", json_object_new_string(disk->smod->create_method));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}

/* Life cycle -------------------------------------------------------------------------------- */

void
vd_bdev_sync_io_device_register(struct vd_bdev_sync_module *smod)
{
	pthread_mutex_lock(&smod->mutex);
	if (!smod->io_device_registered) {
		vd_io_device_register(smod, sync_channel_create, sync_channel_destroy,
				      sizeof(struct sync_channel), smod->io_name);
		smod->io_device_registered = true;
	}
	pthread_mutex_unlock(&smod->mutex);
}

void
vd_bdev_sync_io_device_unregister(struct vd_bdev_sync_module *smod)
{
	pthread_mutex_lock(&smod->mutex);
	if (smod->io_device_registered) {
		vd_io_device_unregister(smod, NULL);
		smod->io_device_registered = false;
	}
	pthread_mutex_unlock(&smod->mutex);
}

int
vd_bdev_sync_check_geometry(const struct vd_bdev_sync_module *smod, uint64_t num_blocks,
			    uint32_t block_size, uint64_t max_bytes, uint64_t *size)
{
	if (num_blocks == 0 || !VD_IS_POW2(block_size) || block_size < 512 ||
	    block_size > 65536) {
		VD_ERRLOG("%s bdev: need num_blocks > 0 and a power-of-two block size in "
			  "512..65536 (got %" PRIu64 " x %" PRIu32 ")\n", smod->label, num_blocks,
			  block_size);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(num_blocks, (uint64_t)block_size, size) || *size > max_bytes) {
		VD_ERRLOG("%s bdev: %" PRIu64 " blocks of %" PRIu32 " bytes is too large\n",
			  smod->label, num_blocks, block_size);
		return -EINVAL;
	}
	return 0;
}

void
vd_bdev_sync_disk_init(struct vd_bdev_sync_disk *disk, struct vd_bdev_sync_module *smod,
		       uint64_t num_blocks, uint32_t block_size, const uint8_t uuid[16])
{
	disk->smod = smod;
	disk->bdev.product_name = smod->product_name;
	disk->bdev.blocklen = block_size;
	disk->bdev.blockcnt = num_blocks;
	memcpy(disk->bdev.uuid, uuid, sizeof(disk->bdev.uuid));
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = smod->fn_table;
	disk->bdev.module = smod->module;
}

/* Caller holds smod->mutex.  First "<prefix><N>" no bdev uses. */
static char *
sync_auto_name(const struct vd_bdev_sync_module *smod)
{
	char name[VD_BDEV_MAX_NAME_LEN];
	uint32_t i;

	for (i = 0; i < UINT32_MAX; i++) {
		snprintf(name, sizeof(name), "%s%" PRIu32, smod->auto_name_prefix, i);
		if (vd_bdev_get_by_name(name) == NULL) {
			return strdup(name);
		}
	}
	return NULL;
}

int
vd_bdev_sync_disk_register(struct vd_bdev_sync_disk *disk, const char *name)
{
	struct vd_bdev_sync_module *smod = disk->smod;
	int rc;

	vd_bdev_sync_io_device_register(smod);
	pthread_mutex_lock(&smod->mutex);
	if (name != NULL) {
		disk->bdev.name = strdup(name);
	} else if (smod->auto_name_prefix != NULL) {
		disk->bdev.name = sync_auto_name(smod);
	}
	if (disk->bdev.name == NULL) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	rc = vd_bdev_register(&disk->bdev);
	if (rc != 0) {
		goto err_unlock;
	}
	TAILQ_INSERT_TAIL(&smod->disks, disk, link);
	pthread_mutex_unlock(&smod->mutex);
	return 0;

err_unlock:
	pthread_mutex_unlock(&smod->mutex);
	return rc;
}

void
vd_bdev_sync_disk_remove(struct vd_bdev_sync_disk *disk)
{
	struct vd_bdev_sync_module *smod = disk->smod;

	pthread_mutex_lock(&smod->mutex);
	TAILQ_REMOVE(&smod->disks, disk, link);
	pthread_mutex_unlock(&smod->mutex);
}

int
vd_bdev_sync_delete(struct vd_bdev_module *module, const char *name, vd_bdev_unregister_cb cb,
		    void *cb_arg)
{
	struct vd_bdev *bdev = vd_bdev_get_by_name(name);

	if (bdev == NULL || bdev->module != module) {
		return -ENODEV;
	}
	vd_bdev_unregister(bdev, cb, cb_arg);
	return 0;
}

/* RPC --------------------------------------------------------------------------------------- */

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
check_geometry(struct vd_rpc_request *req, uint64_t num_blocks, uint32_t block_size,
	       uint64_t max_bytes)
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
	    bytes > max_bytes) {
		vd_rpc_send_invalid_param(req, "num_blocks",
					  "num_blocks * block_size is too large");
		return false;
	}
	return true;
}

bool
vd_bdev_sync_rpc_create_params(struct vd_rpc_request *req, struct json_object *params,
			       bool name_required, uint64_t max_bytes,
			       struct vd_bdev_sync_rpc_opts *opts)
{
	static const char *const known[] = { "name", "num_blocks", "block_size", "uuid", NULL };
	const char *uuid = NULL;

	memset(opts, 0, sizeof(*opts));
	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", name_required, &opts->name) ||
	    !vd_rpc_param_u64(req, params, "num_blocks", true, &opts->num_blocks) ||
	    !vd_rpc_param_u32(req, params, "block_size", true, &opts->block_size) ||
	    !vd_rpc_param_string(req, params, "uuid", false, &uuid)) {
		return false;
	}
	if (!check_name(req, opts->name) ||
	    !check_geometry(req, opts->num_blocks, opts->block_size, max_bytes)) {
		return false;
	}
	if (uuid != NULL && vd_uuid_parse(opts->uuid, uuid) != 0) {
		vd_rpc_send_invalid_param(req, "uuid", "not a valid UUID");
		return false;
	}
	return true;
}

void
vd_bdev_sync_rpc_create_done(struct vd_rpc_request *req, int rc, const char *name,
			     struct vd_bdev *bdev)
{
	if (rc == -EEXIST) {
		vd_rpc_send_error(req, rc, "bdev %s already exists", name);
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

void
vd_bdev_sync_rpc_delete(struct vd_rpc_request *req, struct json_object *params,
			int (*delete_fn)(const char *name, vd_bdev_unregister_cb cb, void *cb_arg))
{
	static const char *const known[] = { "name", NULL };
	const char *name = NULL;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	if (delete_fn(name, delete_done, req) != 0) {
		vd_rpc_send_error(req, -ENODEV, "bdev %s not found", name);
	}
}
