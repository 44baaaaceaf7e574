/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Fake threads and a fake clock for unit tests of every library.
 *
 *	ut_thread_init(2);		two threads, thread 0 current, clock at UT_TIME_START
 *	ut_set_thread(1);		make thread 1 current (for calls outside a poll)
 *	ut_poll_thread(1);		one vd_thread_poll() of thread 1 at the fake "now"
 *	ut_poll_all();			poll every thread until no messages are left
 *	ut_time_advance_us(100);	move the clock; timed pollers see it at the next poll
 *	ut_thread_fini();		exit and destroy the threads, vd_thread_lib_fini()
 *
 * Every poll passes the fake tick as `now`, so timed pollers fire deterministically.  Nothing
 * sleeps.  Header-only: include it from the test's .c file.
 */
#ifndef VD_UT_THREAD_H
#define VD_UT_THREAD_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "vhostd/env.h"
#include "vhostd/thread.h"

#define UT_MAX_THREADS		16
/** Fake clock origin in ticks (non-zero: 0 means "read the TSC" to vd_thread_poll()). */
#define UT_TIME_START		1000000ULL
/** Bound on ut_poll_all() rounds so a message ping-pong bug fails instead of hanging. */
#define UT_POLL_ALL_MAX_ROUNDS	1000000

static struct vd_thread *g_ut_threads[UT_MAX_THREADS];
static uint32_t g_ut_num_threads;
static uint64_t g_ut_now = UT_TIME_START;
/* Microseconds since UT_TIME_START: ticks are derived from the total, so that advancing by
 * a + b lands exactly where advancing by a + b at once would (no rounding drift). */
static uint64_t g_ut_us;

static inline uint64_t
ut_now(void)
{
	return g_ut_now;
}

static inline uint64_t
ut_us_to_ticks(uint64_t us)
{
	return us * vd_get_ticks_hz() / 1000000;
}

static inline void
ut_time_advance_us(uint64_t us)
{
	g_ut_us += us;
	g_ut_now = UT_TIME_START + ut_us_to_ticks(g_ut_us);
}

static inline struct vd_thread *
ut_thread(uint32_t i)
{
	return i < g_ut_num_threads ? g_ut_threads[i] : NULL;
}

static inline void
ut_set_thread(uint32_t i)
{
	vd_set_thread(ut_thread(i));
}

/** One poll of thread \p i at the fake time; the current thread is restored afterwards. */
static inline int
ut_poll_thread(uint32_t i)
{
	struct vd_thread *orig = vd_get_thread();
	int rc;

	if (i >= g_ut_num_threads || g_ut_threads[i] == NULL) {
		return VD_POLLER_IDLE;
	}
	rc = vd_thread_poll(g_ut_threads[i], 0, g_ut_now);
	vd_set_thread(orig);
	return rc;
}

/** Poll all threads round-robin until none has a queued message.  \return rounds run. */
static inline uint32_t
ut_poll_all(void)
{
	uint32_t round, i;
	bool pending;

	for (round = 1; round <= UT_POLL_ALL_MAX_ROUNDS; round++) {
		pending = false;
		for (i = 0; i < g_ut_num_threads; i++) {
			ut_poll_thread(i);
		}
		for (i = 0; i < g_ut_num_threads; i++) {
			if (g_ut_threads[i] != NULL && vd_thread_has_pending_msgs(g_ut_threads[i])) {
				pending = true;
			}
		}
		if (!pending) {
			return round;
		}
	}
	fprintf(stderr, "ut_poll_all: messages still pending after %d rounds\n",
		UT_POLL_ALL_MAX_ROUNDS);
	abort();
}

/** Initialise the thread library (no scheduler) and create \p n threads "ut_thread<i>". */
static inline int
ut_thread_init(uint32_t n)
{
	char name[32];
	uint32_t i;
	int rc;

	if (n == 0 || n > UT_MAX_THREADS) {
		return -EINVAL;
	}
	rc = vd_thread_lib_init(NULL, 0);
	if (rc != 0) {
		return rc;
	}
	g_ut_now = UT_TIME_START;
	g_ut_us = 0;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ut_thread%u", i);
		g_ut_threads[i] = vd_thread_create(name, NULL);
		if (g_ut_threads[i] == NULL) {
			return -ENOMEM;
		}
		g_ut_num_threads = i + 1;
		/* Align the thread's notion of "now" with the fake clock. */
		ut_poll_thread(i);
	}
	ut_set_thread(0);
	return 0;
}

/** Exit and destroy every remaining thread, then finish the library. */
static inline void
ut_thread_fini(void)
{
	uint32_t i;

	ut_poll_all();
	for (i = 0; i < g_ut_num_threads; i++) {
		if (g_ut_threads[i] == NULL) {
			continue;
		}
		vd_set_thread(g_ut_threads[i]);
		if (!vd_thread_is_exited(g_ut_threads[i])) {
			vd_thread_exit(g_ut_threads[i]);
		}
		vd_set_thread(NULL);
		vd_thread_destroy(g_ut_threads[i]);
		g_ut_threads[i] = NULL;
	}
	g_ut_num_threads = 0;
	vd_set_thread(NULL);
	vd_thread_lib_fini();
}

#endif /* VD_UT_THREAD_H */
