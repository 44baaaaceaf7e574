/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * bdevperf: shared definitions of the option parser and run control (bdevperf.c), the per-job
 * I/O engine (bdevperf_job.c) and the latency histogram (bdevperf_hist.c).
 */
#ifndef BDEVPERF_H
#define BDEVPERF_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/bdev.h"
#include "vhostd/thread.h"

#define BP_MAX_BDEVS		64
#define BP_MAX_QD		4096
#define BP_MAX_IO_SIZE		(16u * 1024 * 1024)
/* Miscompares and I/O errors printed in detail (per run); the rest are only counted. */
#define BP_MAX_REPORTED		10

/*
 * Log-linear latency histogram in ticks: values below 2^(BP_HIST_SUB_BITS + 1) have a bucket
 * each; above, every power-of-two range is split in 2^BP_HIST_SUB_BITS buckets, so a bucket is
 * at most 1/64 (1.6 %) of its value wide.  Fixed size: no allocation per I/O.
 */
#define BP_HIST_SUB_BITS	6
#define BP_HIST_SUB		(1u << BP_HIST_SUB_BITS)
#define BP_HIST_BUCKETS		(BP_HIST_SUB * (64 - BP_HIST_SUB_BITS + 1))

struct bp_hist {
	uint64_t buckets[BP_HIST_BUCKETS];
	uint64_t count;
	uint64_t sum;
};

void bp_hist_add(struct bp_hist *h, uint64_t ticks);
void bp_hist_merge(struct bp_hist *dst, const struct bp_hist *src);
/** Value (ticks) below which \p pct percent of the samples fall (bucket upper bound). */
uint64_t bp_hist_percentile(const struct bp_hist *h, double pct);

enum bp_workload {
	BP_WL_READ,
	BP_WL_WRITE,
	BP_WL_RANDREAD,
	BP_WL_RANDWRITE,
	BP_WL_RW,
	BP_WL_RANDRW,
	BP_WL_VERIFY,
	BP_WL_UNMAP,
	BP_WL_FLUSH,
	BP_WL_WRITE_ZEROES,
};

struct bp_opts {
	const char *json_config;
	const char *json_result;
	const char *cpumask;
	const char *rpc_addr;
	uint32_t qd;
	uint64_t io_size;
	enum bp_workload workload;
	uint32_t read_pct;
	uint32_t time_s;
	uint32_t mem_mb;
	bool no_huge;
	const char *bdevs[BP_MAX_BDEVS];
	uint32_t num_bdevs;
};

struct bp_task;

/*
 * One job: one bdev driven from one core.  Fields above "job thread" are written by the app
 * thread before the job starts; the rest belong to the job's thread until it reports done
 * (a message to the app thread, which orders the accesses).  The progress line reads ios and
 * bytes racily (monotonic 64-bit counters).
 */
struct bp_job {
	const struct bp_opts *opts;
	char bdev_name[VD_BDEV_MAX_NAME_LEN];
	uint32_t core;
	struct vd_thread *thread;
	struct bp_worker *worker;
	uint64_t range_start;		/* blocks */
	uint64_t range_blocks;
	uint64_t seed;

	/* job thread */
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct bp_task *tasks;
	uint32_t ntasks;
	uint32_t block_size;
	uint64_t io_blocks;
	uint64_t next_offset;
	uint64_t generation;
	uint64_t rng;
	uint32_t outstanding;
	bool stopping;
	bool removed;
	bool finished;
	uint64_t start_tsc;
	uint64_t end_tsc;
	uint64_t ios;
	uint64_t bytes;
	uint64_t errors;
	uint64_t aborted;
	uint64_t miscompares;
	int rc;				/* set-up failure */
	char err[160];
	struct bp_hist hist;
};

/* A reactor core's thread and the jobs it runs. */
struct bp_worker {
	uint32_t core;
	struct vd_thread *thread;
	uint32_t njobs;
	uint32_t nfinished;		/* worker thread only */
};

/** Job thread: open the bdev, allocate buffers, start I/O; then report to the app thread. */
void bp_job_start(void *job);
/** Job thread: stop submitting, drain, release; then report to the app thread. */
void bp_job_stop(void *job);
/** Parse "read", "randrw", ... \return 0 or -EINVAL. */
int bp_workload_parse(const char *str, enum bp_workload *wl);
const char *bp_workload_name(enum bp_workload wl);
enum vd_bdev_io_type bp_workload_io_type(enum bp_workload wl);

/* Implemented by bdevperf.c, called on the app thread by message from the job thread. */
void bp_job_started(void *job);
void bp_job_finished(void *job);
/** Whether another detailed error line may be printed (thread-safe). */
bool bp_report_ok(void);

#endif /* BDEVPERF_H */
