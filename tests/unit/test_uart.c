/* SPDX-License-Identifier: MIT */
/* uart.c: the 16550A register model, its interrupt line and bounded receive FIFO. */
#include "test_main.h"

#include <linux/serial_reg.h>
#include <string.h>

#include "sink.h"
#include "uart.h"

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

static Suite *suite(void)
{
	Suite *s = suite_create("uart");
	TCase *t = tcase_create("core");

	tcase_add_test(t, uart_transmits);
	tcase_add_test(t, uart_thre_interrupt);
	tcase_add_test(t, uart_out2_gates_irq);
	tcase_add_test(t, uart_receive_bounded);
	tcase_add_test(t, uart_fifo_order_and_clear);
	tcase_add_test(t, uart_dlab_scratch_loopback);
	suite_add_tcase(s, t);
	return s;
}
