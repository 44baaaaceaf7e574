/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * RAM-backed bdevs ("Malloc disk"): memory from vd_dma_zmalloc(), zero-filled at creation.
 * I/O is copied with memcpy at submission and completed in batches by a per-thread poller.
 * Supports READ, WRITE, FLUSH, UNMAP and WRITE_ZEROES (both zero the range) and RESET.
 *
 * RPCs: bdev_malloc_create {name?, num_blocks, block_size, uuid?} -> name;
 *       bdev_malloc_delete {name} -> true.
 */
#ifndef VHOSTD_BDEV_MALLOC_H
#define VHOSTD_BDEV_MALLOC_H

#include <stdint.h>

#include "vhostd/bdev_module.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vd_bdev_malloc_opts {
	const char *name;	/**< copied; NULL = first free "Malloc<N>" */
	uint64_t num_blocks;	/**< > 0 */
	uint32_t block_size;	/**< power of two, 512..65536 */
	uint8_t uuid[16];	/**< all-zero = random */
};

extern struct vd_bdev_module vd_bdev_malloc_module;

/**
 * Create and register a malloc bdev (app thread).
 * \return 0 and *bdev, -EINVAL (bad size/name), -EEXIST (name taken), -ENOMEM (the memory could
 * not be allocated; the size is logged).
 */
int vd_bdev_malloc_create(const struct vd_bdev_malloc_opts *opts, struct vd_bdev **bdev);
/**
 * Delete the malloc bdev \p name (hot-remove: its users get REMOVE first).  \p cb runs on the
 * calling thread once it is destructed.  \return 0, or -ENODEV (no such malloc bdev; cb not
 * called).
 */
int vd_bdev_malloc_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg);
/** Register bdev_malloc_create and bdev_malloc_delete. */
void vd_bdev_malloc_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_MALLOC_H */
