/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Small helpers shared by every layer: macros, CPU sets, string and number parsing, copies
 * between flat buffers and iovec arrays.
 * Nothing here allocates except where stated; everything is thread-safe on distinct objects.
 */
#ifndef VHOSTD_UTIL_H
#define VHOSTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VD_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
#define VD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VD_CONTAINEROF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define VD_ALIGN_UP(v, a) (((v) + (a) - 1) & ~((__typeof__(v))(a) - 1))
#define VD_IS_POW2(v) ((v) != 0 && (((v) & ((v) - 1)) == 0))
#define VD_CACHE_LINE 64
#define VD_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define vd_likely(x) __builtin_expect(!!(x), 1)
#define vd_unlikely(x) __builtin_expect(!!(x), 0)

/** Maximum number of cores a CPU set can describe. */
#define VD_CPUSET_SIZE 256

struct vd_cpuset {
	uint64_t bits[VD_CPUSET_SIZE / 64];
};

void vd_cpuset_zero(struct vd_cpuset *set);
void vd_cpuset_set_cpu(struct vd_cpuset *set, uint32_t cpu, bool state);
bool vd_cpuset_get_cpu(const struct vd_cpuset *set, uint32_t cpu);
uint32_t vd_cpuset_count(const struct vd_cpuset *set);
void vd_cpuset_copy(struct vd_cpuset *dst, const struct vd_cpuset *src);
void vd_cpuset_and(struct vd_cpuset *dst, const struct vd_cpuset *src);
void vd_cpuset_or(struct vd_cpuset *dst, const struct vd_cpuset *src);
bool vd_cpuset_equal(const struct vd_cpuset *a, const struct vd_cpuset *b);
/** \return the lowest CPU set after \p prev (-1 to start), or -1 when none. */
int vd_cpuset_next(const struct vd_cpuset *set, int prev);

/**
 * Parse a CPU mask: hexadecimal ("0x3", "3") or a list ("[0,2-3]").
 * \return 0, or -EINVAL with the set untouched on a malformed string or a core
 * number >= VD_CPUSET_SIZE.
 */
int vd_cpuset_parse(struct vd_cpuset *set, const char *str);

/** Format as a hex mask ("0x3") into buf.  \return buf. */
const char *vd_cpuset_fmt(const struct vd_cpuset *set, char *buf, size_t len);

/** Parse a whole string as an unsigned/signed decimal or 0x-hex number.  0 or -EINVAL/-ERANGE. */
int vd_strtou64(const char *str, uint64_t *out);
int vd_strtoi64(const char *str, int64_t *out);

/** strlcpy-style copy: always NUL-terminates; \return true if \p src fit. */
bool vd_strcpy_trunc(char *dst, size_t size, const char *src);

/*
 * iovec copies.  Inline: the device libraries call them per request (request headers and
 * responses that straddle guest buffers), where a call into another library would cost more
 * than the usual one-segment copy.
 */

/**
 * Copy \p len bytes from \p src into the buffers of [iov, iov + cnt), in order, stopping
 * early when they are full.  \p iov and \p src are borrowed.  \return the bytes copied.
 */
static inline size_t
vd_iov_from_buf(const struct iovec *iov, int cnt, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0, n;
	int i;

	for (i = 0; i < cnt && done < len; i++) {
		n = VD_MIN(iov[i].iov_len, len - done);
		memcpy(iov[i].iov_base, s + done, n);
		done += n;
	}
	return done;
}

/**
 * Copy up to \p len bytes, starting \p skip bytes into [iov, iov + cnt), to \p dst.
 * \p iov and \p dst are borrowed.  \return the bytes copied (less than \p len when the
 * iovecs end first).
 */
static inline size_t
vd_iov_to_buf(const struct iovec *iov, int cnt, size_t skip, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0, n;
	int i;

	for (i = 0; i < cnt && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		n = VD_MIN(iov[i].iov_len - skip, len - done);
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_UTIL_H */
