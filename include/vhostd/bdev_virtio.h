/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Virtio bdev module: bdevs backed by a vhost-user-blk or vhost-user-scsi back-end (vhostd,
 * qemu-storage-daemon, SPDK) reached through lib/virtio, the user-space vhost-user front-end.
 *
 * A controller is one connection.  A blk controller exposes one bdev named like the
 * controller; a scsi controller exposes one bdev per target 0..7 that answers INQUIRY with a
 * direct-access LUN 0, named "<name>t<target>" (SPDK's names).  Each thread that submits I/O
 * gets its own virtqueue (vq_count must be at least the number of such threads); nothing on
 * the I/O path takes a lock.  When the back-end goes away, outstanding I/O fails and the
 * bdevs are hot-removed (the controller disappears once they are gone).
 *
 * I/O buffers must lie in env memory that existed when the controller attached (see
 * include/vhostd/virtio.h); others fail with -EFAULT.
 *
 * Everything here runs on the app thread.  RPC methods (SPDK names):
 * bdev_virtio_attach_controller {name, trtype: "user", traddr: socket path, dev_type: "blk" |
 * "scsi", vq_count?, vq_size?, timeout_ms?} -> [bdev names] (answered after the SCSI scan),
 * bdev_virtio_detach_controller {name} -> true, bdev_virtio_get_controllers {name?}.
 */
#ifndef VHOSTD_BDEV_VIRTIO_H
#define VHOSTD_BDEV_VIRTIO_H

#include <stddef.h>
#include <stdint.h>

#include "vhostd/bdev_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern struct vd_bdev_module vd_bdev_virtio_module;

enum vd_bdev_virtio_type {
	VD_BDEV_VIRTIO_BLK,
	VD_BDEV_VIRTIO_SCSI,
};

#define VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE 512
#define VD_BDEV_VIRTIO_SCSI_MAX_TARGETS 8

struct vd_bdev_virtio_opts {
	const char *name; /**< controller name (and blk bdev name); copied */
	const char *path; /**< vhost-user socket; copied */
	enum vd_bdev_virtio_type type;
	uint16_t vq_count;   /**< request queues (one per I/O thread); 0 = 1 */
	uint16_t vq_size;    /**< power of two; 0 = VD_BDEV_VIRTIO_DEFAULT_VQ_SIZE */
	uint32_t timeout_ms; /**< per handshake/scan step; 0 = 5000 */
};

/**
 * Attach completion: \p rc 0 with the names of the created bdevs (borrowed for the callback),
 * or a negative errno (see vd_virtio_connect_cb; -ENODEV: a SCSI back-end without any disk;
 * -EEXIST: a bdev name is taken).
 */
typedef void (*vd_bdev_virtio_attach_cb)(void *cb_arg, int rc, const char *const *names,
					 size_t count);
typedef void (*vd_bdev_virtio_detach_cb)(void *cb_arg, int rc);

/**
 * Connect, negotiate, scan and register the bdevs.  \return 0 (cb runs later, once) or
 * -EINVAL (bad options), -EEXIST (controller name in use), -ENOMEM; cb then never runs.
 */
int vd_bdev_virtio_attach(const struct vd_bdev_virtio_opts *opts, vd_bdev_virtio_attach_cb cb,
			  void *cb_arg);
/**
 * Unregister the controller's bdevs and close the connection.  \return 0 (cb runs once
 * everything is released) or -ENODEV (no such controller), -EBUSY (attaching, or already
 * being detached by another caller).
 */
int vd_bdev_virtio_detach(const char *name, vd_bdev_virtio_detach_cb cb, void *cb_arg);

/** Register the RPC methods above. */
void vd_bdev_virtio_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_VIRTIO_H */
