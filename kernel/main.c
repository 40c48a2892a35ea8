/*
 * main.c: kmain() runs on the kernel stack (start.c switched to it). It creates the configured
 * tasks under the kernel stack, runs them, checks every invariant it can see, prints the layout
 * and the ready line, and halts: a dump taken after that line is deterministic.
 */
#include "task.h"
#include "record.h"
#include "console.h"
#include "diagram.h"
#include "harness.h"

extern char _boot_stack_end[];

static void emit_line(void *ctx, const char *line)
{
	(void)ctx;
	kprintf("%s\n", line);
}

static void print_layout(void)
{
	struct layout_record *r = &layout_record;
	struct stack_usage k, t[LR_MAX_TASKS];
	k = (struct stack_usage){ 1, lr_stack_high_water((const uint8_t *)(uintptr_t)r->kstack.lo,
							 r->kstack.hi - r->kstack.lo, LR_PAINT) };
	for (uint32_t i = 0; i < r->task_count; i++) {
		const struct lr_range *s = &r->tasks[i].stack;
		t[i] = (struct stack_usage){ 1, lr_stack_high_water((const uint8_t *)(uintptr_t)s->lo,
								 s->hi - s->lo, LR_PAINT) };
	}
	diagram_draw(r, &k, t, emit_line, 0);
}

static void halt(void)
{
	for (;;)
		asm volatile("wfi");
}

void kmain(void)
{
	struct layout_record *r = &layout_record;
	kprintf("klayout: RAM %lx-%lx, kernel stack %lx-%lx\n", r->ram.lo, r->ram.hi, r->kstack.lo,
		r->kstack.hi);

	for (uint32_t i = 0; i < kconfig.task_count; i++) {
		const struct task_config *cfg = &kconfig.tasks[i];
		if (kconfig.fault == FAULT_CHAIN_GAP && i == 1)
			kernel_arena.available -= 64; /* the bug: 64 bytes that belong to no stack */
		uint64_t avail = kernel_arena.available;
		const char *refused = task_create(cfg);
		if (refused) {
			kprintf("klayout: task %u '%s' (%lu bytes) refused: %s\n", i + 1, cfg->name,
				cfg->stack_size, refused);
			record_violation(LR_INV_STACK_REFUSED, i + 1, avail,
					 kernel_arena.floor,
					 avail > cfg->stack_size ? avail - cfg->stack_size : 0);
		}
	}
	if (kconfig.fault == FAULT_KSTACK_LO)
		*(volatile uint64_t *)(uintptr_t)r->kstack.lo = 0; /* the bug: the kernel uses its lo word */

	sched_run();
	task_check_all();

	record_begin();
	asm volatile("mv %0, sp" : "=r"(r->kernel_sp));
	r->flags |= LR_FLAG_READY | LR_FLAG_HALTED;
	record_end();

	print_layout();
	if (kconfig.fault == FAULT_MID_UPDATE)
		record_begin(); /* the bug: an update that never ends */
	/* For harnesses: RAM as the device tree gave it; a partial dump needs [ram, record end)
	 * and [available, ram end). */
	kprintf(KLAYOUT_READY KLAYOUT_READY_FIELDS "\n",
		(uint64_t)RECORD_ADDR, r->available, r->ram.lo, r->ram.hi, r->task_count,
		r->violation_count);
	if (kconfig.fault == FAULT_BOOT_STACK)
		stack_call(halt, (uint64_t)(uintptr_t)_boot_stack_end); /* the bug: back on the boot stack */
	halt();
}
