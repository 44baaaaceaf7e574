/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Log-linear latency histogram (layout in bdevperf.h).  Bucket of a value v:
 *   v < 2 * SUB:  v itself;
 *   otherwise, with e the index of v's top bit and r = e - SUB_BITS (>= 1):
 *                 SUB * (r + 1) + ((v >> r) - SUB).
 * So bucket i >= 2 * SUB covers [(SUB + i % SUB) << r, that + 2^r) with r = i / SUB - 1.
 */

#include <math.h>

#include "bdevperf.h"

static uint32_t
hist_index(uint64_t v)
{
	uint32_t e, r;

	if (v < 2 * BP_HIST_SUB) {
		return (uint32_t)v;
	}
	e = 63 - (uint32_t)__builtin_clzll(v);
	r = e - BP_HIST_SUB_BITS;
	return BP_HIST_SUB * (r + 1) + (uint32_t)((v >> r) - BP_HIST_SUB);
}

static uint64_t
hist_upper(uint32_t i)
{
	uint32_t r;

	if (i < 2 * BP_HIST_SUB) {
		return i;
	}
	r = i / BP_HIST_SUB - 1;
	return (((uint64_t)BP_HIST_SUB + i % BP_HIST_SUB) << r) + ((1ull << r) - 1);
}

void
bp_hist_add(struct bp_hist *h, uint64_t ticks)
{
	h->buckets[hist_index(ticks)]++;
	h->count++;
	h->sum += ticks;
}

void
bp_hist_merge(struct bp_hist *dst, const struct bp_hist *src)
{
	uint32_t i;

	for (i = 0; i < BP_HIST_BUCKETS; i++) {
		dst->buckets[i] += src->buckets[i];
	}
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t
bp_hist_percentile(const struct bp_hist *h, double pct)
{
	uint64_t target, seen = 0;
	uint32_t i;

	if (h->count == 0) {
		return 0;
	}
	target = (uint64_t)ceil((double)h->count * pct / 100.0);
	if (target == 0) {
		target = 1;
	}
	for (i = 0; i < BP_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= target) {
			return hist_upper(i);
		}
	}
	return hist_upper(BP_HIST_BUCKETS - 1);
}
