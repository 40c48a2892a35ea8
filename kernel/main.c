/*
 * main.c: kmain() runs on the kernel stack (start.c switched to it). It creates the configured
 * tasks under the kernel stack and hands the hart to them for good (task.c): from then on the
 * kernel runs only when a task traps, and prints the layout and its ready line once every task
 * has run.
 */
#include "task.h"
#include "record.h"
#include "console.h"

void kmain(void)
{
	struct layout_record *r = record_now();
	kstack_floor = r->kstack.lo + 8; /* the overflow check starts here, on the kernel stack */
	kprintf("klayout: RAM %lx-%lx, kernel stack %lx-%lx, task code %lx-%lx, tick %uus\n", r->ram.lo,
		r->ram.hi, r->kstack.lo, r->kstack.hi, r->task_code.lo, r->task_code.hi, kconfig.tick_us);

	for (uint32_t i = 0; i < kconfig.task_count; i++) {
		const struct task_config *cfg = &kconfig.tasks[i];
		if (kconfig.fault == FAULT_CHAIN_GAP && i == 1)
			kernel_arena.available -= 64; /* the bug: 64 bytes that belong to no stack */
		uint64_t avail = kernel_arena.available;
		const char *refused = task_create(cfg);
		if (refused) {
			kprintf("klayout: task %u '%s' (%lu bytes) refused: %s (available %lx, task code "
				"%lx-%lx)\n", i + 1, cfg->name, cfg->stack_size, refused, avail,
				r->task_code.lo, r->task_code.hi);
			/* Owner 0, the kernel's allocator: a refused task has no record entry, and
			 * its position in the config is another task's id once a later one is created. */
			record_violation(LR_INV_STACK_REFUSED, 0, avail, kernel_arena.floor,
					 avail > cfg->stack_size ? avail - cfg->stack_size : 0, 0,
					 LR_CAUSE_CHECK);
		}
	}
	if (kconfig.fault == FAULT_KSTACK_LO)
		*(volatile uint64_t *)(uintptr_t)r->kstack.lo = 0; /* the bug: the locked PMP entry refuses it */

	sched_start();
}
