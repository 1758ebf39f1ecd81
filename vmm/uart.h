/* SPDX-License-Identifier: MIT */
/*
 * 16550A UART model (COM1). Pure register model: output bytes and the
 * interrupt line go through callbacks, input is pushed with uart_rx_push()
 * into a bounded FIFO. Thread-safe: vCPU threads and the console thread
 * may call in concurrently.
 */
#ifndef TPTVMM_UART_H
#define TPTVMM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_RX_CAP 256

typedef void (*uart_tx_fn)(void *opaque, uint8_t byte);
typedef void (*uart_irq_fn)(void *opaque, int level);

struct uart {
	pthread_mutex_t lock;
	pthread_cond_t space;		/* signalled when the guest drains RX */
	uint8_t rx[UART_RX_CAP];
	unsigned int rx_head, rx_count;
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, dll, dlm, fcr;
	bool thre_pending;
	int irq_level;
	uart_tx_fn tx;
	void *tx_opaque;
	uart_irq_fn irq;
	void *irq_opaque;
};

void uart_init(struct uart *u, uart_tx_fn tx, void *tx_opaque, uart_irq_fn irq,
	       void *irq_opaque);
void uart_destroy(struct uart *u);

/* Register access; off is 0..7 from the base port. */
uint8_t uart_read(struct uart *u, unsigned int off);
void uart_write(struct uart *u, unsigned int off, uint8_t val);

/* Queues host input; returns how many bytes were accepted (may be 0). */
size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t len);
/* Waits up to timeout_ms for RX space; returns true if there is some. */
bool uart_rx_wait_space(struct uart *u, int timeout_ms);

/* Port-bus adapter: data/size as in a KVM_EXIT_IO. */
void uart_pio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	      bool is_write);

#endif
