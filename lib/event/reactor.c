/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Reactors: one polling OS thread per core of the application mask.
 *
 * Each reactor owns a list of lightweight threads (struct lw_thread, the thread's sched ctx) and
 * an incoming multi-producer event ring.  Only the reactor's own OS thread touches its list:
 * other threads hand it a new thread, or a function to run, through the ring.  One iteration:
 * run queued events, then vd_thread_poll() every thread once; the iteration is busy if any of it
 * did work, and its ticks are added to busy_tsc or idle_tsc.  An exited thread is destroyed by
 * its reactor once vd_thread_is_idle().  The reactor never sleeps (polling mode).
 *
 * Life cycle: reactors_init() -> reactors_start() (blocks in the main reactor; the others run
 * on cores launched by the env layer) -> reactors_stop() sets g_stop, every loop returns, main
 * waits for the others -> reactors_fini() destroys what is left, from the main thread.
 * Counters are written by the owning reactor only and read racily by others (64-bit relaxed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "vhostd/env.h"
#include "vhostd/log.h"
#include "event_internal.h"

#define REACTOR_EVENT_RING_SIZE		4096
#define REACTOR_EVENT_BATCH		8
#define REACTOR_FINI_POLL_ROUNDS	1000

struct reactor_event {
	reactor_event_fn	fn;
	void			*arg;
};
VD_STATIC_ASSERT(sizeof(struct reactor_event) == 16, "event ring elements are 16 bytes");

struct lw_thread {
	TAILQ_ENTRY(lw_thread)	link;
	struct vd_thread	*thread;
	struct reactor		*reactor;
	uint64_t		placed_tsc;
};

struct reactor {
	uint32_t			lcore;
	uint32_t			thread_count;	/* atomic: placed, incl. in flight */
	struct vd_ring			*events;
	TAILQ_HEAD(, lw_thread)		threads;
	uint64_t			busy_tsc;
	uint64_t			idle_tsc;
	uint64_t			iterations;
	uint64_t			tsc_last;
} __attribute__((aligned(VD_CACHE_LINE)));

static struct reactor *g_reactors;
static uint32_t g_num_reactors;
static struct vd_cpuset g_reactor_mask;
static bool g_stop;
static uint64_t g_deadline;

static struct reactor *
reactor_by_lcore(uint32_t lcore)
{
	uint32_t i;

	for (i = 0; i < g_num_reactors; i++) {
		if (g_reactors[i].lcore == lcore) {
			return &g_reactors[i];
		}
	}
	return NULL;
}

int
reactors_init(const struct vd_cpuset *mask)
{
	uint32_t n = vd_cpuset_count(mask), i = 0;
	int cpu = -1, rc;

	if (n == 0) {
		VD_ERRLOG("reactor mask selects no core\n");
		return -EINVAL;
	}
	g_reactors = calloc(n, sizeof(*g_reactors));
	if (g_reactors == NULL) {
		return -ENOMEM;
	}
	while ((cpu = vd_cpuset_next(mask, cpu)) >= 0) {
		struct reactor *r = &g_reactors[i++];

		r->lcore = (uint32_t)cpu;
		TAILQ_INIT(&r->threads);
		rc = vd_ring_create(VD_RING_MP_SC, sizeof(struct reactor_event),
				    REACTOR_EVENT_RING_SIZE, &r->events);
		if (rc != 0) {
			g_num_reactors = i - 1;
			reactors_fini();
			return rc;
		}
	}
	g_num_reactors = n;
	vd_cpuset_copy(&g_reactor_mask, mask);
	__atomic_store_n(&g_stop, false, __ATOMIC_RELEASE);
	g_deadline = 0;
	return 0;
}

static void
reactor_add_thread(void *arg)
{
	struct lw_thread *lw = arg;

	lw->placed_tsc = vd_get_ticks();
	TAILQ_INSERT_TAIL(&lw->reactor->threads, lw, link);
	VD_INFOLOG(thread, "thread %s placed on core %u\n", vd_thread_get_name(lw->thread),
		   lw->reactor->lcore);
}

int
reactors_schedule_thread(struct vd_thread *thread)
{
	const struct vd_cpuset *mask = vd_thread_get_cpumask(thread);
	struct reactor *best = NULL;
	struct reactor_event ev;
	struct lw_thread *lw;
	uint32_t i;

	for (i = 0; i < g_num_reactors; i++) {
		struct reactor *r = &g_reactors[i];

		if (!vd_cpuset_get_cpu(mask, r->lcore)) {
			continue;
		}
		if (best == NULL || __atomic_load_n(&r->thread_count, __ATOMIC_RELAXED) <
		    __atomic_load_n(&best->thread_count, __ATOMIC_RELAXED)) {
			best = r;
		}
	}
	if (best == NULL) {
		VD_ERRLOG("thread %s: its cpumask has no reactor core\n", vd_thread_get_name(thread));
		return -EINVAL;
	}
	lw = calloc(1, sizeof(*lw));
	if (lw == NULL) {
		return -ENOMEM;
	}
	lw->thread = thread;
	lw->reactor = best;
	vd_thread_set_sched_ctx(thread, lw);
	ev.fn = reactor_add_thread;
	ev.arg = lw;
	if (vd_ring_enqueue(best->events, &ev, 1) != 1) {
		vd_thread_set_sched_ctx(thread, NULL);
		free(lw);
		return -ENOMEM;
	}
	__atomic_fetch_add(&best->thread_count, 1, __ATOMIC_RELAXED);
	return 0;
}

int
reactor_send_event(uint32_t idx, reactor_event_fn fn, void *arg)
{
	struct reactor_event ev = { .fn = fn, .arg = arg };

	if (idx >= g_num_reactors) {
		return -ENOENT;
	}
	return vd_ring_enqueue(g_reactors[idx].events, &ev, 1) == 1 ? 0 : -ENOMEM;
}

uint32_t
reactor_get_lcore(uint32_t idx)
{
	return idx < g_num_reactors ? g_reactors[idx].lcore : UINT32_MAX;
}

void
reactor_foreach_thread_local(uint32_t idx, reactor_thread_iter_fn fn, void *ctx)
{
	struct lw_thread *lw;

	if (idx >= g_num_reactors) {
		return;
	}
	TAILQ_FOREACH(lw, &g_reactors[idx].threads, link) {
		fn(lw->thread, lw->placed_tsc, ctx);
	}
}

static int
reactor_run_events(struct reactor *r)
{
	struct reactor_event ev[REACTOR_EVENT_BATCH];
	size_t n, i;

	n = vd_ring_dequeue(r->events, ev, REACTOR_EVENT_BATCH);
	for (i = 0; i < n; i++) {
		ev[i].fn(ev[i].arg);
	}
	return n > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static void
reactor_remove_thread(struct reactor *r, struct lw_thread *lw)
{
	TAILQ_REMOVE(&r->threads, lw, link);
	__atomic_fetch_sub(&r->thread_count, 1, __ATOMIC_RELAXED);
	vd_set_thread(NULL);
	vd_thread_destroy(lw->thread);
	free(lw);
}

static void
reactor_run_once(struct reactor *r)
{
	struct lw_thread *lw, *tmp;
	/* The previous iteration ended a loop test ago: its end tick is our start. */
	uint64_t now = r->tsc_last, end;
	int rc;

	rc = reactor_run_events(r);
	for (lw = TAILQ_FIRST(&r->threads); lw != NULL; lw = tmp) {
		tmp = TAILQ_NEXT(lw, link);
		vd_set_thread(lw->thread);
		rc |= vd_thread_poll(lw->thread, 0, now);
		if (vd_thread_is_exited(lw->thread) && vd_thread_is_idle(lw->thread)) {
			reactor_remove_thread(r, lw);
		}
	}
	vd_set_thread(NULL);
	end = vd_get_ticks();
	if (rc == VD_POLLER_BUSY) {
		__atomic_store_n(&r->busy_tsc, r->busy_tsc + (end - r->tsc_last), __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&r->idle_tsc, r->idle_tsc + (end - r->tsc_last), __ATOMIC_RELAXED);
	}
	r->tsc_last = end;
	__atomic_store_n(&r->iterations, r->iterations + 1, __ATOMIC_RELAXED);
}

static int
reactor_main(void *arg)
{
	struct reactor *r = arg;
	uint64_t deadline;

	VD_INFOLOG(thread, "reactor on core %u started\n", r->lcore);
	r->tsc_last = vd_get_ticks();
	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
		reactor_run_once(r);
		deadline = __atomic_load_n(&g_deadline, __ATOMIC_RELAXED);
		if (vd_unlikely(deadline != 0) && r->tsc_last > deadline) {
			VD_ERRLOG("shutdown timed out: stopping reactors\n");
			reactors_stop();
		}
	}
	VD_INFOLOG(thread, "reactor on core %u stopped\n", r->lcore);
	return 0;
}

int
reactors_start(void)
{
	uint32_t main_core = vd_env_get_current_core();
	struct reactor *main_r, *r;
	uint32_t i;
	int rc = 0;

	main_r = reactor_by_lcore(main_core);
	if (main_r == NULL) {
		main_r = &g_reactors[0];
	}
	for (i = 0; i < g_num_reactors; i++) {
		r = &g_reactors[i];
		if (r == main_r) {
			continue;
		}
		rc = vd_env_core_launch(r->lcore, reactor_main, r);
		if (rc != 0) {
			VD_ERRLOG("cannot launch reactor on core %u: %s\n", r->lcore, strerror(-rc));
			reactors_stop();
			break;
		}
	}
	if (rc == 0) {
		reactor_main(main_r);
	}
	vd_env_core_wait_all();
	return rc;
}

void
reactors_stop(void)
{
	__atomic_store_n(&g_stop, true, __ATOMIC_RELEASE);
}

void
reactors_set_deadline(uint64_t tick)
{
	__atomic_store_n(&g_deadline, tick, __ATOMIC_RELAXED);
}

const struct vd_cpuset *
reactors_get_mask(void)
{
	return &g_reactor_mask;
}

/* Let queued messages (channel releases, completions) run before threads are destroyed. */
static void
reactors_drain(void)
{
	struct lw_thread *lw;
	uint32_t i, round;
	bool pending = true;

	for (round = 0; round < REACTOR_FINI_POLL_ROUNDS && pending; round++) {
		pending = false;
		for (i = 0; i < g_num_reactors; i++) {
			while (reactor_run_events(&g_reactors[i]) == VD_POLLER_BUSY) {
			}
			TAILQ_FOREACH(lw, &g_reactors[i].threads, link) {
				vd_thread_poll(lw->thread, 0, 0);
				pending |= vd_thread_has_pending_msgs(lw->thread);
			}
		}
	}
	vd_set_thread(NULL);
}

void
reactors_fini(void)
{
	struct lw_thread *lw;
	uint32_t i;

	if (g_reactors == NULL) {
		return;
	}
	reactors_drain();
	for (i = 0; i < g_num_reactors; i++) {
		struct reactor *r = &g_reactors[i];

		while ((lw = TAILQ_FIRST(&r->threads)) != NULL) {
			vd_set_thread(lw->thread);
			if (!vd_thread_is_exited(lw->thread)) {
				vd_thread_exit(lw->thread);
			}
			reactor_remove_thread(r, lw);
		}
		vd_ring_free(&r->events);
	}
	free(g_reactors);
	g_reactors = NULL;
	g_num_reactors = 0;
	vd_cpuset_zero(&g_reactor_mask);
}

uint32_t
vd_reactor_count(void)
{
	return g_num_reactors;
}

int
vd_reactor_get_stats(uint32_t lcore, struct vd_reactor_stats *stats)
{
	struct reactor *r = reactor_by_lcore(lcore);

	if (r == NULL || stats == NULL) {
		return -ENOENT;
	}
	stats->lcore = r->lcore;
	stats->busy_tsc = __atomic_load_n(&r->busy_tsc, __ATOMIC_RELAXED);
	stats->idle_tsc = __atomic_load_n(&r->idle_tsc, __ATOMIC_RELAXED);
	stats->iterations = __atomic_load_n(&r->iterations, __ATOMIC_RELAXED);
	stats->thread_count = __atomic_load_n(&r->thread_count, __ATOMIC_RELAXED);
	return 0;
}

void
vd_reactor_get_cpuset(struct vd_cpuset *set)
{
	uint32_t i;

	vd_cpuset_zero(set);
	for (i = 0; i < g_num_reactors; i++) {
		vd_cpuset_set_cpu(set, g_reactors[i].lcore, true);
	}
}
