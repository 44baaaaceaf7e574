/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * NVM command set (data thread): Read, Write, Compare, Flush, Write Zeroes, Dataset Management.
 *
 * Guest buffers go to the bdev zero-copy (iovecs from the PRP walker).  Compare reads into one
 * of NVME_NUM_BOUNCE per-controller bounce buffers (commands wait on dp.bounce_wait when all
 * are busy) and compares.  Write Zeroes and Deallocate are split into bdev-sized chunks and
 * run one after another; DSM ranges are read from guest memory one at a time (each value is
 * checked when used).  A bdev submit returning -ENOMEM waits with vd_bdev_queue_io_wait();
 * other submit errors and failed I/O complete the command with Internal Device Error.  Once a
 * reset began, a multi-step command stops at its next step (its completion is dropped).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhost_nvme_internal.h"

#define ST(sct, sc) NVME_STATUS(NVME_SCT_##sct, NVME_SC_##sc)

static void io_step(struct nvme_cmd *cmd);

static struct nvme_ns *
cmd_ns(struct nvme_cmd *cmd)
{
	return &nvme_cmd_ctrlr(cmd)->ns[cmd->ns_idx];
}

static struct vd_io_channel *
ns_channel(struct nvme_ns *ns)
{
	if (ns->ch == NULL && !ns->removed) {
		ns->ch = vd_bdev_get_io_channel(ns->desc);
	}
	return ns->ch;
}

void *
nvme_bounce_get(struct nvme_ctrlr *c)
{
	uint32_t i;

	for (i = 0; i < NVME_NUM_BOUNCE; i++) {
		if (!c->dp.bounce_busy[i]) {
			c->dp.bounce_busy[i] = true;
			return c->dp.bounce[i];
		}
	}
	return NULL;
}

void
nvme_bounce_put(struct nvme_ctrlr *c, void *buf)
{
	struct nvme_cmd *w;
	uint32_t i;

	for (i = 0; i < NVME_NUM_BOUNCE; i++) {
		if (c->dp.bounce[i] == buf) {
			c->dp.bounce_busy[i] = false;
		}
	}
	w = TAILQ_FIRST(&c->dp.bounce_wait);
	if (w != NULL) {
		TAILQ_REMOVE(&c->dp.bounce_wait, w, link);
		io_step(w);
	}
}

static void
io_finish(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);

	if (cmd->bounce != NULL) {
		void *b = cmd->bounce;

		cmd->bounce = NULL;
		nvme_ctrlr_complete(cmd);
		nvme_bounce_put(c, b);
		return;
	}
	nvme_ctrlr_complete(cmd);
}

/* Load DSM range cmd->range_idx into lba/nlb_left.  \return a status. */
static uint16_t
dsm_load_range(struct nvme_cmd *cmd)
{
	struct nvme_ns *ns = cmd_ns(cmd);
	struct nvme_dsm_range r;

	if (vd_iov_to_buf(cmd->iovs, (int)cmd->iovcnt, (size_t)cmd->range_idx * sizeof(r), &r,
			  sizeof(r)) != sizeof(r)) {
		return ST(GENERIC, DATA_TRANSFER_ERROR);
	}
	if (r.slba > ns->num_blocks || r.nlb > ns->num_blocks - r.slba) {
		return ST(GENERIC, LBA_OUT_OF_RANGE);
	}
	cmd->lba = r.slba;
	cmd->nlb_left = r.nlb;
	return 0;
}

static uint64_t
chunk_of(struct nvme_cmd *cmd, uint64_t max)
{
	return max == 0 ? cmd->nlb_left : VD_MIN(cmd->nlb_left, max);
}

static void
io_cb(struct vd_bdev_io *bio, bool success, void *arg)
{
	struct nvme_cmd *cmd = arg;
	struct nvme_ns *ns = cmd_ns(cmd);
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint64_t done;

	vd_bdev_free_io(bio);
	if (!success) {
		cmd->status = ST(GENERIC, INTERNAL_DEVICE_ERROR);
		io_finish(cmd);
		return;
	}
	switch (cmd->sqe.opc) {
	case NVME_OPC_COMPARE:
		cmd->status = 0;
		{
			uint32_t len = (uint32_t)cmd->nlb_left * ns->block_size, off = 0, i;

			for (i = 0; i < cmd->iovcnt && cmd->status == 0; i++) {
				if (memcmp((uint8_t *)cmd->bounce + off, cmd->iovs[i].iov_base,
					   VD_MIN(cmd->iovs[i].iov_len, (size_t)(len - off))) !=
				    0) {
					cmd->status = ST(MEDIA, COMPARE_FAILURE);
				}
				off += (uint32_t)cmd->iovs[i].iov_len;
			}
		}
		break;
	case NVME_OPC_WRITE_ZEROES:
	case NVME_OPC_DATASET_MANAGEMENT:
		done = chunk_of(cmd, cmd->sqe.opc == NVME_OPC_WRITE_ZEROES
					     ? vd_bdev_get_max_write_zeroes_blocks(ns->bdev)
					     : vd_bdev_get_max_unmap_blocks(ns->bdev));
		cmd->lba += done;
		cmd->nlb_left -= done;
		if (c->dp.state == NVME_DP_RESETTING) {
			break;
		}
		if (cmd->nlb_left == 0 && cmd->sqe.opc == NVME_OPC_DATASET_MANAGEMENT &&
		    ++cmd->range_idx < cmd->range_num) {
			cmd->status = dsm_load_range(cmd);
		}
		if (cmd->nlb_left > 0 && cmd->status == 0) {
			io_step(cmd);
			return;
		}
		break;
	default:
		break;
	}
	io_finish(cmd);
}

static void
io_retry(void *arg)
{
	io_step(arg);
}

static int
io_submit(struct nvme_cmd *cmd, struct nvme_ns *ns, struct vd_io_channel *ch)
{
	switch (cmd->sqe.opc) {
	case NVME_OPC_READ:
		return vd_bdev_readv_blocks(ns->desc, ch, cmd->iovs, (int)cmd->iovcnt, cmd->lba,
					    cmd->nlb_left, io_cb, cmd);
	case NVME_OPC_WRITE:
		return vd_bdev_writev_blocks(ns->desc, ch, cmd->iovs, (int)cmd->iovcnt, cmd->lba,
					     cmd->nlb_left, io_cb, cmd);
	case NVME_OPC_COMPARE:
		return vd_bdev_read_blocks(ns->desc, ch, cmd->bounce, cmd->lba, cmd->nlb_left,
					   io_cb, cmd);
	case NVME_OPC_FLUSH:
		return vd_bdev_flush_blocks(ns->desc, ch, 0, ns->num_blocks, io_cb, cmd);
	case NVME_OPC_WRITE_ZEROES:
		return vd_bdev_write_zeroes_blocks(
			ns->desc, ch, cmd->lba,
			chunk_of(cmd, vd_bdev_get_max_write_zeroes_blocks(ns->bdev)), io_cb, cmd);
	case NVME_OPC_DATASET_MANAGEMENT:
		return vd_bdev_unmap_blocks(ns->desc, ch, cmd->lba,
					    chunk_of(cmd, vd_bdev_get_max_unmap_blocks(ns->bdev)),
					    io_cb, cmd);
	default:
		return -EINVAL;
	}
}

static void
io_step(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	struct nvme_ns *ns = cmd_ns(cmd);
	struct vd_io_channel *ch = ns_channel(ns);
	int rc;

	if (c->dp.state == NVME_DP_RESETTING || ch == NULL) {
		cmd->status = ST(GENERIC, INTERNAL_DEVICE_ERROR);
		io_finish(cmd);
		return;
	}
	if (cmd->sqe.opc == NVME_OPC_COMPARE && cmd->bounce == NULL) {
		cmd->bounce = nvme_bounce_get(c);
		if (cmd->bounce == NULL) {
			TAILQ_INSERT_TAIL(&c->dp.bounce_wait, cmd, link);
			return;
		}
	}
	rc = io_submit(cmd, ns, ch);
	if (rc == -ENOMEM) {
		cmd->wait.bdev = ns->bdev;
		cmd->wait.cb_fn = io_retry;
		cmd->wait.cb_arg = cmd;
		rc = vd_bdev_queue_io_wait(ns->bdev, ch, &cmd->wait);
	}
	if (rc != 0) {
		cmd->status = ST(GENERIC, INTERNAL_DEVICE_ERROR);
		io_finish(cmd);
	}
}

/* Validate an LBA-addressed command and map its data.  \return a status. */
static uint16_t
io_prepare_rw(struct nvme_cmd *cmd, struct nvme_ns *ns, bool data)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	const struct nvme_sqe *sqe = &cmd->sqe;
	uint64_t slba = ((uint64_t)sqe->cdw11 << 32) | sqe->cdw10;
	uint64_t nlb = (sqe->cdw12 & 0xffff) + 1ull;
	uint64_t len = nlb * ns->block_size;

	if (slba > ns->num_blocks || nlb > ns->num_blocks - slba) {
		return ST(GENERIC, LBA_OUT_OF_RANGE);
	}
	cmd->lba = slba;
	cmd->nlb_left = nlb;
	if (!data) {
		return 0;
	}
	if (len > NVME_MAX_XFER) {
		return ST(GENERIC, INVALID_FIELD);
	}
	if (sqe->opc == NVME_OPC_READ) {
		c->dp.reads++;
		c->dp.units_read += nlb * ns->block_size / 512;
	} else if (sqe->opc == NVME_OPC_WRITE) {
		c->dp.writes++;
		c->dp.units_written += nlb * ns->block_size / 512;
	}
	return nvme_prp_map(c->vdev, sqe->prp1, sqe->prp2, (uint32_t)len, cmd->iovs, NVME_MAX_IOVS,
			    &cmd->iovcnt);
}

static uint16_t
io_prepare_dsm(struct nvme_cmd *cmd, struct nvme_ns *ns, bool *skip)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint32_t nr = (cmd->sqe.cdw10 & 0xff) + 1;
	uint16_t st;

	*skip = !(cmd->sqe.cdw11 & NVME_DSM_ATTR_DEALLOCATE) ||
		!vd_bdev_io_type_supported(ns->bdev, VD_BDEV_IO_TYPE_UNMAP);
	st = nvme_prp_map(c->vdev, cmd->sqe.prp1, cmd->sqe.prp2,
			  nr * (uint32_t)sizeof(struct nvme_dsm_range), cmd->iovs, NVME_MAX_IOVS,
			  &cmd->iovcnt);
	if (st != 0 || *skip) {
		return st;
	}
	cmd->range_num = nr;
	cmd->range_idx = 0;
	st = dsm_load_range(cmd);
	/* Skip leading empty ranges. */
	while (st == 0 && cmd->nlb_left == 0 && ++cmd->range_idx < nr) {
		st = dsm_load_range(cmd);
	}
	*skip = st == 0 && cmd->nlb_left == 0;
	return st;
}

/* \return a status; *skip = true: nothing to submit, complete with the status now. */
static uint16_t
io_prepare(struct nvme_cmd *cmd, struct nvme_ns *ns, bool *skip)
{
	*skip = false;
	switch (cmd->sqe.opc) {
	case NVME_OPC_READ:
	case NVME_OPC_WRITE:
	case NVME_OPC_COMPARE:
		return io_prepare_rw(cmd, ns, true);
	case NVME_OPC_FLUSH:
		*skip = !vd_bdev_io_type_supported(ns->bdev, VD_BDEV_IO_TYPE_FLUSH);
		return 0;
	case NVME_OPC_WRITE_ZEROES:
		if (!vd_bdev_io_type_supported(ns->bdev, VD_BDEV_IO_TYPE_WRITE_ZEROES)) {
			return ST(GENERIC, INVALID_OPCODE);
		}
		return io_prepare_rw(cmd, ns, false);
	case NVME_OPC_DATASET_MANAGEMENT:
		return io_prepare_dsm(cmd, ns, skip);
	default:
		return ST(GENERIC, INVALID_OPCODE);
	}
}

static bool
opc_known(uint8_t opc)
{
	return opc == NVME_OPC_READ || opc == NVME_OPC_WRITE || opc == NVME_OPC_COMPARE ||
	       opc == NVME_OPC_FLUSH || opc == NVME_OPC_WRITE_ZEROES ||
	       opc == NVME_OPC_DATASET_MANAGEMENT;
}

void
nvme_io_exec(struct nvme_cmd *cmd)
{
	struct nvme_ctrlr *c = nvme_cmd_ctrlr(cmd);
	uint32_t nsid = cmd->sqe.nsid, n = __atomic_load_n(&c->num_ns, __ATOMIC_ACQUIRE);
	struct nvme_ns *ns;
	bool skip = false;

	cmd->bounce = NULL;
	if (!opc_known(cmd->sqe.opc)) {
		cmd->status = ST(GENERIC, INVALID_OPCODE);
	} else if ((cmd->sqe.fuse_psdt & 0xc3) != 0) {
		cmd->status = ST(GENERIC, INVALID_FIELD);
	} else if (nsid == 0 || nsid > n || !c->ns[nsid - 1].active) {
		cmd->status = ST(GENERIC, INVALID_NAMESPACE);
	} else {
		cmd->ns_idx = nsid - 1;
		ns = &c->ns[cmd->ns_idx];
		cmd->status = io_prepare(cmd, ns, &skip);
	}
	if (cmd->status != 0 || skip) {
		nvme_ctrlr_complete(cmd);
		return;
	}
	io_step(cmd);
}
