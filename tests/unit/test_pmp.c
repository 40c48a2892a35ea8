/*
 * test_pmp.c: ranges to PMP entries and the kernel's plan (kernel/pmp.c), checked against a
 * small model of the hardware's matching rule (privileged spec 3.7.1: the lowest-numbered
 * matching entry decides; TOR takes its bottom from the previous pmpaddr; without a match, user
 * mode is refused and machine mode allowed; machine mode obeys locked entries only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "pmp.h"

#define KSTACK_LO 0x87ffc000ULL
#define TASK_LO   0x87ffa000ULL
#define TASK_HI   0x87ffc000ULL
#define CODE_LO   0x80104000ULL
#define CODE_HI   0x80105000ULL

enum mode { USER, MACHINE };

/* Whether an 8-byte access of kind perm (PMP_R, W or X) at addr is allowed. */
static int allowed(const struct pmp_plan *p, enum mode m, uint64_t addr, uint8_t perm)
{
	for (unsigned i = 0; i < PMP_ENTRIES; i++) {
		uint8_t cfg = p->e[i].cfg, a = cfg & 0x18;
		uint64_t lo, hi;
		if (a == PMP_A_OFF)
			continue;
		if (a == PMP_A_TOR) {
			lo = i ? p->e[i - 1].addr << 2 : 0;
			hi = p->e[i].addr << 2;
		} else if (a == PMP_A_NA4) {
			lo = p->e[i].addr << 2;
			hi = lo + 4;
		} else {
			uint64_t v = p->e[i].addr, ones = 0;
			while (v & 1)
				v >>= 1, ones++;
			uint64_t size = 8ULL << ones;
			lo = (p->e[i].addr << 2) & ~(size - 1);
			hi = lo + size;
		}
		if (addr + 8 <= lo || addr >= hi)
			continue;
		if (addr < lo || addr + 8 > hi)
			return 0; /* a partial match fails */
		if (m == MACHINE && !(cfg & PMP_L))
			return 1;
		return (cfg & perm) != 0;
	}
	return m == MACHINE;
}

static void napot_encodes_size_in_the_low_bits(void **state)
{
	(void)state;
	uint64_t a;
	assert_int_equal(pmp_napot_addr(KSTACK_LO, 8, &a), 0);
	assert_int_equal(a, KSTACK_LO >> 2);                 /* 8 bytes: ...0 */
	assert_int_equal(pmp_napot_addr(0x80000010, 16, &a), 0);
	assert_int_equal(a, (0x80000010ULL >> 2) | 1);       /* 16 bytes: ...01 */
	assert_int_equal(pmp_napot_addr(CODE_LO, 0x1000, &a), 0);
	assert_int_equal(a, (CODE_LO >> 2) | 0x1ff);         /* 4 KiB: nine ones */
	assert_int_equal(pmp_napot_addr(KSTACK_LO + 4, 8, &a), -1); /* not aligned to its size */
	assert_int_equal(pmp_napot_addr(CODE_LO, 0x1800, &a), -1);  /* not a power of two */
	assert_int_equal(pmp_napot_addr(CODE_LO, 4, &a), -1);       /* NA4, not NAPOT */
}

static void ranges_become_napot_or_tor(void **state)
{
	(void)state;
	struct pmp_plan p = { 0 };
	assert_int_equal(pmp_add_range(&p, CODE_LO, CODE_HI, PMP_R | PMP_X, 0), 0);
	assert_int_equal(p.used, 1);                         /* aligned power of two: one NAPOT */
	assert_int_equal(p.e[0].cfg, PMP_A_NAPOT | PMP_R | PMP_X);
	assert_int_equal(pmp_add_range(&p, TASK_LO + 8, TASK_HI, PMP_R | PMP_W, 0), 0);
	assert_int_equal(p.used, 3);                         /* anything else: a TOR pair */
	assert_int_equal(p.e[1].cfg, PMP_A_OFF);
	assert_int_equal(p.e[1].addr, (TASK_LO + 8) >> 2);
	assert_int_equal(p.e[2].cfg, PMP_A_TOR | PMP_R | PMP_W);
	assert_int_equal(p.e[2].addr, TASK_HI >> 2);
	/* A range starting where the last TOR ended shares its address: one more entry. */
	assert_int_equal(pmp_add_range(&p, TASK_HI, TASK_HI + 0x30, PMP_R, 0), 0);
	assert_int_equal(p.used, 4);
	assert_int_equal(p.e[3].cfg, PMP_A_TOR | PMP_R);
	/* Empty, inverted or not 4-byte aligned ranges are refused and change nothing. */
	assert_int_equal(pmp_add_range(&p, TASK_LO, TASK_LO, PMP_R, 0), -1);
	assert_int_equal(pmp_add_range(&p, TASK_HI, TASK_LO, PMP_R, 0), -1);
	assert_int_equal(pmp_add_range(&p, TASK_LO + 2, TASK_HI, PMP_R, 0), -1);
	assert_int_equal(p.used, 4);
}

static void the_entry_budget_is_sixteen(void **state)
{
	(void)state;
	struct pmp_plan p = { 0 };
	for (unsigned i = 0; i < PMP_ENTRIES; i++)        /* sixteen NAPOT words fit... */
		assert_int_equal(pmp_add_range(&p, 0x80000000 + 16 * i, 0x80000008 + 16 * i, PMP_R, 0), 0);
	assert_int_equal(p.used, PMP_ENTRIES);
	assert_int_equal(pmp_add_range(&p, 0x80001000, 0x80001008, PMP_R, 0), -1); /* ...a 17th does not */
	struct pmp_plan q = { 0 };
	for (unsigned i = 0; i < PMP_ENTRIES / 2 - 1; i++) /* seven TOR pairs: 14 entries */
		assert_int_equal(pmp_add_range(&q, 0x80000000 + 64 * i, 0x80000024 + 64 * i, PMP_R, 0), 0);
	assert_int_equal(pmp_add_range(&q, 0x80010000, 0x80010024, PMP_R, 0), 0); /* the 8th: 16 */
	assert_int_equal(q.used, PMP_ENTRIES);
	assert_int_equal(pmp_add_range(&q, 0x80020000, 0x80020024, PMP_R, 0), -1);
	assert_int_equal(q.used, PMP_ENTRIES);            /* a refused pair leaves no half behind */
}

static void the_task_plan_uses_four_or_five_entries_and_holds_the_invariants(void **state)
{
	(void)state;
	struct pmp_plan p;
	/* Task code of 12 KiB: a TOR pair, five entries in all. */
	assert_int_equal(pmp_task_plan(&p, KSTACK_LO, TASK_LO, TASK_HI, CODE_LO, CODE_LO + 0x3000), 0);
	assert_int_equal(p.used, 5);
	assert_true(allowed(&p, USER, CODE_LO + 0x2ff8, PMP_X));
	assert_false(allowed(&p, USER, CODE_LO + 0x3000, PMP_X));
	/* Task code of one aligned page: a NAPOT entry, four in all. */
	assert_int_equal(pmp_task_plan(&p, KSTACK_LO, TASK_LO, TASK_HI, CODE_LO, CODE_HI), 0);
	assert_int_equal(p.used, 4);
	assert_int_equal(p.e[0].cfg, PMP_A_NAPOT | PMP_L);  /* locked, no permission */
	for (unsigned i = p.used; i < PMP_ENTRIES; i++)
		assert_int_equal(p.e[i].cfg, PMP_A_OFF);
	/* The task: its stack above lo read/write, and nothing else but the code. */
	assert_true(allowed(&p, USER, TASK_LO + 8, PMP_W));
	assert_true(allowed(&p, USER, TASK_HI - 8, PMP_R));
	assert_false(allowed(&p, USER, TASK_LO, PMP_W));    /* its excluded lo word */
	assert_false(allowed(&p, USER, TASK_LO, PMP_R));
	assert_false(allowed(&p, USER, TASK_LO - 8, PMP_W)); /* the overflow that skips lo */
	assert_false(allowed(&p, USER, TASK_HI, PMP_W));    /* the stack above: the kernel's lo */
	assert_false(allowed(&p, USER, TASK_HI + 0x40, PMP_W));
	assert_false(allowed(&p, USER, TASK_LO + 8, PMP_X));
	assert_true(allowed(&p, USER, CODE_LO, PMP_X));
	assert_true(allowed(&p, USER, CODE_HI - 8, PMP_R));
	assert_false(allowed(&p, USER, CODE_LO, PMP_W));
	assert_false(allowed(&p, USER, 0x80000000, PMP_X)); /* kernel text */
	assert_false(allowed(&p, USER, 0x80005000, PMP_R)); /* kernel data */
	assert_false(allowed(&p, USER, 0x80100000, PMP_R)); /* the record */
	/* The kernel: everything but its own lo word, which the locked entry refuses it. */
	assert_false(allowed(&p, MACHINE, KSTACK_LO, PMP_W));
	assert_true(allowed(&p, MACHINE, KSTACK_LO + 8, PMP_W));
	assert_true(allowed(&p, MACHINE, TASK_LO, PMP_W));
	assert_true(allowed(&p, MACHINE, 0x80100000, PMP_W));
}

static void a_plan_that_cannot_be_encoded_is_refused(void **state)
{
	(void)state;
	struct pmp_plan p;
	assert_int_equal(pmp_task_plan(&p, KSTACK_LO + 2, TASK_LO, TASK_HI, CODE_LO, CODE_HI), -1);
	assert_int_equal(pmp_task_plan(&p, KSTACK_LO, TASK_LO, TASK_HI, CODE_LO, CODE_HI + 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(napot_encodes_size_in_the_low_bits),
		cmocka_unit_test(ranges_become_napot_or_tor),
		cmocka_unit_test(the_entry_budget_is_sixteen),
		cmocka_unit_test(the_task_plan_uses_four_or_five_entries_and_holds_the_invariants),
		cmocka_unit_test(a_plan_that_cannot_be_encoded_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
