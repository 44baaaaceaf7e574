/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Raw virtio-blk requests against a real vhostd: the test script starts vhostd with three malloc
 * vhost-blk controllers in one socket directory (blk0 and blk1 read-write, blkro read-only, each
 * BLK_CAPACITY sectors) and runs `blk_proto <sock_dir>`.  We play QEMU and the guest driver with
 * the raw front-end (test/harness/vhost_frontend.h): config space, well-formed and malformed
 * requests (missing header or status, read-only status buffer, buffers outside guest memory, bad
 * sector ranges, bad DISCARD/WRITE_ZEROES segments), then random chains on blk0 while blk1 must
 * keep serving.  Prints one TEST-RESULT line per test; exit status 1 when any failed.
 *
 * `blk_proto --readonly <sock_dir> <ctrlr>` runs only the read-only checks against controller
 * <ctrlr> (any bdev of at least 8 sectors; test_blk_readonly.py uses it after its guest run):
 * OUT of a non-zero 4 KiB at sector 0, DISCARD and WRITE_ZEROES of sectors 0-7 get IOERR, IN and
 * FLUSH get OK.
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

#define BLK_CAPACITY 32768ULL /* sectors, set by the test script */
#define MEM_SIZE (8u << 20)
#define QSIZE 128
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define NO_STATUS 0xee /* status byte value before the device answers */

struct outhdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct dwz {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* One connected controller with scratch buffers in its guest memory. */
struct ctl {
	const char *name;
	struct vfe fe;
	uint64_t hdr, status, data, segs;
};

static const char *g_dir;
static const char *g_ro_ctrlr = "blkro";

static int
ctl_open(struct ctl *c, const char *name)
{
	char path[512];
	int rc;

	memset(c, 0, sizeof(*c));
	c->name = name;
	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	rc = vfe_connect(&c->fe, path, 5000);
	CHECK(rc == 0, "connect %s: %s", path, strerror(-rc));
	rc = vfe_bringup(&c->fe, MEM_SIZE, 1, QSIZE);
	CHECK(rc == 0, "bring-up of %s: %s", name, strerror(-rc));
	c->hdr = vfe_alloc(&c->fe, 4096, 4096);
	c->status = vfe_alloc(&c->fe, 4096, 4096);
	c->segs = vfe_alloc(&c->fe, 4096, 4096);
	c->data = vfe_alloc(&c->fe, 2u << 20, 4096);
	return 0;
}

static void
ctl_close(struct ctl *c)
{
	vfe_close(&c->fe);
}

static struct outhdr *
hdr(struct ctl *c)
{
	return vfe_gpa(&c->fe, c->hdr);
}

static uint8_t *
status(struct ctl *c)
{
	return vfe_gpa(&c->fe, c->status);
}

static uint8_t *
data(struct ctl *c)
{
	return vfe_gpa(&c->fe, c->data);
}

/* Publish a chain and wait for its used element.  \return 0 or -1 (why set). */
static int
submit(struct ctl *c, const struct vfe_desc *d, uint16_t n, uint32_t *used_len)
{
	struct vfe_used_elem e;
	uint16_t head;
	int rc;

	*status(c) = NO_STATUS;
	head = vfe_vring_put_chain(&c->fe, 0, d, n);
	vfe_vring_publish(&c->fe, 0, head);
	rc = vfe_vring_wait_used(&c->fe, 0, &e, 5000);
	CHECK(rc == 0, "%s: no used element within 5 s", c->name);
	CHECK(e.id == head, "%s: used id %u, want head %u", c->name, e.id, head);
	*used_len = e.len;
	return 0;
}

/* A standard 3-descriptor request: header, data (if len), status. */
static int
request(struct ctl *c, uint32_t type, uint64_t sector, uint32_t len, uint8_t *st, uint32_t *used)
{
	struct vfe_desc d[3];
	uint16_t n = 0;

	*hdr(c) = (struct outhdr){.type = type, .sector = sector};
	d[n++] = (struct vfe_desc){.addr = c->hdr, .len = 16};
	if (len > 0) {
		d[n++] = (struct vfe_desc){
			.addr = c->data,
			.len = len,
			.flags = type == T_IN || type == T_GET_ID ? VFE_DESC_F_WRITE : 0};
	}
	d[n++] = (struct vfe_desc){.addr = c->status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (submit(c, d, n, used) != 0) {
		return -1;
	}
	*st = *status(c);
	return 0;
}

static int
expect(struct ctl *c, uint32_t type, uint64_t sector, uint32_t len, uint8_t want, const char *what)
{
	uint32_t used;
	uint8_t st;

	if (request(c, type, sector, len, &st, &used) != 0) {
		return -1;
	}
	CHECK(st == want, "%s: status %u, want %u", what, st, want);
	CHECK(used >= 1, "%s: used length %u, want >= 1", what, used);
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

	rc = vfe_send(&c->fe, VHOST_USER_GET_CONFIG, VFE_FLAG_VERSION, &m,
		      12 + (size > 256 ? 0 : size), NULL, 0);
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
test_features_and_config(void)
{
	struct ctl c;
	uint8_t cfg[256];
	uint64_t cap;
	uint32_t got, v32;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	if (!(c.fe.features & (1ULL << 1)) || !(c.fe.features & (1ULL << 2)) ||
	    !(c.fe.features & (1ULL << 6)) || !(c.fe.features & (1ULL << 12)) ||
	    (c.fe.features & (1ULL << 5))) {
		why("features 0x%" PRIx64 ": want SIZE_MAX, SEG_MAX, BLK_SIZE, MQ, not RO",
		    c.fe.features);
		goto out;
	}
	if (get_config(&c, 0, 96, cfg, &got) != 0) {
		goto out;
	}
	memcpy(&cap, cfg, 8);
	memcpy(&v32, cfg + 8, 4);
	if (got != 96 || cap != BLK_CAPACITY || v32 == 0) {
		why("config: %u bytes, capacity %" PRIu64 ", size_max %u", got, cap, v32);
		goto out;
	}
	memcpy(&v32, cfg + 20, 4);
	if (v32 != 512 || cfg[12] != 126) {
		why("blk_size %u, seg_max %u", v32, cfg[12]);
		goto out;
	}
	/* a window inside the config, and the zero tail beyond the struct */
	if (get_config(&c, 20, 4, cfg, &got) != 0 || got != 4 || memcmp(cfg, &v32, 4) != 0) {
		why("config window at 20: %u bytes", got);
		goto out;
	}
	memset(cfg, 0xaa, sizeof(cfg));
	if (get_config(&c, 200, 56, cfg, &got) != 0 || got != 56 || cfg[0] != 0 || cfg[55] != 0) {
		why("config tail: %u bytes, first %u", got, cfg[0]);
		goto out;
	}
	rc = expect(&c, T_IN, 0, 512, S_OK, "read after config reads");
out:
	ctl_close(&c);
	return rc;
}

static int
test_rw_roundtrip(void)
{
	struct ctl c;
	uint32_t used, i;
	uint8_t st;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	for (i = 0; i < 65536; i++) {
		data(&c)[i] = (uint8_t)(i * 7 + 3);
	}
	if (request(&c, T_OUT, 8, 65536, &st, &used) != 0) {
		goto out;
	}
	if (st != S_OK || used != 1) {
		why("write: status %u used %u (want 0, 1)", st, used);
		goto out;
	}
	memset(data(&c), 0, 65536);
	if (request(&c, T_IN, 8, 65536, &st, &used) != 0) {
		goto out;
	}
	if (st != S_OK || used != 65537) {
		why("read: status %u used %u (want 0, 65537)", st, used);
		goto out;
	}
	for (i = 0; i < 65536; i++) {
		if (data(&c)[i] != (uint8_t)(i * 7 + 3)) {
			why("read back differs at byte %u", i);
			goto out;
		}
	}
	/* last sector, and FLUSH */
	rc = expect(&c, T_OUT, BLK_CAPACITY - 1, 512, S_OK, "write last sector");
	rc = rc ?: expect(&c, T_FLUSH, 0, 0, S_OK, "flush");
out:
	ctl_close(&c);
	return rc;
}

static int
test_get_id(void)
{
	struct ctl c;
	uint32_t used;
	uint8_t st;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	memset(data(&c), 0xff, 32);
	if (request(&c, T_GET_ID, 0, 20, &st, &used) == 0) {
		if (st != S_OK || used != 21 || memcmp(data(&c), "Malloc0\0", 8) != 0) {
			why("GET_ID: status %u used %u id '%.20s'", st, used, (char *)data(&c));
		} else {
			rc = 0;
		}
	}
	ctl_close(&c);
	return rc;
}

static int
test_missing_header_or_status(void)
{
	struct ctl c;
	struct vfe_desc d[2];
	uint32_t used;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	/* only a status byte: no header -> IOERR */
	d[0] = (struct vfe_desc){.addr = c.status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (submit(&c, d, 1, &used) != 0) {
		goto out;
	}
	if (*status(&c) != S_IOERR || used != 1) {
		why("no header: status %u used %u", *status(&c), used);
		goto out;
	}
	/* a short header (8 bytes) -> IOERR */
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 8};
	d[1] = (struct vfe_desc){.addr = c.status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (submit(&c, d, 2, &used) != 0 || *status(&c) != S_IOERR) {
		why("short header: status %u", *status(&c));
		goto out;
	}
	/* header but no writable byte at all: nothing can be answered, used length 0 */
	*hdr(&c) = (struct outhdr){.type = T_IN};
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 16};
	d[1] = (struct vfe_desc){.addr = c.data, .len = 512};
	if (submit(&c, d, 2, &used) != 0 || used != 0 || *status(&c) != NO_STATUS) {
		why("no status: used %u status %u", used, *status(&c));
		goto out;
	}
	/* the status buffer read-only (a readable descriptor) is the same case */
	*hdr(&c) = (struct outhdr){.type = T_OUT};
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 16};
	d[1] = (struct vfe_desc){.addr = c.status, .len = 1};
	if (submit(&c, d, 2, &used) != 0 || used != 0 || *status(&c) != NO_STATUS) {
		why("read-only status: used %u status %u", used, *status(&c));
		goto out;
	}
	rc = expect(&c, T_IN, 0, 4096, S_OK, "read after malformed requests");
out:
	ctl_close(&c);
	return rc;
}

static int
test_split_header_and_any_layout(void)
{
	struct ctl c;
	struct vfe_desc d[4];
	uint8_t *buf;
	uint32_t used;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	/* header split 5 + 11 bytes over two descriptors, then data, then status */
	*hdr(&c) = (struct outhdr){.type = T_IN, .sector = 8};
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 5};
	d[1] = (struct vfe_desc){.addr = c.hdr + 5, .len = 11};
	d[2] = (struct vfe_desc){.addr = c.data, .len = 1024, .flags = VFE_DESC_F_WRITE};
	d[3] = (struct vfe_desc){.addr = c.status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (submit(&c, d, 4, &used) != 0 || *status(&c) != S_OK || used != 1025) {
		why("split header: status %u used %u", *status(&c), used);
		goto out;
	}
	/* data and status in one writable descriptor (virtio 1.x: any layout) */
	buf = data(&c);
	buf[512] = NO_STATUS;
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 16};
	d[1] = (struct vfe_desc){.addr = c.data, .len = 513, .flags = VFE_DESC_F_WRITE};
	if (submit(&c, d, 2, &used) != 0 || buf[512] != S_OK || used != 513) {
		why("combined data+status: status %u used %u", buf[512], used);
		goto out;
	}
	rc = 0;
out:
	ctl_close(&c);
	return rc;
}

static int
test_data_outside_memory(void)
{
	struct ctl c;
	struct vfe_desc d[3];
	uint32_t used;
	int rc = -1;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	*hdr(&c) = (struct outhdr){.type = T_IN};
	d[0] = (struct vfe_desc){.addr = c.hdr, .len = 16};
	d[1] = (struct vfe_desc){.addr = MEM_SIZE - 256, .len = 512, .flags = VFE_DESC_F_WRITE};
	d[2] = (struct vfe_desc){.addr = c.status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (submit(&c, d, 3, &used) != 0 || used != 0) {
		why("buffer crossing the end of memory: used %u", used);
		goto out;
	}
	d[1] = (struct vfe_desc){.addr = 1ULL << 40, .len = 4096};
	*hdr(&c) = (struct outhdr){.type = T_OUT};
	d[1].flags = 0;
	if (submit(&c, d, 3, &used) != 0 || used != 0) {
		why("buffer far outside memory: used %u", used);
		goto out;
	}
	rc = expect(&c, T_IN, 0, 512, S_OK, "read after bad buffers");
out:
	ctl_close(&c);
	return rc;
}

static int
test_bad_sector_ranges(void)
{
	struct ctl c;
	int rc;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	rc = expect(&c, T_IN, BLK_CAPACITY, 512, S_IOERR, "read at capacity");
	rc = rc ?: expect(&c, T_OUT, BLK_CAPACITY - 1, 1024, S_IOERR, "write across the end");
	rc = rc ?: expect(&c, T_IN, 1ULL << 60, 512, S_IOERR, "huge sector");
	rc = rc ?: expect(&c, T_IN, UINT64_MAX, 512, S_IOERR, "sector 2^64-1");
	rc = rc ?: expect(&c, T_IN, 0, 100, S_IOERR, "length not a multiple of 512");
	rc = rc ?: expect(&c, T_OUT, 0, 513, S_IOERR, "write of 513 bytes");
	rc = rc ?: expect(&c, 0x1234, 0, 0, S_UNSUPP, "unknown type");
	rc = rc ?: expect(&c, 14, 0, 0, S_UNSUPP, "SECURE_ERASE");
	rc = rc ?: expect(&c, T_IN, BLK_CAPACITY - 1, 512, S_OK, "read last sector");
	ctl_close(&c);
	return rc;
}

static int
dwz(struct ctl *c, uint32_t type, const struct dwz *segs, uint32_t n, uint32_t len, uint8_t want,
    const char *what)
{
	struct vfe_desc d[3];
	uint32_t used;

	memcpy(vfe_gpa(&c->fe, c->segs), segs, n * sizeof(*segs));
	*hdr(c) = (struct outhdr){.type = type};
	d[0] = (struct vfe_desc){.addr = c->hdr, .len = 16};
	d[1] = (struct vfe_desc){.addr = c->segs, .len = len};
	d[2] = (struct vfe_desc){.addr = c->status, .len = 1, .flags = VFE_DESC_F_WRITE};
	if (len == 0) {
		d[1] = d[2];
	}
	if (submit(c, d, len ? 3 : 2, &used) != 0) {
		return -1;
	}
	CHECK(*status(c) == want, "%s: status %u, want %u", what, *status(c), want);
	return 0;
}

static int
test_discard_write_zeroes(void)
{
	struct dwz s[20];
	struct ctl c;
	int rc, i;

	if (ctl_open(&c, "blk0") != 0) {
		return -1;
	}
	for (i = 0; i < 20; i++) {
		s[i] = (struct dwz){.sector = (uint64_t)i * 16, .num_sectors = 8};
	}
	rc = dwz(&c, T_DISCARD, s, 2, 32, S_OK, "discard of 2 segments");
	rc = rc ?: dwz(&c, T_WRITE_ZEROES, s, 1, 16, S_OK, "write zeroes");
	s[0].flags = 1;
	rc = rc ?: dwz(&c, T_WRITE_ZEROES, s, 1, 16, S_OK, "write zeroes with UNMAP");
	rc = rc ?: dwz(&c, T_DISCARD, s, 1, 16, S_UNSUPP, "discard with the UNMAP flag");
	s[0].flags = 2;
	rc = rc ?: dwz(&c, T_WRITE_ZEROES, s, 1, 16, S_UNSUPP, "write zeroes, reserved flag");
	s[0].flags = 0x80000000u;
	rc = rc ?: dwz(&c, T_DISCARD, s, 1, 16, S_UNSUPP, "discard, reserved flag");
	s[0] = (struct dwz){.sector = 0, .num_sectors = 0};
	rc = rc ?: dwz(&c, T_DISCARD, s, 1, 16, S_IOERR, "discard of 0 sectors");
	s[0] = (struct dwz){.sector = BLK_CAPACITY - 4, .num_sectors = 8};
	rc = rc ?: dwz(&c, T_DISCARD, s, 1, 16, S_IOERR, "discard past the end");
	s[0] = (struct dwz){.sector = UINT64_MAX - 2, .num_sectors = 8};
	rc = rc ?: dwz(&c, T_WRITE_ZEROES, s, 1, 16, S_IOERR, "write zeroes, sector overflow");
	s[0] = (struct dwz){.sector = 0, .num_sectors = 8};
	rc = rc ?: dwz(&c, T_DISCARD, s, 1, 12, S_IOERR, "segment array of 12 bytes");
	rc = rc ?: dwz(&c, T_DISCARD, s, 0, 0, S_IOERR, "no segments");
	rc = rc ?: dwz(&c, T_DISCARD, s, 20, 20 * 16, S_IOERR, "20 segments (max 16)");
	ctl_close(&c);
	return rc;
}

static int
test_readonly_controller(void)
{
	struct ctl c;
	struct dwz s = {.sector = 0, .num_sectors = 8};
	int rc;

	if (ctl_open(&c, g_ro_ctrlr) != 0) {
		return -1;
	}
	if (!(c.fe.features & (1ULL << 5))) {
		why("read-only controller does not offer VIRTIO_BLK_F_RO");
		ctl_close(&c);
		return -1;
	}
	/* non-zero data, so that a write the device took would show on a zeroed disk */
	memset(data(&c), 0xa5, 4096);
	rc = expect(&c, T_OUT, 0, 4096, S_IOERR, "write on read-only");
	rc = rc ?: dwz(&c, T_DISCARD, &s, 1, 16, S_IOERR, "discard on read-only");
	rc = rc ?: dwz(&c, T_WRITE_ZEROES, &s, 1, 16, S_IOERR, "write zeroes on read-only");
	rc = rc ?: expect(&c, T_IN, 0, 4096, S_OK, "read on read-only");
	rc = rc ?: expect(&c, T_FLUSH, 0, 0, S_OK, "flush on read-only");
	ctl_close(&c);
	return rc;
}

/* Random chains: random addresses (sometimes outside memory), lengths, flags and headers. */
static int
fuzz_one(struct ctl *c, unsigned int *seed)
{
	static const uint32_t types[] = {T_IN,	    T_OUT,	    T_FLUSH, T_GET_ID,
					 T_DISCARD, T_WRITE_ZEROES, 7,	     0xffffffffu};
	struct vfe_desc d[6];
	uint16_t n = 1 + rand_r(seed) % 5, i;
	uint32_t used;

	*hdr(c) = (struct outhdr){.type = types[rand_r(seed) % 8],
				  .sector = rand_r(seed) % 4 ? rand_r(seed) % (BLK_CAPACITY + 8)
							     : ((uint64_t)rand_r(seed) << 33)};
	for (i = 0; i < n; i++) {
		uint32_t r = rand_r(seed);

		d[i].addr = r % 8 == 0	 ? (uint64_t)rand_r(seed) << 8
			    : r % 8 == 1 ? c->hdr + rand_r(seed) % 32
					 : c->data + (rand_r(seed) % 64) * 512;
		d[i].len = r % 5 == 0 ? rand_r(seed) : (rand_r(seed) % 9) * 512 + (r % 3 == 0);
		if (r % 50 == 0) {
			d[i].len = 0;
		}
		d[i].flags = (r >> 8) % 2 ? VFE_DESC_F_WRITE : 0;
		if ((r >> 9) % 64 == 0) {
			d[i].flags |= VFE_DESC_F_INDIRECT;
		}
		d[i].next = 0;
	}
	d[0] = (struct vfe_desc){.addr = c->hdr, .len = rand_r(seed) % 8 ? 16 : rand_r(seed) % 40};
	return submit(c, d, n, &used);
}

static int
test_fuzz_while_second_serves(void)
{
	struct ctl a, b;
	unsigned int seed = 12345;
	int rc = 0, i;

	if (ctl_open(&a, "blk0") != 0) {
		return -1;
	}
	if (ctl_open(&b, "blk1") != 0) {
		ctl_close(&a);
		return -1;
	}
	for (i = 0; i < 3000 && rc == 0; i++) {
		rc = fuzz_one(&a, &seed);
		if (rc == 0 && i % 100 == 0) {
			rc = expect(&b, T_IN, (uint64_t)i, 4096, S_OK, "blk1 read during the fuzz");
		}
	}
	if (rc == 0) {
		rc = expect(&a, T_IN, 0, 4096, S_OK, "blk0 read after the fuzz");
	}
	ctl_close(&a);
	ctl_close(&b);
	if (rc == 0 && ctl_open(&a, "blk0") == 0) {
		/* a fresh connection to the fuzzed controller works */
		rc = expect(&a, T_OUT, 16, 8192, S_OK, "blk0 write after reconnect");
		ctl_close(&a);
	} else if (rc == 0) {
		rc = -1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--readonly") == 0) {
		g_dir = argv[2];
		g_ro_ctrlr = argv[3];
		result("blk_readonly_controller", test_readonly_controller());
		return g_failed;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCK_DIR | --readonly SOCK_DIR CTRLR\n", argv[0]);
		return 2;
	}
	g_dir = argv[1];
	result("blk_features_and_config", test_features_and_config());
	result("blk_rw_roundtrip", test_rw_roundtrip());
	result("blk_get_id", test_get_id());
	result("blk_missing_header_or_status", test_missing_header_or_status());
	result("blk_split_header_and_any_layout", test_split_header_and_any_layout());
	result("blk_data_outside_memory", test_data_outside_memory());
	result("blk_bad_sector_ranges", test_bad_sector_ranges());
	result("blk_discard_write_zeroes", test_discard_write_zeroes());
	result("blk_readonly_controller", test_readonly_controller());
	result("blk_fuzz_while_second_serves", test_fuzz_while_second_serves());
	return g_failed;
}
