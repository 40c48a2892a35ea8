/*
 * stacks.c: what the target's bytes say about each stack the record lists: the excluded lo word,
 * the paint's high-water mark, the sp now. Measured once; the checks, `stacks` and `diagram`
 * all read these numbers. Only the stacks' own pages are touched.
 */
#include <stdlib.h>
#include <string.h>
#include "engine.h"

static uint64_t range_size(struct lr_range g)
{
	return g.hi > g.lo ? g.hi - g.lo : 0;
}

static int sp_inside_stack(uint64_t sp, const struct stack_info *s)
{
	return sp > s->range.lo && sp <= s->range.hi;
}

/*
 * The sp of the stack now: the hart's live sp if this stack is on the hart, else the saved one.
 * The record's `current` names the task the hart runs; while the hart handles that task's trap
 * it runs on the kernel stack, so the kernel stack is on the hart whenever the hart's sp is in
 * it, and the running task's own sp is then only in its frame (not known here: "-").
 */
static void stack_sp_now(struct stack_info *s, const struct kl_session *t, const struct layout_record *r)
{
	const uint64_t *hart_sp;
	uint64_t sp = s->saved_sp;
	int have_hart = kl_harts(t, NULL, &hart_sp) > 0;
	int in_kernel = have_hart && hart_sp[0] > r->kstack.lo && hart_sp[0] <= r->kstack.hi;
	int on_hart = s->id == 0 ? r->current == 0 || in_kernel : r->current == s->id && !in_kernel;
	int known = s->state != LR_TASK_RUNNING || s->id == 0;
	if (on_hart && have_hart) {
		sp = hart_sp[0];
		known = 1;
	}
	if (known && sp_inside_stack(sp, s)) {
		s->have_used = 1;
		s->used = s->range.hi - sp;
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Bytes of the stack ever used. The paint gives the lowest word ever written; the deepest sp lay
 * at that word rounded down to STACK_ALIGN or lower (no code writes below its sp, and sp stays
 * aligned), which is what counts: a frame's lowest slot is often never written (alignment
 * padding, a register slot left unused), and the bare scan then stops one word above the sp.
 * Nor is a stack ever used less than an sp it is known to have had: its saved sp, its sp now.
 */
static uint64_t stack_high_water(const struct stack_info *s, uint64_t painted)
{
	uint64_t hw = 0;
	if (painted) {
		uint64_t lowest = (s->range.hi - painted) & ~(uint64_t)(STACK_ALIGN - 1);
		hw = s->range.hi - (lowest > s->range.lo ? lowest : s->range.lo);
	}
	if (sp_inside_stack(s->saved_sp, s) && s->range.hi - s->saved_sp > hw)
		hw = s->range.hi - s->saved_sp;
	if (s->have_used && s->used > hw)
		hw = s->used;
	return hw;
}

/* The whole stack in one read (over a gdbstub a read per word costs a round trip each). */
static void stack_measure(struct stack_info *s, const struct kl_session *t, const struct layout_record *r)
{
	uint64_t size = range_size(s->range), painted = 0;
	void *owned = NULL;
	const uint8_t *mem = size >= 16 ? kl_bytes(t, s->range.lo, size, &owned) : NULL;
	if (mem) {
		s->have_paint = 1;
		painted = lr_stack_high_water(mem, size, r->paint);
		s->have_lo_word = s->have_lo_next = 1;
		s->lo_word = le64(mem);
		s->lo_next_word = le64(mem + 8);
		free(owned);
	} else {
		s->have_lo_word = kl_read_u64(t, s->range.lo, &s->lo_word) == 0;
		s->have_lo_next = size >= 16 && kl_read_u64(t, s->range.lo + 8, &s->lo_next_word) == 0;
	}
	s->sentinel_ok = s->have_lo_word && s->lo_word == r->sentinel;
	stack_sp_now(s, t, r);
	if (s->have_paint)
		s->high_water = stack_high_water(s, painted);
}

size_t stacks_measure(const struct kl_session *d, const struct layout_record *r,
		      struct stack_info out[STACKS_MAX])
{
	size_t n = 0;
	struct stack_info *s = &out[n++];
	memset(s, 0, sizeof *s);
	snprintf(s->owner, sizeof s->owner, LR_KSTACK_REGION);
	snprintf(s->name, sizeof s->name, "kernel");
	s->state = r->current == 0 ? LR_TASK_RUNNING : LR_TASK_READY;
	s->range = r->kstack;
	s->saved_sp = r->kernel_sp;
	stack_measure(s, d, r);
	for (uint32_t i = 0; i < record_task_count(r); i++) {
		const struct lr_task *t = &r->tasks[i];
		s = &out[n++];
		memset(s, 0, sizeof *s);
		task_name(s->name, t);
		snprintf(s->owner, sizeof s->owner, "task %u '%s'", t->id, s->name);
		s->id = t->id;
		s->state = t->state;
		s->range = t->stack;
		s->saved_sp = t->saved_sp;
		stack_measure(s, d, r);
	}
	return n;
}

unsigned stack_headroom_pct(const struct stack_info *s)
{
	uint64_t size = range_size(s->range);
	if (!s->have_paint || size == 0 || s->high_water > size)
		return 0;
	return (unsigned)((size - s->high_water) * 100 / size);
}
