/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Micro-benchmark of lib/thread on real reactors (mask 0x3 by default).
 *
 * Phases, each lasting -t seconds, driven by a timed controller poller on the app thread:
 *   TPUT       thread A (first core) sends messages to thread B (second core) as fast as its
 *              ring accepts them; B counts them.  Reports messages per second.
 *   DRAIN      (not measured) until B has consumed the backlog of TPUT.
 *   PINGPONG   A sends one message to B, whose handler answers A, whose handler sends the
 *              next: one round trip at a time.  Reports the mean round-trip time.
 *   IDLE_K     A and B exit; thread C alone on the second core's reactor registers K idle
 *              pollers (K = 0, 1, 8).  Reports nanoseconds per reactor iteration.
 * Output: one "RESULT <name> <value> <unit>" line per measurement (scripts/bench/thread.sh
 * turns them into a markdown table).  Counters shared between threads are written by one
 * thread and read by the controller with relaxed atomics.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/env.h"
#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"

#define BENCH_SEND_BATCH	64
#define BENCH_CTL_PERIOD_US	10000
#define BENCH_MAX_POLLERS	8

enum bench_phase {
	PHASE_SETUP,
	PHASE_TPUT,
	PHASE_DRAIN,
	PHASE_PINGPONG,
	PHASE_PP_DRAIN,
	PHASE_IDLE,
	PHASE_DONE,
};

static const uint32_t g_idle_k[] = { 0, 1, 8 };

static struct {
	uint64_t		duration_ticks;
	uint32_t		core_a;
	uint32_t		core_b;
	struct vd_thread	*a;
	struct vd_thread	*b;
	struct vd_thread	*c;
	struct vd_poller	*ctl;
	struct vd_poller	*sender;		/* on A */
	struct vd_poller	*idle[BENCH_MAX_POLLERS];	/* on C */
	uint32_t		nidle;
	bool			pp_run;			/* A only */
	bool			tput_stopped;		/* set by A, atomic */
	bool			pp_done;		/* set by A, atomic */
	uint64_t		received;		/* written by B */
	uint64_t		pongs;			/* written by A */
	enum bench_phase	phase;
	uint32_t		idle_idx;
	uint64_t		start_tick;
	uint64_t		start_count;
	int			rc;
} g;

static uint64_t
load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
inc64(uint64_t *p)
{
	__atomic_store_n(p, *p + 1, __ATOMIC_RELAXED);
}

static void
send_or_fail(struct vd_thread *t, vd_msg_fn fn, void *ctx)
{
	int rc = vd_thread_send_msg(t, fn, ctx);

	if (rc != 0) {
		fprintf(stderr, "thread_bench: cannot message %s: %s\n", vd_thread_get_name(t),
			strerror(-rc));
		g.rc = rc;
		vd_app_stop(rc);
	}
}

/* Throughput: A -> B ------------------------------------------------------------------------ */

static void
b_receive(void *ctx)
{
	inc64(&g.received);
}

static int
a_send_poll(void *arg)
{
	int i;

	for (i = 0; i < BENCH_SEND_BATCH; i++) {
		if (vd_thread_send_msg(g.b, b_receive, NULL) != 0) {
			break;	/* ring full: B is behind, try again next iteration */
		}
	}
	return i > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static void
a_tput_start(void *ctx)
{
	g.sender = vd_poller_register(a_send_poll, NULL, 0, "bench_sender");
}

static void
a_tput_stop(void *ctx)
{
	vd_poller_unregister(&g.sender);
	__atomic_store_n(&g.tput_stopped, true, __ATOMIC_RELEASE);
}

/* Ping-pong: A -> B -> A -------------------------------------------------------------------- */

static void a_pong(void *ctx);

static void
b_ping(void *ctx)
{
	send_or_fail(g.a, a_pong, NULL);
}

static void
a_pong(void *ctx)
{
	inc64(&g.pongs);
	if (g.pp_run) {
		send_or_fail(g.b, b_ping, NULL);
	} else {
		/* The one message in flight came home after a_pp_stop: nothing is left. */
		__atomic_store_n(&g.pp_done, true, __ATOMIC_RELEASE);
	}
}

static void
a_pp_start(void *ctx)
{
	g.pp_run = true;
	send_or_fail(g.b, b_ping, NULL);
}

static void
a_pp_stop(void *ctx)
{
	g.pp_run = false;
}

/* Idle pollers on C ------------------------------------------------------------------------- */

static int
idle_poll(void *arg)
{
	return VD_POLLER_IDLE;
}

static void
c_set_pollers(void *ctx)
{
	uint32_t k = (uint32_t)(uintptr_t)ctx;

	while (g.nidle < k) {
		g.idle[g.nidle] = vd_poller_register(idle_poll, NULL, 0, "bench_idle");
		g.nidle++;
	}
	while (g.nidle > k) {
		vd_poller_unregister(&g.idle[--g.nidle]);
	}
}

static void
thread_exit_msg(void *ctx)
{
	struct vd_thread *t = vd_get_thread();
	uint32_t i;

	if (t == g.c) {
		for (i = 0; i < g.nidle; i++) {
			vd_poller_unregister(&g.idle[i]);
		}
		g.nidle = 0;
	}
	vd_thread_exit(t);
}

/* Controller -------------------------------------------------------------------------------- */

static uint64_t
reactor_iterations(uint32_t lcore)
{
	struct vd_reactor_stats st;

	return vd_reactor_get_stats(lcore, &st) == 0 ? st.iterations : 0;
}

static void
phase_begin(enum bench_phase phase, uint64_t now, uint64_t count)
{
	g.phase = phase;
	g.start_tick = now;
	g.start_count = count;
}

static double
elapsed_sec(uint64_t now)
{
	return (double)(now - g.start_tick) / (double)vd_get_ticks_hz();
}

static void
ctl_setup(uint64_t now)
{
	struct vd_cpuset ma, mb;

	vd_cpuset_zero(&ma);
	vd_cpuset_zero(&mb);
	vd_cpuset_set_cpu(&ma, g.core_a, true);
	vd_cpuset_set_cpu(&mb, g.core_b, true);
	g.a = vd_thread_create("bench_a", &ma);
	g.b = vd_thread_create("bench_b", &mb);
	if (g.a == NULL || g.b == NULL) {
		g.rc = -ENOMEM;
		vd_app_stop(-ENOMEM);
		return;
	}
	send_or_fail(g.a, a_tput_start, NULL);
	phase_begin(PHASE_TPUT, now, load64(&g.received));
}

static void
ctl_idle_next(uint64_t now)
{
	if (g.idle_idx < VD_COUNTOF(g_idle_k)) {
		send_or_fail(g.c, c_set_pollers, (void *)(uintptr_t)g_idle_k[g.idle_idx]);
		phase_begin(PHASE_IDLE, now, reactor_iterations(g.core_b));
		return;
	}
	send_or_fail(g.c, thread_exit_msg, NULL);
	g.phase = PHASE_DONE;
	vd_app_stop(g.rc);
}

static void
ctl_finish_phase(uint64_t now)
{
	struct vd_cpuset mb;
	uint64_t n;

	switch (g.phase) {
	case PHASE_TPUT:
		n = load64(&g.received) - g.start_count;
		printf("RESULT msg_throughput %.0f msgs/s\n", (double)n / elapsed_sec(now));
		send_or_fail(g.a, a_tput_stop, NULL);
		g.phase = PHASE_DRAIN;
		break;
	case PHASE_PINGPONG:
		n = load64(&g.pongs) - g.start_count;
		printf("RESULT msg_roundtrip %.0f ns\n", n ? elapsed_sec(now) * 1e9 / n : 0.0);
		send_or_fail(g.a, a_pp_stop, NULL);
		g.phase = PHASE_PP_DRAIN;
		break;
	case PHASE_PP_DRAIN:
		send_or_fail(g.a, thread_exit_msg, NULL);
		send_or_fail(g.b, thread_exit_msg, NULL);
		vd_cpuset_zero(&mb);
		vd_cpuset_set_cpu(&mb, g.core_b, true);
		g.c = vd_thread_create("bench_c", &mb);
		if (g.c == NULL) {
			vd_app_stop(-ENOMEM);
			return;
		}
		g.idle_idx = 0;
		ctl_idle_next(now);
		break;
	case PHASE_IDLE:
		n = reactor_iterations(g.core_b) - g.start_count;
		printf("RESULT reactor_iteration_k%u %.1f ns\n", g_idle_k[g.idle_idx],
		       n ? elapsed_sec(now) * 1e9 / n : 0.0);
		g.idle_idx++;
		ctl_idle_next(now);
		break;
	default:
		break;
	}
	fflush(stdout);
}

static int
ctl_poll(void *arg)
{
	uint64_t now = vd_get_ticks();

	if (g.phase == PHASE_DONE) {
		vd_poller_unregister(&g.ctl);
		return VD_POLLER_IDLE;
	}
	if (g.phase == PHASE_SETUP) {
		ctl_setup(now);
		return VD_POLLER_BUSY;
	}
	if (g.phase == PHASE_DRAIN) {
		/* Ping-pong starts once B has consumed the throughput backlog. */
		if (!__atomic_load_n(&g.tput_stopped, __ATOMIC_ACQUIRE) ||
		    vd_thread_has_pending_msgs(g.b)) {
			return VD_POLLER_IDLE;
		}
		send_or_fail(g.a, a_pp_start, NULL);
		phase_begin(PHASE_PINGPONG, now, load64(&g.pongs));
		return VD_POLLER_BUSY;
	}
	if (g.phase == PHASE_PP_DRAIN) {
		if (__atomic_load_n(&g.pp_done, __ATOMIC_ACQUIRE)) {
			ctl_finish_phase(now);
		}
		return VD_POLLER_IDLE;
	}
	if (now - g.start_tick < g.duration_ticks) {
		return VD_POLLER_IDLE;
	}
	ctl_finish_phase(now);
	return VD_POLLER_BUSY;
}

static void
bench_shutdown(void *ctx)
{
	vd_poller_unregister(&g.ctl);
}

static void
bench_start(void *ctx)
{
	g.core_a = vd_env_get_first_core();
	g.core_b = vd_env_get_next_core(g.core_a);
	if (g.core_b == UINT32_MAX) {
		fprintf(stderr, "thread_bench: one core only; A and B share core %u\n", g.core_a);
		g.core_b = g.core_a;
	}
	printf("INFO cores %u,%u tick_rate %" PRIu64 "\n", g.core_a, g.core_b, vd_get_ticks_hz());
	g.ctl = vd_poller_register(ctl_poll, NULL, BENCH_CTL_PERIOD_US, "bench_ctl");
	if (g.ctl == NULL) {
		vd_app_stop(-ENOMEM);
	}
}

static void
usage(const char *prog)
{
	printf("Usage: %s [-t seconds] [-m reactor_mask] [--no-huge]\n"
	       "  -t, --time SECONDS   length of each phase (default 2)\n"
	       "  -m, --mask MASK      reactor mask (default 0x3)\n"
	       "  --no-huge            do not use hugepages\n", prog);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "mask", required_argument, NULL, 'm' },
		{ "no-huge", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vd_app_opts opts;
	uint64_t seconds = 2;
	int c, rc;

	vd_app_opts_init(&opts);
	opts.name = "thread_bench";
	opts.reactor_mask = "0x3";
	opts.rpc_addr = NULL;
	while ((c = getopt_long(argc, argv, "t:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (vd_strtou64(optarg, &seconds) != 0 || seconds == 0 || seconds > 3600) {
				fprintf(stderr, "invalid -t '%s': 1..3600 seconds\n", optarg);
				return 2;
			}
			break;
		case 'm':
			opts.reactor_mask = optarg;
			break;
		case 'H':
			opts.no_huge = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	g.duration_ticks = seconds * vd_get_ticks_hz();
	vd_app_set_shutdown_cb(bench_shutdown, NULL);
	rc = vd_app_start(&opts, bench_start, NULL);
	vd_app_fini();
	if (rc != 0) {
		fprintf(stderr, "thread_bench: %s\n", strerror(-rc));
	}
	return rc == 0 ? 0 : 1;
}
