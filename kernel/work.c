/*
 * work.c: what a task does on its own stack. It recurses to its configured depth, so every
 * stack holds live frames at a different depth, and yields there. Resumed once more, a task
 * whose config names a misbehaviour (examples/violations/) breaks its invariant on purpose.
 */
#include "task.h"
#include "console.h"

/* Never called: write-text overwrites its first instruction. */
__attribute__((noinline, used)) void work_text_target(void)
{
	kputs("work_text_target\n");
}

/* A stack that belongs to no task: foreign-sp yields from it. */
static uint64_t foreign_stack[64] __attribute__((aligned(STACK_ALIGN)));

static void foreign_yield(void)
{
	task_yield(LR_TASK_PARKED);
}

/* A frame big enough to run from sp through lo into the stack below, and written whole. */
__attribute__((noinline)) static void work_overflow(uint64_t lo)
{
	uint64_t sp;
	asm volatile("mv %0, sp" : "=r"(sp));
	uint64_t n = sp - lo + 64;
	volatile uint8_t frame[n];
	for (uint64_t i = 0; i < n; i++)
		frame[i] = 0x0f;
	asm volatile("" : : "r"(frame) : "memory");
}

static void work_misbehave(struct task *t)
{
	switch (t->cfg->work) {
	case WORK_WRITE_LO:
		*(volatile uint64_t *)(uintptr_t)t->rec->stack.lo = 0x0badc0de;
		break;
	case WORK_OVERFLOW:
		work_overflow(t->rec->stack.lo);
		break;
	case WORK_WRITE_TEXT:
		*(volatile uint32_t *)(uintptr_t)work_text_target = 0;
		break;
	case WORK_FOREIGN_SP:
		stack_call(foreign_yield, (uint64_t)(uintptr_t)&foreign_stack[64]);
		break;
	}
}

/* The bottom of the recursion: park here; every later switch finds the task at this depth. */
static void work_at_depth(struct task *t)
{
	task_yield(LR_TASK_PARKED);
	work_misbehave(t);
	for (;;)
		task_yield(LR_TASK_PARKED);
}

/*
 * One level of recursion; the volatile frame keeps each level a real frame GDB can walk.
 * gcc rightly sees that it never returns (a task parks at its depth for good): that is the point.
 */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static void work_recurse(struct task *t, uint32_t level)
{
	volatile uint64_t frame[2] = { level, t->rec->id };
	t->level = level;
	if (level < t->cfg->depth)
		work_recurse(t, level + 1);
	else
		work_at_depth(t);
	frame[0]++; /* not a tail call: the frame stays live below the callee */
}

void work_run(struct task *t)
{
	work_recurse(t, 1);
}
