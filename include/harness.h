/*
 * harness.h: what the kernel tells the programs that run it, and where those programs find the
 * harts' registers in QEMU's dumps: each fact once. The kernel prints the lines (kernel/main.c,
 * kernel/console.c); tools/kqemu.py waits for them and the dump readers (inspector/dump.c, the
 * tests) read the registers, through gdb-scripts/klayout/constants.py for the Python side.
 */
#ifndef HARNESS_H
#define HARNESS_H

/*
 * The ready line, printed once the layout is final (docs/layout-record.md): harnesses wait for
 * it, then dump. Its fields are key=hex or key=decimal words; a partial dump needs
 * [ram.lo, record end) and [available, ram.hi).
 */
#define KLAYOUT_READY  "KLAYOUT READY"
#define KLAYOUT_READY_FIELDS " record=%lx available=%lx ram=%lx-%lx tasks=%u violations=%u"
/* Printed instead when the kernel panics before its ready line. */
#define KLAYOUT_HALTED "KLAYOUT HALTED"

/*
 * QEMU's target/riscv/arch_dump.c, struct riscv64_elf_prstatus in each NT_PRSTATUS note of a
 * dump-guest-memory core: pad1[32], pr_pid, pad2[76], then pr_reg = pc, x1 (ra), x2 (sp), ...
 * as 8-byte words. Byte offsets into the note's descriptor.
 */
#define CORE_NOTE_PRSTATUS 1   /* NT_PRSTATUS, name "CORE" */
#define PRSTATUS_PID  32       /* pr_pid: QEMU numbers the harts 1, 2, ... */
#define PRSTATUS_REGS 112
#define PRSTATUS_PC   112      /* PRSTATUS_REGS + 0: plain numbers, for every reader */
#define PRSTATUS_SP   128      /* PRSTATUS_REGS + 2 * 8 */

/*
 * Tasks as GDB threads (docs/gdb.md): task N is thread 1000 + N, the pr_pid of its NT_PRSTATUS in
 * an `inspector gdbcore` core and its thread id behind the live proxy (gdb-scripts/kthreads.py);
 * the harts keep QEMU's numbers, all below it.
 */
#define GDBCORE_TASK_PID_BASE 1000

#endif
