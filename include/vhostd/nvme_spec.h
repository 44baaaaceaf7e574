/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * NVMe structures and constants (NVM Express base specification 1.3/1.4), shared by the
 * vhost-nvme target (lib/vhost_nvme) and the front-end (lib/nvme_frontend): the one home of
 * wire formats.  Little-endian hosts only (x86-64/arm64); every struct has a static size check.
 * Only what vhostd uses is defined; field names follow the specification's mnemonics.
 */
#ifndef VHOSTD_NVME_SPEC_H
#define VHOSTD_NVME_SPEC_H

#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Controller registers (BAR0 offsets, §3.1). ------------------------------------------------ */
#define NVME_REG_CAP 0x00 /* 8 bytes */
#define NVME_REG_VS 0x08
#define NVME_REG_INTMS 0x0c
#define NVME_REG_INTMC 0x10
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_NSSR 0x20
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28     /* 8 bytes */
#define NVME_REG_ACQ 0x30     /* 8 bytes */
#define NVME_REG_END 0x38     /* registers vhostd serves: [0, NVME_REG_END) */
#define NVME_DB_OFFSET 0x1000 /* first doorbell in BAR0 */

/* CAP fields. */
#define NVME_CAP_MQES(cap) ((uint32_t)((cap)&0xffff))
#define NVME_CAP_CQR (1ULL << 16)
#define NVME_CAP_TO_SHIFT 24	/* 500 ms units */
#define NVME_CAP_DSTRD_SHIFT 32 /* doorbell stride 4 << DSTRD */
#define NVME_CAP_CSS_NVM (1ULL << 37)
#define NVME_CAP_MPSMIN_SHIFT 48
#define NVME_CAP_MPSMAX_SHIFT 52

/* CC fields. */
#define NVME_CC_EN (1u << 0)
#define NVME_CC_CSS(cc) (((cc) >> 4) & 0x7)
#define NVME_CC_MPS(cc) (((cc) >> 7) & 0xf)
#define NVME_CC_AMS(cc) (((cc) >> 11) & 0x7)
#define NVME_CC_SHN(cc) (((cc) >> 14) & 0x3)
#define NVME_CC_SHN_SHIFT 14
#define NVME_CC_IOSQES(cc) (((cc) >> 16) & 0xf)
#define NVME_CC_IOCQES(cc) (((cc) >> 20) & 0xf)
#define NVME_CC_IOSQES_SHIFT 16
#define NVME_CC_IOCQES_SHIFT 20

/* CSTS fields. */
#define NVME_CSTS_RDY (1u << 0)
#define NVME_CSTS_CFS (1u << 1)
#define NVME_CSTS_SHST_SHIFT 2
#define NVME_CSTS_SHST_MASK (3u << 2)
#define NVME_CSTS_SHST_OCCUR (1u << 2)
#define NVME_CSTS_SHST_DONE (2u << 2)

/* AQA fields: 0-based sizes. */
#define NVME_AQA_ASQS(aqa) ((aqa)&0xfff)
#define NVME_AQA_ACQS(aqa) (((aqa) >> 16) & 0xfff)

#define NVME_VS_1_3 0x00010300u

/* Commands. ---------------------------------------------------------------------------------- */

/** Submission queue entry (64 bytes). */
struct nvme_sqe {
	uint8_t opc;
	uint8_t fuse_psdt; /* FUSE [1:0], PSDT [7:6] (0 = PRP) */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
VD_STATIC_ASSERT(sizeof(struct nvme_sqe) == 64, "SQE size");

/** Completion queue entry (16 bytes). */
struct nvme_cqe {
	uint32_t cdw0;
	uint32_t cdw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status; /* P [0], SC [8:1], SCT [11:9], M [14], DNR [15] */
};
VD_STATIC_ASSERT(sizeof(struct nvme_cqe) == 16, "CQE size");

#define NVME_SQES_LOG2 6
#define NVME_CQES_LOG2 4

/* Status field helpers: status without the phase bit = (SCT << 8 | SC) in our encoding. */
#define NVME_STATUS(sct, sc) ((uint16_t)(((sct) << 8) | (sc)))
#define NVME_STATUS_SCT(s) (((s) >> 8) & 0x7)
#define NVME_STATUS_SC(s) ((s)&0xff)
/** CQE status field from our encoding, without phase: SC at [8:1], SCT at [11:9], DNR [15]. */
#define NVME_CQE_STATUS(s, dnr)                                                                    \
	((uint16_t)(((NVME_STATUS_SC(s)) << 1) | (NVME_STATUS_SCT(s) << 9) | ((dnr) ? 0x8000 : 0)))
/** Our encoding from a CQE status field. */
#define NVME_CQE_TO_STATUS(f) NVME_STATUS(((f) >> 9) & 0x7, ((f) >> 1) & 0xff)
#define NVME_CQE_PHASE(f) ((f)&1u)

#define NVME_SCT_GENERIC 0
#define NVME_SCT_CMD_SPECIFIC 1
#define NVME_SCT_MEDIA 2

/* Generic command status (SCT 0). */
#define NVME_SC_SUCCESS 0x00
#define NVME_SC_INVALID_OPCODE 0x01
#define NVME_SC_INVALID_FIELD 0x02
#define NVME_SC_CID_CONFLICT 0x03
#define NVME_SC_DATA_TRANSFER_ERROR 0x04
#define NVME_SC_ABORTED_POWER_LOSS 0x05
#define NVME_SC_INTERNAL_DEVICE_ERROR 0x06
#define NVME_SC_ABORTED_BY_REQUEST 0x07
#define NVME_SC_ABORTED_SQ_DELETION 0x08
#define NVME_SC_INVALID_NAMESPACE 0x0b
#define NVME_SC_COMMAND_SEQUENCE_ERROR 0x0c
#define NVME_SC_PRP_OFFSET_INVALID 0x13
#define NVME_SC_LBA_OUT_OF_RANGE 0x80

/* Command specific status (SCT 1). */
#define NVME_SC_COMPLETION_QUEUE_INVALID 0x00
#define NVME_SC_INVALID_QUEUE_IDENTIFIER 0x01
#define NVME_SC_INVALID_QUEUE_SIZE 0x02
#define NVME_SC_ABORT_LIMIT_EXCEEDED 0x03
#define NVME_SC_AER_LIMIT_EXCEEDED 0x05
#define NVME_SC_INVALID_LOG_PAGE 0x09
#define NVME_SC_INVALID_INTERRUPT_VECTOR 0x08
#define NVME_SC_INVALID_QUEUE_DELETION 0x0c
#define NVME_SC_FEATURE_NOT_SAVEABLE 0x0d

/* Media and data integrity errors (SCT 2). */
#define NVME_SC_COMPARE_FAILURE 0x85

/* Admin opcodes. */
#define NVME_OPC_DELETE_IO_SQ 0x00
#define NVME_OPC_CREATE_IO_SQ 0x01
#define NVME_OPC_GET_LOG_PAGE 0x02
#define NVME_OPC_DELETE_IO_CQ 0x04
#define NVME_OPC_CREATE_IO_CQ 0x05
#define NVME_OPC_IDENTIFY 0x06
#define NVME_OPC_ABORT 0x08
#define NVME_OPC_SET_FEATURES 0x09
#define NVME_OPC_GET_FEATURES 0x0a
#define NVME_OPC_ASYNC_EVENT_REQUEST 0x0c
#define NVME_OPC_KEEP_ALIVE 0x18
#define NVME_OPC_DOORBELL_BUFFER_CONFIG 0x7c

/* NVM I/O opcodes. */
#define NVME_OPC_FLUSH 0x00
#define NVME_OPC_WRITE 0x01
#define NVME_OPC_READ 0x02
#define NVME_OPC_COMPARE 0x05
#define NVME_OPC_WRITE_ZEROES 0x08
#define NVME_OPC_DATASET_MANAGEMENT 0x09

/* Create I/O queue CDW11 flags. */
#define NVME_QUEUE_PC (1u << 0)
#define NVME_CQ_IEN (1u << 1)

/* Identify CNS values. */
#define NVME_CNS_NS 0x00
#define NVME_CNS_CTRLR 0x01
#define NVME_CNS_ACTIVE_NS_LIST 0x02
#define NVME_CNS_NS_ID_DESCRIPTORS 0x03

/* Feature identifiers. */
#define NVME_FEAT_ARBITRATION 0x01
#define NVME_FEAT_POWER_MANAGEMENT 0x02
#define NVME_FEAT_TEMPERATURE_THRESHOLD 0x04
#define NVME_FEAT_ERROR_RECOVERY 0x05
#define NVME_FEAT_VOLATILE_WRITE_CACHE 0x06
#define NVME_FEAT_NUMBER_OF_QUEUES 0x07
#define NVME_FEAT_INTERRUPT_COALESCING 0x08
#define NVME_FEAT_INTERRUPT_VECTOR_CONFIG 0x09
#define NVME_FEAT_WRITE_ATOMICITY 0x0a
#define NVME_FEAT_ASYNC_EVENT_CONFIG 0x0b

/* Log pages. */
#define NVME_LOG_ERROR 0x01
#define NVME_LOG_HEALTH 0x02
#define NVME_LOG_FIRMWARE_SLOT 0x03
#define NVME_LOG_CHANGED_NS 0x04

/* Dataset management. */
#define NVME_DSM_ATTR_DEALLOCATE (1u << 2)
struct nvme_dsm_range {
	uint32_t attributes;
	uint32_t nlb; /* 1-based */
	uint64_t slba;
};
VD_STATIC_ASSERT(sizeof(struct nvme_dsm_range) == 16, "DSM range size");

/* Identify data. ----------------------------------------------------------------------------- */

struct nvme_power_state {
	uint16_t mp;
	uint8_t rsvd2;
	uint8_t flags;
	uint32_t enlat;
	uint32_t exlat;
	uint8_t rrt, rrl, rwt, rwl;
	uint16_t idlp;
	uint8_t ips;
	uint8_t rsvd19;
	uint16_t actp;
	uint8_t apw_aps;
	uint8_t rsvd23[9];
};
VD_STATIC_ASSERT(sizeof(struct nvme_power_state) == 32, "power state size");

/** Identify Controller (CNS 01h), 4096 bytes. */
struct nvme_id_ctrlr {
	uint16_t vid;
	uint16_t ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;
	uint16_t cntlid;
	uint32_t ver;
	uint32_t rtd3r;
	uint32_t rtd3e;
	uint32_t oaes;
	uint32_t ctratt;
	uint8_t rsvd100[156]; /* 100..255 */
	uint16_t oacs;	      /* 256 */
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t avscc;
	uint8_t apsta;
	uint16_t wctemp;
	uint16_t cctemp;
	uint8_t rsvd270[242]; /* 270..511 */
	uint8_t sqes;	      /* 512 */
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t nvscc;
	uint8_t rsvd531;
	uint16_t acwu;
	uint16_t rsvd534;
	uint32_t sgls;
	uint8_t rsvd540[1508];		 /* 540..2047 */
	struct nvme_power_state psd[32]; /* 2048 */
	uint8_t vs[1024];
};
VD_STATIC_ASSERT(sizeof(struct nvme_id_ctrlr) == 4096, "identify controller size");
VD_STATIC_ASSERT(offsetof(struct nvme_id_ctrlr, oacs) == 256, "oacs offset");
VD_STATIC_ASSERT(offsetof(struct nvme_id_ctrlr, sqes) == 512, "sqes offset");
VD_STATIC_ASSERT(offsetof(struct nvme_id_ctrlr, sgls) == 536, "sgls offset");

#define NVME_OACS_DBBUF (1u << 8)
#define NVME_ONCS_COMPARE (1u << 0)
#define NVME_ONCS_DSM (1u << 2)
#define NVME_ONCS_WRITE_ZEROES (1u << 3)
#define NVME_LPA_EXTENDED (1u << 2)

/** Identify Namespace (CNS 00h), 4096 bytes. */
struct nvme_id_ns {
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;
	uint8_t flbas;
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob;
	uint8_t nvmcap[16];
	uint8_t rsvd64[40];
	uint8_t nguid[16]; /* 104 */
	uint64_t eui64;	   /* 120 */
	uint32_t lbaf[16]; /* 128: MS [15:0], LBADS [23:16], RP [25:24] */
	uint8_t rsvd192[3904];
};
VD_STATIC_ASSERT(sizeof(struct nvme_id_ns) == 4096, "identify namespace size");
VD_STATIC_ASSERT(offsetof(struct nvme_id_ns, nguid) == 104, "nguid offset");
VD_STATIC_ASSERT(offsetof(struct nvme_id_ns, lbaf) == 128, "lbaf offset");

#define NVME_LBAF_LBADS_SHIFT 16
#define NVME_NSFEAT_THIN (1u << 0)
#define NVME_DLFEAT_ZEROES 0x01

/* Namespace identification descriptor types (CNS 03h). */
#define NVME_NIDT_EUI64 0x01
#define NVME_NIDT_NGUID 0x02
#define NVME_NIDT_UUID 0x03

struct nvme_ns_id_desc {
	uint8_t nidt;
	uint8_t nidl;
	uint16_t rsvd;
	/* nid[nidl] follows */
};

/** SMART / Health Information log (02h), 512 bytes. */
struct nvme_health_log {
	uint8_t critical_warning;
	uint16_t temperature;
	uint8_t available_spare;
	uint8_t available_spare_threshold;
	uint8_t percentage_used;
	uint8_t rsvd6[26];
	uint64_t data_units_read[2];
	uint64_t data_units_written[2];
	uint64_t host_read_commands[2];
	uint64_t host_write_commands[2];
	uint64_t controller_busy_time[2];
	uint64_t power_cycles[2];
	uint64_t power_on_hours[2];
	uint64_t unsafe_shutdowns[2];
	uint64_t media_errors[2];
	uint64_t num_error_info_log_entries[2];
	uint8_t rsvd192[320];
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct nvme_health_log) == 512, "health log size");

/** Error Information log entry (01h), 64 bytes. */
struct nvme_error_log_entry {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;
	uint16_t param_error_location;
	uint64_t lba;
	uint32_t nsid;
	uint8_t vendor_specific;
	uint8_t rsvd29[35];
};
VD_STATIC_ASSERT(sizeof(struct nvme_error_log_entry) == 64, "error log entry size");

/** Firmware Slot Information log (03h), 512 bytes. */
struct nvme_firmware_log {
	uint8_t afi;
	uint8_t rsvd1[7];
	char frs[7][8];
	uint8_t rsvd64[448];
};
VD_STATIC_ASSERT(sizeof(struct nvme_firmware_log) == 512, "firmware log size");

/* Asynchronous events (completion dword 0). */
#define NVME_AER_TYPE_NOTICE 2
#define NVME_AER_INFO_NS_ATTR_CHANGED 0x00
#define NVME_AEC_NS_ATTR_NOTICES (1u << 8)

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_NVME_SPEC_H */
