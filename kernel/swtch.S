/*
 * swtch.S: stack_call, the one place outside trap.S where sp is set by hand.
 */
#include "memlayout.h"

/*
 * stack_call(void (*fn)(void), uint64_t sp): run fn on another stack and come back.
 * start() uses it to leave the boot stack for the kernel stack (kmain never returns).
 */
	.text
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
