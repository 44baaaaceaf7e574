/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The controller skeleton of the initiator bdev modules, virtio and vhost-nvme
 * (include/vhostd_internal/bdev_initiator.h): the controller list, disk bookkeeping,
 * registration, removal and detach, the JSON of the bdevs and the attach/detach RPC answers.
 *
 * Invariants (app thread): imod->ctrlrs holds every controller from vd_bdev_initiator_init()
 * until vd_bdev_initiator_fini(); c->nregistered counts the disks with registered set; the
 * io_device of a controller exists from vd_bdev_initiator_register() until io_device_gone.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd_internal/bdev_initiator.h"

/* Controllers ------------------------------------------------------------------------------- */

struct vd_bdev_initiator *
vd_bdev_initiator_find(struct vd_bdev_initiator_module *imod, const char *name)
{
	struct vd_bdev_initiator *c;

	TAILQ_FOREACH(c, &imod->ctrlrs, link)
	{
		if (strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

struct vd_bdev_initiator *
vd_bdev_initiator_first(struct vd_bdev_initiator_module *imod)
{
	return TAILQ_FIRST(&imod->ctrlrs);
}

struct vd_bdev_initiator *
vd_bdev_initiator_next(struct vd_bdev_initiator *c)
{
	return TAILQ_NEXT(c, link);
}

int
vd_bdev_initiator_init(struct vd_bdev_initiator *c, struct vd_bdev_initiator_module *imod,
		       const char *name, const char *path, vd_bdev_initiator_attach_cb cb,
		       void *cb_arg)
{
	c->name = strdup(name);
	c->path = strdup(path);
	if (c->name == NULL || c->path == NULL) {
		return -ENOMEM;
	}
	c->state = VD_BDEV_INITIATOR_ATTACHING;
	c->attach_cb = cb;
	c->attach_arg = cb_arg;
	c->imod = imod;
	TAILQ_INSERT_TAIL(&imod->ctrlrs, c, link);
	return 0;
}

void
vd_bdev_initiator_fini(struct vd_bdev_initiator *c)
{
	uint32_t i;

	if (c->imod != NULL) {
		TAILQ_REMOVE(&c->imod->ctrlrs, c, link);
		c->imod = NULL;
	}
	for (i = 0; i < c->ndisks; i++) {
		free(c->disks[i]->bdev.name);
		free(c->disks[i]);
	}
	c->ndisks = 0;
	free(c->name);
	free(c->path);
}

int
vd_bdev_initiator_disk_add(struct vd_bdev_initiator *c, size_t size, const char *name,
			   struct vd_bdev_initiator_disk **disk)
{
	struct vd_bdev_initiator_disk *d;

	if (c->ndisks == VD_COUNTOF(c->disks)) {
		return -ENOSPC;
	}
	d = calloc(1, size);
	if (d == NULL || (d->bdev.name = strdup(name)) == NULL) {
		free(d);
		return -ENOMEM;
	}
	d->ctrlr = c;
	d->bdev.ctxt = d;
	d->bdev.fn_table = c->imod->fn_table;
	d->bdev.module = c->imod->module;
	c->disks[c->ndisks++] = d;
	*disk = d;
	return 0;
}

/* Attach, removal, detach ------------------------------------------------------------------- */

void
vd_bdev_initiator_attach_fail(struct vd_bdev_initiator *c, int rc)
{
	vd_bdev_initiator_attach_cb cb = c->attach_cb;
	void *cb_arg = c->attach_arg;

	c->imod->ctrlr_free(c);
	cb(cb_arg, rc, NULL, 0);
}

int
vd_bdev_initiator_register(struct vd_bdev_initiator *c, const char **names)
{
	const struct vd_bdev_initiator_module *imod = c->imod;
	uint32_t i;
	int rc;

	vd_io_device_register(c, imod->ch_create, imod->ch_destroy, imod->ch_size, c->name);
	c->state = VD_BDEV_INITIATOR_ACTIVE;
	for (i = 0; i < c->ndisks; i++) {
		rc = vd_bdev_register(&c->disks[i]->bdev);
		if (rc != 0) {
			VD_ERRLOG("%s %s: cannot register bdev %s: %s\n", imod->label, c->name,
				  c->disks[i]->bdev.name, strerror(-rc));
			/* Undo: the controller goes once the registered disks are destructed. */
			c->attach_cb = NULL;
			vd_bdev_initiator_remove(c);
			return rc;
		}
		c->disks[i]->registered = true;
		c->nregistered++;
		names[i] = c->disks[i]->bdev.name;
	}
	return 0;
}

void
vd_bdev_initiator_attach_done(struct vd_bdev_initiator *c, const char **names)
{
	vd_bdev_initiator_attach_cb cb = c->attach_cb;

	c->attach_cb = NULL;
	cb(c->attach_arg, 0, names, c->ndisks);
}

void
vd_bdev_initiator_remove(struct vd_bdev_initiator *c)
{
	uint32_t i;

	c->state = VD_BDEV_INITIATOR_REMOVING;
	if (c->nregistered == 0) {
		vd_io_device_unregister(c, c->imod->io_device_gone);
		return;
	}
	for (i = 0; i < c->ndisks; i++) {
		if (c->disks[i]->registered) {
			vd_bdev_unregister(&c->disks[i]->bdev, NULL, NULL);
		}
	}
}

int
vd_bdev_initiator_detach(struct vd_bdev_initiator_module *imod, const char *name,
			 vd_bdev_initiator_detach_cb cb, void *cb_arg)
{
	struct vd_bdev_initiator *c = name != NULL ? vd_bdev_initiator_find(imod, name) : NULL;

	if (c == NULL) {
		return -ENODEV;
	}
	if (c->state == VD_BDEV_INITIATOR_ATTACHING || c->detach_cb != NULL) {
		return -EBUSY;
	}
	c->detach_cb = cb;
	c->detach_arg = cb_arg;
	if (c->state == VD_BDEV_INITIATOR_ACTIVE) {
		vd_bdev_initiator_remove(c);
	}
	return 0;
}

void
vd_bdev_initiator_removed(struct vd_bdev_initiator *c)
{
	vd_bdev_initiator_detach_cb cb = c->detach_cb;
	void *cb_arg = c->detach_arg;

	VD_NOTICELOG("%s %s: controller removed\n", c->imod->label, c->name);
	c->imod->ctrlr_free(c);
	if (cb != NULL) {
		cb(cb_arg, 0);
	}
}

/* Function-table helpers -------------------------------------------------------------------- */

bool
vd_bdev_initiator_disk_destruct(void *ctx)
{
	struct vd_bdev_initiator_disk *d = ctx;
	struct vd_bdev_initiator *c = d->ctrlr;

	d->registered = false;
	if (--c->nregistered > 0) {
		return false;
	}
	/* The last one (also when the bdev layer removes the disks by itself, at shutdown). */
	c->state = VD_BDEV_INITIATOR_REMOVING;
	c->last_disk = d;
	vd_io_device_unregister(c, c->imod->io_device_gone);
	return true;
}

struct vd_io_channel *
vd_bdev_initiator_disk_get_io_channel(void *ctx)
{
	struct vd_bdev_initiator_disk *d = ctx;

	return vd_get_io_channel(d->ctrlr);
}

struct json_object *
vd_bdev_initiator_dump_info_json(void *ctx, struct json_object *w)
{
	struct vd_bdev_initiator_disk *d = ctx;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "controller", json_object_new_string(d->ctrlr->name));
	json_object_object_add(o, "traddr", json_object_new_string(d->ctrlr->path));
	json_object_object_add(w, d->ctrlr->imod->info_key, o);
	return o;
}

struct json_object *
vd_bdev_initiator_config_params(struct vd_bdev *bdev, struct json_object *config)
{
	struct vd_bdev_initiator_disk *d = bdev->ctxt;
	struct vd_bdev_initiator *c = d->ctrlr;
	struct json_object *entry, *params;

	if (c->disks[0] != d) {
		return NULL;
	}
	entry = json_object_new_object();
	params = json_object_new_object();
	json_object_object_add(params, "name", json_object_new_string(c->name));
	json_object_object_add(entry, "method", json_object_new_string(c->imod->attach_method));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
	return params;
}

/* RPC helpers ------------------------------------------------------------------------------- */

void
vd_bdev_initiator_rpc_attach_reply(struct vd_rpc_request *req, const char *label, int rc,
				   const char *hint, const char *const *names, size_t count)
{
	struct json_object *arr;
	size_t i;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "cannot attach %s controller: %s%s", label,
				  strerror(-rc), hint);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < count; i++) {
		json_object_array_add(arr, json_object_new_string(names[i]));
	}
	vd_rpc_send_result(req, arr);
}

static void
detach_done(void *cb_arg, int rc)
{
	struct vd_rpc_request *req = cb_arg;

	if (rc != 0) {
		vd_rpc_send_error(req, rc, "%s", strerror(-rc));
	} else {
		vd_rpc_send_bool(req, true);
	}
}

void
vd_bdev_initiator_rpc_detach(struct vd_rpc_request *req, struct json_object *params,
			     const char *label,
			     int (*detach_fn)(const char *name, vd_bdev_initiator_detach_cb cb,
					      void *cb_arg),
			     const char *busy_reason)
{
	static const char *const known[] = {"name", NULL};
	const char *name = NULL;
	const char *reason;
	int rc;

	if (!vd_rpc_params_object(req, params, false) || !vd_rpc_params_known(req, params, known) ||
	    !vd_rpc_param_string(req, params, "name", true, &name)) {
		return;
	}
	rc = detach_fn(name, detach_done, req);
	if (rc == 0) {
		return;
	}
	if (rc == -ENODEV) {
		reason = "no such controller";
	} else if (rc == -EBUSY && busy_reason != NULL) {
		reason = busy_reason;
	} else {
		reason = strerror(-rc);
	}
	vd_rpc_send_error(req, rc, "cannot detach %s controller '%s': %s", label, name, reason);
}
