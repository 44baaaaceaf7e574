/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Logging with levels and per-component debug flags, to stderr.
 *
 * Components ("flags") are defined once with VD_LOG_FLAG_DEFINE(name) and registered
 * explicitly by their library's init function with vd_log_flag_register().  A flag can be
 * enabled (-L name, log_set_flag RPC) before its library registers it: the name is kept
 * pending and applied at registration.  All functions are thread-safe.
 */
#ifndef VHOSTD_LOG_H
#define VHOSTD_LOG_H

#include <stdbool.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vd_log_level {
	VD_LOG_DISABLED = -1,
	VD_LOG_ERROR = 0,
	VD_LOG_WARN,
	VD_LOG_NOTICE,
	VD_LOG_INFO,
	VD_LOG_DEBUG,
};

struct vd_log_flag {
	const char *name;
	bool enabled;
	struct vd_log_flag *next;	/* registry link, owned by lib/log */
};

/** Define a component flag; its library calls vd_log_flag_register(&VD_LOG_FLAG(name)). */
#define VD_LOG_FLAG(flag) vd_log_flag_##flag
#define VD_LOG_FLAG_DEFINE(flag) struct vd_log_flag vd_log_flag_##flag = { .name = #flag }
#define VD_LOG_FLAG_DECLARE(flag) extern struct vd_log_flag vd_log_flag_##flag

void vd_log(enum vd_log_level level, const char *file, int line, const char *func,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void vd_vlog(enum vd_log_level level, const char *file, int line, const char *func,
	     const char *fmt, va_list ap);

#define VD_ERRLOG(...) vd_log(VD_LOG_ERROR, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define VD_WARNLOG(...) vd_log(VD_LOG_WARN, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define VD_NOTICELOG(...) vd_log(VD_LOG_NOTICE, __FILE__, __LINE__, __func__, __VA_ARGS__)

/** Printed when the component flag is enabled (and the print level allows INFO). */
#define VD_INFOLOG(FLAG, ...)							\
	do {									\
		extern struct vd_log_flag vd_log_flag_##FLAG;			\
		if (vd_log_flag_##FLAG.enabled) {				\
			vd_log(VD_LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__); \
		}								\
	} while (0)

#ifdef DEBUG
#define VD_DEBUGLOG(FLAG, ...)							\
	do {									\
		extern struct vd_log_flag vd_log_flag_##FLAG;			\
		if (vd_log_flag_##FLAG.enabled) {				\
			vd_log(VD_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__); \
		}								\
	} while (0)
#else
#define VD_DEBUGLOG(FLAG, ...) do { } while (0)
#endif

/** Register a component flag (idempotent).  Applies a pending enable for its name. */
void vd_log_flag_register(struct vd_log_flag *flag);

/**
 * Enable or disable a component by name ("all" matches every registered flag).
 * \return 0, or -ENOENT if no flag of that name is registered (the setting is still kept
 * pending for a flag registered later when \p pending_ok is true).
 */
int vd_log_set_flag(const char *name, bool enabled, bool pending_ok);

/** Iterate over registered flags: pass NULL to get the first. */
struct vd_log_flag *vd_log_flag_next(struct vd_log_flag *prev);

/** Messages above this level are not printed.  Default VD_LOG_NOTICE. */
void vd_log_set_print_level(enum vd_log_level level);
enum vd_log_level vd_log_get_print_level(void);
const char *vd_log_level_name(enum vd_log_level level);
/** \return the level for "error", "warn", "notice", "info", "debug", or VD_LOG_DISABLED */
enum vd_log_level vd_log_level_parse(const char *name);

/**
 * Rate-limit helper for guest-triggerable messages: true at most \p burst times per second
 * for the given state.  State is a caller-owned pair (window start, count).
 */
struct vd_log_ratelimit {
	long window_sec;
	unsigned int count;
};
bool vd_log_ratelimit_ok(struct vd_log_ratelimit *rl, unsigned int burst);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_LOG_H */
