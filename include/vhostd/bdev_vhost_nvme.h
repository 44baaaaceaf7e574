/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-nvme bdev module: bdevs backed by a vhost-user-nvme target (vhostd's vhost-nvme
 * controller) reached through lib/nvme_frontend, which plays QEMU's and the guest driver's part.
 *
 * A controller is one connection.  Each active namespace becomes a bdev "<name>n<nsid>".  The
 * process's env memory (DPDK memory, vd_dma_* allocations) is the "guest memory" shared with
 * the target, with guest physical address = virtual address, so I/O buffers travel as PRPs
 * built from their own addresses (no copy).  Only buffers in env memory that existed when the
 * controller attached can be used (preallocate it: -s / mem_size_mb); others fail with -EFAULT.
 * Buffers must be describable by PRPs: the first dword aligned, inner iovec boundaries on
 * 4 KiB pages (others fail with -EINVAL).  Transfers above the controller's MDTS (and above
 * 1 MiB) are split into several commands.
 *
 * Each thread that submits I/O claims one I/O queue pair (io_queues must be at least the
 * number of such threads) and polls its completion queue (created without interrupts).  The
 * handshake and the driver bring-up run on a helper OS thread (the front-end's control path
 * blocks, bounded by timeout_ms per step), so the app thread never waits.  When the target
 * goes away, outstanding I/O fails (ABORTED) and the bdevs are hot-removed; the controller
 * disappears once they are gone.  Detach disables the controller (CC.EN = 0, wait for
 * CSTS.RDY = 0: the target no longer touches our memory) before closing the connection.
 *
 * Everything here runs on the app thread.  RPC methods:
 * bdev_vhost_nvme_attach_controller {name, traddr: socket path, io_queues?, queue_size?,
 * dbbuf?, timeout_ms?, admin_msg?} -> [bdev names] (answered when the bring-up is done),
 * bdev_vhost_nvme_detach_controller {name} -> true.
 */
#ifndef VHOSTD_BDEV_VHOST_NVME_H
#define VHOSTD_BDEV_VHOST_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhostd/bdev_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern struct vd_bdev_module vd_bdev_vhost_nvme_module;

#define VD_BDEV_VHOST_NVME_DEFAULT_QUEUE_SIZE 256
#define VD_BDEV_VHOST_NVME_MAX_IO_QUEUES 31
#define VD_BDEV_VHOST_NVME_DEFAULT_TIMEOUT_MS 5000

struct vd_bdev_vhost_nvme_opts {
	const char *name;    /**< controller name (bdevs "<name>n<nsid>"); copied */
	const char *path;    /**< vhost-user socket of the target; copied */
	uint16_t io_queues;  /**< I/O queue pairs (one per I/O thread), 1..31; 0 = 1 */
	uint16_t queue_size; /**< entries per I/O queue, 4..1024; 0 = default */
	bool dbbuf;	     /**< use Doorbell Buffer Config (shadow doorbells) when offered */
	uint32_t timeout_ms; /**< per handshake/bring-up step; 0 = default */
	bool admin_msg; /**< admin commands as VHOST_USER_NVME_ADMIN messages, no admin queue */
};

/**
 * Attach completion: \p rc 0 with the names of the created bdevs (borrowed for the callback),
 * or a negative errno: -ENOENT/-ECONNREFUSED (no target on the socket), -ETIMEDOUT (a step was
 * not answered: not a vhost-user target?), -EPROTO (not a vhost-user-nvme target, or a
 * malformed answer), -ECONNRESET (the peer closed the connection), -EIO (an admin command
 * failed), -ENODEV (controller fatal status, or no namespace), -EEXIST (a bdev name is
 * taken), -ENOMEM, -ENOTSUP (env memory cannot be shared).
 */
typedef void (*vd_bdev_vhost_nvme_attach_cb)(void *cb_arg, int rc, const char *const *names,
					     size_t count);
typedef void (*vd_bdev_vhost_nvme_detach_cb)(void *cb_arg, int rc);

/**
 * Connect, bring the controller up and register one bdev per namespace.  \return 0 (cb runs
 * later, once) or -EINVAL (bad options), -EEXIST (controller name in use), -ENOMEM, -ENOTSUP
 * (no shareable env memory); cb then never runs.
 */
int vd_bdev_vhost_nvme_attach(const struct vd_bdev_vhost_nvme_opts *opts,
			      vd_bdev_vhost_nvme_attach_cb cb, void *cb_arg);
/**
 * Unregister the controller's bdevs, disable the controller and close the connection.
 * \return 0 (cb runs once everything is released) or -ENODEV (no such controller), -EBUSY
 * (attaching, or already being detached).
 */
int vd_bdev_vhost_nvme_detach(const char *name, vd_bdev_vhost_nvme_detach_cb cb, void *cb_arg);

/** Register the RPC methods above. */
void vd_bdev_vhost_nvme_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_VHOST_NVME_H */
