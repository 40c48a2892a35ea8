/*
 * test_inspector_diagram.c: lib/diagram.c called directly, as the kernel calls it: the
 * document's boxes high to low, labels on the boundaries, empty regions left out with their
 * labels joined, usage lines only when known, long names cut inside the box, a stack's use
 * down to the sp the paint says it reached.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "diagram.h"
#include "test_inspector_fixture.h"

struct page {
	char text[16384];
	size_t len;
	int lines;
	size_t longest;
};

static void collect(void *ctx, const char *line)
{
	struct page *p = ctx;
	size_t n = strlen(line);
	assert_null(strchr(line, '\n')); /* emit() gets lines without the newline */
	assert_true(p->len + n + 2 < sizeof p->text);
	memcpy(p->text + p->len, line, n);
	p->len += n;
	p->text[p->len++] = '\n';
	p->text[p->len] = 0;
	p->lines++;
	p->longest = n > p->longest ? n : p->longest;
}

static void draw(struct fixture *f, struct page *p, int with_usage)
{
	struct stack_usage k = { 1, 0x400 }, t[3] = { { 1, 0x600 }, { 0, 0 }, { 1, 0x900 } };
	memset(p, 0, sizeof *p);
	diagram_draw(f->rec, with_usage ? &k : NULL, with_usage ? t : NULL, collect, p);
}

/* The offset of needle in the page, failing the test when absent. */
static size_t at(const struct page *p, const char *needle)
{
	const char *s = strstr(p->text, needle);
	if (!s)
		fail_msg("missing \"%s\" in:\n%s", needle, p->text);
	return (size_t)(s - p->text);
}

static void boxes_run_high_to_low(void **state)
{
	struct fixture *f = *state;
	struct page p;
	draw(f, &p, 1);
	static const char *const order[] = {
		"High addresses", "0x0000000080400000  <- end of RAM", "Kernel stack (grows downward)",
		"<- SP initial", "kernel stack lo = first available", "Task 1 stack 'alpha'",
		"used 1.5 KiB / 8 KiB", "0x00000000803fa000  <- task 1 lo", "Task 2 stack 'beta'",
		"Task 3 stack 'gamma'", "0x00000000803f5000  <- task 3 lo = available", "Free / heap",
		"record end", "Layout record", "record start", "Padding", "image end",
		"Kernel data (.bss, .data, boot stack)", "data start", "Kernel text (.text, .rodata)",
		"0x0000000080000000  <- start of RAM", "Low addresses",
	};
	for (size_t i = 1; i < sizeof order / sizeof order[0]; i++)
		if (at(&p, order[i - 1]) >= at(&p, order[i]))
			fail_msg("\"%s\" not above \"%s\" in:\n%s", order[i - 1], order[i], p.text);
	/* Usage unknown for task 2: its box has no "used" line; 3 known stacks have one. */
	int used = 0;
	for (const char *s = p.text; (s = strstr(s, "used ")) != NULL; s++)
		used++;
	assert_int_equal(used, 3);
}

static void no_usage_no_used_lines(void **state)
{
	struct fixture *f = *state;
	struct page p;
	draw(f, &p, 0);
	assert_null(strstr(p.text, "used "));
}

static void empty_padding_is_left_out(void **state)
{
	struct fixture *f = *state;
	struct page p;
	f->rec->padding.lo = f->rec->padding.hi; /* the image reaches the record */
	f->rec->boot_stack.hi = f->rec->padding.lo;
	draw(f, &p, 0);
	assert_null(strstr(p.text, "Padding"));
	at(&p, "0x0000000080100000  <- record start = image end");
}

static void no_tasks_available_is_kernel_lo(void **state)
{
	struct fixture *f = *state;
	struct page p;
	f->rec->task_count = 0;
	f->rec->free.hi = f->rec->available = f->rec->kstack.lo;
	draw(f, &p, 0);
	assert_null(strstr(p.text, " stack '"));
	at(&p, "0x00000000803fc000  <- kernel stack lo = first available = available");
}

static void gaps_are_shown_not_hidden(void **state)
{
	struct fixture *f = *state;
	struct page p;
	f->rec->tasks[1].stack.hi -= 0x100; /* task 2 no longer starts at task 1's lo */
	draw(f, &p, 0);
	at(&p, "0x00000000803f9f00  <- !! not the lo of the box above");
}

static void lines_are_bounded(void **state)
{
	struct fixture *f = *state;
	struct page p;
	memset(f->rec->tasks[0].name, 'x', LR_NAME_LEN); /* no NUL at all */
	f->rec->tasks[0].id = 4000000000u;
	f->rec->task_count = 1000;                       /* clamped to LR_MAX_TASKS */
	draw(f, &p, 0);
	at(&p, "Task 4000000000 stack 'xxxxxxxxxxxxxxxx'");
	assert_true(p.longest < 160);
}

static void same_record_same_picture(void **state)
{
	struct fixture *f = *state;
	static struct page a, b;
	draw(f, &a, 1);
	draw(f, &b, 1);
	assert_string_equal(a.text, b.text);
	assert_int_equal(a.lines, 36); /* 33 before the task-code box */
}

static int setup(void **state)
{
	struct fixture *f = malloc(sizeof *f);
	if (!f)
		return -1;
	fx_init(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	free(*state);
	return 0;
}

/* As the kernel hands them over: the paint's bare count, which stops a word above the deepest
 * sp when the frame there left its lowest slot unwritten. The box shows the count rounded down
 * to where that sp was (STACK_ALIGN), as the inspector's stacks table does. */
static void used_reaches_the_aligned_sp(void **state)
{
	struct fixture *f = *state;
	struct stack_usage k = { 1, 0x400 }, t[3] = { { 1, 0x198 }, { 1, 0x200 }, { 1, 0 } };
	struct page p;
	memset(&p, 0, sizeof p);
	diagram_draw(f->rec, &k, t, collect, &p);
	at(&p, "used 416 B / 8 KiB");  /* 0x198 = 408: its lowest written word 8 above a 16-byte sp */
	at(&p, "used 512 B / 4 KiB");
	at(&p, "used 0 B / 16 KiB");
	assert_null(strstr(p.text, "used 408 B"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(boxes_run_high_to_low, setup, teardown),
		cmocka_unit_test_setup_teardown(no_usage_no_used_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_padding_is_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(no_tasks_available_is_kernel_lo, setup, teardown),
		cmocka_unit_test_setup_teardown(gaps_are_shown_not_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(lines_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(same_record_same_picture, setup, teardown),
		cmocka_unit_test_setup_teardown(used_reaches_the_aligned_sp, setup, teardown),
	};
	return cmocka_run_group_tests_name("inspector diagram", tests, NULL, NULL);
}
