/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Shared between the files of lib/vhost_blk: the virtio-blk wire format (virtio 1.2 section
 * 5.2), the device's geometry snapshot, and the pure request parser in blk_proto.c.
 */
#ifndef VHOST_BLK_INTERNAL_H
#define VHOST_BLK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhostd/util.h"
#include "vhostd/vhost.h"
#include "vhostd/vhost_blk.h"

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status byte values. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1u
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR_SIZE 512u

/* What we advertise. */
#define BLK_SEG_MAX 126u
#define BLK_SIZE_MAX (1u << 20)
#define BLK_MAX_DISCARD_SEG 16u
/* Per-segment limit when the bdev has none: 1 GiB. */
#define BLK_DEFAULT_MAX_DISCARD_SECTORS (1u << 21)
/* Descriptor segments a request may use: seg_max data + header + status, plus splits at guest
 * memory region boundaries. */
#define BLK_MAX_IOVS 256u

/* struct virtio_blk_config, little-endian on the wire (x86 and every DPDK target here). */
struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	struct {
		uint16_t cylinders;
		uint8_t heads;
		uint8_t sectors;
	} geometry;
	uint32_t blk_size;
	struct {
		uint8_t physical_block_exp;
		uint8_t alignment_offset;
		uint16_t min_io_size;
		uint32_t opt_io_size;
	} topology;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
	uint32_t max_secure_erase_sectors;
	uint32_t max_secure_erase_seg;
	uint32_t secure_erase_sector_alignment;
	struct {
		uint32_t zone_sectors;
		uint32_t max_open_zones;
		uint32_t max_active_zones;
		uint32_t max_append_sectors;
		uint32_t write_granularity;
		uint8_t model;
		uint8_t unused2[3];
	} zoned;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_blk_config) == 96, "virtio_blk_config layout");

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};
VD_STATIC_ASSERT(sizeof(struct virtio_blk_outhdr) == 16, "virtio_blk_outhdr layout");

struct virtio_blk_discard_write_zeroes {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};
VD_STATIC_ASSERT(sizeof(struct virtio_blk_discard_write_zeroes) == 16, "dwz segment layout");

/* What the device looks like to the guest; fixed at controller creation (control thread). */
struct blk_geom {
	uint64_t num_blocks;
	uint32_t block_size; /* power of two, >= 512 */
	uint16_t num_queues;
	bool readonly;
	bool write_cache;  /* advertise FLUSH */
	bool flush;	   /* bdev does FLUSH */
	bool unmap;	   /* advertise DISCARD */
	bool write_zeroes; /* advertise WRITE_ZEROES */
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
	char serial[VIRTIO_BLK_ID_BYTES]; /* GET_ID answer, NUL padded */
};

/* A request after parsing: what to submit, or the status to complete with right away. */
struct blk_parsed {
	uint32_t type;
	uint8_t *status;    /* last device-writable byte; NULL: cannot answer at all */
	struct iovec *data; /* points into the request's iovs (trimmed in place) */
	int data_cnt;
	uint32_t data_len;
	uint64_t offset_blocks; /* IN/OUT */
	uint64_t num_blocks;
	uint32_t num_ranges; /* DISCARD/WRITE_ZEROES: validated, in blocks */
	struct {
		uint64_t offset_blocks;
		uint64_t num_blocks;
	} ranges[BLK_MAX_DISCARD_SEG];
};

/* Parser result: the request is to be submitted (BLK_PARSE_SUBMIT), or completed right away
 * with a status byte, or dropped with used length 0 (no writable byte for a status). */
#define BLK_PARSE_SUBMIT (-1)
#define BLK_PARSE_DROP (-2)

/* blk_proto.c */
uint64_t blk_features(const struct blk_geom *g);
void blk_config_fill(const struct blk_geom *g, struct virtio_blk_config *cfg);
int blk_config_read(const struct blk_geom *g, uint8_t *buf, uint32_t offset, uint32_t len);
int blk_parse_request(const struct blk_geom *g, struct vd_vhost_req *req, struct blk_parsed *p);

#endif /* VHOST_BLK_INTERNAL_H */
