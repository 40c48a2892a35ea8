/* test_stack.c: the design document's allocation rule, refusals and painting (kernel/stack.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stack.h"

#define FLOOR 0x80105000ULL /* the task code's end, as at 128M */
#define END   0x88000000ULL

static void kernel_stack_then_tasks_chain_downward(void **state)
{
	(void)state;
	struct stack_arena a = { FLOOR, END };
	struct lr_range k, t1, t2;
	assert_null(stack_alloc(&a, 0x4000, &k));
	assert_int_equal(k.hi, END);                 /* kernel stack hi = end of RAM */
	assert_int_equal(k.lo, END - 0x4000);
	assert_int_equal(a.available, k.lo);         /* its lo becomes available */
	assert_null(stack_alloc(&a, 0x1000, &t1));
	assert_int_equal(t1.hi, k.lo);               /* task 1 hi = kernel stack lo */
	assert_int_equal(t1.lo, k.lo - 0x1000);
	assert_null(stack_alloc(&a, 0x2000, &t2));
	assert_int_equal(t2.hi, t1.lo);              /* each stack under the previous one */
	assert_int_equal(a.available, t2.lo);        /* available = the last lo */
}

static void sizes_round_up_to_keep_sp_aligned(void **state)
{
	(void)state;
	static const struct { uint64_t ask, got; } cases[] = {
		{ 1, 16 }, { 15, 16 }, { 16, 16 }, { 17, 32 }, { 1000, 1008 }, { 4096, 4096 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct stack_arena a = { FLOOR, END };
		struct lr_range s;
		assert_null(stack_alloc(&a, cases[i].ask, &s));
		assert_int_equal(s.hi - s.lo, cases[i].got);
		assert_int_equal(s.lo % STACK_ALIGN, 0);
	}
}

static void refusals_leave_the_arena_unchanged(void **state)
{
	(void)state;
	static const struct { uint64_t avail, size; const char *why; } cases[] = {
		{ END, 0, "stack size is 0" },
		{ END, UINT64_MAX, "stack size is not representable" },
		{ END, END - FLOOR + 16, "stack would reach into the task code" },
		{ FLOOR + 0x100, 0x110, "stack would reach into the task code" },
		{ FLOOR - 0x10, 0x10, "stack would reach into the task code" }, /* already below */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct stack_arena a = { FLOOR, cases[i].avail };
		struct lr_range s = { 1, 2 };
		assert_string_equal(stack_alloc(&a, cases[i].size, &s), cases[i].why);
		assert_int_equal(a.available, cases[i].avail);
		assert_int_equal(s.lo, 1);
	}
}

static void a_stack_may_end_exactly_at_the_floor(void **state)
{
	(void)state;
	struct stack_arena a = { FLOOR, FLOOR + 0x100 };
	struct lr_range s;
	assert_null(stack_alloc(&a, 0x100, &s));
	assert_int_equal(s.lo, FLOOR);
	assert_non_null(stack_alloc(&a, 16, &s));
}

static void paint_puts_the_sentinel_at_lo_and_paint_above(void **state)
{
	(void)state;
	static uint64_t mem[32];
	struct lr_range s = { (uint64_t)(uintptr_t)mem, (uint64_t)(uintptr_t)(mem + 32) };
	stack_paint(&s);
	assert_int_equal(mem[0], LR_SENTINEL);
	for (int i = 1; i < 32; i++)
		assert_int_equal(mem[i], LR_PAINT);
	assert_true(stack_sentinel_ok(&s));
	assert_int_equal(lr_stack_high_water((uint8_t *)mem, sizeof mem, LR_PAINT), 0);
	mem[30] = 1; /* two words used from the top */
	assert_int_equal(lr_stack_high_water((uint8_t *)mem, sizeof mem, LR_PAINT), 16);
	mem[1] = 1; /* the lowest usable word: the whole stack minus the excluded one */
	assert_int_equal(lr_stack_high_water((uint8_t *)mem, sizeof mem, LR_PAINT), sizeof mem - 8);
	mem[0] = 0;
	assert_false(stack_sentinel_ok(&s));
}

/* Its own frames ran into or past lo: sp at or under lo + 8, down to the floor; above lo + 8
 * (in its stack, or above hi) or under the floor (a foreign sp) it did not. */
static void an_sp_at_or_under_lo_plus_8_overflowed(void **state)
{
	(void)state;
	const struct lr_range s = { 0x87ffbc00, 0x87ffc000 };
	static const struct { uint64_t sp; int overflowed; } cases[] = {
		{ 0x87ffc000, 0 },     /* hi: an empty stack */
		{ 0x87ffbc10, 0 },     /* lo + 16: the lowest aligned sp that leaves lo alone */
		{ 0x87ffbc08, 1 },     /* lo + 8: the next store reaches lo */
		{ 0x87ffbc00, 1 },     /* lo: tight.conf, the frame's store on the lo word */
		{ 0x87ffbbc0, 1 },     /* under lo, in the stack below: a frame that skipped lo */
		{ FLOOR, 1 },          /* down to the floor */
		{ FLOOR - 16, 0 },     /* under it, in the task code: a foreign sp */
		{ 0x87ffc200, 0 },     /* above hi: a foreign sp (foreign-sp.conf) */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (stack_overflowed(&s, FLOOR, cases[i].sp) != cases[i].overflowed)
			fail_msg("sp %#llx: expected %d", (unsigned long long)cases[i].sp, cases[i].overflowed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_stack_then_tasks_chain_downward),
		cmocka_unit_test(sizes_round_up_to_keep_sp_aligned),
		cmocka_unit_test(refusals_leave_the_arena_unchanged),
		cmocka_unit_test(a_stack_may_end_exactly_at_the_floor),
		cmocka_unit_test(paint_puts_the_sentinel_at_lo_and_paint_above),
		cmocka_unit_test(an_sp_at_or_under_lo_plus_8_overflowed),
	};
	return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
