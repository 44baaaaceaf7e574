/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * The skeleton shared by the bdev modules whose I/O is done at submission (malloc, null):
 * lib/bdev/bdev_sync.c.  Not installed.
 *
 * Each such module has one struct vd_bdev_sync_module (a static, set up with
 * VD_BDEV_SYNC_MODULE_INIT), whose address is the io_device all its disks share.  Its
 * per-thread channel holds the list of I/O submitted since the last poll and a poller that
 * completes that whole list in one batch: a bdev_io is always completed after submit_request
 * returned, on the submitting thread, with no lock or allocation on the I/O path.
 *
 * Each disk begins with a struct vd_bdev_sync_disk.  The module's disk list (under its mutex)
 * holds the disks that exist, registered or being destructed; the module's destruct removes the
 * disk with vd_bdev_sync_disk_remove() and frees it.  Everything but the I/O path runs on the
 * app thread.
 */
#ifndef VHOSTD_INTERNAL_BDEV_SYNC_H
#define VHOSTD_INTERNAL_BDEV_SYNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/thread.h"

struct vd_bdev_sync_disk {
	struct vd_bdev bdev;	/* first: bdev.ctxt is the disk */
	struct vd_bdev_sync_module *smod;
	TAILQ_ENTRY(vd_bdev_sync_disk) link;
};

struct vd_bdev_sync_module {
	const char *label;		/**< "malloc": messages say "malloc bdev: ..." */
	const char *io_name;		/**< "bdev_malloc": io_device and poller name */
	const char *create_method;	/**< "bdev_malloc_create", for config entries */
	const char *product_name;	/**< "Malloc disk" */
	/** A NULL name becomes the first free "<auto_name_prefix><N>"; NULL = a name is needed. */
	const char *auto_name_prefix;
	struct vd_bdev_module *module;
	const struct vd_bdev_fn_table *fn_table;
	/* Private to bdev_sync.c. */
	pthread_mutex_t mutex;
	bool io_device_registered;
	TAILQ_HEAD(, vd_bdev_sync_disk) disks;
};

#define VD_BDEV_SYNC_MODULE_INIT(var) \
	.mutex = PTHREAD_MUTEX_INITIALIZER, .disks = TAILQ_HEAD_INITIALIZER((var).disks)

/** Register the module's io_device once (module init, or the first create if that is first). */
void vd_bdev_sync_io_device_register(struct vd_bdev_sync_module *smod);
/** Unregister it (module fini); nothing when it is not registered. */
void vd_bdev_sync_io_device_unregister(struct vd_bdev_sync_module *smod);

/**
 * Check num_blocks > 0, a power-of-two block size in 512..65536 and num_blocks * block_size
 * <= \p max_bytes, logging what is wrong.  \return 0 and *size (bytes), or -EINVAL.
 */
int vd_bdev_sync_check_geometry(const struct vd_bdev_sync_module *smod, uint64_t num_blocks,
				uint32_t block_size, uint64_t max_bytes, uint64_t *size);
/** Fill the bdev of a zeroed \p disk (name excepted) from \p smod and the geometry. */
void vd_bdev_sync_disk_init(struct vd_bdev_sync_disk *disk, struct vd_bdev_sync_module *smod,
			    uint64_t num_blocks, uint32_t block_size, const uint8_t uuid[16]);
/**
 * Name (a copy of \p name, or an automatic one) and register the disk, and list it.
 * \return 0, -ENOMEM, or an error of vd_bdev_register(); on failure the caller frees the disk
 * (and bdev.name, which may be set).
 */
int vd_bdev_sync_disk_register(struct vd_bdev_sync_disk *disk, const char *name);
/** Take the disk off the module's list (its destruct, before freeing it). */
void vd_bdev_sync_disk_remove(struct vd_bdev_sync_disk *disk);
/** Unregister the bdev \p name of \p module.  \return 0 (cb will run) or -ENODEV. */
int vd_bdev_sync_delete(struct vd_bdev_module *module, const char *name,
			vd_bdev_unregister_cb cb, void *cb_arg);

/* I/O path and function-table entries. */
/** Queue \p bdev_io for completion with SUCCESS by the channel's next poll. */
void vd_bdev_sync_submit_done(struct vd_io_channel *ioch, struct vd_bdev_io *bdev_io);
size_t vd_bdev_sync_get_ctx_size(void);
struct vd_io_channel *vd_bdev_sync_get_io_channel(void *ctx);
bool vd_bdev_sync_io_type_supported(void *ctx, enum vd_bdev_io_type type);
/** {"method": create_method, "params": {name, num_blocks, block_size, uuid}}. */
void vd_bdev_sync_write_config_json(struct vd_bdev *bdev, struct json_object *config);

/* RPC helpers (app thread). */
struct vd_rpc_request;

struct vd_bdev_sync_rpc_opts {
	const char *name;	/* borrowed from the params; NULL when absent and optional */
	uint64_t num_blocks;
	uint32_t block_size;
	uint8_t uuid[16];
};

/**
 * Parse {"name", "num_blocks", "block_size", "uuid"?} for <module>_create; the name is 1..63
 * characters without '/', num_blocks * block_size <= \p max_bytes.
 * \return false after answering -32602 naming the bad field.
 */
bool vd_bdev_sync_rpc_create_params(struct vd_rpc_request *req, struct json_object *params,
				    bool name_required, uint64_t max_bytes,
				    struct vd_bdev_sync_rpc_opts *opts);
/** Answer a create: the bdev's name, or the error \p rc (-EEXIST naming \p name). */
void vd_bdev_sync_rpc_create_done(struct vd_rpc_request *req, int rc, const char *name,
				  struct vd_bdev *bdev);
/** <module>_delete {"name"} with the module's delete function. */
void vd_bdev_sync_rpc_delete(struct vd_rpc_request *req, struct json_object *params,
			     int (*delete_fn)(const char *name, vd_bdev_unregister_cb cb,
					      void *cb_arg));

#endif /* VHOSTD_INTERNAL_BDEV_SYNC_H */
