/* console.c: kprintf and panic over the UART; enough formatting for the boot log and no more. */
#include <stdarg.h>
#include <stdint.h>
#include "console.h"
#include "harness.h"

/* Where formatted characters go: the UART, or the buffer of a ksnprintf in progress. */
static char *sink;
static size_t sink_left;

static void out(char c)
{
	if (!sink) {
		uart_putc(c);
	} else if (sink_left > 1) {
		*sink++ = c;
		sink_left--;
	}
}

void kputs(const char *s)
{
	while (*s) {
		if (*s == '\n')
			out('\r');
		out(*s++);
	}
}

static void put_number(uint64_t v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		out(pad);
	while (n--)
		out(buf[n]);
}

static void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				out('\r');
			out(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, is_long = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == 'l')
			is_long = 1, fmt++;
		switch (*fmt) {
		case 's': kputs(va_arg(ap, const char *)); break;
		case 'c': out((char)va_arg(ap, int)); break;
		case 'p': kputs("0x"); put_number((uint64_t)va_arg(ap, void *), 16, 16, '0'); break;
		case 'x': put_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad); break;
		case 'u': put_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad); break;
		case 'd': {
			int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0)
				out('-'), v = -v;
			put_number((uint64_t)v, 10, width, pad);
			break;
		}
		case '%': out('%'); break;
		default: out('?'); break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void ksnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sink = buf;
	sink_left = len;
	kvprintf(fmt, ap);
	*sink = 0;
	sink = 0;
	va_end(ap);
}

void panic(const char *fn, const char *msg)
{
	kprintf("\npanic: %s: %s\n" KLAYOUT_HALTED " panic\n", fn, msg);
	for (;;)
		asm volatile("wfi");
}

/* boot.S's trap_entry calls this: no trap is expected, so any is a bug worth a clear line. */
void trap_panic(uint64_t mcause, uint64_t mepc, uint64_t mtval, uint64_t sp)
{
	kprintf("\ntrap: mcause %lx mepc %lx mtval %lx sp %lx\n", mcause, mepc, mtval, sp);
	panic("trap_panic", "unexpected trap");
}
