/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private interfaces between reactor.c, app.c, subsystem.c and event_rpc.c.
 */
#ifndef VD_EVENT_INTERNAL_H
#define VD_EVENT_INTERNAL_H

#include "vhostd/event.h"
#include "vhostd/thread.h"

/* reactor.c --------------------------------------------------------------------------------- */

typedef void (*reactor_event_fn)(void *arg);

/** Create one reactor (and its event ring) per core of \p mask.  0, -EINVAL or -ENOMEM. */
int reactors_init(const struct vd_cpuset *mask);
/** Destroy every thread left on the reactors, then the reactors.  Main thread, reactors
 *  stopped. */
void reactors_fini(void);
/** vd_new_thread_fn: place \p thread on the least loaded reactor of its cpumask. */
int reactors_schedule_thread(struct vd_thread *thread);
/** Launch every reactor; the calling (main) thread runs the first one.  Returns once all
 *  reactors stopped.  \return 0 or a launch error. */
int reactors_start(void);
/** Ask every reactor to leave its loop (any thread, async-signal-safe). */
void reactors_stop(void);
/** Force reactors_stop() once vd_get_ticks() passes \p tick (0 = no deadline). */
void reactors_set_deadline(uint64_t tick);
/** The application's reactor mask. */
const struct vd_cpuset *reactors_get_mask(void);
/** Run \p fn(arg) on reactor number \p idx (0..vd_reactor_count()-1), outside any lw thread.
 *  \return 0, -ENOENT or -ENOMEM (ring full). */
int reactor_send_event(uint32_t idx, reactor_event_fn fn, void *arg);
uint32_t reactor_get_lcore(uint32_t idx);

typedef void (*reactor_thread_iter_fn)(struct vd_thread *thread, uint64_t placed_tsc, void *ctx);
/** Visit the threads of reactor \p idx.  Only from an event running on that reactor. */
void reactor_foreach_thread_local(uint32_t idx, reactor_thread_iter_fn fn, void *ctx);

/* subsystem.c ------------------------------------------------------------------------------- */

/** Order the registry by depends_on.  0, -ENOENT (unknown dependency) or -ELOOP (cycle). */
int subsystem_sort(void);
/** Initialise every subsystem in order, then \p cb(rc) (rc of the first failure). */
void subsystem_init_all(void (*cb)(int rc));
/** Finish initialised subsystems in reverse order, then \p cb(). */
void subsystem_fini_all(void (*cb)(void));
/** Forget the init/fini progress (vd_app_fini). */
void subsystem_reset(void);
/** Forget every registered subsystem (tests). */
void subsystem_unregister_all(void);

struct vd_rpc_request;
/* framework_wait_init: answer true now if running, else once start-up completes (app.c). */
void app_wait_init(struct vd_rpc_request *req);

#endif /* VD_EVENT_INTERNAL_H */
