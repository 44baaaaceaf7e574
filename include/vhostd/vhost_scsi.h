/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user-scsi controllers: a virtio-scsi device (virtio 1.2 section 5.6, split rings) on top
 * of lib/vhost, whose SCSI targets are lib/scsi devices backed by bdevs.
 *
 * A controller has a name (its socket file <sock_dir>/<name>), a data thread (lib/vhost, placed
 * by cpumask) and up to VD_VHOST_SCSI_MAX_TARGETS targets, each one lib/scsi device with LUN 0
 * backed by one bdev it claims.  Queue 0 is the control queue (task management, asynchronous
 * notification queries), queue 1 the event queue (hot-plug and parameter-change events), queues
 * 2.. the request queues, each polled by its own poller on the data thread.  Targets can be added
 * and removed while a guest runs: a guest that negotiated VIRTIO_SCSI_F_HOTPLUG gets a
 * transport-reset event (rescan / removed) for the target.  A target whose bdev is hot-removed is
 * removed the same way.
 *
 * Every function here runs on the app (control) thread.  RPC methods (SPDK names and parameters):
 * vhost_create_scsi_controller, vhost_scsi_controller_add_target,
 * vhost_scsi_controller_remove_target; controllers also show up in vhost_get_controllers and are
 * deleted by vhost_delete_controller (controller type "scsi").  Subsystem "vhost_scsi" (depends on
 * "bdev"): its saved config recreates every controller and target, its fini deletes them.
 */
#ifndef VHOSTD_VHOST_SCSI_H
#define VHOSTD_VHOST_SCSI_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vd_subsystem;

/** Targets per controller: target numbers 0 .. VD_VHOST_SCSI_MAX_TARGETS - 1. */
#define VD_VHOST_SCSI_MAX_TARGETS 8
/** Request queues a controller offers (the device has two more: control and event). */
#define VD_VHOST_SCSI_MAX_REQUEST_QUEUES 16

/** Completion on the app thread: \p rc is >= 0 on success (add_target: the target number) or a
 *  negative errno. */
typedef void (*vd_vhost_scsi_done_cb)(void *cb_arg, int rc);

/**
 * Create controller \p name (copied) without targets, listening on <sock_dir>/<name>.
 * \p cpumask is copied (NULL = any core).
 * \return 0, -EINVAL (bad name: empty, contains '/'), -EEXIST (a vhost device of that name
 * exists), -ESHUTDOWN (the subsystem is finishing), -ENAMETOOLONG, -ENOMEM or a socket errno.
 */
int vd_vhost_scsi_create(const char *name, const struct vd_cpuset *cpumask);

/**
 * Add target \p target (0 .. VD_VHOST_SCSI_MAX_TARGETS - 1, or -1 for the lowest free number)
 * to controller \p name, with LUN 0 backed by bdev \p bdev_name (copied; opened and claimed on
 * the controller's data thread).  A connected guest gets a rescan event.
 * \return 0 (cb runs later with the target number, or with -ENODEV / -EPERM / -ENOMEM when
 * opening the bdev failed) or synchronously -ENODEV (no such controller or bdev), -EINVAL
 * (target out of range), -EEXIST (target in use), -ENOSPC (no free target), -EPERM (bdev
 * claimed), -EBUSY (controller being created or deleted); cb then never runs.
 */
int vd_vhost_scsi_add_target(const char *name, int target, const char *bdev_name,
			     vd_vhost_scsi_done_cb cb, void *cb_arg);

/**
 * Remove target \p target: new commands to it fail with VIRTIO_SCSI_S_BAD_TARGET at once, a
 * connected guest gets a "removed" event, and \p cb runs (with 0) after its in-flight commands
 * finished and the bdev was released.
 * \return 0 (cb runs later) or -ENODEV (no such controller or target), -EINVAL (target out of
 * range), -EBUSY (target being added or removed, controller being deleted).
 */
int vd_vhost_scsi_remove_target(const char *name, uint32_t target, vd_vhost_scsi_done_cb cb,
				void *cb_arg);

/**
 * Delete a controller, also while a guest is connected (targets are removed after their
 * in-flight I/O, queues stopped, the connection closed).  \return 0 (cb runs later with 0) or
 * -ENODEV (no such controller), -EBUSY (a target is being added or removed, or the controller
 * is being deleted).
 */
int vd_vhost_scsi_delete(const char *name, vd_vhost_scsi_done_cb cb, void *cb_arg);

/** Whether \p name is a vhost-scsi controller. */
bool vd_vhost_scsi_exists(const char *name);

/** The "vhost_scsi" subsystem for vd_subsystem_register(). */
struct vd_subsystem *vd_vhost_scsi_subsystem(void);

/** Register the RPC methods and the "scsi" controller type (vhost_get_controllers,
 *  vhost_delete_controller). */
void vd_vhost_scsi_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_VHOST_SCSI_H */
