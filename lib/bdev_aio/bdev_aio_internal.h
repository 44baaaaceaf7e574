/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VD_BDEV_AIO_INTERNAL_H
#define VD_BDEV_AIO_INTERNAL_H

#include <stddef.h>

#include "vhostd/bdev_aio.h"

/** vd_bdev_aio_create() that also hands back a readable reason in \p err (for RPC errors). */
int bdev_aio_create_ext(const struct vd_bdev_aio_opts *opts, struct vd_bdev **bdev, char *err,
			size_t errlen);

#endif
