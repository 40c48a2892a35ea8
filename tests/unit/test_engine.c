/*
 * test_engine.c: the rules engine (engine/klayout.h) on dumps built in memory, without a file:
 * the fixture's RAM is the target, read through the engine's callback as GDB reads a live
 * machine. Each invariant is broken once and the exact verdict checked (id, region, address,
 * expected, found); the target's own facts (RAM, harts, live or dump) steer the rules that
 * depend on them; the texts are the ones the front ends print.
 */
#include "klayout_text.h" /* before cmocka.h, whose fail() macro would rename the engine's */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "test_inspector_fixture.h"

struct target {
	struct fixture f;
	unsigned reads;        /* calls of the read callback */
	uint64_t hole_lo, hole_hi; /* reads touching [hole_lo, hole_hi) fail */
};

static int read_ram(void *ctx, uint64_t paddr, void *buf, uint64_t len)
{
	struct target *t = ctx;
	t->reads++;
	if (paddr < RAM_BASE || paddr > FX_RAM_END || len > FX_RAM_END - paddr)
		return -1;
	if (paddr < t->hole_hi && paddr + len > t->hole_lo)
		return -1;
	memcpy(buf, t->f.ram + (paddr - RAM_BASE), len);
	return 0;
}

static int setup(void **state)
{
	struct target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	fx_init_memory(&t->f);
	kl_set_program(NULL);  /* messages are checked through kl_last_error */
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct target *t = *state;
	fx_free(&t->f);
	free(t);
	return 0;
}

/* The engine on the fixture as a dump would present it: its RAM, the hart on gamma's stack. */
static struct kl_session *open_dump(struct target *t)
{
	struct kl_session *s = kl_new("mem", read_ram, t);
	assert_non_null(s);
	kl_set_ram(s, RAM_BASE, FX_RAM_END);
	kl_add_hart(s, RAM_BASE + 0x100, t->f.hart_sp);
	assert_int_equal(kl_load(s), 0);
	return s;
}

/*
 * A static stack analysis for the fixture's stacks, as a kernel ELF and its .su/.ci would give
 * it: the kernel stack's worst case 0x500 (the paint shows 0x400 used), each task 64 bytes plus
 * 400 a level of its depth (alpha 4, beta 5, gamma 6: the paint shows less).
 */
static struct kl_budget *fixture_budget(void)
{
	static const char su[] = "k.c:1:6:kmain\t1280\tstatic\nk.c:5:6:task_main\t64\tstatic\n"
				 "k.c:9:13:task_dive\t400\tstatic\n";
	static const char ci[] = "graph: { title: \"k.c\"\n"
		"node: { title: \"kmain\" label: \"kmain\\nk.c:1:6\\n1280 bytes (static)\\n0 dynamic objects\" }\n"
		"node: { title: \"task_main\" label: \"task_main\\nk.c:5:6\\n64 bytes (static)\\n0 dynamic objects\" }\n"
		"node: { title: \"k.c:task_dive\" label: \"task_dive\\nk.c:9:13\\n400 bytes (static)\\n0 dynamic objects\" }\n"
		"edge: { sourcename: \"task_main\" targetname: \"k.c:task_dive\" label: \"k.c:6:2\" }\n"
		"edge: { sourcename: \"k.c:task_dive\" targetname: \"k.c:task_dive\" label: \"k.c:10:2\" }\n}\n";
	static const char decl[] = "stack kernel record kernel entry kmain\n"
				   "stack task record task entry task_main recursion task_dive depth\n";
	struct bg_graph *g = bg_new();
	assert_non_null(g);
	assert_int_equal(bg_read_unit(g, "k.c.su", su, strlen(su), "k.c.ci", ci, strlen(ci)), 0);
	assert_int_equal(bg_read_decl(g, "k.budget", NULL, decl, strlen(decl)), 0);
	assert_int_equal(bg_finish(g), 0);
	struct kl_budget *b = kl_budget_of(g);
	assert_non_null(b);
	return b;
}

static const struct violation *first_of(const struct report *rep, const char *id)
{
	for (size_t i = 0; i < rep->nv; i++)
		if (strcmp(invariant_id(rep->v[i].inv), id) == 0)
			return &rep->v[i];
	return NULL;
}

static unsigned inv_of(const char *id)
{
	for (unsigned i = 0; i < LR_INV_COUNT; i++)
		if (strcmp(invariant_id(i), id) == 0)
			return i;
	fail_msg("no invariant %s", id);
	return 0;
}

static struct lr_task *task(struct target *t, int id)
{
	return &t->f.rec->tasks[id - 1];
}

static void good_layout_holds(void **state)
{
	struct target *t = *state;
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(report_violations(rep), 0);
	for (unsigned i = 0; i < LR_INV_COUNT; i++) {
		const char *id = invariant_id(i);
		int skipped = !strcmp(id, "stack.headroom") || !strncmp(id, "elf.", 4) ||
			      !strcmp(id, "stack.budget") || !strcmp(id, "stack.bound");
		assert_int_equal(rep->status[i], skipped ? CHECK_SKIP : CHECK_PASS);
	}
	assert_string_equal(rep->skip_reason[inv_of("elf.build-id")], "no --elf given");
	kl_close(s);
}

/* One invariant broken, its first violation exactly as the front ends will print it. */
struct breakage {
	const char *id, *region;
	void (*apply)(struct target *t);
	const char *expected, *found;   /* NULL: not compared */
};

static void bad_magic(struct target *t) { t->f.rec->magic ^= 1; }
static void bad_version(struct target *t) { t->f.rec->version = 9; }
static void bad_size(struct target *t) { t->f.rec->size = 100; }
static void bad_checksum(struct target *t) { t->f.rec->checksum ^= 0x10; }
static void odd_generation(struct target *t) { t->f.rec->generation = 43; fx_seal(&t->f); }
static void ram_elsewhere(struct target *t) { t->f.rec->ram.lo = RAM_BASE - 0x1000; fx_seal(&t->f); }
static void padding_gap(struct target *t) { t->f.rec->padding.lo += 0x100; fx_seal(&t->f); }
static void kstack_low(struct target *t) { t->f.rec->kstack.hi -= 0x10; fx_seal(&t->f); }
static void chain_link(struct target *t) { task(t, 2)->stack.hi += 0x10; fx_seal(&t->f); }
static void available_off(struct target *t) { t->f.rec->available -= 0x1000; fx_seal(&t->f); }
static void text_written(struct target *t) { *fx_phys(&t->f, RAM_BASE + 0x123) ^= 0xff; }
/* beta recurses 20 levels deep now: 64 + 20 * 400 bytes in a 4 KiB stack. */
static void too_deep(struct target *t) { task(t, 2)->depth = 20; fx_seal(&t->f); }
/* Something wrote beta's stack far below what its code can reach. */
static void written_deep(struct target *t) { fx_put64(&t->f, task(t, 2)->stack.lo + 16, 0x1234); }
static void sentinel_gone(struct target *t) { fx_put64(&t->f, FX_KSTACK_LO, 0); }
static void sp_misaligned(struct target *t) { task(t, 1)->saved_sp -= 8; fx_seal(&t->f); }

static void overflowed(struct target *t)
{
	fx_put64(&t->f, task(t, 2)->stack.lo, 0x1234);
	fx_put64(&t->f, task(t, 2)->stack.lo + 8, 0x5678);
}

static void kernel_refused(struct target *t)
{
	struct layout_record *r = t->f.rec;
	r->violations[0] = (struct lr_violation){ .invariant = LR_INV_STACK_REFUSED, .owner = 2,
						  .addr = 0x80001000, .expected = 1, .found = 2,
						  .cause = LR_CAUSE_CHECK };
	r->violation_count = 1;
	fx_seal(&t->f);
}

static const struct breakage breakages[] = {
	{ "record.magic", "record", bad_magic, "0x44524f4359414c4b", "0x44524f4359414c4a" },
	{ "record.version", "record", bad_version, "2", "9" },
	{ "record.size", "record", bad_size, "6976", "100" },
	{ "record.checksum", "record", bad_checksum, NULL, NULL },
	{ "record.generation", "record", odd_generation, "an even generation",
	  "43: the published copy was never finished" },
	{ "layout.ram", "record", ram_elsewhere, "[0x80000000, 0x80400000)",
	  "[0x7ffff000, 0x80400000)" },
	{ "layout.order", "padding", padding_gap, NULL, NULL },
	{ "layout.kstack-top", "kernel stack", kstack_low, "0x0000000080400000", "0x00000000803ffff0" },
	{ "layout.chain", "task 2 'beta'", chain_link, NULL, NULL },
	{ "layout.available", "record", available_off, NULL, NULL },
	{ "image.untouched", "text+rodata", text_written, NULL, NULL },
	{ "stack.lo-excluded", "kernel stack", sentinel_gone, "0x57ac6e9d57ac6e9d",
	  "0x0000000000000000" },
	{ "stack.overflow", "task 2 'beta'", overflowed, "0xaaaaaaaaaaaaaaaa", "0x0000000000005678" },
	{ "stack.sp", "task 1 'alpha'", sp_misaligned, NULL, NULL },
	{ "stack.refused", "task 2 'beta'", kernel_refused, "0x0000000000000001",
	  "0x0000000000000002" },
	{ "stack.budget", "task 2 'beta'", too_deep, "at least 8072 bytes: static worst case 8064 + 8 (lo word)",
	  "4096 bytes, 3976 short, for the chain task_main 64, task_dive 400 x20" },
	{ "stack.bound", "task 2 'beta'", written_deep,
	  "high-water at most 2064, the static worst case: task_main 64, task_dive 400 x5",
	  "high-water 4080: 2016 bytes used by code the analysis did not see" },
};

static void each_invariant_breaks(void **state)
{
	struct target *t = *state;
	for (size_t i = 0; i < sizeof breakages / sizeof breakages[0]; i++) {
		const struct breakage *b = &breakages[i];
		struct target fresh = { .reads = 0 };
		fx_init_memory(&fresh.f);
		b->apply(&fresh);
		struct kl_session *s = open_dump(&fresh);
		kl_set_budget(s, fixture_budget());
		const struct report *rep = kl_check(s, -1);
		const struct violation *v = first_of(rep, b->id);
		if (!v)
			fail_msg("%s: no violation", b->id);
		assert_int_equal(rep->status[inv_of(b->id)], CHECK_FAIL);
		assert_string_equal(v->region, b->region);
		if (b->expected)
			assert_string_equal(v->expected, b->expected);
		if (b->found)
			assert_string_equal(v->found, b->found);
		kl_close(s);
		fx_free(&fresh.f);
	}
	(void)t;
}

/* The analysis beside the paint: each stack's static worst case, and both rules holding. */
static void budget_beside_the_paint(void **state)
{
	struct target *t = *state;
	struct kl_session *s = open_dump(t);
	const struct stack_info *stacks;
	kl_set_budget(s, fixture_budget());
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(report_violations(rep), 0);
	assert_int_equal(rep->status[inv_of("stack.budget")], CHECK_PASS);
	assert_int_equal(rep->status[inv_of("stack.bound")], CHECK_PASS);
	assert_int_equal(kl_stacks(s, &stacks), 4);
	assert_true(stacks[0].have_static && stacks[0].static_bounded);
	assert_int_equal(stacks[0].static_bound, 1280);
	assert_int_equal(stacks[2].static_bound, 64 + 5 * 400);
	assert_int_equal(stacks[2].static_needed, 64 + 5 * 400 + 8);
	assert_true(stacks[2].high_water <= stacks[2].static_bound);
	kl_close(s);
	/* Without an analysis both are skipped, saying why. */
	s = open_dump(t);
	rep = kl_check(s, -1);
	assert_int_equal(rep->status[inv_of("stack.budget")], CHECK_SKIP);
	assert_string_equal(rep->skip_reason[inv_of("stack.bound")], "no --elf given");
	kl_close(s);
}

static void untrusted_header_skips_the_rest(void **state)
{
	struct target *t = *state;
	bad_magic(t);
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(report_violations(rep), 1);
	assert_int_equal(rep->status[inv_of("layout.order")], CHECK_SKIP);
	assert_string_equal(rep->skip_reason[inv_of("layout.order")], "the record header is not trusted");
	const struct stack_info *stacks;
	assert_int_equal(kl_stacks(s, &stacks), 0);
	assert_null(kl_stacks_text(s));
	assert_non_null(strstr(kl_last_error(), "no valid layout record"));
	char why[128];
	assert_int_equal(kl_header_problem(s, why, sizeof why), 0);
	assert_non_null(strstr(why, "magic is 0x44524f4359414c4a"));
	kl_close(s);
}

static void headroom_on_request(void **state)
{
	struct target *t = *state;
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, 99);
	const struct violation *v = first_of(rep, "stack.headroom");
	assert_non_null(v);
	assert_string_equal(v->expected, "99% unused");
	assert_int_equal(rep->status[inv_of("stack.headroom")], CHECK_FAIL);
	kl_close(s);
}

static void hart_sp_from_the_target(void **state)
{
	struct target *t = *state;
	struct kl_session *s = kl_new("mem", read_ram, t);
	kl_set_ram(s, RAM_BASE, FX_RAM_END);
	kl_set_no_harts(s, "raw dump: no registers");
	assert_int_equal(kl_load(s), 0);
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(rep->status[inv_of("hart.sp")], CHECK_SKIP);
	assert_string_equal(rep->skip_reason[inv_of("hart.sp")], "raw dump: no registers");
	/* On the boot stack: the boot-stack case's verdict. */
	kl_add_hart(s, RAM_BASE, t->f.rec->boot_stack.hi - 0x10);
	rep = kl_check(s, -1);
	const struct violation *v = first_of(rep, "hart.sp");
	assert_non_null(v);
	assert_string_equal(v->region, "hart 0");
	assert_non_null(strstr(v->found, "in the boot stack"));
	kl_close(s);
}

static void live_target_rules(void **state)
{
	struct target *t = *state;
	odd_generation(t);
	struct kl_session *s = kl_new("live", read_ram, t);
	kl_set_live(s, 1);     /* no RAM size: layout.ram asks that the record's RAM be readable */
	assert_int_equal(kl_load(s), 0);
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(rep->status[inv_of("layout.ram")], CHECK_PASS);
	assert_string_equal(first_of(rep, "record.generation")->found,
			    "43: the published copy was never finished");
	/* A hole at the top of RAM: the record's RAM is not all there. */
	t->hole_lo = FX_RAM_END - 8;
	t->hole_hi = FX_RAM_END;
	rep = kl_check(s, -1);
	const struct violation *v = first_of(rep, "layout.ram");
	assert_non_null(v);
	assert_string_equal(v->found, "0x803ffff8 unreadable");
	kl_close(s);
}

static void unreadable_stack_said_live(void **state)
{
	struct target *t = *state;
	t->hole_lo = FX_KSTACK_LO;
	t->hole_hi = FX_KSTACK_LO + 16;
	struct kl_session *s = kl_new("live", read_ram, t);
	kl_set_live(s, 1);
	assert_int_equal(kl_load(s), 0);
	const struct violation *v = first_of(kl_check(s, -1), "stack.lo-excluded");
	assert_non_null(v);
	assert_string_equal(v->found, "not readable");
	kl_close(s);
}

static void no_record_page(void **state)
{
	struct target *t = *state;
	t->hole_lo = RECORD_ADDR;
	t->hole_hi = RECORD_ADDR + 1;
	struct kl_session *s = kl_new("mem", read_ram, t);
	assert_int_equal(kl_load(s), -1);
	assert_non_null(strstr(kl_last_error(), "'mem': no RAM at the record address 0x80100000"));
	kl_close(s);
}

static void one_read_per_stack(void **state)
{
	struct target *t = *state;
	struct kl_session *s = open_dump(t);
	const struct stack_info *stacks;
	unsigned before = t->reads;
	size_t n = kl_stacks(s, &stacks);
	assert_int_equal(n, 1 + t->f.rec->task_count);
	assert_int_equal(t->reads - before, n);
	/* gamma is on the hart: its use now is from the hart's sp, not its stale saved sp. */
	assert_int_equal(stacks[3].have_used, 1);
	assert_int_equal(stacks[3].used, stacks[3].range.hi - t->f.hart_sp);
	assert_int_equal(stacks[1].high_water, 0x600);
	assert_int_equal(stack_headroom_pct(&stacks[1]), 81);
	kl_close(s);
}

static void texts_are_the_front_ends(void **state)
{
	struct target *t = *state;
	sentinel_gone(t);
	struct kl_session *s = open_dump(t);
	size_t n = 0;
	char *text = kl_check_text(s, -1, 0, &n);
	assert_non_null(text);
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "stack.lo-excluded: kernel stack: at 0x00000000803fc000: "
				     "expected 0x57ac6e9d57ac6e9d, found 0x0000000000000000\n"));
	assert_non_null(strstr(text, "\nmem: 17 checks, 1 violations\n"));
	kl_free(text);
	text = kl_stacks_text(s);
	assert_non_null(strstr(text, "kernel stack "));
	assert_non_null(strstr(text, "BROKEN\n"));
	kl_free(text);
	text = kl_record_text(s);
	assert_non_null(strstr(text, "task[2].name: gamma\n"));
	kl_free(text);
	text = kl_diagram_text(s);
	assert_non_null(strstr(text, "High addresses\n"));
	assert_non_null(strstr(text, "'gamma'"));
	kl_free(text);
	kl_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_layout_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(each_invariant_breaks, setup, teardown),
		cmocka_unit_test_setup_teardown(budget_beside_the_paint, setup, teardown),
		cmocka_unit_test_setup_teardown(untrusted_header_skips_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(headroom_on_request, setup, teardown),
		cmocka_unit_test_setup_teardown(hart_sp_from_the_target, setup, teardown),
		cmocka_unit_test_setup_teardown(live_target_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_stack_said_live, setup, teardown),
		cmocka_unit_test_setup_teardown(no_record_page, setup, teardown),
		cmocka_unit_test_setup_teardown(one_read_per_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(texts_are_the_front_ends, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
