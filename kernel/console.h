/* console.h: the boot log on the UART (console.c, platform/uart.c). */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>

void uart_init(void);
void uart_putc(char c);
void kputs(const char *s);
/* printf subset: %s %c %d %u %x %lu %lx %ld %p %%, with an optional 0 flag and width. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same into buf (NUL-terminated, cut at len - 1 characters); newlines become "\r\n". */
void ksnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports a broken kernel invariant with the caller's name and halts. */
void panic(const char *fn, const char *msg) __attribute__((noreturn));

#endif
