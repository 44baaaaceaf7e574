/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Lightweight threads, pollers, messages and per-thread I/O channels.
 *
 * A vd_thread is a unit of scheduling, not an OS thread: whoever owns it (a reactor, or a unit
 * test) calls vd_thread_poll() repeatedly.  Each call runs pending messages, then active pollers,
 * then expired timed pollers.  Every object created on a thread (poller, channel) belongs to it
 * and is touched only from it; other threads send it a message.  Messages travel over a lockless
 * multi-producer ring per thread; nothing on the I/O path takes a lock.
 *
 * Threads are placed by the scheduler callback given to vd_thread_lib_init() (lib/event puts
 * them on reactors; tests poll them by hand).
 */
#ifndef VHOSTD_THREAD_H
#define VHOSTD_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VD_POLLER_IDLE 0
#define VD_POLLER_BUSY 1

#define VD_MAX_THREAD_NAME_LEN 64
#define VD_MAX_POLLER_NAME_LEN 64

struct vd_thread;
struct vd_poller;
struct vd_io_channel;

/** Work to run on a thread. */
typedef void (*vd_msg_fn)(void *ctx);
/** Poller body: return VD_POLLER_BUSY if it did work, VD_POLLER_IDLE if not (negative = idle). */
typedef int (*vd_poller_fn)(void *ctx);
/** Called by vd_thread_create() to schedule a new thread; return 0 or a negative errno. */
typedef int (*vd_new_thread_fn)(struct vd_thread *thread);

typedef int (*vd_io_channel_create_cb)(void *io_device, void *ctx_buf);
typedef void (*vd_io_channel_destroy_cb)(void *io_device, void *ctx_buf);
typedef void (*vd_io_device_unregister_cb)(void *io_device);
/** Per-channel step of vd_for_each_channel(): call vd_for_each_channel_continue() when done. */
struct vd_io_channel_iter;
typedef void (*vd_channel_msg)(struct vd_io_channel_iter *i);
typedef void (*vd_channel_for_each_cpl)(struct vd_io_channel_iter *i, int status);

struct vd_thread_stats {
	uint64_t busy_tsc;	/**< ticks spent in polls that did work */
	uint64_t idle_tsc;	/**< ticks spent in polls that found nothing */
};

struct vd_poller_stats {
	uint64_t run_count;
	uint64_t busy_count;
	uint64_t period_ticks;	/**< 0 for active pollers */
};

/**
 * Initialise the library.  \p new_thread_fn places each created thread (NULL: the creator
 * polls threads itself, as unit tests do).  \p msg_ring_size is the per-thread message ring size
 * (0 = default 65536).  \return 0 or -ENOMEM.
 */
int vd_thread_lib_init(vd_new_thread_fn new_thread_fn, size_t msg_ring_size);
/** Finish the library.  Every thread must have been destroyed. */
void vd_thread_lib_fini(void);

/**
 * Create a thread.  \p name is copied (NULL: "thread<id>").  \p cpumask (copied; NULL = any core)
 * restricts where the scheduler may run it.  Callable from any thread.
 * \return the thread, or NULL on allocation failure or a scheduler refusal.
 */
struct vd_thread *vd_thread_create(const char *name, const struct vd_cpuset *cpumask);

/**
 * Ask the current thread to exit: it must be the calling thread.  Pollers still registered and
 * channels still held are reported as leaks when it is destroyed.  Messages keep running until
 * the thread is destroyed so that in-flight work can finish.
 */
void vd_thread_exit(struct vd_thread *thread);
bool vd_thread_is_exited(const struct vd_thread *thread);
/** Free an exited thread.  Called by its owner (reactor or test) from outside vd_thread_poll. */
void vd_thread_destroy(struct vd_thread *thread);

/**
 * Run one iteration of \p thread on the calling OS thread: up to \p max_msgs messages (0 = a
 * default batch), every active poller, every expired timed poller.  \p now is the current tick
 * (0 = read the TSC), so tests can drive time.  Accumulates busy/idle ticks.
 * \return VD_POLLER_BUSY if anything ran that did work, VD_POLLER_IDLE otherwise.
 */
int vd_thread_poll(struct vd_thread *thread, uint32_t max_msgs, uint64_t now);

/** Tick of the next timed poller expiry, or 0 when the thread has none. */
uint64_t vd_thread_next_poller_expiration(struct vd_thread *thread);
/** Whether the thread has active (untimed) pollers or queued messages. */
bool vd_thread_has_active_work(struct vd_thread *thread);
/**
 * Whether the thread is idle: no registered poller, no held I/O channel and no queued message.
 * An exited thread that is idle may be destroyed by its owner.
 */
bool vd_thread_is_idle(struct vd_thread *thread);
/** Whether messages are queued for \p thread (racy snapshot when read from another thread). */
bool vd_thread_has_pending_msgs(const struct vd_thread *thread);

/** The thread running on this OS thread now (NULL outside vd_thread_poll and vd_set_thread). */
struct vd_thread *vd_get_thread(void);
/** Make \p thread current on this OS thread (used by reactors and tests around polling). */
void vd_set_thread(struct vd_thread *thread);
/**
 * Tick for cheap time stamps: inside vd_thread_poll() the \p now of the current iteration (no
 * TSC read; everything done in one iteration gets the same tick), otherwise vd_get_ticks().
 * Used by the I/O path (bdev latency statistics), where one TSC read per iteration instead of
 * two per I/O matters.  Any thread.
 */
uint64_t vd_thread_get_now(void);

const char *vd_thread_get_name(const struct vd_thread *thread);
uint64_t vd_thread_get_id(const struct vd_thread *thread);
const struct vd_cpuset *vd_thread_get_cpumask(const struct vd_thread *thread);
int vd_thread_get_stats(const struct vd_thread *thread, struct vd_thread_stats *stats);
/** Scheduler's per-thread context area of the size given... reserved for lib/event. */
void *vd_thread_get_sched_ctx(struct vd_thread *thread);
void vd_thread_set_sched_ctx(struct vd_thread *thread, void *ctx);
/** The first thread created ("app thread"). */
struct vd_thread *vd_thread_get_app_thread(void);
/** Look a thread up by id; NULL if it does not exist. */
struct vd_thread *vd_thread_get_by_id(uint64_t id);
/** Iterate all threads (control path only; takes the library's registry lock). */
struct vd_thread *vd_thread_get_first(void);
struct vd_thread *vd_thread_get_next(struct vd_thread *prev);
uint32_t vd_thread_get_count(void);

/**
 * Queue \p fn(ctx) on \p thread.  Lockless; callable from any OS thread.
 * \return 0, -EIO if the thread has been destroyed/exited for messages, -ENOMEM if its ring is
 * full (the caller retries later; nothing was queued).
 */
int vd_thread_send_msg(const struct vd_thread *thread, vd_msg_fn fn, void *ctx);

/**
 * Run \p fn(ctx) on every thread in turn, then \p cpl(ctx) on the calling thread.  \p ctx is
 * borrowed until cpl runs.  \return 0 or -ENOMEM.
 */
int vd_for_each_thread(vd_msg_fn fn, void *ctx, vd_msg_fn cpl);

/**
 * Register a poller on the current thread.  \p period_us 0 = run every iteration; otherwise run
 * at most every period_us.  \p name is copied.  \return the poller or NULL (no current thread,
 * or out of memory).
 */
struct vd_poller *vd_poller_register(vd_poller_fn fn, void *arg, uint64_t period_us,
				     const char *name);
/** Unregister (from the owning thread) and clear the caller's pointer; NULL is ignored.  Safe
 *  from inside the poller's own callback. */
void vd_poller_unregister(struct vd_poller **ppoller);
/** Pause/resume a poller (owning thread). */
void vd_poller_pause(struct vd_poller *poller);
void vd_poller_resume(struct vd_poller *poller);
const char *vd_poller_get_name(const struct vd_poller *poller);
/** Whether the poller is paused (or being paused). */
bool vd_poller_is_paused(const struct vd_poller *poller);
void vd_poller_get_stats(const struct vd_poller *poller, struct vd_poller_stats *stats);
/** Iterate the current thread's pollers. */
struct vd_poller *vd_thread_get_first_poller(struct vd_thread *thread);
struct vd_poller *vd_thread_get_next_poller(struct vd_thread *thread, struct vd_poller *prev);

/* I/O channels ----------------------------------------------------------------------------- */

/**
 * Register \p io_device (any unique pointer) whose per-thread channels carry \p ctx_size bytes,
 * built by \p create_cb and torn down by \p destroy_cb on the channel's thread.  \p name copied.
 */
void vd_io_device_register(void *io_device, vd_io_channel_create_cb create_cb,
			   vd_io_channel_destroy_cb destroy_cb, uint32_t ctx_size, const char *name);
/**
 * Unregister \p io_device.  \p unregister_cb runs on the calling thread once every channel has
 * been released.  Getting a new channel after this call fails.
 */
void vd_io_device_unregister(void *io_device, vd_io_device_unregister_cb unregister_cb);

/**
 * Get the current thread's channel for \p io_device (created on first use, reference counted).
 * \return NULL if the device is unknown/unregistering, there is no current thread, or create_cb
 * failed.
 */
struct vd_io_channel *vd_get_io_channel(void *io_device);
/** Drop a reference (owning thread); the channel is destroyed asynchronously at zero. */
void vd_put_io_channel(struct vd_io_channel *ch);
void *vd_io_channel_get_ctx(struct vd_io_channel *ch);
struct vd_io_channel *vd_io_channel_from_ctx(void *ctx);
struct vd_thread *vd_io_channel_get_thread(struct vd_io_channel *ch);
void *vd_io_channel_get_io_device(struct vd_io_channel *ch);

/**
 * Run \p fn once on each thread that holds a channel for \p io_device, one after another; then
 * \p cpl on the calling thread with the first non-zero status (or 0).
 */
void vd_for_each_channel(void *io_device, vd_channel_msg fn, void *ctx,
			 vd_channel_for_each_cpl cpl);
struct vd_io_channel *vd_io_channel_iter_get_channel(struct vd_io_channel_iter *i);
void *vd_io_channel_iter_get_ctx(struct vd_io_channel_iter *i);
void *vd_io_channel_iter_get_io_device(struct vd_io_channel_iter *i);
/** Finish this channel's step with \p status; non-zero stops the iteration. */
void vd_for_each_channel_continue(struct vd_io_channel_iter *i, int status);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_THREAD_H */
