/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Linux AIO (libaio) bdev backend: a regular file or block device opened O_DIRECT.
 *
 * Each thread that submits gets its own kernel AIO context (VD_BDEV_AIO_QUEUE_DEPTH events)
 * and a poller that submits the I/O queued since its last run in one io_submit() and reaps
 * completions from the context's ring in user space.  READ/WRITE use preadv/pwritev iocbs on the
 * caller's iovecs (buffers must be aligned to the block size: the bdev reports it as its
 * required alignment), FLUSH an IOCB_CMD_FDSYNC iocb (or a synchronous fdatasync() if the
 * kernel refuses that), UNMAP a synchronous fallocate(PUNCH_HOLE) / BLKDISCARD and
 * WRITE_ZEROES (regular files only) a synchronous fallocate(ZERO_RANGE).  A full queue completes
 * the I/O with VD_BDEV_IO_STATUS_NOMEM so the bdev layer retries it.
 *
 * RPC: bdev_aio_create {"filename", "name", "block_size"?} → name;
 *      bdev_aio_delete {"name"} → true.
 */
#ifndef VHOSTD_BDEV_AIO_H
#define VHOSTD_BDEV_AIO_H

#include <stdint.h>

#include "vhostd/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum I/O in flight per thread and bdev. */
#define VD_BDEV_AIO_QUEUE_DEPTH 512

struct vd_bdev_aio_opts {
	const char *name;	/**< bdev name (copied) */
	const char *filename;	/**< regular file or block device (copied) */
	uint32_t block_size;	/**< 0 = the device's logical block size */
};

/** The module; list it in the application's module table. */
extern struct vd_bdev_module vd_bdev_aio_module;

/**
 * Create an AIO bdev (app thread).
 * \return 0 and *bdev, -EINVAL (bad name or block size, unusable file: reason logged),
 * -EEXIST (name taken), -ENOENT (no such file), -EACCES/-EROFS (cannot open read-write),
 * -ENOMEM.
 */
int vd_bdev_aio_create(const struct vd_bdev_aio_opts *opts, struct vd_bdev **bdev);

typedef void (*vd_bdev_aio_delete_cb)(void *cb_arg, int rc);
/**
 * Delete the AIO bdev \p name (app thread): open descriptors get a REMOVE event and the file is
 * closed once the last one is closed; \p cb then runs on the calling thread.
 * \return 0 (cb will run) or -ENODEV (no AIO bdev of that name; cb will not run).
 */
int vd_bdev_aio_delete(const char *name, vd_bdev_aio_delete_cb cb, void *cb_arg);

/** Register bdev_aio_create and bdev_aio_delete. */
void vd_bdev_aio_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_AIO_H */
