/*
 * check_stacks.c: the stack.* invariants (the design document's excluded lo words and what the
 * paint and saved sps tell) and hart.sp, all from the measurements of stacks.c. A stack that
 * overflowed has one root cause, stack.overflow; what else the checks find wrong with that stack
 * follows from it and says so (check_follow_ons).
 */
#include <inttypes.h>
#include "engine.h"

/* Tags a violation with the stack it is about (stacks[i]); v is NULL when the report is full. */
static void on_stack(struct violation *v, size_t i)
{
	if (v)
		v->stack = (int)i;
}

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

static void check_lo_excluded(struct check_ctx *c, size_t i)
{
	const struct stack_info *s = &c->stacks[i];
	if (!s->have_lo_word && kl_unsaved(c->s, s->range.lo, 8))
		report_skip(c->rep, LR_INV_STACK_LO_EXCLUDED, "sparse dump: a stack's lo word not saved");
	else if (!s->have_lo_word)
		on_stack(report_fail(c->rep, LR_INV_STACK_LO_EXCLUDED, SOURCE_INSPECTOR, s->owner,
				     s->range.lo, "the sentinel", kl_absent(c->s)), i);
	else if (s->lo_word != c->r->sentinel)
		on_stack(report_fail_hex(c->rep, LR_INV_STACK_LO_EXCLUDED, s->owner, s->range.lo,
					 c->r->sentinel, s->lo_word), i);
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

size_t overflow_detail(const struct check_ctx *c, size_t i, uint64_t lowest, char *buf, size_t len)
{
	const struct stack_info *s = &c->stacks[i];
	size_t used = 0;
	buf[0] = 0;
	if (s->id != 0) {
		const struct lr_task *t = &c->r->tasks[i - 1];
		used = (size_t)snprintf(buf, len, ": reached depth %u of %u", t->depth_reached, t->depth);
	}
	if (lowest < s->range.hi && s->range.hi - s->range.lo >= 8 && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%s needed at least %" PRIu64 " bytes, %"
					 PRIu64 " usable", used ? "," : ":", s->range.hi - lowest,
					 s->range.hi - s->range.lo - 8);
	return used;
}

static void check_overflow(struct check_ctx *c, size_t i)
{
	const struct stack_info *s = &c->stacks[i];
	char e[64], f[VIOLATION_TEXT], word[24], detail[96];
	if (sp_overflowed(c, s)) {
		snprintf(e, sizeof e, "sp above lo 0x%" PRIx64, s->range.lo);
		overflow_detail(c, i, s->saved_sp, detail, sizeof detail);
		snprintf(f, sizeof f, "%s%s", hex64(word, s->saved_sp), detail);
		on_stack(report_fail(c->rep, LR_INV_STACK_OVERFLOW, SOURCE_INSPECTOR, s->owner,
				     s->saved_sp, e, f), i);
	}
	/* Whether the stack ran over its lo word cannot be told without that word and the one above. */
	int has_next = s->range.hi > s->range.lo && s->range.hi - s->range.lo >= 16;
	if (!s->have_lo_word || (has_next && !s->have_lo_next)) {
		if (kl_unsaved(c->s, s->range.lo, 16))
			report_skip(c->rep, LR_INV_STACK_OVERFLOW, "sparse dump: a stack's lo words not saved");
		else {
			snprintf(f, sizeof f, "a stack's lo words %s", kl_absent(c->s));
			report_skip(c->rep, LR_INV_STACK_OVERFLOW, f);
		}
		return;
	}
	/* A broken sentinel alone may be a stray write; with the word above it used, the stack ran over. */
	if (!s->sentinel_ok && s->have_lo_next && s->lo_next_word != c->r->paint) {
		overflow_detail(c, i, s->range.lo, detail, sizeof detail);
		snprintf(f, sizeof f, "%s%s", hex64(word, s->lo_next_word), detail);
		on_stack(report_fail(c->rep, LR_INV_STACK_OVERFLOW, SOURCE_INSPECTOR, s->owner,
				     s->range.lo + 8, hex64(e, c->r->paint), f), i);
	}
}

static void check_sp(struct check_ctx *c, size_t i)
{
	const struct stack_info *s = &c->stacks[i];
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	if (s->id != 0 && s->state > LR_TASK_FAULTED) {
		snprintf(e, sizeof e, "a state <= %u", LR_TASK_FAULTED);
		snprintf(f, sizeof f, "state %u", s->state);
		on_stack(report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, s->owner, s->saved_sp, e, f), i);
		return;
	}
	if (!saved_sp_meaningful(c, s))
		return;
	if (!sp_inside(s->saved_sp, s->range) || s->saved_sp % STACK_ALIGN != 0) {
		snprintf(e, sizeof e, "16-byte aligned, in (0x%" PRIx64 ", 0x%" PRIx64 "]", s->range.lo,
			 s->range.hi);
		on_stack(report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, s->owner, s->saved_sp, e,
				     hex64(f, s->saved_sp)), i);
	}
}

/*
 * The tasks' states against `current` and their switch counts: the one on the hart is RUNNING,
 * no other is, and a task is NEW exactly until its first switch. These fields say whose sp is
 * live, so stack.sp reports them. Mid-update (odd generation) they may disagree by design.
 */
static void check_states(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT], region[48], name[LR_NAME_LEN + 1];
	uint32_t n = record_task_count(r);
	if (r->generation & 1)
		return;
	if (r->current > n) {
		snprintf(e, sizeof e, "current 0 (the kernel) or a task id <= %u", n);
		snprintf(f, sizeof f, "current %u", r->current);
		report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, "record",
			    RECORD_ADDR + offsetof(struct layout_record, current), e, f);
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct lr_task *t = &r->tasks[i];
		int on_hart = r->current != 0 && t->id == r->current;
		snprintf(region, sizeof region, "task %u '%s'", t->id, task_name(name, t));
		if (on_hart != (t->state == LR_TASK_RUNNING)) {
			snprintf(e, sizeof e, "%s with current %u", on_hart ? "running" : "not running",
				 r->current);
			snprintf(f, sizeof f, "state %u", t->state);
			on_stack(report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, region, t->saved_sp,
					     e, f), i + 1);
		}
		if ((t->state == LR_TASK_NEW) != (t->switches == 0)) {
			snprintf(e, sizeof e, "state new exactly while switches is 0");
			snprintf(f, sizeof f, "state %u after %u switches", t->state, t->switches);
			on_stack(report_fail(c->rep, LR_INV_STACK_SP, SOURCE_INSPECTOR, region, t->saved_sp,
					     e, f), i + 1);
		}
	}
}

static void check_headroom(struct check_ctx *c, size_t i)
{
	const struct stack_info *s = &c->stacks[i];
	char e[32], f[64];
	uint64_t size = s->range.hi > s->range.lo ? s->range.hi - s->range.lo : 0;
	snprintf(e, sizeof e, "%d%% unused", c->min_headroom);
	if (!s->have_paint && s->range.hi > s->range.lo &&
	    kl_unsaved(c->s, s->range.lo, s->range.hi - s->range.lo)) {
		report_skip(c->rep, LR_INV_STACK_HEADROOM, "sparse dump: a stack not saved");
		return;
	}
	if (!s->have_paint) {
		snprintf(f, sizeof f, "stack %s", kl_absent(c->s));
		on_stack(report_fail(c->rep, LR_INV_STACK_HEADROOM, SOURCE_INSPECTOR, s->owner,
				     s->range.lo, e, f), i);
		return;
	}
	unsigned pct = stack_headroom_pct(s);
	if (pct < (unsigned)c->min_headroom) {
		snprintf(f, sizeof f, "%u%% unused (%" PRIu64 " of %" PRIu64 " bytes used)", pct,
			 s->high_water, size);
		on_stack(report_fail(c->rep, LR_INV_STACK_HEADROOM, SOURCE_INSPECTOR, s->owner,
				     s->range.hi - s->high_water, e, f), i);
	}
}

void check_stacks(struct check_ctx *c)
{
	if (c->r->sentinel != LR_SENTINEL)
		report_fail_hex(c->rep, LR_INV_STACK_LO_EXCLUDED, "record",
				kl_record_addr(c->s) + offsetof(struct layout_record, sentinel), LR_SENTINEL,
				c->r->sentinel);
	/* The paint is what the overflow and headroom measures compare against. */
	if (c->r->paint != LR_PAINT)
		report_fail_hex(c->rep, LR_INV_STACK_OVERFLOW, "record",
				RECORD_ADDR + offsetof(struct layout_record, paint), LR_PAINT, c->r->paint);
	check_states(c);
	for (size_t i = 0; i < c->nstacks; i++) {
		check_lo_excluded(c, i);
		check_overflow(c, i);
		check_sp(c, i);
		if (c->min_headroom >= 0)
			check_headroom(c, i);
	}
	report_pass(c->rep, LR_INV_STACK_LO_EXCLUDED);
	report_pass(c->rep, LR_INV_STACK_OVERFLOW);
	report_pass(c->rep, LR_INV_STACK_SP);
	if (c->min_headroom >= 0)
		report_pass(c->rep, LR_INV_STACK_HEADROOM);
	else
		report_skip(c->rep, LR_INV_STACK_HEADROOM, "no --min-headroom given");
}

/*
 * One root cause per stack. A stack that overflowed (its saved sp below lo, its lo word broken
 * with the word above it used, or the kernel's own stack.overflow) leaves its sp outside it and
 * may leave its lo word broken: the checks' stack.sp and stack.lo-excluded findings on it are
 * true and listed, but as follow-ons of the first stack.overflow seen on it. And a kernel that
 * halted on its own breach (LR_FLAG_HALTED) set current to 0 while the task it trapped from
 * stays marked running: what stack.sp finds on that task follows from the breach. The
 * kernel's own entries are its classification, left as it made them.
 */
void check_follow_ons(struct check_ctx *c)
{
	struct report *rep = c->rep;
	int root[STACKS_MAX];
	int halted = (c->r->flags & LR_FLAG_HALTED) && c->r->current == 0;
	for (size_t i = 0; i < c->nstacks; i++)
		root[i] = -1;
	for (size_t i = 0; i < rep->nv; i++) {
		const struct violation *v = &rep->v[i];
		if (v->inv == LR_INV_STACK_OVERFLOW && v->stack >= 0 && root[v->stack] < 0)
			root[v->stack] = (int)i;
	}
	for (size_t i = 0; i < rep->nv; i++) {
		struct violation *v = &rep->v[i];
		if (v->source != SOURCE_INSPECTOR || v->stack < 0 ||
		    (v->inv != LR_INV_STACK_SP && v->inv != LR_INV_STACK_LO_EXCLUDED))
			continue;
		v->follows = root[v->stack];
		if (v->follows < 0 && halted && v->inv == LR_INV_STACK_SP && v->stack > 0 &&
		    c->stacks[v->stack].state == LR_TASK_RUNNING)
			v->follows = c->kernel_breach;
	}
}

void check_hart(struct check_ctx *c)
{
	char region[32], f[64];
	const uint64_t *hart_sp;
	size_t nharts = kl_harts(c->s, NULL, &hart_sp);
	if (nharts == 0) {
		report_skip(c->rep, LR_INV_HART_SP, kl_no_harts(c->s));
		return;
	}
	for (size_t h = 0; h < nharts; h++) {
		uint64_t sp = hart_sp[h];
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

/*
 * The static stack analysis against the configured sizes (stack.budget: every stack, the ones
 * the table sizes itself included) and against the paint (stack.bound: a high-water above the
 * static worst case means the analysis missed code that ran: it is unsound there).
 */
void check_budget(struct check_ctx *c)
{
	struct kl_budget *b = kl_budget(c->s);
	const struct kl_stack_budget *st;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT], chain[VIOLATION_TEXT] = "";
	ssize_t n = b ? kl_budget_stacks(b, c->r, &st) : -1;
	if (n < 0) {
		report_skip(c->rep, LR_INV_STACK_BUDGET, b ? fail_last() : kl_budget_skip(c->s));
		report_skip(c->rep, LR_INV_STACK_BOUND, b ? fail_last() : kl_budget_skip(c->s));
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (kl_budget_verdict(kl_budget_graph(b), &st[i], e, sizeof e, f, sizeof f))
			report_fail(c->rep, LR_INV_STACK_BUDGET, SOURCE_INSPECTOR, st[i].q.name, st[i].lo, e, f);
	report_pass(c->rep, LR_INV_STACK_BUDGET);
	size_t judged = 0;
	for (size_t i = 0; i < c->nstacks; i++) {
		const struct stack_info *s = &c->stacks[i];
		if (!s->have_static || !s->static_bounded || !s->have_paint)
			continue;
		judged++;
		if (s->high_water <= s->static_bound)
			continue;
		for (ssize_t j = 0; j < n; j++)
			if (st[j].task >= 0 && (uint32_t)st[j].task == s->id)
				kl_budget_chain(kl_budget_graph(b), &st[j], chain, sizeof chain);
		snprintf(e, sizeof e, "high-water at most %" PRIu64 ", the static worst case: %.180s", s->static_bound, chain);
		snprintf(f, sizeof f, "high-water %" PRIu64 ": %" PRIu64 " bytes used by code the analysis did not see",
			 s->high_water, s->high_water - s->static_bound);
		report_fail(c->rep, LR_INV_STACK_BOUND, SOURCE_INSPECTOR, s->owner, s->range.hi - s->high_water, e, f);
	}
	if (judged)
		report_pass(c->rep, LR_INV_STACK_BOUND);
	else
		report_skip(c->rep, LR_INV_STACK_BOUND, "no stack with a static worst case and its paint in the dump");
}
