/*
 * diagram.c: draws the design document's memory diagram from a layout record, high addresses
 * first, with real addresses on every boundary. Built into the kernel (boot log) and the
 * inspector (`inspector diagram`): freestanding, so no libc at all, a fixed line buffer, and
 * every number formatted by the helpers below.
 */
#include "diagram.h"

#define BOX_INNER  44  /* characters between a box's two bars */
#define TEXT_INDENT 3  /* spaces before a box's text, as the document draws it */
#define LINE_LEN   160 /* longest line: bar, box, address and the joined labels */

struct line {
	char buf[LINE_LEN];
	unsigned len;
};

static void line_putc(struct line *l, char c)
{
	if (l->len < LINE_LEN - 1)
		l->buf[l->len++] = c;
}

static void line_puts(struct line *l, const char *s)
{
	while (*s)
		line_putc(l, *s++);
}

static void line_pad(struct line *l, unsigned column, char c)
{
	while (l->len < column && l->len < LINE_LEN - 1)
		line_putc(l, c);
}

/* "0x" and 16 hex digits: fixed width, so the address column lines up. */
static void line_hex(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	line_puts(l, "0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		line_putc(l, digits[(v >> shift) & 15]);
}

static void line_dec(struct line *l, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		line_putc(l, tmp[--n]);
}

/* "512 B", "16 KiB", "2.9 MiB": the largest unit that fits, one truncated decimal if inexact. */
static void line_size(struct line *l, uint64_t bytes)
{
	static const char *const units[] = { " B", " KiB", " MiB", " GiB", " TiB" };
	unsigned u = 0;
	while (u < 4 && bytes >> (10 * (u + 1)))
		u++;
	uint64_t whole = bytes >> (10 * u);
	uint64_t rest = bytes - (whole << (10 * u));
	line_dec(l, whole);
	if (rest) {
		line_putc(l, '.');
		line_dec(l, (rest * 10) >> (10 * u));
	}
	line_puts(l, units[u]);
}

struct drawing {
	diagram_emit_fn *emit;
	void *ctx;
	struct line edge;      /* the boundary line waiting for the labels of the boxes below it */
	uint64_t edge_addr;
	int edge_pending;
	int edge_labels;       /* labels already on it */
};

static void emit(struct drawing *d, struct line *l)
{
	l->buf[l->len] = 0;
	d->emit(d->ctx, l->buf);
	l->len = 0;
}

static void edge_label(struct drawing *d, const char *label, uint64_t number)
{
	if (!label)
		return;
	line_puts(&d->edge, d->edge_labels++ ? " = " : "  <- ");
	line_puts(&d->edge, label);
	if (number) {
		line_dec(&d->edge, number);
		line_puts(&d->edge, " lo");
	}
}

static void edge_start(struct drawing *d, uint64_t addr)
{
	d->edge.len = 0;
	line_putc(&d->edge, '+');
	line_pad(&d->edge, BOX_INNER + 1, '-');
	line_puts(&d->edge, "+  ");
	line_hex(&d->edge, addr);
	d->edge_addr = addr;
	d->edge_pending = 1;
	d->edge_labels = 0;
}

static void edge_flush(struct drawing *d)
{
	if (d->edge_pending)
		emit(d, &d->edge);
	d->edge_pending = 0;
}

/* A box's text line: "|   text      |" and, when note is set, its address and note. */
static void box_text(struct drawing *d, struct line *l, const char *note, uint64_t note_addr)
{
	line_pad(l, BOX_INNER + 1, ' ');
	l->len = BOX_INNER + 1; /* a text too long is cut at the bar, never pushes it */
	line_putc(l, '|');
	if (note) {
		line_puts(l, "  ");
		line_hex(l, note_addr);
		line_puts(l, "  <- ");
		line_puts(l, note);
	}
	emit(d, l);
}

struct box {
	uint64_t lo, hi;
	const char *title;
	const char *name;              /* a task's NUL-padded name, or NULL */
	uint64_t task;                 /* task number, 0 for the other boxes */
	const struct stack_usage *use; /* stacks only */
	const struct stack_bound *bound;
	const char *hi_label, *lo_label;
	const char *note;              /* kernel stack: "SP initial", at hi */
};

/*
 * The bytes a stack box shows as used. The kernel hands over the paint's bare count (the lowest
 * word ever written); the deepest sp lay at that word rounded down to STACK_ALIGN or lower, as
 * the engine measures it (engine/stacks.c), whose figures arrive rounded already.
 */
static uint64_t box_used(const struct box *b)
{
	uint64_t lowest = (b->hi - b->use->high_water) & ~(uint64_t)(STACK_ALIGN - 1);
	if (b->use->high_water == 0 || b->use->high_water > b->hi - b->lo)
		return b->use->high_water;
	return b->hi - (lowest > b->lo ? lowest : b->lo);
}

static void box_draw(struct drawing *d, const struct box *b)
{
	struct line l;
	if (b->hi != d->edge_addr || !d->edge_pending) {
		/* The box does not start where the one above ended: show both edges. */
		edge_flush(d);
		edge_start(d, b->hi);
		edge_label(d, b->hi_label ? b->hi_label : "!! not the lo of the box above", 0);
	} else {
		edge_label(d, b->hi_label, 0);
	}
	if (b->hi > b->lo) {
		edge_flush(d);
		l.len = 0;
		line_putc(&l, '|');
		line_pad(&l, 1 + TEXT_INDENT, ' ');
		line_puts(&l, b->title);
		if (b->task) {
			line_dec(&l, b->task);
			line_puts(&l, " stack '");
			for (unsigned i = 0; i < LR_NAME_LEN && b->name[i]; i++)
				line_putc(&l, b->name[i] >= ' ' && b->name[i] < 0x7f ? b->name[i] : '?');
			line_putc(&l, '\'');
		}
		box_text(d, &l, b->note, b->hi);
		line_putc(&l, '|');
		line_pad(&l, 1 + TEXT_INDENT, ' ');
		line_size(&l, b->hi - b->lo);
		box_text(d, &l, 0, 0);
		if (b->use && b->use->known) {
			line_putc(&l, '|');
			line_pad(&l, 1 + TEXT_INDENT, ' ');
			line_puts(&l, "used ");
			line_size(&l, box_used(b));
			line_puts(&l, " / ");
			line_size(&l, b->hi - b->lo);
			box_text(d, &l, 0, 0);
		}
		if (b->bound && b->bound->known) {
			line_putc(&l, '|');
			line_pad(&l, 1 + TEXT_INDENT, ' ');
			line_puts(&l, "static bound ");
			if (b->bound->known == 1)
				line_size(&l, b->bound->bytes);
			else
				line_puts(&l, "unbounded");
			box_text(d, &l, 0, 0);
		}
		edge_start(d, b->lo);
	}
	/* An empty box ("if there is" padding) only adds its labels to the shared edge. */
	edge_label(d, b->lo_label, b->task);
}

/* Inlined into both entry points (no address for -finstrument-functions to take): in the
 * kernel, with no bounds, it compiles to the drawing alone. */
static inline __attribute__((always_inline, no_instrument_function)) void
draw(const struct layout_record *r, const struct stack_usage *kstack, const struct stack_usage *tasks,
     const struct stack_bound *kbound, const struct stack_bound *tbounds, diagram_emit_fn *emit_fn, void *ctx)
{
	struct drawing d;
	struct box b;
	uint32_t count = r->task_count < LR_MAX_TASKS ? r->task_count : LR_MAX_TASKS;

	d.emit = emit_fn;
	d.ctx = ctx;
	d.edge_pending = 0;
	d.edge_addr = 0;
	d.edge.len = 0;
	line_puts(&d.edge, "High addresses");
	emit(&d, &d.edge);

	b = (struct box){ r->kstack.lo, r->kstack.hi, "Kernel stack (grows downward)", 0, 0, kstack, kbound,
			  "end of RAM", "kernel stack lo = first available", "SP initial" };
	box_draw(&d, &b);
	/* Creation order is high to low: task 1 right under the kernel stack. */
	for (uint32_t i = 0; i < count; i++) {
		const struct lr_task *t = &r->tasks[i];
		b = (struct box){ t->stack.lo, t->stack.hi, "Task ", t->name, t->id ? t->id : i + 1,
				  tasks ? &tasks[i] : 0, tbounds ? &tbounds[i] : 0, 0, "task ", 0 };
		box_draw(&d, &b);
	}
	b = (struct box){ r->free.lo, r->free.hi, "Free / heap", 0, 0, 0, 0, "available", "task code end", 0 };
	box_draw(&d, &b);
	b = (struct box){ r->task_code.lo, r->task_code.hi, "Task code (user mode: read, execute)", 0, 0,
			  0, 0, 0, "record end", 0 };
	box_draw(&d, &b);
	b = (struct box){ r->record.lo, r->record.hi, "Layout record", 0, 0, 0, 0, 0, "record start", 0 };
	box_draw(&d, &b);
	b = (struct box){ r->padding.lo, r->padding.hi, "Padding", 0, 0, 0, 0, 0, "image end", 0 };
	box_draw(&d, &b);
	b = (struct box){ r->data.lo, r->boot_stack.hi, "Kernel data (.bss, .data, boot stack)", 0, 0, 0, 0,
			  0, "data start", 0 };
	box_draw(&d, &b);
	/* Up to data's lo, so the alignment the linker leaves after .rodata is not drawn as a gap. */
	b = (struct box){ r->text.lo, r->data.lo, "Kernel text (.text, .rodata)", 0, 0, 0, 0, 0,
			  "start of RAM", 0 };
	box_draw(&d, &b);
	edge_flush(&d);
	line_puts(&d.edge, "Low addresses");
	emit(&d, &d.edge);
}

void diagram_draw(const struct layout_record *r, const struct stack_usage *kstack,
		  const struct stack_usage *tasks, diagram_emit_fn *emit_fn, void *ctx)
{
	draw(r, kstack, tasks, 0, 0, emit_fn, ctx);
}

/* Only readers of a dump know a static bound: the kernel has no use for this one. */
#if __STDC_HOSTED__
void diagram_draw_bounds(const struct layout_record *r, const struct stack_usage *kstack,
			 const struct stack_usage *tasks, const struct stack_bound *kbound,
			 const struct stack_bound *tbounds, diagram_emit_fn *emit_fn, void *ctx)
{
	draw(r, kstack, tasks, kbound, tbounds, emit_fn, ctx);
}
#endif
