/*
 * boot.S: the first instructions. QEMU -bios none jumps to RAM_BASE in machine mode with
 * a0 = hart id and a1 = device-tree address; this file sits there (.text.boot, first in the
 * linker script), sets up the linker script's temporary boot stack and calls start().
 */
#include "memlayout.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	/* Only hart 0 boots; any other hart waits forever. */
	bnez	a0, 2f

	/* Traps before the kernel's own handler would jump to 0: catch them from the first step. */
	la	t0, trap_entry
	csrw	mtvec, t0

	/* Zero .bss: the record and the task table live there or after it. */
	la	t0, _bss_start
	la	t1, _bss_end
1:	bgeu	t0, t1, 3f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b

	/* The boot stack: defined by the linker script, used only until start() leaves it. */
3:	la	sp, _boot_stack_end
	li	s0, 0			/* frame-pointer chain ends here */
	call	start			/* start(hartid, dtb) never returns */
2:	wfi
	j	2b
