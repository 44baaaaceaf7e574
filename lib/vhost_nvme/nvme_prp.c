/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * PRP walker: turns the PRP1/PRP2 pair of a command into host iovecs over guest memory
 * (NVMe 1.3 §4.3, memory page size 4 KiB).
 *
 * Rules enforced (every guest value is untrusted):
 *  - A zero-length transfer maps nothing and ignores both PRPs.
 *  - PRP1 may have any dword-aligned offset (bits 1:0 set -> Invalid Field); it covers up to
 *    the end of its page.
 *  - If the rest fits in one page, PRP2 is a data pointer with offset 0 (else PRP Offset
 *    Invalid).  Otherwise PRP2 points to a PRP list: a qword-aligned offset into a page; entries
 *    run to the end of that page, and when more entries are needed the last entry of the page
 *    is the page-aligned address of the next list page (a list may chain over many pages).
 *  - Every data entry after PRP1 must have offset 0 (PRP Offset Invalid).
 *  - Addresses are translated only through vd_vhost_gpa_to_iovs / vd_vhost_gpa_to_vva, so no
 *    byte outside guest memory is ever touched; a hole -> Data Transfer Error.  List entries
 *    are read once (copied) so a guest changing them concurrently cannot make us use a value
 *    we did not check.
 */

#include <string.h>

#include "vhost_nvme_internal.h"

#define PRP_OFF(a) ((uint32_t)((a) & (NVME_PAGE_SIZE - 1)))

struct prp_walk {
	struct vd_vhost_dev *dev;
	struct iovec *iovs;
	uint32_t max;
	uint32_t cnt;
};

/* Append [gpa, gpa+len) merging with the previous segment when contiguous in the host. */
static uint16_t
prp_add(struct prp_walk *w, uint64_t gpa, uint32_t len)
{
	struct iovec seg[4];
	uint32_t n, i;
	struct iovec *last;

	if (vd_vhost_gpa_to_iovs(w->dev, gpa, len, seg, VD_COUNTOF(seg), &n) != 0) {
		return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_DATA_TRANSFER_ERROR);
	}
	for (i = 0; i < n; i++) {
		last = w->cnt > 0 ? &w->iovs[w->cnt - 1] : NULL;
		if (last != NULL && (uint8_t *)last->iov_base + last->iov_len == seg[i].iov_base) {
			last->iov_len += seg[i].iov_len;
			continue;
		}
		if (w->cnt == w->max) {
			return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_DATA_TRANSFER_ERROR);
		}
		w->iovs[w->cnt++] = seg[i];
	}
	return 0;
}

/* Walk a PRP list starting at \p list covering \p left bytes. */
static uint16_t
prp_walk_list(struct prp_walk *w, uint64_t list, uint64_t left)
{
	const uint64_t *page;
	uint32_t slots, i;
	uint64_t entry;
	uint16_t st;

	if (list & 0x7) {
		return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
	}
	while (left > 0) {
		slots = (NVME_PAGE_SIZE - PRP_OFF(list)) / sizeof(uint64_t);
		page = vd_vhost_gpa_to_vva(w->dev, list, (uint64_t)slots * sizeof(uint64_t));
		if (page == NULL) {
			return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_DATA_TRANSFER_ERROR);
		}
		for (i = 0; i < slots && left > 0; i++) {
			entry = __atomic_load_n(&page[i], __ATOMIC_RELAXED);
			if (i == slots - 1 && left > NVME_PAGE_SIZE) {
				/* Last slot of a list page with more data to go: next list page. */
				if (PRP_OFF(entry) != 0) {
					return NVME_STATUS(NVME_SCT_GENERIC,
							   NVME_SC_PRP_OFFSET_INVALID);
				}
				list = entry;
				break;
			}
			if (PRP_OFF(entry) != 0) {
				return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
			}
			st = prp_add(w, entry, (uint32_t)VD_MIN(left, (uint64_t)NVME_PAGE_SIZE));
			if (st != 0) {
				return st;
			}
			left -= VD_MIN(left, (uint64_t)NVME_PAGE_SIZE);
		}
	}
	return 0;
}

uint16_t
nvme_prp_map(struct vd_vhost_dev *dev, uint64_t prp1, uint64_t prp2, uint32_t len,
	     struct iovec *iovs, uint32_t max, uint32_t *cnt)
{
	struct prp_walk w = {.dev = dev, .iovs = iovs, .max = max};
	uint32_t first;
	uint64_t left;
	uint16_t st;

	*cnt = 0;
	if (len == 0) {
		return 0;
	}
	if (prp1 & 0x3) {
		return NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	first = VD_MIN(len, NVME_PAGE_SIZE - PRP_OFF(prp1));
	st = prp_add(&w, prp1, first);
	left = len - first;
	if (st == 0 && left > 0) {
		if (left <= NVME_PAGE_SIZE) {
			st = PRP_OFF(prp2) != 0
				     ? NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID)
				     : prp_add(&w, prp2, (uint32_t)left);
		} else {
			st = prp_walk_list(&w, prp2, left);
		}
	}
	if (st == 0) {
		*cnt = w.cnt;
	}
	return st;
}

