/* task.h: tasks, their stacks and the round-robin scheduler (task.c), the work they do (work.c). */
#ifndef TASK_H
#define TASK_H

#include "kconfig.h"
#include "stack.h"

struct task {
	struct lr_task *rec;           /* its entry in the layout record: stack, saved sp, state */
	const struct task_config *cfg;
	uint32_t level;                /* recursion level now; copied into the record at each yield */
	uint32_t reported;             /* invariants already reported for it, one bit each */
};

extern const struct kconfig kconfig;      /* gen/config.h, through config.c */
extern struct stack_arena kernel_arena;   /* task.c; start.c takes the kernel stack from it */
extern struct task *task_current;         /* NULL while the kernel runs */

/* Allocates, paints and records the stack of a new task. Returns NULL, or why it was refused. */
const char *task_create(const struct task_config *cfg);
/* Runs every task, round-robin, until each has reached its depth twice. */
void sched_run(void);
/* From a task, on its own stack: back to the kernel, leaving the task in `state`. */
void task_yield(uint32_t state);
/* Sentinels and saved sp of the task (and of the kernel stack), recorded as violations. */
void task_check(struct task *t);
void task_check_all(void);

/* work.c: the body of every task, called on its own stack by task.c. */
void work_run(struct task *t);

/* swtch.S */
void swtch(uint64_t *save_sp, uint64_t new_sp);
void stack_call(void (*fn)(void), uint64_t sp);

#endif
