/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user-blk controllers: a virtio-blk device (virtio 1.2, split rings) on top of lib/vhost,
 * backed by one bdev.
 *
 * A controller has a name (its socket file <sock_dir>/<name>), a bdev it claims exclusively and
 * a data thread (lib/vhost, placed by cpumask) on which every queue has its own poller.  Guest
 * buffers go to the bdev without copies.  When the bdev is hot-removed the controller stays and
 * fails new requests with VIRTIO_BLK_S_IOERR; deleting the controller releases the bdev.
 *
 * All functions run on the app (control) thread.  RPC methods: vhost_create_blk_controller,
 * vhost_get_controllers, vhost_delete_controller (SPDK names and parameters).  Subsystem
 * "vhost_blk" (depends on "bdev"): its config recreates every controller, its fini deletes them.
 */
#ifndef VHOSTD_VHOST_BLK_H
#define VHOSTD_VHOST_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vd_subsystem;

/** Most queues a controller offers (GET_QUEUE_NUM). */
#define VD_VHOST_BLK_MAX_QUEUES 16

struct vd_vhost_blk_opts {
	const char *name;		 /**< controller (and socket file) name; copied */
	const char *bdev_name;		 /**< copied */
	const struct vd_cpuset *cpumask; /**< data thread placement; NULL = any core; copied */
	bool readonly;			 /**< VIRTIO_BLK_F_RO; writes fail with IOERR */
};

/** Completion of create/delete on the app thread: \p rc 0 or a negative errno. */
typedef void (*vd_vhost_blk_done_cb)(void *cb_arg, int rc);

/**
 * Create a controller: open and claim the bdev on the controller's data thread and listen on
 * its socket.  \return 0 (cb runs later with 0, or with the errno that undid the creation:
 * -ENODEV, -EPERM, -ENOMEM), or synchronously -EINVAL (bad name), -ENODEV (no such bdev),
 * -EPERM (bdev claimed; the claimer is logged), -EEXIST (name in use), -ENAMETOOLONG, -ENOMEM
 * or a socket errno; cb then never runs.
 */
int vd_vhost_blk_create(const struct vd_vhost_blk_opts *opts, vd_vhost_blk_done_cb cb,
			void *cb_arg);

/**
 * Delete a controller, also while a guest is connected (its queues are stopped, in-flight I/O
 * finishes, the connection is closed, the bdev released).  \return 0 (cb runs later) or
 * -ENODEV (no such controller), -EBUSY (being created or deleted).
 */
int vd_vhost_blk_delete(const char *name, vd_vhost_blk_done_cb cb, void *cb_arg);

/** Whether \p name is a vhost-blk controller. */
bool vd_vhost_blk_exists(const char *name);

/** The "vhost_blk" subsystem for vd_subsystem_register(). */
struct vd_subsystem *vd_vhost_blk_subsystem(void);

/** Register vhost_create_blk_controller, vhost_get_controllers, vhost_delete_controller. */
void vd_vhost_blk_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_VHOST_BLK_H */
