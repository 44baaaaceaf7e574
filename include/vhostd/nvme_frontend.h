/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user-nvme front-end: plays QEMU's part (guest memory in a memfd shared with
 * SET_MEM_TABLE, the BAR0 register file forwarded with GET_CONFIG/SET_CONFIG, the doorbell page
 * shared with VHOST_USER_NVME_SET_DOORBELL_PAGE, one eventfd per CQ with SET_VRING_CALL) and the
 * guest NVMe driver's part (admin queue bring-up or admin commands by message, Identify, Number of
 * Queues, Doorbell Buffer Config, I/O queue creation, commands with PRPs built in guest memory,
 * completions by polling the CQs or waiting on their eventfds).  Protocol: doc/vhost-nvme.md.
 *
 * Threads: one caller drives the control path (connect, enable, disable, admin, which block
 * for at most opts.timeout_ms each waiting for vhostd).  Once enabled, each I/O queue may be
 * driven by its own thread (submit/poll/abort of queue qid touch only that queue's state and
 * its doorbells); vd_nvme_fe_connected() and vd_nvme_fe_check_connection() may run on any
 * thread.  submit/poll never block.
 *
 * Guest memory is either private (a memfd of opts.mem_size bytes at GPA VD_NVME_FE_GPA_BASE, so
 * that 0 is never a valid address) or external (opts.regions: memory the caller already has,
 * e.g. DPDK memory, shared with GPA = virtual address, so buffers of the caller are used
 * without copies; the front-end's own queues, PRP lists and Identify buffers are then carved
 * from opts.arena, which must lie inside the regions: size it with vd_nvme_fe_arena_size()).
 */
#ifndef VHOSTD_NVME_FRONTEND_H
#define VHOSTD_NVME_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhostd/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VD_NVME_FE_GPA_BASE 0x40000000ULL
#define VD_NVME_FE_MAX_NS 32
/** Most external memory regions (the vhost-user memory table limit). */
#define VD_NVME_FE_MAX_REGIONS 8
/** Most PRP list entries of one command (one list page per command, no chaining). */
#define VD_NVME_FE_MAX_PRP_ENTRIES 512

struct vd_nvme_fe;

/** One external memory region: [addr, addr + len) is mapped from \p fd at \p fd_offset. */
struct vd_nvme_fe_region {
	void *addr;
	uint64_t len;
	int fd; /**< borrowed: sent to vhostd, never closed by the front-end */
	uint64_t fd_offset;
};

struct vd_nvme_fe_opts {
	const char *socket_path;
	uint64_t mem_size;	   /**< guest memory bytes (default 64 MiB) */
	uint16_t io_queues;	   /**< I/O queue pairs to create (default 1) */
	uint16_t queue_size;	   /**< entries per I/O queue (default 128) */
	uint16_t admin_queue_size; /**< default 32 */
	bool dbbuf;		   /**< send Doorbell Buffer Config */
	bool interrupts;	   /**< wait on CQ eventfds instead of spinning */
	bool skip_io_queues;	   /**< enable: stop after Identify (tests create queues) */
	uint32_t timeout_ms;	   /**< control-path timeout (default 5000) */
	bool polled_cqs;	   /**< create I/O CQs without interrupts (IEN = 0) */
	/**
	 * Submit admin commands as VHOST_USER_NVME_ADMIN messages instead of an admin queue:
	 * enable writes AQA = ASQ = ACQ = 0, and queue 0 of vd_nvme_fe_cmd_sync() goes by
	 * message (the other admin-queue calls refuse queue 0).
	 */
	bool admin_msg;
	/** External memory (mem_size ignored when nregions > 0); the array is copied. */
	const struct vd_nvme_fe_region *regions;
	uint32_t nregions;
	void *arena;	     /**< inside the regions, 4 KiB aligned, borrowed until close */
	uint64_t arena_size; /**< at least vd_nvme_fe_arena_size(opts) */
};

struct vd_nvme_fe_ns {
	uint32_t nsid;
	uint32_t block_size;
	uint64_t num_blocks;
};

struct vd_nvme_fe_stats {
	uint64_t mmio_doorbells; /**< I/O queue BAR doorbell writes ("MMIO exits") */
	uint64_t shadow_doorbells;
	uint64_t interrupts; /**< eventfd wake-ups consumed */
};

/** Completion callback: \p cqe borrowed for the call. */
typedef void (*vd_nvme_fe_cb)(void *arg, const struct nvme_cqe *cqe);

void vd_nvme_fe_opts_init(struct vd_nvme_fe_opts *opts);

/**
 * Connect to \p opts->socket_path and do the vhost-user part: features, protocol features
 * (REPLY_ACK, CONFIG), owner, memory table, doorbell page, CQ eventfds.
 * \return 0, -ECONNREFUSED/-ENOENT (no vhostd), -EPROTO (unexpected reply, or the doorbell
 * page refused: not vhost-user-nvme), -ETIMEDOUT, -ECONNRESET, -EINVAL (bad options), -ENOMEM.
 */
int vd_nvme_fe_connect(const struct vd_nvme_fe_opts *opts, struct vd_nvme_fe **fe);
/** Close the connection and free everything (any state, also mid-I/O).  NULL is ignored.
 *  External memory (regions, arena) is the caller's and stays untouched. */
void vd_nvme_fe_close(struct vd_nvme_fe *fe);
/** Bytes of arena the front-end needs with \p opts (queues, PRP list pages, Identify). */
uint64_t vd_nvme_fe_arena_size(const struct vd_nvme_fe_opts *opts);

/**
 * The driver's bring-up: AQA/ASQ/ACQ, CC.EN=1, wait CSTS.RDY, Identify Controller, Set
 * Features Number of Queues, Doorbell Buffer Config (opts.dbbuf), create the I/O CQs and SQs,
 * Identify every active namespace.  \return 0, -ETIMEDOUT, -EIO (a command failed: logged to
 * stderr with its status), -ENODEV (CSTS.CFS).
 */
int vd_nvme_fe_enable(struct vd_nvme_fe *fe);
/** CC.EN=0 and wait for CSTS.RDY=0; forget every queue.  \return 0 or -ETIMEDOUT. */
int vd_nvme_fe_disable(struct vd_nvme_fe *fe);
/** Normal shutdown (CC.SHN=01b), wait CSTS.SHST=10b.  \return 0 or -ETIMEDOUT. */
int vd_nvme_fe_shutdown(struct vd_nvme_fe *fe);

/** Register access through GET_CONFIG/SET_CONFIG (\p len 4 or 8).  0 or a negative errno. */
int vd_nvme_fe_reg_read(struct vd_nvme_fe *fe, uint32_t off, uint32_t len, uint64_t *val);
int vd_nvme_fe_reg_write(struct vd_nvme_fe *fe, uint32_t off, uint32_t len, uint64_t val);

/** Bump-allocate guest memory (never freed before close).  NULL when exhausted. */
void *vd_nvme_fe_alloc(struct vd_nvme_fe *fe, uint64_t len, uint64_t align);
uint64_t vd_nvme_fe_gpa(const struct vd_nvme_fe *fe, const void *ptr);
void *vd_nvme_fe_hva(const struct vd_nvme_fe *fe, uint64_t gpa);
/** The whole guest memory (tests poison it). */
void *vd_nvme_fe_mem(const struct vd_nvme_fe *fe, uint64_t *size);

/**
 * Submit \p sqe on queue \p qid (0 = admin).  With \p buf (guest memory from vd_nvme_fe_alloc,
 * \p len bytes) PRP1/PRP2 (and a PRP list in the slot's list page) are built; without, the PRP
 * fields are sent as given (tests use it for malformed PRPs).  The CID is assigned here.
 * \return 0, -EAGAIN (queue full), -EINVAL (no such queue, buffer not in guest memory).
 */
int vd_nvme_fe_submit(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe, void *buf,
		      uint32_t len, vd_nvme_fe_cb cb, void *cb_arg);
/**
 * Like vd_nvme_fe_submit() with data in \p iovcnt buffers (any memory inside guest memory; with
 * external memory, the caller's own buffers).  PRPs describe them directly: the first buffer
 * must be dword aligned, every later one must start on a 4 KiB page and every earlier one end
 * on one, and the command may span at most VD_NVME_FE_MAX_PRP_ENTRIES pages after the first.
 * \return 0, -EAGAIN (queue full), -EINVAL (no such queue, layout not describable by PRPs,
 * zero length), -EFAULT (a buffer outside guest memory), -ENOTCONN (connection lost).
 */
int vd_nvme_fe_submit_iov(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe,
			  const struct iovec *iov, int iovcnt, vd_nvme_fe_cb cb, void *cb_arg);
/**
 * Complete every outstanding command of \p qid with a made-up completion of status \p status
 * (NVMe status without the phase bit, e.g. NVME_STATUS(NVME_SCT_GENERIC,
 * NVME_SC_ABORTED_SQ_DELETION)), calling the callbacks; the queue is dead afterwards.  Only
 * for a lost connection: the target must no longer be able to touch the commands' buffers.
 */
void vd_nvme_fe_abort_queue(struct vd_nvme_fe *fe, uint16_t qid, uint16_t status);
/** Reap completions of queue \p qid (calls the callbacks).  \return how many. */
int vd_nvme_fe_poll(struct vd_nvme_fe *fe, uint16_t qid);
/** Wait up to \p timeout_us for something to reap on \p qid (eventfd or spin), then poll. */
int vd_nvme_fe_wait(struct vd_nvme_fe *fe, uint16_t qid, uint32_t timeout_us);
/** Commands submitted on \p qid and not completed yet. */
uint32_t vd_nvme_fe_outstanding(const struct vd_nvme_fe *fe, uint16_t qid);

/**
 * Submit and wait (opts.timeout_ms).  \p cqe receives the completion.  \return 0 (look at
 * cqe->status), -ETIMEDOUT, or a submit error.
 */
int vd_nvme_fe_cmd_sync(struct vd_nvme_fe *fe, uint16_t qid, struct nvme_sqe *sqe, void *buf,
			uint32_t len, struct nvme_cqe *cqe);

/**
 * Send one VHOST_USER_NVME_ADMIN message with \p sqe (its CID assigned here; PRPs built for
 * \p buf of \p len bytes in guest memory as with vd_nvme_fe_submit(), or sent as given when
 * \p buf is NULL) and wait (opts.timeout_ms) for the CQE the reply carries.  Control path.
 * \return 0 (look at cqe->status), -EINVAL (bad buffer), -ETIMEDOUT, -EPROTO (malformed
 * reply), -ECONNRESET, or a send error.
 */
int vd_nvme_fe_admin_msg(struct vd_nvme_fe *fe, struct nvme_sqe *sqe, void *buf, uint32_t len,
			 struct nvme_cqe *cqe);
/** Tests: send a VHOST_USER_NVME_ADMIN message with \p size bytes of \p payload, no wait. */
int vd_nvme_fe_admin_msg_send(struct vd_nvme_fe *fe, const void *payload, uint32_t size);
/** Tests: wait for the reply of vd_nvme_fe_admin_msg_send().  \return as vd_nvme_fe_admin_msg. */
int vd_nvme_fe_admin_msg_recv(struct vd_nvme_fe *fe, struct nvme_cqe *cqe);
/**
 * Wait up to \p timeout_ms for the eventfd of CQ 0 (without an admin queue: "an asynchronous
 * event is pending") and consume it.  \return 0 or -ETIMEDOUT.
 */
int vd_nvme_fe_wait_event(struct vd_nvme_fe *fe, uint32_t timeout_ms);

/** Raw doorbell write (tests): SQ tail or CQ head of \p qid in the BAR page. */
void vd_nvme_fe_ring_doorbell(struct vd_nvme_fe *fe, uint16_t qid, bool cq, uint32_t value);

const struct nvme_id_ctrlr *vd_nvme_fe_id_ctrlr(const struct vd_nvme_fe *fe);
uint32_t vd_nvme_fe_num_ns(const struct vd_nvme_fe *fe);
const struct vd_nvme_fe_ns *vd_nvme_fe_get_ns(const struct vd_nvme_fe *fe, uint32_t idx);
uint16_t vd_nvme_fe_num_io_queues(const struct vd_nvme_fe *fe);
void vd_nvme_fe_get_stats(const struct vd_nvme_fe *fe, struct vd_nvme_fe_stats *stats);
/** Whether the connection is still up (any thread). */
bool vd_nvme_fe_connected(const struct vd_nvme_fe *fe);
/**
 * Look at the control socket without blocking (one thread at a time, not concurrently with
 * control-path calls): end of file or an error marks the connection lost; unexpected bytes
 * are discarded.  \return whether the connection is still up.
 */
bool vd_nvme_fe_check_connection(struct vd_nvme_fe *fe);

/* Command builders. */
void vd_nvme_fe_sqe_rw(struct nvme_sqe *sqe, uint8_t opc, uint32_t nsid, uint64_t slba,
		       uint32_t nlb);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_NVME_FRONTEND_H */
