/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * TSC ticks.  The frequency comes from the EAL once it is initialised; before that (and in unit
 * tests) it is calibrated once against CLOCK_MONOTONIC over 10 ms.
 */

#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "vhostd/env.h"

static uint64_t g_hz;

uint64_t
vd_get_ticks(void)
{
	return rte_rdtsc();
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
calibrate(void)
{
	uint64_t t0 = mono_ns(), c0 = rte_rdtsc(), t1, c1;

	do {
		t1 = mono_ns();
	} while (t1 - t0 < 10 * 1000 * 1000);
	c1 = rte_rdtsc();
	return (c1 - c0) * 1000000000ULL / (t1 - t0);
}

uint64_t
vd_get_ticks_hz(void)
{
	uint64_t hz = __atomic_load_n(&g_hz, __ATOMIC_RELAXED);

	if (hz != 0) {
		return hz;
	}
	if (vd_env_is_initialized()) {
		hz = rte_get_tsc_hz();
	}
	if (hz == 0) {
		hz = calibrate();
	}
	__atomic_store_n(&g_hz, hz, __ATOMIC_RELAXED);
	return hz;
}
