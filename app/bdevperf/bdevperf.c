/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * bdevperf: drive bdevs through the bdev layer and report IOPS, bandwidth and latency.
 *
 *	bdevperf --json bdev.json -q 32 -o 4k -w randread -t 10 [-m 0x3] [-b Malloc0]
 *
 * The bdevs come from a JSON configuration applied by the application framework (the same
 * format as vhostd -c).  Each reactor core of -m gets one thread running one job per bdev
 * (bdevperf_job.c).  The app thread starts the jobs, prints a progress line every second when
 * stdout is a terminal, stops the jobs after -t seconds, waits for them to drain and prints a
 * per-job and total summary (optionally as JSON with --json-result).  With -r PATH the RPC
 * server listens too, so a test can change the configuration (e.g. delete a bdev) under load.
 *
 * Run states (app thread): starting (bp_start → every job reports bp_job_started), running
 * (tick poller), stopping (bp_stop_all: end of -t, set-up failure, or shutdown), done (every
 * job reported bp_job_finished: summary, vd_app_stop).  Exit status: 0 when every job ran and
 * no I/O failed or miscompared; 1 otherwise.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/bdev_aio.h"
#include "vhostd/bdev_malloc.h"
#include "vhostd/bdev_module.h"
#include "vhostd/bdev_virtio.h"
#include "vhostd/bdev_vhost_nvme.h"
#include "vhostd/bdev_null.h"
#include "vhostd/bdev_uring.h"
#include "vhostd/env.h"
#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "bdevperf.h"

#define BP_TICK_US		100000
#define BP_RPC_LINGER_US	200000

static struct {
	struct bp_opts opts;
	struct bp_job *jobs;
	uint32_t njobs;
	struct bp_worker *workers;
	uint32_t nworkers;
	uint32_t nstarted;
	uint32_t nfinished;
	bool setup_failed;
	bool stopping;
	bool done;
	int exit_rc;
	struct vd_poller *tick_poller;
	struct vd_poller *linger_poller;
	uint64_t start_tsc;
	uint64_t last_print_tsc;
	uint64_t last_ios;
	int reported;		/* atomic */
} g_bp;

bool
bp_report_ok(void)
{
	return __atomic_fetch_add(&g_bp.reported, 1, __ATOMIC_RELAXED) < BP_MAX_REPORTED;
}

/* Results ------------------------------------------------------------------------------- */

struct bp_result {
	double iops;
	double mibps;
	double avg_us;
	double p50_us;
	double p99_us;
	double p999_us;
	uint64_t errors;
};

static double
ticks_to_us(uint64_t ticks)
{
	return (double)ticks * 1e6 / (double)vd_get_ticks_hz();
}

static void
result_latency(struct bp_result *r, const struct bp_hist *h)
{
	r->avg_us = h->count ? ticks_to_us(h->sum) / (double)h->count : 0;
	r->p50_us = ticks_to_us(bp_hist_percentile(h, 50));
	r->p99_us = ticks_to_us(bp_hist_percentile(h, 99));
	r->p999_us = ticks_to_us(bp_hist_percentile(h, 99.9));
}

static void
job_result(const struct bp_job *job, struct bp_result *r)
{
	double secs = 0;

	if (job->end_tsc > job->start_tsc && job->start_tsc != 0) {
		secs = (double)(job->end_tsc - job->start_tsc) / (double)vd_get_ticks_hz();
	}
	r->iops = secs > 0 ? (double)job->ios / secs : 0;
	r->mibps = secs > 0 ? (double)job->bytes / secs / (1024.0 * 1024.0) : 0;
	r->errors = job->errors;
	result_latency(r, &job->hist);
}

static struct json_object *
result_json(const struct bp_result *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "iops", json_object_new_double(r->iops));
	json_object_object_add(o, "mibps", json_object_new_double(r->mibps));
	json_object_object_add(o, "avg_us", json_object_new_double(r->avg_us));
	json_object_object_add(o, "p50_us", json_object_new_double(r->p50_us));
	json_object_object_add(o, "p99_us", json_object_new_double(r->p99_us));
	json_object_object_add(o, "p999_us", json_object_new_double(r->p999_us));
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)r->errors));
	return o;
}

static void
print_row(const char *name, const char *core, const struct bp_result *r, const char *note)
{
	printf("%-20s %4s %12.1f %10.2f %9.2f %9.2f %9.2f %9.2f %8" PRIu64 "%s\n", name, core,
	       r->iops, r->mibps, r->avg_us, r->p50_us, r->p99_us, r->p999_us, r->errors, note);
}

static void
write_json_result(struct json_object *total, struct json_object *jobs)
{
	json_object_object_add(total, "jobs", jobs);
	if (json_object_to_file_ext(g_bp.opts.json_result, total, JSON_C_TO_STRING_PRETTY) != 0) {
		fprintf(stderr, "bdevperf: cannot write %s: %s\n", g_bp.opts.json_result,
			json_util_get_last_err());
		g_bp.setup_failed = true;
	}
}

/* Print the summary table; \return the total number of errors. */
static uint64_t
print_summary(void)
{
	struct json_object *total_json = json_object_new_object();
	struct json_object *jobs_json = json_object_new_array();
	struct bp_result r, total = { 0 };
	struct bp_hist *all = calloc(1, sizeof(*all));
	char core[16];
	uint32_t i;

	printf("\n%-20s %4s %12s %10s %9s %9s %9s %9s %8s\n", "Job (bdev)", "Core", "IOPS",
	       "MiB/s", "avg_us", "p50_us", "p99_us", "p99.9_us", "errors");
	for (i = 0; i < g_bp.njobs; i++) {
		struct bp_job *job = &g_bp.jobs[i];
		struct json_object *jj;

		job_result(job, &r);
		snprintf(core, sizeof(core), "%u", job->core);
		print_row(job->bdev_name, core, &r, job->removed ? "  (bdev removed)" : "");
		total.iops += r.iops;
		total.mibps += r.mibps;
		total.errors += r.errors;
		if (all != NULL) {
			bp_hist_merge(all, &job->hist);
		}
		jj = result_json(&r);
		json_object_object_add(jj, "bdev", json_object_new_string(job->bdev_name));
		json_object_object_add(jj, "core", json_object_new_int64(job->core));
		json_object_object_add(jj, "miscompares", json_object_new_int64(job->miscompares));
		json_object_object_add(jj, "aborted", json_object_new_int64(job->aborted));
		json_object_object_add(jj, "removed", json_object_new_boolean(job->removed));
		json_object_array_add(jobs_json, jj);
	}
	if (all != NULL) {
		result_latency(&total, all);
	}
	print_row("Total", "", &total, "");
	fflush(stdout);
	json_object_put(total_json);
	total_json = result_json(&total);
	if (g_bp.opts.json_result != NULL) {
		write_json_result(total_json, jobs_json);
	} else {
		json_object_put(jobs_json);
	}
	json_object_put(total_json);
	free(all);
	return total.errors;
}

/* Run control (app thread) -------------------------------------------------------------- */

static void
bp_stop_all(void)
{
	uint32_t i;
	int rc;

	if (g_bp.stopping || g_bp.done) {
		return;
	}
	g_bp.stopping = true;
	for (i = 0; i < g_bp.njobs; i++) {
		/* -EIO: the job's thread already exited because its jobs finished. */
		rc = vd_thread_send_msg(g_bp.jobs[i].thread, bp_job_stop, &g_bp.jobs[i]);
		if (rc != 0 && rc != -EIO) {
			fprintf(stderr, "bdevperf: cannot stop job %u: %s\n", i, strerror(-rc));
		}
	}
}

static void
bp_progress(uint64_t now)
{
	uint64_t ios = 0, hz = vd_get_ticks_hz();
	double secs;
	uint32_t i;

	for (i = 0; i < g_bp.njobs; i++) {
		ios += __atomic_load_n(&g_bp.jobs[i].ios, __ATOMIC_RELAXED);
	}
	secs = (double)(now - g_bp.last_print_tsc) / (double)hz;
	printf("\r[%4" PRIu64 " s] %12.1f IOPS %10.2f MiB/s ", (now - g_bp.start_tsc) / hz,
	       (double)(ios - g_bp.last_ios) / secs,
	       (double)(ios - g_bp.last_ios) * (double)g_bp.opts.io_size / secs / 1048576.0);
	fflush(stdout);
	g_bp.last_ios = ios;
	g_bp.last_print_tsc = now;
}

static int
bp_tick(void *arg)
{
	uint64_t now = vd_get_ticks(), hz = vd_get_ticks_hz();

	if (g_bp.start_tsc == 0 || g_bp.stopping) {
		return VD_POLLER_IDLE;
	}
	if (isatty(STDOUT_FILENO) && now - g_bp.last_print_tsc >= hz) {
		bp_progress(now);
	}
	if (now - g_bp.start_tsc >= (uint64_t)g_bp.opts.time_s * hz) {
		bp_stop_all();
	}
	return VD_POLLER_BUSY;
}

void
bp_job_started(void *arg)
{
	struct bp_job *job = arg;

	g_bp.nstarted++;
	if (job->rc != 0) {
		fprintf(stderr, "bdevperf: job on core %u: %s\n", job->core, job->err);
		g_bp.setup_failed = true;
	}
	if (g_bp.nstarted < g_bp.njobs) {
		return;
	}
	if (g_bp.setup_failed) {
		bp_stop_all();
		return;
	}
	g_bp.start_tsc = g_bp.last_print_tsc = vd_get_ticks();
}

static int
bp_linger_done(void *arg)
{
	vd_poller_unregister(&g_bp.linger_poller);
	vd_app_stop(g_bp.exit_rc);
	return VD_POLLER_BUSY;
}

void
bp_job_finished(void *arg)
{
	uint64_t errors;

	if (++g_bp.nfinished < g_bp.njobs) {
		return;
	}
	vd_poller_unregister(&g_bp.tick_poller);
	if (isatty(STDOUT_FILENO)) {
		printf("\n");
	}
	g_bp.done = true;
	errors = print_summary();
	if (errors > 0) {
		fprintf(stderr, "bdevperf: %" PRIu64 " I/O errors or miscompares\n", errors);
	}
	g_bp.exit_rc = errors > 0 || g_bp.setup_failed ? 1 : 0;
	if (g_bp.opts.rpc_addr == NULL || vd_app_is_stopping()) {
		vd_app_stop(g_bp.exit_rc);
		return;
	}
	/* An RPC that removed the last bdev answers once the removal completed, just after
	 * this: let that answer go out before the server closes. */
	g_bp.linger_poller = vd_poller_register(bp_linger_done, NULL, BP_RPC_LINGER_US,
						"bdevperf_linger");
	if (g_bp.linger_poller == NULL) {
		vd_app_stop(g_bp.exit_rc);
	}
}

static void
bp_shutdown_cb(void *ctx)
{
	/* SIGINT/SIGTERM or framework stop: drain the jobs; bdev removal follows anyway. */
	bp_stop_all();
}

/* Start (app thread) -------------------------------------------------------------------- */

/* Check that \p bdev can run the workload; \return 0 or -EINVAL after saying why. */
static int
bp_check_bdev(struct vd_bdev *bdev)
{
	const struct bp_opts *o = &g_bp.opts;
	uint32_t bs = vd_bdev_get_block_size(bdev);
	const char *name = vd_bdev_get_name(bdev);
	enum vd_bdev_io_type type = bp_workload_io_type(o->workload);

	if (o->io_size % bs != 0) {
		fprintf(stderr, "bdevperf: %s: I/O size %" PRIu64 " is not a multiple of its "
			"block size %u\n", name, o->io_size, bs);
		return -EINVAL;
	}
	if (o->io_size / bs > vd_bdev_get_num_blocks(bdev)) {
		fprintf(stderr, "bdevperf: %s: I/O size %" PRIu64 " is larger than the bdev\n",
			name, o->io_size);
		return -EINVAL;
	}
	if (!vd_bdev_io_type_supported(bdev, type) ||
	    ((o->workload == BP_WL_VERIFY || o->workload == BP_WL_RW ||
	      o->workload == BP_WL_RANDRW) &&
	     !vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_READ))) {
		fprintf(stderr, "bdevperf: %s does not support %s\n", name,
			bp_workload_name(o->workload));
		return -EINVAL;
	}
	return 0;
}

/* Fill bdevs[] from -b (every name must exist) or with every registered bdev. */
static int
bp_collect_bdevs(struct vd_bdev **bdevs, uint32_t *count)
{
	struct vd_bdev *b;
	uint32_t i, n = 0;

	if (g_bp.opts.num_bdevs > 0) {
		for (i = 0; i < g_bp.opts.num_bdevs; i++) {
			b = vd_bdev_get_by_name(g_bp.opts.bdevs[i]);
			if (b == NULL) {
				fprintf(stderr, "bdevperf: no bdev named '%s'\n", g_bp.opts.bdevs[i]);
				return -ENODEV;
			}
			bdevs[n++] = b;
		}
	} else {
		for (b = vd_bdev_first(); b != NULL && n < BP_MAX_BDEVS; b = vd_bdev_next(b)) {
			bdevs[n++] = b;
		}
	}
	if (n == 0) {
		fprintf(stderr, "bdevperf: no bdevs to test (give a configuration with --json)\n");
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		if (bp_check_bdev(bdevs[i]) != 0) {
			return -EINVAL;
		}
	}
	*count = n;
	return 0;
}

static int
bp_create_workers(void)
{
	struct vd_cpuset mask;
	uint32_t core, i = 0;
	char name[32];

	g_bp.nworkers = vd_env_get_core_count();
	g_bp.workers = calloc(g_bp.nworkers, sizeof(*g_bp.workers));
	if (g_bp.workers == NULL) {
		return -ENOMEM;
	}
	for (core = vd_env_get_first_core(); core != UINT32_MAX && i < g_bp.nworkers;
	     core = vd_env_get_next_core(core), i++) {
		vd_cpuset_zero(&mask);
		vd_cpuset_set_cpu(&mask, core, true);
		snprintf(name, sizeof(name), "bdevperf_%u", core);
		g_bp.workers[i].core = core;
		g_bp.workers[i].thread = vd_thread_create(name, &mask);
		if (g_bp.workers[i].thread == NULL) {
			fprintf(stderr, "bdevperf: cannot create a thread on core %u\n", core);
			return -ENOMEM;
		}
	}
	g_bp.nworkers = i;
	return 0;
}

/* Verify jobs on the same bdev split its blocks; other workloads share the whole bdev. */
static int
bp_job_range(struct bp_job *job, struct vd_bdev *bdev, uint32_t w)
{
	uint64_t io_blocks = g_bp.opts.io_size / vd_bdev_get_block_size(bdev);
	uint64_t blocks = vd_bdev_get_num_blocks(bdev) / io_blocks * io_blocks;

	if (g_bp.opts.workload != BP_WL_VERIFY) {
		job->range_start = 0;
		job->range_blocks = blocks;
		return 0;
	}
	job->range_blocks = blocks / g_bp.nworkers / io_blocks * io_blocks;
	job->range_start = job->range_blocks * w;
	if (job->range_blocks == 0) {
		fprintf(stderr, "bdevperf: %s is too small for %u verify jobs of %" PRIu64
			" bytes\n", job->bdev_name, g_bp.nworkers, g_bp.opts.io_size);
		return -EINVAL;
	}
	return 0;
}

static int
bp_create_jobs(struct vd_bdev **bdevs, uint32_t nbdevs)
{
	struct bp_job *job;
	uint32_t w, b;
	int rc;

	g_bp.njobs = g_bp.nworkers * nbdevs;
	g_bp.jobs = calloc(g_bp.njobs, sizeof(*g_bp.jobs));
	if (g_bp.jobs == NULL) {
		return -ENOMEM;
	}
	for (w = 0; w < g_bp.nworkers; w++) {
		for (b = 0; b < nbdevs; b++) {
			job = &g_bp.jobs[w * nbdevs + b];
			job->opts = &g_bp.opts;
			vd_strcpy_trunc(job->bdev_name, sizeof(job->bdev_name),
					vd_bdev_get_name(bdevs[b]));
			job->core = g_bp.workers[w].core;
			job->thread = g_bp.workers[w].thread;
			job->worker = &g_bp.workers[w];
			job->seed = (uint64_t)(w + 1) * 1000003u + b + 1;
			g_bp.workers[w].njobs++;
			rc = bp_job_range(job, bdevs[b], w);
			if (rc != 0) {
				return rc;
			}
		}
	}
	return 0;
}

/* Ask the workers to exit when no job could be sent to them. */
static void
bp_worker_exit(void *arg)
{
	vd_thread_exit(vd_get_thread());
}

static void
bp_start(void *ctx)
{
	struct vd_bdev *bdevs[BP_MAX_BDEVS];
	uint32_t nbdevs = 0, i;
	int rc;

	vd_app_set_shutdown_cb(bp_shutdown_cb, NULL);
	rc = bp_collect_bdevs(bdevs, &nbdevs);
	if (rc == 0) {
		rc = bp_create_workers();
	}
	if (rc == 0) {
		rc = bp_create_jobs(bdevs, nbdevs);
	}
	if (rc == 0) {
		g_bp.tick_poller = vd_poller_register(bp_tick, NULL, BP_TICK_US, "bdevperf_tick");
		rc = g_bp.tick_poller == NULL ? -ENOMEM : 0;
	}
	if (rc != 0) {
		g_bp.setup_failed = true;
		g_bp.done = true;
		g_bp.exit_rc = 1;
		for (i = 0; g_bp.workers != NULL && i < g_bp.nworkers; i++) {
			if (g_bp.workers[i].thread != NULL) {
				vd_thread_send_msg(g_bp.workers[i].thread, bp_worker_exit, NULL);
			}
		}
		vd_app_stop(1);
		return;
	}
	printf("Running %s, queue depth %u, I/O size %" PRIu64 " bytes, %u s, %u job(s)\n",
	       bp_workload_name(g_bp.opts.workload), g_bp.opts.qd, g_bp.opts.io_size,
	       g_bp.opts.time_s, g_bp.njobs);
	fflush(stdout);
	for (i = 0; i < g_bp.njobs; i++) {
		vd_thread_send_msg(g_bp.jobs[i].thread, bp_job_start, &g_bp.jobs[i]);
	}
}

/* Options ------------------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bdevperf --json CONFIG -q QD -o SIZE -w WORKLOAD -t SECONDS [options]\n"
		"  --json FILE         configuration creating the bdevs (as vhostd -c)\n"
		"  -q QD               I/O in flight per job (1..%d, default 32)\n"
		"  -o SIZE             I/O size in bytes, k/M suffixes allowed (default 4k)\n"
		"  -w WORKLOAD         read write randread randwrite rw randrw verify unmap flush\n"
		"                      write_zeroes (default randread)\n"
		"  -M PERCENT          reads in rw/randrw (default 50)\n"
		"  -t SECONDS          run time (default 5)\n"
		"  -m CPUMASK          reactor cores; one job per core and bdev (default 0x1)\n"
		"  -s MB               memory to reserve (default: on demand)\n"
		"  --no-huge           use anonymous memory instead of hugepages\n"
		"  -b BDEV             test only this bdev (repeatable; default: all)\n"
		"  -r PATH             also serve JSON-RPC on PATH (to change bdevs under load)\n"
		"  --json-result FILE  write the results as JSON\n"
		"  -h, --help          this text\n", BP_MAX_QD);
}

/* "4096", "4k", "128K", "1M", "1g". */
static int
parse_size(const char *str, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(str, &end, 0);
	if (errno != 0 || end == str || str[0] == '-') {
		return -EINVAL;
	}
	if (*end == 'k' || *end == 'K') {
		mult = 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		mult = 1024 * 1024;
		end++;
	} else if (*end == 'g' || *end == 'G') {
		mult = 1024 * 1024 * 1024;
		end++;
	}
	if (*end != '\0' || v > UINT64_MAX / mult) {
		return -EINVAL;
	}
	*out = v * mult;
	return 0;
}

static int
parse_u32(const char *str, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (vd_strtou64(str, &v) != 0 || v < min || v > max) {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

enum {
	OPT_JSON = 256,
	OPT_JSON_RESULT,
	OPT_NO_HUGE,
};

static const struct option g_long_opts[] = {
	{ "json", required_argument, NULL, OPT_JSON },
	{ "json-result", required_argument, NULL, OPT_JSON_RESULT },
	{ "no-huge", no_argument, NULL, OPT_NO_HUGE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
parse_one(int c, const char *arg, struct bp_opts *o)
{
	switch (c) {
	case OPT_JSON:
		o->json_config = arg;
		return 0;
	case OPT_JSON_RESULT:
		o->json_result = arg;
		return 0;
	case OPT_NO_HUGE:
		o->no_huge = true;
		return 0;
	case 'm':
		o->cpumask = arg;
		return 0;
	case 'r':
		o->rpc_addr = arg;
		return 0;
	case 'q':
		return parse_u32(arg, 1, BP_MAX_QD, &o->qd);
	case 'M':
		return parse_u32(arg, 0, 100, &o->read_pct);
	case 't':
		return parse_u32(arg, 1, 86400, &o->time_s);
	case 's':
		return parse_u32(arg, 1, 1024 * 1024, &o->mem_mb);
	case 'w':
		return bp_workload_parse(arg, &o->workload);
	case 'o':
		if (parse_size(arg, &o->io_size) != 0 || o->io_size == 0 ||
		    o->io_size > BP_MAX_IO_SIZE) {
			return -EINVAL;
		}
		return 0;
	case 'b':
		if (o->num_bdevs >= BP_MAX_BDEVS) {
			return -E2BIG;
		}
		o->bdevs[o->num_bdevs++] = arg;
		return 0;
	default:
		return -EINVAL;
	}
}

/* \return 0, 1 for --help, or -EINVAL after printing why. */
static int
parse_args(int argc, char **argv, struct bp_opts *o)
{
	int c;

	*o = (struct bp_opts) {
		.cpumask = "0x1", .qd = 32, .io_size = 4096, .workload = BP_WL_RANDREAD,
		.read_pct = 50, .time_s = 5,
	};
	while ((c = getopt_long(argc, argv, "q:o:w:M:t:m:s:b:r:h", g_long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || parse_one(c, optarg, o) != 0) {
			if (c != '?') {
				fprintf(stderr, "bdevperf: invalid value '%s' for option %s%c\n",
					optarg, c >= OPT_JSON ? "--" : "-", c >= OPT_JSON ? ' ' : c);
			}
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bdevperf: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->io_size % 512 != 0 && o->workload != BP_WL_FLUSH) {
		fprintf(stderr, "bdevperf: I/O size must be a multiple of 512 bytes\n");
		return -EINVAL;
	}
	return 0;
}

static void
register_modules(void)
{
	vd_bdev_module_register(&vd_bdev_malloc_module);
	vd_bdev_module_register(&vd_bdev_null_module);
	vd_bdev_module_register(&vd_bdev_aio_module);
	vd_bdev_module_register(&vd_bdev_uring_module);
	vd_bdev_module_register(&vd_bdev_virtio_module);
	vd_bdev_module_register(&vd_bdev_vhost_nvme_module);
	vd_subsystem_register(vd_bdev_subsystem());
	vd_rpc_rpc_register();
	vd_bdev_rpc_register();
	vd_bdev_malloc_rpc_register();
	vd_bdev_null_rpc_register();
	vd_bdev_aio_rpc_register();
	vd_bdev_uring_rpc_register();
	vd_bdev_virtio_rpc_register();
	vd_bdev_vhost_nvme_rpc_register();
}

int
main(int argc, char **argv)
{
	struct vd_app_opts app;
	int rc;

	rc = parse_args(argc, argv, &g_bp.opts);
	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	register_modules();
	vd_app_opts_init(&app);
	app.name = "bdevperf";
	app.reactor_mask = g_bp.opts.cpumask;
	app.mem_size_mb = g_bp.opts.mem_mb;
	app.no_huge = g_bp.opts.no_huge;
	app.json_config_file = g_bp.opts.json_config;
	app.rpc_addr = g_bp.opts.rpc_addr;
	rc = vd_app_start(&app, bp_start, NULL);
	vd_app_fini();
	free(g_bp.jobs);
	free(g_bp.workers);
	vd_rpc_unregister_all();
	if (rc < 0 || !g_bp.done) {
		fprintf(stderr, "bdevperf: set-up failed%s%s\n", rc < 0 ? ": " : "",
			rc < 0 ? strerror(-rc) : "");
		return 1;
	}
	return g_bp.exit_rc;
}
