/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Shared between the files of lib/vhost_scsi: the virtio-scsi wire format (virtio 1.2 section
 * 5.6) and the pure parsers of scsi_proto.c, which know nothing about controllers or threads.
 */
#ifndef VHOST_SCSI_INTERNAL_H
#define VHOST_SCSI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhostd/scsi.h"
#include "vhostd/util.h"
#include "vhostd/vhost.h"
#include "vhostd/vhost_scsi.h"

/* Feature bits. */
#define VIRTIO_SCSI_F_INOUT 0
#define VIRTIO_SCSI_F_HOTPLUG 1
#define VIRTIO_SCSI_F_CHANGE 2

/* Queue indexes. */
#define VSCSI_CONTROLQ 0
#define VSCSI_EVENTQ 1
#define VSCSI_FIRST_REQQ 2
#define VSCSI_MAX_QUEUES (VSCSI_FIRST_REQQ + VD_VHOST_SCSI_MAX_REQUEST_QUEUES)

#define VIRTIO_SCSI_CDB_SIZE 32
#define VIRTIO_SCSI_SENSE_SIZE 96

/* Response codes (request queue and control queue). */
#define VIRTIO_SCSI_S_OK 0
#define VIRTIO_SCSI_S_FUNCTION_COMPLETE 0
#define VIRTIO_SCSI_S_OVERRUN 1
#define VIRTIO_SCSI_S_ABORTED 2
#define VIRTIO_SCSI_S_BAD_TARGET 3
#define VIRTIO_SCSI_S_RESET 4
#define VIRTIO_SCSI_S_BUSY 5
#define VIRTIO_SCSI_S_TRANSPORT_FAILURE 6
#define VIRTIO_SCSI_S_TARGET_FAILURE 7
#define VIRTIO_SCSI_S_NEXUS_FAILURE 8
#define VIRTIO_SCSI_S_FAILURE 9
#define VIRTIO_SCSI_S_FUNCTION_SUCCEEDED 10
#define VIRTIO_SCSI_S_FUNCTION_REJECTED 11
#define VIRTIO_SCSI_S_INCORRECT_LUN 12

/* Control queue request types. */
#define VIRTIO_SCSI_T_TMF 0
#define VIRTIO_SCSI_T_AN_QUERY 1
#define VIRTIO_SCSI_T_AN_SUBSCRIBE 2

/* TMF subtypes. */
#define VIRTIO_SCSI_T_TMF_ABORT_TASK 0
#define VIRTIO_SCSI_T_TMF_ABORT_TASK_SET 1
#define VIRTIO_SCSI_T_TMF_CLEAR_ACA 2
#define VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET 3
#define VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET 4
#define VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET 5
#define VIRTIO_SCSI_T_TMF_QUERY_TASK 6
#define VIRTIO_SCSI_T_TMF_QUERY_TASK_SET 7

/* Events. */
#define VIRTIO_SCSI_T_NO_EVENT 0
#define VIRTIO_SCSI_T_TRANSPORT_RESET 1
#define VIRTIO_SCSI_T_ASYNC_NOTIFY 2
#define VIRTIO_SCSI_T_PARAM_CHANGE 3
#define VIRTIO_SCSI_T_EVENTS_MISSED 0x80000000u
#define VIRTIO_SCSI_EVT_RESET_HARD 0
#define VIRTIO_SCSI_EVT_RESET_RESCAN 1
#define VIRTIO_SCSI_EVT_RESET_REMOVED 2

/* What we advertise. */
#define VSCSI_SEG_MAX 126u
#define VSCSI_MAX_SECTORS 16384u /* 8 MiB: lib/scsi's largest transfer */
#define VSCSI_CMD_PER_LUN 128u
/* Descriptor segments a request may use: seg_max data + header + response, plus splits at guest
 * memory region boundaries. */
#define VSCSI_MAX_IOVS 256u
/* Segments the response header may span (it is 108 bytes). */
#define VSCSI_RESP_MAX_IOVS 8u

/* struct virtio_scsi_config, little-endian on the wire (x86 and every DPDK target here). */
struct virtio_scsi_config {
	uint32_t num_queues;
	uint32_t seg_max;
	uint32_t max_sectors;
	uint32_t cmd_per_lun;
	uint32_t event_info_size;
	uint32_t sense_size;
	uint32_t cdb_size;
	uint16_t max_channel;
	uint16_t max_target;
	uint32_t max_lun;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_config) == 36, "virtio_scsi_config layout");

struct virtio_scsi_cmd_req {
	uint8_t lun[8];
	uint64_t tag;
	uint8_t task_attr;
	uint8_t prio;
	uint8_t crn;
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_cmd_req) == 51, "virtio_scsi_cmd_req layout");

struct virtio_scsi_cmd_resp {
	uint32_t sense_len;
	uint32_t resid;
	uint16_t status_qualifier;
	uint8_t status;
	uint8_t response;
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_cmd_resp) == 108, "virtio_scsi_cmd_resp layout");

struct virtio_scsi_ctrl_tmf_req {
	uint32_t type;
	uint32_t subtype;
	uint8_t lun[8];
	uint64_t tag;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_ctrl_tmf_req) == 24, "tmf req layout");

struct virtio_scsi_ctrl_an_req {
	uint32_t type;
	uint8_t lun[8];
	uint32_t event_requested;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_ctrl_an_req) == 16, "an req layout");

struct virtio_scsi_ctrl_an_resp {
	uint32_t event_actual;
	uint8_t response;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_ctrl_an_resp) == 5, "an resp layout");

struct virtio_scsi_event {
	uint32_t event;
	uint8_t lun[8];
	uint32_t reason;
} __attribute__((packed));
VD_STATIC_ASSERT(sizeof(struct virtio_scsi_event) == 16, "virtio_scsi_event layout");

/* Where a response goes: copies of the guest iovecs covering it (the request's own iovecs may be
 * trimmed for the data). */
struct vscsi_resp_loc {
	struct iovec iovs[VSCSI_RESP_MAX_IOVS];
	int iovcnt;
	uint32_t len; /* bytes the response may use */
};

/* A request-queue command after parsing. */
struct vscsi_cmd {
	struct virtio_scsi_cmd_req req; /* copied out of guest memory */
	uint8_t target;
	uint32_t lun;
	enum vd_scsi_dir dir;
	struct iovec *data; /* points into the request's iovs (trimmed in place) */
	int data_cnt;
	uint32_t data_len;
	struct vscsi_resp_loc resp;
};

/* A control-queue request after parsing. */
struct vscsi_ctrl {
	uint32_t type;
	uint8_t target;
	uint32_t lun;
	enum vd_scsi_tmf tmf;
	uint64_t tag;
	struct vscsi_resp_loc resp;
};

/* Parser results besides a VIRTIO_SCSI_S_* code to answer with right away: submit to the
 * target, or drop with used length 0 (nowhere to write a response). */
#define VSCSI_PARSE_SUBMIT (-1)
#define VSCSI_PARSE_DROP (-2)

/* scsi_proto.c */
void vscsi_config_fill(struct virtio_scsi_config *cfg);
int vscsi_config_read(uint8_t *buf, uint32_t offset, uint32_t len);
uint64_t vscsi_features(void);
int vscsi_lun_parse(const uint8_t lun[8], uint8_t *target, uint32_t *lun_id);
void vscsi_lun_make(uint8_t lun[8], uint8_t target, uint32_t lun_id);
int vscsi_parse_cmd(struct vd_vhost_req *req, struct vscsi_cmd *cmd);
uint32_t vscsi_cmd_respond(struct vscsi_cmd *cmd, uint8_t response,
			   const struct vd_scsi_task *task);
int vscsi_parse_ctrl(struct vd_vhost_req *req, struct vscsi_ctrl *ctrl);
uint32_t vscsi_ctrl_respond(struct vscsi_ctrl *ctrl, uint8_t response);
uint8_t vscsi_tmf_response(enum vd_scsi_tmf_response r);
int vscsi_event_write(struct vd_vhost_req *req, const struct virtio_scsi_event *ev);

#endif /* VHOST_SCSI_INTERNAL_H */
