/*
 * trap.S: every trap lands in trap_entry (mtvec, direct mode; it must be 4-byte aligned or
 * mtvec drops the low bits). mscratch holds the running task's frame (include/trapframe.h)
 * while a task is on the hart and 0 while the kernel runs, which tells the two apart:
 *   from a task:   save all 31 registers and mepc into its frame, then trap_user() in C on a
 *                  fresh kernel stack (the kernel keeps nothing on it between traps);
 *   from the kernel: its own breach (a store into its locked lo word, a bad access): take the
 *                  emergency stack and let trap_kernel() record it; the kernel then stops.
 * task_resume() goes the other way. The kernel runs with mstatus.MIE clear: only a task can be
 * interrupted, and the kernel is never preempted in the middle of a record update.
 * Debuggers: TRAP_REGS_SAVED and TRAP_SAVED (trapframe.h) mark how far a task's save has got;
 * the CFI says the kernel's frames end at trap_entry (whatever ra holds there is the task's).
 */
#include "memlayout.h"
#include "trapframe.h"

#define MSTATUS_MPP (3 << 11)

	.cfi_sections .debug_frame	/* for debuggers only: nothing in the image */
	.text
	.balign	4
	.globl TRAP_ENTRY, TRAP_REGS_SAVED, TRAP_SAVED
	.type	TRAP_ENTRY, @function	/* with its size, debuggers name the labels inside it after it */
TRAP_ENTRY:
	.cfi_startproc
	.cfi_undefined ra		/* the kernel's outermost frame */
	csrrw	t6, mscratch, t6	/* t6 = the task's frame, mscratch = its t6; or 0 and ours */
	beqz	t6, from_kernel
	sd	ra, TF_REG(1)(t6)
	sd	sp, TF_REG(2)(t6)
	sd	gp, TF_REG(3)(t6)
	sd	tp, TF_REG(4)(t6)
	sd	t0, TF_REG(5)(t6)
	sd	t1, TF_REG(6)(t6)
	sd	t2, TF_REG(7)(t6)
	sd	s0, TF_REG(8)(t6)
	sd	s1, TF_REG(9)(t6)
	sd	a0, TF_REG(10)(t6)
	sd	a1, TF_REG(11)(t6)
	sd	a2, TF_REG(12)(t6)
	sd	a3, TF_REG(13)(t6)
	sd	a4, TF_REG(14)(t6)
	sd	a5, TF_REG(15)(t6)
	sd	a6, TF_REG(16)(t6)
	sd	a7, TF_REG(17)(t6)
	sd	s2, TF_REG(18)(t6)
	sd	s3, TF_REG(19)(t6)
	sd	s4, TF_REG(20)(t6)
	sd	s5, TF_REG(21)(t6)
	sd	s6, TF_REG(22)(t6)
	sd	s7, TF_REG(23)(t6)
	sd	s8, TF_REG(24)(t6)
	sd	s9, TF_REG(25)(t6)
	sd	s10, TF_REG(26)(t6)
	sd	s11, TF_REG(27)(t6)
	sd	t3, TF_REG(28)(t6)
	sd	t4, TF_REG(29)(t6)
	sd	t5, TF_REG(30)(t6)
TRAP_REGS_SAVED:			/* x1..x30 are in the frame; t5 is ours from here */
	csrr	t5, mscratch
	sd	t5, TF_REG(31)(t6)
	csrr	t5, mepc
	sd	t5, TF_PC(t6)
TRAP_SAVED:				/* the frame holds every register of the task */
	csrw	mscratch, zero		/* the kernel runs now: a trap from here on is its own */
	csrr	t5, minstret		/* for `make bench`: the switch's cost from here (kstats) */
	sd	t5, trap_instret, t4
	csrr	t5, mcycle
	sd	t5, trap_cycle, t4
	ld	sp, kstack_top
	li	s0, 0			/* the kernel's frame-pointer chain starts here */
	mv	a0, t6
	csrr	a1, mcause
	csrr	a2, mtval
	call	trap_user		/* never returns: ends in task_resume or kernel_idle */
	j	kernel_stop

	.cfi_endproc
	.size	TRAP_ENTRY, . - TRAP_ENTRY

/* The kernel's own trap: a function of its own, the entry of the emergency stack it loads. */
	.globl from_kernel
	.type	from_kernel, @function
from_kernel:
	.cfi_startproc
	.cfi_undefined ra		/* the trap ends the kernel's frames here */
	csrrw	t6, mscratch, t6	/* t6 back, mscratch 0 again */
	mv	a3, sp
	sd	zero, kstack_floor, t0	/* the overflow check would refuse the emergency stack */
	la	sp, trap_stack_end
	li	s0, 0
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	trap_kernel		/* records the breach, prints the ready line */
	j	kernel_stop
	.cfi_endproc
	.size	from_kernel, . - from_kernel

/* task_resume(struct lr_frame *f): onto the hart in user mode, every register from f. */
	.globl task_resume
task_resume:
	.cfi_startproc			/* called by switch_to: its caller until ra is the task's */
	ld	t0, TF_PC(a0)
	csrw	mepc, t0
	li	t0, MSTATUS_MPP
	csrc	mstatus, t0		/* mret goes to user mode */
	csrw	mscratch, a0
	mv	t6, a0
	ld	ra, TF_REG(1)(t6)
	.cfi_undefined ra
	ld	sp, TF_REG(2)(t6)
	ld	gp, TF_REG(3)(t6)
	ld	tp, TF_REG(4)(t6)
	ld	t0, TF_REG(5)(t6)
	ld	t1, TF_REG(6)(t6)
	ld	t2, TF_REG(7)(t6)
	ld	s0, TF_REG(8)(t6)
	ld	s1, TF_REG(9)(t6)
	ld	a0, TF_REG(10)(t6)
	ld	a1, TF_REG(11)(t6)
	ld	a2, TF_REG(12)(t6)
	ld	a3, TF_REG(13)(t6)
	ld	a4, TF_REG(14)(t6)
	ld	a5, TF_REG(15)(t6)
	ld	a6, TF_REG(16)(t6)
	ld	a7, TF_REG(17)(t6)
	ld	s2, TF_REG(18)(t6)
	ld	s3, TF_REG(19)(t6)
	ld	s4, TF_REG(20)(t6)
	ld	s5, TF_REG(21)(t6)
	ld	s6, TF_REG(22)(t6)
	ld	s7, TF_REG(23)(t6)
	ld	s8, TF_REG(24)(t6)
	ld	s9, TF_REG(25)(t6)
	ld	s10, TF_REG(26)(t6)
	ld	s11, TF_REG(27)(t6)
	ld	t3, TF_REG(28)(t6)
	ld	t4, TF_REG(29)(t6)
	ld	t5, TF_REG(30)(t6)
	ld	t6, TF_REG(31)(t6)
	mret
	.cfi_endproc

/*
 * The kernel stack's overflow check. Every kernel C function is built with
 * -finstrument-functions: after its prologue has moved sp down by its whole frame, it calls
 * this, before its body writes a byte of that frame. An sp under kstack_floor (lo + 8) means the
 * frame reaches the excluded word or skips it into the stack below: stop before the write.
 * The prologue's own ra/s0 stores are at the top of the frame, above the caller's checked sp
 * minus 16: at worst they hit lo itself, which the locked PMP entry 0 refuses.
 * No stack use here: t0 only, caller-saved at a call.
 */
	.globl __cyg_profile_func_enter
__cyg_profile_func_enter:
	.cfi_startproc			/* a leaf without a frame: its caller is ra's */
	ld	t0, kstack_floor
	bltu	sp, t0, 1f
	ret
1:	.cfi_undefined ra		/* leaves the stack it was called on for good */
	mv	a2, sp
	mv	a1, ra			/* a0 = the function being entered, a1 = its return address */
	sd	zero, kstack_floor, t0
	la	sp, trap_stack_end
	li	s0, 0
	call	kernel_stack_overflow	/* records stack.overflow, prints the ready line */
	j	kernel_stop
	.cfi_endproc

	.globl __cyg_profile_func_exit
__cyg_profile_func_exit:
	.cfi_startproc
	ret
	.cfi_endproc

/* kernel_stop: the kernel stopped on its own breach; it waits on its own stack, interrupts off. */
	.globl kernel_stop
kernel_stop:
	.cfi_startproc
	.cfi_undefined ra		/* never returns: nothing called it that matters now */
	csrw	mie, zero
	ld	sp, kstack_top
2:	wfi
	j	2b
	.cfi_endproc

/*
 * kernel_last_words(const char *line, uint64_t sp): a kernel that stops (its own breach, or the
 * boot-stack bug) moves to sp first, then prints line without touching any stack, then waits:
 * a harness that dumps the instant it reads the line finds the hart already where it stays.
 */
	.globl kernel_last_words
kernel_last_words:
	.cfi_startproc
	.cfi_undefined ra
	csrw	mie, zero
	mv	sp, a1
	li	t1, UART0
4:	lbu	t0, 0(a0)
	beqz	t0, 6f
5:	lbu	t2, 5(t1)		/* LSR: wait for room in the transmitter */
	andi	t2, t2, 0x20
	beqz	t2, 5b
	sb	t0, 0(t1)
	addi	a0, a0, 1
	j	4b
6:	wfi
	j	6b
	.cfi_endproc

	.bss
	.balign	16
	.globl trap_instret, trap_cycle
trap_instret:
	.space	8			/* minstret and mcycle when the last task trap was saved */
trap_cycle:
	.space	8
trap_stack:
	.space	2048			/* the emergency stack: only a stopping kernel uses it */
trap_stack_end:
