/*
 * stack.c: hands out stacks downward from `available`, exactly as the design document says.
 * start.c takes the kernel stack from it first (hi = end of RAM), then task.c the task stacks.
 */
#include "stack.h"

const char *stack_alloc(struct stack_arena *a, uint64_t size, struct lr_range *out)
{
	uint64_t rounded = (size + STACK_ALIGN - 1) & ~(uint64_t)(STACK_ALIGN - 1);
	if (size == 0)
		return "stack size is 0";
	if (rounded < size)
		return "stack size is not representable";
	if (a->available < a->floor || a->available - a->floor < rounded)
		return "stack would reach into the task code"; /* the first of what lies under floor */
	out->hi = a->available;
	out->lo = a->available - rounded;
	a->available = out->lo;
	return 0;
}

void stack_paint(const struct lr_range *s)
{
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)s->lo;
	volatile uint64_t *end = (volatile uint64_t *)(uintptr_t)s->hi;
	*w++ = LR_SENTINEL;
	while (w < end)
		*w++ = LR_PAINT;
}

int stack_sentinel_ok(const struct lr_range *s)
{
	return *(volatile uint64_t *)(uintptr_t)s->lo == LR_SENTINEL;
}

int stack_overflowed(const struct lr_range *s, uint64_t floor, uint64_t sp)
{
	return sp <= s->lo + 8 && sp >= floor;
}
