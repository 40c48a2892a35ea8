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

typedef void diagram_emit_fn(void *ctx, const char *line);

/*
 * Draws r from high addresses to low, one emit() per line, without a trailing newline.
 * kstack: usage of the kernel stack or NULL; tasks: r->task_count entries or NULL.
 */
void diagram_draw(const struct layout_record *r, const struct stack_usage *kstack,
		  const struct stack_usage *tasks, diagram_emit_fn *emit, void *ctx);

#endif
