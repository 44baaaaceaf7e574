/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-nvme controllers: registry, namespaces, the lib/vhost device ops and the subsystem.
 * Control (app) thread only, except the ops lib/vhost calls on the data thread (start/stop,
 * implemented in nvme_ctrlr.c).
 *
 * Life cycle of a controller: vd_vhost_nvme_create() registers a no_vrings vhost device
 * (READY); vd_vhost_nvme_delete() sets deleting and unregisters the device; lib/vhost stops
 * the data path and closes the connection (ops->disconnected resets the controller state);
 * delete_done() then closes the namespaces' bdevs and frees the controller, or, while admin
 * messages are still being answered (nvme_admin_msg.c), the last of them does.
 *
 * Namespaces are only added (never removed): a slot is filled completely, then num_ns is
 * published with a release store, so the data thread sees finished slots only.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <json-c/json.h>

#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhost_nvme_internal.h"

VD_LOG_FLAG_DEFINE(vhost_nvme);

static TAILQ_HEAD(, nvme_ctrlr) g_ctrlrs = TAILQ_HEAD_INITIALIZER(g_ctrlrs);
static uint16_t g_next_cntlid = 1;

struct nvme_ctrlr *
vhost_nvme_find(const char *name)
{
	struct nvme_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

struct nvme_ctrlr *
vhost_nvme_next(struct nvme_ctrlr *prev)
{
	return prev == NULL ? TAILQ_FIRST(&g_ctrlrs) : TAILQ_NEXT(prev, link);
}

bool
vd_vhost_nvme_exists(const char *name)
{
	return name != NULL && vhost_nvme_find(name) != NULL;
}

/* Device ops (control thread). ---------------------------------------------------------------- */

static int
nvme_custom_msg(struct vd_vhost_dev *dev, struct vd_vhost_custom_msg *msg)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);
	uint64_t size;
	void *p, *old;

	if (msg->request == VHOST_USER_NVME_ADMIN) {
		return nvme_admin_msg_recv(c, msg);
	}
	if (msg->request != VHOST_USER_NVME_SET_DOORBELL_PAGE) {
		return VD_VHOST_MSG_NOT_MINE;
	}
	if (msg->size != sizeof(size) || msg->fd_num != 1) {
		VD_ERRLOG("%s: SET_DOORBELL_PAGE: need an 8-byte payload and one fd\n", c->name);
		return -EINVAL;
	}
	memcpy(&size, msg->payload, sizeof(size));
	if (size != VD_VHOST_NVME_DB_PAGE_SIZE) {
		VD_ERRLOG("%s: SET_DOORBELL_PAGE: size %lu, expected %u\n", c->name,
			  (unsigned long)size, VD_VHOST_NVME_DB_PAGE_SIZE);
		return -EINVAL;
	}
	p = mmap(NULL, VD_VHOST_NVME_DB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, msg->fds[0],
		 0);
	if (p == MAP_FAILED) {
		VD_ERRLOG("%s: cannot map the doorbell page: %s\n", c->name, strerror(errno));
		return -errno;
	}
	/* The data thread takes it over at its next poll (fd closed by the dispatcher). */
	old = __atomic_exchange_n(&c->db_pending, p, __ATOMIC_ACQ_REL);
	if (old != NULL) {
		munmap(old, VD_VHOST_NVME_DB_PAGE_SIZE);
	}
	return VD_VHOST_MSG_DONE;
}

static void
nvme_connected(struct vd_vhost_dev *dev)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	c->conn_gen++; /* admin messages of an earlier front-end must not run (nvme_admin_msg.c) */
}

static void
nvme_disconnected(struct vd_vhost_dev *dev)
{
	struct nvme_ctrlr *c = vd_vhost_dev_get_ctx(dev);

	/* The device is stopped: nothing of ours runs on the data thread. */
	nvme_ctrlr_reset_dp(c);
}

static const struct vd_vhost_dev_ops g_nvme_ops = {
	.type = "nvme",
	.no_vrings = true,
	.get_config = vhost_nvme_get_config,
	.set_config = vhost_nvme_set_config,
	.start = vhost_nvme_dev_start,
	.stop = vhost_nvme_dev_stop,
	.custom_msg = nvme_custom_msg,
	.connected = nvme_connected,
	.disconnected = nvme_disconnected,
};

/* Create / delete. ------------------------------------------------------------------------------
 */

static void
ctrlr_free(struct nvme_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i < VD_VHOST_NVME_MAX_NS; i++) {
		if (c->ns[i].desc != NULL) {
			vd_bdev_release_claim(c->ns[i].desc);
			vd_bdev_close(c->ns[i].desc);
		}
		free(c->ns[i].bdev_name);
	}
	for (i = 0; i < NVME_NUM_BOUNCE; i++) {
		free(c->dp.bounce[i]);
	}
	free(c->name);
	free(c);
}

int
vd_vhost_nvme_create(const char *name, uint32_t io_queues, const struct vd_cpuset *cpumask)
{
	struct nvme_ctrlr *c;
	uint32_t i;
	int rc;

	if (name == NULL || io_queues == 0 || io_queues > VD_VHOST_NVME_MAX_IO_QUEUES) {
		return -EINVAL;
	}
	if (vhost_nvme_find(name) != NULL || vd_vhost_dev_find(name) != NULL) {
		return -EEXIST;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->name = strdup(name)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < NVME_NUM_BOUNCE; i++) {
		c->dp.bounce[i] = aligned_alloc(NVME_PAGE_SIZE, NVME_MAX_XFER);
		if (c->dp.bounce[i] == NULL) {
			ctrlr_free(c);
			return -ENOMEM;
		}
	}
	c->io_queues = (uint16_t)io_queues;
	c->cntlid = g_next_cntlid++;
	c->ops = g_nvme_ops;
	c->ops.max_queues = (uint16_t)(io_queues + 1); /* call fds: one per CQ id */
	if (cpumask != NULL) {
		c->has_cpumask = true;
		vd_cpuset_copy(&c->cpumask, cpumask);
	}
	nvme_ctrlr_reset_dp(c);
	rc = vd_vhost_dev_register(name, vd_vhost_get_sock_dir(), &c->ops, c, cpumask, &c->vdev);
	if (rc != 0) {
		VD_ERRLOG("cannot create vhost-nvme controller %s: %s\n", name, strerror(-rc));
		ctrlr_free(c);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g_ctrlrs, c, link);
	VD_NOTICELOG("vhost-nvme controller %s: %u I/O queues, socket %s\n", name, io_queues,
		     vd_vhost_dev_get_socket_path(c->vdev));
	return 0;
}

void
vhost_nvme_delete_finish(struct nvme_ctrlr *c)
{
	vd_vhost_nvme_done_cb cb = c->delete_cb;
	void *cb_arg = c->delete_arg;

	TAILQ_REMOVE(&g_ctrlrs, c, link);
	VD_NOTICELOG("vhost-nvme controller %s deleted\n", c->name);
	ctrlr_free(c);
	if (cb != NULL) {
		cb(cb_arg, 0);
	}
}

static void
delete_done(void *arg)
{
	struct nvme_ctrlr *c = arg;

	c->vdev_gone = true;
	c->vdev = NULL;
	if (c->admin_msgs == 0) {
		vhost_nvme_delete_finish(c);
	}
}

int
vd_vhost_nvme_delete(const char *name, vd_vhost_nvme_done_cb cb, void *cb_arg)
{
	struct nvme_ctrlr *c = name != NULL ? vhost_nvme_find(name) : NULL;
	int rc;

	if (c == NULL) {
		return -ENODEV;
	}
	if (c->deleting) {
		return -EBUSY;
	}
	rc = vd_vhost_dev_unregister(c->vdev, delete_done, c);
	if (rc != 0) {
		return rc;
	}
	c->deleting = true;
	c->delete_cb = cb;
	c->delete_arg = cb_arg;
	return 0;
}

/* Namespaces. --------------------------------------------------------------------------------- */

static void
ns_event(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	struct nvme_ns *ns = ctx;

	if (type == VD_BDEV_EVENT_REMOVE) {
		VD_WARNLOG("%s: bdev %s of namespace %u removed: its I/O now fails\n",
			   ns->ctrlr->name, ns->bdev_name, ns->nsid);
		__atomic_store_n(&ns->removed, true, __ATOMIC_RELEASE);
	}
}

int
vd_vhost_nvme_add_ns(const char *name, const char *bdev_name)
{
	struct nvme_ctrlr *c = name != NULL ? vhost_nvme_find(name) : NULL;
	struct nvme_ns *ns;
	char claimer[128];
	int rc;

	if (c == NULL || c->deleting || bdev_name == NULL) {
		return -ENODEV;
	}
	if (c->num_ns == VD_VHOST_NVME_MAX_NS) {
		return -ENOSPC;
	}
	ns = &c->ns[c->num_ns];
	memset(ns, 0, sizeof(*ns));
	ns->ctrlr = c;
	ns->nsid = c->num_ns + 1;
	ns->bdev_name = strdup(bdev_name);
	if (ns->bdev_name == NULL) {
		return -ENOMEM;
	}
	rc = vd_bdev_open_ext(bdev_name, true, ns_event, ns, &ns->desc);
	if (rc != 0) {
		goto err_name;
	}
	snprintf(claimer, sizeof(claimer), "vhost_nvme:%s", c->name);
	rc = vd_bdev_claim(ns->desc, claimer);
	if (rc != 0) {
		goto err_close;
	}
	ns->bdev = vd_bdev_desc_get_bdev(ns->desc);
	ns->block_size = vd_bdev_get_block_size(ns->bdev);
	ns->num_blocks = vd_bdev_get_num_blocks(ns->bdev);
	ns->active = true;
	__atomic_store_n(&c->num_ns, c->num_ns + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->dp.ns_changed, 1, __ATOMIC_RELEASE);
	VD_NOTICELOG("%s: namespace %u on bdev %s\n", c->name, ns->nsid, bdev_name);
	return (int)ns->nsid;

err_close:
	vd_bdev_close(ns->desc);
	ns->desc = NULL;
err_name:
	free(ns->bdev_name);
	ns->bdev_name = NULL;
	return rc;
}

/* Introspection. ------------------------------------------------------------------------------ */

static struct json_object *
ctrlr_json(struct nvme_ctrlr *c)
{
	struct json_object *o = json_object_new_object(), *be = json_object_new_object();
	struct json_object *nvme = json_object_new_object(), *nss = json_object_new_array(), *n;
	char mask[VD_CPUSET_SIZE / 4 + 3] = "";
	uint32_t i;

	if (c->has_cpumask) {
		vd_cpuset_fmt(&c->cpumask, mask, sizeof(mask));
	}
	json_object_object_add(o, "ctrlr", json_object_new_string(c->name));
	json_object_object_add(o, "cpumask", json_object_new_string(mask));
	json_object_object_add(o, "socket",
			       json_object_new_string(vd_vhost_dev_get_socket_path(c->vdev)));
	json_object_object_add(o, "connected",
			       json_object_new_boolean(vd_vhost_dev_is_connected(c->vdev)));
	for (i = 0; i < c->num_ns; i++) {
		n = json_object_new_object();
		json_object_object_add(n, "nsid", json_object_new_int((int)c->ns[i].nsid));
		json_object_object_add(n, "bdev", json_object_new_string(c->ns[i].bdev_name));
		json_object_array_add(nss, n);
	}
	json_object_object_add(nvme, "io_queues", json_object_new_int(c->io_queues));
	json_object_object_add(nvme, "namespaces", nss);
	json_object_object_add(nvme, "admin_messages",
			       json_object_new_int64((int64_t)c->admin_msgs_total));
	json_object_object_add(
		nvme, "csts",
		json_object_new_int((int)__atomic_load_n(&c->csts, __ATOMIC_ACQUIRE)));
	json_object_object_add(be, "nvme", nvme);
	json_object_object_add(o, "backend_specific", be);
	return o;
}

uint32_t
vd_vhost_nvme_dump_controllers(struct json_object *array, const char *name)
{
	struct nvme_ctrlr *c;
	uint32_t n = 0;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (!c->deleting && (name == NULL || strcmp(name, c->name) == 0)) {
			json_object_array_add(array, ctrlr_json(c));
			n++;
		}
	}
	return n;
}

/* Subsystem. ---------------------------------------------------------------------------------- */

static void
subsys_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(vhost_nvme));
	vd_subsystem_init_next(0);
}

static void subsys_fini(void);

static void
fini_next(void *arg, int rc)
{
	subsys_fini();
}

static void
subsys_fini(void)
{
	struct nvme_ctrlr *c;

	TAILQ_FOREACH(c, &g_ctrlrs, link)
	{
		if (!c->deleting) {
			if (vd_vhost_nvme_delete(c->name, fini_next, NULL) == 0) {
				return;
			}
		}
	}
	if (!TAILQ_EMPTY(&g_ctrlrs)) {
		return; /* a delete in progress calls fini_next */
	}
	vd_subsystem_fini_next();
}

static struct vd_subsystem g_subsystem = {
	.name = "vhost_nvme",
	.init = subsys_init,
	.fini = subsys_fini,
	.write_config_json = vhost_nvme_write_config_json,
	.depends_on = {"bdev"},
};

struct vd_subsystem *
vd_vhost_nvme_subsystem(void)
{
	return &g_subsystem;
}
