/*
 * check_layout.c: the layout.* invariants, i.e. that the record draws the design document's
 * diagram: RAM as the dump has it, regions in order without overlap or gap, the kernel stack at
 * the top, task stacks chained below it, `available` at the bottom of the chain.
 */
#include <inttypes.h>
#include "engine.h"

/* Alignment the linker may leave between the image's sections. */
#define IMAGE_GAP_MAX 16

static void check_ram(struct check_ctx *c)
{
	/* A dump knows its RAM: a sparse core's note, else the segment holding RECORD_ADDR. */
	struct lr_range ram, want = c->r->ram;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	uint64_t word;
	if (kl_ram(c->s, &ram)) {
		if (want.lo != ram.lo || want.hi != ram.hi)
			report_fail(c->rep, LR_INV_LAYOUT_RAM, SOURCE_INSPECTOR, "record", want.lo,
				    range_str(e, sizeof e, ram), range_str(f, sizeof f, want));
	} else {
		/* A live target hides its RAM size (QEMU's gdbstub): the record's RAM must be readable. */
		uint64_t ends[2] = { want.lo, want.hi - 8 };
		for (int i = 0; i < 2; i++)
			if (want.hi <= want.lo || kl_read_u64(c->s, ends[i], &word) != 0) {
				snprintf(e, sizeof e, "RAM readable in %s", range_str(f, sizeof f, want));
				snprintf(f, sizeof f, "0x%" PRIx64 " unreadable", ends[i]);
				report_fail(c->rep, LR_INV_LAYOUT_RAM, SOURCE_INSPECTOR, "record", want.lo, e, f);
				break;
			}
	}
	report_pass(c->rep, LR_INV_LAYOUT_RAM);
}

/* One region against RAM and against the region just below it. */
static void check_region(struct check_ctx *c, const struct region *g, const struct region *below)
{
	const struct lr_range ram = c->r->ram;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];

	if (g->range.hi < g->range.lo) {
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, g->name, g->range.lo,
			    "lo <= hi", range_str(f, sizeof f, g->range));
		return;
	}
	if (g->range.lo < ram.lo || g->range.hi > ram.hi) {
		snprintf(e, sizeof e, "inside RAM %s", range_str(f, sizeof f, ram));
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, g->name, g->range.lo, e,
			    range_str(f, sizeof f, g->range));
	}
	/* Between two stacks the order is the allocator's chain: layout.chain reports it. */
	if (!below || (g->is_stack && below->is_stack))
		return;
	uint64_t end = below->range.hi;
	uint64_t gap_max = g->in_image ? IMAGE_GAP_MAX : 0;
	if (g->range.lo < end) {
		snprintf(e, sizeof e, "lo >= 0x%" PRIx64 " (%s hi)", end, below->name);
		snprintf(f, sizeof f, "0x%" PRIx64 ", overlapping %s", g->range.lo, below->name);
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, g->name, g->range.lo, e, f);
	} else if (g->range.lo - end > gap_max) {
		snprintf(e, sizeof e, "lo 0x%" PRIx64 " (%s hi)", end, below->name);
		snprintf(f, sizeof f, "0x%" PRIx64 ", a gap of %" PRIu64 " bytes", g->range.lo,
			 g->range.lo - end);
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, g->name, g->range.lo, e, f);
	}
}

static void check_order(struct check_ctx *c)
{
	struct region regions[REGIONS_MAX];
	size_t n = record_regions(c->r, regions);
	const struct lr_range want_record = { RECORD_ADDR, RECORD_ADDR + RECORD_SIZE };
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];

	/* The two fixed points of memlayout.h: the image from RAM_BASE, the record at RECORD_ADDR. */
	if (c->r->text.lo != RAM_BASE)
		report_fail_hex(c->rep, LR_INV_LAYOUT_ORDER, "text", c->r->text.lo, RAM_BASE, c->r->text.lo);
	if (c->r->record.lo != want_record.lo || c->r->record.hi != want_record.hi)
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, "record", c->r->record.lo,
			    range_str(e, sizeof e, want_record), range_str(f, sizeof f, c->r->record));
	if (c->r->task_count > LR_MAX_TASKS) {
		snprintf(e, sizeof e, "task_count <= %u", LR_MAX_TASKS);
		snprintf(f, sizeof f, "%u", c->r->task_count);
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, "record",
			    kl_record_addr(c->s) + offsetof(struct layout_record, task_count), e, f);
	}
	/* The device tree is dead after boot and may lie under a stack, but it was in RAM. */
	const struct lr_range dtb = c->r->dtb, ram = c->r->ram;
	if (dtb.hi < dtb.lo || dtb.lo < ram.lo || dtb.hi > ram.hi) {
		snprintf(e, sizeof e, "inside RAM %s", range_str(f, sizeof f, ram));
		report_fail(c->rep, LR_INV_LAYOUT_ORDER, SOURCE_INSPECTOR, "dtb", dtb.lo, e,
			    range_str(f, sizeof f, dtb));
	}
	for (size_t i = 0; i < n; i++)
		check_region(c, &regions[i], i ? &regions[i - 1] : NULL);
	report_pass(c->rep, LR_INV_LAYOUT_ORDER);
}

static void check_chain(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	uint64_t above_lo = r->kstack.lo;
	char e[24], f[24], region[48], name[LR_NAME_LEN + 1];

	if (r->kstack.hi != r->ram.hi)
		report_fail_hex(c->rep, LR_INV_LAYOUT_KSTACK_TOP, "kernel stack", r->kstack.hi, r->ram.hi,
				r->kstack.hi);
	report_pass(c->rep, LR_INV_LAYOUT_KSTACK_TOP);

	for (uint32_t i = 0; i < record_task_count(r); i++) {
		const struct lr_task *t = &r->tasks[i];
		snprintf(region, sizeof region, "task %u '%s'", t->id, task_name(name, t));
		if (t->id != i + 1) {
			snprintf(e, sizeof e, "id %u", i + 1);
			snprintf(f, sizeof f, "id %u", t->id);
			report_fail(c->rep, LR_INV_LAYOUT_CHAIN, SOURCE_INSPECTOR, region, t->stack.hi, e, f);
		}
		if (t->stack.hi != above_lo)
			report_fail_hex(c->rep, LR_INV_LAYOUT_CHAIN, region, t->stack.hi, above_lo, t->stack.hi);
		above_lo = t->stack.lo;
	}
	report_pass(c->rep, LR_INV_LAYOUT_CHAIN);

	/* above_lo is now the lowest stack's lo, where the allocator must stand. */
	if (r->available != above_lo)
		report_fail_hex(c->rep, LR_INV_LAYOUT_AVAILABLE, "record",
				kl_record_addr(c->s) + offsetof(struct layout_record, available), above_lo, r->available);
	report_pass(c->rep, LR_INV_LAYOUT_AVAILABLE);
}

void check_layout(struct check_ctx *c)
{
	check_ram(c);
	check_order(c);
	check_chain(c);
}
