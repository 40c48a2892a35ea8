/* uart.c: the QEMU virt ns16550a at UART0, polled; the kernel writes, never reads. */
#include <stdint.h>
#include "memlayout.h"
#include "console.h"

#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define UART_LSR_THRE 0x20 /* room in the transmitter */

static volatile uint8_t *const uart = (volatile uint8_t *)UART0;

void uart_init(void)
{
	uart[3] = 0x03; /* 8 bits, no parity, one stop bit; QEMU ignores the baud rate */
}

void uart_putc(char c)
{
	while (!(uart[UART_LSR] & UART_LSR_THRE))
		;
	uart[UART_THR] = (uint8_t)c;
}
