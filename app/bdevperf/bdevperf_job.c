/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * bdevperf's I/O engine: one job drives one bdev from one thread with a fixed set of tasks
 * (queue depth), each owning its DMA buffers.  Everything here runs on the job's thread.
 *
 * Job states and transitions:
 *   set up   bp_job_start(): open (read-only for read workloads), channel, tasks; every task
 *            submits its first I/O; the app thread hears bp_job_started
 *   running  task_done() → task_next(): each completion submits the task's next I/O
 *   stopping bp_job_stop() (end of -t, or shutdown) or a REMOVE event: completions retire
 *            their task instead of resubmitting
 *   finished job_finish() once no task is outstanding (outstanding counts tasks with an I/O
 *            submitted or waiting in the bdev's io_wait queue): buffers freed, channel put,
 *            descriptor closed, the app thread hears bp_job_finished
 *
 * Verify: the job owns a block range no other job touches (split by the app thread).  A task
 * writes a pattern derived from (byte offset, job seed, generation) to the next io_size of the
 * range, reads it back into a second buffer and compares every byte.  The generation increases
 * each time the job wraps around its range, so stale data from the previous pass is caught.
 * Tasks take disjoint offsets because the range is at least queue depth × io_size.
 *
 * I/O that fails after the bdev was removed (or with ABORTED status) counts as aborted, not as
 * an error: removal is an expected end of a job.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/env.h"
#include "vhostd/util.h"
#include "bdevperf.h"

struct bp_task {
	struct bp_job *job;
	void *buf;
	void *rbuf;			/* verify: read-back buffer */
	uint64_t offset;		/* blocks */
	uint64_t generation;
	enum vd_bdev_io_type type;
	uint64_t submit_tsc;
	struct vd_bdev_io_wait_entry wait;
};

static const struct {
	const char *name;
	enum bp_workload wl;
	enum vd_bdev_io_type type;	/* the I/O type that must be supported */
} g_workloads[] = {
	{ "read", BP_WL_READ, VD_BDEV_IO_TYPE_READ },
	{ "write", BP_WL_WRITE, VD_BDEV_IO_TYPE_WRITE },
	{ "randread", BP_WL_RANDREAD, VD_BDEV_IO_TYPE_READ },
	{ "randwrite", BP_WL_RANDWRITE, VD_BDEV_IO_TYPE_WRITE },
	{ "rw", BP_WL_RW, VD_BDEV_IO_TYPE_WRITE },
	{ "randrw", BP_WL_RANDRW, VD_BDEV_IO_TYPE_WRITE },
	{ "verify", BP_WL_VERIFY, VD_BDEV_IO_TYPE_WRITE },
	{ "unmap", BP_WL_UNMAP, VD_BDEV_IO_TYPE_UNMAP },
	{ "flush", BP_WL_FLUSH, VD_BDEV_IO_TYPE_FLUSH },
	{ "write_zeroes", BP_WL_WRITE_ZEROES, VD_BDEV_IO_TYPE_WRITE_ZEROES },
};

int
bp_workload_parse(const char *str, enum bp_workload *wl)
{
	size_t i;

	for (i = 0; i < VD_COUNTOF(g_workloads); i++) {
		if (strcmp(str, g_workloads[i].name) == 0) {
			*wl = g_workloads[i].wl;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
bp_workload_name(enum bp_workload wl)
{
	return g_workloads[wl].name;
}

enum vd_bdev_io_type
bp_workload_io_type(enum bp_workload wl)
{
	return g_workloads[wl].type;
}

static void job_maybe_finish(struct bp_job *job);
static void task_submit(struct bp_task *t);

/* Offsets and patterns ------------------------------------------------------------------ */

static uint64_t
job_rand(struct bp_job *job)
{
	/* xorshift64*: cheap, per job, good enough to spread offsets. */
	job->rng ^= job->rng >> 12;
	job->rng ^= job->rng << 25;
	job->rng ^= job->rng >> 27;
	return job->rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t
job_seq_offset(struct bp_job *job, uint64_t *generation)
{
	uint64_t off = job->next_offset;

	*generation = job->generation;
	job->next_offset += job->io_blocks;
	if (job->next_offset + job->io_blocks > job->range_start + job->range_blocks) {
		job->next_offset = job->range_start;
		job->generation++;
	}
	return off;
}

static uint64_t
job_rand_offset(struct bp_job *job)
{
	uint64_t slots = job->range_blocks / job->io_blocks;

	return job->range_start + (job_rand(job) % slots) * job->io_blocks;
}

static void
pattern_fill(uint64_t *w, uint64_t len, uint64_t byte_off, uint64_t seed, uint64_t gen)
{
	uint64_t base = (seed * 0x9E3779B97F4A7C15ULL) ^ (gen * 0xC2B2AE3D27D4EB4FULL);
	uint64_t i;

	for (i = 0; i < len / 8; i++) {
		w[i] = base ^ (byte_off + i * 8);
	}
}

/* Completion ---------------------------------------------------------------------------- */

static void
task_retire(struct bp_task *t)
{
	t->job->outstanding--;
	job_maybe_finish(t->job);
}

static void
task_verify(struct bp_task *t)
{
	struct bp_job *job = t->job;
	const uint8_t *exp = t->buf, *got = t->rbuf;
	uint64_t len = job->opts->io_size, i;

	if (memcmp(exp, got, len) == 0) {
		return;
	}
	for (i = 0; i < len && exp[i] == got[i]; i++) {
	}
	job->miscompares++;
	job->errors++;
	if (bp_report_ok()) {
		fprintf(stderr, "bdevperf: %s (core %u): miscompare at byte offset %" PRIu64
			" (block %" PRIu64 " + %" PRIu64 "): expected 0x%02x, read 0x%02x\n",
			job->bdev_name, job->core, t->offset * job->block_size + i,
			t->offset + i / job->block_size, i % job->block_size, exp[i], got[i]);
	}
}

static void
task_failed(struct bp_task *t, struct vd_bdev_io *io)
{
	struct bp_job *job = t->job;
	int err = vd_bdev_io_get_errno(io);

	if (job->removed || vd_bdev_io_get_status(io) == VD_BDEV_IO_STATUS_ABORTED) {
		job->aborted++;
		return;
	}
	job->errors++;
	if (bp_report_ok()) {
		fprintf(stderr, "bdevperf: %s (core %u): %s of %" PRIu64 " blocks at block %" PRIu64
			" failed: %s\n", job->bdev_name, job->core, vd_bdev_io_type_name(t->type),
			job->io_blocks, t->offset, strerror(err < 0 ? -err : EIO));
	}
}

/* Pick the task's next I/O and submit it, or retire the task when the job stops. */
static void
task_next(struct bp_task *t)
{
	struct bp_job *job = t->job;
	enum bp_workload wl = job->opts->workload;

	if (job->stopping) {
		task_retire(t);
		return;
	}
	t->type = bp_workload_io_type(wl);
	switch (wl) {
	case BP_WL_RANDREAD:
	case BP_WL_RANDWRITE:
		t->offset = job_rand_offset(job);
		break;
	case BP_WL_RANDRW:
		t->offset = job_rand_offset(job);
		t->type = job_rand(job) % 100 < job->opts->read_pct ? VD_BDEV_IO_TYPE_READ :
			  VD_BDEV_IO_TYPE_WRITE;
		break;
	case BP_WL_RW:
		t->offset = job_seq_offset(job, &t->generation);
		t->type = job_rand(job) % 100 < job->opts->read_pct ? VD_BDEV_IO_TYPE_READ :
			  VD_BDEV_IO_TYPE_WRITE;
		break;
	case BP_WL_VERIFY:
		t->offset = job_seq_offset(job, &t->generation);
		pattern_fill(t->buf, job->opts->io_size, t->offset * job->block_size, job->seed,
			     t->generation);
		break;
	default:
		t->offset = job_seq_offset(job, &t->generation);
		break;
	}
	task_submit(t);
}

static void
task_done(struct vd_bdev_io *io, bool success, void *arg)
{
	struct bp_task *t = arg;
	struct bp_job *job = t->job;

	bp_hist_add(&job->hist, vd_get_ticks() - t->submit_tsc);
	__atomic_store_n(&job->ios, job->ios + 1, __ATOMIC_RELAXED);
	if (success) {
		__atomic_store_n(&job->bytes, job->bytes + job->opts->io_size, __ATOMIC_RELAXED);
	} else {
		task_failed(t, io);
	}
	vd_bdev_free_io(io);
	if (success && job->opts->workload == BP_WL_VERIFY && !job->stopping) {
		if (t->type == VD_BDEV_IO_TYPE_WRITE) {
			t->type = VD_BDEV_IO_TYPE_READ;
			task_submit(t);
			return;
		}
		task_verify(t);
	}
	task_next(t);
}

/* Submission ---------------------------------------------------------------------------- */

static void
task_retry(void *arg)
{
	struct bp_task *t = arg;

	if (t->job->stopping) {
		task_retire(t);
		return;
	}
	task_submit(t);
}

static int
task_issue(struct bp_task *t)
{
	struct bp_job *job = t->job;
	uint64_t nb = job->io_blocks;

	switch (t->type) {
	case VD_BDEV_IO_TYPE_READ:
		return vd_bdev_read_blocks(job->desc, job->ch,
					   job->opts->workload == BP_WL_VERIFY ? t->rbuf : t->buf,
					   t->offset, nb, task_done, t);
	case VD_BDEV_IO_TYPE_WRITE:
		return vd_bdev_write_blocks(job->desc, job->ch, t->buf, t->offset, nb, task_done,
					    t);
	case VD_BDEV_IO_TYPE_UNMAP:
		return vd_bdev_unmap_blocks(job->desc, job->ch, t->offset, nb, task_done, t);
	case VD_BDEV_IO_TYPE_FLUSH:
		return vd_bdev_flush_blocks(job->desc, job->ch, t->offset, nb, task_done, t);
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		return vd_bdev_write_zeroes_blocks(job->desc, job->ch, t->offset, nb, task_done,
						   t);
	default:
		return -EINVAL;
	}
}

static void
task_submit(struct bp_task *t)
{
	struct bp_job *job = t->job;
	int rc;

	t->submit_tsc = vd_get_ticks();
	rc = task_issue(t);
	if (rc == 0) {
		return;
	}
	if (rc == -ENOMEM) {
		t->wait.bdev = vd_bdev_desc_get_bdev(job->desc);
		t->wait.cb_fn = task_retry;
		t->wait.cb_arg = t;
		if (vd_bdev_queue_io_wait(t->wait.bdev, job->ch, &t->wait) == 0) {
			return;
		}
	}
	/* A synchronous failure would repeat at every attempt: stop the job. */
	if (rc == -ENODEV) {
		job->removed = true;
	} else {
		job->errors++;
		if (bp_report_ok()) {
			fprintf(stderr, "bdevperf: %s (core %u): cannot submit %s: %s\n",
				job->bdev_name, job->core, vd_bdev_io_type_name(t->type),
				strerror(-rc));
		}
	}
	job->stopping = true;
	task_retire(t);
}

/* Set-up and tear-down ------------------------------------------------------------------ */

static void
job_event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	struct bp_job *job = ctx;

	if (type != VD_BDEV_EVENT_REMOVE || job->finished) {
		return;
	}
	fprintf(stderr, "bdevperf: %s (core %u): bdev removed, stopping the job\n",
		job->bdev_name, job->core);
	job->removed = true;
	job->stopping = true;
	job_maybe_finish(job);
}

static void
job_release(struct bp_job *job)
{
	uint32_t i;

	for (i = 0; job->tasks != NULL && i < job->ntasks; i++) {
		vd_dma_free(job->tasks[i].buf);
		vd_dma_free(job->tasks[i].rbuf);
	}
	free(job->tasks);
	job->tasks = NULL;
	if (job->ch != NULL) {
		vd_put_io_channel(job->ch);
		job->ch = NULL;
	}
	if (job->desc != NULL) {
		vd_bdev_close(job->desc);
		job->desc = NULL;
	}
}

static void
job_finish(struct bp_job *job)
{
	struct bp_worker *worker = job->worker;

	job->finished = true;
	job->end_tsc = vd_get_ticks();
	job_release(job);
	vd_thread_send_msg(vd_thread_get_app_thread(), bp_job_finished, job);
	if (++worker->nfinished == worker->njobs) {
		vd_thread_exit(vd_get_thread());
	}
}

/* bp_job_start() holds an extra outstanding reference while it submits the first I/O. */
static void
job_maybe_finish(struct bp_job *job)
{
	if (job->stopping && !job->finished && job->outstanding == 0 && job->tasks != NULL) {
		job_finish(job);
	}
}

static int
job_alloc_tasks(struct bp_job *job, struct vd_bdev *bdev)
{
	size_t align = VD_MAX(vd_bdev_get_buf_align(bdev), VD_CACHE_LINE);
	bool verify = job->opts->workload == BP_WL_VERIFY;
	uint64_t len = job->opts->io_size;
	uint32_t i;

	job->tasks = calloc(job->ntasks, sizeof(*job->tasks));
	if (job->tasks == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < job->ntasks; i++) {
		job->tasks[i].job = job;
		job->tasks[i].buf = vd_dma_zmalloc(len, align);
		if (job->tasks[i].buf == NULL) {
			return -ENOMEM;
		}
		if (verify) {
			job->tasks[i].rbuf = vd_dma_zmalloc(len, align);
			if (job->tasks[i].rbuf == NULL) {
				return -ENOMEM;
			}
		} else {
			pattern_fill(job->tasks[i].buf, len, 0, job->seed, 0);
		}
	}
	return 0;
}

static int
job_setup(struct bp_job *job)
{
	enum bp_workload wl = job->opts->workload;
	bool write = wl != BP_WL_READ && wl != BP_WL_RANDREAD;
	struct vd_bdev *bdev;
	int rc;

	rc = vd_bdev_open_ext(job->bdev_name, write, job_event_cb, job, &job->desc);
	if (rc != 0) {
		snprintf(job->err, sizeof(job->err), "cannot open bdev %s: %s", job->bdev_name,
			 strerror(-rc));
		return rc;
	}
	bdev = vd_bdev_desc_get_bdev(job->desc);
	job->ch = vd_bdev_get_io_channel(job->desc);
	if (job->ch == NULL) {
		snprintf(job->err, sizeof(job->err), "cannot get an I/O channel for %s",
			 job->bdev_name);
		return -ENOMEM;
	}
	job->block_size = vd_bdev_get_block_size(bdev);
	job->io_blocks = job->opts->io_size / job->block_size;
	job->ntasks = job->opts->qd;
	if (wl == BP_WL_VERIFY) {
		/* Disjoint offsets in flight: no more tasks than io_size slots in the range. */
		job->ntasks = (uint32_t)VD_MIN((uint64_t)job->ntasks,
					       job->range_blocks / job->io_blocks);
	}
	job->rng = job->seed | 1;
	job->next_offset = job->range_start;
	job->generation = 1;
	rc = job_alloc_tasks(job, bdev);
	if (rc != 0) {
		snprintf(job->err, sizeof(job->err), "cannot allocate %u buffers of %" PRIu64
			 " bytes for %s (raise -s?)", job->ntasks, job->opts->io_size,
			 job->bdev_name);
	}
	return rc;
}

void
bp_job_start(void *arg)
{
	struct bp_job *job = arg;
	uint32_t i;

	job->rc = job_setup(job);
	if (job->rc != 0) {
		job->stopping = true;
		vd_thread_send_msg(vd_thread_get_app_thread(), bp_job_started, job);
		job_finish(job);
		return;
	}
	job->start_tsc = vd_get_ticks();
	/* Hold one extra reference so no completion can finish the job inside this loop. */
	job->outstanding = job->ntasks + 1;
	for (i = 0; i < job->ntasks && !job->stopping; i++) {
		task_next(&job->tasks[i]);
	}
	job->outstanding -= 1 + (job->ntasks - i);
	vd_thread_send_msg(vd_thread_get_app_thread(), bp_job_started, job);
	job_maybe_finish(job);
}

void
bp_job_stop(void *arg)
{
	struct bp_job *job = arg;

	if (job->finished) {
		return;
	}
	job->stopping = true;
	job_maybe_finish(job);
}
