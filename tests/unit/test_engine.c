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
#include <unistd.h>
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
	{ "stack.overflow", "task 2 'beta'", overflowed, "0xaaaaaaaaaaaaaaaa",
	  "0x0000000000005678: reached depth 5 of 5, needed at least 4096 bytes, 4088 usable" },
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
	assert_non_null(strstr(text, "\nmem: 17 checks, 1 violation\n"));
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

/* ---- one root cause per stack ---------------------------------------------------------------- */

static const struct violation *nth_of(const struct report *rep, const char *id, int n)
{
	for (size_t i = 0; i < rep->nv; i++)
		if (strcmp(invariant_id(rep->v[i].inv), id) == 0 && n-- == 0)
			return &rep->v[i];
	return NULL;
}

/* The overflow.conf case: beta's saved sp 0x40 below its lo, the kernel's stack.overflow. */
static void overflow_is_the_root_cause(void **state)
{
	struct target *t = *state;
	fx_overflow(&t->f, 2);
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	const struct violation *mine = nth_of(rep, "stack.overflow", 0);
	const struct violation *kernels = nth_of(rep, "stack.overflow", 1);
	const struct violation *sp = first_of(rep, "stack.sp");
	assert_non_null(mine);
	assert_non_null(kernels);
	assert_non_null(sp);
	/* The overflow names the task, the depth it reached and the bytes it needed. */
	assert_string_equal(mine->region, "task 2 'beta'");
	assert_string_equal(mine->found, "0x00000000803f8fc0: reached depth 5 of 5, needed at least "
					 "4160 bytes, 4088 usable");
	assert_int_equal(kernels->source, SOURCE_KERNEL);
	assert_non_null(strstr(kernels->found, ": reached depth 5 of 5, needed at least 4160 bytes, "
					       "4088 usable"));
	/* Its sp outside the stack is true, and a follow-on of the first overflow seen. */
	assert_ptr_equal(report_root(rep, sp), mine);
	assert_null(report_root(rep, mine));
	assert_null(report_root(rep, kernels));
	assert_int_equal(report_violations(rep), 3);
	assert_int_equal(report_follow_ons(rep), 1);
	assert_int_equal(rep->status[inv_of("stack.sp")], CHECK_FAIL);
	size_t n = 0;
	char *text = kl_check_text(s, -1, 0, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(text, "found 0x00000000803f8fc0 (follows stack.overflow of task 2 'beta')\n"));
	assert_non_null(strstr(text, "\nmem: 17 checks, 3 violations (1 follow-on)\n"));
	kl_free(text);
	kl_close(s);
}

/* The lo word broken and the word above it used: the broken sentinel follows the overflow. */
static void broken_lo_word_follows_the_overflow(void **state)
{
	struct target *t = *state;
	overflowed(t);
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	const struct violation *lo = first_of(rep, "stack.lo-excluded");
	assert_non_null(lo);
	assert_string_equal(lo->region, "task 2 'beta'");
	assert_ptr_equal(report_root(rep, lo), first_of(rep, "stack.overflow"));
	assert_int_equal(report_follow_ons(rep), 1);
	kl_close(s);
}

/* Only the kernel saw the overflow; the saved sp it left at lo is what stack.sp finds. */
static void kernel_overflow_is_a_root_cause(void **state)
{
	struct target *t = *state;
	struct lr_task *beta = task(t, 2);
	beta->saved_sp = beta->stack.lo;
	beta->state = LR_TASK_FAULTED;
	t->f.rec->violations[0] = (struct lr_violation){ LR_INV_STACK_OVERFLOW, 2, beta->stack.lo,
							 beta->stack.lo, beta->stack.lo, FX_TASK_CODE_PC,
							 7, 0 };
	t->f.rec->violation_count = 1;
	fx_seal(&t->f);
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	const struct violation *root = first_of(rep, "stack.overflow");
	assert_non_null(root);
	assert_int_equal(root->source, SOURCE_KERNEL);
	assert_non_null(strstr(root->found, ": reached depth 5 of 5, needed at least 4096 bytes, 4088 usable"));
	assert_ptr_equal(report_root(rep, first_of(rep, "stack.sp")), root);
	/* Another stack's own stack.sp does not follow it. */
	task(t, 1)->saved_sp -= 8;
	fx_seal(&t->f);
	kl_close(s);
	s = open_dump(t);
	rep = kl_check(s, -1);
	assert_int_equal(report_follow_ons(rep), 1);
	for (size_t i = 0; i < rep->nv; i++)
		if (!strcmp(rep->v[i].region, "task 1 'alpha'"))
			assert_null(report_root(rep, &rep->v[i]));
	kl_close(s);
}

/* The kernel overflowed its own stack during gamma's trap and halted with current 0 and gamma
 * still marked running (kernel_stack 1K): gamma's state finding follows the kernel's breach. */
static void halted_kernel_is_the_root_cause(void **state)
{
	struct target *t = *state;
	struct layout_record *r = t->f.rec;
	r->flags |= LR_FLAG_HALTED;
	r->current = 0;
	r->violations[0] = (struct lr_violation){ LR_INV_STACK_OVERFLOW, 0, r->kstack.lo, LR_SENTINEL,
						  r->kstack.lo, RAM_BASE + 0x866, 7, 0 };
	r->violation_count = 1;
	fx_seal(&t->f);
	struct kl_session *s = open_dump(t);
	const struct report *rep = kl_check(s, -1);
	const struct violation *sp = first_of(rep, "stack.sp");
	assert_non_null(sp);
	assert_string_equal(sp->region, "task 3 'gamma'");
	assert_ptr_equal(report_root(rep, sp), first_of(rep, "stack.overflow"));
	assert_non_null(strstr(first_of(rep, "stack.overflow")->found,
			       ": needed at least 16384 bytes, 16376 usable"));
	char *text = kl_check_text(s, -1, 0, NULL);
	assert_non_null(strstr(text, "found state 2 (follows stack.overflow of kernel)\n"));
	kl_free(text);
	kl_close(s);
}

/* ---- high-water ------------------------------------------------------------------------------ */

/* A frame whose lowest slot was never written: the paint's lowest written word is 8 above sp. */
static void high_water_reaches_every_known_sp(void **state)
{
	struct target *t = *state;
	struct lr_task *alpha = task(t, 1), *gamma = task(t, 3);
	/* alpha: saved sp at hi - 0x400, written down to hi - 0x3f8 only. */
	for (uint64_t a = alpha->stack.lo + 8; a < alpha->stack.hi; a += 8)
		fx_put64(&t->f, a, a >= alpha->stack.hi - 0x3f8 ? 1 : LR_PAINT);
	/* gamma, on the hart at hi - 0x800, written down to hi - 0x7f8; its saved sp is stale. */
	for (uint64_t a = gamma->stack.lo + 8; a < gamma->stack.hi; a += 8)
		fx_put64(&t->f, a, a >= gamma->stack.hi - 0x7f8 ? 1 : LR_PAINT);
	struct kl_session *s = open_dump(t);
	const struct stack_info *st;
	size_t n = kl_stacks(s, &st);
	for (size_t i = 0; i < n; i++)
		if (st[i].have_used && st[i].high_water < st[i].used)
			fail_msg("%s: high-water %llu below used now %llu", st[i].owner,
				 (unsigned long long)st[i].high_water, (unsigned long long)st[i].used);
	assert_int_equal(st[1].used, 0x400);
	assert_int_equal(st[1].high_water, 0x400);
	assert_int_equal(st[3].used, 0x800);
	assert_int_equal(st[3].high_water, 0x800);
	kl_close(s);
	/* With no sp known to reach it, the paint alone: rounded to the sp's alignment. */
	alpha->saved_sp = alpha->stack.hi;
	fx_seal(&t->f);
	s = open_dump(t);
	kl_stacks(s, &st);
	assert_int_equal(st[1].high_water, 0x400);
	char *text = kl_diagram_text(s);
	assert_non_null(strstr(text, "used 1 KiB / 8 KiB"));
	kl_free(text);
	kl_close(s);
}

/* ---- skips that say ok ----------------------------------------------------------------------- */

/* A sparse core without task 2's stack: whether it overflowed cannot be told, as its lo word. */
static void sparse_dump_without_a_stack_skips_overflow(void **state)
{
	struct target *t = *state;
	t->hole_lo = task(t, 2)->stack.lo;
	t->hole_hi = task(t, 2)->stack.hi;
	struct kl_session *s = open_dump(t);
	kl_set_sparse(s, 1);
	const struct report *rep = kl_check(s, -1);
	assert_int_equal(report_violations(rep), 0);
	assert_int_equal(rep->status[inv_of("stack.lo-excluded")], CHECK_SKIP);
	assert_int_equal(rep->status[inv_of("stack.overflow")], CHECK_SKIP);
	assert_string_equal(rep->skip_reason[inv_of("stack.overflow")],
			    "sparse dump: a stack's lo words not saved");
	/* Its saved sp is in the record: stack.sp still judges it. */
	assert_int_equal(rep->status[inv_of("stack.sp")], CHECK_PASS);
	kl_close(s);
}

static void task_max_off(struct target *t) { t->f.rec->task_max = LR_MAX_TASKS - 1; fx_seal(&t->f); }
static void violation_max_off(struct target *t) { t->f.rec->violation_max = 4; fx_seal(&t->f); }
static void build_id_too_long(struct target *t) { t->f.rec->build_id_size = LR_BUILD_ID_MAX + 1; fx_seal(&t->f); }
static void unknown_flag(struct target *t) { t->f.rec->flags |= 0x4; fx_seal(&t->f); }
static void unknown_kernel_id(struct target *t)
{
	t->f.rec->violations[0] = (struct lr_violation){ .invariant = LR_INV_COUNT, .owner = 1,
							 .cause = LR_CAUSE_CHECK };
	t->f.rec->violation_count = 1;
	fx_seal(&t->f);
}

/* A record whose header is right but whose shape is not this version's: the checks that read
 * the rest of it are skipped, as for a wrong header; its checksum and generation still said. */
static void wrong_shape_skips_the_rest(void **state)
{
	static const struct {
		void (*apply)(struct target *t);
		const char *id;
	} shapes[] = {
		{ task_max_off, "record.size" }, { violation_max_off, "record.size" },
		{ build_id_too_long, "record.size" }, { unknown_flag, "record.version" },
		{ unknown_kernel_id, "record.version" },
	};
	(void)state;
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
		struct target fresh = { .reads = 0 };
		fx_init_memory(&fresh.f);
		shapes[k].apply(&fresh);
		struct kl_session *s = open_dump(&fresh);
		const struct report *rep = kl_check(s, -1);
		assert_int_equal(rep->status[inv_of(shapes[k].id)], CHECK_FAIL);
		assert_int_equal(rep->status[inv_of("record.checksum")], CHECK_PASS);
		assert_int_equal(rep->status[inv_of("record.generation")], CHECK_PASS);
		for (unsigned i = inv_of("layout.ram"); i < LR_INV_COUNT; i++) {
			if (rep->status[i] != CHECK_SKIP)
				fail_msg("case %zu: %s is %d, not skipped", k, invariant_id(i), rep->status[i]);
			assert_string_equal(rep->skip_reason[i], "the record's shape is not this version's");
		}
		assert_int_equal(report_violations(rep), 1);
		kl_close(s);
		fx_free(&fresh.f);
	}
}

/* Writes the fixture's kernel ELF to a temporary file: its path in buf. */
static void kernel_elf(struct target *t, char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/test_engine_kelf.XXXXXX");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fx_write_kelf(&t->f, buf), 0);
}

/* The same build ID cut short (build_id_size one less) is elf.build-id, not another build. */
static void build_id_prefix_is_elf_build_id(void **state)
{
	struct target *t = *state;
	char path[64], why[256];
	kernel_elf(t, path, sizeof path);
	t->f.rec->build_id_size = FX_BUILD_ID_LEN - 1;
	fx_seal(&t->f);
	struct kl_session *s = open_dump(t);
	assert_int_equal(kl_open_elf(s, path), 0);
	assert_int_equal(kl_other_build(s, why, sizeof why), 0);
	const struct violation *v = first_of(kl_check(s, -1), "elf.build-id");
	assert_non_null(v);
	assert_string_equal(v->expected, "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3");
	assert_string_equal(v->found, "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2 (build_id_size 19, the ELF's is 20)");
	kl_close(s);
	/* A byte of it different: another build. */
	t->f.rec->build_id_size = FX_BUILD_ID_LEN;
	t->f.rec->build_id[3] ^= 1;
	fx_seal(&t->f);
	s = open_dump(t);
	assert_int_equal(kl_open_elf(s, path), 0);
	assert_int_equal(kl_other_build(s, why, sizeof why), 1);
	assert_non_null(strstr(why, "not the same build"));
	kl_close(s);
	unlink(path);
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
		cmocka_unit_test_setup_teardown(overflow_is_the_root_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_lo_word_follows_the_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_overflow_is_a_root_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(halted_kernel_is_the_root_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(high_water_reaches_every_known_sp, setup, teardown),
		cmocka_unit_test_setup_teardown(sparse_dump_without_a_stack_skips_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_shape_skips_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(build_id_prefix_is_elf_build_id, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
