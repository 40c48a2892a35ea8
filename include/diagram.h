/*
 * diagram.h: the design document's high/low diagram of a layout record, drawn by lib/diagram.c.
 * One renderer for the kernel's boot log and the inspector's `diagram` command, so both draw
 * the same picture. Freestanding: no libc, output goes line by line through `emit`.
 */
#ifndef DIAGRAM_H
#define DIAGRAM_H

#include "layout_record.h"

/* What a reader measured of one stack's memory; known = 0 draws the stack without usage. */
struct stack_usage {
	int known;
	uint64_t high_water; /* bytes ever used, from the paint (lr_stack_high_water) */
};

/* What the static stack analysis says of one stack (the inspector's, docs/stack-budget.md). */
struct stack_bound {
	int known;           /* 0 not analysed; 1 the worst case below; 2 unbounded */
	uint64_t bytes;      /* bytes below hi its code can reach at the deepest */
};

typedef void diagram_emit_fn(void *ctx, const char *line);

/*
 * Draws r from high addresses to low, one emit() per line, without a trailing newline.
 * kstack: usage of the kernel stack or NULL; tasks: r->task_count entries or NULL.
 */
void diagram_draw(const struct layout_record *r, const struct stack_usage *kstack,
		  const struct stack_usage *tasks, diagram_emit_fn *emit, void *ctx);
/* The same with each stack's static worst case marked inside it: kbound for the kernel stack,
 * tbounds for the tasks (either may be NULL). Hosted builds only (the inspector, GDB). */
void diagram_draw_bounds(const struct layout_record *r, const struct stack_usage *kstack,
			 const struct stack_usage *tasks, const struct stack_bound *kbound,
			 const struct stack_bound *tbounds, diagram_emit_fn *emit, void *ctx);

#endif
