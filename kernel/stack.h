/* stack.h: the stack allocator of the design document (stack.c), built for the kernel and host tests. */
#ifndef STACK_H
#define STACK_H

#include "layout_record.h"

/* Stacks are handed out downward from `available`; none may reach below `floor`. */
struct stack_arena {
	uint64_t floor;     /* the task code's end: under it the task code, the record, the image */
	uint64_t available; /* hi of the next stack */
};

/*
 * The document's rule: hi = available, lo = available - size, available = lo; the word at lo is
 * excluded from the stack's owner. size is rounded up to STACK_ALIGN so sp stays aligned.
 * Returns NULL, or why the request was refused (the arena is then unchanged).
 */
const char *stack_alloc(struct stack_arena *a, uint64_t size, struct lr_range *out);

/* Writes LR_SENTINEL at lo and LR_PAINT over the rest, so high-water marks can be measured. */
void stack_paint(const struct lr_range *s);

int stack_sentinel_ok(const struct lr_range *s);

/*
 * Whether the owner of s ran its own frames into or past lo, by its sp: at or under lo + 8 (a
 * frame there reaches the excluded word or skips it), but not under floor, the arena's (an sp in
 * the task code, the record or the image is no frame that grew there but a foreign sp).
 */
int stack_overflowed(const struct lr_range *s, uint64_t floor, uint64_t sp);

#endif
