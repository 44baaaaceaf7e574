/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * virtio-blk protocol, without I/O: the feature bits and config space a geometry implies, and
 * the parser that turns one descriptor chain (already translated to host iovecs by lib/vhost)
 * into a validated block request.
 *
 * Everything here treats the request as hostile: the 16-byte header may be split over any
 * number of readable segments, the status byte is the last device-writable byte wherever it
 * is, lengths and sectors are checked against the device before anything is submitted, and
 * DISCARD/WRITE_ZEROES segments are copied out of guest memory once (the guest cannot change
 * them between the check and the use).
 *
 * Parser outcome (blk_parse_request):
 *   no writable byte                       -> BLK_PARSE_DROP (complete with used length 0)
 *   header short, bad range/alignment/count, write to a read-only device -> VIRTIO_BLK_S_IOERR
 *   unknown type, reserved flags, type not offered                       -> VIRTIO_BLK_S_UNSUPP
 *   otherwise                               -> BLK_PARSE_SUBMIT with p->data trimmed in place
 *                                              to the data bytes (header/status excluded)
 */

#include <errno.h>
#include <string.h>

#include "vhost_blk_internal.h"

uint64_t
blk_features(const struct blk_geom *g)
{
	uint64_t f = 0;

	f |= 1ULL << VIRTIO_BLK_F_SIZE_MAX; /* size_max is never 0 */
	f |= 1ULL << VIRTIO_BLK_F_SEG_MAX;
	f |= 1ULL << VIRTIO_BLK_F_BLK_SIZE;
	f |= 1ULL << VIRTIO_BLK_F_TOPOLOGY;
	f |= 1ULL << VIRTIO_BLK_F_MQ;
	if (g->write_cache) {
		f |= 1ULL << VIRTIO_BLK_F_FLUSH;
	}
	if (g->readonly) {
		f |= 1ULL << VIRTIO_BLK_F_RO;
		return f;
	}
	if (g->unmap) {
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	}
	if (g->write_zeroes) {
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	}
	return f;
}

void
blk_config_fill(const struct blk_geom *g, struct virtio_blk_config *cfg)
{
	uint32_t spb = g->block_size / VIRTIO_BLK_SECTOR_SIZE;

	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = g->num_blocks * spb;
	cfg->size_max = BLK_SIZE_MAX;
	cfg->seg_max = BLK_SEG_MAX;
	cfg->blk_size = g->block_size;
	cfg->topology.physical_block_exp = 0;
	cfg->topology.alignment_offset = 0;
	cfg->topology.min_io_size = 1;
	cfg->topology.opt_io_size = 0;
	cfg->writeback = g->write_cache ? 1 : 0;
	cfg->num_queues = g->num_queues;
	if (g->unmap && !g->readonly) {
		cfg->max_discard_sectors = g->max_discard_sectors;
		cfg->max_discard_seg = BLK_MAX_DISCARD_SEG;
		cfg->discard_sector_alignment = spb;
	}
	if (g->write_zeroes && !g->readonly) {
		cfg->max_write_zeroes_sectors = g->max_write_zeroes_sectors;
		cfg->max_write_zeroes_seg = BLK_MAX_DISCARD_SEG;
		cfg->write_zeroes_may_unmap = g->unmap ? 1 : 0;
	}
}

int
blk_config_read(const struct blk_geom *g, uint8_t *buf, uint32_t offset, uint32_t len)
{
	uint8_t space[VD_VHOST_MAX_CONFIG_SIZE] = {0};
	struct virtio_blk_config cfg;

	if (offset > sizeof(space) || len > sizeof(space) - offset) {
		return -EINVAL;
	}
	blk_config_fill(g, &cfg);
	memcpy(space, &cfg, sizeof(cfg));
	memcpy(buf, space + offset, len);
	return 0;
}

/*
 * Narrow [iov, iov + *cnt) in place to bytes [skip, skip + len) (which the caller knows to
 * exist).  \return the first iovec of the window; *cnt becomes its length (0 when len is 0).
 */
static struct iovec *
iov_window(struct iovec *iov, int *cnt, size_t skip, size_t len)
{
	int first = 0, last;
	size_t left = len;

	while (first < *cnt && skip >= iov[first].iov_len) {
		skip -= iov[first].iov_len;
		first++;
	}
	if (len == 0 || first == *cnt) {
		*cnt = 0;
		return iov;
	}
	iov[first].iov_base = (uint8_t *)iov[first].iov_base + skip;
	iov[first].iov_len -= skip;
	for (last = first; last < *cnt - 1 && iov[last].iov_len < left; last++) {
		left -= iov[last].iov_len;
	}
	iov[last].iov_len = VD_MIN(iov[last].iov_len, left);
	*cnt = last - first + 1;
	return &iov[first];
}

/* The last device-writable byte, or NULL when the chain has none. */
static uint8_t *
find_status(struct vd_vhost_req *req)
{
	int i;

	for (i = (int)req->iovcnt - 1; i >= (int)req->num_readable; i--) {
		if (req->iovs[i].iov_len > 0) {
			return (uint8_t *)req->iovs[i].iov_base + req->iovs[i].iov_len - 1;
		}
	}
	return NULL;
}

/* Byte range [sector * 512, + len) to blocks; \return false if misaligned or out of range. */
static bool
sectors_to_blocks(const struct blk_geom *g, uint64_t sector, uint64_t len, uint64_t *offset,
		  uint64_t *num)
{
	uint64_t bytes;

	if (sector > UINT64_MAX / VIRTIO_BLK_SECTOR_SIZE) {
		return false;
	}
	bytes = sector * VIRTIO_BLK_SECTOR_SIZE;
	if (bytes % g->block_size != 0 || len % g->block_size != 0) {
		return false;
	}
	*offset = bytes / g->block_size;
	*num = len / g->block_size;
	return *num <= g->num_blocks && *offset <= g->num_blocks - *num;
}

static int
parse_rw(const struct blk_geom *g, struct vd_vhost_req *req, struct blk_parsed *p, uint64_t sector)
{
	int cnt;

	if (p->type == VIRTIO_BLK_T_OUT) {
		if (g->readonly) {
			return VIRTIO_BLK_S_IOERR;
		}
		p->data_len = req->read_len - sizeof(struct virtio_blk_outhdr);
		cnt = req->num_readable;
		p->data =
			iov_window(req->iovs, &cnt, sizeof(struct virtio_blk_outhdr), p->data_len);
	} else {
		p->data_len = req->write_len - 1;
		cnt = req->iovcnt - req->num_readable;
		p->data = iov_window(&req->iovs[req->num_readable], &cnt, 0, p->data_len);
	}
	p->data_cnt = cnt;
	if (!sectors_to_blocks(g, sector, p->data_len, &p->offset_blocks, &p->num_blocks)) {
		return VIRTIO_BLK_S_IOERR;
	}
	return BLK_PARSE_SUBMIT;
}

static int
check_segment(const struct blk_geom *g, uint32_t type,
	      const struct virtio_blk_discard_write_zeroes *s, struct blk_parsed *p)
{
	uint32_t n = p->num_ranges;
	uint32_t max;

	if (type == VIRTIO_BLK_T_DISCARD) {
		if (s->flags != 0) {
			return VIRTIO_BLK_S_UNSUPP;
		}
		max = g->max_discard_sectors;
	} else {
		if ((s->flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0) {
			return VIRTIO_BLK_S_UNSUPP;
		}
		max = g->max_write_zeroes_sectors;
	}
	if (s->num_sectors == 0 || s->num_sectors > max ||
	    !sectors_to_blocks(g, s->sector, (uint64_t)s->num_sectors * VIRTIO_BLK_SECTOR_SIZE,
			       &p->ranges[n].offset_blocks, &p->ranges[n].num_blocks)) {
		return VIRTIO_BLK_S_IOERR;
	}
	p->num_ranges++;
	return BLK_PARSE_SUBMIT;
}

static int
parse_dwz(const struct blk_geom *g, struct vd_vhost_req *req, struct blk_parsed *p)
{
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DISCARD_SEG];
	uint32_t len = req->read_len - sizeof(struct virtio_blk_outhdr);
	uint32_t i, n;
	int rc;

	if ((p->type == VIRTIO_BLK_T_DISCARD && !g->unmap) ||
	    (p->type == VIRTIO_BLK_T_WRITE_ZEROES && !g->write_zeroes)) {
		return VIRTIO_BLK_S_UNSUPP;
	}
	if (g->readonly) {
		return VIRTIO_BLK_S_IOERR;
	}
	n = len / sizeof(segs[0]);
	if (len == 0 || len % sizeof(segs[0]) != 0 || n > BLK_MAX_DISCARD_SEG) {
		return VIRTIO_BLK_S_IOERR;
	}
	vd_iov_to_buf(req->iovs, req->num_readable, sizeof(struct virtio_blk_outhdr), segs, len);
	for (i = 0; i < n; i++) {
		rc = check_segment(g, p->type, &segs[i], p);
		if (rc != BLK_PARSE_SUBMIT) {
			return rc;
		}
	}
	return BLK_PARSE_SUBMIT;
}

/*
 * Parse and validate one request.  \return BLK_PARSE_SUBMIT, BLK_PARSE_DROP, or the
 * VIRTIO_BLK_S_* status to complete it with now (p->status set).  May narrow req->iovs.
 */
int
blk_parse_request(const struct blk_geom *g, struct vd_vhost_req *req, struct blk_parsed *p)
{
	struct virtio_blk_outhdr hdr;
	int cnt;

	p->type = UINT32_MAX;
	p->data = NULL;
	p->data_cnt = 0;
	p->data_len = 0;
	p->num_ranges = 0;
	p->status = find_status(req);
	if (p->status == NULL) {
		return BLK_PARSE_DROP;
	}
	if (req->read_len < sizeof(hdr)) {
		return VIRTIO_BLK_S_IOERR;
	}
	if (vd_likely(req->iovs[0].iov_len >= sizeof(hdr))) {
		/* The usual layout: a fixed-size copy the compiler turns into two loads. */
		memcpy(&hdr, req->iovs[0].iov_base, sizeof(hdr));
	} else {
		vd_iov_to_buf(req->iovs, req->num_readable, 0, &hdr, sizeof(hdr));
	}
	p->type = hdr.type;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return parse_rw(g, req, p, hdr.sector);
	case VIRTIO_BLK_T_FLUSH:
		return BLK_PARSE_SUBMIT;
	case VIRTIO_BLK_T_GET_ID:
		p->data_len = req->write_len - 1;
		cnt = req->iovcnt - req->num_readable;
		p->data = iov_window(&req->iovs[req->num_readable], &cnt, 0, p->data_len);
		p->data_cnt = cnt;
		return BLK_PARSE_SUBMIT;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return parse_dwz(g, req, p);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}
