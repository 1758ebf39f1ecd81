/* SPDX-License-Identifier: MIT */
/* virtio_rng.c: requests filled from getrandom, capped per request. */
#include "test_main.h"

#include "virtio_rng.h"
#include "virtio_test_driver.h"

/* ---- virtio-rng ---- */

START_TEST(rng_fills_and_caps)
{
	struct virtio_rng r;
	struct drv d[1];
	struct err e;
	uint8_t zero[256] = { 0 };
	struct seg s[1] = { { DATA_GPA, 256, 1 } };
	struct seg big[2] = { { DATA_GPA, 48u << 10, 1 }, { DATA_GPA + (1u << 20), 1u << 20, 1 } };
	struct seg ro[1] = { { DATA_GPA, 256, 0 } };
	uint16_t h;

	ck_assert_int_eq(virtio_rng_init(&r, &mem, &e), 0);
	drv_start(d, &r.t, 1);
	memset(guest_ptr(&mem, DATA_GPA, 256), 0, 256);
	h = drv_add(d, s, 1);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), 256);
	ck_assert(memcmp(guest_ptr(&mem, DATA_GPA, 256), zero, 256));
	h = drv_add(d, big, 2);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), VIRTIO_RNG_MAX_REQ);
	/* A request with nothing to write into gets nothing. */
	h = drv_add(d, ro, 1);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), 0);
	ck_assert_uint_eq(r.requests, 3);
	virtio_rng_destroy(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_rng");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, mem_setup, mem_teardown);
	tcase_add_test(t, rng_fills_and_caps);
	suite_add_tcase(s, t);
	return s;
}
