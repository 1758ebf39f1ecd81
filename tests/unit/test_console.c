/* SPDX-License-Identifier: MIT */
/* console.c: the Ctrl-A escape and the panic watch on guest output. */
#include "test_main.h"

#include <string.h>
#include <unistd.h>

#include "console.h"
#include "sink.h"
#include "uart.h"

START_TEST(console_escape)
{
	struct console c;
	struct uart u;
	struct sink s = { 0 };
	struct err e;
	uint8_t out[32];
	bool quit;
	size_t n;

	uart_init(&u, tx, &s, irq, &s);
	ck_assert_int_eq(console_init(&c, -1, -1, &u, NULL, NULL, NULL, &e), 0);
	n = console_filter_input(&c, (const uint8_t *)"ab", 2, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert(!quit);
	n = console_filter_input(&c, (const uint8_t *)"\x01\x01z", 3, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(out, "\x01z", 2);
	/* Escape split across reads, then an unknown key: both pass through. */
	n = console_filter_input(&c, (const uint8_t *)"\x01", 1, out, &quit);
	ck_assert_uint_eq(n, 0);
	n = console_filter_input(&c, (const uint8_t *)"q", 1, out, &quit);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(out, "\x01q", 2);
	n = console_filter_input(&c, (const uint8_t *)"k\x01xzz", 5, out, &quit);
	ck_assert(quit);
	ck_assert_uint_eq(n, 1);
	console_destroy(&c);
	uart_destroy(&u);
}
END_TEST

static int panics;

static void on_panic(void *o)
{
	(void)o;
	panics++;
}

START_TEST(console_panic_watch)
{
	struct console c;
	struct uart u;
	struct sink s = { 0 };
	struct err e;
	const char *txt = "[ 1.0] ok\n[ 2.0] Kernel panic - not syncing: VFS\nafter\n";
	int fds[2];
	char back[128];
	ssize_t r;

	ck_assert_int_eq(pipe(fds), 0);
	uart_init(&u, tx, &s, irq, &s);
	ck_assert_int_eq(console_init(&c, -1, fds[1], &u, NULL, on_panic, NULL, &e), 0);
	panics = 0;
	for (const char *p = txt; *p; p++)
		console_tx(&c, (uint8_t)*p);
	ck_assert_int_eq(panics, 1);
	r = read(fds[0], back, sizeof(back));
	ck_assert_int_eq(r, (ssize_t)strlen(txt));
	ck_assert_mem_eq(back, txt, strlen(txt));
	/* An endless line without newline never overflows the scan buffer. */
	for (int i = 0; i < 5000; i++)
		console_tx(&c, 'z');
	console_destroy(&c);
	close(fds[0]);
	close(fds[1]);
	uart_destroy(&u);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("console");
	TCase *t = tcase_create("core");

	tcase_add_test(t, console_escape);
	tcase_add_test(t, console_panic_watch);
	suite_add_tcase(s, t);
	return s;
}
