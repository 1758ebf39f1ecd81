/* SPDX-License-Identifier: MIT */
#include "uart.h"

#include <errno.h>
#include <linux/serial_reg.h>
#include <string.h>
#include <time.h>

/* 16550A with FIFOs enabled: IIR bits 7:6. Not in Debian 12's
 * <linux/serial_reg.h> (6.1); later kernels call it UART_IIR_FIFO_ENABLED. */
#define IIR_FIFO_ENABLED	0xc0

void uart_init(struct uart *u, uart_tx_fn tx, void *tx_opaque, uart_irq_fn irq,
	       void *irq_opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->space, NULL);
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	u->irq = irq;
	u->irq_opaque = irq_opaque;
	u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	u->mcr = UART_MCR_OUT2;
	u->dll = 0x0c;	/* 9600 baud */
}

void uart_destroy(struct uart *u)
{
	pthread_cond_destroy(&u->space);
	pthread_mutex_destroy(&u->lock);
}

static uint8_t iir_locked(const struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE_FIFO) ? IIR_FIFO_ENABLED : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI | fifo;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI | fifo;
	return UART_IIR_NO_INT | fifo;
}

static void update_irq_locked(struct uart *u)
{
	int level = !(iir_locked(u) & UART_IIR_NO_INT);

	/* On a PC the line only reaches the PIC when OUT2 is set. */
	if (!(u->mcr & UART_MCR_OUT2))
		level = 0;
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->irq_opaque, level);
	}
}

static size_t rx_push_locked(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && u->rx_count < UART_RX_CAP) {
		u->rx[(u->rx_head + u->rx_count) % UART_RX_CAP] = buf[n++];
		u->rx_count++;
	}
	return n;
}

static uint8_t loop_msr(uint8_t mcr)
{
	uint8_t m = 0;

	if (mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

uint8_t uart_read(struct uart *u, unsigned int off)
{
	uint8_t v = 0;

	pthread_mutex_lock(&u->lock);
	switch (off & 7) {
	case UART_RX:
		if (u->lcr & UART_LCR_DLAB) {
			v = u->dll;
			break;
		}
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_CAP;
			u->rx_count--;
			pthread_cond_broadcast(&u->space);
		}
		break;
	case UART_IER:
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = iir_locked(u);
		/* Reading IIR while it reports THRE acknowledges it. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thre_pending = false;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		v = (u->mcr & UART_MCR_LOOP) ? loop_msr(u->mcr) : u->msr;
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void uart_write(struct uart *u, unsigned int off, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	switch (off & 7) {
	case UART_TX:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = val;
			break;
		}
		if (u->mcr & UART_MCR_LOOP)
			rx_push_locked(u, &val, 1);
		else if (u->tx)
			u->tx(u->tx_opaque, val);
		/* Transmission is instantaneous: THR is empty again. */
		u->thre_pending = true;
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI with THR empty raises it, as on a 16550. */
		if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case UART_IIR:
		u->fcr = val & 0xc9;
		if (val & UART_FCR_CLEAR_RCVR) {
			u->rx_count = 0;
			u->rx_head = 0;
			pthread_cond_broadcast(&u->space);
		}
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break;	/* read-only; ignored */
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = rx_push_locked(u, buf, len);
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

bool uart_rx_wait_space(struct uart *u, int timeout_ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->lock);
	while (u->rx_count >= UART_RX_CAP) {
		if (pthread_cond_timedwait(&u->space, &u->lock, &ts) == ETIMEDOUT)
			break;
	}
	ok = u->rx_count < UART_RX_CAP;
	pthread_mutex_unlock(&u->lock);
	return ok;
}

void uart_pio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	      bool is_write)
{
	struct uart *u = opaque;

	/* Only byte accesses are meaningful; wider ones touch the first byte. */
	(void)size;
	if (is_write)
		uart_write(u, (unsigned int)off, data[0]);
	else
		data[0] = uart_read(u, (unsigned int)off);
}
