/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * A minimal raw vhost-user front-end for tests and fuzzing (plays QEMU's role).
 *
 * Raw layer: vfe_send() any request id with any payload and fds; vfe_recv() a reply with a
 * timeout.  Helpers: a memfd "guest memory" (gpa 0..size, front-end virtual address = our
 * mapping address), the usual bring-up sequence, and the driver side of split rings (put a
 * descriptor chain, publish it, wait for the used element).  Blocking, single-threaded per
 * struct vfe; never used inside the daemon.
 */
#ifndef VHOSTD_TEST_VHOST_FRONTEND_H
#define VHOSTD_TEST_VHOST_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd_internal/vhost_user_proto.h"

#define VFE_MAX_QUEUES 16
#define VFE_MAX_PAYLOAD 8192
#define VFE_MAX_FDS 8

/* Request ids are the VHOST_USER_* of vhostd_internal/vhost_user_proto.h. */
#define VFE_FLAG_VERSION 0x1u
#define VFE_FLAG_REPLY (1u << 2)
#define VFE_FLAG_NEED_REPLY (1u << 3)
#define VFE_VRING_NOFD (1u << 8)

#define VFE_F_INDIRECT_DESC (1ULL << 28)
#define VFE_F_EVENT_IDX (1ULL << 29)
#define VFE_F_PROTOCOL_FEATURES (1ULL << 30)
#define VFE_F_VERSION_1 (1ULL << 32)

#define VFE_PF_MQ (1ULL << 0)
#define VFE_PF_REPLY_ACK (1ULL << 3)
#define VFE_PF_CONFIG (1ULL << 9)
#define VFE_PF_INFLIGHT (1ULL << 12)
#define VFE_PF_MEM_SLOTS (1ULL << 15)
#define VFE_PF_STATUS (1ULL << 16)

#define VFE_DESC_F_NEXT 1
#define VFE_DESC_F_WRITE 2
#define VFE_DESC_F_INDIRECT 4

struct vfe_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vfe_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vfe_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vfe_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[VFE_MAX_PAYLOAD] __attribute__((aligned(8)));
	int fd; /* fd received with a reply, or -1 */
};

struct vfe_vring {
	uint16_t size;
	struct vfe_desc *desc;
	uint16_t *avail; /* [0] flags, [1] idx, [2..] ring, then used_event */
	uint8_t *used;	 /* flags, idx, ring[], avail_event */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t avail_idx;
	uint16_t last_used;
	uint16_t next_desc; /* sequential allocation, wraps */
	int kick_fd, call_fd;
};

/** Inflight region shared with the back-end (GET/SET_INFLIGHT_FD, vhost-user.rst). */
struct vfe_inflight {
	/* The message payload, in wire order. */
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
	int fd;		 /* -1 when none */
	uint8_t *region; /* our mapping of it */
};

struct vfe {
	int fd;
	int timeout_ms;
	uint64_t features;
	uint64_t protocol_features;
	int mem_fd;
	uint8_t *mem; /* guest memory: gpa 0 .. mem_size */
	uint64_t mem_size;
	uint64_t mem_next; /* bump allocator */
	uint16_t num_queues;
	struct vfe_vring vq[VFE_MAX_QUEUES];
};

/** Connect to \p path (retrying up to timeout_ms).  0 or -errno. */
int vfe_connect(struct vfe *fe, const char *path, int timeout_ms);
/** Close the socket, unmap memory, close fds. */
void vfe_close(struct vfe *fe);

/** Send one message.  \return 0 or -errno. */
int vfe_send(struct vfe *fe, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
	     const int *fds, uint32_t nfds);
/** Send raw bytes (partial messages). */
int vfe_send_bytes(struct vfe *fe, const void *buf, uint32_t len);
/** Receive one message.  \return 0, -ETIMEDOUT, -ECONNRESET (peer closed) or -errno. */
int vfe_recv(struct vfe *fe, struct vfe_msg *msg, int timeout_ms);
/** Whether the back-end closed the connection within \p timeout_ms (reads and drops data). */
bool vfe_wait_closed(struct vfe *fe, int timeout_ms);

/** Request with a u64 reply (GET_FEATURES...).  0 or -errno. */
int vfe_get_u64(struct vfe *fe, uint32_t request, uint64_t *val);
/** Request with a payload; waits for the ack when REPLY_ACK is negotiated.  0, -EIO (nack). */
int vfe_set(struct vfe *fe, uint32_t request, const void *payload, uint32_t size, const int *fds,
	    uint32_t nfds);
int vfe_set_u64(struct vfe *fe, uint32_t request, uint64_t val);

/** Create \p size bytes of memfd guest memory at gpa 0.  0 or -errno. */
int vfe_mem_create(struct vfe *fe, uint64_t size);
/** Bump-allocate guest memory.  \return the gpa (aborts the test program when exhausted). */
uint64_t vfe_alloc(struct vfe *fe, uint64_t size, uint64_t align);
void *vfe_gpa(struct vfe *fe, uint64_t gpa);
/** SET_MEM_TABLE with the one region.  0 or -errno. */
int vfe_set_mem_table(struct vfe *fe);

/** Features negotiation + SET_OWNER.  \p want_proto masks protocol features.  0 or -errno. */
int vfe_negotiate(struct vfe *fe, uint64_t want_features, uint64_t want_proto);
/** Allocate rings for queue \p idx in guest memory and send NUM/ADDR/BASE/KICK/CALL/ENABLE. */
int vfe_vring_setup(struct vfe *fe, uint16_t idx, uint16_t size);
/** Everything: negotiate, memory (\p mem_size), \p nq queues of \p qsize.  0 or -errno. */
int vfe_bringup(struct vfe *fe, uint64_t mem_size, uint16_t nq, uint16_t qsize);

/**
 * GET_INFLIGHT_FD for \p nq queues of \p qsize, map the region and SET_INFLIGHT_FD it back (as
 * QEMU does before starting the rings).  0 or -errno; vfe_inflight_free() in any case.
 */
int vfe_get_inflight(struct vfe *fe, uint16_t nq, uint16_t qsize, struct vfe_inflight *inf);
int vfe_set_inflight(struct vfe *fe, const struct vfe_inflight *inf);
void vfe_inflight_free(struct vfe_inflight *inf);
/**
 * Reconnect after the back-end went away, as QEMU does with reconnect=1: keep guest memory and
 * rings, connect to \p path, negotiate the same features (-EPROTO if the new back-end offers
 * fewer), SET_INFLIGHT_FD \p inf (if not NULL), SET_MEM_TABLE, and restart every queue at its
 * used index (SET_VRING_BASE = used->idx) with new kick/call eventfds.  0 or -errno.
 */
int vfe_reconnect(struct vfe *fe, const char *path, int timeout_ms,
		  const struct vfe_inflight *inf);

/** Write a chain of \p n descriptors (linked with NEXT) at the next free slots.  \return head. */
uint16_t vfe_vring_put_chain(struct vfe *fe, uint16_t q, const struct vfe_desc *d, uint16_t n);
/** Put \p head in the avail ring and bump avail->idx (release) and kick. */
void vfe_vring_publish(struct vfe *fe, uint16_t q, uint16_t head);
/** Set avail->idx directly (fuzzing). */
void vfe_vring_set_avail_idx(struct vfe *fe, uint16_t q, uint16_t idx);
/** Wait for the next used element.  0, -ETIMEDOUT. */
int vfe_vring_wait_used(struct vfe *fe, uint16_t q, struct vfe_used_elem *e, int timeout_ms);
/** Current used->idx. */
uint16_t vfe_vring_used_idx(struct vfe *fe, uint16_t q);

#endif /* VHOSTD_TEST_VHOST_FRONTEND_H */
