/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Opening and probing the file or block device behind a file-backed bdev (AIO, io_uring).
 *
 * Shared by lib/bdev_aio (which implements it, in bdev_file.c) and lib/bdev_uring; not
 * installed.  The file is opened O_RDWR | O_DIRECT | O_CLOEXEC: a read-only file is refused.
 * The block size is the caller's (a power of two, 512..65536, not below the device's logical
 * block size) or, when 0, detected: BLKSSZGET for a block device, statx(STATX_DIOALIGN) for a
 * regular file (512 when the kernel does not report it).  The block count is the size divided
 * by the block size, rounded down (a trailing partial block is ignored, with a notice); an
 * empty file is refused.
 *
 * The unmap and write-zeroes helpers are synchronous system calls (fallocate, BLKDISCARD):
 * they are metadata operations that do not wait for data I/O, so backends call them on the
 * reactor.  All functions are thread-safe on distinct objects.
 *
 * The disk skeleton below (struct vd_bdev_file_disk: creation, deletion, the function-table
 * entries other than submit_request, and the create/delete RPCs) is everything the backends
 * share; each keeps only its channels and its data path.
 */
#ifndef VHOSTD_INTERNAL_BDEV_FILE_H
#define VHOSTD_INTERNAL_BDEV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/thread.h"

#define VD_BDEV_FILE_MIN_BLOCK_SIZE 512u
#define VD_BDEV_FILE_MAX_BLOCK_SIZE 65536u

struct vd_bdev_file {
	int fd;			/**< -1 when closed */
	bool is_blockdev;
	uint32_t block_size;	/**< the bdev's block size */
	uint32_t dev_block_size;	/**< the smallest block size O_DIRECT accepts */
	uint64_t num_blocks;
	char *filename;		/**< copy of the path */
};

/**
 * Open and probe \p filename for the bdev \p name.  \p block_size 0 = detect.
 * On failure a human-readable reason (naming the file) is written to \p err (\p errlen bytes,
 * may be NULL) and logged.
 * \return 0, -ENOENT (no such file), -EACCES/-EPERM/-EROFS (cannot open read-write),
 * -EINVAL (not a regular file or block device, O_DIRECT unsupported, bad block size, empty),
 * -ENOMEM, or another negative errno from open/ioctl/statx.
 */
int vd_bdev_file_open(const char *name, const char *filename, uint32_t block_size,
		      struct vd_bdev_file *file, char *err, size_t errlen);
/** Close the descriptor and free the filename; safe on a closed or zeroed-with-fd=-1 file. */
void vd_bdev_file_close(struct vd_bdev_file *file);
/** Whether \p block_size is a power of two in [512, 65536]. */
bool vd_bdev_file_block_size_valid(uint64_t block_size);

/** Deallocate a byte range (PUNCH_HOLE for files, BLKDISCARD for block devices).  0 or -errno. */
int vd_bdev_file_unmap(const struct vd_bdev_file *file, uint64_t offset, uint64_t len);
/** Zero a byte range of a regular file with fallocate(ZERO_RANGE).  0 or -errno
 *  (-EOPNOTSUPP when the file system cannot). */
int vd_bdev_file_write_zeroes(const struct vd_bdev_file *file, uint64_t offset, uint64_t len);

/* The disk skeleton both backends share ------------------------------------------------------ */

struct vd_bdev_file_disk;

/** What sets one file-backed backend apart; a constant of the backend. */
struct vd_bdev_file_backend {
	const char *info_key;		/**< key under driver_specific: "aio" */
	const char *label;		/**< in messages: "AIO" */
	const char *product_name;	/**< "AIO disk" */
	const char *create_method;	/**< "bdev_aio_create": config entries and log messages */
	struct vd_bdev_module *module;
	const struct vd_bdev_fn_table *fn_table;
	/** Size of the backend's disk, which begins with a struct vd_bdev_file_disk. */
	size_t disk_size;
	vd_io_channel_create_cb ch_create;
	vd_io_channel_destroy_cb ch_destroy;
	uint32_t ch_size;
	/** Optional check run after the options are valid (e.g. kernel support): 0 or -errno
	 *  with a reason in \p err. */
	int (*check)(char *err, size_t errlen);
};

/**
 * The start of a backend's disk.  Its address is the io_device (the file comes first: lib/bdev
 * registers &bdev as its own io_device) and bdev.ctxt.
 * Life cycle: created (vd_bdev_file_disk_create: file opened, io_device and bdev registered) →
 * removing (vd_bdev_file_disk_delete → vd_bdev_unregister) → destruct (the io_device is
 * unregistered) → freed once every channel is gone (the file is closed).
 */
struct vd_bdev_file_disk {
	struct vd_bdev_file file;
	struct vd_bdev bdev;
	const struct vd_bdev_file_backend *backend;
	/* Learned from the kernel at run time; read and written with relaxed atomics. */
	bool unmap_unsupported;
	bool write_zeroes_unsupported;
	/* Teardown bookkeeping (app thread). */
	bool registered;	/* vd_bdev_register() succeeded */
	bool in_unregister;	/* inside vd_io_device_unregister() */
	bool unregistered;	/* the io_device's unregister callback ran */
};

static inline bool
vd_bdev_file_flag_get(bool *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static inline void
vd_bdev_file_flag_set(bool *flag)
{
	__atomic_store_n(flag, true, __ATOMIC_RELAXED);
}

/**
 * Create a disk of \p backend (app thread): validate the options, open the file, register the
 * io_device and the bdev.  On failure a reason is in \p err (except -ENOMEM) and logged.
 * \return 0 and *bdev, -EINVAL, -EEXIST (name taken), -ENOMEM, an error of
 * vd_bdev_file_open(), of backend->check or of vd_bdev_register().
 */
int vd_bdev_file_disk_create(const struct vd_bdev_file_backend *backend, const char *name,
			     const char *filename, uint32_t block_size, struct vd_bdev **bdev,
			     char *err, size_t errlen);
/** Unregister the bdev \p name of \p backend.  \return 0 (cb will run) or -ENODEV. */
int vd_bdev_file_disk_delete(const struct vd_bdev_file_backend *backend, const char *name,
			     vd_bdev_unregister_cb cb, void *cb_arg);
/** UNMAP or WRITE_ZEROES, done synchronously and completed (remembers -EOPNOTSUPP). */
void vd_bdev_file_disk_submit_meta(struct vd_bdev_file_disk *disk, struct vd_bdev_io *bdev_io);

/* Function-table entries shared by the backends (ctx is the disk). */
int vd_bdev_file_disk_destruct(void *ctx);
bool vd_bdev_file_disk_io_type_supported(void *ctx, enum vd_bdev_io_type type);
struct vd_io_channel *vd_bdev_file_disk_get_io_channel(void *ctx);
void vd_bdev_file_disk_dump_info_json(void *ctx, struct json_object *driver_specific);
void vd_bdev_file_disk_write_config_json(struct vd_bdev *bdev, struct json_object *config);

struct vd_rpc_request;
/**
 * The JSON-RPC methods <backend>_create {"name", "filename", "block_size"?} and
 * <backend>_delete {"name"} (bdev_file_rpc.c).  Bad parameters answer -32602 naming the field.
 */
void vd_bdev_file_rpc_create(struct vd_rpc_request *req, struct json_object *params,
			     const struct vd_bdev_file_backend *backend);
void vd_bdev_file_rpc_delete(struct vd_rpc_request *req, struct json_object *params,
			     const struct vd_bdev_file_backend *backend);

#endif /* VHOSTD_INTERNAL_BDEV_FILE_H */
