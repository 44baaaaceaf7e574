/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC methods of vhost-blk controllers (SPDK names and parameters) and the subsystem's
 * saved configuration.  Everything runs on the app thread.
 *
 *   vhost_create_blk_controller {ctrlr, dev_name, cpumask?, readonly?, packed_ring?,
 *                                transport?} -> true
 *   vhost_get_controllers {name?} -> [{ctrlr, cpumask, delay_base_us, iops_threshold, socket,
 *                                      connected, sessions, queues, backend_specific}]
 *   vhost_delete_controller {ctrlr} -> true
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhost_blk_ctrlr.h"

static void
rpc_blk_done(void *arg, int rc)
{
	struct vd_rpc_request *req = arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
		return;
	}
	vd_rpc_send_bool(req, true);
}

static bool
rpc_parse_cpumask(struct vd_rpc_request *req, const char *str, struct vd_cpuset *mask)
{
	struct vd_reactor_stats st;
	int cpu;

	if (vd_cpuset_parse(mask, str) != 0 || vd_cpuset_count(mask) == 0) {
		vd_rpc_send_invalid_param(req, "cpumask", "is not a valid CPU mask");
		return false;
	}
	for (cpu = vd_cpuset_next(mask, -1); cpu >= 0; cpu = vd_cpuset_next(mask, cpu)) {
		if (vd_reactor_get_stats((uint32_t)cpu, &st) == 0) {
			return true;
		}
	}
	vd_rpc_send_invalid_param(req, "cpumask", "names no core vhostd runs a reactor on");
	return false;
}

static void
rpc_create_error(struct vd_rpc_request *req, const struct vd_vhost_blk_opts *opts, int rc)
{
	struct vd_bdev *bdev;

	switch (rc) {
	case -ENODEV:
		vd_rpc_send_error(req, rc, "bdev %s not found", opts->bdev_name);
		break;
	case -EEXIST:
		vd_rpc_send_error(req, rc, "controller %s already exists", opts->name);
		break;
	case -EPERM:
		bdev = vd_bdev_get_by_name(opts->bdev_name);
		vd_rpc_send_error(req, rc, "bdev %s is already claimed by %s", opts->bdev_name,
				  bdev ? vd_bdev_get_claimer(bdev) : "another user");
		break;
	case -EINVAL:
		vd_rpc_send_invalid_param(req, "ctrlr", "must be a non-empty name without '/'");
		break;
	default:
		vd_rpc_send_error(req, rc, "cannot create controller %s: %s", opts->name,
				  strerror(-rc));
		break;
	}
}

static void
rpc_vhost_create_blk_controller(struct vd_rpc_request *req, struct json_object *params)
{
	static const char *const known[] = {"ctrlr",	   "dev_name",	"cpumask", "readonly",
					    "packed_ring", "transport", NULL};
	struct vd_vhost_blk_opts opts = {0};
	struct vd_cpuset mask;
	const char *cpumask = NULL, *transport = NULL;
	bool packed = false;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "ctrlr", true, &opts.name) ||
	    !vd_rpc_param_string(req, params, "dev_name", true, &opts.bdev_name) ||
	    !vd_rpc_param_string(req, params, "cpumask", false, &cpumask) ||
	    !vd_rpc_param_bool(req, params, "readonly", false, &opts.readonly) ||
	    !vd_rpc_param_bool(req, params, "packed_ring", false, &packed) ||
	    !vd_rpc_param_string(req, params, "transport", false, &transport)) {
		return;
	}
	if (packed) {
		vd_rpc_send_invalid_param(req, "packed_ring", "packed ring not supported");
		return;
	}
	if (transport != NULL && strcmp(transport, "vhost_user_blk") != 0) {
		vd_rpc_send_invalid_param(req, "transport", "must be \"vhost_user_blk\"");
		return;
	}
	if (cpumask != NULL) {
		if (!rpc_parse_cpumask(req, cpumask, &mask)) {
			return;
		}
		opts.cpumask = &mask;
	}
	rc = vd_vhost_blk_create(&opts, rpc_blk_done, req);
	if (rc != 0) {
		rpc_create_error(req, &opts, rc);
	}
}

static struct json_object *
rpc_queue_stats(struct blk_ctrlr *c)
{
	struct json_object *arr = json_object_new_array(), *q;
	struct vd_vhost_vq_stats st;
	uint16_t i;

	for (i = 0; i < VD_VHOST_BLK_MAX_QUEUES; i++) {
		if (vd_vhost_dev_get_vq_stats(c->vdev, i, &st) != 0) {
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

static struct json_object *
rpc_sessions(struct blk_ctrlr *c, bool connected)
{
	struct json_object *arr = json_object_new_array(), *s;
	char name[sizeof(c->name) + 8];

	if (!connected) {
		return arr;
	}
	snprintf(name, sizeof(name), "%ss0", c->name);
	s = json_object_new_object();
	json_object_object_add(s, "vid", json_object_new_int(0));
	json_object_object_add(s, "id", json_object_new_int(0));
	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "max_queues",
			       json_object_new_int(vd_vhost_dev_get_num_queues(c->vdev)));
	json_object_array_add(arr, s);
	return arr;
}

/* The cores the controller's thread may run on: its mask restricted to reactor cores. */
static void
rpc_ctrlr_cpumask(struct blk_ctrlr *c, char *buf, size_t len)
{
	const struct vd_cpuset *tm = vd_thread_get_cpumask(vd_vhost_dev_get_thread(c->vdev));
	struct vd_reactor_stats st;
	struct vd_cpuset m;
	int cpu;

	vd_cpuset_zero(&m);
	for (cpu = vd_cpuset_next(tm, -1); cpu >= 0; cpu = vd_cpuset_next(tm, cpu)) {
		if (vd_reactor_get_stats((uint32_t)cpu, &st) == 0) {
			vd_cpuset_set_cpu(&m, (uint32_t)cpu, true);
		}
	}
	vd_cpuset_fmt(&m, buf, len);
}

static struct json_object *
rpc_ctrlr_info(struct blk_ctrlr *c)
{
	struct json_object *o = json_object_new_object(), *be, *blk;
	bool connected = vd_vhost_dev_is_connected(c->vdev);
	char mask[VD_CPUSET_SIZE / 4 + 3];

	rpc_ctrlr_cpumask(c, mask, sizeof(mask));
	json_object_object_add(o, "ctrlr", json_object_new_string(c->name));
	json_object_object_add(o, "cpumask", json_object_new_string(mask));
	json_object_object_add(o, "delay_base_us", json_object_new_int(0));
	json_object_object_add(o, "iops_threshold", json_object_new_int(60000));
	json_object_object_add(o, "socket",
			       json_object_new_string(vd_vhost_dev_get_socket_path(c->vdev)));
	json_object_object_add(o, "connected", json_object_new_boolean(connected));
	json_object_object_add(o, "sessions", rpc_sessions(c, connected));
	json_object_object_add(o, "queues", rpc_queue_stats(c));
	blk = json_object_new_object();
	json_object_object_add(blk, "readonly", json_object_new_boolean(c->geom.readonly));
	json_object_object_add(blk, "bdev", json_object_new_string(c->bdev_name));
	be = json_object_new_object();
	json_object_object_add(be, "block", blk);
	json_object_object_add(o, "backend_specific", be);
	return o;
}

static uint32_t
blk_dump_controllers(struct json_object *array, const char *name)
{
	struct blk_ctrlr *c;
	uint32_t n = 0;

	for (c = blk_ctrlr_next(NULL); c != NULL; c = blk_ctrlr_next(c)) {
		if (c->state == BLK_CTRLR_READY && (name == NULL || strcmp(name, c->name) == 0)) {
			json_object_array_add(array, rpc_ctrlr_info(c));
			n++;
		}
	}
	return n;
}

static struct vd_vhost_ctrlr_type g_blk_ctrlr_type = {
	.name = "blk",
	.dump = blk_dump_controllers,
	.delete_ctrlr = vd_vhost_blk_delete,
};

void
blk_write_config_json(struct json_object *config)
{
	struct json_object *entry, *params;
	char mask[VD_CPUSET_SIZE / 4 + 3];
	struct blk_ctrlr *c;

	for (c = blk_ctrlr_next(NULL); c != NULL; c = blk_ctrlr_next(c)) {
		if (c->state != BLK_CTRLR_READY) {
			continue;
		}
		params = json_object_new_object();
		json_object_object_add(params, "ctrlr", json_object_new_string(c->name));
		json_object_object_add(params, "dev_name", json_object_new_string(c->bdev_name));
		json_object_object_add(params, "readonly",
				       json_object_new_boolean(c->geom.readonly));
		if (c->has_cpumask) {
			vd_cpuset_fmt(&c->cpumask, mask, sizeof(mask));
			json_object_object_add(params, "cpumask", json_object_new_string(mask));
		}
		entry = json_object_new_object();
		json_object_object_add(entry, "method",
				       json_object_new_string("vhost_create_blk_controller"));
		json_object_object_add(entry, "params", params);
		json_object_array_add(config, entry);
	}
}

void
vd_vhost_blk_rpc_register(void)
{
	vd_rpc_register_method("vhost_create_blk_controller", rpc_vhost_create_blk_controller,
			       VD_RPC_STARTUP | VD_RPC_RUNTIME);
	vd_vhost_ctrlr_type_register(&g_blk_ctrlr_type);
	vd_vhost_rpc_register();
}
