/*
 * task.c: creates tasks under the kernel stack and runs them round-robin. A switch is one record
 * update that begins on the stack being left and ends on the stack being entered, so the saved
 * sp that swtch.S writes into the record is covered by the generation counter.
 */
#include "task.h"
#include "record.h"
#include "console.h"

#define SCHED_ROUNDS 2 /* round 1: every task recurses to its depth; round 2: resumes there once */

struct stack_arena kernel_arena;
struct task *task_current;
static struct task tasks[LR_MAX_TASKS];

/* A new task's first switch lands here, on its own stack, via the frame task_create built. */
static void task_entry(void)
{
	record_end(); /* the switch that brought us here began the update */
	work_run(task_current);
	panic("task_entry", "task work returned");
}

const char *task_create(const struct task_config *cfg)
{
	struct layout_record *r = &layout_record;
	struct lr_range s;
	if (cfg->stack_size < 2 * CTX_SIZE)
		return "stack too small for a context frame";
	const char *refused = stack_alloc(&kernel_arena, cfg->stack_size, &s);
	if (refused)
		return refused;
	stack_paint(&s);

	/* The initial frame swtch.S pops: ra = task_entry, s0 = 0 ends the frame-pointer chain. */
	uint64_t sp = s.hi - CTX_SIZE;
	for (uint64_t off = 0; off < CTX_SIZE; off += 8)
		*(volatile uint64_t *)(uintptr_t)(sp + off) = 0;
	*(volatile uint64_t *)(uintptr_t)(sp + CTX_RA) = (uint64_t)(uintptr_t)task_entry;

	record_begin();
	uint32_t i = r->task_count++;
	struct lr_task *t = &r->tasks[i];
	t->stack = s;
	t->saved_sp = sp;
	t->id = i + 1;
	t->state = LR_TASK_NEW;
	t->depth = cfg->depth;
	for (int c = 0; c < LR_NAME_LEN; c++)
		t->name[c] = cfg->name[c];
	r->available = kernel_arena.available;
	r->free.hi = kernel_arena.available;
	record_end();
	tasks[i] = (struct task){ .rec = t, .cfg = cfg };
	return 0;
}

void task_yield(uint32_t state)
{
	struct task *me = task_current;
	record_begin();
	me->rec->state = state;
	me->rec->depth_reached = me->level > me->rec->depth_reached ? me->level : me->rec->depth_reached;
	layout_record.current = 0;
	swtch(&me->rec->saved_sp, layout_record.kernel_sp);
	record_end(); /* the scheduler began this update when it switched back to us */
}

/* Kernel to task and, when the task yields, back: one record update each way. */
static void sched_switch(struct task *t)
{
	record_begin();
	t->rec->state = LR_TASK_RUNNING;
	t->rec->switches++;
	layout_record.current = t->rec->id;
	task_current = t;
	swtch(&layout_record.kernel_sp, t->rec->saved_sp);
	task_current = 0;
	record_end();
	task_check(t);
}

void sched_run(void)
{
	struct layout_record *r = &layout_record;
	for (int round = 0; round < SCHED_ROUNDS; round++)
		for (uint32_t i = 0; i < r->task_count; i++)
			if (r->tasks[i].state != LR_TASK_FAULTED)
				sched_switch(&tasks[i]);
}

static uint32_t kernel_reported;

/* Records a violation once per owner and invariant; the task, if any, is stopped. */
static void report(struct task *t, uint32_t inv, uint64_t addr, uint64_t expected, uint64_t found)
{
	uint32_t *seen = t ? &t->reported : &kernel_reported;
	if (!(*seen & (1u << inv)))
		record_violation(inv, t ? t->rec->id : 0, addr, expected, found);
	*seen |= 1u << inv;
	if (t && t->rec->state != LR_TASK_FAULTED) {
		record_begin();
		t->rec->state = LR_TASK_FAULTED;
		record_end();
	}
}

static void check_stack(struct task *t, const struct lr_range *s, uint64_t sp)
{
	uint64_t lo = s->lo, found = *(volatile uint64_t *)(uintptr_t)lo;
	if (found != LR_SENTINEL) {
		report(t, LR_INV_STACK_LO_EXCLUDED, lo, LR_SENTINEL, found);
		uint64_t lowest = *(volatile uint64_t *)(uintptr_t)(lo + 8);
		if (lowest != LR_PAINT || sp <= lo)
			report(t, LR_INV_STACK_OVERFLOW, lo + 8, LR_PAINT, lowest);
	}
	if (sp <= lo || sp > s->hi || sp % STACK_ALIGN)
		report(t, LR_INV_STACK_SP, sp, s->hi, sp);
}

void task_check(struct task *t)
{
	if (t)
		check_stack(t, &t->rec->stack, t->rec->saved_sp);
	uint64_t sp;
	asm volatile("mv %0, sp" : "=r"(sp));
	check_stack(0, &layout_record.kstack, sp);
}

void task_check_all(void)
{
	for (uint32_t i = 0; i < layout_record.task_count; i++)
		task_check(&tasks[i]);
	if (layout_record.image_crc != record_image_crc())
		report(0, LR_INV_IMAGE_UNTOUCHED, layout_record.text.lo, layout_record.image_crc,
		       record_image_crc());
}
