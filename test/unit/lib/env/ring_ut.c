/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Rings without EAL: exact capacity, all-or-nothing enqueue, FIFO order, MP/SC under threads. */

#include <CUnit/Basic.h>
#include <pthread.h>

#include "env/ring.c"

struct elem {
	uint64_t a;
	uint64_t b;
};

static void
test_ring_basic(void)
{
	struct vd_ring *ring = NULL;
	struct elem in[8], out[8];
	size_t i;

	CU_ASSERT(vd_ring_create(VD_RING_MP_SC, 6, 8, &ring) == -EINVAL);
	CU_ASSERT(vd_ring_create(VD_RING_MP_SC, 16, 0, &ring) == -EINVAL);
	CU_ASSERT_FATAL(vd_ring_create(VD_RING_MP_SC, sizeof(struct elem), 5, &ring) == 0);
	for (i = 0; i < 8; i++) {
		in[i].a = i;
		in[i].b = ~i;
	}
	CU_ASSERT(vd_ring_enqueue(ring, in, 6) == 0);	/* more than capacity: nothing */
	CU_ASSERT(vd_ring_count(ring) == 0);
	CU_ASSERT(vd_ring_enqueue(ring, in, 5) == 5);
	CU_ASSERT(vd_ring_enqueue(ring, in, 1) == 0);	/* full */
	CU_ASSERT(vd_ring_count(ring) == 5);
	CU_ASSERT(vd_ring_dequeue(ring, out, 2) == 2);
	CU_ASSERT(out[0].a == 0 && out[1].a == 1 && out[1].b == ~1ULL);
	CU_ASSERT(vd_ring_dequeue(ring, out, 8) == 3);
	CU_ASSERT(out[0].a == 2 && out[2].a == 4);
	CU_ASSERT(vd_ring_dequeue(ring, out, 8) == 0);
	vd_ring_free(&ring);
	CU_ASSERT(ring == NULL);
	vd_ring_free(&ring);
}

#define PER_PRODUCER 200000

static void *
producer(void *arg)
{
	struct vd_ring *ring = arg;
	struct elem e;
	uint64_t i;

	e.b = (uint64_t)pthread_self();
	for (i = 0; i < PER_PRODUCER; i++) {
		e.a = i;
		while (vd_ring_enqueue(ring, &e, 1) != 1) {
			sched_yield();
		}
	}
	return NULL;
}

static void
test_ring_mp_sc(void)
{
	struct vd_ring *ring = NULL;
	pthread_t t[2];
	uint64_t next[2] = { 0, 0 }, got = 0;
	struct elem out[64];
	bool order_ok = true;
	size_t n, i;

	CU_ASSERT_FATAL(vd_ring_create(VD_RING_MP_SC, sizeof(struct elem), 1024, &ring) == 0);
	pthread_create(&t[0], NULL, producer, ring);
	pthread_create(&t[1], NULL, producer, ring);
	while (got < 2 * PER_PRODUCER) {
		n = vd_ring_dequeue(ring, out, 64);
		for (i = 0; i < n; i++) {
			int who = out[i].b == (uint64_t)t[0] ? 0 : 1;

			/* each producer's elements arrive in its own order */
			if (out[i].a != next[who]) {
				order_ok = false;
			}
			next[who] = out[i].a + 1;
		}
		got += n;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	CU_ASSERT(order_ok);
	CU_ASSERT(next[0] == PER_PRODUCER && next[1] == PER_PRODUCER);
	vd_ring_free(&ring);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("ring", NULL, NULL);
	CU_ADD_TEST(suite, test_ring_basic);
	CU_ADD_TEST(suite, test_ring_mp_sc);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
