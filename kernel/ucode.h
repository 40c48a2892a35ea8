/*
 * ucode.h: the interface between the kernel and the task code (ucode.c), which runs in user
 * mode from the task-code region and can reach nothing of the kernel: what a task needs comes
 * in registers at its entry, and it speaks to the kernel only through ecall.
 */
#ifndef UCODE_H
#define UCODE_H

#include <stdint.h>

/* ecall numbers, in a7. */
#define SYS_YIELD 1     /* a0 = the recursion level the task is at: leave the hart */

/* A task's entry: a0 = id, a1 = depth, a2 = work (enum work_kind), a3 = stack lo, a4 = stack hi. */
void task_main(uint64_t id, uint64_t depth, uint64_t work, uint64_t lo, uint64_t hi)
	__attribute__((noreturn));

#endif
