/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Private interfaces shared by the files of lib/rpc. */
#ifndef VD_RPC_INTERNAL_H
#define VD_RPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"

VD_LOG_FLAG_DECLARE(rpc);

/* The JSON-RPC server's request handler: dispatches to the registry. */
void rpc_handle_jsonrpc(struct vd_jsonrpc_request *jreq, const char *method,
			struct json_object *params);
/* Whether \p name can be called now.  \return 0, -ENOENT (unknown) or -EPERM (wrong state). */
int rpc_method_check(const char *name);

#endif /* VD_RPC_INTERNAL_H */
