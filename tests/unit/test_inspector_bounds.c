/*
 * test_inspector_bounds.c: every comparison of the checks and readers on its boundary: the
 * value that just holds, and the one just past it (a saved sp at lo and 16 above, headroom at
 * --min-headroom and one above, an image gap of 16 and 17...).
 * Also what QEMU never makes but other tools do: a core whose p_vaddr is not its p_paddr, a
 * build ID that is a prefix of the other, violation_max below the table, an unknown invariant
 * id just past the table. And the record fields docs/record-fields.md lists as checked only
 * since that review: table sizes, flags, dtb, paint, states against current, switches.
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "test_inspector_fixture.h"

static char out[65536];

enum dump_kind { RAW, CORE, CORE_VADDR, RAW_CUT_IN_STACK, RAW_CUT_7, RAW_CUT_8 };

struct bound {
	const char *name;
	void (*apply)(struct fixture *f);
	enum dump_kind kind;
	const char *args;     /* extra options; "%E" is the fixture's kernel ELF (written before apply) */
	int rc;               /* expected exit status */
	const char *line;     /* a line that must start with this, or NULL */
	const char *absent;   /* text the output must not hold, or NULL */
};

static struct lr_task *task(struct fixture *f, int id) { return &f->rec->tasks[id - 1]; }
static uint64_t hi_of(struct fixture *f, int id) { return task(f, id)->stack.hi; }
static uint64_t lo_of(struct fixture *f, int id) { return task(f, id)->stack.lo; }

static void nothing(struct fixture *f) { (void)f; }
#define SEALED(fn, ...) static void fn(struct fixture *f) { __VA_ARGS__; fx_seal(f); }

/* stack.sp: (lo, hi], 16-aligned (the full context is in the task's frame, not on its stack). */
SEALED(sp_at_lo, task(f, 1)->saved_sp = lo_of(f, 1))
SEALED(sp_above_lo, task(f, 1)->saved_sp = lo_of(f, 1) + 16)
SEALED(sp_below_lo, task(f, 1)->saved_sp = lo_of(f, 1) - 16)
SEALED(sp_at_hi, task(f, 1)->saved_sp = hi_of(f, 1))

/* Tasks' states against current, and switch counts. */
SEALED(current_past_tasks, f->rec->current = 4; task(f, 3)->state = LR_TASK_READY)
SEALED(current_last_task, (void)0)
SEALED(current_kernel_task_running, f->rec->current = 0)
SEALED(current_other, f->rec->current = 2)
SEALED(new_with_switches, task(f, 1)->state = LR_TASK_NEW)
SEALED(new_without_switches, task(f, 1)->state = LR_TASK_NEW; task(f, 1)->switches = 0)
SEALED(ready_without_switches, task(f, 2)->switches = 0)
SEALED(states_mid_update, f->rec->current = 2; f->rec->generation = 43)
SEALED(state_faulted, task(f, 2)->state = LR_TASK_FAULTED)
SEALED(state_past_faulted, task(f, 2)->state = LR_TASK_FAULTED + 1)

/* Table sizes, flags and the build ID's length. */
SEALED(task_max_below, f->rec->task_max = LR_MAX_TASKS - 1)
SEALED(task_max_above, f->rec->task_max = LR_MAX_TASKS + 1)
SEALED(violation_max_below, f->rec->violation_max = LR_MAX_VIOLATIONS - 1)
SEALED(build_id_size_max, f->rec->build_id_size = LR_BUILD_ID_MAX)
SEALED(build_id_size_past, f->rec->build_id_size = LR_BUILD_ID_MAX + 1)
SEALED(flags_known, f->rec->flags = LR_FLAG_READY | LR_FLAG_HALTED)
SEALED(flags_unknown, f->rec->flags = LR_FLAG_READY | 0x4)
SEALED(task_count_past, f->rec->task_count = LR_MAX_TASKS + 1)

/* dtb inside RAM, up to its very end; paint. */
SEALED(dtb_at_ram_end, f->rec->dtb = (struct lr_range){ FX_RAM_END - 0x1000, FX_RAM_END })
SEALED(dtb_at_ram_start, f->rec->dtb = (struct lr_range){ RAM_BASE, RAM_BASE + 0x1000 })
SEALED(dtb_past_ram_end, f->rec->dtb = (struct lr_range){ FX_RAM_END - 0x1000, FX_RAM_END + 1 })
SEALED(dtb_below_ram, f->rec->dtb = (struct lr_range){ RAM_BASE - 1, RAM_BASE + 0x1000 })
SEALED(dtb_reversed, f->rec->dtb = (struct lr_range){ RAM_BASE + 0x2000, RAM_BASE + 0x1000 })
SEALED(paint_changed, f->rec->paint = LR_PAINT ^ 1)

/* layout.order: the image's alignment gaps up to 16 bytes. */
SEALED(image_gap_16, f->rec->data.lo += 16)
SEALED(image_gap_17, f->rec->data.lo += 17)
SEALED(padding_gap_1, f->rec->padding.lo += 1)

/* The kernel's violations: the last id of the table, the first past it. */
static void kernel_says(struct fixture *f, uint32_t inv, uint32_t count, uint32_t max)
{
	f->rec->violation_count = count;
	f->rec->violation_max = max;
	for (uint32_t i = 0; i < LR_MAX_VIOLATIONS; i++)
		f->rec->violations[i] = (struct lr_violation){ .invariant = inv, .addr = 0x80000000, .expected = 1,
								.found = 2, .cause = LR_CAUSE_CHECK };
	fx_seal(f);
}
static void last_known_id(struct fixture *f) { kernel_says(f, LR_INV_COUNT - 1, 1, LR_MAX_VIOLATIONS); }
static void first_unknown_id(struct fixture *f) { kernel_says(f, LR_INV_COUNT, 1, LR_MAX_VIOLATIONS); }
static void all_kept(struct fixture *f) { kernel_says(f, LR_INV_STACK_REFUSED, LR_MAX_VIOLATIONS, LR_MAX_VIOLATIONS); }
static void one_dropped(struct fixture *f) { kernel_says(f, LR_INV_STACK_REFUSED, LR_MAX_VIOLATIONS + 1, LR_MAX_VIOLATIONS); }

/* elf.build-id: one a prefix of the other is not the same ID. */
SEALED(build_id_prefix, f->rec->build_id_size = FX_BUILD_ID_LEN - 1)
SEALED(build_id_longer, f->rec->build_id_size = FX_BUILD_ID_LEN + 1)

/* hart.sp: (lo, hi] of some stack. */
static void hart_at_kstack_hi(struct fixture *f) { f->hart_sp = FX_RAM_END; }
static void hart_at_lowest_lo(struct fixture *f) { f->hart_sp = lo_of(f, 3); }
static void hart_above_ram(struct fixture *f) { f->hart_sp = FX_RAM_END + 16; }

static const struct bound bounds[] = {
	{ "saved sp at lo", sp_at_lo, RAW, "", 1, "stack.sp: task 1 'alpha'", "stack.overflow: " },
	{ "saved sp 16 above lo", sp_above_lo, RAW, "", 0, NULL, NULL },
	{ "saved sp 16 below lo", sp_below_lo, RAW, "", 1, "stack.overflow: task 1 'alpha'", NULL },
	{ "saved sp at hi (an empty stack: a new task)", sp_at_hi, RAW, "", 0, NULL, NULL },
	{ "current past the tasks", current_past_tasks, RAW, "", 1, "stack.sp: record", NULL },
	{ "current is the running task", current_last_task, RAW, "", 0, NULL, NULL },
	{ "current 0 with a task running", current_kernel_task_running, RAW, "", 1, "stack.sp: task 3 'gamma'", NULL },
	{ "current names a task not running", current_other, RAW, "", 1, "stack.sp: task 2 'beta'", NULL },
	{ "new after switches", new_with_switches, RAW, "", 1, "stack.sp: task 1 'alpha'", NULL },
	{ "new before any switch", new_without_switches, RAW, "", 0, NULL, NULL },
	{ "ready without a switch", ready_without_switches, RAW, "", 1, "stack.sp: task 2 'beta'", NULL },
	{ "states mid-update are not judged", states_mid_update, RAW, "", 1, "record.generation", "stack.sp: " },
	{ "state faulted, the last known", state_faulted, RAW, "", 0, NULL, NULL },
	{ "state past faulted", state_past_faulted, RAW, "", 1, "stack.sp: task 2 'beta'", NULL },
	{ "task_max below the table", task_max_below, RAW, "", 1, "record.size: record", NULL },
	{ "task_max above the table", task_max_above, RAW, "", 1, "record.size: record", NULL },
	{ "violation_max below the table", violation_max_below, RAW, "", 1, "record.size: record", NULL },
	{ "build_id_size at the array's size", build_id_size_max, RAW, "", 0, NULL, NULL },
	{ "build_id_size past the array", build_id_size_past, RAW, "", 1, "record.size: record", NULL },
	{ "flags all known", flags_known, RAW, "", 0, NULL, NULL },
	{ "an unknown flag", flags_unknown, RAW, "", 1, "record.version: record", NULL },
	{ "task_count past the table", task_count_past, RAW, "", 1, "layout.order: record", NULL },
	{ "dtb up to the end of RAM", dtb_at_ram_end, RAW, "", 0, NULL, NULL },
	{ "dtb from the start of RAM", dtb_at_ram_start, RAW, "", 0, NULL, NULL },
	{ "dtb one byte past RAM", dtb_past_ram_end, RAW, "", 1, "layout.order: dtb", NULL },
	{ "dtb one byte below RAM", dtb_below_ram, RAW, "", 1, "layout.order: dtb", NULL },
	{ "dtb reversed", dtb_reversed, RAW, "", 1, "layout.order: dtb", NULL },
	{ "paint not LR_PAINT", paint_changed, RAW, "", 1, "stack.overflow: record", NULL },
	{ "image gap of 16", image_gap_16, RAW, "", 0, NULL, NULL },
	{ "image gap of 17", image_gap_17, RAW, "", 1, "layout.order: data", NULL },
	{ "padding one byte off", padding_gap_1, RAW, "", 1, "layout.order: padding", NULL },
	{ "headroom exactly at the minimum", nothing, RAW, "--min-headroom 81", 0, NULL, NULL },
	{ "headroom one below the minimum", nothing, RAW, "--min-headroom 82", 1,
	  "stack.headroom: task 1 'alpha'", NULL },
	{ "the last invariant id", last_known_id, RAW, "", 1, "stack.bound: kernel", "record.version: " },
	{ "the first id past the table", first_unknown_id, RAW, "", 1, "record.version: kernel", NULL },
	{ "violation_count at violation_max", all_kept, RAW, "", 1, "stack.refused", " 1 dropped" },
	/* The same ID one byte shorter or longer: not another build (exit 2) but a record whose
	 * build_id_size is wrong, elf.build-id's. */
	{ "build ID a prefix of the ELF's", build_id_prefix, CORE, "--elf %E", 1,
	  "elf.build-id: record: at 0x0000000080100060: expected b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3, "
	  "found b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2 (build_id_size 19, the ELF's is 20)", "not the same build" },
	{ "the ELF's build ID a prefix", build_id_longer, CORE, "--elf %E", 1,
	  "elf.build-id: record: at 0x0000000080100060: expected b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3, "
	  "found b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c300 (build_id_size 21, the ELF's is 20)", "not the same build" },
	{ "hart sp at the kernel stack's hi", hart_at_kstack_hi, CORE, "", 0, NULL, NULL },
	{ "hart sp at the lowest lo", hart_at_lowest_lo, CORE, "", 1, "hart.sp: hart 0", NULL },
	{ "hart sp above RAM", hart_above_ram, CORE, "", 1, "hart.sp: hart 0", NULL },
	{ "core with p_vaddr != p_paddr", nothing, CORE_VADDR, "--elf %E", 0, NULL, NULL },
	{ "raw dump ending inside a stack", nothing, RAW_CUT_IN_STACK, "", 1, "layout.ram: record", NULL },
	{ "raw dump ending inside a stack: its lo word", nothing, RAW_CUT_IN_STACK, "", 1,
	  "stack.lo-excluded: kernel stack: at 0x00000000803fc000: expected the sentinel, found not in the dump", NULL },
	{ "raw dump ending one byte short of a lo word", nothing, RAW_CUT_7, "", 1,
	  "stack.lo-excluded: kernel stack: at 0x00000000803fc000: expected the sentinel, found not in the dump", NULL },
	{ "raw dump ending right after a lo word", nothing, RAW_CUT_8, "", 1, "layout.ram: record",
	  "stack.lo-excluded: kernel stack" },
};

/* The core's RAM segment (the third program header) read at another virtual address. */
static int move_vaddr(const char *path)
{
	Elf64_Phdr ph;
	FILE *fp = fopen(path, "r+b");
	long at = (long)(sizeof(Elf64_Ehdr) + 2 * sizeof ph);
	if (!fp)
		return -1;
	int bad = fseek(fp, at, SEEK_SET) || fread(&ph, sizeof ph, 1, fp) != 1;
	ph.p_vaddr = 0xffffffff00000000ULL + ph.p_paddr;
	bad = bad || fseek(fp, at, SEEK_SET) || fwrite(&ph, sizeof ph, 1, fp) != 1;
	return fclose(fp) || bad ? -1 : 0;
}

static int run_check(struct fixture *f, enum dump_kind kind, const char *args)
{
	char dump[160], kelf[160], extra[400];
	snprintf(dump, sizeof dump, "%s", fx_file(f, kind == CORE || kind == CORE_VADDR ? "dump.core" : "dump.bin"));
	snprintf(kelf, sizeof kelf, "%s", fx_file(f, "kernel.elf"));
	if (kind == RAW)
		assert_int_equal(fx_write_raw(f, dump, 0), 0);
	else if (kind == RAW_CUT_IN_STACK) /* ends inside the kernel stack's lo word */
		assert_int_equal(fx_write_raw(f, dump, FX_KSTACK_LO + 4 - RAM_BASE), 0);
	else if (kind == RAW_CUT_7 || kind == RAW_CUT_8) /* one byte short of the lo word, or all of it */
		assert_int_equal(fx_write_raw(f, dump, FX_KSTACK_LO + (kind == RAW_CUT_7 ? 7 : 8) - RAM_BASE), 0);
	else
		assert_int_equal(fx_write_core(f, dump), 0);
	if (kind == CORE_VADDR)
		assert_int_equal(move_vaddr(dump), 0);
	const char *e = strstr(args, "%E");
	if (e)
		snprintf(extra, sizeof extra, "%.*s%s%s", (int)(e - args), args, kelf, e + 2);
	else
		snprintf(extra, sizeof extra, "%s", args);
	return fx_run(out, sizeof out, "check %s %s 2>&1", dump, extra);
}

static void each_boundary(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		const struct bound *b = &bounds[i];
		struct fixture f;
		fx_init(&f);
		assert_int_equal(fx_write_kelf(&f, fx_file(&f, "kernel.elf")), 0);
		b->apply(&f);
		int rc = run_check(&f, b->kind, b->args);
		if (rc != b->rc || (b->line && fx_count_lines(out, b->line) == 0) ||
		    (b->absent && strstr(out, b->absent))) {
			print_error("boundary '%s': exit %d (want %d), want a line '%s'%s%s:\n%s\n", b->name, rc,
				    b->rc, b->line ? b->line : "-", b->absent ? ", none starting " : "",
				    b->absent ? b->absent : "", out);
			bad++;
		}
		fx_free(&f);
	}
	assert_int_equal(bad, 0);
}

/*
 * violation_max below the table: a record that is not this version's shape (record.size), so
 * the checks skip the rest of it, the kernel's entries too; `record` lists the ones it keeps.
 * At the table's size, the entries past it are counted as dropped.
 */
static void violation_max_bounds_what_is_kept(void **state)
{
	(void)state;
	struct fixture f;
	fx_init(&f);
	kernel_says(&f, LR_INV_STACK_REFUSED, 10, 4);
	assert_int_equal(run_check(&f, RAW, ""), 1);
	if (fx_count_lines(out, "record.size: record: ") != 1 ||
	    fx_count_lines(out, "stack.refused: skipped: the record's shape is not this version's") != 1 ||
	    fx_count_lines(out, "layout.order: skipped: the record's shape is not this version's") != 1 ||
	    !strstr(out, " checks, 1 violation\n"))
		fail_msg("shape:\n%s", out);
	char dump[160];
	snprintf(dump, sizeof dump, "%s", fx_file(&f, "dump.bin"));
	assert_int_equal(fx_run(out, sizeof out, "record %s 2>&1", dump), 0);
	assert_int_equal(fx_count_lines(out, "violation["), 4 * 7);
	fx_free(&f);
	fx_init(&f);
	one_dropped(&f);
	assert_int_equal(run_check(&f, RAW, ""), 1);
	assert_non_null(strstr(out, "33 violations seen, 32 kept in the record, 1 dropped"));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_boundary),
		cmocka_unit_test(violation_max_bounds_what_is_kept),
	};
	return cmocka_run_group_tests_name("inspector boundaries", tests, NULL, NULL);
}
