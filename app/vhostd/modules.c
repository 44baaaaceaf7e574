/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The explicit tables of what vhostd is built from: bdev modules, subsystems and their RPC
 * methods, in registration order.  Adding a backend or a controller type means one line here.
 */

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
}
