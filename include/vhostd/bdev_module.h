/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Block device layer: the backend (module) API.
 *
 * A module (malloc, null, aio, uring, ...) is listed explicitly in the application's module
 * table and registered with vd_bdev_module_register() before vd_bdev_initialize().  It creates
 * bdevs by filling a struct vd_bdev and calling vd_bdev_register(); it receives I/O through its
 * fn_table->submit_request on the submitting thread's channel from fn_table->get_io_channel,
 * and finishes each with vd_bdev_io_complete() on that same thread.
 *
 * Completing with VD_BDEV_IO_STATUS_NOMEM means "out of resources, try again": the bdev layer
 * parks the I/O on the channel and resubmits it after another I/O of that channel completes
 * (or from a retry poller), so nothing is dropped.
 *
 * Removal: vd_bdev_unregister() sends REMOVE to every open descriptor; the bdev is destructed
 * (fn_table->destruct) only after the last descriptor closes.
 */
#ifndef VHOSTD_BDEV_MODULE_H
#define VHOSTD_BDEV_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhostd/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

struct vd_bdev_module {
	const char *name;
	/** Synchronous init on the app thread; 0 or a negative errno (aborts start-up). */
	int (*module_init)(void);
	/** Called after every bdev of the module has been unregistered. */
	void (*module_fini)(void);
	/** Bytes of per-I/O scratch space the module needs (vd_bdev_io_get_driver_ctx). */
	size_t (*get_ctx_size)(void);
	/** Append module-wide {"method","params"} entries (options), before bdev entries. */
	void (*config_json)(struct json_object *config_array);
	struct vd_bdev_module *next;	/* registry link, owned by lib/bdev */
};

struct vd_bdev_fn_table {
	/** Free the module's bdev context.  0 = done now; >0 = the module calls
	 *  vd_bdev_destruct_done() later. */
	int (*destruct)(void *ctx);
	void (*submit_request)(struct vd_io_channel *ch, struct vd_bdev_io *bdev_io);
	bool (*io_type_supported)(void *ctx, enum vd_bdev_io_type type);
	/** A channel of the module's io_device for the current thread. */
	struct vd_io_channel *(*get_io_channel)(void *ctx);
	/** Add driver-specific fields to bdev_get_bdevs' "driver_specific" object. */
	void (*dump_info_json)(void *ctx, struct json_object *driver_specific);
	/** Append the {"method","params"} entry that recreates this bdev. */
	void (*write_config_json)(struct vd_bdev *bdev, struct json_object *config_array);
};

struct bdev_internal;

/** Filled by the module before vd_bdev_register(). */
struct vd_bdev {
	char *name;			/**< owned by the module; unique among names and aliases */
	const char *product_name;	/**< e.g. "Malloc disk" */
	uint32_t blocklen;		/**< power of two, 512..65536 */
	uint64_t blockcnt;
	uint8_t uuid[16];		/**< all-zero: the bdev layer generates one */
	bool write_cache;
	uint32_t required_alignment;	/**< buffer alignment in bytes (0/1 = none) */
	uint64_t max_unmap_blocks;	/**< 0 = no limit */
	uint64_t max_write_zeroes_blocks;
	void *ctxt;			/**< module context passed to fn_table calls */
	const struct vd_bdev_fn_table *fn_table;
	struct vd_bdev_module *module;
	struct bdev_internal *internal;	/**< owned by lib/bdev */
};

/** The part of a bdev_io a module reads.  The rest is private to lib/bdev. */
struct vd_bdev_io {
	struct vd_bdev *bdev;
	enum vd_bdev_io_type type;
	struct iovec *iovs;		/**< READ/WRITE: the consumer's iovecs (not copied) */
	int iovcnt;
	uint64_t offset_blocks;
	uint64_t num_blocks;
	struct bdev_io_internal *internal;	/**< owned by lib/bdev */
	/* Module scratch space follows, aligned to 16 bytes. */
	uint8_t driver_ctx[] __attribute__((aligned(16)));
};

void vd_bdev_module_register(struct vd_bdev_module *module);
struct vd_bdev_module *vd_bdev_module_find(const char *name);

/**
 * Register a filled-in bdev.  \return 0, -EEXIST (name or alias taken), -EINVAL (bad
 * blocklen/blockcnt/name/fn_table), -ENOMEM.
 */
int vd_bdev_register(struct vd_bdev *bdev);
typedef void (*vd_bdev_unregister_cb)(void *cb_arg, int rc);
/** Start removal (hot-remove); \p cb runs on the calling thread once destructed. */
void vd_bdev_unregister(struct vd_bdev *bdev, vd_bdev_unregister_cb cb, void *cb_arg);
/** For destruct() returning > 0. */
void vd_bdev_destruct_done(struct vd_bdev *bdev, int rc);
/** \return 0, -EEXIST, -EINVAL, -ENOMEM.  \p alias copied. */
int vd_bdev_alias_add(struct vd_bdev *bdev, const char *alias);

/** Finish an I/O on the thread it was submitted on.  \p errno_val 0 or negative errno. */
void vd_bdev_io_complete(struct vd_bdev_io *bdev_io, enum vd_bdev_io_status status);
void vd_bdev_io_complete_errno(struct vd_bdev_io *bdev_io, int errno_val);
static inline void *
vd_bdev_io_get_driver_ctx(struct vd_bdev_io *bdev_io)
{
	return bdev_io->driver_ctx;
}
/** The module channel this I/O was submitted on. */
struct vd_io_channel *vd_bdev_io_get_io_channel(struct vd_bdev_io *bdev_io);
/** Total byte length of a READ/WRITE. */
uint64_t vd_bdev_io_get_length(const struct vd_bdev_io *bdev_io);

/** Helper for RPC handlers: parse/format UUID strings ("xxxxxxxx-xxxx-...").  0 or -EINVAL. */
int vd_uuid_parse(uint8_t uuid[16], const char *str);
void vd_uuid_fmt(const uint8_t uuid[16], char *buf);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_MODULE_H */
