/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Subsystem registry, dependency ordering, asynchronous init/fini chains and save_config.
 *
 * Registry: a singly linked list through vd_subsystem.next, in registration order until
 * subsystem_sort() relinks it in initialisation order (every subsystem after all of its
 * depends_on; among ready subsystems, registration order is kept).  An unknown dependency or
 * a cycle is an error and leaves the order untouched.
 *
 * Init/fini (app thread only): g_init_done counts the subsystems, from the head of the list,
 * whose init completed.  subsystem_init_all() starts at the head; each vd_subsystem_init_next(0)
 * completes the current one and starts the next.  subsystem_fini_all() walks back from the
 * last completed one; each vd_subsystem_fini_next() steps down.  A late init_next arriving
 * after fini has started is ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/log.h"
#include "event_internal.h"

#define SUBSYSTEM_MAX	256

static struct vd_subsystem *g_subsystems;
static struct vd_subsystem *g_init_cur;
static uint32_t g_init_done;
static uint32_t g_fini_left;
static bool g_init_running;
static bool g_fini_running;
static void (*g_init_cb)(int rc);
static void (*g_fini_cb)(void);

void
vd_subsystem_register(struct vd_subsystem *subsystem)
{
	struct vd_subsystem **pp;

	if (subsystem == NULL || subsystem->name == NULL) {
		VD_ERRLOG("subsystem without a name\n");
		return;
	}
	for (pp = &g_subsystems; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == subsystem || strcmp((*pp)->name, subsystem->name) == 0) {
			VD_ERRLOG("subsystem %s registered twice\n", subsystem->name);
			return;
		}
	}
	subsystem->next = NULL;
	*pp = subsystem;
}

struct vd_subsystem *
vd_subsystem_find(const char *name)
{
	struct vd_subsystem *s;

	if (name == NULL) {
		return NULL;
	}
	for (s = g_subsystems; s != NULL; s = s->next) {
		if (strcmp(s->name, name) == 0) {
			return s;
		}
	}
	return NULL;
}

struct vd_subsystem *
vd_subsystem_get_first(void)
{
	return g_subsystems;
}

struct vd_subsystem *
vd_subsystem_get_next(struct vd_subsystem *prev)
{
	return prev != NULL ? prev->next : NULL;
}

void
subsystem_unregister_all(void)
{
	subsystem_reset();
	g_subsystems = NULL;
}

void
subsystem_reset(void)
{
	g_init_cur = NULL;
	g_init_done = 0;
	g_fini_left = 0;
	g_init_running = false;
	g_fini_running = false;
	g_init_cb = NULL;
	g_fini_cb = NULL;
}

/* Whether every dependency of \p s is among the first \p n entries of \p sorted. */
static bool
deps_placed(const struct vd_subsystem *s, struct vd_subsystem **sorted, uint32_t n)
{
	uint32_t d, i;

	for (d = 0; d < VD_COUNTOF(s->depends_on) && s->depends_on[d] != NULL; d++) {
		for (i = 0; i < n; i++) {
			if (strcmp(sorted[i]->name, s->depends_on[d]) == 0) {
				break;
			}
		}
		if (i == n) {
			return false;
		}
	}
	return true;
}

static int
check_deps_exist(void)
{
	struct vd_subsystem *s;
	uint32_t d;

	for (s = g_subsystems; s != NULL; s = s->next) {
		for (d = 0; d < VD_COUNTOF(s->depends_on) && s->depends_on[d] != NULL; d++) {
			if (vd_subsystem_find(s->depends_on[d]) == NULL) {
				VD_ERRLOG("subsystem %s depends on unknown subsystem %s\n", s->name,
					  s->depends_on[d]);
				return -ENOENT;
			}
		}
	}
	return 0;
}

/* Pick, in registration order, subsystems whose dependencies are placed, until all are. */
static int
order_subsystems(struct vd_subsystem **sorted, uint32_t total)
{
	struct vd_subsystem *s;
	uint32_t n = 0, i;
	bool progress = true, placed;

	while (n < total && progress) {
		progress = false;
		for (s = g_subsystems; s != NULL; s = s->next) {
			placed = false;
			for (i = 0; i < n && !placed; i++) {
				placed = sorted[i] == s;
			}
			if (!placed && deps_placed(s, sorted, n)) {
				sorted[n++] = s;
				progress = true;
			}
		}
	}
	return n == total ? 0 : -ELOOP;
}

int
subsystem_sort(void)
{
	struct vd_subsystem *sorted[SUBSYSTEM_MAX], *s;
	uint32_t total = 0, i;
	int rc;

	for (s = g_subsystems; s != NULL; s = s->next) {
		if (++total > SUBSYSTEM_MAX) {
			VD_ERRLOG("more than %d subsystems\n", SUBSYSTEM_MAX);
			return -E2BIG;
		}
	}
	rc = check_deps_exist();
	if (rc != 0) {
		return rc;
	}
	rc = order_subsystems(sorted, total);
	if (rc != 0) {
		VD_ERRLOG("subsystem dependencies form a cycle\n");
		return rc;
	}
	g_subsystems = total > 0 ? sorted[0] : NULL;
	for (i = 0; i < total; i++) {
		sorted[i]->next = i + 1 < total ? sorted[i + 1] : NULL;
	}
	return 0;
}

/* Init / fini chains ------------------------------------------------------------------------ */

static void
subsystem_init_start(struct vd_subsystem *s)
{
	g_init_cur = s;
	if (s == NULL) {
		g_init_running = false;
		g_init_cb(0);
		return;
	}
	VD_INFOLOG(app, "initialising subsystem %s\n", s->name);
	if (s->init != NULL) {
		s->init();
	} else {
		vd_subsystem_init_next(0);
	}
}

void
subsystem_init_all(void (*cb)(int rc))
{
	g_init_cb = cb;
	g_init_done = 0;
	g_init_running = true;
	subsystem_init_start(g_subsystems);
}

void
vd_subsystem_init_next(int rc)
{
	struct vd_subsystem *s = g_init_cur;

	if (!g_init_running || g_fini_running || s == NULL) {
		return;
	}
	if (rc != 0) {
		VD_ERRLOG("subsystem %s failed to initialise: %s\n", s->name, strerror(rc < 0 ? -rc : rc));
		g_init_running = false;
		g_init_cb(rc);
		return;
	}
	g_init_done++;
	subsystem_init_start(s->next);
}

static struct vd_subsystem *
subsystem_at(uint32_t idx)
{
	struct vd_subsystem *s = g_subsystems;

	while (s != NULL && idx-- > 0) {
		s = s->next;
	}
	return s;
}

static void
subsystem_fini_step(void)
{
	struct vd_subsystem *s;

	if (g_fini_left == 0) {
		g_fini_running = false;
		g_init_done = 0;
		if (g_fini_cb != NULL) {
			g_fini_cb();
		}
		return;
	}
	s = subsystem_at(--g_fini_left);
	VD_INFOLOG(app, "finishing subsystem %s\n", s->name);
	if (s->fini != NULL) {
		s->fini();
	} else {
		vd_subsystem_fini_next();
	}
}

void
subsystem_fini_all(void (*cb)(void))
{
	g_init_running = false;
	g_fini_running = true;
	g_fini_cb = cb;
	g_fini_left = g_init_done;
	subsystem_fini_step();
}

void
vd_subsystem_fini_next(void)
{
	if (!g_fini_running) {
		return;
	}
	subsystem_fini_step();
}

/* Configuration ----------------------------------------------------------------------------- */

struct json_object *
vd_subsystem_save_config(void)
{
	struct json_object *root, *arr, *entry, *config;
	struct vd_subsystem *s;

	root = json_object_new_object();
	arr = json_object_new_array();
	if (root == NULL || arr == NULL) {
		goto err_free;
	}
	json_object_object_add(root, "subsystems", arr);
	for (s = g_subsystems; s != NULL; s = s->next) {
		entry = json_object_new_object();
		config = json_object_new_array();
		if (entry == NULL || config == NULL) {
			json_object_put(entry);
			json_object_put(config);
			goto err_free_root;
		}
		json_object_object_add(entry, "subsystem", json_object_new_string(s->name));
		if (s->write_config_json != NULL) {
			s->write_config_json(config);
		}
		json_object_object_add(entry, "config", config);
		json_object_array_add(arr, entry);
	}
	return root;

err_free:
	json_object_put(arr);
err_free_root:
	json_object_put(root);
	return NULL;
}
