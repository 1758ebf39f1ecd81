/* SPDX-License-Identifier: MIT */
/* i8042.c: self test, the command byte, and reset by 0xfe or the output port. */
#include "test_main.h"

#include "i8042.h"
#include "layout.h"
#include "sink.h"

START_TEST(i8042_reset_and_probe)
{
	struct i8042 k;
	struct sink s = { 0 };

	i8042_init(&k, reset, &s);
	ck_assert_uint_eq(i8042_read(&k, I8042_CMD_PORT) & 1, 0);
	i8042_write(&k, I8042_CMD_PORT, 0xaa);	/* self test */
	ck_assert_uint_eq(i8042_read(&k, I8042_CMD_PORT) & 1, 1);
	ck_assert_uint_eq(i8042_read(&k, I8042_DATA_PORT), 0x55);
	ck_assert_uint_eq(i8042_read(&k, I8042_CMD_PORT) & 1, 0);
	i8042_write(&k, I8042_CMD_PORT, 0x60);	/* write CTR */
	i8042_write(&k, I8042_DATA_PORT, 0x47);
	i8042_write(&k, I8042_CMD_PORT, 0x20);	/* read CTR */
	ck_assert_uint_eq(i8042_read(&k, I8042_DATA_PORT), 0x47);
	i8042_write(&k, I8042_DATA_PORT, 0xff);	/* keyboard cmd: ignored */
	i8042_write(&k, I8042_CMD_PORT, 0x12);	/* unknown: ignored */
	ck_assert_int_eq(s.resets, 0);
	i8042_write(&k, I8042_CMD_PORT, 0xfe);
	ck_assert_int_eq(s.resets, 1);
	i8042_write(&k, I8042_CMD_PORT, 0xd1);	/* output port, bit 0 low */
	i8042_write(&k, I8042_DATA_PORT, 0x00);
	ck_assert_int_eq(s.resets, 2);
	i8042_destroy(&k);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *t = tcase_create("core");

	tcase_add_test(t, i8042_reset_and_probe);
	suite_add_tcase(s, t);
	return s;
}
