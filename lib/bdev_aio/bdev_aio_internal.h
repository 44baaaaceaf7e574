/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VD_BDEV_AIO_INTERNAL_H
#define VD_BDEV_AIO_INTERNAL_H

#include <stddef.h>

#include "vhostd/bdev_aio.h"
#include "vhostd_internal/bdev_file.h"

/** The backend descriptor of the shared file-disk skeleton (bdev_aio.c). */
extern const struct vd_bdev_file_backend bdev_aio_backend;

#endif
