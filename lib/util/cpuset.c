/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * CPU sets: a fixed bitmap of VD_CPUSET_SIZE cores, parsed from a hex mask ("0x3") or a list
 * ("[0,2-3]").  Parsing never modifies the output on error.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vhostd/util.h"

void
vd_cpuset_zero(struct vd_cpuset *set)
{
	memset(set, 0, sizeof(*set));
}

void
vd_cpuset_set_cpu(struct vd_cpuset *set, uint32_t cpu, bool state)
{
	if (cpu >= VD_CPUSET_SIZE) {
		return;
	}
	if (state) {
		set->bits[cpu / 64] |= 1ULL << (cpu % 64);
	} else {
		set->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
	}
}

bool
vd_cpuset_get_cpu(const struct vd_cpuset *set, uint32_t cpu)
{
	if (cpu >= VD_CPUSET_SIZE) {
		return false;
	}
	return (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

uint32_t
vd_cpuset_count(const struct vd_cpuset *set)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < VD_COUNTOF(set->bits); i++) {
		n += (uint32_t)__builtin_popcountll(set->bits[i]);
	}
	return n;
}

void
vd_cpuset_copy(struct vd_cpuset *dst, const struct vd_cpuset *src)
{
	memcpy(dst, src, sizeof(*dst));
}

void
vd_cpuset_and(struct vd_cpuset *dst, const struct vd_cpuset *src)
{
	size_t i;

	for (i = 0; i < VD_COUNTOF(dst->bits); i++) {
		dst->bits[i] &= src->bits[i];
	}
}

void
vd_cpuset_or(struct vd_cpuset *dst, const struct vd_cpuset *src)
{
	size_t i;

	for (i = 0; i < VD_COUNTOF(dst->bits); i++) {
		dst->bits[i] |= src->bits[i];
	}
}

bool
vd_cpuset_equal(const struct vd_cpuset *a, const struct vd_cpuset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int
vd_cpuset_next(const struct vd_cpuset *set, int prev)
{
	int cpu;

	for (cpu = prev + 1; cpu < VD_CPUSET_SIZE; cpu++) {
		if (vd_cpuset_get_cpu(set, (uint32_t)cpu)) {
			return cpu;
		}
	}
	return -1;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

static int
parse_hex(struct vd_cpuset *set, const char *str)
{
	size_t len, i;
	uint32_t cpu = 0;

	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		str += 2;
	}
	len = strlen(str);
	if (len == 0) {
		return -EINVAL;
	}
	/* Walk from the least significant digit. */
	for (i = len; i > 0; i--, cpu += 4) {
		int d = hex_digit(str[i - 1]);
		int b;

		if (d < 0) {
			return -EINVAL;
		}
		for (b = 0; b < 4; b++) {
			if (!(d & (1 << b))) {
				continue;
			}
			if (cpu + b >= VD_CPUSET_SIZE) {
				return -EINVAL;
			}
			vd_cpuset_set_cpu(set, cpu + b, true);
		}
	}
	return 0;
}

static int
parse_num(const char **p, uint32_t *out)
{
	unsigned long v = 0;
	const char *s = *p;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	if (!isdigit((unsigned char)*s)) {
		return -EINVAL;
	}
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= VD_CPUSET_SIZE) {
			return -EINVAL;
		}
		s++;
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	*p = s;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_list(struct vd_cpuset *set, const char *str)
{
	const char *p = str + 1;
	uint32_t lo, hi, c;

	for (;;) {
		if (parse_num(&p, &lo) != 0) {
			return -EINVAL;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_num(&p, &hi) != 0 || hi < lo) {
				return -EINVAL;
			}
		}
		for (c = lo; c <= hi; c++) {
			vd_cpuset_set_cpu(set, c, true);
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ']' && p[1] == '\0') {
			return 0;
		}
		return -EINVAL;
	}
}

int
vd_cpuset_parse(struct vd_cpuset *set, const char *str)
{
	struct vd_cpuset tmp;
	int rc;

	if (str == NULL) {
		return -EINVAL;
	}
	while (isspace((unsigned char)*str)) {
		str++;
	}
	vd_cpuset_zero(&tmp);
	rc = str[0] == '[' ? parse_list(&tmp, str) : parse_hex(&tmp, str);
	if (rc != 0) {
		return rc;
	}
	vd_cpuset_copy(set, &tmp);
	return 0;
}

const char *
vd_cpuset_fmt(const struct vd_cpuset *set, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[VD_CPUSET_SIZE / 4 + 1];
	int top = VD_CPUSET_SIZE / 4 - 1, i, n = 0;

	while (top > 0 && ((set->bits[top / 16] >> ((top % 16) * 4)) & 0xf) == 0) {
		top--;
	}
	for (i = top; i >= 0; i--) {
		tmp[n++] = digits[(set->bits[i / 16] >> ((i % 16) * 4)) & 0xf];
	}
	tmp[n] = '\0';
	snprintf(buf, len, "0x%s", tmp);
	return buf;
}
