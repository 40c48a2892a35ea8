/* task.h: tasks, their stacks and frames, the preemptive round-robin scheduler (task.c). */
#ifndef TASK_H
#define TASK_H

#include "kconfig.h"
#include "stack.h"
#include "trapframe.h"

struct task {
	struct lr_frame frame;         /* every register while off the hart: lr_task.ctx names it */
	const struct task_config *cfg;
	uint32_t index;                /* in the record's tasks[] */
	uint32_t phase;                /* TASK_PHASE_*: how far towards the ready line */
	uint32_t reported;             /* invariants already reported for it, one bit each */
	uint32_t stopped;              /* it faulted: it never runs again, on any path */
	uint32_t depth_reached;
	uint32_t preemptions;
};

/* The ready line waits until every task is settled (or faulted): it has reported its depth,
 * run again after that (so a misbehaving task has misbehaved) and left the hart once more. */
#define TASK_PHASE_DIVING   0
#define TASK_PHASE_AT_DEPTH 1
#define TASK_PHASE_RESUMED  2
#define TASK_PHASE_SETTLED  3

/* Why a task left the hart. */
enum leave { LEAVE_PREEMPTED, LEAVE_YIELDED, LEAVE_FAULTED };

extern const struct kconfig kconfig;      /* gen/config.h, through config.c */
extern struct stack_arena kernel_arena;   /* task.c; start.c takes the kernel stack from it */
extern uint64_t kstack_top;               /* the kernel stack's hi: every trap starts there */
extern uint64_t kstack_floor;             /* lo + 8: the overflow check's limit (trap.S) */

/* Allocates, paints and records the stack of a new task. Returns NULL, or why it was refused. */
const char *task_create(const struct task_config *cfg);
/* The first switch to a task; never returns. */
void sched_start(void) __attribute__((noreturn));
/* From trap.c: the task on the hart left it (its frame is saved); run the next. */
void sched_leave(struct task *t, enum leave why, uint64_t level) __attribute__((noreturn));
/* The task on the hart, NULL while the kernel runs. */
struct task *task_on_hart(void);
/* A task stopped at a faulting instruction: record which invariant it broke. */
void task_fault(struct task *t, uint64_t cause, uint64_t addr);
/* The kernel breached an invariant: record it, print the ready line, stop. */
void kernel_breach(uint32_t inv, uint64_t addr, uint64_t expected, uint64_t found, uint64_t pc,
		   uint32_t cause) __attribute__((noreturn));

/* trap.S */
void task_resume(struct lr_frame *f) __attribute__((noreturn));
void kernel_stop(void) __attribute__((noreturn));
void kernel_last_words(const char *line, uint64_t sp) __attribute__((noreturn));
void trap_entry(void);
/* swtch.S */
void stack_call(void (*fn)(void), uint64_t sp);

/* timer.c */
void timer_init(void);
void timer_rearm(void);
uint64_t timer_now(void);

#endif
