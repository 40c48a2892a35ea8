/*
 * trapframe.h: a task's full saved context, 256 bytes laid out exactly like RISC-V Linux's
 * elf_gregset_t (the pr_reg of an NT_PRSTATUS note): [0] = pc, [1..31] = x1..x31. The trap
 * entry (kernel/trap.S) fills it when a task leaves the hart and reloads it when the task comes
 * back; lr_task.ctx in the record names it, so the inspector and GDB read every register of a
 * task that is not on the hart. Included by assembly (the TF_* offsets) and C (struct lr_frame).
 */
#ifndef TRAPFRAME_H
#define TRAPFRAME_H

#define TF_SIZE  256
#define TF_REG(n) ((n) * 8)   /* offset of x<n>, 1 <= n <= 31 */
#define TF_PC    0            /* mepc: the instruction the task resumes at (or faulted at) */
#define TF_RA   8
#define TF_SP   16
#define TF_GP   24
#define TF_TP   32
#define TF_T0   40
#define TF_S0   64
#define TF_A0   80
#define TF_A1   88
#define TF_A2   96
#define TF_A3   104
#define TF_A7   136
#define TF_T6   248

/*
 * While a task's trap is being saved, its registers are half in the hart and half in its frame:
 * kernel/trap.S marks where with these labels, and the debuggers' engine (engine/threads.c)
 * finds them by symbol in the kernel ELF. From TRAP_ENTRY up to TRAP_REGS_SAVED the hart still
 * holds x1..x30 as the task left them (t6 is in mscratch, its pc in mepc); from TRAP_REGS_SAVED
 * x1..x30 are in the frame; from TRAP_SAVED on the frame holds every register.
 */
#define TRAP_ENTRY      trap_entry
#define TRAP_REGS_SAVED trap_regs_saved
#define TRAP_SAVED      trap_saved

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

struct lr_frame {
	uint64_t pc;                                   /* [0]  mepc */
	uint64_t ra, sp, gp, tp;                       /* [1..4]   x1-x4 */
	uint64_t t0, t1, t2;                           /* [5..7]   x5-x7 */
	uint64_t s0, s1;                               /* [8..9]   x8-x9, s0 = fp */
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7;       /* [10..17] x10-x17 */
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; /* [18..27] x18-x27 */
	uint64_t t3, t4, t5, t6;                       /* [28..31] x28-x31 */
};

_Static_assert(sizeof(struct lr_frame) == TF_SIZE, "the frame is elf_gregset_t: 32 u64");
_Static_assert(offsetof(struct lr_frame, pc) == TF_PC, "pc first, as pr_reg[0]");
_Static_assert(offsetof(struct lr_frame, ra) == TF_RA, "x1");
_Static_assert(offsetof(struct lr_frame, sp) == TF_SP, "x2");
_Static_assert(offsetof(struct lr_frame, s0) == TF_S0, "x8");
_Static_assert(offsetof(struct lr_frame, a0) == TF_A0, "x10");
_Static_assert(offsetof(struct lr_frame, a7) == TF_A7, "x17");
_Static_assert(offsetof(struct lr_frame, s2) == TF_REG(18), "x18");
_Static_assert(offsetof(struct lr_frame, t3) == TF_REG(28), "x28");
_Static_assert(offsetof(struct lr_frame, t6) == TF_T6, "x31");
#endif
#endif
