/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VD_BDEV_URING_INTERNAL_H
#define VD_BDEV_URING_INTERNAL_H

#include <stddef.h>

#include "vhostd/bdev_uring.h"
#include "vhostd_internal/bdev_file.h"

/** The backend descriptor of the shared file-disk skeleton (bdev_uring.c). */
extern const struct vd_bdev_file_backend bdev_uring_backend;

#endif
