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
 */
#ifndef VHOSTD_INTERNAL_BDEV_FILE_H
#define VHOSTD_INTERNAL_BDEV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct vd_rpc_request;
struct json_object;
/**
 * Parse {"name", "filename", "block_size"?} for a *_create RPC (bdev_file_rpc.c).  Strings are
 * borrowed from \p params; *block_size is 0 when absent.  \return false after answering
 * -32602 naming the bad field.
 */
bool vd_bdev_file_rpc_params(struct vd_rpc_request *req, struct json_object *params,
			     const char **name, const char **filename, uint32_t *block_size);

#endif /* VHOSTD_INTERNAL_BDEV_FILE_H */
