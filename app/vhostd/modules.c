/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The explicit tables of what vhostd is built from: bdev modules, subsystems and their RPC
 * methods, in registration order.  Adding a backend or a controller type means one line here.
 */

#include "vhostd/bdev.h"
#include "vhostd/bdev_aio.h"
#include "vhostd/bdev_malloc.h"
#include "vhostd/bdev_module.h"
#include "vhostd/bdev_null.h"
#include "vhostd/bdev_uring.h"
#include "vhostd/bdev_vhost_nvme.h"
#include "vhostd/bdev_virtio.h"
#include "vhostd/event.h"
#include "vhostd/rpc.h"
#include "vhostd/vhost_blk.h"
#include "vhostd/vhost_nvme.h"
#include "vhostd/vhost_scsi.h"
#include "vhostd.h"

void
vhostd_modules_register(void)
{
	vd_rpc_rpc_register();
	vd_event_rpc_register();
	vhostd_app_rpc_register();
	vhostd_app_subsystems_register();
	vd_subsystem_register(vd_bdev_subsystem());
	vd_bdev_rpc_register();
	vd_bdev_module_register(&vd_bdev_malloc_module);
	vd_bdev_module_register(&vd_bdev_null_module);
	vd_bdev_malloc_rpc_register();
	vd_bdev_null_rpc_register();
	vd_bdev_module_register(&vd_bdev_aio_module);
	vd_bdev_module_register(&vd_bdev_uring_module);
	vd_bdev_aio_rpc_register();
	vd_bdev_uring_rpc_register();
	vd_bdev_module_register(&vd_bdev_virtio_module);
	vd_bdev_virtio_rpc_register();
	vd_bdev_module_register(&vd_bdev_vhost_nvme_module);
	vd_bdev_vhost_nvme_rpc_register();
	vd_subsystem_register(vd_vhost_blk_subsystem());
	vd_vhost_blk_rpc_register();
	vd_subsystem_register(vd_vhost_scsi_subsystem());
	vd_vhost_scsi_rpc_register();
	vd_subsystem_register(vd_vhost_nvme_subsystem());
	vd_vhost_nvme_rpc_register();
}
