/*
 * pmp.h: the Physical Memory Protection plan (pmp.c), computed without touching a CSR so the
 * host tests check it; task.c writes it into pmpaddr/pmpcfg at every switch. docs/pmp.md.
 *
 * QEMU virt has 16 entries; the lowest-numbered matching entry decides. The kernel uses 4 or 5:
 *   0     locked NAPOT 8 bytes, no permission: the kernel stack's lo word. Locked, it binds
 *         machine mode too: a kernel store there faults (the kernel's own third invariant).
 *   1, 2  TOR [lo + 8, hi) read/write: the running task's stack above its excluded lo word.
 *   3     NAPOT [task_code.lo, task_code.hi) read/execute when the region is an aligned power
 *         of two (one page today), else 3, 4 a TOR pair.
 * Everything else matches no entry: denied to user mode, allowed to machine mode.
 */
#ifndef PMP_H
#define PMP_H

#include <stdint.h>

#define PMP_ENTRIES  16      /* QEMU virt's harts */
#define PMP_R        0x01
#define PMP_W        0x02
#define PMP_X        0x04
#define PMP_A_OFF    0x00
#define PMP_A_TOR    0x08
#define PMP_A_NA4    0x10
#define PMP_A_NAPOT  0x18
#define PMP_L        0x80

struct pmp_entry {
	uint64_t addr;           /* the pmpaddr value: a physical address >> 2, NAPOT-encoded */
	uint8_t cfg;             /* the pmpcfg byte */
};

struct pmp_plan {
	struct pmp_entry e[PMP_ENTRIES];
	unsigned used;           /* entries 0..used-1 are the plan; the rest are OFF */
};

/* The pmpaddr of a NAPOT range: size a power of two >= 8, lo a multiple of it. 0 or -1. */
int pmp_napot_addr(uint64_t lo, uint64_t size, uint64_t *addr);

/*
 * Appends entries granting perm (PMP_R|W|X) on [lo, hi): one NAPOT entry when the range is a
 * naturally aligned power of two, else a TOR pair (or a single TOR entry when the previous
 * entry's address already ends at lo). lo and hi must be multiples of 4. 0, or -1 when the range
 * is empty or misaligned or the plan has no room left (the entry budget).
 */
int pmp_add_range(struct pmp_plan *p, uint64_t lo, uint64_t hi, uint8_t perm, uint8_t lock);

/*
 * The plan for a task: the locked guard on the kernel stack's lo word (entry 0), the task's
 * stack above its lo word read/write, the task code read/execute. 0, or -1 (the budget).
 */
int pmp_task_plan(struct pmp_plan *p, uint64_t kstack_lo, uint64_t stack_lo, uint64_t stack_hi,
		  uint64_t code_lo, uint64_t code_hi);

#endif
