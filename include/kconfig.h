/*
 * kconfig.h: the static configuration as the kernel sees it. tools/confgen reads a config file
 * (examples/NAME.conf) and writes gen/config.h, a `struct kconfig` initializer; config.c includes it.
 * The names below are the config file's words; one table serves the reader and the kernel.
 */
#ifndef KCONFIG_H
#define KCONFIG_H

#include "layout_record.h"

/* What a task does once it has recursed to its depth: X(enum suffix, config word, what). */
#define WORK_KINDS(X)                                                                              \
	X(RECURSE, "recurse", "work at the depth forever, yielding now and then, as a good task does") \
	X(WRITE_LO, "write-lo", "write its own excluded lo word")                                 \
	X(OVERFLOW, "overflow", "grow a frame past its lo and write it from the bottom (skips lo)") \
	X(WRITE_TEXT, "write-text", "write into the kernel's .text")                             \
	X(FOREIGN_SP, "foreign-sp", "yield from a stack that is not its own")                    \
	X(READ_DATA, "read-data", "read the kernel's .data")                                     \
	X(EXEC_TEXT, "exec-text", "jump into the kernel's .text")                                \
	X(WRITE_OTHER, "write-other", "write into the stack of the task created before it")      \
	X(SPIN, "spin", "spin at its depth forever without ever yielding")

/* A kernel bug to build in on purpose (examples/violations/): X(enum suffix, config word, what). */
#define KERNEL_FAULTS(X)                                                                           \
	X(NONE, "none", "no fault: the kernel follows the design")                                 \
	X(KSTACK_LO, "kstack-lo", "the kernel writes its own stack's excluded lo word")           \
	X(CHAIN_GAP, "chain-gap", "stack_alloc leaves a gap between task 1 and task 2")           \
	X(MID_UPDATE, "mid-update", "the kernel halts in the middle of a record update")          \
	X(BOOT_STACK, "boot-stack", "the kernel halts back on the boot stack")                    \
	X(KSTACK_OVERFLOW, "kstack-overflow", "the kernel recurses past its stack's lo at the ready line")

#define KCONFIG_ENUM_WORK(name, word, text) WORK_##name,
#define KCONFIG_ENUM_FAULT(name, word, text) FAULT_##name,
enum work_kind { WORK_KINDS(KCONFIG_ENUM_WORK) WORK_COUNT };
enum kernel_fault { KERNEL_FAULTS(KCONFIG_ENUM_FAULT) FAULT_COUNT };
#undef KCONFIG_ENUM_WORK
#undef KCONFIG_ENUM_FAULT

#define KCONFIG_MAX_DEPTH 100000
#define KCONFIG_MIN_STACK 224          /* bytes: the smallest task stack the kernel accepts */
/*
 * Bytes: the smallest kernel stack the config reader accepts, before any build. Measured: the
 * kernel stack's high-water (`inspector stacks`, from the paint) in every example and violation
 * case dumped 2 s after its ready line was 1424 bytes, 1488 where a task's fault leads to the
 * ready line; tests/gate/test_running.py checks it on every run. The static stack analysis
 * bounds the kernel's worst case at 1816 bytes with the lo word (`inspector budget`,
 * docs/stack-budget.md), and `make check` refuses any kernel stack under the bound of its own
 * build before QEMU starts (stack.budget). Rounded up with a margin: 2 KiB. A kernel breach never
 * adds to it: it runs on trap.S's emergency stack.
 */
#define KCONFIG_MIN_KSTACK 2048
#define KCONFIG_TICK_US   10000        /* the timer tick when the config names none: 10 ms */
#define KCONFIG_MIN_TICK  100          /* microseconds: below this QEMU spends its time in ticks */
#define KCONFIG_MAX_TICK  1000000
#define KCONFIG_MAX_SIZE  (8ULL << 30) /* the largest RAM the kernel supports */

#ifndef __ASSEMBLER__
struct task_config {
	char name[LR_NAME_LEN]; /* NUL-terminated, at most LR_NAME_LEN - 1 characters */
	uint64_t stack_size;     /* bytes, rounded up to STACK_ALIGN by stack_alloc */
	uint32_t depth;          /* levels of recursion before the task yields */
	uint32_t work;           /* enum work_kind */
};

struct kconfig {
	const char *name;        /* the config file's name, for the boot log */
	uint64_t kstack_size;
	uint32_t tick_us;        /* timer tick that preempts tasks, microseconds */
	uint32_t fault;          /* enum kernel_fault */
	uint32_t task_count;
	struct task_config tasks[LR_MAX_TASKS];
};
#endif
#endif
