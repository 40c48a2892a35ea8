/*
 * check_stacks.c: the stack.* invariants (the design document's excluded lo words and what the
 * paint and saved sps tell) and hart.sp, all from the measurements of stacks.c.
 */
#include <inttypes.h>
#include "inspector.h"

static int sp_inside(uint64_t sp, struct lr_range g)
{
	return sp > g.lo && sp <= g.hi;
}

/* Whether stack.sp judges this stack's saved sp: a running task's saved sp is stale. */
static int saved_sp_meaningful(const struct check_ctx *c, const struct stack_info *s)
{
	if (s->id != 0)
		return s->state != LR_TASK_RUNNING;
	if (c->r->current == 0)
		return 1;
	for (size_t i = 1; i < c->nstacks; i++)
		if (c->stacks[i].state == LR_TASK_RUNNING)
			return 1;
	return 0;
}

static void check_lo_excluded(struct check_ctx *c, const struct stack_info *s)
{
	if (!s->have_lo_word)
		report_fail(c->rep, LR_INV_STACK_LO_EXCLUDED, SOURCE_INSPECTOR, s->owner, s->range.lo,
			    "the sentinel", "not in the dump");
	else if (s->lo_word != c->r->sentinel)
		report_fail_hex(c->rep, LR_INV_STACK_LO_EXCLUDED, s->owner, s->range.lo, c->r->sentinel,
				s->lo_word);
}

/*
 * A stack that ran over its lo leaves its sp in what lies below it: another stack or the free
 * area, never under the record's end. An sp in the image or the record is not an overflow but
 * a foreign sp, which stack.sp reports.
 */
static int sp_overflowed(const struct check_ctx *c, const struct stack_info *s)
{
	return saved_sp_meaningful(c, s) && s->saved_sp < s->range.lo && s->saved_sp >= c->r->free.lo;
}

static void check_overflow(struct check_ctx *c, const struct stack_info *s)
{
	char e[64], f[24];
	if (sp_overflowed(c, s)) {
		snprintf(e, sizeof e, "sp above lo 0x%" PRIx64, s->range.lo);
		report_fail(c->rep, LR_INV_STACK_OVERFLOW, SOURCE_INSPECTOR, s->owner, s->saved_sp, e,
			    hex64(f, s->saved_sp));
	}
	/* A broken sentinel alone may be a stray write; with the word above it used, the stack ran over. */
	if (s->have_lo_word && !s->sentinel_ok && s->have_lo_next &&
	    s->lo_next_word != c->r->paint)
		report_fail_hex(c->rep, LR_INV_STACK_OVERFLOW, s->owner, s->range.lo + 8, c->r->paint,
				s->lo_next_word);
}

static void check_sp(struct check_ctx *c, const struct stack_info *s)
{
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	if (s->id != 0 && s->state > LR_TASK_FAULTED) {
		snprintf(e, sizeof e, "a state <= %u", LR_TASK_FAULTED);
		snprintf(f, sizeof f, "state %u", s->state);
		report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, s->owner, s->saved_sp, e, f);
		return;
	}
	if (!saved_sp_meaningful(c, s))
		return;
	if (!sp_inside(s->saved_sp, s->range) || s->saved_sp % STACK_ALIGN != 0) {
		snprintf(e, sizeof e, "16-byte aligned, in (0x%" PRIx64 ", 0x%" PRIx64 "]", s->range.lo,
			 s->range.hi);
		report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, s->owner, s->saved_sp, e,
			    hex64(f, s->saved_sp));
	}
}

static void check_headroom(struct check_ctx *c, const struct stack_info *s)
{
	char e[32], f[64];
	uint64_t size = s->range.hi > s->range.lo ? s->range.hi - s->range.lo : 0;
	snprintf(e, sizeof e, "%d%% unused", c->min_headroom);
	if (!s->have_paint) {
		report_fail(c->rep, LR_INV_STACK_HEADROOM, SOURCE_INSPECTOR, s->owner, s->range.lo, e,
			    "stack not in the dump");
		return;
	}
	unsigned pct = stack_headroom_pct(s);
	if (pct < (unsigned)c->min_headroom) {
		snprintf(f, sizeof f, "%u%% unused (%" PRIu64 " of %" PRIu64 " bytes used)", pct,
			 s->high_water, size);
		report_fail(c->rep, LR_INV_STACK_HEADROOM, SOURCE_INSPECTOR, s->owner,
			    s->range.hi - s->high_water, e, f);
	}
}

void check_stacks(struct check_ctx *c)
{
	if (c->r->sentinel != LR_SENTINEL)
		report_fail_hex(c->rep, LR_INV_STACK_LO_EXCLUDED, "record",
				record_copy_addr + offsetof(struct layout_record, sentinel), LR_SENTINEL,
				c->r->sentinel);
	for (size_t i = 0; i < c->nstacks; i++) {
		const struct stack_info *s = &c->stacks[i];
		check_lo_excluded(c, s);
		check_overflow(c, s);
		check_sp(c, s);
		if (c->min_headroom >= 0)
			check_headroom(c, s);
	}
	report_pass(c->rep, LR_INV_STACK_LO_EXCLUDED);
	report_pass(c->rep, LR_INV_STACK_OVERFLOW);
	report_pass(c->rep, LR_INV_STACK_SP);
	if (c->min_headroom >= 0)
		report_pass(c->rep, LR_INV_STACK_HEADROOM);
	else
		report_skip(c->rep, LR_INV_STACK_HEADROOM, "no --min-headroom given");
}

void check_hart(struct check_ctx *c)
{
	char region[32], f[64];
	if (c->d->format == DUMP_RAW) {
		report_skip(c->rep, LR_INV_HART_SP, "raw dump: no registers");
		return;
	}
	if (c->d->nharts == 0) {
		report_skip(c->rep, LR_INV_HART_SP, "no NT_PRSTATUS note in the core");
		return;
	}
	for (size_t h = 0; h < c->d->nharts; h++) {
		uint64_t sp = c->d->hart_sp[h];
		const char *where = "outside every stack";
		size_t i;
		for (i = 0; i < c->nstacks && !sp_inside(sp, c->stacks[i].range); i++)
			;
		if (i < c->nstacks)
			continue;
		if (sp_inside(sp, c->r->boot_stack))
			where = "in the boot stack";
		snprintf(region, sizeof region, "hart %zu", h);
		snprintf(f, sizeof f, "0x%" PRIx64 ", %s", sp, where);
		report_fail(c->rep, LR_INV_HART_SP, SOURCE_INSPECTOR, region, sp,
			    "in the kernel stack or a task stack", f);
	}
	report_pass(c->rep, LR_INV_HART_SP);
}
