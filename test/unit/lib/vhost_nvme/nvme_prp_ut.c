/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * PRP walker: offsets, lists crossing pages, chained lists, malformed entries, addresses outside
 * guest memory and zero-length transfers.  Guest memory is faked with two regions separated by a
 * hole: [0x10000, 0x30000) and [0x40000, 0x50000), translated by the stubs below.
 */

#include <CUnit/Basic.h>

#include "vhost_nvme/nvme_prp.c"

#define R0_GPA 0x10000ull
#define R0_LEN 0x20000ull
#define R1_GPA 0x40000ull
#define R1_LEN 0x10000ull

static uint8_t g_r0[R0_LEN] __attribute__((aligned(4096)));
static uint8_t g_r1[R1_LEN] __attribute__((aligned(4096)));

static uint8_t *
xlate(uint64_t gpa, uint64_t len)
{
	if (gpa >= R0_GPA && gpa - R0_GPA < R0_LEN && len <= R0_LEN - (gpa - R0_GPA)) {
		return g_r0 + (gpa - R0_GPA);
	}
	if (gpa >= R1_GPA && gpa - R1_GPA < R1_LEN && len <= R1_LEN - (gpa - R1_GPA)) {
		return g_r1 + (gpa - R1_GPA);
	}
	return NULL;
}

void *
vd_vhost_gpa_to_vva(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len)
{
	return len == 0 ? NULL : xlate(gpa, len);
}

int
vd_vhost_gpa_to_iovs(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len, struct iovec *iovs,
		     uint32_t max, uint32_t *cnt)
{
	uint8_t *p = len == 0 ? NULL : xlate(gpa, len);

	if (p == NULL) {
		return -EFAULT;
	}
	if (max == 0) {
		return -E2BIG;
	}
	iovs[0].iov_base = p;
	iovs[0].iov_len = len;
	*cnt = 1;
	return 0;
}

static uint64_t *
list_at(uint64_t gpa)
{
	return (uint64_t *)xlate(gpa, 8);
}

#define OK 0
#define ST(sc) NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_##sc)

static struct iovec g_iovs[NVME_MAX_IOVS];
static uint32_t g_cnt;

static uint16_t
map(uint64_t prp1, uint64_t prp2, uint32_t len)
{
	g_cnt = 12345;
	return nvme_prp_map(NULL, prp1, prp2, len, g_iovs, NVME_MAX_IOVS, &g_cnt);
}

static uint64_t
total(void)
{
	uint64_t t = 0;
	uint32_t i;

	for (i = 0; i < g_cnt; i++) {
		t += g_iovs[i].iov_len;
	}
	return t;
}

static void
test_zero_length(void)
{
	/* PRPs are ignored: even garbage maps to nothing. */
	CU_ASSERT_EQUAL(map(0xdeadbeef1, 0x3, 0), OK);
	CU_ASSERT_EQUAL(g_cnt, 0);
}

static void
test_single_page_and_offset(void)
{
	CU_ASSERT_EQUAL(map(R0_GPA + 0x100, 0, 512), OK);
	CU_ASSERT_EQUAL(g_cnt, 1);
	CU_ASSERT_PTR_EQUAL(g_iovs[0].iov_base, g_r0 + 0x100);
	CU_ASSERT_EQUAL(g_iovs[0].iov_len, 512);
	/* Offset must be dword aligned. */
	CU_ASSERT_EQUAL(map(R0_GPA + 0x102, 0, 512), ST(INVALID_FIELD));
	/* PRP1 outside guest memory. */
	CU_ASSERT_EQUAL(map(0x31000, 0, 512), ST(DATA_TRANSFER_ERROR));
}

static void
test_two_pages(void)
{
	/* Unaligned first page: 0x800 bytes from PRP1, the rest from PRP2. */
	CU_ASSERT_EQUAL(map(R0_GPA + 0x800, R1_GPA, 4096), OK);
	CU_ASSERT_EQUAL(g_cnt, 2);
	CU_ASSERT_EQUAL(g_iovs[0].iov_len, 0x800);
	CU_ASSERT_PTR_EQUAL(g_iovs[1].iov_base, g_r1);
	CU_ASSERT_EQUAL(g_iovs[1].iov_len, 0x800);
	/* Contiguous pages merge into one segment. */
	CU_ASSERT_EQUAL(map(R0_GPA, R0_GPA + 4096, 8192), OK);
	CU_ASSERT_EQUAL(g_cnt, 1);
	CU_ASSERT_EQUAL(g_iovs[0].iov_len, 8192);
	/* PRP2 as a data pointer must have offset 0. */
	CU_ASSERT_EQUAL(map(R0_GPA, R1_GPA + 8, 8192), ST(PRP_OFFSET_INVALID));
	CU_ASSERT_EQUAL(g_cnt, 0);
	/* PRP2 in the hole. */
	CU_ASSERT_EQUAL(map(R0_GPA, 0x30000, 8192), ST(DATA_TRANSFER_ERROR));
}

static void
test_list(void)
{
	uint64_t list = R1_GPA + 0x8000, *l = list_at(list);

	l[0] = R0_GPA + 0x1000;
	l[1] = R1_GPA;
	l[2] = R0_GPA + 0x5000;
	CU_ASSERT_EQUAL(map(R0_GPA + 0x200, list, 0xe00 + 2 * 4096 + 100), OK);
	CU_ASSERT_EQUAL(total(), 0xe00 + 2 * 4096 + 100);
	/* First page and l[0] are contiguous: merged. */
	CU_ASSERT_EQUAL(g_cnt, 3);
	CU_ASSERT_EQUAL(g_iovs[2].iov_len, 100);
	/* A list entry with an offset. */
	l[1] = R1_GPA + 0x10;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 3 * 4096), ST(PRP_OFFSET_INVALID));
	/* An entry pointing outside guest memory. */
	l[1] = 0x7000000000ull;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 3 * 4096), ST(DATA_TRANSFER_ERROR));
	/* The list itself outside guest memory, or not qword aligned. */
	CU_ASSERT_EQUAL(map(R0_GPA, 0x30000, 3 * 4096), ST(DATA_TRANSFER_ERROR));
	CU_ASSERT_EQUAL(map(R0_GPA, list + 4, 3 * 4096), ST(PRP_OFFSET_INVALID));
}

static void
test_list_crossing_page(void)
{
	/* The list starts 2 entries before the end of its page: the last slot chains. */
	uint64_t list = R1_GPA + 0x1000 - 16, next = R1_GPA + 0x3000;
	uint64_t *l = list_at(list), *n = list_at(next);

	l[0] = R0_GPA + 0x1000;
	l[1] = next; /* chain: more than one page of data left */
	n[0] = R0_GPA + 0x3000;
	n[1] = R0_GPA + 0x5000;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 4 * 4096), OK);
	CU_ASSERT_EQUAL(total(), 4 * 4096);
	CU_ASSERT_EQUAL(g_cnt, 3);
	CU_ASSERT_PTR_EQUAL(g_iovs[1].iov_base, g_r0 + 0x3000);
	/* When exactly one page remains, the last slot is data, not a chain pointer. */
	l[1] = R0_GPA + 0x7000;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 3 * 4096), OK);
	CU_ASSERT_EQUAL(g_cnt, 2); /* PRP1 and l[0] merged */
	CU_ASSERT_PTR_EQUAL(g_iovs[1].iov_base, g_r0 + 0x7000);
	/* A chain pointer with an offset, or into the hole. */
	l[1] = next + 8;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 4 * 4096), ST(PRP_OFFSET_INVALID));
	l[1] = 0x30000;
	CU_ASSERT_EQUAL(map(R0_GPA, list, 4 * 4096), ST(DATA_TRANSFER_ERROR));
}

static void
test_too_many_segments(void)
{
	uint64_t list = R1_GPA + 0x8000, *l = list_at(list);
	uint32_t i;

	/* Alternate regions so nothing merges: 1 + 33 segments > a 16-entry iov array. */
	for (i = 0; i < 33; i++) {
		l[i] = (i & 1) ? R1_GPA : R0_GPA + 0x8000;
	}
	g_cnt = 0;
	CU_ASSERT_EQUAL(nvme_prp_map(NULL, R0_GPA, list, 34 * 4096, g_iovs, 16, &g_cnt),
			ST(DATA_TRANSFER_ERROR));
	CU_ASSERT_EQUAL(g_cnt, 0);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("nvme_prp", NULL, NULL);
	CU_ADD_TEST(s, test_zero_length);
	CU_ADD_TEST(s, test_single_page_and_offset);
	CU_ADD_TEST(s, test_two_pages);
	CU_ADD_TEST(s, test_list);
	CU_ADD_TEST(s, test_list_crossing_page);
	CU_ADD_TEST(s, test_too_many_segments);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
