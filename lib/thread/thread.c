/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Lightweight threads: registry, message rings, pollers, vd_for_each_thread().
 *
 * Threads.  A thread is created by any OS thread, linked into the registry (g_threads, under
 * g_threads_mutex) and handed to the scheduler callback.  Whoever runs it calls vd_thread_poll();
 * the registry lock is never taken there nor in vd_thread_send_msg().  States:
 *   RUNNING  --vd_thread_exit()-->  EXITED  --vd_thread_destroy()-->  freed.
 * `exited` is written under g_threads_mutex so that vd_for_each_thread() (which only visits
 * non-exited threads, choosing them under that lock) never queues work on a thread its owner
 * may already have found idle and be destroying.
 *
 * Messages.  {fn, ctx} pairs of 16 bytes in a multi-producer single-consumer vd_ring per
 * thread; a full ring is reported (-ENOMEM) and nothing is queued.
 *
 * Pollers.  Each poller is in exactly one of thread->active (period 0), thread->timed (sorted by
 * next_run, ascending) or thread->paused.  Poller states and their transitions:
 *   WAITING   in active/timed; runnable.            (register, resume)
 *   RUNNING   its callback is executing.            (thread_poll)
 *   UNREG     unregistered while the thread polls; freed by poller_settle() once no list walk
 *             can hold it.                          (vd_poller_unregister)
 *   PAUSING   paused while the thread polls; moved to the paused list by poller_settle().
 *   PAUSED    in thread->paused.                     (vd_poller_pause / poller_settle)
 * Outside vd_thread_poll() unregister and pause act at once.  During a poll nothing is freed or
 * unlinked except by the loop that owns the iteration, so a poller may unregister itself or any
 * other poller from its callback.
 *
 * Time.  Timed pollers use thread->now, the tick of the thread's latest poll (creation time
 * before the first), so tests that drive vd_thread_poll() with a fake clock get exact timing.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <inttypes.h>

#include "vhostd/env.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "thread_internal.h"

VD_LOG_FLAG_DEFINE(thread);

#define THREAD_DEFAULT_RING_SIZE	65536
#define THREAD_MSG_BATCH		32

enum poller_state {
	POLLER_WAITING,
	POLLER_RUNNING,
	POLLER_UNREG,
	POLLER_PAUSING,
	POLLER_PAUSED,
};

struct vd_poller {
	TAILQ_ENTRY(vd_poller)	link;
	enum poller_state	state;
	vd_poller_fn		fn;
	void			*arg;
	uint64_t		period_ticks;
	uint64_t		next_run;
	uint64_t		run_count;
	uint64_t		busy_count;
	struct vd_thread	*thread;
	char			name[VD_MAX_POLLER_NAME_LEN];
};

struct thread_msg {
	vd_msg_fn	fn;
	void		*ctx;
};
VD_STATIC_ASSERT(sizeof(struct thread_msg) == 16, "message ring elements are 16 bytes");

struct for_each_thread_ctx {
	vd_msg_fn		fn;
	void			*ctx;
	vd_msg_fn		cpl;
	struct vd_thread	*orig;
	struct vd_thread	*cur;
};

pthread_mutex_t g_threads_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t g_devlist_mutex = PTHREAD_MUTEX_INITIALIZER;
struct thread_list g_threads = TAILQ_HEAD_INITIALIZER(g_threads);

static vd_new_thread_fn g_new_thread_fn;
static size_t g_msg_ring_size = THREAD_DEFAULT_RING_SIZE;
static uint64_t g_next_thread_id = 1;
static uint32_t g_thread_count;
static struct vd_thread *g_app_thread;
static bool g_lib_initialized;

static __thread struct vd_thread *tls_thread;

int
vd_thread_lib_init(vd_new_thread_fn new_thread_fn, size_t msg_ring_size)
{
	vd_log_flag_register(&VD_LOG_FLAG(thread));
	if (g_lib_initialized) {
		VD_ERRLOG("thread library already initialised\n");
		return -EALREADY;
	}
	g_new_thread_fn = new_thread_fn;
	g_msg_ring_size = msg_ring_size ? msg_ring_size : THREAD_DEFAULT_RING_SIZE;
	g_lib_initialized = true;
	return 0;
}

void
vd_thread_lib_fini(void)
{
	struct vd_thread *t;

	pthread_mutex_lock(&g_threads_mutex);
	TAILQ_FOREACH(t, &g_threads, link) {
		VD_ERRLOG("thread %s (id %" PRIu64 ") still exists at library fini\n", t->name,
			  t->id);
	}
	pthread_mutex_unlock(&g_threads_mutex);
	thread_free_io_devices();
	g_new_thread_fn = NULL;
	g_msg_ring_size = THREAD_DEFAULT_RING_SIZE;
	g_lib_initialized = false;
}

/* Threads ----------------------------------------------------------------------------------- */

static struct vd_thread *
thread_alloc(const char *name, const struct vd_cpuset *cpumask)
{
	struct vd_thread *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	if (vd_ring_create(VD_RING_MP_SC, sizeof(struct thread_msg), g_msg_ring_size,
			   &t->msgs) != 0) {
		free(t);
		return NULL;
	}
	TAILQ_INIT(&t->active);
	TAILQ_INIT(&t->timed);
	TAILQ_INIT(&t->paused);
	TAILQ_INIT(&t->channels);
	if (cpumask != NULL) {
		vd_cpuset_copy(&t->cpumask, cpumask);
	} else {
		memset(&t->cpumask, 0xff, sizeof(t->cpumask));
	}
	t->now = vd_get_ticks();
	t->tsc_last = t->now;
	t->id = __atomic_fetch_add(&g_next_thread_id, 1, __ATOMIC_RELAXED);
	if (name != NULL) {
		vd_strcpy_trunc(t->name, sizeof(t->name), name);
	} else {
		snprintf(t->name, sizeof(t->name), "thread%" PRIu64, t->id);
	}
	return t;
}

static void
thread_unlink(struct vd_thread *t)
{
	pthread_mutex_lock(&g_threads_mutex);
	TAILQ_REMOVE(&g_threads, t, link);
	g_thread_count--;
	if (g_app_thread == t) {
		g_app_thread = NULL;
	}
	pthread_mutex_unlock(&g_threads_mutex);
}

struct vd_thread *
vd_thread_create(const char *name, const struct vd_cpuset *cpumask)
{
	struct vd_thread *t;
	int rc;

	if (!g_lib_initialized) {
		VD_ERRLOG("thread library not initialised\n");
		return NULL;
	}
	t = thread_alloc(name, cpumask);
	if (t == NULL) {
		VD_ERRLOG("cannot allocate thread %s\n", name ? name : "");
		return NULL;
	}
	pthread_mutex_lock(&g_threads_mutex);
	TAILQ_INSERT_TAIL(&g_threads, t, link);
	g_thread_count++;
	if (g_app_thread == NULL) {
		g_app_thread = t;
	}
	pthread_mutex_unlock(&g_threads_mutex);

	if (g_new_thread_fn != NULL) {
		rc = g_new_thread_fn(t);
		if (rc != 0) {
			VD_ERRLOG("cannot schedule thread %s: %s\n", t->name, strerror(-rc));
			thread_unlink(t);
			vd_ring_free(&t->msgs);
			free(t);
			return NULL;
		}
	}
	VD_INFOLOG(thread, "created thread %s (id %" PRIu64 ")\n", t->name, t->id);
	return t;
}

void
vd_thread_exit(struct vd_thread *thread)
{
	assert(thread == tls_thread);
	if (thread != tls_thread) {
		VD_ERRLOG("thread %s must exit itself\n", thread->name);
		return;
	}
	pthread_mutex_lock(&g_threads_mutex);
	thread->exited = true;
	pthread_mutex_unlock(&g_threads_mutex);
	VD_INFOLOG(thread, "thread %s exiting\n", thread->name);
}

bool
vd_thread_is_exited(const struct vd_thread *thread)
{
	return thread->exited;
}

static void
poller_list_free(struct vd_thread *t, struct poller_list *list)
{
	struct vd_poller *p;

	while ((p = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, p, link);
		if (p->state != POLLER_UNREG) {
			VD_ERRLOG("thread %s: poller %s still registered at destroy\n", t->name,
				  p->name);
		}
		free(p);
	}
}

void
vd_thread_destroy(struct vd_thread *thread)
{
	size_t n;

	if (thread == NULL) {
		return;
	}
	assert(!thread->in_poll);
	if (!thread->exited) {
		VD_ERRLOG("destroying thread %s that has not exited\n", thread->name);
	}
	thread_unlink(thread);
	n = vd_ring_count(thread->msgs);
	if (n != 0) {
		VD_ERRLOG("thread %s destroyed with %zu messages queued\n", thread->name, n);
	}
	poller_list_free(thread, &thread->active);
	poller_list_free(thread, &thread->timed);
	poller_list_free(thread, &thread->paused);
	thread_free_channels(thread);
	vd_ring_free(&thread->msgs);
	if (tls_thread == thread) {
		tls_thread = NULL;
	}
	VD_INFOLOG(thread, "destroyed thread %s\n", thread->name);
	free(thread);
}

/* Pollers ----------------------------------------------------------------------------------- */

static void
timed_insert(struct vd_thread *t, struct vd_poller *p)
{
	struct vd_poller *it;

	/* Walk from the tail: a re-armed poller usually expires after everything queued. */
	TAILQ_FOREACH_REVERSE(it, &t->timed, poller_list, link) {
		if (it->next_run <= p->next_run) {
			TAILQ_INSERT_AFTER(&t->timed, it, p, link);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&t->timed, p, link);
}

static void
poller_arm(struct vd_thread *t, struct vd_poller *p)
{
	p->state = POLLER_WAITING;
	if (p->period_ticks == 0) {
		TAILQ_INSERT_TAIL(&t->active, p, link);
	} else {
		p->next_run = t->now + p->period_ticks;
		timed_insert(t, p);
	}
}

static struct poller_list *
poller_list_of(struct vd_thread *t, struct vd_poller *p)
{
	if (p->state == POLLER_PAUSED) {
		return &t->paused;
	}
	return p->period_ticks == 0 ? &t->active : &t->timed;
}

/* Apply a deferred unregister or pause of a poller that is linked in its list. */
static void
poller_settle(struct vd_thread *t, struct vd_poller *p)
{
	if (p->state == POLLER_UNREG) {
		TAILQ_REMOVE(poller_list_of(t, p), p, link);
		free(p);
	} else if (p->state == POLLER_PAUSING) {
		TAILQ_REMOVE(poller_list_of(t, p), p, link);
		p->state = POLLER_PAUSED;
		TAILQ_INSERT_TAIL(&t->paused, p, link);
	}
}

static void
poller_settle_list(struct vd_thread *t, struct poller_list *list)
{
	struct vd_poller *p, *next;

	for (p = TAILQ_FIRST(list); p != NULL; p = next) {
		next = TAILQ_NEXT(p, link);
		poller_settle(t, p);
	}
}

struct vd_poller *
vd_poller_register(vd_poller_fn fn, void *arg, uint64_t period_us, const char *name)
{
	struct vd_thread *t = tls_thread;
	struct vd_poller *p;

	if (t == NULL) {
		VD_ERRLOG("no current thread to register poller %s on\n", name ? name : "");
		return NULL;
	}
	if (fn == NULL) {
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		VD_ERRLOG("cannot allocate poller %s\n", name ? name : "");
		return NULL;
	}
	p->fn = fn;
	p->arg = arg;
	p->thread = t;
	vd_strcpy_trunc(p->name, sizeof(p->name), name ? name : "poller");
	if (period_us != 0) {
		/* Split to avoid overflow; never 0, which would mean "active". */
		p->period_ticks = period_us / 1000000 * vd_get_ticks_hz() +
				  period_us % 1000000 * vd_get_ticks_hz() / 1000000;
		if (p->period_ticks == 0) {
			p->period_ticks = 1;
		}
	}
	poller_arm(t, p);
	t->num_pollers++;
	return p;
}

void
vd_poller_unregister(struct vd_poller **ppoller)
{
	struct vd_poller *p;
	struct vd_thread *t;

	if (ppoller == NULL || *ppoller == NULL) {
		return;
	}
	p = *ppoller;
	*ppoller = NULL;
	t = p->thread;
	assert(t == tls_thread);
	if (p->state == POLLER_UNREG) {
		return;
	}
	t->num_pollers--;
	if (p->state == POLLER_PAUSED) {
		/* The paused list is never walked by a poll: unlink at once. */
		TAILQ_REMOVE(&t->paused, p, link);
		free(p);
		return;
	}
	if (t->in_poll) {
		p->state = POLLER_UNREG;
		t->need_settle = true;
		return;
	}
	if (p->state == POLLER_PAUSING) {
		p->state = POLLER_WAITING;
	}
	TAILQ_REMOVE(poller_list_of(t, p), p, link);
	free(p);
}

void
vd_poller_pause(struct vd_poller *poller)
{
	struct vd_thread *t = poller->thread;

	assert(t == tls_thread);
	if (poller->state != POLLER_WAITING && poller->state != POLLER_RUNNING) {
		return;
	}
	if (t->in_poll) {
		poller->state = POLLER_PAUSING;
		t->need_settle = true;
		return;
	}
	TAILQ_REMOVE(poller_list_of(t, poller), poller, link);
	poller->state = POLLER_PAUSED;
	TAILQ_INSERT_TAIL(&t->paused, poller, link);
}

void
vd_poller_resume(struct vd_poller *poller)
{
	struct vd_thread *t = poller->thread;

	assert(t == tls_thread);
	if (poller->state == POLLER_PAUSING) {
		/* Still linked in its run list: cancel the pending pause. */
		poller->state = POLLER_WAITING;
		return;
	}
	if (poller->state != POLLER_PAUSED) {
		return;
	}
	TAILQ_REMOVE(&t->paused, poller, link);
	poller_arm(t, poller);
}

bool
vd_poller_is_paused(const struct vd_poller *poller)
{
	return poller->state == POLLER_PAUSED || poller->state == POLLER_PAUSING;
}

const char *
vd_poller_get_name(const struct vd_poller *poller)
{
	return poller->name;
}

void
vd_poller_get_stats(const struct vd_poller *poller, struct vd_poller_stats *stats)
{
	stats->run_count = poller->run_count;
	stats->busy_count = poller->busy_count;
	stats->period_ticks = poller->period_ticks;
}

static struct vd_poller *
first_live(struct vd_poller *p)
{
	while (p != NULL && p->state == POLLER_UNREG) {
		p = TAILQ_NEXT(p, link);
	}
	return p;
}

struct vd_poller *
vd_thread_get_first_poller(struct vd_thread *thread)
{
	struct vd_poller *p;

	p = first_live(TAILQ_FIRST(&thread->active));
	if (p == NULL) {
		p = first_live(TAILQ_FIRST(&thread->timed));
	}
	if (p == NULL) {
		p = first_live(TAILQ_FIRST(&thread->paused));
	}
	return p;
}

struct vd_poller *
vd_thread_get_next_poller(struct vd_thread *thread, struct vd_poller *prev)
{
	struct poller_list *list = poller_list_of(thread, prev);
	struct vd_poller *p;

	p = first_live(TAILQ_NEXT(prev, link));
	if (p == NULL && list == &thread->active) {
		p = first_live(TAILQ_FIRST(&thread->timed));
		list = &thread->timed;
	}
	if (p == NULL && list == &thread->timed) {
		p = first_live(TAILQ_FIRST(&thread->paused));
	}
	return p;
}

/* Polling ----------------------------------------------------------------------------------- */

static int
poller_run(struct vd_poller *p)
{
	int rc;

	p->state = POLLER_RUNNING;
	rc = p->fn(p->arg);
	if (p->state == POLLER_RUNNING) {
		p->state = POLLER_WAITING;
	}
	p->run_count++;
	if (rc > 0) {
		p->busy_count++;
		return VD_POLLER_BUSY;
	}
	return VD_POLLER_IDLE;
}

static int
thread_run_msgs(struct vd_thread *t, uint32_t max_msgs)
{
	struct thread_msg msgs[THREAD_MSG_BATCH];
	size_t n, i;

	if (max_msgs == 0 || max_msgs > THREAD_MSG_BATCH) {
		max_msgs = THREAD_MSG_BATCH;
	}
	n = vd_ring_dequeue(t->msgs, msgs, max_msgs);
	for (i = 0; i < n; i++) {
		msgs[i].fn(msgs[i].ctx);
	}
	return n > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static int
thread_run_active(struct vd_thread *t)
{
	struct vd_poller *p;
	int rc = VD_POLLER_IDLE;

	/* Nothing is unlinked during this walk: TAILQ_NEXT after the callback stays valid. */
	TAILQ_FOREACH(p, &t->active, link) {
		if (p->state == POLLER_WAITING) {
			rc |= poller_run(p);
		}
	}
	return rc;
}

static int
thread_run_timed(struct vd_thread *t, uint64_t now)
{
	struct vd_poller *p, *next;
	int rc = VD_POLLER_IDLE;

	for (p = TAILQ_FIRST(&t->timed); p != NULL && p->next_run <= now; p = next) {
		next = TAILQ_NEXT(p, link);
		if (p->state != POLLER_WAITING) {
			continue;
		}
		TAILQ_REMOVE(&t->timed, p, link);
		rc |= poller_run(p);
		/* Unlinked while it ran, so settle it here rather than in the final pass. */
		if (p->state == POLLER_UNREG) {
			free(p);
		} else if (p->state == POLLER_PAUSING) {
			p->state = POLLER_PAUSED;
			TAILQ_INSERT_TAIL(&t->paused, p, link);
		} else {
			p->next_run = now + p->period_ticks;
			timed_insert(t, p);
		}
		/* `next` was only marked if touched by the callback, never freed: still valid. */
	}
	return rc;
}

int
vd_thread_poll(struct vd_thread *thread, uint32_t max_msgs, uint64_t now)
{
	struct vd_thread *orig = tls_thread;
	int rc;

	if (now == 0) {
		now = vd_get_ticks();
	}
	tls_thread = thread;
	thread->in_poll = true;
	thread->now = now;

	rc = thread_run_msgs(thread, max_msgs);
	rc |= thread_run_active(thread);
	rc |= thread_run_timed(thread, now);

	if (thread->need_settle) {
		poller_settle_list(thread, &thread->active);
		poller_settle_list(thread, &thread->timed);
		thread->need_settle = false;
	}
	thread->in_poll = false;

	if (now > thread->tsc_last) {
		if (rc == VD_POLLER_BUSY) {
			thread->stats.busy_tsc += now - thread->tsc_last;
		} else {
			thread->stats.idle_tsc += now - thread->tsc_last;
		}
	}
	thread->tsc_last = now;
	tls_thread = orig;
	return rc;
}

uint64_t
vd_thread_next_poller_expiration(struct vd_thread *thread)
{
	struct vd_poller *p;

	TAILQ_FOREACH(p, &thread->timed, link) {
		if (p->state == POLLER_WAITING) {
			return p->next_run;
		}
	}
	return 0;
}

bool
vd_thread_has_active_work(struct vd_thread *thread)
{
	struct vd_poller *p;

	if (vd_ring_count(thread->msgs) != 0) {
		return true;
	}
	TAILQ_FOREACH(p, &thread->active, link) {
		if (p->state == POLLER_WAITING) {
			return true;
		}
	}
	return false;
}

bool
vd_thread_has_pending_msgs(const struct vd_thread *thread)
{
	return vd_ring_count(thread->msgs) != 0;
}

bool
vd_thread_is_idle(struct vd_thread *thread)
{
	return thread->num_pollers == 0 && thread->num_channels == 0 &&
	       vd_ring_count(thread->msgs) == 0;
}

/* Accessors --------------------------------------------------------------------------------- */

struct vd_thread *
vd_get_thread(void)
{
	return tls_thread;
}

uint64_t
vd_thread_get_now(void)
{
	struct vd_thread *t = tls_thread;

	return t != NULL && t->in_poll ? t->now : vd_get_ticks();
}

void
vd_set_thread(struct vd_thread *thread)
{
	tls_thread = thread;
}

const char *
vd_thread_get_name(const struct vd_thread *thread)
{
	return thread->name;
}

uint64_t
vd_thread_get_id(const struct vd_thread *thread)
{
	return thread->id;
}

const struct vd_cpuset *
vd_thread_get_cpumask(const struct vd_thread *thread)
{
	return &thread->cpumask;
}

int
vd_thread_get_stats(const struct vd_thread *thread, struct vd_thread_stats *stats)
{
	if (thread == NULL || stats == NULL) {
		return -EINVAL;
	}
	*stats = thread->stats;
	return 0;
}

void *
vd_thread_get_sched_ctx(struct vd_thread *thread)
{
	return thread->sched_ctx;
}

void
vd_thread_set_sched_ctx(struct vd_thread *thread, void *ctx)
{
	thread->sched_ctx = ctx;
}

struct vd_thread *
vd_thread_get_app_thread(void)
{
	return g_app_thread;
}

struct vd_thread *
vd_thread_get_by_id(uint64_t id)
{
	struct vd_thread *t;

	pthread_mutex_lock(&g_threads_mutex);
	TAILQ_FOREACH(t, &g_threads, link) {
		if (t->id == id) {
			break;
		}
	}
	pthread_mutex_unlock(&g_threads_mutex);
	return t;
}

struct vd_thread *
vd_thread_get_first(void)
{
	struct vd_thread *t;

	pthread_mutex_lock(&g_threads_mutex);
	t = TAILQ_FIRST(&g_threads);
	pthread_mutex_unlock(&g_threads_mutex);
	return t;
}

struct vd_thread *
vd_thread_get_next(struct vd_thread *prev)
{
	struct vd_thread *t;

	pthread_mutex_lock(&g_threads_mutex);
	t = TAILQ_NEXT(prev, link);
	pthread_mutex_unlock(&g_threads_mutex);
	return t;
}

uint32_t
vd_thread_get_count(void)
{
	uint32_t n;

	pthread_mutex_lock(&g_threads_mutex);
	n = g_thread_count;
	pthread_mutex_unlock(&g_threads_mutex);
	return n;
}

/* Messages ---------------------------------------------------------------------------------- */

int
vd_thread_send_msg(const struct vd_thread *thread, vd_msg_fn fn, void *ctx)
{
	struct thread_msg msg = { .fn = fn, .ctx = ctx };

	if (thread == NULL || fn == NULL) {
		return -EINVAL;
	}
	if (thread->msgs == NULL) {
		return -EIO;
	}
	if (vd_ring_enqueue(thread->msgs, &msg, 1) != 1) {
		return -ENOMEM;
	}
	return 0;
}

/* Next non-exited thread after \p prev (NULL: the first).  Caller holds g_threads_mutex. */
static struct vd_thread *
next_live_thread(struct vd_thread *prev)
{
	struct vd_thread *t = prev ? TAILQ_NEXT(prev, link) : TAILQ_FIRST(&g_threads);

	while (t != NULL && t->exited) {
		t = TAILQ_NEXT(t, link);
	}
	return t;
}

static void for_each_thread_step(void *arg);

static void
for_each_thread_cpl(void *arg)
{
	struct for_each_thread_ctx *fe = arg;

	fe->cpl(fe->ctx);
	free(fe);
}

/* Hand the iteration to the next live thread after fe->cur, or complete it. */
static void
for_each_thread_advance(struct for_each_thread_ctx *fe)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&g_threads_mutex);
	/* Sending under the lock: the target cannot be unlinked and destroyed meanwhile. */
	while ((fe->cur = next_live_thread(fe->cur)) != NULL) {
		rc = vd_thread_send_msg(fe->cur, for_each_thread_step, fe);
		if (rc == 0) {
			break;
		}
		VD_ERRLOG("for_each_thread: skipping thread %s: %s\n", fe->cur->name,
			  strerror(-rc));
	}
	pthread_mutex_unlock(&g_threads_mutex);
	if (rc == 0) {
		return;
	}
	rc = vd_thread_send_msg(fe->orig, for_each_thread_cpl, fe);
	if (rc != 0) {
		VD_ERRLOG("for_each_thread: cannot complete on %s: %s\n", fe->orig->name,
			  strerror(-rc));
		free(fe);
	}
}

static void
for_each_thread_step(void *arg)
{
	struct for_each_thread_ctx *fe = arg;

	fe->fn(fe->ctx);
	for_each_thread_advance(fe);
}

int
vd_for_each_thread(vd_msg_fn fn, void *ctx, vd_msg_fn cpl)
{
	struct for_each_thread_ctx *fe;

	if (tls_thread == NULL || fn == NULL || cpl == NULL) {
		VD_ERRLOG("vd_for_each_thread needs a current thread\n");
		return -EINVAL;
	}
	fe = calloc(1, sizeof(*fe));
	if (fe == NULL) {
		return -ENOMEM;
	}
	fe->fn = fn;
	fe->ctx = ctx;
	fe->cpl = cpl;
	fe->orig = tls_thread;
	for_each_thread_advance(fe);
	return 0;
}
