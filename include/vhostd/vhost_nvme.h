/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user-nvme controllers: an NVMe 1.3 controller whose admin and I/O queues live in guest
 * memory and are served directly by vhostd (see doc/vhost-nvme.md for the wire protocol).
 *
 * The front-end (QEMU's role) emulates the PCI function and forwards controller register
 * accesses as GET_CONFIG/SET_CONFIG (offset = register offset), shares guest memory
 * (SET_MEM_TABLE), one interrupt eventfd per completion queue (SET_VRING_CALL, index = CQ id)
 * and the BAR0 doorbell page (VHOST_USER_NVME_SET_DOORBELL_PAGE below).  vhostd polls the
 * doorbells (or the shadow doorbells of Doorbell Buffer Config), fetches commands from the
 * guest's SQs, runs them on the namespaces' bdevs and posts completions into the guest's CQs.
 *
 * Every function here runs on the app (control) thread.  RPC methods:
 * vhost_create_nvme_controller, vhost_nvme_controller_add_ns (SPDK 18.x aliases
 * construct_vhost_nvme_controller, add_vhost_nvme_ns); listing and deletion go through the
 * generic vhost_get_controllers and vhost_delete_controller (lib/vhost/vhost_rpc.c).
 * Subsystem "vhost_nvme" (depends on "bdev").
 */
#ifndef VHOSTD_VHOST_NVME_H
#define VHOSTD_VHOST_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/util.h"
#include "vhostd/vhost.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
struct vd_subsystem;

/* Wire protocol shared with the front-end (lib/nvme_frontend). ----------------------------- */

/**
 * VHOST_USER_NVME_SET_DOORBELL_PAGE: payload u64 = size of the mapping in bytes (4096), one fd:
 * the memory backing BAR0 offset 0x1000 (the doorbells, stride 4: SQ y tail at 8y, CQ y head at
 * 8y + 4).  Replaces an earlier page.  Acked with REPLY_ACK when asked.
 */
#define VHOST_USER_NVME_SET_DOORBELL_PAGE (VD_VHOST_CUSTOM_REQ_BASE + 0)
/**
 * VHOST_USER_NVME_ADMIN: payload = one 64-byte admin SQE (struct nvme_sqe; any other size is a
 * protocol error that closes the connection); reply = the 16-byte CQE (cdw0, SQ head 0, SQ id 0,
 * the SQE's CID, status with phase 0).  A second, optional way to submit admin commands besides
 * the admin queue: executed like an admin-queue command, with data in guest memory through the
 * SQE's PRPs.  The reply is deferred until the command completes (vhostd reads no further
 * message meanwhile).  Command Sequence Error while CSTS.RDY = 0.  With AQA = ASQ = ACQ = 0 at
 * CC.EN = 1 the controller runs without an admin queue; an Asynchronous Event Request message
 * is then never held: it completes at once with the oldest pending event, or with Command
 * Sequence Error when none is pending, and the call eventfd of CQ 0 signals pending events.
 */
#define VHOST_USER_NVME_ADMIN (VD_VHOST_CUSTOM_REQ_BASE + 1)
/** Size of the doorbell page. */
#define VD_VHOST_NVME_DB_PAGE_SIZE 4096u

/** Namespaces per controller (NSIDs 1..VD_VHOST_NVME_MAX_NS). */
#define VD_VHOST_NVME_MAX_NS 32
/** Most I/O queue pairs a controller may be created with. */
#define VD_VHOST_NVME_MAX_IO_QUEUES 31
/** CAP.MQES + 1: the largest queue size (entries). */
#define VD_VHOST_NVME_MAX_QUEUE_ENTRIES 1024
/** Identify Controller MDTS (in 4 KiB units, as a power of two): 2^5 * 4 KiB = 128 KiB. */
#define VD_VHOST_NVME_MDTS 5

/* Controllers. --------------------------------------------------------------------------------- */

typedef void (*vd_vhost_nvme_done_cb)(void *cb_arg, int rc);

/**
 * Create controller \p name with \p io_queues I/O queue pairs (1..VD_VHOST_NVME_MAX_IO_QUEUES),
 * listening on <sock_dir>/<name>.  \p cpumask copied (NULL = any core).
 * \return 0, -EINVAL, -EEXIST, -ENOMEM, -ENAMETOOLONG or a socket errno.
 */
int vd_vhost_nvme_create(const char *name, uint32_t io_queues, const struct vd_cpuset *cpumask);

/**
 * Add a namespace backed by bdev \p bdev_name (opened and claimed).  The NSID is the next free
 * one from 1; a connected guest gets a Namespace Attribute Changed event when it asked for them.
 * \return the NSID (> 0), or -ENODEV (no controller or bdev), -EPERM (bdev claimed), -ENOSPC
 * (VD_VHOST_NVME_MAX_NS reached), -ENOMEM.
 */
int vd_vhost_nvme_add_ns(const char *name, const char *bdev_name);

/**
 * Delete a controller (also while connected: the device is stopped, in-flight I/O finishes, the
 * bdevs are released).  \return 0 (cb runs later on the app thread), -ENODEV, -EBUSY.
 */
int vd_vhost_nvme_delete(const char *name, vd_vhost_nvme_done_cb cb, void *cb_arg);

bool vd_vhost_nvme_exists(const char *name);

/**
 * Append one vhost_get_controllers-style object per controller (all, or only \p name when not
 * NULL) to \p array: {ctrlr, cpumask, socket, connected, backend_specific: {nvme: {io_queues,
 * namespaces: [{nsid, bdev}]}}}.  \return the number of objects added.
 */
uint32_t vd_vhost_nvme_dump_controllers(struct json_object *array, const char *name);

/** The "vhost_nvme" subsystem for vd_subsystem_register(). */
struct vd_subsystem *vd_vhost_nvme_subsystem(void);

/** Register the RPC methods listed above. */
void vd_vhost_nvme_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_VHOST_NVME_H */
