/*
 * pmp.c: ranges to PMP entries (RISC-V privileged spec, section 3.7). Pure computation, built
 * for the kernel and for the host tests (tests/unit/test_pmp.c).
 */
#include "pmp.h"

int pmp_napot_addr(uint64_t lo, uint64_t size, uint64_t *addr)
{
	if (size < 8 || (size & (size - 1)) || (lo & (size - 1)))
		return -1;
	/* NAPOT: the address with its low bits set to (size / 8) - 1: 8 bytes end in 0, 16 in 01... */
	*addr = (lo >> 2) | ((size >> 3) - 1);
	return 0;
}

int pmp_add_range(struct pmp_plan *p, uint64_t lo, uint64_t hi, uint8_t perm, uint8_t lock)
{
	uint64_t napot;
	if (hi <= lo || (lo & 3) || (hi & 3))
		return -1;
	perm &= PMP_R | PMP_W | PMP_X;
	if (pmp_napot_addr(lo, hi - lo, &napot) == 0) {
		if (p->used + 1 > PMP_ENTRIES)
			return -1;
		p->e[p->used++] = (struct pmp_entry){ napot, (uint8_t)(PMP_A_NAPOT | perm | lock) };
		return 0;
	}
	/* TOR takes its bottom from the previous entry's address, whatever that entry's mode. */
	int share = p->used > 0 && p->e[p->used - 1].addr == lo >> 2 &&
		    (p->e[p->used - 1].cfg & 0x18) == PMP_A_TOR;
	unsigned need = share ? 1 : 2;
	if (p->used + need > PMP_ENTRIES)
		return -1;
	if (!share)
		p->e[p->used++] = (struct pmp_entry){ lo >> 2, (uint8_t)(PMP_A_OFF | lock) };
	p->e[p->used++] = (struct pmp_entry){ hi >> 2, (uint8_t)(PMP_A_TOR | perm | lock) };
	return 0;
}

int pmp_task_plan(struct pmp_plan *p, uint64_t kstack_lo, uint64_t stack_lo, uint64_t stack_hi,
		  uint64_t code_lo, uint64_t code_hi)
{
	p->used = 0;
	for (unsigned i = 0; i < PMP_ENTRIES; i++)
		p->e[i] = (struct pmp_entry){ 0, PMP_A_OFF };
	if (pmp_add_range(p, kstack_lo, kstack_lo + 8, 0, PMP_L))
		return -1;
	if (pmp_add_range(p, stack_lo + 8, stack_hi, PMP_R | PMP_W, 0))
		return -1;
	return pmp_add_range(p, code_lo, code_hi, PMP_R | PMP_X, 0);
}
