/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of lib/vhost_blk/blk_proto.c: feature bits and config space for a geometry, and the
 * request parser against well-formed and hostile descriptor layouts (host buffers stand in for
 * translated guest memory).
 */

#include <CUnit/Basic.h>

#include "vhost_blk/blk_proto.c"

static uint8_t g_mem[1 << 16];
static struct iovec g_iovs[16];
static struct vd_vhost_req g_req;

static struct blk_geom
geom(void)
{
	struct blk_geom g = {
		.num_blocks = 1024,
		.block_size = 4096,
		.num_queues = 4,
		.flush = true,
		.write_cache = true,
		.unmap = true,
		.write_zeroes = true,
		.max_discard_sectors = 2048,
		.max_write_zeroes_sectors = 4096,
	};

	memcpy(g.serial, "Malloc0", 7);
	return g;
}

/* Build a request: segs[i] = {offset into g_mem, len}, the first nr readable. */
static void
req_build(const uint32_t (*segs)[2], int n, int nr)
{
	int i;

	memset(&g_req, 0, sizeof(g_req));
	g_req.iovs = g_iovs;
	g_req.max_iovs = VD_COUNTOF(g_iovs);
	for (i = 0; i < n; i++) {
		g_iovs[i].iov_base = g_mem + segs[i][0];
		g_iovs[i].iov_len = segs[i][1];
		if (i < nr) {
			g_req.read_len += segs[i][1];
		} else {
			g_req.write_len += segs[i][1];
		}
	}
	g_req.iovcnt = (uint16_t)n;
	g_req.num_readable = (uint16_t)nr;
}

static void
hdr_put(uint32_t off, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};

	memcpy(g_mem + off, &h, sizeof(h));
}

/* Standard 3-segment request: header at 0, data at 4096, status at 1000. */
static int
parse3(const struct blk_geom *g, uint32_t type, uint64_t sector, uint32_t len, struct blk_parsed *p)
{
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint32_t segs[3][2] = {{0, 16}, {4096, len}, {1000, 1}};

	hdr_put(0, type, sector);
	if (len == 0) {
		segs[1][0] = 1000;
		segs[1][1] = 1;
		req_build(segs, 2, 1);
	} else {
		req_build(segs, 3, in ? 1 : 2);
	}
	return blk_parse_request(g, &g_req, p);
}

static void
test_features(void)
{
	struct blk_geom g = geom();
	uint64_t f = blk_features(&g);

	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_SIZE_MAX));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_SEG_MAX));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_TOPOLOGY));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_MQ));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_DISCARD));
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_RO)) == 0);
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_CONFIG_WCE)) == 0);

	g.readonly = true;
	g.write_cache = false;
	f = blk_features(&g);
	CU_ASSERT(f & (1ULL << VIRTIO_BLK_F_RO));
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_FLUSH)) == 0);
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_DISCARD)) == 0);
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES)) == 0);

	g = geom();
	g.unmap = false;
	g.write_zeroes = false;
	f = blk_features(&g);
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_DISCARD)) == 0);
	CU_ASSERT((f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES)) == 0);
}

static void
test_config_space(void)
{
	struct blk_geom g = geom();
	struct virtio_blk_config cfg;
	uint8_t buf[256];
	uint32_t v;

	blk_config_fill(&g, &cfg);
	CU_ASSERT_EQUAL(cfg.capacity, 1024 * 8);
	CU_ASSERT_EQUAL(cfg.blk_size, 4096);
	CU_ASSERT(cfg.size_max >= (1u << 20));
	CU_ASSERT_EQUAL(cfg.seg_max, BLK_SEG_MAX);
	CU_ASSERT_EQUAL(cfg.num_queues, 4);
	CU_ASSERT_EQUAL(cfg.topology.min_io_size, 1);
	CU_ASSERT_EQUAL(cfg.max_discard_sectors, 2048);
	CU_ASSERT_EQUAL(cfg.max_discard_seg, BLK_MAX_DISCARD_SEG);
	CU_ASSERT_EQUAL(cfg.discard_sector_alignment, 8);
	CU_ASSERT_EQUAL(cfg.max_write_zeroes_sectors, 4096);
	CU_ASSERT_EQUAL(cfg.write_zeroes_may_unmap, 1);
	CU_ASSERT_EQUAL(cfg.writeback, 1);

	/* offsets from the virtio 1.2 layout */
	memset(buf, 0xaa, sizeof(buf));
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 20, 4), 0);
	memcpy(&v, buf, 4);
	CU_ASSERT_EQUAL(v, 4096);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 34, 2), 0);
	CU_ASSERT_EQUAL(buf[0], 4);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 36, 4), 0);
	memcpy(&v, buf, 4);
	CU_ASSERT_EQUAL(v, 2048);
	/* beyond the struct: zeros, up to 256 bytes */
	memset(buf, 0xaa, sizeof(buf));
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 96, 160), 0);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(buf[159], 0);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 0, 256), 0);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 256, 0), 0);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 200, 57), -EINVAL);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, 257, 0), -EINVAL);
	CU_ASSERT_EQUAL(blk_config_read(&g, buf, UINT32_MAX, 2), -EINVAL);

	/* read-only: no discard/write-zeroes limits advertised */
	g.readonly = true;
	blk_config_fill(&g, &cfg);
	CU_ASSERT_EQUAL(cfg.max_discard_sectors, 0);
	CU_ASSERT_EQUAL(cfg.max_write_zeroes_sectors, 0);
}

static void
test_parse_read_write(void)
{
	struct blk_geom g = geom();
	struct blk_parsed p;

	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 16, 8192, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.offset_blocks, 2);
	CU_ASSERT_EQUAL(p.num_blocks, 2);
	CU_ASSERT_EQUAL(p.data_len, 8192);
	CU_ASSERT_EQUAL(p.data_cnt, 1);
	CU_ASSERT_PTR_EQUAL(p.data[0].iov_base, g_mem + 4096);
	CU_ASSERT_PTR_EQUAL(p.status, g_mem + 1000);

	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_OUT, 8 * 1023, 4096, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.offset_blocks, 1023);
	CU_ASSERT_EQUAL(p.data_cnt, 1);
	CU_ASSERT_PTR_EQUAL(p.data[0].iov_base, g_mem + 4096);

	/* range and alignment errors */
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 8 * 1024, 4096, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_OUT, 8 * 1023, 8192, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 1, 4096, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 0, 512, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 4096, &p),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, UINT64_MAX - 7, 4096, &p), VIRTIO_BLK_S_IOERR);
	/* zero-length read at a valid sector: submitted as a no-op */
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 0, 0, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.num_blocks, 0);

	g.readonly = true;
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_OUT, 0, 4096, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_IN, 0, 4096, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_FLUSH, 0, 0, &p), BLK_PARSE_SUBMIT);
}

static void
test_parse_header_and_status_layouts(void)
{
	struct blk_geom g = geom();
	struct blk_parsed p;
	/* header split 3 + 13, data + status in one writable segment */
	uint32_t split[3][2] = {{0, 3}, {3, 13}, {4096, 4097}};
	uint32_t no_status[2][2] = {{0, 16}, {4096, 4096}};
	uint32_t short_hdr[2][2] = {{0, 8}, {1000, 1}};
	uint32_t zero_tail[4][2] = {{0, 16}, {4096, 4096}, {1000, 1}, {2000, 0}};
	/* OUT with header and data in one readable segment */
	uint32_t hdr_data[2][2] = {{8192 - 16, 16 + 4096}, {1000, 1}};

	hdr_put(0, VIRTIO_BLK_T_IN, 8);
	req_build(split, 3, 2);
	CU_ASSERT_EQUAL(blk_parse_request(&g, &g_req, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.offset_blocks, 1);
	CU_ASSERT_EQUAL(p.data_len, 4096);
	CU_ASSERT_EQUAL(p.data_cnt, 1);
	CU_ASSERT_EQUAL(p.data[0].iov_len, 4096);
	CU_ASSERT_PTR_EQUAL(p.status, g_mem + 4096 + 4096);

	req_build(no_status, 2, 2);
	CU_ASSERT_EQUAL(blk_parse_request(&g, &g_req, &p), BLK_PARSE_DROP);
	CU_ASSERT_PTR_NULL(p.status);

	req_build(short_hdr, 2, 1);
	CU_ASSERT_EQUAL(blk_parse_request(&g, &g_req, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_PTR_EQUAL(p.status, g_mem + 1000);

	/* a trailing zero-length writable segment does not hide the status byte */
	hdr_put(0, VIRTIO_BLK_T_IN, 0);
	req_build(zero_tail, 4, 1);
	CU_ASSERT_EQUAL(blk_parse_request(&g, &g_req, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_PTR_EQUAL(p.status, g_mem + 1000);
	CU_ASSERT_EQUAL(p.data_len, 4096);

	hdr_put(8192 - 16, VIRTIO_BLK_T_OUT, 16);
	req_build(hdr_data, 2, 1);
	CU_ASSERT_EQUAL(blk_parse_request(&g, &g_req, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.data_cnt, 1);
	CU_ASSERT_PTR_EQUAL(p.data[0].iov_base, g_mem + 8192);
	CU_ASSERT_EQUAL(p.data[0].iov_len, 4096);
	CU_ASSERT_EQUAL(p.offset_blocks, 2);
}

static void
test_parse_types(void)
{
	struct blk_geom g = geom();
	struct blk_parsed p;

	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_GET_ID, 0, 20, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.data_len, 20);
	CU_ASSERT_EQUAL(parse3(&g, 7, 0, 0, &p), VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(parse3(&g, 14, 0, 0, &p), VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(parse3(&g, UINT32_MAX, 0, 0, &p), VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_FLUSH, 0, 0, &p), BLK_PARSE_SUBMIT);
}

static int
parse_dwz_segs(const struct blk_geom *g, uint32_t type,
	       const struct virtio_blk_discard_write_zeroes *s, uint32_t n, uint32_t len,
	       struct blk_parsed *p)
{
	uint32_t segs[3][2] = {{0, 16}, {8192, len}, {1000, 1}};

	hdr_put(0, type, 0);
	memcpy(g_mem + 8192, s, n * sizeof(*s));
	req_build(segs, 3, 2);
	return blk_parse_request(g, &g_req, p);
}

static void
test_parse_discard_write_zeroes(void)
{
	struct virtio_blk_discard_write_zeroes s[20];
	struct blk_geom g = geom();
	struct blk_parsed p;
	uint32_t i;

	for (i = 0; i < 20; i++) {
		s[i] = (struct virtio_blk_discard_write_zeroes){.sector = i * 16, .num_sectors = 8};
	}
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 3, 48, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(p.num_ranges, 3);
	CU_ASSERT_EQUAL(p.ranges[2].offset_blocks, 4);
	CU_ASSERT_EQUAL(p.ranges[2].num_blocks, 1);
	/* count: 16 max, whole segments only, at least one */
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 16, 256, &p), BLK_PARSE_SUBMIT);
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 17, 272, &p),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 24, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse3(&g, VIRTIO_BLK_T_DISCARD, 0, 0, &p), VIRTIO_BLK_S_IOERR);
	/* flags */
	s[1].flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 2, 32, &p),
			VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_WRITE_ZEROES, s, 2, 32, &p),
			BLK_PARSE_SUBMIT);
	s[1].flags = 4;
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_WRITE_ZEROES, s, 2, 32, &p),
			VIRTIO_BLK_S_UNSUPP);
	s[1].flags = 0;
	/* ranges and sizes */
	s[0].num_sectors = 0;
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p), VIRTIO_BLK_S_IOERR);
	s[0].num_sectors = 2056; /* above max_discard_sectors, fine for write zeroes */
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_WRITE_ZEROES, s, 1, 16, &p),
			BLK_PARSE_SUBMIT);
	s[0] = (struct virtio_blk_discard_write_zeroes){.sector = 4, .num_sectors = 8};
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p), VIRTIO_BLK_S_IOERR);
	s[0] = (struct virtio_blk_discard_write_zeroes){.sector = 8 * 1023, .num_sectors = 16};
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p), VIRTIO_BLK_S_IOERR);
	s[0] = (struct virtio_blk_discard_write_zeroes){.sector = UINT64_MAX - 7, .num_sectors = 8};
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_WRITE_ZEROES, s, 1, 16, &p),
			VIRTIO_BLK_S_IOERR);
	/* read-only and not-offered */
	s[0] = (struct virtio_blk_discard_write_zeroes){.sector = 0, .num_sectors = 8};
	g.readonly = true;
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_WRITE_ZEROES, s, 1, 16, &p),
			VIRTIO_BLK_S_IOERR);
	g = geom();
	g.unmap = false;
	CU_ASSERT_EQUAL(parse_dwz_segs(&g, VIRTIO_BLK_T_DISCARD, s, 1, 16, &p),
			VIRTIO_BLK_S_UNSUPP);
}

static void
test_iov_helpers(void)
{
	uint8_t out[32] = {0};
	struct iovec iov[3] = {
		{g_mem, 4},
		{g_mem + 100, 0},
		{g_mem + 200, 10},
	};
	int cnt = 3;
	struct iovec *w;

	memcpy(g_mem, "abcd", 4);
	memcpy(g_mem + 200, "efghijklmn", 10);
	CU_ASSERT_EQUAL(vd_iov_to_buf(iov, 3, 2, out, 32), 12);
	CU_ASSERT(memcmp(out, "cdefghijklmn", 12) == 0);
	CU_ASSERT_EQUAL(vd_iov_from_buf(iov, 3, "WXYZ12", 6), 6);
	CU_ASSERT(memcmp(g_mem, "WXYZ", 4) == 0 && memcmp(g_mem + 200, "12", 2) == 0);
	w = iov_window(iov, &cnt, 3, 5);
	CU_ASSERT_EQUAL(cnt, 3);
	CU_ASSERT_PTR_EQUAL(w[0].iov_base, g_mem + 3);
	CU_ASSERT_EQUAL(w[0].iov_len, 1);
	CU_ASSERT_EQUAL(w[2].iov_len, 4);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("blk_proto", NULL, NULL);
	CU_ADD_TEST(suite, test_features);
	CU_ADD_TEST(suite, test_config_space);
	CU_ADD_TEST(suite, test_parse_read_write);
	CU_ADD_TEST(suite, test_parse_header_and_status_layouts);
	CU_ADD_TEST(suite, test_parse_types);
	CU_ADD_TEST(suite, test_parse_discard_write_zeroes);
	CU_ADD_TEST(suite, test_iov_helpers);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
