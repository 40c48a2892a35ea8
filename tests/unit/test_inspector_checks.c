/*
 * test_inspector_checks.c: every invariant broken on purpose in a synthetic dump, one case per
 * id: build/inspector must exit 1 and print a violation line starting with that exact id. The
 * good dump (raw and ELF core, with and without --elf) must pass with exit 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "test_inspector_fixture.h"

#define OUT_LEN 65536
static char out[OUT_LEN];

enum dump_kind { RAW, CORE };

struct breakage {
	const char *id;           /* the exact invariant id expected */
	void (*apply)(struct fixture *f);
	enum dump_kind kind;
	const char *args;         /* extra options; "%E" stands for the fixture's kernel ELF, "%B" for
				   * the static stack analysis's inputs (--su-dir, --stacks) */
	const char *also;         /* a further substring the output must hold, or NULL */
};

static struct lr_task *task(struct fixture *f, int id)
{
	return &f->rec->tasks[id - 1];
}

static void bad_magic(struct fixture *f) { f->pub->magic ^= 1; }
static void bad_version(struct fixture *f) { f->pub->version = LR_VERSION + 1; }
static void bad_size(struct fixture *f) { f->pub->size = 100; }
static void bad_checksum(struct fixture *f) { f->rec->checksum ^= 0x10; }
/* An update begun two ticks ago and never published: the kernel ran on without finishing it. */
static void abandoned_update(struct fixture *f) { f->pub->generation = 43; f->pub->pending_since = 5; }
static void ram_elsewhere(struct fixture *f) { f->rec->ram.lo = RAM_BASE - 0x1000; fx_seal(f); }
static void padding_gap(struct fixture *f) { f->rec->padding.lo += 0x100; fx_seal(f); }
static void kstack_low(struct fixture *f) { f->rec->kstack.hi -= 0x10; fx_seal(f); }
static void chain_id(struct fixture *f) { task(f, 2)->id = 7; fx_seal(f); }
static void available_off(struct fixture *f) { f->rec->available -= 0x1000; fx_seal(f); }
static void text_written(struct fixture *f) { *fx_phys(f, RAM_BASE + 0x123) ^= 0xff; }

static void sentinel_gone(struct fixture *f)
{
	fx_put64(f, task(f, 2)->stack.lo, 0);
}

static void overflowed(struct fixture *f)
{
	fx_put64(f, task(f, 2)->stack.lo, 0x1234);
	fx_put64(f, task(f, 2)->stack.lo + 8, 0x5678);
}

static void sp_misaligned(struct fixture *f) { task(f, 1)->saved_sp -= 8; fx_seal(f); }
static void nothing(struct fixture *f) { (void)f; }

static void kernel_refused(struct fixture *f)
{
	f->rec->violation_count = 1;
	f->rec->violations[0] = (struct lr_violation){ LR_INV_STACK_REFUSED, 4, 0x80102000, 0x100000,
						       0x2f3000, 0, LR_CAUSE_CHECK, 0 };
	fx_seal(f);
}

/* The kernel stopped task 2 at a store into task 1's stack (PMP, mcause 7) and recorded it. */
static void kernel_task_fault(struct fixture *f)
{
	f->rec->violation_count = 1;
	f->rec->violations[0] = (struct lr_violation){ LR_INV_TASK_ACCESS, 2, task(f, 1)->stack.lo + 0x40,
						       task(f, 2)->stack.lo, task(f, 2)->saved_sp,
						       FX_TASK_CODE_PC, 7, 0 };
	task(f, 2)->state = LR_TASK_FAULTED;
	fx_seal(f);
}

/* An update in progress (begun at the current tick): the published copy is complete. */
static void update_in_progress(struct fixture *f) { f->pub->generation = 43; f->pub->pending_since = 7; }

static void hart_on_boot_stack(struct fixture *f) { f->hart_sp = f->rec->boot_stack.hi - 0x40; }
/* A different build is unusable input (exit 2, test_inspector_errors.c); a record that lost its
 * build ID is this invariant's. */
static void no_build_id(struct fixture *f) { f->rec->build_id_size = 0; fx_seal(f); }

/* The record's task code ends a page later than the ELF's symbols say (free follows it). */
static void task_code_moved(struct fixture *f)
{
	f->rec->task_code.hi += 0x1000;
	f->rec->free.lo = f->rec->task_code.hi;
	fx_seal(f);
}

static void regions_moved(struct fixture *f)
{
	/* Still in order, so only the ELF can tell: the image is said to end 16 bytes later. */
	f->rec->boot_stack.hi += 0x10;
	f->rec->padding.lo += 0x10;
	fx_seal(f);
}

/* beta recurses 20 levels deep: 64 + 20 * 400 bytes, more than its 4 KiB (fx_write_budget). */
static void too_deep(struct fixture *f) { task(f, 2)->depth = 20; fx_seal(f); }
/* Something wrote beta's stack far below the deepest its code reaches. */
static void written_deep(struct fixture *f) { fx_put64(f, task(f, 2)->stack.lo + 16, 0x1234); }

static const struct breakage cases[] = {
	{ "record.magic", bad_magic, RAW, "", "record.checksum: skipped: the record header is not trusted" },
	{ "record.version", bad_version, RAW, "", NULL },
	{ "record.size", bad_size, CORE, "", NULL },
	{ "record.checksum", bad_checksum, RAW, "", NULL },
	{ "record.generation", abandoned_update, RAW, "", "pending since tick 5, now tick 7" },
	{ "layout.ram", ram_elsewhere, RAW, "", NULL },
	{ "layout.order", padding_gap, RAW, "", "a gap of 256 bytes" },
	{ "layout.kstack-top", kstack_low, RAW, "", NULL },
	{ "layout.chain", chain_id, RAW, "", NULL },
	{ "layout.available", available_off, RAW, "", NULL },
	{ "image.untouched", text_written, RAW, "", "text+rodata" },
	{ "image.untouched", text_written, CORE, "--elf %E", ".text: at 0x0000000080000123" },
	{ "stack.lo-excluded", sentinel_gone, RAW, "", "task 2 'beta': at 0x00000000803f9000" },
	{ "stack.overflow", overflowed, CORE, "", "task 2 'beta'" },
	{ "stack.sp", sp_misaligned, RAW, "", "task 1 'alpha'" },
	{ "stack.headroom", nothing, RAW, "--min-headroom 90", "task 1 'alpha'" },
	{ "stack.refused", kernel_refused, RAW, "", "(reported by the kernel)" },
	{ "task.access", kernel_task_fault, RAW, "", "(reported by the kernel)" },
	{ "hart.sp", hart_on_boot_stack, CORE, "", "in the boot stack" },
	{ "elf.build-id", no_build_id, CORE, "--elf %E", NULL },
	{ "elf.regions", regions_moved, RAW, "--elf %E", "boot_stack" },
	{ "elf.regions", task_code_moved, RAW, "--elf %E", "elf.regions: task code: at 0x0000000080104000" },
	{ "stack.budget", too_deep, CORE, "--elf %E %B",
	  "stack.budget: task 2 'beta': at 0x00000000803f9000: expected at least 8072 bytes: static worst case "
	  "8064 + 8 (lo word), found 4096 bytes, 3976 short, for the chain task_main 64, task_dive 400 x20" },
	{ "stack.bound", written_deep, RAW, "--elf %E %B", "stack.bound: task 2 'beta': at 0x00000000803f9010: "
	  "expected high-water at most 2064, the static worst case: task_main 64, task_dive 400 x5" },
};

/* Writes the dump of the given kind (and the kernel ELF), runs check, returns the exit code. */
static int run_check(struct fixture *f, enum dump_kind kind, const char *args)
{
	char dump[160], kelf[160], extra[1200];
	snprintf(dump, sizeof dump, "%s", fx_file(f, kind == RAW ? "dump.bin" : "dump.core"));
	snprintf(kelf, sizeof kelf, "%s", fx_file(f, "kernel.elf"));
	assert_int_equal(kind == RAW ? fx_write_raw(f, dump, 0) : fx_write_core(f, dump), 0);
	char budget[400];
	snprintf(budget, sizeof budget, "--su-dir %s/obj --stacks %s/stacks.budget", f->dir, f->dir);
	const char *e = strstr(args, "%E"), *b = strstr(args, "%B");
	if (b)
		assert_int_equal(fx_write_budget(f, f->dir), 0);
	if (e && b)
		snprintf(extra, sizeof extra, "%.*s%s%.*s%s%s", (int)(e - args), args, kelf, (int)(b - e - 2), e + 2,
			 budget, b + 2);
	else if (e)
		snprintf(extra, sizeof extra, "%.*s%s%s", (int)(e - args), args, kelf, e + 2);
	else
		snprintf(extra, sizeof extra, "%s", args);
	return fx_run(out, sizeof out, "check %s %s 2>&1", dump, extra);
}

static void each_invariant_broken_on_purpose(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fixture f;
		char prefix[64];
		fx_init(&f);
		/* The ELF is the good kernel's: written before the breakage. */
		assert_int_equal(fx_write_kelf(&f, fx_file(&f, "kernel.elf")), 0);
		cases[i].apply(&f);
		int rc = run_check(&f, cases[i].kind, cases[i].args);
		snprintf(prefix, sizeof prefix, "%s: ", cases[i].id);
		if (rc != 1 || fx_count_lines(out, prefix) == 0 ||
		    (cases[i].also && !strstr(out, cases[i].also)))
			print_error("case %zu (%s):\n%s\n", i, cases[i].id, out);
		assert_int_equal(rc, 1);
		assert_true(fx_count_lines(out, prefix) >= 1);
		if (cases[i].also)
			assert_non_null(strstr(out, cases[i].also));
		fx_free(&f);
	}
}

static void every_id_has_a_case(void **state)
{
	(void)state;
#define ID(name, id, text) id,
	static const char *const ids[] = { LR_INVARIANTS(ID) };
#undef ID
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		size_t j = 0;
		while (j < sizeof cases / sizeof cases[0] && strcmp(cases[j].id, ids[i]) != 0)
			j++;
		if (j == sizeof cases / sizeof cases[0])
			fail_msg("no test breaks %s", ids[i]);
	}
}

static void good_dumps_pass(void **state)
{
	(void)state;
	static const struct {
		enum dump_kind kind;
		const char *args;
		const char *summary;
	} good[] = {
		{ RAW, "", "16 checks, 0 violations" },
		{ CORE, "", "17 checks, 0 violations" },
		{ CORE, "--elf %E --min-headroom 50 -v", "20 checks, 0 violations" },
		{ CORE, "--elf %E %B -v", "stack.bound: ok: no stack's high-water exceeds its static worst case" },
		{ RAW, "--format json", "\"verdict\": \"pass\"" },
		{ CORE, "--format junit --elf %E", "failures=\"0\"" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct fixture f;
		fx_init(&f);
		assert_int_equal(fx_write_kelf(&f, fx_file(&f, "kernel.elf")), 0);
		int rc = run_check(&f, good[i].kind, good[i].args);
		if (rc != 0 || !strstr(out, good[i].summary))
			print_error("good case %zu:\n%s\n", i, out);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(out, good[i].summary));
		fx_free(&f);
	}
}

static void chain_gap(struct fixture *f) { task(f, 2)->stack.hi -= 0x40; fx_seal(f); }
static void sp_in_data(struct fixture *f) { task(f, 1)->saved_sp = f->rec->data.lo + 0x100; fx_seal(f); }

/* One fault, one id: a gap between stacks is the chain's, a foreign sp is not an overflow. */
static void each_fault_reports_only_its_own_id(void **state)
{
	(void)state;
	static const struct breakage only[] = {
		{ "layout.chain", chain_gap, RAW, "", NULL },
		{ "stack.sp", sp_in_data, RAW, "", NULL },
		{ "record.generation", abandoned_update, RAW, "", NULL },
		{ "stack.lo-excluded", sentinel_gone, CORE, "", NULL },
	};
	for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
		struct fixture f;
		char prefix[64];
		fx_init(&f);
		only[i].apply(&f);
		assert_int_equal(run_check(&f, only[i].kind, only[i].args), 1);
		snprintf(prefix, sizeof prefix, "%s: ", only[i].id);
		if (fx_count_lines(out, prefix) != 1 || !strstr(out, " checks, 1 violation\n"))
			fail_msg("%s alone expected:\n%s", only[i].id, out);
		fx_free(&f);
	}
}

/*
 * The overflow.conf case (fx_overflow): one root cause. Every format lists the stack.sp finding
 * as a follow-on of the overflow, and the summaries count it apart.
 */
static void overflow_follow_ons_in_every_format(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	fx_overflow(&f, 2);
	assert_int_equal(run_check(&f, CORE, ""), 1);
	if (fx_count_lines(out, "stack.sp: task 2 'beta': at 0x00000000803f8fc0: expected 16-byte aligned, "
			       "in (0x803f9000, 0x803fa000], found 0x00000000803f8fc0 (follows "
			       "stack.overflow of task 2 'beta')") != 1 ||
	    fx_count_lines(out, "stack.overflow: task 2 'beta': at 0x00000000803f8fc0: expected sp above lo "
			       "0x803f9000, found 0x00000000803f8fc0: reached depth 5 of 5, needed at "
			       "least 4160 bytes, 4088 usable") != 1 ||
	    !strstr(out, ": 17 checks, 3 violations (1 follow-on)\n"))
		fail_msg("text:\n%s", out);
	assert_int_equal(run_check(&f, CORE, "--format json"), 1);
	if (!strstr(out, "\"source\": \"inspector\", \"follows\": {\"id\": \"stack.overflow\", "
			 "\"region\": \"task 2 'beta'\"}}") ||
	    !strstr(out, "\"summary\": {\"checks\": 17, \"violations\": 3, \"follow_ons\": 1, "
			 "\"verdict\": \"fail\"}"))
		fail_msg("JSON:\n%s", out);
	assert_int_equal(run_check(&f, CORE, "--format junit"), 1);
	if (!strstr(out, "<failure message=\"1 violation of stack.sp (1 follow-on)\"") ||
	    !strstr(out, "(follows stack.overflow of task 2 &apos;beta&apos;)\n</failure>"))
		fail_msg("JUnit:\n%s", out);
	fx_free(&f);
}

static void raw_dump_skips_hart_sp(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	assert_int_equal(run_check(&f, RAW, ""), 0);
	assert_int_equal(fx_count_lines(out, "hart.sp: skipped: raw dump"), 1);
	fx_free(&f);
}

/* A raw image of RAM from 1 MiB up: --base says where it starts. */
static void base_places_a_raw_dump(void **state)
{
	(void)state;
	struct fixture f;
	char path[160];
	fx_init(&f);
	snprintf(path, sizeof path, "%s", fx_file(&f, "upper.bin"));
	assert_int_equal(fx_write_bytes(path, fx_phys(&f, RECORD_ADDR), FX_RAM_END - RECORD_ADDR), 0);
	/* Read as starting at RAM_BASE, RECORD_ADDR falls on free memory: no record there. */
	assert_int_equal(fx_run(out, sizeof out, "check %s 2>&1", path), 1);
	assert_int_equal(fx_count_lines(out, "record.magic: record: "), 1);
	assert_int_equal(fx_run(out, sizeof out, "check %s --base %#llx 2>&1", path,
				(unsigned long long)RECORD_ADDR), 1);
	/* The record and stacks are found; what the dump lacks is the image below it. */
	assert_int_equal(fx_count_lines(out, "layout.ram: record: "), 1);
	assert_int_equal(fx_count_lines(out, "image.untouched: text+rodata: "), 1);
	assert_int_equal(fx_count_lines(out, "stack.lo-excluded: "), 0);
	assert_int_equal(fx_run(out, sizeof out, "stacks %s --base %#llx", path,
				(unsigned long long)RECORD_ADDR), 0);
	fx_free(&f);
}

static void an_update_in_progress_passes(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	update_in_progress(&f);
	int rc = run_check(&f, RAW, "");
	if (rc != 0)
		print_error("%s\n", out);
	assert_int_equal(rc, 0);
	fx_free(&f);
}

static void dropped_kernel_violations_are_counted(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	kernel_refused(&f);
	f.rec->violation_count = LR_MAX_VIOLATIONS + 5;
	for (int i = 1; i < LR_MAX_VIOLATIONS; i++)
		f.rec->violations[i] = f.rec->violations[0];
	fx_seal(&f);
	assert_int_equal(run_check(&f, RAW, ""), 1);
	assert_non_null(strstr(out, "37 violations seen, 32 kept in the record, 5 dropped"));
	assert_non_null(strstr(out, ": 16 checks, 37 violations"));
	fx_free(&f);
}

static void sp_checks_skip_the_running_task(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	task(&f, 3)->saved_sp = 0x1234; /* stale while RUNNING: not judged */
	fx_seal(&f);
	assert_int_equal(run_check(&f, CORE, ""), 0);
	task(&f, 3)->state = LR_TASK_READY; /* now it is, with the kernel on the hart */
	f.rec->current = 0;
	fx_seal(&f);
	assert_int_equal(run_check(&f, CORE, ""), 1);
	assert_true(fx_count_lines(out, "stack.sp: task 3 'gamma'") == 1);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_id_has_a_case),
		cmocka_unit_test(good_dumps_pass),
		cmocka_unit_test(each_invariant_broken_on_purpose),
		cmocka_unit_test(each_fault_reports_only_its_own_id),
		cmocka_unit_test(raw_dump_skips_hart_sp),
		cmocka_unit_test(base_places_a_raw_dump),
		cmocka_unit_test(dropped_kernel_violations_are_counted),
		cmocka_unit_test(an_update_in_progress_passes),
		cmocka_unit_test(sp_checks_skip_the_running_task),
		cmocka_unit_test(overflow_follow_ons_in_every_format),
	};
	return cmocka_run_group_tests_name("inspector checks", tests, NULL, NULL);
}
