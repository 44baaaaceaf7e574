/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Data-less bdevs ("Null disk"): writes are dropped and reads leave the buffers untouched.
 * The performance reference of the bdev path: I/O is completed in batches by a per-thread
 * poller, nothing else.
 * Supports READ, WRITE, FLUSH, UNMAP, WRITE_ZEROES and RESET.
 *
 * RPCs: bdev_null_create {name, num_blocks, block_size, uuid?} -> name;
 *       bdev_null_delete {name} -> true.
 */
#ifndef VHOSTD_BDEV_NULL_H
#define VHOSTD_BDEV_NULL_H

#include <stdint.h>

#include "vhostd/bdev_module.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vd_bdev_null_opts {
	const char *name;	/**< copied; required */
	uint64_t num_blocks;	/**< > 0 */
	uint32_t block_size;	/**< power of two, 512..65536 */
	uint8_t uuid[16];	/**< all-zero = random */
};

extern struct vd_bdev_module vd_bdev_null_module;

/**
 * Create and register a null bdev (app thread).
 * \return 0 and *bdev, -EINVAL (bad size/name), -EEXIST (name taken), -ENOMEM.
 */
int vd_bdev_null_create(const struct vd_bdev_null_opts *opts, struct vd_bdev **bdev);
/**
 * Delete the null bdev \p name (hot-remove: its users get REMOVE first).  \p cb runs on the
 * calling thread once it is destructed.  \return 0, or -ENODEV (no such null bdev; cb not
 * called).
 */
int vd_bdev_null_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg);
/** Register bdev_null_create and bdev_null_delete. */
void vd_bdev_null_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_NULL_H */
