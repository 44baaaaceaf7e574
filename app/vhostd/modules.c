/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The explicit tables of what vhostd is built from: bdev modules, subsystems and their RPC
 * methods, in registration order.  Adding a backend or a controller type means one line here.
 */

#include "vhostd/bdev_aio.h"
#include "vhostd/bdev_module.h"
#include "vhostd/bdev_uring.h"
#include "vhostd/event.h"
#include "vhostd/rpc.h"
#include "vhostd.h"

void
vhostd_modules_register(void)
{
	vd_rpc_rpc_register();
	vd_event_rpc_register();
	vhostd_app_rpc_register();
	vhostd_app_subsystems_register();
	vd_bdev_module_register(&vd_bdev_aio_module);
	vd_bdev_module_register(&vd_bdev_uring_module);
	vd_bdev_aio_rpc_register();
	vd_bdev_uring_rpc_register();
}
