/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * SPC-4 primary commands: INQUIRY (standard data and VPD pages 00h 80h 83h B0h B1h B2h),
 * REPORT LUNS, REQUEST SENSE, MODE SENSE(6/10) and MODE SELECT(6/10) (caching 08h and
 * control 0Ah pages), and the commands that need no data (TEST UNIT READY, START STOP UNIT,
 * PREVENT ALLOW MEDIUM REMOVAL).
 *
 * Responses are built in a stack buffer of SCSI_RESP_MAX bytes and copied to the data-in
 * iovecs truncated to the ALLOCATION LENGTH (0 = no data, GOOD).  Nothing here blocks or
 * touches the bdev's data.
 */

#include <string.h>

#include "scsi_internal.h"

#define SCSI_VENDOR	"VHOSTD  "
#define SCSI_REVISION	"0001"
#define SCSI_STD_INQUIRY_LEN	96u
#define SCSI_VPD_PAGE_LEN	0x3cu	/* B0h and B1h */

/* Unit attention ----------------------------------------------------------------------- */

bool
scsi_lun_take_ua(struct vd_scsi_lun *lun, uint8_t *asc, uint8_t *ascq)
{
	if (lun->ua & SCSI_UA_RESET) {
		lun->ua &= ~SCSI_UA_RESET;
		*asc = SCSI_ASC_RESET_OCCURRED;
		*ascq = SCSI_ASCQ_BUS_DEVICE_RESET;
		return true;
	}
	if (lun->ua & SCSI_UA_CAPACITY) {
		lun->ua &= ~SCSI_UA_CAPACITY;
		*asc = SCSI_ASC_PARAMS_CHANGED;
		*ascq = SCSI_ASCQ_CAPACITY_CHANGED;
		return true;
	}
	return false;
}

/* INQUIRY ---------------------------------------------------------------------------------- */

/* Space-padded ASCII copy of a printable prefix of src. */
static void
put_ascii(uint8_t *dst, const char *src, size_t len)
{
	size_t i;

	memset(dst, ' ', len);
	for (i = 0; src != NULL && i < len && src[i] != '\0'; i++) {
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (uint8_t)src[i] : ' ';
	}
}

static uint32_t
inquiry_standard(struct vd_scsi_lun *lun, uint8_t *d)
{
	const char *product = lun != NULL ? vd_bdev_get_product_name(lun->bdev) : NULL;

	memset(d, 0, SCSI_STD_INQUIRY_LEN);
	/* Direct access block device, or qualifier 011b / type 1Fh: no LUN here. */
	d[0] = lun != NULL ? 0x00 : 0x7f;
	d[2] = 0x06;			/* SPC-4 */
	d[3] = 0x12;			/* HISUP, response data format 2 */
	d[4] = SCSI_STD_INQUIRY_LEN - 5;
	d[7] = 0x02;			/* CMDQUE */
	put_ascii(&d[8], SCSI_VENDOR, 8);
	put_ascii(&d[16], product != NULL ? product : "Disk", 16);
	put_ascii(&d[32], SCSI_REVISION, 4);
	scsi_put_be16(&d[58], 0x00a0);	/* SAM-5 */
	scsi_put_be16(&d[60], 0x0460);	/* SPC-4 */
	scsi_put_be16(&d[62], 0x04c0);	/* SBC-3 */
	return SCSI_STD_INQUIRY_LEN;
}

static const uint8_t g_vpd_pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };

static uint32_t
vpd_supported(struct vd_scsi_lun *lun, uint8_t *d)
{
	memcpy(&d[4], g_vpd_pages, sizeof(g_vpd_pages));
	return 4 + sizeof(g_vpd_pages);
}

static uint32_t
vpd_serial(struct vd_scsi_lun *lun, uint8_t *d)
{
	char uuid[37];

	vd_bdev_get_uuid_str(lun->bdev, uuid);
	memcpy(&d[4], uuid, 36);
	return 4 + 36;
}

static uint32_t
vpd_device_id(struct vd_scsi_lun *lun, uint8_t *d)
{
	const uint8_t *uuid = vd_bdev_get_uuid(lun->bdev);
	uint8_t *p = &d[4];
	uint64_t naa;
	char str[37];

	/* NAA 3h (locally assigned), 60 bits folded from the bdev UUID: binary, LUN. */
	naa = scsi_be64(uuid) ^ scsi_be64(uuid + 8);
	naa = (naa & ~(0xfULL << 60)) | (0x3ULL << 60);
	p[0] = 0x01;
	p[1] = 0x03;
	p[3] = 8;
	scsi_put_be64(&p[4], naa);
	p += 12;
	/* T10 vendor ID: vendor + UUID string, ASCII, LUN. */
	vd_bdev_get_uuid_str(lun->bdev, str);
	p[0] = 0x02;
	p[1] = 0x01;
	p[3] = 8 + 36;
	memcpy(&p[4], SCSI_VENDOR, 8);
	memcpy(&p[12], str, 36);
	p += 4 + 8 + 36;
	return (uint32_t)(p - d);
}

uint32_t
scsi_lun_max_xfer_blocks(const struct vd_scsi_lun *lun)
{
	return SCSI_MAX_XFER_BYTES / vd_bdev_get_block_size(lun->bdev);
}

static uint32_t
vpd_block_limits(struct vd_scsi_lun *lun, uint8_t *d)
{
	uint32_t bs = vd_bdev_get_block_size(lun->bdev);

	d[4] = 0x01;					/* WSNZ: WRITE SAME of 0 blocks refused */
	scsi_put_be16(&d[6], (uint16_t)(bs < 4096 ? 4096 / bs : 1));	/* optimal granularity */
	scsi_put_be32(&d[8], scsi_lun_max_xfer_blocks(lun));
	if (scsi_lun_unmap_supported(lun)) {
		scsi_put_be32(&d[20], SCSI_MAX_UNMAP_BLOCKS);
		scsi_put_be32(&d[24], SCSI_MAX_UNMAP_DESCS);
		scsi_put_be32(&d[28], 1);		/* optimal unmap granularity */
	}
	scsi_put_be64(&d[36], SCSI_MAX_WRITE_SAME_BLOCKS);
	return 4 + SCSI_VPD_PAGE_LEN;
}

static uint32_t
vpd_block_chars(struct vd_scsi_lun *lun, uint8_t *d)
{
	scsi_put_be16(&d[4], 1);	/* non-rotating medium */
	d[7] = 0;			/* form factor not reported */
	return 4 + SCSI_VPD_PAGE_LEN;
}

static uint32_t
vpd_provisioning(struct vd_scsi_lun *lun, uint8_t *d)
{
	if (scsi_lun_unmap_supported(lun)) {
		d[5] = 0xe0;		/* LBPU, LBPWS, LBPWS10 (LBPRZ unknown: 0) */
		d[6] = 0x02;		/* thin provisioned */
	}
	return 8;
}

struct vpd_page {
	uint8_t code;
	uint32_t (*build)(struct vd_scsi_lun *lun, uint8_t *d);
};

static const struct vpd_page g_vpd[] = {
	{ 0x00, vpd_supported }, { 0x80, vpd_serial }, { 0x83, vpd_device_id },
	{ 0xb0, vpd_block_limits }, { 0xb1, vpd_block_chars }, { 0xb2, vpd_provisioning },
};

/* \return the page length, or 0 if the page is not supported. */
static uint32_t
inquiry_vpd(struct vd_scsi_lun *lun, uint8_t code, uint8_t *d)
{
	uint32_t i, len;

	for (i = 0; i < VD_COUNTOF(g_vpd); i++) {
		if (g_vpd[i].code == code) {
			d[0] = 0x00;
			d[1] = code;
			len = g_vpd[i].build(lun, d);
			scsi_put_be16(&d[2], (uint16_t)(len - 4));
			return len;
		}
	}
	return 0;
}

enum scsi_exec
scsi_spc_inquiry(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	uint8_t d[SCSI_RESP_MAX] = { 0 };
	const uint8_t *cdb = task->cdb;
	uint32_t len;

	if (!scsi_cdb_reserved_ok(task, 1, 0xfe)) {	/* includes obsolete CMDDT */
		return SCSI_EXEC_DONE;
	}
	if (!(cdb[1] & 0x01)) {
		if (cdb[2] != 0) {
			scsi_task_invalid_cdb(task, 2, 7);
			return SCSI_EXEC_DONE;
		}
		len = inquiry_standard(lun, d);
	} else if (lun == NULL) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_LUN_NOT_SUPPORTED, 0);
		return SCSI_EXEC_DONE;
	} else {
		len = inquiry_vpd(lun, cdb[2], d);
		if (len == 0) {
			scsi_task_invalid_cdb(task, 2, 7);
			return SCSI_EXEC_DONE;
		}
	}
	scsi_task_data_in(task, d, len, scsi_be16(&cdb[3]));
	return SCSI_EXEC_DONE;
}

/* REPORT LUNS, REQUEST SENSE --------------------------------------------------------------- */

enum scsi_exec
scsi_spc_report_luns(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	uint8_t d[8 + 8 * VD_SCSI_DEV_MAX_LUNS] = { 0 };
	uint32_t i, n = 0, alloc = scsi_be32(&cdb[6]);

	if (cdb[2] != 0x00 && cdb[2] != 0x01 && cdb[2] != 0x02) {
		scsi_task_invalid_cdb(task, 2, 7);
		return SCSI_EXEC_DONE;
	}
	if (alloc < 16) {
		scsi_task_invalid_cdb(task, 6, 7);
		return SCSI_EXEC_DONE;
	}
	/* SELECT REPORT 01h asks for well-known LUNs only: there are none. */
	for (i = 0; cdb[2] != 0x01 && i < VD_SCSI_DEV_MAX_LUNS; i++) {
		if (scsi_dev_find_lun(task->priv.dev, i) != NULL) {
			d[8 + 8 * n + 1] = (uint8_t)i;	/* peripheral device addressing */
			n++;
		}
	}
	scsi_put_be32(&d[0], 8 * n);
	scsi_task_data_in(task, d, 8 + 8 * n, alloc);
	return SCSI_EXEC_DONE;
}

enum scsi_exec
scsi_spc_request_sense(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	uint8_t sense[SCSI_FIXED_SENSE_LEN], asc, ascq;

	if (!scsi_cdb_reserved_ok(task, 1, 0xff)) {	/* DESC (bit 0): fixed format only */
		return SCSI_EXEC_DONE;
	}
	if (lun == NULL) {
		scsi_sense_fill(sense, VD_SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED, 0);
	} else if (scsi_lun_take_ua(lun, &asc, &ascq)) {
		scsi_sense_fill(sense, VD_SCSI_SENSE_UNIT_ATTENTION, asc, ascq);
	} else {
		scsi_sense_fill(sense, VD_SCSI_SENSE_NO_SENSE, SCSI_ASC_NONE, 0);
	}
	scsi_task_data_in(task, sense, sizeof(sense), task->cdb[4]);
	return SCSI_EXEC_DONE;
}

enum scsi_exec
scsi_spc_no_data(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	return SCSI_EXEC_DONE;
}

/* MODE SENSE / MODE SELECT ----------------------------------------------------------------- */

#define MODE_PC_CURRENT		0
#define MODE_PC_CHANGEABLE	1
#define MODE_PC_DEFAULT		2
#define MODE_PC_SAVED		3

/* Build page \p code into p.  \return its length, 0 if unsupported. */
static uint32_t
mode_page(struct vd_scsi_lun *lun, uint8_t code, uint8_t pc, uint8_t *p)
{
	uint32_t len;

	switch (code) {
	case 0x08:	/* caching */
		len = 20;
		memset(p, 0, len);
		if (pc != MODE_PC_CHANGEABLE && vd_bdev_has_write_cache(lun->bdev)) {
			p[2] = 0x04;	/* WCE */
		}
		break;
	case 0x0a:	/* control */
		len = 12;
		memset(p, 0, len);
		if (pc != MODE_PC_CHANGEABLE) {
			p[3] = 0x10;	/* unrestricted reordering allowed */
		}
		break;
	default:
		return 0;
	}
	p[0] = code;
	p[1] = (uint8_t)(len - 2);
	return len;
}

static uint32_t
mode_block_desc(struct vd_scsi_lun *lun, bool llba, uint8_t *p)
{
	uint64_t blocks = vd_bdev_get_num_blocks(lun->bdev);
	uint32_t bs = vd_bdev_get_block_size(lun->bdev);

	if (llba) {
		memset(p, 0, 16);
		scsi_put_be64(p, blocks);
		scsi_put_be32(&p[12], bs);
		return 16;
	}
	memset(p, 0, 8);
	scsi_put_be32(p, blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)blocks);
	scsi_put_be32(&p[4], bs & 0xffffff);	/* byte 4 reserved, 5-7 length */
	return 8;
}

/* Validate the MODE SENSE CDB.  \return false with the sense set. */
static bool
mode_sense_check(struct vd_scsi_task *task, bool ten)
{
	const uint8_t *cdb = task->cdb;
	uint8_t page = cdb[2] & 0x3f;

	if (!scsi_cdb_reserved_ok(task, 1, ten ? 0xe7 : 0xf7)) {
		return false;
	}
	if ((cdb[2] >> 6) == MODE_PC_SAVED) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_SAVING_NOT_SUPPORTED, 0);
		return false;
	}
	if (page != 0x08 && page != 0x0a && page != 0x3f) {
		scsi_task_invalid_cdb(task, 2, 5);
		return false;
	}
	if (cdb[3] != 0 && !(cdb[3] == 0xff && page == 0x3f)) {
		scsi_task_invalid_cdb(task, 3, 7);
		return false;
	}
	return true;
}

enum scsi_exec
scsi_spc_mode_sense(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	bool ten = cdb[0] == SCSI_MODE_SENSE_10;
	uint8_t d[SCSI_RESP_MAX] = { 0 }, page = cdb[2] & 0x3f, pc = cdb[2] >> 6;
	uint32_t hdr = ten ? 8 : 4, len, bdl = 0;

	if (!mode_sense_check(task, ten)) {
		return SCSI_EXEC_DONE;
	}
	if (!(cdb[1] & 0x08)) {		/* DBD clear: one block descriptor */
		bdl = mode_block_desc(lun, ten && (cdb[1] & 0x10), &d[hdr]);
	}
	len = hdr + bdl;
	if (page == 0x08 || page == 0x3f) {
		len += mode_page(lun, 0x08, pc, &d[len]);
	}
	if (page == 0x0a || page == 0x3f) {
		len += mode_page(lun, 0x0a, pc, &d[len]);
	}
	if (ten) {
		scsi_put_be16(&d[0], (uint16_t)(len - 2));
		d[3] = 0x10;		/* DPOFUA */
		d[4] = bdl == 16 ? 0x01 : 0x00;	/* LONGLBA */
		scsi_put_be16(&d[6], (uint16_t)bdl);
	} else {
		d[0] = (uint8_t)(len - 1);
		d[2] = 0x10;
		d[3] = (uint8_t)bdl;
	}
	scsi_task_data_in(task, d, len, ten ? scsi_be16(&cdb[7]) : cdb[4]);
	return SCSI_EXEC_DONE;
}

/* Each page sent must equal the current one: nothing is changeable.  \return false on error. */
static bool
mode_select_pages(struct vd_scsi_task *task, struct vd_scsi_lun *lun, const uint8_t *d,
		  uint32_t off, uint32_t len)
{
	uint8_t cur[32];
	uint32_t plen, i;

	while (off < len) {
		if (d[off] & 0x40 || len - off < 2) {	/* SPF: no subpages */
			scsi_task_invalid_param(task, (uint16_t)off, 6);
			return false;
		}
		plen = 2u + d[off + 1];
		if (plen > len - off) {
			scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
					    SCSI_ASC_PARAM_LIST_LENGTH, 0);
			return false;
		}
		if (mode_page(lun, d[off] & 0x3f, MODE_PC_CURRENT, cur) != plen) {
			scsi_task_invalid_param(task, (uint16_t)off, 5);
			return false;
		}
		for (i = 2; i < plen; i++) {
			if (d[off + i] != cur[i]) {
				scsi_task_invalid_param(task, (uint16_t)(off + i), 7);
				return false;
			}
		}
		off += plen;
	}
	return true;
}

static bool
mode_select_header(struct vd_scsi_task *task, struct vd_scsi_lun *lun, const uint8_t *d,
		   uint32_t len, bool ten, uint32_t *off)
{
	uint32_t hdr = ten ? 8 : 4, bdl, bs = vd_bdev_get_block_size(lun->bdev);
	bool llba;

	if (len < hdr) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_PARAM_LIST_LENGTH, 0);
		return false;
	}
	bdl = ten ? scsi_be16(&d[6]) : d[3];
	llba = ten && (d[4] & 0x01);
	if (bdl != 0 && bdl != (llba ? 16u : 8u)) {
		scsi_task_invalid_param(task, ten ? 7 : 3, 7);
		return false;
	}
	if (hdr + bdl > len) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_PARAM_LIST_LENGTH, 0);
		return false;
	}
	/* A block descriptor may only restate the current block length. */
	if (bdl != 0 && (scsi_be32(&d[hdr + bdl - 4]) & (llba ? UINT32_MAX : 0xffffff)) != bs) {
		scsi_task_invalid_param(task, (uint16_t)(hdr + bdl - 4), 7);
		return false;
	}
	*off = hdr + bdl;
	return true;
}

enum scsi_exec
scsi_spc_mode_select(struct vd_scsi_task *task, struct vd_scsi_lun *lun)
{
	const uint8_t *cdb = task->cdb;
	bool ten = cdb[0] == SCSI_MODE_SELECT_10;
	uint32_t len = ten ? scsi_be16(&cdb[7]) : cdb[4], off;
	uint8_t d[SCSI_RESP_MAX];

	if (!scsi_cdb_reserved_ok(task, 1, 0xef)) {	/* SP (bit 0): saving not supported */
		return SCSI_EXEC_DONE;
	}
	if (len == 0) {
		return SCSI_EXEC_DONE;
	}
	if (!scsi_task_data_out_ok(task, len, ten ? 7 : 4)) {
		return SCSI_EXEC_DONE;
	}
	if (len > sizeof(d)) {
		scsi_task_set_sense(task, VD_SCSI_SENSE_ILLEGAL_REQUEST,
				    SCSI_ASC_PARAM_LIST_LENGTH, 0);
		return SCSI_EXEC_DONE;
	}
	task->data_len = scsi_task_data_out(task, 0, d, len);
	if (mode_select_header(task, lun, d, len, ten, &off)) {
		mode_select_pages(task, lun, d, off, len);
	}
	return SCSI_EXEC_DONE;
}
