/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Environment layer: DPDK's EAL behind a small API.
 *
 * - vd_env_init() starts the EAL once per process with a unique --file-prefix, --no-pci unless
 *   a PCI device is requested, --no-telemetry and --in-memory (or --no-huge), so nothing is
 *   left in /dev/hugepages.
 * - DMA-safe memory (hugepage-backed when available) with its backing file descriptor, which is
 *   what a vhost-user front-end needs to share memory.
 * - Cores: the set of cores the EAL runs, pinned launch of one function per core.
 * - Rings: fixed-size lockless rings of fixed-size elements (multi- or single-producer,
 *   single-consumer) that work before and without vd_env_init() (unit tests use them).
 * - Time: TSC ticks and their frequency.
 */
#ifndef VHOSTD_ENV_H
#define VHOSTD_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VD_ENV_MAX_PCI 16

struct vd_env_opts {
	const char *name;		/**< process name for logs; default "vhostd" */
	struct vd_cpuset cpumask;	/**< cores to run on; default core 0 */
	uint32_t mem_size_mb;		/**< memory to reserve up front; 0 = on demand */
	bool no_huge;			/**< anonymous memfd memory instead of hugepages */
	const char *file_prefix;	/**< default "vhostd_<pid>" */
	const char *pci_allowed[VD_ENV_MAX_PCI];	/**< PCI BDFs to probe; none = --no-pci */
	uint32_t num_pci;
};

/** Fill defaults. */
void vd_env_opts_init(struct vd_env_opts *opts);

/**
 * Initialise the EAL.  Call once, from the main thread, before any other vd_env call
 * except rings, ticks and vd_env_opts_init().  The calling thread becomes the first core of
 * the mask.  \return 0, -EALREADY if already initialised, -EINVAL on bad options, or -ENODEV /
 * -ENOMEM when the EAL fails (its reason is logged).
 */
int vd_env_init(const struct vd_env_opts *opts);
/** Release EAL resources.  All memory allocated with vd_dma_* must be freed first. */
void vd_env_fini(void);
bool vd_env_is_initialized(void);
/** \return whether memory comes from hugepages (false with no_huge). */
bool vd_env_uses_hugepages(void);

/**
 * DMA-safe allocation, physically contiguous per hugepage, aligned to \p align (power of two, or
 * 0 for a cache line).  Callable from any thread after vd_env_init(); returns NULL on failure.
 */
void *vd_dma_malloc(size_t size, size_t align);
void *vd_dma_zmalloc(size_t size, size_t align);
void vd_dma_free(void *buf);

/**
 * The file descriptor and offset backing \p addr (memory from vd_dma_*).  The fd is borrowed:
 * it stays owned by the env layer; dup() it to keep it.  \p len receives the length of the
 * fd-backed segment that contains addr, from \p offset.
 * \return 0, -ENOENT if addr is not env memory, -ENOTSUP if the segment has no fd.
 */
int vd_mem_get_fd(const void *addr, int *fd, uint64_t *offset, uint64_t *len);

/** Iterate the env memory segments that can be shared: callback per contiguous fd range. */
typedef int (*vd_mem_region_fn)(void *addr, uint64_t len, int fd, uint64_t fd_offset, void *ctx);
int vd_mem_for_each_region(vd_mem_region_fn fn, void *ctx);

/** Cores the EAL runs (the mask given to vd_env_init). */
uint32_t vd_env_get_core_count(void);
uint32_t vd_env_get_first_core(void);
/** \return the next core after \p prev (UINT32_MAX to start), or UINT32_MAX at the end. */
uint32_t vd_env_get_next_core(uint32_t prev);
/** \return the core this thread is pinned to, or UINT32_MAX for a non-EAL thread. */
uint32_t vd_env_get_current_core(void);

typedef int (*vd_env_core_fn)(void *arg);
/** Run \p fn on another core of the mask (pinned).  \return 0 or -EBUSY/-EINVAL. */
int vd_env_core_launch(uint32_t core, vd_env_core_fn fn, void *arg);
/** Wait for every launched core function to return. */
void vd_env_core_wait_all(void);

/* Rings --------------------------------------------------------------------------------- */

struct vd_ring;

enum vd_ring_type {
	VD_RING_MP_SC,	/**< many producers, one consumer */
	VD_RING_SP_SC,	/**< one producer, one consumer */
};

/**
 * Create a ring holding exactly \p count elements of \p elem_size bytes
 * (a multiple of 4).  Plain memory: works before vd_env_init().
 * \return 0 and *ring, or -EINVAL / -ENOMEM.
 */
int vd_ring_create(enum vd_ring_type type, size_t elem_size, size_t count, struct vd_ring **ring);
/** Free a ring (NULL is ignored) and clear the caller's pointer. */
void vd_ring_free(struct vd_ring **ring);
/** Enqueue up to \p n elements from \p objs.  \return how many were enqueued (all or nothing). */
size_t vd_ring_enqueue(struct vd_ring *ring, const void *objs, size_t n);
/** Dequeue up to \p n elements into \p objs.  \return how many. */
size_t vd_ring_dequeue(struct vd_ring *ring, void *objs, size_t n);
size_t vd_ring_count(struct vd_ring *ring);

/* Time ---------------------------------------------------------------------------------- */

/** Current TSC. */
uint64_t vd_get_ticks(void);
/** TSC frequency in Hz (calibrated once; valid before vd_env_init()). */
uint64_t vd_get_ticks_hz(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_ENV_H */
