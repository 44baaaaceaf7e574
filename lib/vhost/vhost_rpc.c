/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The controller RPCs every vhost device type shares: vhost_get_controllers lists the
 * controllers of all registered types, vhost_delete_controller deletes one whatever its type.
 * Types register a struct vd_vhost_ctrlr_type; this file knows nothing of blk, scsi or nvme.
 * It also holds what the types' own RPCs share: the "cpumask" parameter of the create methods
 * and the fields every controller of vhost_get_controllers has.  Which cores run reactors is
 * lib/event's knowledge: callers pass that set in (lib/vhost does not depend on lib/event).
 * Everything runs on the app (control) thread.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/rpc.h"
#include "vhostd/thread.h"
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

bool
vd_vhost_rpc_parse_cpumask(struct vd_rpc_request *req, const char *str,
			   const struct vd_cpuset *cores, struct vd_cpuset *mask)
{
	struct vd_cpuset usable;

	if (vd_cpuset_parse(mask, str) != 0 || vd_cpuset_count(mask) == 0) {
		vd_rpc_send_invalid_param(req, "cpumask", "is not a valid CPU mask");
		return false;
	}
	vd_cpuset_copy(&usable, mask);
	vd_cpuset_and(&usable, cores);
	if (vd_cpuset_count(&usable) == 0) {
		vd_rpc_send_invalid_param(req, "cpumask", "names no core vhostd runs a reactor on");
		return false;
	}
	return true;
}

static struct json_object *
ctrlr_queue_stats(const struct vd_vhost_dev *dev)
{
	struct json_object *arr = json_object_new_array(), *q;
	struct vd_vhost_vq_stats st;
	uint16_t i;

	for (i = 0; i < VD_VHOST_MAX_QUEUES; i++) {
		if (vd_vhost_dev_get_vq_stats(dev, i, &st) != 0) {
			continue;
		}
		q = json_object_new_object();
		json_object_object_add(q, "index", json_object_new_int(i));
		json_object_object_add(q, "requests", json_object_new_uint64(st.requests));
		json_object_object_add(q, "completions", json_object_new_uint64(st.completions));
		json_object_object_add(q, "bytes", json_object_new_uint64(st.bytes));
		json_object_object_add(q, "calls", json_object_new_uint64(st.calls));
		json_object_object_add(q, "bad_chains", json_object_new_uint64(st.bad_chains));
		json_object_object_add(q, "resubmitted", json_object_new_uint64(st.resubmitted));
		json_object_array_add(arr, q);
	}
	return arr;
}

/* SPDK's session list: one session "<ctrlr>s0" while a front-end is connected. */
static struct json_object *
ctrlr_sessions(const struct vd_vhost_dev *dev, bool connected)
{
	struct json_object *arr = json_object_new_array(), *s;
	char name[256]; /* device names fit a socket path (sun_path: 108 bytes) */

	if (!connected) {
		return arr;
	}
	snprintf(name, sizeof(name), "%ss0", vd_vhost_dev_get_name(dev));
	s = json_object_new_object();
	json_object_object_add(s, "vid", json_object_new_int(0));
	json_object_object_add(s, "id", json_object_new_int(0));
	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "max_queues",
			       json_object_new_int(vd_vhost_dev_get_num_queues(dev)));
	json_object_array_add(arr, s);
	return arr;
}

struct json_object *
vd_vhost_ctrlr_info_json(const struct vd_vhost_dev *dev, const struct vd_cpuset *cores)
{
	struct json_object *o = json_object_new_object();
	bool connected = vd_vhost_dev_is_connected(dev);
	char mask[VD_CPUSET_SIZE / 4 + 3];
	struct vd_cpuset m;

	/* The cores the data thread may run on: its mask restricted to reactor cores. */
	vd_cpuset_copy(&m, vd_thread_get_cpumask(vd_vhost_dev_get_thread(dev)));
	vd_cpuset_and(&m, cores);
	vd_cpuset_fmt(&m, mask, sizeof(mask));
	json_object_object_add(o, "ctrlr", json_object_new_string(vd_vhost_dev_get_name(dev)));
	json_object_object_add(o, "cpumask", json_object_new_string(mask));
	json_object_object_add(o, "delay_base_us", json_object_new_int(0));
	json_object_object_add(o, "iops_threshold", json_object_new_int(60000));
	json_object_object_add(o, "socket",
			       json_object_new_string(vd_vhost_dev_get_socket_path(dev)));
	json_object_object_add(o, "connected", json_object_new_boolean(connected));
	json_object_object_add(o, "sessions", ctrlr_sessions(dev, connected));
	json_object_object_add(o, "queues", ctrlr_queue_stats(dev));
	return o;
}

void
vd_vhost_config_add_cpumask(struct json_object *params, const struct vd_cpuset *cpumask)
{
	char mask[VD_CPUSET_SIZE / 4 + 3];

	if (cpumask != NULL) {
		vd_cpuset_fmt(cpumask, mask, sizeof(mask));
		json_object_object_add(params, "cpumask", json_object_new_string(mask));
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
