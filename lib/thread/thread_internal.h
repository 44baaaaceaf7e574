/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Shared between thread.c and io_channel.c: the thread object and the registry lock.
 *
 * Lock order: g_threads_mutex (thread registry) before g_devlist_mutex (io devices and every
 * thread's channel list).  Neither is taken by vd_thread_poll() or vd_thread_send_msg().
 */
#ifndef VD_THREAD_INTERNAL_H
#define VD_THREAD_INTERNAL_H

#include <pthread.h>
#include <sys/queue.h>

#include "vhostd/thread.h"

struct vd_ring;
struct io_device;

struct vd_io_channel {
	struct vd_thread		*thread;
	struct io_device		*dev;
	uint32_t			ref;		/* owner thread only */
	bool				destroy_pending;
	TAILQ_ENTRY(vd_io_channel)	link;		/* thread->channels, under devlist */
	uint8_t				ctx[] __attribute__((aligned(16)));
};

TAILQ_HEAD(poller_list, vd_poller);

struct vd_thread {
	uint64_t			id;
	char				name[VD_MAX_THREAD_NAME_LEN];
	struct vd_cpuset		cpumask;
	struct vd_ring			*msgs;
	bool				exited;		/* written under g_threads_mutex */
	bool				in_poll;
	bool				need_settle;	/* pollers marked during this poll */
	uint64_t			now;		/* tick of the latest poll */
	uint64_t			tsc_last;
	struct vd_thread_stats		stats;
	struct poller_list		active;
	struct poller_list		timed;		/* sorted by next_run */
	struct poller_list		paused;
	uint32_t			num_pollers;	/* registered, not unregistered */
	TAILQ_HEAD(, vd_io_channel)	channels;	/* modified under g_devlist_mutex */
	uint32_t			num_channels;
	void				*sched_ctx;
	TAILQ_ENTRY(vd_thread)		link;		/* g_threads, under g_threads_mutex */
};

extern pthread_mutex_t g_threads_mutex;
extern pthread_mutex_t g_devlist_mutex;
TAILQ_HEAD(thread_list, vd_thread);
extern struct thread_list g_threads;

/** Release every channel still held by \p thread (leaks, logged).  Thread is unlinked. */
void thread_free_channels(struct vd_thread *thread);
/** Forget every io_device (leaks, logged) at vd_thread_lib_fini(). */
void thread_free_io_devices(void);

#endif /* VD_THREAD_INTERNAL_H */
