/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Raw virtio-scsi requests against a real vhostd.  The test script starts vhostd with two
 * vhost-scsi controllers in one socket directory (vscsi0: targets 0 and 2, vscsi1: target 0; all
 * malloc bdevs of CAPACITY 512-byte blocks) and runs `scsi_proto <sock_dir>`, relaying
 * "REQUEST <what>" lines on our stdout to RPCs and answering "OK" on our stdin.  We play QEMU and
 * the guest driver with the raw front-end (test/harness/vhost_frontend.h): config space, SCSI
 * commands, malformed chains (short headers, no response buffer, both data directions, buffers
 * outside guest memory), LUN fields that point nowhere, task management for unknown tags and
 * absent targets, asynchronous-notification and garbage control requests, the event queue
 * (hot-plug events, garbage event buffers), then random chains on vscsi0 while vscsi1 must keep
 * serving.  Prints one TEST-RESULT line per test; exit status 1 when any failed.
 *
 * `scsi_proto --restart <sock_dir> <ctrlr>`: inflight resubmission across a vhostd SIGKILL and
 * restart, QEMU's reconnect=1 played by hand (test_scsi_proto's second daemon: target 0 of
 * <ctrlr> on an AIO bdev of at least 256 blocks).  With the inflight region negotiated we write
 * pattern A at LBA 64 normally, then ask the script to SIGKILL vhostd ("REQUEST kill").  With
 * vhostd dead we leave the ring as a crash while two more writes were queued leaves it: write B
 * (LBA 128) in the avail ring and marked inflight in the region (fetched, not completed, its
 * counter after every earlier one), write C (LBA 192) in the avail ring only.  The script
 * restarts vhostd from its saved config ("REQUEST restart"); we reconnect with the same memory,
 * rings and region (SET_VRING_BASE = used->idx, as QEMU does).  The restarted vhostd must
 * resubmit B from the region, then fetch C, completing each exactly once with GOOD status, and
 * READ(10) must return A, B and C.  Still connected, we let the script read the queue
 * statistics ("REQUEST check": one request resubmitted); it then checks the backing file.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_result.h"
#include "vhost_frontend.h"

#define CAPACITY 32768u /* blocks, set by the test script */
#define MEM_SIZE (8u << 20)
#define QSIZE 128
#define NQ 4 /* control, event, two request queues */
#define F_HOTPLUG (1ULL << 1)
#define F_CHANGE (1ULL << 2)

/* Response codes. */
#define S_OK 0
#define S_ABORTED 2
#define S_BAD_TARGET 3
#define S_FAILURE 9
#define S_FUNCTION_SUCCEEDED 10
#define S_FUNCTION_REJECTED 11
#define S_INCORRECT_LUN 12
#define NO_RESPONSE 0xee

struct cmd_req {
	uint8_t lun[8];
	uint64_t tag;
	uint8_t task_attr, prio, crn;
	uint8_t cdb[32];
} __attribute__((packed));

struct cmd_resp {
	uint32_t sense_len;
	uint32_t resid;
	uint16_t status_qualifier;
	uint8_t status;
	uint8_t response;
	uint8_t sense[96];
} __attribute__((packed));

struct tmf_req {
	uint32_t type, subtype;
	uint8_t lun[8];
	uint64_t tag;
} __attribute__((packed));

struct an_req {
	uint32_t type;
	uint8_t lun[8];
	uint32_t event_requested;
} __attribute__((packed));

struct event {
	uint32_t event;
	uint8_t lun[8];
	uint32_t reason;
} __attribute__((packed));

/* One connected controller with scratch buffers in its guest memory. */
struct ctl {
	const char *name;
	struct vfe fe;
	uint64_t req, resp, data, ev;
};

static const char *g_dir;

/* Ask the test script to run an RPC ("add-target vscsi0 6 Malloc3"); 0 when it answered OK. */
static int
ask(const char *what)
{
	char line[64];

	printf("REQUEST %s\n", what);
	fflush(stdout);
	CHECK(fgets(line, sizeof(line), stdin) != NULL && strncmp(line, "OK", 2) == 0,
	      "the script did not run '%s'", what);
	return 0;
}

static int
ctl_open(struct ctl *c, const char *name, uint64_t features)
{
	char path[512];
	uint16_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->name = name;
	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	rc = vfe_connect(&c->fe, path, 5000);
	CHECK(rc == 0, "connect %s: %s", path, strerror(-rc));
	rc = vfe_negotiate(&c->fe, features, ~0ULL);
	rc = rc ?: vfe_mem_create(&c->fe, MEM_SIZE);
	rc = rc ?: vfe_set_mem_table(&c->fe);
	for (i = 0; rc == 0 && i < NQ; i++) {
		rc = vfe_vring_setup(&c->fe, i, QSIZE);
	}
	CHECK(rc == 0, "bring-up of %s: %s", name, strerror(-rc));
	c->req = vfe_alloc(&c->fe, 4096, 4096);
	c->resp = vfe_alloc(&c->fe, 4096, 4096);
	c->ev = vfe_alloc(&c->fe, 4096, 4096);
	c->data = vfe_alloc(&c->fe, 1u << 20, 4096);
	return 0;
}

static void
ctl_close(struct ctl *c)
{
	vfe_close(&c->fe);
}

static void *
gpa(struct ctl *c, uint64_t a)
{
	return vfe_gpa(&c->fe, a);
}

static struct cmd_resp *
resp(struct ctl *c)
{
	return gpa(c, c->resp);
}

static uint8_t *
data(struct ctl *c)
{
	return gpa(c, c->data);
}

/* Publish a chain on queue q and wait for its used element.  \return 0 or -1 (why set). */
static int
submit(struct ctl *c, uint16_t q, const struct vfe_desc *d, uint16_t n, uint32_t *used_len)
{
	struct vfe_used_elem e;
	uint16_t head;
	int rc;

	head = vfe_vring_put_chain(&c->fe, q, d, n);
	vfe_vring_publish(&c->fe, q, head);
	rc = vfe_vring_wait_used(&c->fe, q, &e, 5000);
	CHECK(rc == 0, "%s: no used element on queue %u within 5 s", c->name, q);
	CHECK(e.id == head, "%s: used id %u, want head %u", c->name, e.id, head);
	*used_len = e.len;
	return 0;
}

static void
make_lun(uint8_t lun[8], uint8_t target)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = target;
	lun[2] = 0x40;
}

/* A command: header, data-out (out bytes), response, data-in (in bytes). */
static int
command(struct ctl *c, const uint8_t lun[8], const uint8_t *cdb, uint32_t cdb_len, uint32_t out,
	uint32_t in, uint32_t *used)
{
	struct cmd_req *r = gpa(c, c->req);
	struct vfe_desc d[4];
	uint16_t n = 0;

	memset(r, 0, sizeof(*r));
	memcpy(r->lun, lun, 8);
	r->tag = 0x1000 + c->fe.vq[2].avail_idx;
	memcpy(r->cdb, cdb, cdb_len);
	memset(resp(c), NO_RESPONSE, sizeof(struct cmd_resp));
	d[n++] = (struct vfe_desc){.addr = c->req, .len = sizeof(*r)};
	if (out > 0) {
		d[n++] = (struct vfe_desc){.addr = c->data, .len = out};
	}
	d[n++] = (struct vfe_desc){
		.addr = c->resp, .len = sizeof(struct cmd_resp), .flags = VFE_DESC_F_WRITE};
	if (in > 0) {
		d[n++] = (struct vfe_desc){.addr = c->data, .len = in, .flags = VFE_DESC_F_WRITE};
	}
	return submit(c, 2, d, n, used);
}

static int
expect_response(struct ctl *c, uint8_t target, uint8_t want, const char *what)
{
	static const uint8_t tur[6] = {0};
	uint8_t lun[8];
	uint32_t used;

	make_lun(lun, target);
	if (command(c, lun, tur, 6, 0, 0, &used) != 0) {
		return -1;
	}
	CHECK(used == sizeof(struct cmd_resp) && resp(c)->response == want,
	      "%s: used %u response %u, want 108 / %u", what, used, resp(c)->response, want);
	return 0;
}

static int
get_config(struct ctl *c, uint32_t off, uint32_t size, uint8_t *out, uint32_t *got)
{
	struct {
		uint32_t offset, size, flags;
		uint8_t buf[256];
	} __attribute__((packed)) m = {.offset = off, .size = size};
	struct vfe_msg reply;
	int rc;

	rc = vfe_send(&c->fe, VHOST_USER_GET_CONFIG, VFE_FLAG_VERSION, &m, 12 + size, NULL, 0);
	CHECK(rc == 0, "send GET_CONFIG: %s", strerror(-rc));
	rc = vfe_recv(&c->fe, &reply, 5000);
	CHECK(rc == 0, "GET_CONFIG reply: %s", strerror(-rc));
	*got = reply.size >= 12 ? reply.size - 12 : 0;
	if (*got > 0 && *got <= 256) {
		memcpy(out, reply.payload + 12, *got);
	}
	return 0;
}

/* Tests --------------------------------------------------------------------------------- */

static int
run_features_config(struct ctl *c)
{
	uint32_t cfg[9], got;
	uint64_t qn;

	CHECK(c->fe.features & F_HOTPLUG, "HOTPLUG not offered (features 0x%" PRIx64 ")",
	      c->fe.features);
	CHECK(!(c->fe.features & 1), "INOUT must not be offered");
	if (get_config(c, 0, 36, (uint8_t *)cfg, &got) != 0) {
		return -1;
	}
	CHECK(got == 36, "config: %u bytes", got);
	/* num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size, sense_size, cdb_size,
	 * max_channel | max_target << 16, max_lun */
	CHECK(cfg[0] == 16 && cfg[4] == 16 && cfg[5] == 96 && cfg[6] == 32,
	      "config num_queues %u event_info_size %u sense_size %u cdb_size %u", cfg[0], cfg[4],
	      cfg[5], cfg[6]);
	CHECK(cfg[7] == (7u << 16) && cfg[8] == 7, "config max_channel/target 0x%x max_lun %u",
	      cfg[7], cfg[8]);
	CHECK(vfe_get_u64(&c->fe, VHOST_USER_GET_QUEUE_NUM, &qn) == 0 && qn == 18,
	      "GET_QUEUE_NUM %" PRIu64, qn);
	return 0;
}

static int
run_commands(struct ctl *c)
{
	static const uint8_t inquiry[6] = {0x12, 0, 0, 0, 96, 0};
	static const uint8_t rc10[10] = {0x25};
	uint8_t lun[8], write16[16] = {0x8a}, read16[16] = {0x88};
	uint32_t used, i, last;

	make_lun(lun, 0);
	if (command(c, lun, inquiry, 6, 0, 4096, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_OK && resp(c)->status == 0 && used == 108 + 96 &&
		      memcmp(data(c) + 8, "VHOSTD  ", 8) == 0 && resp(c)->resid == 4096 - 96,
	      "INQUIRY: response %u status %u used %u resid %u vendor '%.8s'", resp(c)->response,
	      resp(c)->status, used, resp(c)->resid, (char *)data(c) + 8);
	if (command(c, lun, rc10, 10, 0, 8, &used) != 0) {
		return -1;
	}
	last = (uint32_t)data(c)[0] << 24 | data(c)[1] << 16 | data(c)[2] << 8 | data(c)[3];
	CHECK(used == 116 && last == CAPACITY - 1, "READ CAPACITY(10): used %u last LBA %u", used,
	      last);
	/* 64 KiB write at LBA 100, read back. */
	for (i = 0; i < 65536; i++) {
		data(c)[i] = (uint8_t)(i * 13 + 1);
	}
	write16[9] = 100;
	write16[13] = 128;
	if (command(c, lun, write16, 16, 65536, 0, &used) != 0) {
		return -1;
	}
	CHECK(used == 108 && resp(c)->response == S_OK && resp(c)->status == 0,
	      "WRITE(16): used %u response %u status %u", used, resp(c)->response, resp(c)->status);
	memset(data(c), 0, 65536);
	read16[9] = 100;
	read16[13] = 128;
	if (command(c, lun, read16, 16, 0, 65536, &used) != 0) {
		return -1;
	}
	CHECK(used == 108 + 65536 && resp(c)->status == 0, "READ(16): used %u status %u", used,
	      resp(c)->status);
	for (i = 0; i < 65536; i++) {
		CHECK(data(c)[i] == (uint8_t)(i * 13 + 1), "read back differs at byte %u", i);
	}
	/* Past the end: CHECK CONDITION with sense, response OK. */
	read16[9] = 0;
	read16[6] = 1;
	if (command(c, lun, read16, 16, 0, 65536, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_OK && resp(c)->status == 2 && resp(c)->sense_len >= 18 &&
		      (resp(c)->sense[2] & 0xf) == 5 && resp(c)->sense[12] == 0x21,
	      "READ past the end: status %u sense_len %u key %u asc 0x%x", resp(c)->status,
	      resp(c)->sense_len, resp(c)->sense[2] & 0xf, resp(c)->sense[12]);
	return 0;
}

static int
run_bad_luns(struct ctl *c)
{
	static const uint8_t tur[6] = {0};
	uint8_t lun[8];
	uint32_t used;

	if (expect_response(c, 5, S_BAD_TARGET, "absent target 5") != 0 ||
	    expect_response(c, 200, S_BAD_TARGET, "target 200") != 0 ||
	    expect_response(c, 2, S_OK, "target 2") != 0) {
		return -1;
	}
	make_lun(lun, 0);
	lun[0] = 0;
	if (command(c, lun, tur, 6, 0, 0, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_BAD_TARGET, "lun[0] = 0: response %u", resp(c)->response);
	make_lun(lun, 0);
	lun[6] = 9; /* a second LUN level */
	if (command(c, lun, tur, 6, 0, 0, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_INCORRECT_LUN, "two-level LUN: response %u",
	      resp(c)->response);
	/* LUN 5 of target 0 does not exist: a SCSI answer (LOGICAL UNIT NOT SUPPORTED). */
	make_lun(lun, 0);
	lun[3] = 5;
	if (command(c, lun, tur, 6, 0, 0, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_OK && resp(c)->status == 2 && resp(c)->sense[12] == 0x25,
	      "absent LUN: response %u status %u asc 0x%x", resp(c)->response, resp(c)->status,
	      resp(c)->sense[12]);
	return 0;
}

static int
run_malformed(struct ctl *c)
{
	uint8_t lun[8];
	uint32_t used;
	struct vfe_desc d[4];

	make_lun(lun, 0);
	memcpy(gpa(c, c->req), lun, 8);
	/* Short header. */
	memset(resp(c), NO_RESPONSE, 108);
	d[0] = (struct vfe_desc){.addr = c->req, .len = 20};
	d[1] = (struct vfe_desc){.addr = c->resp, .len = 108, .flags = VFE_DESC_F_WRITE};
	if (submit(c, 2, d, 2, &used) != 0) {
		return -1;
	}
	CHECK(used == 108 && resp(c)->response == S_FAILURE, "short header: used %u response %u",
	      used, resp(c)->response);
	/* Response buffer too small: nothing written. */
	memset(resp(c), NO_RESPONSE, 108);
	d[0] = (struct vfe_desc){.addr = c->req, .len = 51};
	d[1] = (struct vfe_desc){.addr = c->resp, .len = 100, .flags = VFE_DESC_F_WRITE};
	if (submit(c, 2, d, 2, &used) != 0) {
		return -1;
	}
	CHECK(used == 0 && resp(c)->response == NO_RESPONSE, "small response: used %u", used);
	/* Only readable descriptors. */
	d[1].flags = 0;
	if (submit(c, 2, d, 2, &used) != 0) {
		return -1;
	}
	CHECK(used == 0, "no writable descriptor: used %u", used);
	/* Data-out and data-in at once. */
	d[1] = (struct vfe_desc){.addr = c->data, .len = 512};
	d[2] = (struct vfe_desc){.addr = c->resp, .len = 108, .flags = VFE_DESC_F_WRITE};
	d[3] = (struct vfe_desc){.addr = c->data + 4096, .len = 512, .flags = VFE_DESC_F_WRITE};
	if (submit(c, 2, d, 4, &used) != 0) {
		return -1;
	}
	CHECK(used == 108 && resp(c)->response == S_FAILURE, "bidirectional: used %u response %u",
	      used, resp(c)->response);
	/* Data buffer outside guest memory: the chain is refused (used length 0). */
	d[1] = (struct vfe_desc){.addr = c->resp, .len = 108, .flags = VFE_DESC_F_WRITE};
	d[2] = (struct vfe_desc){.addr = MEM_SIZE + 4096, .len = 4096, .flags = VFE_DESC_F_WRITE};
	if (submit(c, 2, d, 3, &used) != 0) {
		return -1;
	}
	CHECK(used == 0, "data outside memory: used %u", used);
	d[2] = (struct vfe_desc){.addr = MEM_SIZE - 512, .len = 4096, .flags = VFE_DESC_F_WRITE};
	if (submit(c, 2, d, 3, &used) != 0) {
		return -1;
	}
	CHECK(used == 0, "data straddling the end of memory: used %u", used);
	return expect_response(c, 0, S_OK, "after malformed chains");
}

/* A control request: readable request of req_len bytes at c->req, writable response. */
static int
control(struct ctl *c, uint32_t req_len, uint32_t resp_len, uint32_t *used)
{
	struct vfe_desc d[2] = {
		{.addr = c->req, .len = req_len},
		{.addr = c->resp, .len = resp_len, .flags = VFE_DESC_F_WRITE},
	};

	memset(resp(c), NO_RESPONSE, 16);
	return submit(c, 0, d, resp_len > 0 ? 2 : 1, used);
}

static int
tmf(struct ctl *c, uint32_t subtype, uint8_t target, uint64_t tag, uint8_t want, const char *w)
{
	struct tmf_req *t = gpa(c, c->req);
	uint8_t *r = gpa(c, c->resp);
	uint32_t used;

	memset(t, 0, sizeof(*t));
	t->type = 0;
	t->subtype = subtype;
	make_lun(t->lun, target);
	t->tag = tag;
	if (control(c, sizeof(*t), 1, &used) != 0) {
		return -1;
	}
	CHECK(used == 1 && r[0] == want, "%s: used %u response %u, want %u", w, used, r[0], want);
	return 0;
}

static int
run_control(struct ctl *c)
{
	struct an_req *an = gpa(c, c->req);
	uint8_t *r = gpa(c, c->resp);
	uint32_t used, actual;

	if (tmf(c, 0, 0, 0xdeadbeef, S_OK, "ABORT TASK of an unknown tag") != 0 ||
	    tmf(c, 6, 0, 0xdeadbeef, S_OK, "QUERY TASK of an unknown tag") != 0 ||
	    tmf(c, 0, 5, 1, S_BAD_TARGET, "ABORT TASK on an absent target") != 0 ||
	    tmf(c, 5, 0, 0, S_OK, "LOGICAL UNIT RESET") != 0 ||
	    tmf(c, 4, 2, 0, S_OK, "I_T NEXUS RESET") != 0 ||
	    tmf(c, 1, 0, 0, S_OK, "ABORT TASK SET") != 0 ||
	    tmf(c, 2, 0, 0, S_FUNCTION_REJECTED, "CLEAR ACA") != 0 ||
	    tmf(c, 77, 0, 0, S_FUNCTION_REJECTED, "unknown TMF") != 0) {
		return -1;
	}
	/* The unit attention left by the resets is reported once. */
	if (expect_response(c, 0, S_OK, "after reset") != 0) {
		return -1;
	}
	/* Asynchronous notification: answered, no events supported. */
	memset(an, 0, sizeof(*an));
	an->type = 1;
	make_lun(an->lun, 0);
	an->event_requested = 0xffffffff;
	if (control(c, sizeof(*an), 5, &used) != 0) {
		return -1;
	}
	memcpy(&actual, r, 4);
	CHECK(used == 5 && actual == 0 && r[4] == S_OK, "AN query: used %u actual %u resp %u", used,
	      actual, r[4]);
	/* Garbage: unknown type, short TMF, no response buffer. */
	memset(an, 0xa5, 32);
	if (control(c, 32, 1, &used) != 0) {
		return -1;
	}
	CHECK(used == 1 && r[0] == S_FAILURE, "unknown control type: used %u resp %u", used, r[0]);
	memset(an, 0, 8);
	if (control(c, 8, 1, &used) != 0) {
		return -1;
	}
	CHECK(used == 1 && r[0] == S_FAILURE, "short TMF: used %u resp %u", used, r[0]);
	if (control(c, 24, 0, &used) != 0) {
		return -1;
	}
	CHECK(used == 0, "TMF without a response buffer: used %u", used);
	return expect_response(c, 0, S_OK, "after control garbage");
}

static int
event_buf(struct ctl *c, int i, bool writable, uint16_t *head)
{
	struct vfe_desc d = {.addr = c->ev + 16 * (uint64_t)i,
			     .len = 16,
			     .flags = writable ? VFE_DESC_F_WRITE : 0};

	memset(gpa(c, d.addr), 0xee, 16);
	*head = vfe_vring_put_chain(&c->fe, 1, &d, 1);
	vfe_vring_publish(&c->fe, 1, *head);
	return 0;
}

static int
wait_event(struct ctl *c, uint16_t head, uint32_t want_len, const char *what)
{
	struct vfe_used_elem e;

	CHECK(vfe_vring_wait_used(&c->fe, 1, &e, 5000) == 0, "%s: no event within 5 s", what);
	CHECK(e.id == head && e.len == want_len, "%s: used id %u len %u, want %u / %u", what, e.id,
	      e.len, head, want_len);
	return 0;
}

static int
run_events(struct ctl *c)
{
	struct event *ev = gpa(c, c->ev);
	uint16_t h0, h1, h2;

	/* A readable "event buffer" is garbage: it comes back empty, the event goes to the
	 * next buffer. */
	event_buf(c, 0, false, &h0);
	event_buf(c, 1, true, &h1);
	if (ask("add-target vscsi0 6 Malloc3") != 0 || wait_event(c, h0, 0, "readable buf") != 0 ||
	    wait_event(c, h1, 16, "rescan event") != 0) {
		return -1;
	}
	CHECK(ev[1].event == 1 && ev[1].reason == 1 && ev[1].lun[0] == 1 && ev[1].lun[1] == 6,
	      "rescan event: event %u reason %u lun %u/%u", ev[1].event, ev[1].reason, ev[1].lun[0],
	      ev[1].lun[1]);
	if (expect_response(c, 6, S_OK, "hot-added target 6") != 0) {
		return -1;
	}
	event_buf(c, 2, true, &h2);
	if (ask("remove-target vscsi0 6") != 0 || wait_event(c, h2, 16, "removed event") != 0) {
		return -1;
	}
	CHECK(ev[2].event == 1 && ev[2].reason == 2 && ev[2].lun[1] == 6,
	      "removed event: event %u reason %u target %u", ev[2].event, ev[2].reason,
	      ev[2].lun[1]);
	return expect_response(c, 6, S_BAD_TARGET, "removed target 6");
}

/* Random chains on the request and control queues; the controller must keep answering. */
static int
run_fuzz(struct ctl *c, struct ctl *other)
{
	struct vfe_used_elem e;
	struct vfe_desc d[6];
	uint16_t q, n, i, head;
	uint32_t iter;
	uint8_t *p;

	srand(4242);
	for (iter = 0; iter < 2000; iter++) {
		q = (uint16_t)(rand() % 2 == 0 ? 0 : 2 + rand() % 2);
		n = (uint16_t)(1 + rand() % 6);
		for (i = 0; i < n; i++) {
			d[i].addr = rand() % 8 == 0 ? (uint64_t)rand() * 4096
						    : c->data + rand() % 65536;
			d[i].len = (uint32_t)(rand() % 8 == 0 ? rand() : rand() % 300);
			d[i].flags = (uint16_t)(rand() % 2 == 0 ? VFE_DESC_F_WRITE : 0);
		}
		p = data(c);
		for (i = 0; i < 128; i++) {
			p[rand() % 65536] = (uint8_t)rand();
		}
		/* Mostly a plausible LUN field so some garbage reaches lib/scsi. */
		p = gpa(c, c->data);
		p[0] = 1;
		head = vfe_vring_put_chain(&c->fe, q, d, n);
		vfe_vring_publish(&c->fe, q, head);
		CHECK(vfe_vring_wait_used(&c->fe, q, &e, 5000) == 0,
		      "fuzz %u: no used element on queue %u", iter, q);
	}
	if (expect_response(c, 0, S_OK, "vscsi0 after the fuzz") != 0) {
		return -1;
	}
	return expect_response(other, 0, S_OK, "vscsi1 after the fuzz");
}

/* Restart test ------------------------------------------------------------------------- */

#define RS_BLOCKS 8u /* 4 KiB per write */
#define RS_PATTERN(lba, i) ((uint8_t)((lba) * 7u + (i) * 31u + 3u))

/* One WRITE(10) of RS_BLOCKS at \p lba in buffers of its own; \return the chain's head. */
static uint16_t
put_write(struct ctl *c, uint32_t lba, uint64_t *resp_gpa)
{
	uint64_t req = vfe_alloc(&c->fe, sizeof(struct cmd_req), 64);
	uint64_t buf = vfe_alloc(&c->fe, RS_BLOCKS * 512, 4096);
	struct cmd_req *r = gpa(c, req);
	uint8_t *p = gpa(c, buf);
	struct vfe_desc d[3];
	uint32_t i;

	*resp_gpa = vfe_alloc(&c->fe, sizeof(struct cmd_resp), 64);
	memset(r, 0, sizeof(*r));
	make_lun(r->lun, 0);
	r->tag = 0x7000 + lba;
	r->cdb[0] = 0x2a;
	r->cdb[2] = (uint8_t)(lba >> 24);
	r->cdb[3] = (uint8_t)(lba >> 16);
	r->cdb[4] = (uint8_t)(lba >> 8);
	r->cdb[5] = (uint8_t)lba;
	r->cdb[8] = RS_BLOCKS;
	for (i = 0; i < RS_BLOCKS * 512; i++) {
		p[i] = RS_PATTERN(lba, i);
	}
	memset(gpa(c, *resp_gpa), NO_RESPONSE, sizeof(struct cmd_resp));
	d[0] = (struct vfe_desc){.addr = req, .len = sizeof(*r)};
	d[1] = (struct vfe_desc){.addr = buf, .len = RS_BLOCKS * 512};
	d[2] = (struct vfe_desc){
		.addr = *resp_gpa, .len = sizeof(struct cmd_resp), .flags = VFE_DESC_F_WRITE};
	return vfe_vring_put_chain(&c->fe, 2, d, 3);
}

/* Put \p head in queue 2's avail ring without kicking (vhostd is dead). */
static void
queue_quietly(struct ctl *c, uint16_t head)
{
	struct vfe_vring *vq = &c->fe.vq[2];

	vq->avail[2 + (vq->avail_idx & (vq->size - 1))] = head;
	vfe_vring_set_avail_idx(&c->fe, 2, (uint16_t)(vq->avail_idx + 1));
}

static int
read_back(struct ctl *c, uint32_t lba)
{
	uint8_t lun[8], cdb[10] = {0x28};
	uint32_t used, i;

	make_lun(lun, 0);
	cdb[5] = (uint8_t)lba;
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[8] = RS_BLOCKS;
	memset(data(c), 0, RS_BLOCKS * 512);
	if (command(c, lun, cdb, 10, 0, RS_BLOCKS * 512, &used) != 0) {
		return -1;
	}
	CHECK(resp(c)->response == S_OK && resp(c)->status == 0, "READ(10) of LBA %u: response %u "
	      "status %u", lba, resp(c)->response, resp(c)->status);
	for (i = 0; i < RS_BLOCKS * 512; i++) {
		CHECK(data(c)[i] == RS_PATTERN(lba, i), "LBA %u: byte %u is 0x%02x, want 0x%02x", lba,
		      i, data(c)[i], RS_PATTERN(lba, i));
	}
	return 0;
}

static int
run_restart(const char *ctrlr)
{
	struct vfe_inflight inf = {.fd = -1};
	struct vfe_used_elem e[2];
	uint8_t lun[8], cdb[10] = {0x2a};
	uint64_t stride, max_counter = 0, resp_b, resp_c, counter;
	uint8_t *q2, *desc;
	uint16_t head_b, head_c, i, used_before;
	uint32_t used;
	struct ctl c;
	char path[512];
	int rc;

	/* QEMU's order: features, inflight region, memory, rings. */
	memset(&c, 0, sizeof(c));
	c.name = ctrlr;
	snprintf(path, sizeof(path), "%s/%s", g_dir, ctrlr);
	rc = vfe_connect(&c.fe, path, 5000);
	rc = rc ?: vfe_negotiate(&c.fe, ~0ULL, ~0ULL);
	rc = rc ?: vfe_get_inflight(&c.fe, NQ, QSIZE, &inf);
	rc = rc ?: vfe_mem_create(&c.fe, MEM_SIZE);
	rc = rc ?: vfe_set_mem_table(&c.fe);
	for (i = 0; rc == 0 && i < NQ; i++) {
		rc = vfe_vring_setup(&c.fe, i, QSIZE);
	}
	if (rc != 0) {
		why("bring-up of %s with an inflight region: %s", ctrlr, strerror(-rc));
		goto fail;
	}
	c.req = vfe_alloc(&c.fe, 4096, 4096);
	c.resp = vfe_alloc(&c.fe, 4096, 4096);
	c.data = vfe_alloc(&c.fe, 1u << 20, 4096);

	/* A: a normal write, completed before the kill. */
	make_lun(lun, 0);
	cdb[5] = 64;
	cdb[8] = RS_BLOCKS;
	for (i = 0; i < RS_BLOCKS * 512; i++) {
		data(&c)[i] = RS_PATTERN(64, i);
	}
	if (command(&c, lun, cdb, 10, RS_BLOCKS * 512, 0, &used) != 0) {
		goto fail;
	}
	if (resp(&c)->response != S_OK || resp(&c)->status != 0) {
		why("write A: response %u status %u", resp(&c)->response, resp(&c)->status);
		goto fail;
	}
	if (ask("kill") != 0) {
		goto fail;
	}

	/* The state a crash with B fetched and C queued leaves behind. */
	stride = (16 + 16ULL * QSIZE + 63) & ~63ULL;
	if (inf.mmap_size < stride * NQ) {
		why("inflight region of %" PRIu64 " bytes for %u queues of %u", inf.mmap_size, NQ,
		    QSIZE);
		goto fail;
	}
	q2 = inf.region + 2 * stride;
	for (i = 0; i < QSIZE; i++) {
		memcpy(&counter, q2 + 16 + 16u * i + 8, 8);
		max_counter = counter > max_counter ? counter : max_counter;
	}
	used_before = vfe_vring_used_idx(&c.fe, 2);
	head_b = put_write(&c, 128, &resp_b);
	head_c = put_write(&c, 192, &resp_c);
	queue_quietly(&c, head_b);
	queue_quietly(&c, head_c);
	desc = q2 + 16 + 16u * head_b;
	desc[0] = 1; /* inflight */
	counter = max_counter + 1;
	memcpy(desc + 8, &counter, 8);

	if (ask("restart") != 0) {
		goto fail;
	}
	rc = vfe_reconnect(&c.fe, path, 10000, &inf);
	if (rc != 0) {
		why("reconnect to the restarted vhostd: %s", strerror(-rc));
		goto fail;
	}
	if (vfe_vring_wait_used(&c.fe, 2, &e[0], 5000) != 0 ||
	    vfe_vring_wait_used(&c.fe, 2, &e[1], 5000) != 0) {
		why("restarted vhostd completed %u of the 2 queued writes",
		    (uint16_t)(vfe_vring_used_idx(&c.fe, 2) - used_before));
		goto fail;
	}
	if (e[0].id != head_b || e[1].id != head_c) {
		why("completion order %u, %u; want B (head %u, resubmitted) then C (head %u)",
		    e[0].id, e[1].id, head_b, head_c);
		goto fail;
	}
	if (((struct cmd_resp *)gpa(&c, resp_b))->response != S_OK ||
	    ((struct cmd_resp *)gpa(&c, resp_b))->status != 0 ||
	    ((struct cmd_resp *)gpa(&c, resp_c))->response != S_OK ||
	    ((struct cmd_resp *)gpa(&c, resp_c))->status != 0) {
		why("B/C responses %u/%u", ((struct cmd_resp *)gpa(&c, resp_b))->response,
		    ((struct cmd_resp *)gpa(&c, resp_c))->response);
		goto fail;
	}
	usleep(100000);
	if ((uint16_t)(vfe_vring_used_idx(&c.fe, 2) - used_before) != 2 || desc[0] != 0) {
		why("after the restart: %u used elements (want 2), B inflight flag %u",
		    (uint16_t)(vfe_vring_used_idx(&c.fe, 2) - used_before), desc[0]);
		goto fail;
	}
	if (read_back(&c, 64) != 0 || read_back(&c, 128) != 0 || read_back(&c, 192) != 0) {
		goto fail;
	}
	/* The script reads the queue statistics while we are still connected. */
	if (ask("check") != 0) {
		goto fail;
	}
	vfe_close(&c.fe);
	vfe_inflight_free(&inf);
	return 0;
fail:
	vfe_close(&c.fe);
	vfe_inflight_free(&inf);
	return -1;
}

int
main(int argc, char **argv)
{
	struct ctl c0, c1;
	uint64_t f = ~0ULL;

	if (argc == 4 && strcmp(argv[1], "--restart") == 0) {
		g_dir = argv[2];
		result("inflight write resubmitted after SIGKILL and restart", run_restart(argv[3]));
		return g_failed;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s <vhost socket dir> | --restart <vhost socket dir> <ctrlr>\n",
			argv[0]);
		return 2;
	}
	g_dir = argv[1];
	if (ctl_open(&c0, "vscsi0", f) != 0 || ctl_open(&c1, "vscsi1", f) != 0) {
		result("connect", -1);
		return 1;
	}
	result("features and config space", run_features_config(&c0));
	result("INQUIRY, READ CAPACITY, WRITE/READ round trip, sense", run_commands(&c0));
	result("LUN fields: absent targets, lun[0] != 1, bad LUN, absent LUN", run_bad_luns(&c0));
	result("malformed chains and buffers outside guest memory", run_malformed(&c0));
	result("control queue: TMFs, unknown tags, AN, garbage", run_control(&c0));
	result("event queue: hot-plug events, garbage event buffers", run_events(&c0));
	result("random chains; a second controller keeps serving", run_fuzz(&c0, &c1));
	ctl_close(&c0);
	ctl_close(&c1);
	return g_failed;
}
