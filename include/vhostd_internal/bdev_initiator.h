/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * The controller skeleton shared by the initiator bdev modules, which attach to a remote
 * controller and register one bdev per disk behind it (bdev_virtio, bdev_vhost_nvme):
 * lib/bdev/bdev_initiator.c.  Not installed.
 *
 * Each module has one struct vd_bdev_initiator_module (a static, set up with
 * VD_BDEV_INITIATOR_MODULE_INIT) listing its controllers.  A module's controller begins with a
 * struct vd_bdev_initiator, whose address is the io_device of the controller's channels; each
 * disk begins with a struct vd_bdev_initiator_disk, whose address is bdev.ctxt.
 *
 * Controller states and the function making each transition:
 *   ATTACHING: vd_bdev_initiator_init() (listed) -> the module connects and adds its disks ->
 *              vd_bdev_initiator_register() -> ACTIVE; or vd_bdev_initiator_attach_fail().
 *   ACTIVE -> REMOVING: vd_bdev_initiator_remove() (detach, or the remote end gone): every
 *              registered disk is unregistered.
 *   REMOVING:  vd_bdev_initiator_disk_destruct() of the last disk unregisters the io_device;
 *              once every channel is gone the module's io_device_gone runs, and its last act
 *              is vd_bdev_initiator_removed() (unlist, free, detach_cb).
 *   CLOSING:   a module's own step between REMOVING and vd_bdev_initiator_removed().
 * Everything here runs on the app thread; the I/O path stays in the modules.
 */
#ifndef VHOSTD_INTERNAL_BDEV_INITIATOR_H
#define VHOSTD_INTERNAL_BDEV_INITIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/thread.h"

/** Disks of one controller at the most. */
#define VD_BDEV_INITIATOR_MAX_DISKS 32

/* Same types as the modules' public attach and detach callbacks. */
typedef void (*vd_bdev_initiator_attach_cb)(void *cb_arg, int rc, const char *const *names,
					    size_t count);
typedef void (*vd_bdev_initiator_detach_cb)(void *cb_arg, int rc);

enum vd_bdev_initiator_state {
	VD_BDEV_INITIATOR_ATTACHING, /* connecting, looking for disks */
	VD_BDEV_INITIATOR_ACTIVE,    /* bdevs registered */
	VD_BDEV_INITIATOR_REMOVING,  /* bdevs being unregistered (detach or remote end gone) */
	VD_BDEV_INITIATOR_CLOSING,   /* the module closes the connection */
};

struct vd_bdev_initiator;

struct vd_bdev_initiator_disk {
	struct vd_bdev bdev; /* first: bdev.ctxt is the disk */
	struct vd_bdev_initiator *ctrlr;
	bool registered; /* registered and not yet destructed */
};

struct vd_bdev_initiator {
	TAILQ_ENTRY(vd_bdev_initiator) link;
	struct vd_bdev_initiator_module *imod;
	char *name;
	char *path; /* the remote end's socket */
	enum vd_bdev_initiator_state state;
	struct vd_bdev_initiator_disk *disks[VD_BDEV_INITIATOR_MAX_DISKS];
	uint32_t ndisks;
	uint32_t nregistered;			  /* disks registered and not yet destructed */
	struct vd_bdev_initiator_disk *last_disk; /* the one destructed last */
	vd_bdev_initiator_attach_cb attach_cb;
	void *attach_arg;
	vd_bdev_initiator_detach_cb detach_cb;
	void *detach_arg;
};

/** What sets one initiator module apart; a static of the module. */
struct vd_bdev_initiator_module {
	const char *label;	   /**< in messages: "virtio" */
	const char *info_key;	   /**< key under driver_specific: "virtio" */
	const char *attach_method; /**< "bdev_virtio_attach_controller", for config entries */
	struct vd_bdev_module *module;
	const struct vd_bdev_fn_table *fn_table;
	vd_io_channel_create_cb ch_create;
	vd_io_channel_destroy_cb ch_destroy;
	uint32_t ch_size;
	/** Every channel of a REMOVING controller is gone; ends in vd_bdev_initiator_removed(). */
	vd_io_device_unregister_cb io_device_gone;
	/** Free the module's controller: its own resources, vd_bdev_initiator_fini(), free(). */
	void (*ctrlr_free)(struct vd_bdev_initiator *c);
	/* Private to bdev_initiator.c. */
	TAILQ_HEAD(, vd_bdev_initiator) ctrlrs;
};

#define VD_BDEV_INITIATOR_MODULE_INIT(var) .ctrlrs = TAILQ_HEAD_INITIALIZER((var).ctrlrs)

/** The controller named \p name, or NULL. */
struct vd_bdev_initiator *vd_bdev_initiator_find(struct vd_bdev_initiator_module *imod,
						 const char *name);
struct vd_bdev_initiator *vd_bdev_initiator_first(struct vd_bdev_initiator_module *imod);
struct vd_bdev_initiator *vd_bdev_initiator_next(struct vd_bdev_initiator *c);

/**
 * Set up the start of a zeroed controller (copies of \p name and \p path, ATTACHING, the
 * attach callback) and list it.  \return 0, or -ENOMEM (not listed; the module frees it).
 */
int vd_bdev_initiator_init(struct vd_bdev_initiator *c, struct vd_bdev_initiator_module *imod,
			   const char *name, const char *path, vd_bdev_initiator_attach_cb cb,
			   void *cb_arg);
/** Unlist the controller (when listed) and free its disks, name and path; not \p c itself. */
void vd_bdev_initiator_fini(struct vd_bdev_initiator *c);

/**
 * Add a disk of \p size bytes (it begins with a struct vd_bdev_initiator_disk) named \p name,
 * with the module's function table; the module fills in the rest of the bdev.
 * \return 0 and *disk, -ENOSPC (too many disks) or -ENOMEM.
 */
int vd_bdev_initiator_disk_add(struct vd_bdev_initiator *c, size_t size, const char *name,
			       struct vd_bdev_initiator_disk **disk);

/** The attach failed before vd_bdev_initiator_register(): unlist, free, attach_cb(rc). */
void vd_bdev_initiator_attach_fail(struct vd_bdev_initiator *c, int rc);
/**
 * Register the io_device and every disk (-> ACTIVE), filling \p names (one a disk).  On
 * failure the controller is removed again and attach_cb cleared: the caller answers.
 * \return 0 or an error of vd_bdev_register() (logged).
 */
int vd_bdev_initiator_register(struct vd_bdev_initiator *c, const char **names);
/** Answer the attach with the registered bdevs (attach_cb is cleared first). */
void vd_bdev_initiator_attach_done(struct vd_bdev_initiator *c, const char **names);
/** -> REMOVING: unregister every registered disk (or the io_device when there is none). */
void vd_bdev_initiator_remove(struct vd_bdev_initiator *c);
/**
 * Detach the controller \p name: remove it when ACTIVE; \p cb runs once it is freed.
 * \return 0, -ENODEV (no such controller) or -EBUSY (attaching, or already detaching).
 */
int vd_bdev_initiator_detach(struct vd_bdev_initiator_module *imod, const char *name,
			     vd_bdev_initiator_detach_cb cb, void *cb_arg);
/** The last act of io_device_gone: log, unlist and free the controller, then detach_cb. */
void vd_bdev_initiator_removed(struct vd_bdev_initiator *c);

/* Function-table helpers (ctx is the disk). */
/**
 * The destruct bookkeeping of a disk.  \return true when it was the last registered one: the
 * controller is then REMOVING, c->last_disk is \p ctx and its io_device is being unregistered.
 */
bool vd_bdev_initiator_disk_destruct(void *ctx);
struct vd_io_channel *vd_bdev_initiator_disk_get_io_channel(void *ctx);
/** {"controller", "traddr"} added under info_key; the module adds its own keys. */
struct json_object *vd_bdev_initiator_dump_info_json(void *ctx, struct json_object *w);
/**
 * For the controller's first disk only (one entry per controller): add
 * {"method": attach_method, "params": {"name"}} to \p config and return the params for the
 * module to complete; NULL for the other disks.
 */
struct json_object *vd_bdev_initiator_config_params(struct vd_bdev *bdev,
						    struct json_object *config);

/* RPC helpers (app thread). */
struct vd_rpc_request;

/** Answer an attach: the array of bdev names, or "cannot attach <label> controller: ..." */
void vd_bdev_initiator_rpc_attach_reply(struct vd_rpc_request *req, const char *label, int rc,
					const char *hint, const char *const *names, size_t count);
/**
 * <module>_detach_controller {"name"} with the module's detach function; -EBUSY is explained
 * by \p busy_reason (NULL: strerror).
 */
void vd_bdev_initiator_rpc_detach(struct vd_rpc_request *req, struct json_object *params,
				  const char *label,
				  int (*detach_fn)(const char *name, vd_bdev_initiator_detach_cb cb,
						   void *cb_arg),
				  const char *busy_reason);

#endif /* VHOSTD_INTERNAL_BDEV_INITIATOR_H */
