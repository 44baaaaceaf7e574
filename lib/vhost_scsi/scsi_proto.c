/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The virtio-scsi wire format (virtio 1.2 section 5.6): config space, request-queue and
 * control-queue parsing, responses and events.  Pure functions over a dequeued request's iovecs:
 * no controller, no thread, no allocation.
 *
 * Everything read from the guest is copied out before use (the guest may change it under us),
 * so a header split over any number of descriptors is fine.  Layout of a request-queue chain:
 *   readable:  virtio_scsi_cmd_req (51 bytes) then data-out
 *   writable:  virtio_scsi_cmd_resp (108 bytes) then data-in
 * A command may not have both data-out and data-in (VIRTIO_SCSI_F_INOUT is not offered).
 *
 * Invariants: a parse result other than VSCSI_PARSE_DROP leaves a response location (copies of
 * the guest iovecs covering the response) that vscsi_*_respond() writes; the request's own
 * iovecs may be narrowed in place to the data window, never widened.
 */

#include <errno.h>
#include <string.h>

#include "vhost_scsi_internal.h"

uint64_t
vscsi_features(void)
{
	return (1ULL << VIRTIO_SCSI_F_HOTPLUG) | (1ULL << VIRTIO_SCSI_F_CHANGE) |
	       (1ULL << VD_VIRTIO_F_INDIRECT_DESC) | (1ULL << VD_VIRTIO_F_EVENT_IDX);
}

void
vscsi_config_fill(struct virtio_scsi_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->num_queues = VD_VHOST_SCSI_MAX_REQUEST_QUEUES;
	cfg->seg_max = VSCSI_SEG_MAX;
	cfg->max_sectors = VSCSI_MAX_SECTORS;
	cfg->cmd_per_lun = VSCSI_CMD_PER_LUN;
	cfg->event_info_size = sizeof(struct virtio_scsi_event);
	cfg->sense_size = VIRTIO_SCSI_SENSE_SIZE;
	cfg->cdb_size = VIRTIO_SCSI_CDB_SIZE;
	cfg->max_channel = 0;
	cfg->max_target = VD_VHOST_SCSI_MAX_TARGETS - 1;
	cfg->max_lun = VD_SCSI_DEV_MAX_LUNS - 1;
}

/* Reads past the structure (up to the vhost-user limit) return zeros. */
int
vscsi_config_read(uint8_t *buf, uint32_t offset, uint32_t len)
{
	uint8_t space[VD_VHOST_MAX_CONFIG_SIZE] = {0};
	struct virtio_scsi_config cfg;

	if (offset > sizeof(space) || len > sizeof(space) - offset) {
		return -EINVAL;
	}
	vscsi_config_fill(&cfg);
	memcpy(space, &cfg, sizeof(cfg));
	memcpy(buf, space + offset, len);
	return 0;
}

/* Record the segments covering the first \p len bytes of [iov, iov + cnt) (which exist).
 * \return 0 or -E2BIG (more than VSCSI_RESP_MAX_IOVS segments). */
static int
resp_loc_init(const struct iovec *iov, int cnt, uint32_t len, struct vscsi_resp_loc *loc)
{
	uint32_t left = len;
	size_t n;
	int i;

	loc->iovcnt = 0;
	loc->len = len;
	for (i = 0; i < cnt && left > 0; i++) {
		if (iov[i].iov_len == 0) {
			continue;
		}
		if (loc->iovcnt == (int)VSCSI_RESP_MAX_IOVS) {
			return -E2BIG;
		}
		n = VD_MIN(iov[i].iov_len, left);
		loc->iovs[loc->iovcnt].iov_base = iov[i].iov_base;
		loc->iovs[loc->iovcnt].iov_len = n;
		loc->iovcnt++;
		left -= (uint32_t)n;
	}
	return left == 0 ? 0 : -E2BIG;
}

/*
 * Narrow [iov, iov + *cnt) in place to the bytes after the first \p skip (which exist).
 * \return the first iovec of the window; *cnt becomes the window's length.
 */
static struct iovec *
iov_skip(struct iovec *iov, int *cnt, size_t skip)
{
	int i = 0;

	while (i < *cnt && skip >= iov[i].iov_len) {
		skip -= iov[i].iov_len;
		i++;
	}
	if (i < *cnt) {
		iov[i].iov_base = (uint8_t *)iov[i].iov_base + skip;
		iov[i].iov_len -= skip;
	}
	*cnt -= i;
	return iov + i;
}

/*
 * The 8-byte virtio-scsi LUN field: byte 0 is 1, byte 1 the target, bytes 2..3 the LUN in SAM
 * single-level format (flat 0x40xx or peripheral), bytes 4..7 zero.
 * \return VIRTIO_SCSI_S_OK, VIRTIO_SCSI_S_BAD_TARGET or VIRTIO_SCSI_S_INCORRECT_LUN.
 */
int
vscsi_lun_parse(const uint8_t lun[8], uint8_t *target, uint32_t *lun_id)
{
	int id;

	if (lun[0] != 1 || lun[1] >= VD_VHOST_SCSI_MAX_TARGETS) {
		return VIRTIO_SCSI_S_BAD_TARGET;
	}
	id = vd_scsi_lun_decode(&lun[2], 6);
	if (id < 0) {
		return VIRTIO_SCSI_S_INCORRECT_LUN;
	}
	*target = lun[1];
	*lun_id = (uint32_t)id;
	return VIRTIO_SCSI_S_OK;
}

/* Peripheral addressing below 256, flat above (Linux reads an event's LUN as bytes 2..3
 * without masking the addressing method, so LUN 0 must be 00 00, not 40 00). */
void
vscsi_lun_make(uint8_t lun[8], uint8_t target, uint32_t lun_id)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = target;
	if (lun_id >= 256) {
		lun[2] = (uint8_t)(0x40 | ((lun_id >> 8) & 0x3f));
	}
	lun[3] = (uint8_t)lun_id;
}

/*
 * Parse a request-queue chain.  \return VSCSI_PARSE_SUBMIT (cmd filled: target, LUN, direction,
 * data window), a VIRTIO_SCSI_S_* code to answer with at once, or VSCSI_PARSE_DROP when there is
 * no room for a response (complete with used length 0).
 */
int
vscsi_parse_cmd(struct vd_vhost_req *req, struct vscsi_cmd *cmd)
{
	struct iovec *rd = req->iovs, *wr = req->iovs + req->num_readable;
	int nrd = req->num_readable, nwr = req->iovcnt - req->num_readable;
	uint32_t out_len, in_len;
	int rc;

	cmd->dir = VD_SCSI_DIR_NONE;
	cmd->data = NULL;
	cmd->data_cnt = 0;
	cmd->data_len = 0;
	if (req->write_len < sizeof(struct virtio_scsi_cmd_resp) ||
	    resp_loc_init(wr, nwr, sizeof(struct virtio_scsi_cmd_resp), &cmd->resp) != 0) {
		return VSCSI_PARSE_DROP;
	}
	if (req->read_len < sizeof(cmd->req)) {
		return VIRTIO_SCSI_S_FAILURE;
	}
	vd_iov_to_buf(rd, nrd, 0, &cmd->req, sizeof(cmd->req));
	out_len = req->read_len - (uint32_t)sizeof(cmd->req);
	in_len = req->write_len - (uint32_t)sizeof(struct virtio_scsi_cmd_resp);
	if (out_len > 0 && in_len > 0) {
		return VIRTIO_SCSI_S_FAILURE;
	}
	rc = vscsi_lun_parse(cmd->req.lun, &cmd->target, &cmd->lun);
	if (rc != VIRTIO_SCSI_S_OK) {
		return rc;
	}
	if (out_len > 0) {
		cmd->dir = VD_SCSI_DIR_TO_DEV;
		cmd->data_cnt = nrd;
		cmd->data = iov_skip(rd, &cmd->data_cnt, sizeof(cmd->req));
		cmd->data_len = out_len;
	} else if (in_len > 0) {
		cmd->dir = VD_SCSI_DIR_FROM_DEV;
		cmd->data_cnt = nwr;
		cmd->data = iov_skip(wr, &cmd->data_cnt, sizeof(struct virtio_scsi_cmd_resp));
		cmd->data_len = in_len;
	}
	return VSCSI_PARSE_SUBMIT;
}

/*
 * Write the response of a command: \p response, and with \p task its SCSI status, sense data
 * and residual.  \return the used length (response plus data-in bytes written).
 */
uint32_t
vscsi_cmd_respond(struct vscsi_cmd *cmd, uint8_t response, const struct vd_scsi_task *task)
{
	struct virtio_scsi_cmd_resp r;
	uint32_t used = sizeof(r);

	memset(&r, 0, sizeof(r));
	r.response = response;
	r.resid = cmd->data_len;
	if (task != NULL) {
		r.status = task->status;
		r.sense_len = VD_MIN(task->sense_len, (uint32_t)sizeof(task->sense));
		memcpy(r.sense, task->sense, r.sense_len);
		r.resid = VD_MIN(task->residual, cmd->data_len);
		if (cmd->dir == VD_SCSI_DIR_FROM_DEV) {
			used += VD_MIN(task->data_len, cmd->data_len);
		}
	}
	vd_iov_from_buf(cmd->resp.iovs, cmd->resp.iovcnt, &r, sizeof(r));
	return used;
}

static int
tmf_from_subtype(uint32_t subtype, enum vd_scsi_tmf *tmf)
{
	switch (subtype) {
	case VIRTIO_SCSI_T_TMF_ABORT_TASK:
		*tmf = VD_SCSI_TMF_ABORT_TASK;
		return 0;
	case VIRTIO_SCSI_T_TMF_ABORT_TASK_SET:
		*tmf = VD_SCSI_TMF_ABORT_TASK_SET;
		return 0;
	case VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET:
		*tmf = VD_SCSI_TMF_CLEAR_TASK_SET;
		return 0;
	case VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET:
		*tmf = VD_SCSI_TMF_I_T_NEXUS_RESET;
		return 0;
	case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET:
		*tmf = VD_SCSI_TMF_LUN_RESET;
		return 0;
	case VIRTIO_SCSI_T_TMF_QUERY_TASK:
		*tmf = VD_SCSI_TMF_QUERY_TASK;
		return 0;
	default: /* CLEAR ACA, QUERY TASK SET, unknown */
		return -ENOTSUP;
	}
}

static int
parse_tmf(const struct vd_vhost_req *req, struct vscsi_ctrl *ctrl)
{
	struct virtio_scsi_ctrl_tmf_req tmf;
	int rc;

	if (req->read_len < sizeof(tmf)) {
		return VIRTIO_SCSI_S_FAILURE;
	}
	vd_iov_to_buf(req->iovs, req->num_readable, 0, &tmf, sizeof(tmf));
	rc = vscsi_lun_parse(tmf.lun, &ctrl->target, &ctrl->lun);
	if (rc != VIRTIO_SCSI_S_OK) {
		return rc;
	}
	if (tmf_from_subtype(tmf.subtype, &ctrl->tmf) != 0) {
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
	ctrl->tag = tmf.tag;
	return VSCSI_PARSE_SUBMIT;
}

/*
 * Parse a control-queue chain: a TMF to run (VSCSI_PARSE_SUBMIT), a response code to answer with
 * at once (asynchronous notification requests get VIRTIO_SCSI_S_OK with event_actual 0: we report
 * no asynchronous events), or VSCSI_PARSE_DROP when there is no room for the response.
 */
int
vscsi_parse_ctrl(struct vd_vhost_req *req, struct vscsi_ctrl *ctrl)
{
	struct virtio_scsi_ctrl_an_req an;
	uint32_t type = UINT32_MAX, resp_len = 1;

	if (req->read_len >= sizeof(type)) {
		vd_iov_to_buf(req->iovs, req->num_readable, 0, &type, sizeof(type));
	}
	if (type == VIRTIO_SCSI_T_AN_QUERY || type == VIRTIO_SCSI_T_AN_SUBSCRIBE) {
		resp_len = sizeof(struct virtio_scsi_ctrl_an_resp);
	}
	ctrl->type = type;
	if (req->write_len < resp_len ||
	    resp_loc_init(req->iovs + req->num_readable, req->iovcnt - req->num_readable, resp_len,
			  &ctrl->resp) != 0) {
		return VSCSI_PARSE_DROP;
	}
	switch (type) {
	case VIRTIO_SCSI_T_TMF:
		return parse_tmf(req, ctrl);
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		if (req->read_len < sizeof(an)) {
			return VIRTIO_SCSI_S_FAILURE;
		}
		vd_iov_to_buf(req->iovs, req->num_readable, 0, &an, sizeof(an));
		return vscsi_lun_parse(an.lun, &ctrl->target, &ctrl->lun);
	default:
		return VIRTIO_SCSI_S_FAILURE;
	}
}

/* Write a control-queue response.  \return the used length. */
uint32_t
vscsi_ctrl_respond(struct vscsi_ctrl *ctrl, uint8_t response)
{
	struct virtio_scsi_ctrl_an_resp an = {.event_actual = 0, .response = response};

	if (ctrl->resp.len == sizeof(an)) {
		vd_iov_from_buf(ctrl->resp.iovs, ctrl->resp.iovcnt, &an, sizeof(an));
		return sizeof(an);
	}
	vd_iov_from_buf(ctrl->resp.iovs, ctrl->resp.iovcnt, &response, 1);
	return 1;
}

uint8_t
vscsi_tmf_response(enum vd_scsi_tmf_response r)
{
	switch (r) {
	case VD_SCSI_TMF_RESP_COMPLETE:
		return VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	case VD_SCSI_TMF_RESP_SUCCEEDED:
		return VIRTIO_SCSI_S_FUNCTION_SUCCEEDED;
	case VD_SCSI_TMF_RESP_INCORRECT_LUN:
		return VIRTIO_SCSI_S_INCORRECT_LUN;
	default:
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
}

/* Write an event into an event-queue buffer.  \return the used length, or -EINVAL when the
 * buffer is not a writable area of at least 16 bytes. */
int
vscsi_event_write(struct vd_vhost_req *req, const struct virtio_scsi_event *ev)
{
	if (req->num_readable != 0 || req->write_len < sizeof(*ev)) {
		return -EINVAL;
	}
	vd_iov_from_buf(req->iovs, req->iovcnt, ev, sizeof(*ev));
	return (int)sizeof(*ev);
}
