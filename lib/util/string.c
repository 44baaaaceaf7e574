/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Whole-string number parsing and bounded string copies. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/util.h"

int
vd_strtou64(const char *str, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (str == NULL || *str == '\0' || *str == '-' || *str == ' ') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(str, &end, 0);
	if (errno == ERANGE) {
		return -ERANGE;
	}
	if (*end != '\0' || errno != 0) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int
vd_strtoi64(const char *str, int64_t *out)
{
	long long v;
	char *end;

	if (str == NULL || *str == '\0' || *str == ' ') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoll(str, &end, 0);
	if (errno == ERANGE) {
		return -ERANGE;
	}
	if (*end != '\0' || errno != 0) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

bool
vd_strcpy_trunc(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0) {
		return len == 0;
	}
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}
