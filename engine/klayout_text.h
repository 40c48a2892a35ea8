/*
 * klayout_text.h: the texts every front end prints, from the engine's results (out_text.c): the
 * `check` lines and summary, the `stacks` table, the `record` listing, the diagram. The
 * inspector prints them to stdout; GDB gets them as strings (kl_*_text). The checks never
 * include this header: what a rule finds does not depend on how it is shown.
 */
#ifndef KLAYOUT_TEXT_H
#define KLAYOUT_TEXT_H

#include "klayout.h"

struct dump;           /* the inspector's dump (inspector/inspector.h), for its own formats */
struct check_view {    /* everything a check output shows */
	const char *dump_path;
	const struct dump *d;  /* NULL outside the inspector */
	const struct layout_record *r;
	const struct stack_info *stacks;
	size_t nstacks;
	const struct report *rep;
	int verbose;
};

void out_check_text(FILE *out, const struct check_view *v);
void out_stacks_text(FILE *out, const struct stack_info *s, size_t n);
/* `record`: every field as a stable `name: value` line. */
void record_print(FILE *out, const struct layout_record *r);
/* One violation as the text formats show it, without newline: "ID: REGION: at ADDR: expected E,
 * found F" and its marks (violation_marks). */
void violation_format(char *buf, size_t len, const struct report *rep, const struct violation *v);
/* What the text formats append to a violation: " (reported by the kernel)" for the kernel's,
 * " (follows ID of REGION)" for a follow-on (its root cause's id and region); "" for neither. */
void violation_marks(char *buf, size_t len, const struct report *rep, const struct violation *v);
/* "19 checks, 3 violations (1 follow-on)": the summary every format gives (no follow-ons: no
 * parentheses; one violation: "1 violation"). */
void report_summary(char *buf, size_t len, const struct report *rep);
/* `diagram`: the design document's picture with the target's addresses and stack use. */
void kl_diagram_print(FILE *out, struct kl_session *s);

/* `budget`: a table of every stack's static worst case against its size, then each stack's
 * deepest chain (or why it is unbounded) and a summary line naming elf_path. */
void kl_budget_print(FILE *out, const char *elf_path, const struct kl_budget *b,
		     const struct kl_stack_budget *s, size_t n);

/* The same texts as malloc'd strings for front ends without a FILE (GDB's ctypes); kl_free them.
 * NULL after a message. *violations (may be NULL) gets the count that decides the exit status. */
char *kl_check_text(struct kl_session *s, int min_headroom, int verbose, size_t *violations);
char *kl_stacks_text(struct kl_session *s);
char *kl_record_text(struct kl_session *s);
char *kl_diagram_text(struct kl_session *s);
void kl_free(void *p);

#endif
