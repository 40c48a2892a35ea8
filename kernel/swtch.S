/*
 * swtch.S: the context switch and the stack change, the only two places sp is set by hand.
 * The frame layout (CTX_*) is in memlayout.h: GDB's `klayout bt` reads it from saved stacks.
 */
#include "memlayout.h"

/*
 * swtch(uint64_t *save_sp, uint64_t new_sp): push ra and s0-s11 on the current stack, store
 * sp in *save_sp (a field of the layout record), load new_sp, pop the frame there, return
 * into the code that was switched out on that stack.
 */
	.text
	.globl swtch
swtch:
	addi	sp, sp, -CTX_SIZE
	sd	ra, CTX_RA(sp)
	sd	s0, CTX_S0(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	sd	sp, 0(a0)

	mv	sp, a1
	ld	ra, CTX_RA(sp)
	ld	s0, CTX_S0(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	addi	sp, sp, CTX_SIZE
	ret

/*
 * stack_call(void (*fn)(void), uint64_t sp): run fn on another stack and come back.
 * start() uses it to leave the boot stack for the kernel stack (kmain never returns).
 */
	.globl stack_call
stack_call:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s1, 0(sp)
	mv	s1, sp
	mv	sp, a1
	jalr	a0
	mv	sp, s1
	ld	s1, 0(sp)
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret
