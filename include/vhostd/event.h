/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Reactors and the application framework.
 *
 * One reactor per core of the application's CPU mask, each an OS thread pinned by the env layer.
 * A reactor runs the lightweight threads placed on it round-robin and counts its busy and idle
 * ticks.  vd_app_start() initialises env, threads and reactors, creates the app thread on the
 * first core, starts the RPC server, applies the JSON configuration, initialises the registered
 * subsystems in dependency order and calls the user's start function; it returns when
 * vd_app_stop() (or SIGINT/SIGTERM) has finished every subsystem.
 */
#ifndef VHOSTD_EVENT_H
#define VHOSTD_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define VD_DEFAULT_RPC_ADDR "/var/tmp/vhostd.sock"

struct vd_app_opts {
	const char *name;		/**< "vhostd" */
	const char *reactor_mask;	/**< "0x1" */
	uint32_t mem_size_mb;		/**< 0 = on demand */
	bool no_huge;
	const char *rpc_addr;		/**< UNIX socket path; NULL = no RPC server */
	const char *json_config_file;	/**< applied at start; NULL = none */
	/** JSON text applied when json_config_file is NULL (the embedded default); NULL = none */
	const char *json_config_default;
	bool json_config_ignore_errors;
	const char *pci_allowed[16];
	uint32_t num_pci;
	/** After shutdown: remove these files too (vhost sockets are removed by their owners). */
	uint64_t shutdown_timeout_ms;	/**< force exit after this long; 0 = 10 s */
};

/** Per-subsystem hooks.  init/fini are asynchronous: call vd_subsystem_init_next(rc) /
 *  vd_subsystem_fini_next() when done.  All hooks run on the app thread. */
struct vd_subsystem {
	const char *name;
	void (*init)(void);
	void (*fini)(void);
	/** Append {"method":..., "params":...} objects that recreate the current state. */
	void (*write_config_json)(struct json_object *config_array);
	const char *depends_on[8];	/**< names of subsystems initialised before this one */
	struct vd_subsystem *next;	/**< registry link, owned by lib/event */
};

/** Register a subsystem (before vd_app_start).  Explicit, no constructors. */
void vd_subsystem_register(struct vd_subsystem *subsystem);
void vd_subsystem_init_next(int rc);
void vd_subsystem_fini_next(void);
struct vd_subsystem *vd_subsystem_find(const char *name);
/** Iterate in initialisation order (dependencies first). */
struct vd_subsystem *vd_subsystem_get_first(void);
struct vd_subsystem *vd_subsystem_get_next(struct vd_subsystem *prev);
/**
 * Build a configuration object {"subsystems":[{"subsystem":NAME,"config":[...]}]} that
 * vd_app_opts.json_config_file accepts.  \return a new object (caller owns) or NULL.
 */
struct json_object *vd_subsystem_save_config(void);

typedef void (*vd_app_start_fn)(void *ctx);

void vd_app_opts_init(struct vd_app_opts *opts);

/**
 * Run the application until vd_app_stop().  Blocks on the main thread.
 * \return the rc given to vd_app_stop(), or a negative errno if start-up failed (logged).
 */
int vd_app_start(const struct vd_app_opts *opts, vd_app_start_fn start_fn, void *ctx);
/** Begin an orderly shutdown with exit code \p rc (any thread, also from a signal path). */
void vd_app_stop(int rc);
/** Free what vd_app_start left for the caller (env, thread library).  Call after it returns. */
void vd_app_fini(void);
/** Register a shutdown hook run on the app thread before subsystems are finished. */
void vd_app_set_shutdown_cb(void (*cb)(void *ctx), void *ctx);
/** Whether shutdown has begun. */
bool vd_app_is_stopping(void);

/* Reactors --------------------------------------------------------------------------------- */

struct vd_reactor_stats {
	uint32_t lcore;
	uint64_t busy_tsc;
	uint64_t idle_tsc;
	uint64_t iterations;	/**< loop iterations run (benchmarks: cost per iteration) */
	uint32_t thread_count;
};

uint32_t vd_reactor_count(void);
/** Counters of the reactor on \p lcore (read racily: monotonic 64-bit values). 0 or -ENOENT. */
int vd_reactor_get_stats(uint32_t lcore, struct vd_reactor_stats *stats);
/** Set \p set to the cores that run a reactor (empty before vd_app_start()). */
void vd_reactor_get_cpuset(struct vd_cpuset *set);

/** Register this library's RPC methods (framework_*, save_config, log_*, thread_get_stats). */
void vd_event_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_EVENT_H */
