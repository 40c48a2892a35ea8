/* test_config.c: the static config reader (tools/config.c): what it accepts and every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "config.h"

static int parse(const char *text, struct kconfig *c, struct config_error *err)
{
	return config_parse(text, strlen(text), c, err);
}

static void a_good_config_is_read_whole(void **state)
{
	(void)state;
	struct kconfig c;
	struct config_error err;
	assert_int_equal(parse("# comment\n\nkernel_stack 16K  # trailing\n"
			       "task alpha 8K 20\ntask beta 0x1000 5 write-lo\nfault chain-gap\n",
			       &c, &err), 0);
	assert_int_equal(c.kstack_size, 16384);
	assert_int_equal(c.fault, FAULT_CHAIN_GAP);
	assert_int_equal(c.task_count, 2);
	assert_string_equal(c.tasks[0].name, "alpha");
	assert_int_equal(c.tasks[0].stack_size, 8192);
	assert_int_equal(c.tasks[0].depth, 20);
	assert_int_equal(c.tasks[0].work, WORK_RECURSE);
	assert_int_equal(c.tasks[1].stack_size, 4096);
	assert_int_equal(c.tasks[1].work, WORK_WRITE_LO);
	assert_string_equal(config_work_word(c.tasks[1].work), "write-lo");
	assert_string_equal(config_fault_word(c.fault), "chain-gap");
	assert_int_equal(c.tick_us, KCONFIG_TICK_US);          /* no tick line: the default */
}

static void the_tick_takes_a_unit(void **state)
{
	(void)state;
	static const struct { const char *text; uint32_t us; } cases[] = {
		{ "kernel_stack 4K\ntick 10ms\n", 10000 }, { "kernel_stack 4K\ntick 500us\n", 500 },
		{ "kernel_stack 4K\ntick 100us\n", 100 }, { "kernel_stack 4K\ntick 1000ms\n", 1000000 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kconfig c;
		struct config_error err;
		assert_int_equal(parse(cases[i].text, &c, &err), 0);
		assert_int_equal(c.tick_us, cases[i].us);
	}
}

static void sizes_take_suffixes(void **state)
{
	(void)state;
	static const struct { const char *text; uint64_t size; } cases[] = {
		{ "kernel_stack 4096\n", 4096 }, { "kernel_stack 4k\n", 4096 },
		{ "kernel_stack 1M\n", 1 << 20 }, { "kernel_stack 2G\n", 2ULL << 30 },
		{ "kernel_stack 0x800\n", 2048 }, { "kernel_stack 8G\n", 8ULL << 30 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kconfig c;
		struct config_error err;
		assert_int_equal(parse(cases[i].text, &c, &err), 0);
		assert_int_equal(c.kstack_size, cases[i].size);
	}
}

/* The largest accepted value of each bound; one past it is in bad_configs_name_the_line. */
static void limits_are_accepted_at_their_edge(void **state)
{
	(void)state;
	struct kconfig c;
	struct config_error err;
	assert_int_equal(parse("kernel_stack 2048\ntask fifteen_chars_x 224 100000\ntask b 4K 1\n", &c, &err), 0);
	assert_int_equal(c.kstack_size, KCONFIG_MIN_KSTACK);
	assert_string_equal(c.tasks[0].name, "fifteen_chars_x");
	assert_int_equal(c.tasks[0].stack_size, 224);
	assert_int_equal(c.tasks[0].depth, 100000);
	assert_int_equal(c.tasks[1].depth, 1);
}

/* Every refusal names the line and says what is wrong. */
static void bad_configs_name_the_line(void **state)
{
	(void)state;
	static const struct { const char *text; int line; const char *msg; } cases[] = {
		{ "task a 4K 1\n", 0, "no kernel_stack line" },
		{ "kernel_stack 0\n", 1, "kernel stack size is 0" },
		{ "kernel_stack 16K\ntask a 0 3\n", 2, "task stack size is 0" },
		{ "kernel_stack 99999999999999999999999\n", 1, "is not representable" },
		{ "kernel_stack 17179869184G\n", 1, "is not representable" },
		{ "kernel_stack 9G\n", 1, "is not representable" },
		{ "kernel_stack 16Q\n", 1, "is not a size" },
		{ "kernel_stack\n", 1, "kernel_stack needs one SIZE" },
		{ "kernel_stack 4K\nkernel_stack 4K\n", 2, "kernel_stack given twice" },
		{ "kernel_stack 4K\ntask a 4K\n", 2, "task needs NAME SIZE DEPTH [WORK]" },
		{ "kernel_stack 4K\ntask a 4K 0\n", 2, "depth '0' must be a number from 1 to 100000" },
		{ "kernel_stack 4K\ntask a 4K 100001\n", 2, "depth '100001' must be a number" },
		{ "kernel_stack 4K\ntask a 100 3\n", 2, "is under 224 bytes" },
		{ "kernel_stack 16\ntask a 4K 3\n", 1,
		  "kernel stack size 16 is under 2048 bytes, what the kernel needs" },
		{ "# a comment\nkernel_stack 2047\n", 2, "kernel stack size 2047 is under 2048 bytes" },
		{ "kernel_stack 4K\ntask a 4K 3 dance\n", 2, "unknown work 'dance'" },
		{ "kernel_stack 4K\ntask a 4K 3\ntask a 4K 3\n", 3, "task name 'a' is used twice" },
		{ "kernel_stack 4K\ntask a.b 4K 3\n", 2, "task name 'a.b' must be" },
		{ "kernel_stack 4K\ntask sixteen_chars_xx 4K 3\n", 2, "must be 1-15 letters" },
		{ "kernel_stack 4K\nheap 4K\n", 2, "unknown keyword 'heap'" },
		{ "kernel_stack 4K\ntick 10\n", 2, "tick needs a time from 100us to 1000ms" },
		{ "kernel_stack 4K\ntick 99us\n", 2, "tick needs a time" },
		{ "kernel_stack 4K\ntick 1001ms\n", 2, "tick needs a time" },
		{ "kernel_stack 4K\ntick 5s\n", 2, "tick needs a time" },
		{ "kernel_stack 4K\ntick 1ms\ntick 2ms\n", 3, "tick given twice" },
		{ "kernel_stack 4K\nfault gremlins\n", 2, "fault needs one of" },
		{ "kernel_stack 4K\ntask a 4K 3 recurse x y\n", 2, "too many fields" },
		{ "kernel_stack 4G\ntask a 4G 3\ntask b 1G 3\n", 3, "more than fit in the largest RAM" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kconfig c;
		struct config_error err;
		assert_int_equal(parse(cases[i].text, &c, &err), -1);
		assert_int_equal(err.line, cases[i].line);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].msg);
	}
}

static void more_tasks_than_the_record_holds_are_refused(void **state)
{
	(void)state;
	static char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text, "kernel_stack 4K\n");
	for (int i = 0; i <= LR_MAX_TASKS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "task t%d 1K 2\n", i);
	struct kconfig c;
	struct config_error err;
	assert_int_equal(parse(text, &c, &err), -1);
	assert_int_equal(err.line, LR_MAX_TASKS + 2);
	assert_non_null(strstr(err.msg, "more tasks than fit in the layout record (64)"));
}

static void binary_and_long_lines_are_refused(void **state)
{
	(void)state;
	struct kconfig c;
	struct config_error err;
	static const char bin[] = "kernel_stack 4K\nta\0sk\n";
	assert_int_equal(config_parse(bin, sizeof bin - 1, &c, &err), -1);
	assert_int_equal(err.line, 2);
	static char longline[2048];
	memset(longline, 'x', sizeof longline - 1);
	assert_int_equal(parse(longline, &c, &err), -1);
	assert_non_null(strstr(err.msg, "line longer than"));
}

/* docs/config.md names every work and fault word the reader knows, and the kernel stack's
 * minimum (make test-unit runs from the tree's top). */
static void the_docs_name_every_word(void **state)
{
	(void)state;
	static char doc[32768];
	FILE *f = fopen("docs/config.md", "r");
	assert_non_null(f);
	size_t n = fread(doc, 1, sizeof doc - 1, f), w = 0;
	fclose(f);
	for (size_t r = 0; r < n; r++) /* runs of blanks and newlines as one space: text is rewrapped */
		if (!(doc[r] == ' ' || doc[r] == '\n') || (w && doc[w - 1] != ' '))
			doc[w++] = doc[r] == '\n' ? ' ' : doc[r];
	doc[w] = 0;
	char want[64];
	for (unsigned i = 0; i < WORK_COUNT; i++) {
		snprintf(want, sizeof want, "`%s`", config_work_word(i));
		if (!strstr(doc, want))
			fail_msg("docs/config.md does not name the work %s", want);
	}
	for (unsigned i = 0; i < FAULT_COUNT; i++) {
		snprintf(want, sizeof want, "`%s`", config_fault_word(i));
		if (!strstr(doc, want))
			fail_msg("docs/config.md does not name the fault %s", want);
	}
	snprintf(want, sizeof want, "a kernel stack under %d bytes (`KCONFIG_MIN_KSTACK`",
		 KCONFIG_MIN_KSTACK);
	if (!strstr(doc, want))
		fail_msg("docs/config.md does not say '%s'", want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_good_config_is_read_whole),
		cmocka_unit_test(sizes_take_suffixes),
		cmocka_unit_test(limits_are_accepted_at_their_edge),
		cmocka_unit_test(the_tick_takes_a_unit),
		cmocka_unit_test(bad_configs_name_the_line),
		cmocka_unit_test(more_tasks_than_the_record_holds_are_refused),
		cmocka_unit_test(binary_and_long_lines_are_refused),
		cmocka_unit_test(the_docs_name_every_word),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
