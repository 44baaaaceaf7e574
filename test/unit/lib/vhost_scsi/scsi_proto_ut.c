/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of lib/vhost_scsi/scsi_proto.c: config space, request-queue parsing (header split
 * over descriptors, data-in / data-out windows, short or missing headers, bidirectional
 * buffers, LUN fields), responses, control-queue parsing (TMF subtypes, AN), events.
 */

#include <CUnit/Basic.h>

#include "vhost_scsi/scsi_proto.c"

static uint8_t g_mem[8192];

struct chain {
	struct vd_vhost_req req;
	struct iovec iovs[16];
};

/* Build a request from segment lengths: readable ones first (nr of them), carved from g_mem. */
static void
chain_init(struct chain *c, const uint32_t *lens, int n, int nr)
{
	uint32_t off = 0;
	int i;

	memset(c, 0, sizeof(*c));
	c->req.iovs = c->iovs;
	c->req.max_iovs = 16;
	c->req.iovcnt = (uint16_t)n;
	c->req.num_readable = (uint16_t)nr;
	for (i = 0; i < n; i++) {
		c->iovs[i].iov_base = g_mem + off;
		c->iovs[i].iov_len = lens[i];
		off += lens[i];
		if (i < nr) {
			c->req.read_len += lens[i];
		} else {
			c->req.write_len += lens[i];
		}
	}
}

static void
put_req(struct chain *c, const uint8_t lun[8], uint64_t tag, uint8_t opcode)
{
	struct virtio_scsi_cmd_req r;

	memset(&r, 0, sizeof(r));
	memcpy(r.lun, lun, 8);
	r.tag = tag;
	r.cdb[0] = opcode;
	vd_iov_from_buf(c->iovs, c->req.num_readable, &r, sizeof(r));
}

static const uint8_t LUN_T2[8] = {1, 2, 0x40, 0, 0, 0, 0, 0};

static void
get_resp(struct vscsi_cmd *cmd, struct virtio_scsi_cmd_resp *r)
{
	uint8_t buf[sizeof(*r)];
	size_t done = 0;
	int i;

	for (i = 0; i < cmd->resp.iovcnt; i++) {
		memcpy(buf + done, cmd->resp.iovs[i].iov_base, cmd->resp.iovs[i].iov_len);
		done += cmd->resp.iovs[i].iov_len;
	}
	CU_ASSERT_EQUAL(done, sizeof(*r));
	memcpy(r, buf, sizeof(*r));
}

static void
test_config(void)
{
	struct virtio_scsi_config cfg;
	uint8_t buf[8];

	CU_ASSERT_EQUAL(vscsi_config_read((uint8_t *)&cfg, 0, sizeof(cfg)), 0);
	CU_ASSERT_EQUAL(cfg.num_queues, VD_VHOST_SCSI_MAX_REQUEST_QUEUES);
	CU_ASSERT_EQUAL(cfg.sense_size, 96);
	CU_ASSERT_EQUAL(cfg.cdb_size, 32);
	CU_ASSERT_EQUAL(cfg.event_info_size, 16);
	CU_ASSERT_EQUAL(cfg.max_channel, 0);
	CU_ASSERT_EQUAL(cfg.max_target, VD_VHOST_SCSI_MAX_TARGETS - 1);
	CU_ASSERT_EQUAL(cfg.max_lun, VD_SCSI_DEV_MAX_LUNS - 1);
	CU_ASSERT_EQUAL(cfg.seg_max, VSCSI_SEG_MAX);
	/* Partial read at an offset; past the structure reads zeros; beyond the limit fails. */
	CU_ASSERT_EQUAL(vscsi_config_read(buf, offsetof(struct virtio_scsi_config, max_target), 2),
			0);
	CU_ASSERT_EQUAL(buf[0], VD_VHOST_SCSI_MAX_TARGETS - 1);
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(vscsi_config_read(buf, 100, 8), 0);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(vscsi_config_read(buf, VD_VHOST_MAX_CONFIG_SIZE - 4, 8), -EINVAL);
	CU_ASSERT_EQUAL(vscsi_config_read(buf, UINT32_MAX, 8), -EINVAL);
	CU_ASSERT(vscsi_features() & (1ULL << VIRTIO_SCSI_F_HOTPLUG));
	CU_ASSERT(!(vscsi_features() & (1ULL << VIRTIO_SCSI_F_INOUT)));
}

static void
test_lun(void)
{
	uint8_t lun[8], t;
	uint32_t id;

	vscsi_lun_make(lun, 5, 0);
	CU_ASSERT(lun[0] == 1 && lun[1] == 5 && lun[2] == 0 && lun[3] == 0);
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_OK);
	CU_ASSERT(t == 5 && id == 0);
	vscsi_lun_make(lun, 1, 300);
	CU_ASSERT(lun[2] == (0x40 | 1) && lun[3] == 44);
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(id, 300);
	/* Flat-space LUN 3. */
	memcpy(lun, (uint8_t[8]){1, 0, 0x40, 3, 0, 0, 0, 0}, 8);
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(id, 3);
	lun[0] = 0;
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_BAD_TARGET);
	lun[0] = 1;
	lun[1] = VD_VHOST_SCSI_MAX_TARGETS;
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_BAD_TARGET);
	lun[1] = 0;
	lun[5] = 1; /* second level not zero */
	CU_ASSERT_EQUAL(vscsi_lun_parse(lun, &t, &id), VIRTIO_SCSI_S_INCORRECT_LUN);
}

static void
test_cmd_data_in_split_header(void)
{
	/* Header in 3 pieces, response split 100 + 8 (+ 4 data bytes in that descriptor), data. */
	const uint32_t lens[] = {10, 20, 21, 100, 12, 4096};
	struct virtio_scsi_cmd_resp r;
	struct vd_scsi_task task;
	struct vscsi_cmd cmd;
	struct chain c;

	chain_init(&c, lens, 6, 3);
	put_req(&c, LUN_T2, 77, 0x28);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(cmd.target, 2);
	CU_ASSERT_EQUAL(cmd.lun, 0);
	CU_ASSERT_EQUAL(cmd.req.tag, 77);
	CU_ASSERT_EQUAL(cmd.req.cdb[0], 0x28);
	CU_ASSERT_EQUAL(cmd.dir, VD_SCSI_DIR_FROM_DEV);
	CU_ASSERT_EQUAL(cmd.data_len, 4100);
	CU_ASSERT_EQUAL(cmd.data_cnt, 2);
	CU_ASSERT(cmd.data[0].iov_base == g_mem + 51 + 108 && cmd.data[0].iov_len == 4);
	CU_ASSERT_EQUAL(cmd.data[1].iov_len, 4096);
	CU_ASSERT_EQUAL(cmd.resp.iovcnt, 2);

	memset(&task, 0, sizeof(task));
	task.status = VD_SCSI_STATUS_CHECK_CONDITION;
	task.sense_len = 18;
	task.sense[0] = 0x70;
	task.data_len = 512;
	task.residual = 4100 - 512;
	CU_ASSERT_EQUAL(vscsi_cmd_respond(&cmd, VIRTIO_SCSI_S_OK, &task), 108 + 512);
	get_resp(&cmd, &r);
	CU_ASSERT_EQUAL(r.response, VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(r.status, VD_SCSI_STATUS_CHECK_CONDITION);
	CU_ASSERT_EQUAL(r.sense_len, 18);
	CU_ASSERT_EQUAL(r.sense[0], 0x70);
	CU_ASSERT_EQUAL(r.resid, 4100 - 512);
}

static void
test_cmd_data_out(void)
{
	const uint32_t lens[] = {60, 512, 108};
	struct virtio_scsi_cmd_resp r;
	struct vd_scsi_task task;
	struct vscsi_cmd cmd;
	struct chain c;

	chain_init(&c, lens, 3, 2);
	put_req(&c, LUN_T2, 1, 0x2a);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(cmd.dir, VD_SCSI_DIR_TO_DEV);
	CU_ASSERT_EQUAL(cmd.data_len, 9 + 512);
	CU_ASSERT_EQUAL(cmd.data_cnt, 2);
	CU_ASSERT(cmd.data[0].iov_base == g_mem + 51 && cmd.data[0].iov_len == 9);
	memset(&task, 0, sizeof(task));
	task.data_len = 521;
	/* Data-out bytes are not "written" to the guest: used = the response only. */
	CU_ASSERT_EQUAL(vscsi_cmd_respond(&cmd, VIRTIO_SCSI_S_OK, &task), 108);
	get_resp(&cmd, &r);
	CU_ASSERT_EQUAL(r.resid, 0);
	CU_ASSERT_EQUAL(r.status, 0);
}

static void
test_cmd_no_data_and_errors(void)
{
	const uint32_t ok[] = {51, 108}, short_hdr[] = {50, 108}, short_resp[] = {51, 107};
	const uint32_t bidi[] = {51, 4, 108, 4}, ro_only[] = {51, 200};
	const uint8_t bad_lun0[8] = {2, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t bad_level2[8] = {1, 0, 0, 0, 0, 7, 0, 0};
	struct virtio_scsi_cmd_resp r;
	struct vscsi_cmd cmd;
	struct chain c;

	chain_init(&c, ok, 2, 1);
	put_req(&c, LUN_T2, 1, 0x00);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(cmd.dir, VD_SCSI_DIR_NONE);
	CU_ASSERT_EQUAL(cmd.data_cnt, 0);

	chain_init(&c, short_hdr, 2, 1);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VIRTIO_SCSI_S_FAILURE);
	CU_ASSERT_EQUAL(vscsi_cmd_respond(&cmd, VIRTIO_SCSI_S_FAILURE, NULL), 108);
	get_resp(&cmd, &r);
	CU_ASSERT_EQUAL(r.response, VIRTIO_SCSI_S_FAILURE);

	chain_init(&c, short_resp, 2, 1);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_DROP);
	chain_init(&c, ro_only, 2, 2);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_DROP);

	chain_init(&c, bidi, 4, 2);
	put_req(&c, LUN_T2, 1, 0x28);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VIRTIO_SCSI_S_FAILURE);

	chain_init(&c, ok, 2, 1);
	put_req(&c, bad_lun0, 1, 0x00);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VIRTIO_SCSI_S_BAD_TARGET);
	put_req(&c, bad_level2, 1, 0x00);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VIRTIO_SCSI_S_INCORRECT_LUN);
	CU_ASSERT_EQUAL(vscsi_cmd_respond(&cmd, VIRTIO_SCSI_S_INCORRECT_LUN, NULL), 108);
	get_resp(&cmd, &r);
	CU_ASSERT_EQUAL(r.response, VIRTIO_SCSI_S_INCORRECT_LUN);
}

static void
test_cmd_resp_too_fragmented(void)
{
	uint32_t lens[16];
	struct vscsi_cmd cmd;
	struct chain c;
	int i;

	lens[0] = 51;
	for (i = 1; i < 16; i++) {
		lens[i] = 8; /* 15 * 8 = 120 bytes, the response needs 14 segments */
	}
	chain_init(&c, lens, 16, 1);
	put_req(&c, LUN_T2, 1, 0x00);
	CU_ASSERT_EQUAL(vscsi_parse_cmd(&c.req, &cmd), VSCSI_PARSE_DROP);
}

static void
put_tmf(struct chain *c, uint32_t subtype, const uint8_t lun[8], uint64_t tag)
{
	struct virtio_scsi_ctrl_tmf_req t = {
		.type = VIRTIO_SCSI_T_TMF, .subtype = subtype, .tag = tag};

	memcpy(t.lun, lun, 8);
	vd_iov_from_buf(c->iovs, c->req.num_readable, &t, sizeof(t));
}

static void
test_ctrl_tmf(void)
{
	const uint32_t lens[] = {24, 1}, short_lens[] = {23, 1}, no_resp[] = {24};
	const uint8_t bad[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	struct vscsi_ctrl ctrl;
	struct chain c;

	chain_init(&c, lens, 2, 1);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK, LUN_T2, 0x1234);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_SUBMIT);
	CU_ASSERT(ctrl.tmf == VD_SCSI_TMF_ABORT_TASK && ctrl.tag == 0x1234 && ctrl.target == 2);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(ctrl.tmf, VD_SCSI_TMF_LUN_RESET);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(ctrl.tmf, VD_SCSI_TMF_I_T_NEXUS_RESET);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(ctrl.tmf, VD_SCSI_TMF_ABORT_TASK_SET);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_CLEAR_ACA, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_FUNCTION_REJECTED);
	put_tmf(&c, 99, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_FUNCTION_REJECTED);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK, bad, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_BAD_TARGET);
	CU_ASSERT_EQUAL(vscsi_ctrl_respond(&ctrl, VIRTIO_SCSI_S_BAD_TARGET), 1);
	CU_ASSERT_EQUAL(g_mem[24], VIRTIO_SCSI_S_BAD_TARGET);

	chain_init(&c, short_lens, 2, 1);
	put_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK, LUN_T2, 0);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_FAILURE);
	chain_init(&c, no_resp, 1, 1);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_DROP);

	CU_ASSERT_EQUAL(vscsi_tmf_response(VD_SCSI_TMF_RESP_COMPLETE), 0);
	CU_ASSERT_EQUAL(vscsi_tmf_response(VD_SCSI_TMF_RESP_SUCCEEDED), 10);
	CU_ASSERT_EQUAL(vscsi_tmf_response(VD_SCSI_TMF_RESP_REJECTED), 11);
	CU_ASSERT_EQUAL(vscsi_tmf_response(VD_SCSI_TMF_RESP_INCORRECT_LUN), 12);
}

static void
test_ctrl_an_and_garbage(void)
{
	const uint32_t lens[] = {16, 5}, small_resp[] = {16, 4}, tiny[] = {2, 1};
	struct virtio_scsi_ctrl_an_req an = {.type = VIRTIO_SCSI_T_AN_QUERY,
					     .event_requested = 0xff};
	struct virtio_scsi_ctrl_an_resp resp;
	uint32_t garbage = 0xdeadbeef;
	struct vscsi_ctrl ctrl;
	struct chain c;

	memcpy(an.lun, LUN_T2, 8);
	chain_init(&c, lens, 2, 1);
	vd_iov_from_buf(c.iovs, 1, &an, sizeof(an));
	memset(g_mem + 16, 0xee, 5);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(vscsi_ctrl_respond(&ctrl, VIRTIO_SCSI_S_OK), 5);
	memcpy(&resp, g_mem + 16, sizeof(resp));
	CU_ASSERT(resp.event_actual == 0 && resp.response == VIRTIO_SCSI_S_OK);

	/* AN with a 4-byte response buffer: nowhere to answer. */
	chain_init(&c, small_resp, 2, 1);
	vd_iov_from_buf(c.iovs, 1, &an, sizeof(an));
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VSCSI_PARSE_DROP);

	/* Unknown type: FAILURE in a one-byte response. */
	chain_init(&c, lens, 2, 1);
	vd_iov_from_buf(c.iovs, 1, &garbage, sizeof(garbage));
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_FAILURE);
	CU_ASSERT_EQUAL(vscsi_ctrl_respond(&ctrl, VIRTIO_SCSI_S_FAILURE), 1);
	CU_ASSERT_EQUAL(g_mem[16], VIRTIO_SCSI_S_FAILURE);
	/* Too short for a type. */
	chain_init(&c, tiny, 2, 1);
	CU_ASSERT_EQUAL(vscsi_parse_ctrl(&c.req, &ctrl), VIRTIO_SCSI_S_FAILURE);
}

static void
test_event_write(void)
{
	const uint32_t good[] = {8, 8}, small[] = {15}, readable[] = {16, 16};
	struct virtio_scsi_event ev = {.event = VIRTIO_SCSI_T_TRANSPORT_RESET,
				       .reason = VIRTIO_SCSI_EVT_RESET_RESCAN};
	struct virtio_scsi_event got;
	struct chain c;

	vscsi_lun_make(ev.lun, 3, 0);
	chain_init(&c, good, 2, 0);
	CU_ASSERT_EQUAL(vscsi_event_write(&c.req, &ev), 16);
	memcpy(&got, g_mem, sizeof(got));
	CU_ASSERT(memcmp(&got, &ev, sizeof(ev)) == 0);
	chain_init(&c, small, 1, 0);
	CU_ASSERT_EQUAL(vscsi_event_write(&c.req, &ev), -EINVAL);
	chain_init(&c, readable, 2, 1);
	CU_ASSERT_EQUAL(vscsi_event_write(&c.req, &ev), -EINVAL);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("scsi_proto", NULL, NULL);
	CU_add_test(s, "config", test_config);
	CU_add_test(s, "lun", test_lun);
	CU_add_test(s, "cmd_data_in_split_header", test_cmd_data_in_split_header);
	CU_add_test(s, "cmd_data_out", test_cmd_data_out);
	CU_add_test(s, "cmd_no_data_and_errors", test_cmd_no_data_and_errors);
	CU_add_test(s, "cmd_resp_too_fragmented", test_cmd_resp_too_fragmented);
	CU_add_test(s, "ctrl_tmf", test_ctrl_tmf);
	CU_add_test(s, "ctrl_an_and_garbage", test_ctrl_an_and_garbage);
	CU_add_test(s, "event_write", test_event_write);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return nfail != 0;
}
