/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private state of lib/nvme_frontend: the connection and guest memory (fe_vhost.c) and the
 * driver's queues (fe_driver.c).
 */
#ifndef NVME_FE_INTERNAL_H
#define NVME_FE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/nvme_frontend.h"

#define FE_PAGE 4096u
#define FE_MAX_QUEUES 32

struct fe_slot {
	bool busy;
	vd_nvme_fe_cb cb;
	void *cb_arg;
	uint64_t *prp_list; /* one guest page for the PRP list of this slot */
};

struct fe_queue {
	bool live;
	uint16_t id;
	uint16_t size;
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	uint16_t sq_tail;
	uint16_t cq_head;
	uint8_t phase;
	uint32_t outstanding;
	uint16_t next_cid;
	struct fe_slot *slots; /* [size], indexed by cid */
	int efd;
	/* Statistics, per queue so that each queue's thread writes only its own. */
	uint64_t mmio_doorbells;
	uint64_t shadow_doorbells;
	uint64_t interrupts;
};

struct vd_nvme_fe {
	struct vd_nvme_fe_opts opts;
	int sock;
	bool connected; /* atomic: cleared by whichever thread sees the connection fail */
	bool reply_ack;
	int mem_fd;
	/* The memfd mapping, or the external arena: vd_nvme_fe_alloc() carves from it. */
	uint8_t *mem;
	uint64_t mem_size;
	bool external; /* GPA = virtual address, memory table = regions */
	struct vd_nvme_fe_region regions[VD_NVME_FE_MAX_REGIONS];
	uint32_t nregions;
	uint64_t mem_used;
	int db_fd;
	volatile uint32_t *db;
	volatile uint32_t *shadow; /* Doorbell Buffer Config pages, or NULL */
	volatile uint32_t *eventidx;
	struct fe_queue q[FE_MAX_QUEUES];
	uint16_t nq;			/* I/O queues created */
	struct nvme_id_ctrlr *id_ctrlr; /* guest memory */
	struct vd_nvme_fe_ns ns[VD_NVME_FE_MAX_NS];
	uint32_t num_ns;
	struct fe_slot msg_slot; /* PRP list page of admin commands sent by message */
	uint16_t msg_cid;
};

/* fe_driver.c: whether [p, p + len) is guest memory. */
bool fe_in_mem(const struct vd_nvme_fe *fe, const void *p, uint64_t len);
/* fe_vhost.c */
void fe_set_disconnected(struct vd_nvme_fe *fe);
/* fe_vhost.c: block (poll, opts.timeout_ms) until \p fd is readable.  0 or -errno. */
int fe_wait_readable(struct vd_nvme_fe *fe, int fd, uint32_t timeout_ms);

#endif /* NVME_FE_INTERNAL_H */
