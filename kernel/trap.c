/*
 * trap.c: what trap.S hands over. From a task: the timer preempts it, an ecall yields, anything
 * else is a fault that stops it at the faulting instruction (task.c records which invariant).
 * From the kernel itself: a breach it cannot survive is recorded, then it stops.
 */
#include "task.h"
#include "record.h"
#include "console.h"
#include "ucode.h"

#define MCAUSE_INTERRUPT (1ULL << 63)
#define IRQ_M_TIMER      7
#define EXC_ECALL_U      8

void trap_user(struct lr_frame *f, uint64_t mcause, uint64_t mtval)
{
	struct task *t = task_on_hart();
	if (!t || f != &t->frame)
		panic("trap_user", "a user trap with no task on the hart");
	if (mcause == (MCAUSE_INTERRUPT | IRQ_M_TIMER)) {
		record_tick();
		timer_rearm();
		sched_leave(t, LEAVE_PREEMPTED, 0);
	}
	if (mcause == EXC_ECALL_U && f->a7 == SYS_YIELD) {
		f->pc += 4; /* resume after the ecall */
		sched_leave(t, LEAVE_YIELDED, f->a0);
	}
	task_fault(t, mcause, mtval);
}

/* A trap taken in machine mode: the kernel's own access was refused (its locked lo word). */
void trap_kernel(uint64_t mcause, uint64_t mepc, uint64_t mtval, uint64_t sp)
{
	const struct layout_record *r = record_now();
	int lo_word = (mcause == 5 || mcause == 7) && mtval >= r->kstack.lo && mtval < r->kstack.lo + 8;
	kprintf("\ntrap: mcause %lx mepc %lx mtval %lx sp %lx\n", mcause, mepc, mtval, sp);
	if (!lo_word || record_area.pub.magic != LR_MAGIC)
		panic("trap_kernel", "unexpected trap in the kernel");
	/* Its sp at or under the word: the stack ran into it (recorded as a task's overflow fault
	 * is: expected lo, found sp); above: a stray store. */
	if (sp < r->kstack.lo + 8)
		kernel_breach(LR_INV_STACK_OVERFLOW, mtval, r->kstack.lo, sp, mepc, (uint32_t)mcause);
	kernel_breach(LR_INV_STACK_LO_EXCLUDED, mtval, LR_SENTINEL, sp, mepc, (uint32_t)mcause);
}

/* trap.S's overflow check found sp under the kernel stack's lo + 8 at fn's entry. */
void kernel_stack_overflow(uint64_t fn, uint64_t ra, uint64_t sp)
{
	(void)ra;
	const struct layout_record *r = record_now();
	kernel_breach(LR_INV_STACK_OVERFLOW, sp, r->kstack.lo + 8, sp, fn, LR_CAUSE_CHECK);
}
