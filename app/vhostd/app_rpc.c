/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The daemon's own RPC methods (version) and its "log" subsystem, whose saved configuration
 * restores the print level and the enabled log components.
 */

#include <json-c/json.h>

#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd.h"

static void
rpc_vhostd_get_version(struct vd_rpc_request *req, struct json_object *params)
{
	struct json_object *res, *fields;

	if (params != NULL && !vd_rpc_params_object(req, params, true)) {
		return;
	}
	if (params != NULL && !vd_rpc_params_known(req, params, (const char *const[]){ NULL })) {
		return;
	}
	res = json_object_new_object();
	fields = json_object_new_object();
	json_object_object_add(res, "version", json_object_new_string(VHOSTD_VERSION_STRING));
	json_object_object_add(fields, "major", json_object_new_int(VHOSTD_VERSION_MAJOR));
	json_object_object_add(fields, "minor", json_object_new_int(VHOSTD_VERSION_MINOR));
	json_object_object_add(fields, "patch", json_object_new_int(VHOSTD_VERSION_PATCH));
	json_object_object_add(fields, "suffix", json_object_new_string(VHOSTD_VERSION_SUFFIX));
	json_object_object_add(res, "fields", fields);
	vd_rpc_send_result(req, res);
}

void
vhostd_app_rpc_register(void)
{
	vd_rpc_register_method("vhostd_get_version", rpc_vhostd_get_version,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_rpc_register_alias("spdk_get_version", "vhostd_get_version");
}

static struct json_object *
config_entry(const char *method, struct json_object *params)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "method", json_object_new_string(method));
	json_object_object_add(e, "params", params);
	return e;
}

static void
log_write_config_json(struct json_object *config)
{
	struct vd_log_flag *f;
	struct json_object *p;

	if (vd_log_get_print_level() != VD_LOG_NOTICE) {
		p = json_object_new_object();
		json_object_object_add(p, "level",
				       json_object_new_string(vd_log_level_name(vd_log_get_print_level())));
		json_object_array_add(config, config_entry("log_set_print_level", p));
	}
	for (f = vd_log_flag_next(NULL); f != NULL; f = vd_log_flag_next(f)) {
		if (!f->enabled) {
			continue;
		}
		p = json_object_new_object();
		json_object_object_add(p, "flag", json_object_new_string(f->name));
		json_object_array_add(config, config_entry("log_set_flag", p));
	}
}

static void
log_subsystem_init(void)
{
	vd_subsystem_init_next(0);
}

static void
log_subsystem_fini(void)
{
	vd_subsystem_fini_next();
}

static struct vd_subsystem g_log_subsystem = {
	.name = "log",
	.init = log_subsystem_init,
	.fini = log_subsystem_fini,
	.write_config_json = log_write_config_json,
};

void
vhostd_app_subsystems_register(void)
{
	vd_subsystem_register(&g_log_subsystem);
}
