/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * io_uring (liburing) bdev backend: a regular file or block device opened O_DIRECT.
 *
 * Each thread that submits gets its own ring (VD_BDEV_URING_QUEUE_DEPTH entries, the file
 * registered as a fixed file when the kernel allows) and a poller.  Submission only prepares
 * SQEs; the poller submits everything queued since its last run with one io_uring_enter() and
 * reaps completions from the CQ ring in user space.  READ/WRITE are readv/writev on the caller's
 * iovecs (buffers aligned to the block size: the bdev's required alignment), FLUSH is
 * IORING_OP_FSYNC with IORING_FSYNC_DATASYNC, UNMAP a synchronous fallocate(PUNCH_HOLE) /
 * BLKDISCARD and WRITE_ZEROES (regular files) a synchronous fallocate(ZERO_RANGE).  A full ring
 * completes the I/O with VD_BDEV_IO_STATUS_NOMEM so the bdev layer retries it.
 *
 * RPC: bdev_uring_create {"filename", "name", "block_size"?} → name;
 *      bdev_uring_delete {"name"} → true.
 */
#ifndef VHOSTD_BDEV_URING_H
#define VHOSTD_BDEV_URING_H

#include <stdint.h>

#include "vhostd/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum I/O in flight per thread and bdev. */
#define VD_BDEV_URING_QUEUE_DEPTH 512

struct vd_bdev_uring_opts {
	const char *name;	/**< bdev name (copied) */
	const char *filename;	/**< regular file or block device (copied) */
	uint32_t block_size;	/**< 0 = the device's logical block size */
};

/** The module; list it in the application's module table. */
extern struct vd_bdev_module vd_bdev_uring_module;

/**
 * Create an io_uring bdev (app thread).
 * \return 0 and *bdev, -EINVAL (bad name or block size, unusable file: reason logged),
 * -EEXIST (name taken), -ENOENT (no such file), -EACCES/-EROFS (cannot open read-write),
 * -ENOMEM, or the error of io_uring_queue_init() when the kernel has no io_uring.
 */
int vd_bdev_uring_create(const struct vd_bdev_uring_opts *opts, struct vd_bdev **bdev);

typedef void (*vd_bdev_uring_delete_cb)(void *cb_arg, int rc);
/**
 * Delete the io_uring bdev \p name (app thread): open descriptors get a REMOVE event and the
 * file is closed once the last one is closed; \p cb then runs on the calling thread.
 * \return 0 (cb will run) or -ENODEV (no io_uring bdev of that name; cb will not run).
 */
int vd_bdev_uring_delete(const char *name, vd_bdev_uring_delete_cb cb, void *cb_arg);

/** Register bdev_uring_create and bdev_uring_delete. */
void vd_bdev_uring_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_URING_H */
