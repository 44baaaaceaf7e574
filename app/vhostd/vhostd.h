/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VHOSTD_APP_H
#define VHOSTD_APP_H

#define VHOSTD_VERSION_MAJOR 0
#define VHOSTD_VERSION_MINOR 1
#define VHOSTD_VERSION_PATCH 0
#define VHOSTD_VERSION_SUFFIX ""
#define VHOSTD_VERSION_STRING "vhostd v0.1.0"

/** Register the daemon's own RPC methods and its "log" subsystem. */
void vhostd_app_rpc_register(void);
void vhostd_app_subsystems_register(void);
/** Register every bdev module, subsystem and RPC method (modules.c). */
void vhostd_modules_register(void);

#endif
