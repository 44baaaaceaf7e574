/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The controller RPCs every vhost device type shares: vhost_get_controllers lists the
 * controllers of all registered types, vhost_delete_controller deletes one whatever its type.
 * Types register a struct vd_vhost_ctrlr_type; this file knows nothing of blk, scsi or nvme.
 * Everything runs on the app (control) thread.
 */

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/rpc.h"
#include "vhostd/vhost.h"

static struct vd_vhost_ctrlr_type *g_types;
static bool g_rpc_registered;

void
vd_vhost_ctrlr_type_register(struct vd_vhost_ctrlr_type *type)
{
	struct vd_vhost_ctrlr_type **p;

	for (p = &g_types; *p != NULL; p = &(*p)->next) {
		if (*p == type) {
			return;
		}
	}
	type->next = NULL;
	*p = type;
}

static void
rpc_vhost_get_controllers(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"name", NULL};
	struct vd_vhost_ctrlr_type *t;
	const char *name = NULL;
	struct json_object *arr;
	uint32_t n = 0;

	if (!vd_rpc_params_object(req, params, true) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", false, &name)) {
		return;
	}
	arr = json_object_new_array();
	if (arr == NULL) {
		vd_rpc_send_error(req, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	for (t = g_types; t != NULL; t = t->next) {
		n += t->dump(arr, name);
	}
	if (name != NULL && n == 0) {
		json_object_put(arr);
		vd_rpc_send_error(req, -ENODEV, "controller %s not found", name);
		return;
	}
	vd_rpc_send_result(req, arr);
}

static void
rpc_delete_done(void *cb_arg, int rc)
{
	struct vd_rpc_request *req = cb_arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static void
rpc_vhost_delete_controller(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr", NULL};
	struct vd_vhost_ctrlr_type *t;
	const char *name = NULL;
	int rc = -ENODEV;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &name)) {
		return;
	}
	for (t = g_types; t != NULL && rc == -ENODEV; t = t->next) {
		rc = t->delete_ctrlr(name, rpc_delete_done, req);
	}
	if (rc == -ENODEV) {
		vd_rpc_send_error(req, rc, "controller %s not found", name);
	} else if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot delete controller %s: %s", name, strerror(-rc));
	}
}

void
vd_vhost_rpc_register(void)
{
	if (g_rpc_registered) {
		return;
	}
	g_rpc_registered = true;
	vd_rpc_register_method("vhost_get_controllers", rpc_vhost_get_controllers,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_method("vhost_delete_controller", rpc_vhost_delete_controller,
			       VD_RPC_RUNTIME);
}
