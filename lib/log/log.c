/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Logging to stderr with levels and component flags.
 *
 * Invariants: the flag registry is a singly linked list protected by g_lock (registration and
 * name lookups only, never on a message path); a flag's `enabled` is read without the lock.
 * Names enabled before their flag registers are kept in g_pending and applied at registration.
 * Each message is formatted into one buffer and written with a single write(2) so that lines
 * from several reactors do not interleave.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vhostd/log.h"
#include "vhostd/util.h"

#define LOG_LINE_MAX 1024
#define MAX_PENDING 32

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vd_log_flag *g_flags;
static enum vd_log_level g_print_level = VD_LOG_NOTICE;
static struct {
	char name[64];
	bool enabled;
} g_pending[MAX_PENDING];
static unsigned int g_num_pending;
static bool g_pending_all;

static const char *const g_level_names[] = {
	[VD_LOG_ERROR] = "ERROR",
	[VD_LOG_WARN] = "WARNING",
	[VD_LOG_NOTICE] = "NOTICE",
	[VD_LOG_INFO] = "INFO",
	[VD_LOG_DEBUG] = "DEBUG",
};

const char *
vd_log_level_name(enum vd_log_level level)
{
	if (level < VD_LOG_ERROR || level > VD_LOG_DEBUG) {
		return "DISABLED";
	}
	return g_level_names[level];
}

enum vd_log_level
vd_log_level_parse(const char *name)
{
	int i;

	if (name == NULL) {
		return VD_LOG_DISABLED;
	}
	if (strcasecmp(name, "warn") == 0) {
		return VD_LOG_WARN;
	}
	for (i = VD_LOG_ERROR; i <= VD_LOG_DEBUG; i++) {
		if (strcasecmp(name, g_level_names[i]) == 0) {
			return (enum vd_log_level)i;
		}
	}
	return VD_LOG_DISABLED;
}

void
vd_log_set_print_level(enum vd_log_level level)
{
	__atomic_store_n(&g_print_level, level, __ATOMIC_RELAXED);
}

enum vd_log_level
vd_log_get_print_level(void)
{
	return __atomic_load_n(&g_print_level, __ATOMIC_RELAXED);
}

void
vd_vlog(enum vd_log_level level, const char *file, int line, const char *func,
	const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	struct timeval tv;
	struct tm tm;
	const char *base;
	int n, m;

	if (level > vd_log_get_print_level() && level != VD_LOG_INFO && level != VD_LOG_DEBUG) {
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	n = snprintf(buf, sizeof(buf), "[%04d-%02d-%02d %02d:%02d:%02d.%06ld] %s:%d:%s: *%s*: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (long)tv.tv_usec, base, line, func, vd_log_level_name(level));
	if (n < 0 || n >= (int)sizeof(buf)) {
		return;
	}
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0) {
		return;
	}
	n = VD_MIN(n + m, (int)sizeof(buf) - 2);
	if (n > 0 && buf[n - 1] != '\n') {
		buf[n++] = '\n';
	}
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void
vd_log(enum vd_log_level level, const char *file, int line, const char *func,
       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vd_vlog(level, file, line, func, fmt, ap);
	va_end(ap);
}

/* Caller holds g_lock. */
static void
apply_pending(struct vd_log_flag *flag)
{
	unsigned int i;

	if (g_pending_all) {
		flag->enabled = true;
	}
	for (i = 0; i < g_num_pending; i++) {
		if (strcmp(g_pending[i].name, flag->name) == 0) {
			flag->enabled = g_pending[i].enabled;
		}
	}
}

void
vd_log_flag_register(struct vd_log_flag *flag)
{
	struct vd_log_flag *f;

	pthread_mutex_lock(&g_lock);
	for (f = g_flags; f != NULL; f = f->next) {
		if (f == flag) {
			pthread_mutex_unlock(&g_lock);
			return;
		}
	}
	apply_pending(flag);
	flag->next = g_flags;
	g_flags = flag;
	pthread_mutex_unlock(&g_lock);
}

/* Caller holds g_lock. */
static void
set_pending(const char *name, bool enabled)
{
	unsigned int i;

	if (strcmp(name, "all") == 0) {
		g_pending_all = enabled;
		return;
	}
	for (i = 0; i < g_num_pending; i++) {
		if (strcmp(g_pending[i].name, name) == 0) {
			g_pending[i].enabled = enabled;
			return;
		}
	}
	if (g_num_pending < MAX_PENDING &&
	    vd_strcpy_trunc(g_pending[g_num_pending].name, sizeof(g_pending[0].name), name)) {
		g_pending[g_num_pending++].enabled = enabled;
	}
}

int
vd_log_set_flag(const char *name, bool enabled, bool pending_ok)
{
	struct vd_log_flag *f;
	bool all, found = false;

	if (name == NULL || *name == '\0') {
		return -EINVAL;
	}
	all = strcmp(name, "all") == 0;
	pthread_mutex_lock(&g_lock);
	for (f = g_flags; f != NULL; f = f->next) {
		if (all || strcmp(f->name, name) == 0) {
			f->enabled = enabled;
			found = true;
		}
	}
	if (pending_ok) {
		set_pending(name, enabled);
	}
	pthread_mutex_unlock(&g_lock);
	return found || all ? 0 : -ENOENT;
}

struct vd_log_flag *
vd_log_flag_next(struct vd_log_flag *prev)
{
	struct vd_log_flag *f;

	pthread_mutex_lock(&g_lock);
	f = prev == NULL ? g_flags : prev->next;
	pthread_mutex_unlock(&g_lock);
	return f;
}

bool
vd_log_ratelimit_ok(struct vd_log_ratelimit *rl, unsigned int burst)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (ts.tv_sec != rl->window_sec) {
		rl->window_sec = ts.tv_sec;
		rl->count = 0;
	}
	return rl->count++ < burst;
}
