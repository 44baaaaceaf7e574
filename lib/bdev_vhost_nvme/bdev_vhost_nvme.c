/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhost-nvme bdev module: controllers, namespaces as bdevs, channels and the I/O path.
 *
 * Controller states (app thread):
 *   ATTACHING: vd_bdev_vhost_nvme_attach() allocates the front-end's arena in env memory,
 *              collects the env memory regions and starts attach_worker() on a helper OS
 *              thread (vd_nvme_fe_connect + vd_nvme_fe_enable block, bounded by timeout_ms per
 *              step).  The worker's last act is a message to the app thread: attach_finish()
 *              registers the bdevs -> ACTIVE and answers attach_cb; a failure frees everything
 *              and reports through attach_cb.
 *   ACTIVE -> REMOVING: detach, or the watch poller (10 ms) finding the connection lost:
 *              every bdev is unregistered.  disk_destruct() of the last one returns "later"
 *              and unregisters the io_device.
 *   REMOVING -> CLOSING: once every channel is gone (ctrlr_io_device_gone), close_worker()
 *              runs on a helper thread: CC.EN = 0 and wait for CSTS.RDY = 0 when the target is
 *              still there (after that it never touches our memory), then close.  Its message
 *              close_finish() frees the arena and the controller, completes the last disk's
 *              destruct and calls detach_cb.
 * g_nvme_imod lists every controller (the skeleton is include/vhostd_internal/bdev_initiator.h);
 * it is touched on the app thread only.  Helper threads touch
 * only c->fe and c->worker_rc of their controller, handed over by the message.
 *
 * Channels: the controller is the io_device; each thread's channel claims one I/O queue pair
 * (atomic bit in queue_mask) and polls its CQ.  A READ/WRITE is split into commands of at most
 * chunk_blocks (MDTS, 1 MiB, NLB limits); all must fit in the queue at once, else the I/O is
 * completed NOMEM and retried by the bdev layer.  No allocation on the I/O path: per-I/O state
 * is the bdev_io's driver context and PRP lists live in the front-end's per-slot pages.
 * When the connection is lost, the poller fails every outstanding command (-ENOTCONN: whether
 * it executed is unknown) and new I/O fails at once.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/env.h"
#include "vhostd/thread.h"
#include "bdev_vhost_nvme_internal.h"

VD_LOG_FLAG_DEFINE(bdev_vhost_nvme);

#define WATCH_PERIOD_US 10000
#define ABORT_STATUS NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORTED_SQ_DELETION)

struct nvme_channel {
	struct nvme_ctrlr *ctrlr;
	struct vd_nvme_fe *fe;
	uint16_t qid;
	struct vd_poller *poller;
	struct vd_log_ratelimit rl;
};

/* driver_ctx of each bdev_io */
struct nvme_task {
	uint32_t inflight;
	int err; /* first failure: -EIO (NVMe status), -ENOTCONN (target lost), submit error */
};

static struct vd_bdev_initiator_module g_nvme_imod;

/* Pure helpers ------------------------------------------------------------------------------ */

int
nvme_iov_take(struct nvme_iov_cursor *cur, uint64_t len, struct iovec *out, int max)
{
	uint64_t n;
	int cnt = 0;

	while (len > 0) {
		if (cur->idx >= cur->iovcnt || cnt == max) {
			return -EINVAL;
		}
		n = VD_MIN(len, (uint64_t)cur->iov[cur->idx].iov_len - cur->off);
		if (n > 0) {
			out[cnt].iov_base = (uint8_t *)cur->iov[cur->idx].iov_base + cur->off;
			out[cnt].iov_len = n;
			cnt++;
		}
		len -= n;
		cur->off += n;
		if (cur->off == cur->iov[cur->idx].iov_len) {
			cur->idx++;
			cur->off = 0;
		}
	}
	return cnt;
}

uint32_t
nvme_chunk_blocks(uint64_t max_xfer, uint32_t blocklen)
{
	uint64_t n = blocklen != 0 ? max_xfer / blocklen : 1;

	return (uint32_t)VD_MAX(VD_MIN(n, (uint64_t)NVME_BDEV_MAX_NLB), (uint64_t)1);
}

uint64_t
nvme_max_xfer(uint8_t mdts)
{
	if (mdts == 0 || mdts >= 20) {
		return NVME_BDEV_MAX_XFER;
	}
	return VD_MIN(4096ull << mdts, (uint64_t)NVME_BDEV_MAX_XFER);
}

/* I/O path ---------------------------------------------------------------------------------- */

static inline struct vd_bdev_io *
task_to_io(struct nvme_task *t)
{
	return VD_CONTAINEROF((void *)t, struct vd_bdev_io, driver_ctx);
}

static void
task_finish(struct nvme_task *t)
{
	vd_bdev_io_complete_errno(task_to_io(t), t->err);
}

static void
cmd_done(void *arg, const struct nvme_cqe *cqe)
{
	struct nvme_task *t = arg;
	uint16_t st = NVME_CQE_TO_STATUS(cqe->status);

	if (vd_unlikely(st != 0)) {
		VD_DEBUGLOG(bdev_vhost_nvme, "command cid %u failed: status 0x%03x\n", cqe->cid,
			    st);
		if (t->err == 0) {
			t->err = st == ABORT_STATUS ? -ENOTCONN : -EIO;
		}
	}
	if (--t->inflight == 0) {
		task_finish(t);
	}
}

static void
fail_io(struct nvme_channel *ch, struct vd_bdev_io *io, int rc)
{
	if (rc == -EFAULT && vd_log_ratelimit_ok(&ch->rl, 1)) {
		VD_ERRLOG("vhost-nvme %s: I/O buffer outside the memory shared with the target "
			  "(allocate buffers with vd_dma_malloc before attaching, or preallocate "
			  "env memory)\n",
			  ch->ctrlr->base.name);
	} else if (rc == -EINVAL && vd_log_ratelimit_ok(&ch->rl, 1)) {
		VD_ERRLOG("vhost-nvme %s: I/O of %d buffers cannot be described by PRPs (inner "
			  "buffer boundaries must be 4 KiB aligned) or needs more commands than a "
			  "queue holds\n",
			  ch->ctrlr->base.name, io->iovcnt);
	}
	vd_bdev_io_complete_errno(io, rc);
}

/* Submit the commands of one I/O.  \return 0 when at least one is in flight, else -errno. */
static int
submit_cmds(struct nvme_channel *ch, struct nvme_disk *d, struct vd_bdev_io *io, uint8_t opc,
	    uint32_t chunk)
{
	struct nvme_task *t = vd_bdev_io_get_driver_ctx(io);
	struct nvme_iov_cursor cur = {.iov = io->iovs, .iovcnt = io->iovcnt};
	struct iovec iov[NVME_BDEV_MAX_CMD_IOVS];
	uint64_t lba = io->offset_blocks, end = lba + io->num_blocks;
	struct nvme_sqe sqe;
	uint32_t nlb;
	int n = 0, rc = 0;

	for (; lba < end; lba += nlb) {
		nlb = (uint32_t)VD_MIN((uint64_t)chunk, end - lba);
		vd_nvme_fe_sqe_rw(&sqe, opc, d->nsid, lba, nlb);
		if (opc == NVME_OPC_WRITE_ZEROES) {
			rc = vd_nvme_fe_submit(ch->fe, ch->qid, &sqe, NULL, 0, cmd_done, t);
		} else {
			n = nvme_iov_take(&cur, (uint64_t)nlb * d->base.bdev.blocklen, iov,
					  (int)VD_COUNTOF(iov));
			rc = n < 0 ? n
				   : vd_nvme_fe_submit_iov(ch->fe, ch->qid, &sqe, iov, n, cmd_done,
							   t);
		}
		if (rc != 0) {
			break;
		}
		t->inflight++;
	}
	if (rc != 0) {
		/* Commands already sent complete the I/O (as failed) when they are done. */
		t->err = rc == -EAGAIN ? -EIO : rc;
		return t->inflight > 0 ? 0 : t->err;
	}
	return 0;
}

static void
submit_split(struct nvme_channel *ch, struct vd_bdev_io *io, uint8_t opc, uint32_t chunk)
{
	struct nvme_disk *d = io->bdev->ctxt;
	uint64_t ncmds = (io->num_blocks + chunk - 1) / chunk;
	uint32_t room = (uint32_t)ch->ctrlr->queue_size - 1;
	int rc;

	if (ncmds > room) {
		fail_io(ch, io, -EINVAL);
		return;
	}
	if (ncmds + vd_nvme_fe_outstanding(ch->fe, ch->qid) > room) {
		vd_bdev_io_complete(io, VD_BDEV_IO_STATUS_NOMEM);
		return;
	}
	rc = submit_cmds(ch, d, io, opc, chunk);
	if (rc != 0) {
		fail_io(ch, io, rc);
	}
}

static void
nvme_submit(struct vd_io_channel *ioch, struct vd_bdev_io *io)
{
	struct nvme_channel *ch = vd_io_channel_get_ctx(ioch);
	struct nvme_task *t = vd_bdev_io_get_driver_ctx(io);
	struct nvme_disk *d = io->bdev->ctxt;

	if (vd_unlikely(!vd_nvme_fe_connected(ch->fe))) {
		vd_bdev_io_complete_errno(io, -ENOTCONN);
		return;
	}
	memset(t, 0, sizeof(*t));
	switch (io->type) {
	case VD_BDEV_IO_TYPE_READ:
		submit_split(ch, io, NVME_OPC_READ, d->chunk_blocks);
		break;
	case VD_BDEV_IO_TYPE_WRITE:
		submit_split(ch, io, NVME_OPC_WRITE, d->chunk_blocks);
		break;
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		submit_split(ch, io, NVME_OPC_WRITE_ZEROES, NVME_BDEV_MAX_NLB);
		break;
	case VD_BDEV_IO_TYPE_FLUSH:
		submit_split(ch, io, NVME_OPC_FLUSH, UINT32_MAX);
		break;
	default:
		vd_bdev_io_complete_errno(io, -ENOTSUP);
		break;
	}
}

static int
channel_poll(void *arg)
{
	struct nvme_channel *ch = arg;

	if (vd_unlikely(!vd_nvme_fe_connected(ch->fe))) {
		if (vd_nvme_fe_outstanding(ch->fe, ch->qid) == 0) {
			return VD_POLLER_IDLE;
		}
		/* The target is gone: whether these commands executed is unknown. */
		VD_ERRLOG("vhost-nvme %s: connection lost: failing %u outstanding command(s) of "
			  "I/O queue %u\n",
			  ch->ctrlr->base.name, vd_nvme_fe_outstanding(ch->fe, ch->qid), ch->qid);
		vd_nvme_fe_abort_queue(ch->fe, ch->qid, ABORT_STATUS);
		return VD_POLLER_BUSY;
	}
	return vd_nvme_fe_poll(ch->fe, ch->qid) > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static int
channel_create(void *io_device, void *ctx_buf)
{
	struct nvme_ctrlr *c = io_device;
	struct nvme_channel *ch = ctx_buf;
	uint32_t mask = __atomic_load_n(&c->queue_mask, __ATOMIC_ACQUIRE), nq;
	uint16_t q;

	nq = c->num_io_queues;
	for (q = 1; q <= nq;) {
		if (mask & (1u << q)) {
			q++;
		} else if (__atomic_compare_exchange_n(&c->queue_mask, &mask, mask | (1u << q),
						       false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			break;
		}
		/* else: another thread changed the mask (now in mask); look at q again */
	}
	if (q > nq) {
		VD_ERRLOG("vhost-nvme %s: no free I/O queue for thread %s (io_queues %u is less "
			  "than the number of threads doing I/O)\n",
			  c->base.name, vd_thread_get_name(vd_get_thread()), nq);
		return -ENOMEM;
	}
	ch->ctrlr = c;
	ch->fe = c->fe;
	ch->qid = q;
	ch->poller = vd_poller_register(channel_poll, ch, 0, "bdev_vhost_nvme");
	if (ch->poller == NULL) {
		__atomic_fetch_and(&c->queue_mask, ~(1u << q), __ATOMIC_ACQ_REL);
		return -ENOMEM;
	}
	return 0;
}

static void
channel_destroy(void *io_device, void *ctx_buf)
{
	struct nvme_channel *ch = ctx_buf;

	vd_poller_unregister(&ch->poller);
	if (vd_nvme_fe_outstanding(ch->fe, ch->qid) != 0) {
		/* Nobody polls this queue any more; the close path disables the controller
		 * before our memory is released. */
		vd_nvme_fe_abort_queue(ch->fe, ch->qid, ABORT_STATUS);
	}
	__atomic_fetch_and(&ch->ctrlr->queue_mask, ~(1u << ch->qid), __ATOMIC_ACQ_REL);
}

static bool
disk_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	struct nvme_ctrlr *c = nvme_disk_ctrlr(ctx);

	switch (type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
		return true;
	case VD_BDEV_IO_TYPE_FLUSH:
		return c->vwc;
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		return c->write_zeroes;
	default:
		return false;
	}
}

/* Controller life cycle ----------------------------------------------------------------------- */

static void
ctrlr_free(struct vd_bdev_initiator *ic)
{
	struct nvme_ctrlr *c = VD_CONTAINEROF(ic, struct nvme_ctrlr, base);

	vd_nvme_fe_close(c->fe);
	vd_dma_free(c->arena);
	vd_bdev_initiator_fini(&c->base);
	free(c);
}

/* Hand the result of a helper thread to the app thread (its last act). */
static void
worker_post(struct nvme_ctrlr *c, vd_msg_fn fn)
{
	int rc;

	while ((rc = vd_thread_send_msg(c->app_thread, fn, c)) == -ENOMEM) {
		usleep(1000);
	}
	if (rc != 0) {
		VD_ERRLOG("vhost-nvme %s: the app thread is gone; controller left open\n",
			  c->base.name);
	}
}

static int
worker_start(struct nvme_ctrlr *c, void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, fn, c);
	pthread_attr_destroy(&attr);
	return -rc;
}

static void
close_finish(void *arg)
{
	struct nvme_ctrlr *c = arg;

	c->fe = NULL; /* closed by the worker */
	if (c->base.last_disk != NULL) {
		vd_bdev_destruct_done(&c->base.last_disk->bdev, 0);
	}
	vd_bdev_initiator_removed(&c->base);
}

static void *
close_worker(void *arg)
{
	struct nvme_ctrlr *c = arg;

	if (vd_nvme_fe_connected(c->fe) && vd_nvme_fe_disable(c->fe) != 0) {
		VD_WARNLOG("vhost-nvme %s: controller did not disable in time\n", c->base.name);
	}
	vd_nvme_fe_close(c->fe);
	worker_post(c, close_finish);
	return NULL;
}

static void
ctrlr_io_device_gone(void *io_device)
{
	struct nvme_ctrlr *c = io_device;

	c->base.state = VD_BDEV_INITIATOR_CLOSING;
	vd_poller_unregister(&c->watch);
	/* Only a target still connected needs the (blocking) disable handshake. */
	if (!vd_nvme_fe_connected(c->fe) || worker_start(c, close_worker) != 0) {
		vd_nvme_fe_close(c->fe);
		close_finish(c);
	}
}

static int
disk_destruct(void *ctx)
{
	/* The last one is done once the connection is closed (bdev shutdown waits for it). */
	return vd_bdev_initiator_disk_destruct(ctx) ? 1 : 0;
}

static int
watch_poll(void *arg)
{
	struct nvme_ctrlr *c = arg;

	if (c->base.state != VD_BDEV_INITIATOR_ACTIVE) {
		/* Detached or removed: nothing left to watch. */
		vd_poller_unregister(&c->watch);
		return VD_POLLER_IDLE;
	}
	if (vd_nvme_fe_check_connection(c->fe)) {
		return VD_POLLER_IDLE;
	}
	VD_ERRLOG("vhost-nvme %s: lost the connection to the target %s; hot-removing its bdevs\n",
		  c->base.name, c->base.path);
	vd_poller_unregister(&c->watch);
	vd_bdev_initiator_remove(&c->base);
	return VD_POLLER_BUSY;
}

/* JSON ------------------------------------------------------------------------------------- */

static void
write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct nvme_ctrlr *c = nvme_disk_ctrlr(bdev->ctxt);
	struct json_object *params = vd_bdev_initiator_config_params(bdev, config);

	if (params == NULL) {
		return;
	}
	json_object_object_add(params, "traddr", json_object_new_string(c->base.path));
	json_object_object_add(params, "io_queues", json_object_new_int(c->io_queues));
	json_object_object_add(params, "queue_size", json_object_new_int(c->queue_size));
	json_object_object_add(params, "dbbuf", json_object_new_boolean(c->dbbuf));
	if (c->admin_msg) {
		json_object_object_add(params, "admin_msg", json_object_new_boolean(true));
	}
}

static void
dump_info_json(void *ctx, struct json_object *w)
{
	struct nvme_disk *d = ctx;
	struct nvme_ctrlr *c = nvme_disk_ctrlr(d);
	struct json_object *o = vd_bdev_initiator_dump_info_json(ctx, w);

	json_object_object_add(o, "nsid", json_object_new_int64(d->nsid));
	json_object_object_add(o, "io_queues", json_object_new_int(c->num_io_queues));
	json_object_object_add(o, "queue_size", json_object_new_int(c->queue_size));
	json_object_object_add(o, "dbbuf", json_object_new_boolean(c->dbbuf));
	json_object_object_add(o, "max_xfer_bytes", json_object_new_uint64(c->max_xfer));
}

static const struct vd_bdev_fn_table g_nvme_fn_table = {
	.destruct = disk_destruct,
	.submit_request = nvme_submit,
	.io_type_supported = disk_io_type_supported,
	.get_io_channel = vd_bdev_initiator_disk_get_io_channel,
	.dump_info_json = dump_info_json,
	.write_config_json = write_config_json,
};

/* Attach ------------------------------------------------------------------------------------ */

static int
disk_add(struct nvme_ctrlr *c, const struct vd_nvme_fe_ns *ns)
{
	struct vd_bdev_initiator_disk *base;
	struct nvme_disk *d;
	char name[VD_BDEV_MAX_NAME_LEN];
	int rc;

	snprintf(name, sizeof(name), "%sn%" PRIu32, c->base.name, ns->nsid);
	rc = vd_bdev_initiator_disk_add(&c->base, sizeof(*d), name, &base);
	if (rc != 0) {
		return rc;
	}
	d = VD_CONTAINEROF(base, struct nvme_disk, base);
	d->nsid = ns->nsid;
	d->chunk_blocks = nvme_chunk_blocks(c->max_xfer, ns->block_size);
	base->bdev.product_name = "vhost-user NVMe namespace";
	base->bdev.blocklen = ns->block_size;
	base->bdev.blockcnt = ns->num_blocks;
	base->bdev.write_cache = c->vwc;
	base->bdev.required_alignment = 4; /* PRP1: dword aligned */
	return 0;
}

static int
ctrlr_setup_disks(struct nvme_ctrlr *c)
{
	const struct nvme_id_ctrlr *id = vd_nvme_fe_id_ctrlr(c->fe);
	uint32_t i, n = vd_nvme_fe_num_ns(c->fe);
	int rc;

	c->num_io_queues = vd_nvme_fe_num_io_queues(c->fe);
	c->max_xfer = nvme_max_xfer(id->mdts);
	c->vwc = id->vwc & 1;
	c->write_zeroes = (id->oncs & NVME_ONCS_WRITE_ZEROES) != 0;
	if (n == 0) {
		VD_ERRLOG("vhost-nvme %s: the controller at %s has no namespace\n", c->base.name,
			  c->base.path);
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		rc = disk_add(c, vd_nvme_fe_get_ns(c->fe, i));
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static void
attach_finish(void *arg)
{
	struct nvme_ctrlr *c = arg;
	const char *names[VD_BDEV_INITIATOR_MAX_DISKS];
	vd_bdev_initiator_attach_cb cb = c->base.attach_cb;
	void *cb_arg = c->base.attach_arg;
	int rc = c->worker_rc;

	if (rc == 0) {
		rc = ctrlr_setup_disks(c);
	}
	if (rc == 0) {
		c->watch = vd_poller_register(watch_poll, c, WATCH_PERIOD_US, "vhost_nvme_watch");
		rc = c->watch == NULL ? -ENOMEM : 0;
	}
	if (rc != 0) {
		vd_bdev_initiator_attach_fail(&c->base, rc);
		return;
	}
	rc = vd_bdev_initiator_register(&c->base, names);
	if (rc != 0) {
		cb(cb_arg, rc, NULL, 0);
		return;
	}
	VD_NOTICELOG("vhost-nvme %s: attached to %s: %u namespace(s), %u I/O queue(s)%s\n",
		     c->base.name, c->base.path, c->base.ndisks, c->num_io_queues,
		     c->dbbuf ? ", shadow doorbells" : "");
	vd_bdev_initiator_attach_done(&c->base, names);
}

static void *
attach_worker(void *arg)
{
	struct nvme_ctrlr *c = arg;
	struct vd_nvme_fe_opts o;
	struct vd_nvme_fe *fe = NULL;
	int rc;

	vd_nvme_fe_opts_init(&o);
	o.socket_path = c->base.path;
	o.io_queues = c->io_queues;
	o.queue_size = c->queue_size;
	o.dbbuf = c->dbbuf;
	o.admin_msg = c->admin_msg;
	o.polled_cqs = true;
	o.timeout_ms = c->timeout_ms;
	o.regions = c->regions;
	o.nregions = c->nregions;
	o.arena = c->arena;
	o.arena_size = c->arena_size;
	rc = vd_nvme_fe_connect(&o, &fe);
	if (rc == 0) {
		rc = vd_nvme_fe_enable(fe);
		if (rc != 0) {
			vd_nvme_fe_close(fe);
			fe = NULL;
		}
	}
	if (rc != 0) {
		VD_ERRLOG("vhost-nvme %s: cannot attach to %s: %s\n", c->base.name, c->base.path,
			  strerror(-rc));
	}
	c->fe = fe;
	c->worker_rc = rc;
	worker_post(c, attach_finish);
	return NULL;
}

static int
add_region(void *addr, uint64_t len, int fd, uint64_t fd_offset, void *ctx)
{
	struct nvme_ctrlr *c = ctx;

	if (c->nregions == VD_NVME_FE_MAX_REGIONS) {
		VD_WARNLOG(
			"vhost-nvme %s: more than %u memory regions; sharing the first %u only\n",
			c->base.name, VD_NVME_FE_MAX_REGIONS, VD_NVME_FE_MAX_REGIONS);
		return 1;
	}
	c->regions[c->nregions++] = (struct vd_nvme_fe_region){
		.addr = addr, .len = len, .fd = fd, .fd_offset = fd_offset};
	return 0;
}

/* The front-end's arena, then the env memory table (which then contains the arena). */
static int
ctrlr_setup_memory(struct nvme_ctrlr *c)
{
	struct vd_nvme_fe_opts o;
	int rc;

	vd_nvme_fe_opts_init(&o);
	o.io_queues = c->io_queues;
	o.queue_size = c->queue_size;
	c->arena_size = vd_nvme_fe_arena_size(&o);
	c->arena = vd_dma_zmalloc(c->arena_size, 4096);
	if (c->arena == NULL) {
		VD_ERRLOG("vhost-nvme %s: cannot allocate %" PRIu64 " bytes of env memory for the "
			  "queues\n",
			  c->base.name, c->arena_size);
		return -ENOMEM;
	}
	rc = vd_mem_for_each_region(add_region, c);
	if (rc < 0 || c->nregions == 0) {
		VD_ERRLOG("vhost-nvme %s: no shareable (fd-backed) env memory\n", c->base.name);
		return -ENOTSUP;
	}
	return 0;
}

static int
attach_opts_check(const struct vd_bdev_vhost_nvme_opts *o)
{
	uint32_t qs = o->queue_size ? o->queue_size : VD_BDEV_VHOST_NVME_DEFAULT_QUEUE_SIZE;

	if (o->name == NULL || o->name[0] == '\0' || strlen(o->name) + 4 >= VD_BDEV_MAX_NAME_LEN ||
	    o->path == NULL || o->path[0] == '\0' ||
	    o->io_queues > VD_BDEV_VHOST_NVME_MAX_IO_QUEUES || qs < 4 || qs > 1024) {
		return -EINVAL;
	}
	return 0;
}

static struct nvme_ctrlr *
ctrlr_alloc(const struct vd_bdev_vhost_nvme_opts *opts, vd_bdev_vhost_nvme_attach_cb cb,
	    void *cb_arg)
{
	struct nvme_ctrlr *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return NULL;
	}
	if (vd_bdev_initiator_init(&c->base, &g_nvme_imod, opts->name, opts->path, cb, cb_arg) !=
	    0) {
		ctrlr_free(&c->base);
		return NULL;
	}
	c->io_queues = opts->io_queues ? opts->io_queues : 1;
	c->queue_size = opts->queue_size ? opts->queue_size : VD_BDEV_VHOST_NVME_DEFAULT_QUEUE_SIZE;
	c->dbbuf = opts->dbbuf;
	c->admin_msg = opts->admin_msg;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : VD_BDEV_VHOST_NVME_DEFAULT_TIMEOUT_MS;
	c->app_thread = vd_get_thread();
	return c;
}

int
vd_bdev_vhost_nvme_attach(const struct vd_bdev_vhost_nvme_opts *opts,
			  vd_bdev_vhost_nvme_attach_cb cb, void *cb_arg)
{
	struct nvme_ctrlr *c;
	int rc;

	if (opts == NULL || cb == NULL || attach_opts_check(opts) != 0 || vd_get_thread() == NULL) {
		return -EINVAL;
	}
	if (vd_bdev_initiator_find(&g_nvme_imod, opts->name) != NULL) {
		return -EEXIST;
	}
	c = ctrlr_alloc(opts, cb, cb_arg);
	if (c == NULL) {
		return -ENOMEM;
	}
	rc = ctrlr_setup_memory(c);
	if (rc == 0) {
		rc = worker_start(c, attach_worker);
	}
	if (rc != 0) {
		ctrlr_free(&c->base);
		return rc;
	}
	return 0;
}

int
vd_bdev_vhost_nvme_detach(const char *name, vd_bdev_vhost_nvme_detach_cb cb, void *cb_arg)
{
	/* The watch poller stops by itself once the controller is no longer ACTIVE. */
	return vd_bdev_initiator_detach(&g_nvme_imod, name, cb, cb_arg);
}

/* Module ------------------------------------------------------------------------------------ */

static int
nvme_module_init(void)
{
	vd_log_flag_register(&VD_LOG_FLAG(bdev_vhost_nvme));
	return 0;
}

static size_t
nvme_get_ctx_size(void)
{
	return sizeof(struct nvme_task);
}

struct vd_bdev_module vd_bdev_vhost_nvme_module = {
	.name = "vhost_nvme",
	.module_init = nvme_module_init,
	.get_ctx_size = nvme_get_ctx_size,
};

static struct vd_bdev_initiator_module g_nvme_imod = {
	.label = "vhost-nvme",
	.info_key = "vhost_nvme",
	.attach_method = "bdev_vhost_nvme_attach_controller",
	.module = &vd_bdev_vhost_nvme_module,
	.fn_table = &g_nvme_fn_table,
	.ch_create = channel_create,
	.ch_destroy = channel_destroy,
	.ch_size = sizeof(struct nvme_channel),
	.io_device_gone = ctrlr_io_device_gone,
	.ctrlr_free = ctrlr_free,
	VD_BDEV_INITIATOR_MODULE_INIT(g_nvme_imod),
};
