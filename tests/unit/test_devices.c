/* SPDX-License-Identifier: MIT */
/* Register models: 16550 UART, i8042, ACPI PM1, port bus, console escape. */
#include "test_main.h"

#include <linux/serial_reg.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "acpi_pm.h"
#include "bus.h"
#include "console.h"
#include "debug_port.h"
#include "i8042.h"
#include "layout.h"
#include "util.h"
#include "uart.h"

struct sink {
	uint8_t out[1024];
	size_t n;
	int level;
	int edges;
	int resets;
	int poweroffs;
};

static void tx(void *o, uint8_t b)
{
	struct sink *s = o;

	if (s->n < sizeof(s->out))
		s->out[s->n++] = b;
}

static void irq(void *o, int level)
{
	struct sink *s = o;

	s->level = level;
	s->edges++;
}

static void reset(void *o)
{
	((struct sink *)o)->resets++;
}

static void poweroff(void *o)
{
	((struct sink *)o)->poweroffs++;
}

START_TEST(uart_transmits)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, tx, &s, irq, &s);
	uart_write(&u, UART_TX, 'h');
	uart_write(&u, UART_TX, 'i');
	ck_assert_uint_eq(s.n, 2);
	ck_assert_mem_eq(s.out, "hi", 2);
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			  UART_LSR_THRE | UART_LSR_TEMT);
	ck_assert_int_eq(s.level, 0);	/* no IER: no interrupt */
	uart_destroy(&u);
}
END_TEST

START_TEST(uart_thre_interrupt)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, tx, &s, irq, &s);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);	/* interrupts reach the PIC */
	uart_write(&u, UART_IER, UART_IER_THRI);	/* with THR empty */
	ck_assert_int_eq(s.level, 1);
	ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
	ck_assert_int_eq(s.level, 0);	/* IIR read acknowledged it */
	ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	uart_write(&u, UART_TX, 'x');
	ck_assert_int_eq(s.level, 1);	/* THR empty again */
	uart_write(&u, UART_IER, 0);
	ck_assert_int_eq(s.level, 0);
	uart_destroy(&u);
}
END_TEST

START_TEST(uart_out2_gates_irq)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, tx, &s, irq, &s);
	uart_write(&u, UART_MCR, 0);
	uart_write(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	ck_assert_int_eq(s.level, 0);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(s.level, 1);
	uart_destroy(&u);
}
END_TEST

START_TEST(uart_receive_bounded)
{
	struct uart u;
	struct sink s = { 0 };
	uint8_t buf[UART_RX_CAP + 50];

	memset(buf, 'a', sizeof(buf));
	uart_init(&u, tx, &s, irq, &s);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	uart_write(&u, UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & 1, 0);
	ck_assert_uint_eq(uart_rx_push(&u, buf, sizeof(buf)), UART_RX_CAP);
	ck_assert_uint_eq(uart_rx_push(&u, buf, 1), 0);
	ck_assert_int_eq(uart_rx_wait_space(&u, 1), false);
	ck_assert_int_eq(s.level, 1);
	ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RDI);
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & 1, 1);
	for (int i = 0; i < UART_RX_CAP; i++)
		ck_assert_uint_eq(uart_read(&u, UART_TX), 'a');
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & 1, 0);
	ck_assert_int_eq(s.level, 0);
	ck_assert_uint_eq(uart_read(&u, UART_TX), 0);	/* empty FIFO reads 0 */
	ck_assert_int_eq(uart_rx_wait_space(&u, 1), true);
	uart_destroy(&u);
}
END_TEST

START_TEST(uart_fifo_order_and_clear)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, tx, &s, irq, &s);
	uart_rx_push(&u, (const uint8_t *)"xyz", 3);
	ck_assert_uint_eq(uart_read(&u, UART_TX), 'x');
	uart_write(&u, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & 1, 0);
	ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0xc0, 0xc0);
	uart_destroy(&u);
}
END_TEST

START_TEST(uart_dlab_scratch_loopback)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, tx, &s, irq, &s);
	uart_write(&u, UART_LCR, UART_LCR_DLAB);
	uart_write(&u, UART_DLL, 0x01);	/* not transmitted */
	uart_write(&u, UART_DLM, 0x02);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(uart_read(&u, UART_DLL), 0x01);
	ck_assert_uint_eq(uart_read(&u, UART_DLM), 0x02);
	uart_write(&u, UART_LCR, UART_LCR_WLEN8);
	ck_assert_uint_eq(uart_read(&u, UART_IER), 0x00);
	uart_write(&u, UART_SCR, 0x5a);
	ck_assert_uint_eq(uart_read(&u, UART_SCR), 0x5a);
	/* Loopback: THR comes back on RBR, MCR bits appear on MSR. */
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1 |
		   UART_MCR_RTS | UART_MCR_DTR);
	uart_write(&u, UART_TX, 'L');
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(uart_read(&u, UART_TX), 'L');
	ck_assert_uint_eq(uart_read(&u, UART_MSR) & 0xf0, 0xf0);
	uart_write(&u, UART_MCR, UART_MCR_LOOP);
	ck_assert_uint_eq(uart_read(&u, UART_MSR) & 0xf0, 0x00);
	/* Writes to read-only registers are ignored. */
	uart_write(&u, UART_LSR, 0xff);
	uart_write(&u, UART_MSR, 0xff);
	uart_destroy(&u);
}
END_TEST

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

START_TEST(acpi_pm_poweroff_only_on_s5)
{
	struct acpi_pm pm;
	struct sink s = { 0 };
	uint8_t d[4];
	uint16_t v;

	acpi_pm_init(&pm, poweroff, &s);
	memset(d, 0xff, sizeof(d));
	acpi_pm_pio(&pm, 4, d, 2, false);
	memcpy(&v, d, 2);
	ck_assert_uint_eq(v & 1, 1);		/* SCI_EN: ACPI mode */
	v = (3 << 10) | (1 << 13);		/* S3: not offered, ignored */
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 0);
	v = (5 << 10);				/* S5 without SLP_EN */
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 0);
	v = (5 << 10) | (1 << 13);
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 1);
	/* Byte-wise write of the high byte also works. */
	d[0] = (uint8_t)(((5 << 10) | (1 << 13)) >> 8);
	acpi_pm_pio(&pm, 5, d, 1, true);
	ck_assert_int_eq(s.poweroffs, 2);
	/* Status is write-1-to-clear; enable is plain. */
	pm.sts = 0x8001;
	v = 0x0001;
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 0, d, 2, true);
	ck_assert_uint_eq(pm.sts, 0x8000);
	memcpy(d, "\x21\x01", 2);
	acpi_pm_pio(&pm, 2, d, 2, true);
	ck_assert_uint_eq(pm.en, 0x0121);
	/* A 4-byte access at the last register stops at the block end. */
	memset(d, 0, 4);
	acpi_pm_pio(&pm, 5, d, 4, false);
	acpi_pm_destroy(&pm);
}
END_TEST

static void count_fn(void *o, uint64_t off, uint8_t *data, unsigned int size,
		     bool is_write)
{
	struct sink *s = o;

	(void)size;
	if (is_write)
		s->out[s->n++] = (uint8_t)off;
	else
		data[0] = 0x42;
}

START_TEST(bus_dispatch_rules)
{
	struct bus b;
	struct sink s = { 0 };
	struct err e;
	uint8_t d[8];

	bus_init(&b, 0xff);
	ck_assert_int_eq(bus_register(&b, 0x100, 8, count_fn, &s, "a", &e), 0);
	ck_assert_int_eq(bus_register(&b, 0x104, 8, count_fn, &s, "b", &e), -1);
	ck_assert_int_eq(bus_register(&b, 0x0, 0, count_fn, &s, "c", &e), -1);
	ck_assert_int_eq(bus_register(&b, UINT64_MAX, 2, count_fn, &s, "d", &e), -1);
	/* Unclaimed reads are all-ones on the port bus. */
	memset(d, 0, sizeof(d));
	ck_assert(!bus_dispatch(&b, 0x200, d, 4, false));
	ck_assert_mem_eq(d, "\xff\xff\xff\xff", 4);
	/* Claimed reads are zero-filled before the device fills them. */
	ck_assert(bus_dispatch(&b, 0x101, d, 4, false));
	ck_assert_mem_eq(d, "\x42\x00\x00\x00", 4);
	/* An access running past the end of a range is not dispatched. */
	ck_assert(!bus_dispatch(&b, 0x106, d, 4, true));
	ck_assert(bus_dispatch(&b, 0x107, d, 1, true));
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.out[0], 7);
}
END_TEST

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

static int exits = -1;

static void on_exit_code(void *o, uint8_t code)
{
	(void)o;
	exits = code;
}

START_TEST(debug_port_marks_and_exit)
{
	struct debug_port d;
	uint8_t v = 7;

	debug_port_init(&d, monotonic_ms(), NULL, on_exit_code, NULL);
	for (int i = 0; i < DEBUG_MARKS_MAX + 5; i++)
		debug_port_pio(&d, 0, &v, 1, true);
	ck_assert_uint_eq(d.nr_marks, DEBUG_MARKS_MAX);
	ck_assert_uint_eq(d.dropped, 5);
	ck_assert_uint_eq(d.marks[0].value, 7);
	ck_assert(d.marks[0].ms >= 0);
	v = 3;
	debug_port_pio(&d, 1, &v, 1, true);
	ck_assert_int_eq(exits, 3);
	debug_port_pio(&d, 1, &v, 1, false);	/* reads do nothing */
	debug_port_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("devices");
	TCase *t = tcase_create("core");

	tcase_add_test(t, uart_transmits);
	tcase_add_test(t, uart_thre_interrupt);
	tcase_add_test(t, uart_out2_gates_irq);
	tcase_add_test(t, uart_receive_bounded);
	tcase_add_test(t, uart_fifo_order_and_clear);
	tcase_add_test(t, uart_dlab_scratch_loopback);
	tcase_add_test(t, i8042_reset_and_probe);
	tcase_add_test(t, acpi_pm_poweroff_only_on_s5);
	tcase_add_test(t, bus_dispatch_rules);
	tcase_add_test(t, console_escape);
	tcase_add_test(t, console_panic_watch);
	tcase_add_test(t, debug_port_marks_and_exit);
	suite_add_tcase(s, t);
	return s;
}
