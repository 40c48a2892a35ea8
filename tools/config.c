/*
 * config.c: reads the static config file. One statement a line, '#' starts a comment:
 *   kernel_stack SIZE                 the kernel stack, at the end of RAM, KCONFIG_MIN_KSTACK or more
 *   task NAME SIZE DEPTH [WORK]       a task stack under it, and how deep the task recurses
 *   fault FAULT                       a kernel bug built in on purpose (examples/violations/)
 *   tick TIME                         the timer tick that preempts tasks: 10ms, 500us (default 10ms)
 * SIZE is a number (decimal or 0x hex) with an optional K, M or G suffix (powers of 1024).
 * Anything the kernel could not honour fails here, at build time, naming the line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config.h"

#define FIELDS_MAX 6
#define FAULT_WORD(name, word, text) " " word

static const char *const work_words[] = {
#define WORD(name, word, text) word,
	WORK_KINDS(WORD)
};
static const char *const fault_words[] = { KERNEL_FAULTS(WORD)
#undef WORD
};

const char *config_work_word(unsigned work)
{
	return work < WORK_COUNT ? work_words[work] : NULL;
}

const char *config_fault_word(unsigned fault)
{
	return fault < FAULT_COUNT ? fault_words[fault] : NULL;
}

static int fail(struct config_error *err, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->line = line;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* "16K", "0x4000", "1M": 0 on success; -1 not a size, -2 does not fit 64 bits. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'))
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
	}
	unsigned shift = 0;
	if (*s == 'K' || *s == 'k')
		shift = 10, s++;
	else if (*s == 'M' || *s == 'm')
		shift = 20, s++;
	else if (*s == 'G' || *s == 'g')
		shift = 30, s++;
	if (*s)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -2;
	*out = v << shift;
	return 0;
}

static int size_field(const char *s, const char *what, int line, uint64_t *out,
		      struct config_error *err)
{
	int rc = parse_size(s, out);
	if (rc == -1)
		return fail(err, line, "%s '%s' is not a size (a number with an optional K, M or G)", what, s);
	if (rc == -2 || *out > KCONFIG_MAX_SIZE)
		return fail(err, line, "%s '%s' is not representable (the largest RAM is 8G)", what, s);
	if (*out == 0)
		return fail(err, line, "%s is 0", what);
	return 0;
}

static int word_index(const char *const *words, unsigned n, const char *w)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return (int)i;
	return -1;
}

static int parse_task(char **f, int nf, int line, struct kconfig *c, struct config_error *err)
{
	if (nf < 4 || nf > 5)
		return fail(err, line, "task needs NAME SIZE DEPTH [WORK], found %d fields", nf - 1);
	if (c->task_count == LR_MAX_TASKS)
		return fail(err, line, "more tasks than fit in the layout record (%d)", LR_MAX_TASKS);
	struct task_config *t = &c->tasks[c->task_count];
	size_t len = strlen(f[1]);
	if (len >= LR_NAME_LEN || strspn(f[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return fail(err, line, "task name '%s' must be 1-%d letters, digits, '_' or '-'", f[1], LR_NAME_LEN - 1);
	for (uint32_t i = 0; i < c->task_count; i++)
		if (strcmp(c->tasks[i].name, f[1]) == 0)
			return fail(err, line, "task name '%s' is used twice", f[1]);
	memcpy(t->name, f[1], len + 1);
	if (size_field(f[2], "task stack size", line, &t->stack_size, err))
		return -1;
	if (t->stack_size < KCONFIG_MIN_STACK)
		return fail(err, line, "task stack size %s is under %d bytes", f[2], KCONFIG_MIN_STACK);
	uint64_t depth;
	if (parse_size(f[3], &depth) || depth < 1 || depth > KCONFIG_MAX_DEPTH)
		return fail(err, line, "depth '%s' must be a number from 1 to %d", f[3], KCONFIG_MAX_DEPTH);
	t->depth = (uint32_t)depth;
	int work = nf == 5 ? word_index(work_words, WORK_COUNT, f[4]) : WORK_RECURSE;
	if (work < 0)
		return fail(err, line, "unknown work '%s'", f[4]);
	t->work = (uint32_t)work;
	c->task_count++;
	return 0;
}

static int parse_line(char *s, int line, struct kconfig *c, int *have_kstack, struct config_error *err)
{
	char *f[FIELDS_MAX];
	int nf = 0;
	for (char *tok = strtok(s, " \t\r"); tok; tok = strtok(NULL, " \t\r")) {
		if (nf == FIELDS_MAX)
			return fail(err, line, "too many fields");
		f[nf++] = tok;
	}
	if (nf == 0)
		return 0;
	if (strcmp(f[0], "task") == 0)
		return parse_task(f, nf, line, c, err);
	if (strcmp(f[0], "kernel_stack") == 0) {
		if (nf != 2)
			return fail(err, line, "kernel_stack needs one SIZE");
		if (*have_kstack)
			return fail(err, line, "kernel_stack given twice");
		*have_kstack = line;
		if (size_field(f[1], "kernel stack size", line, &c->kstack_size, err))
			return -1;
		if (c->kstack_size < KCONFIG_MIN_KSTACK)
			return fail(err, line, "kernel stack size %s is under %d bytes, what the kernel needs",
				    f[1], KCONFIG_MIN_KSTACK);
		return 0;
	}
	if (strcmp(f[0], "tick") == 0) {
		uint64_t v = 0;
		size_t n = nf == 2 ? strlen(f[1]) : 0;
		int ms = n > 2 && strcmp(f[1] + n - 2, "ms") == 0, us = n > 2 && strcmp(f[1] + n - 2, "us") == 0;
		if (ms || us)
			f[1][n - 2] = 0;
		if (!(ms || us) || parse_size(f[1], &v) || (ms && v > KCONFIG_MAX_TICK / 1000) ||
		    (ms ? v * 1000 : v) < KCONFIG_MIN_TICK || (ms ? v * 1000 : v) > KCONFIG_MAX_TICK)
			return fail(err, line, "tick needs a time from %dus to %dms, as 10ms or 500us",
				    KCONFIG_MIN_TICK, KCONFIG_MAX_TICK / 1000);
		if (c->tick_us)
			return fail(err, line, "tick given twice");
		c->tick_us = (uint32_t)(ms ? v * 1000 : v);
		return 0;
	}
	if (strcmp(f[0], "fault") == 0) {
		int fault = nf == 2 ? word_index(fault_words, FAULT_COUNT, f[1]) : -1;
		if (fault < 0)
			return fail(err, line, "fault needs one of:" KERNEL_FAULTS(FAULT_WORD));
		c->fault = (uint32_t)fault;
		return 0;
	}
	return fail(err, line, "unknown keyword '%s' (kernel_stack, task, tick or fault)", f[0]);
}

int config_parse(const char *text, size_t len, struct kconfig *out, struct config_error *err)
{
	struct kconfig c = { 0 };
	char buf[512];
	int line = 0, have_kstack = 0;
	size_t at = 0;
	while (at < len) {
		size_t end = at;
		while (end < len && text[end] != '\n')
			end++;
		line++;
		if (end - at >= sizeof buf)
			return fail(err, line, "line longer than %zu characters", sizeof buf - 1);
		memcpy(buf, text + at, end - at);
		buf[end - at] = 0;
		if (memchr(buf, 0, end - at))
			return fail(err, line, "binary data (a NUL byte)");
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		if (parse_line(buf, line, &c, &have_kstack, err))
			return -1;
		at = end + 1;
	}
	if (!have_kstack)
		return fail(err, 0, "no kernel_stack line");
	if (!c.tick_us)
		c.tick_us = KCONFIG_TICK_US;
	uint64_t total = c.kstack_size;
	for (uint32_t i = 0; i < c.task_count; i++)
		total += c.tasks[i].stack_size; /* each at most 8G, at most 65 of them: no overflow */
	if (total > KCONFIG_MAX_SIZE)
		return fail(err, line, "the stacks need %llu bytes: more than fit in the largest RAM (8G)",
			    (unsigned long long)total);
	*out = c;
	return 0;
}
