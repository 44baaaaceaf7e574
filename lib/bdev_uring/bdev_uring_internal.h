/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VD_BDEV_URING_INTERNAL_H
#define VD_BDEV_URING_INTERNAL_H

#include <stddef.h>

#include "vhostd/bdev_uring.h"

/** vd_bdev_uring_create() that also hands back a readable reason in \p err (for RPC errors). */
int bdev_uring_create_ext(const struct vd_bdev_uring_opts *opts, struct vd_bdev **bdev,
			  char *err, size_t errlen);

#endif
