/*
 * engine.h: the engine's modules and who calls whom, inside libklayout. session.c holds a target
 * (how to read it, its RAM and harts), its record and its stacks; record.c decodes the record;
 * stacks.c measures the stacks; check*.c evaluate the invariants into a report (report.c);
 * budget.c gives each stack its static worst case (budget_*.c: the call graph, budget.h).
 * Nothing here prints: the texts are out_text.c's, and the checks never see them.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "klayout.h"

/* ---- session.c: reading the target --------------------------------------------------------- */
/*
 * [addr, addr + len) of the target: in place when the target maps, else copied into a buffer
 * returned in *owned (free it). NULL when the target does not hold every byte.
 */
const uint8_t *kl_bytes(const struct kl_session *s, uint64_t addr, uint64_t len, void **owned);
/* The little-endian word at addr: 0, or -1 when the target does not hold it. */
int kl_read_u64(const struct kl_session *s, uint64_t addr, uint64_t *value);
/* How a missing range is said: "not in the dump", or live "not readable". */
const char *kl_absent(const struct kl_session *s);
int kl_live(const struct kl_session *s);
/* 1 when [addr, addr + len) lies in the RAM of a sparse dump (kl_set_sparse): not saved, not absent. */
int kl_unsaved(const struct kl_session *s, uint64_t addr, uint64_t len);
/* hart.sp's skip reason when no hart's registers are known. */
const char *kl_no_harts(const struct kl_session *s);
/* Hart 0's register file and CSRs as a front end set them (kl_set_hart_regs, kl_set_hart_csrs):
 * NULL, 0 when it did not; the kernel ELF when one is open, else NULL. threads.c reads them. */
const uint64_t *kl_hart_regs(const struct kl_session *s);
int kl_hart_csrs(const struct kl_session *s, uint64_t *mepc, uint64_t *mscratch);
const struct kelf *kl_kelf(const struct kl_session *s);

/* ---- record.c -------------------------------------------------------------------------------- */
/* Copies the published record copy out of the target (its address in *addr): 0, or -1 after a
 * message (no record page). */
int record_find(const struct kl_session *s, struct layout_record *r, uint64_t *addr);
/* The publication block at RECORD_ADDR: 0, or -1 when the target lacks it. */
int record_publication(const struct kl_session *s, struct lr_publication *pub);
/* Where the record copy the checks read lies (fields are reported at their address there). */
uint64_t kl_record_addr(const struct kl_session *s);

/* ---- stacks.c -------------------------------------------------------------------------------- */
size_t stacks_measure(const struct kl_session *s, const struct layout_record *r,
		      struct stack_info out[STACKS_MAX]);

/* ---- report.c -------------------------------------------------------------------------------- */
void report_init(struct report *rep);
void report_pass(struct report *rep, unsigned inv);   /* ran; passes unless it failed */
void report_skip(struct report *rep, unsigned inv, const char *reason);
/* The violation recorded (about no stack, a root cause), or NULL when the report is full. */
struct violation *report_fail(struct report *rep, unsigned inv, enum violation_source src,
			      const char *region, uint64_t addr, const char *expected, const char *found);
/* report_fail with expected and found as 64-bit hex words. */
struct violation *report_fail_hex(struct report *rep, unsigned inv, const char *region, uint64_t addr,
				  uint64_t expected, uint64_t found);

/* ---- check*.c: the invariants ------------------------------------------------------------------ */
struct check_ctx {
	const struct kl_session *s;
	const struct layout_record *r;
	const struct kelf *k;  /* NULL without an ELF */
	int min_headroom;      /* percent, -1 without --min-headroom */
	const struct stack_info *stacks;
	size_t nstacks;
	struct report *rep;
	int kernel_breach;     /* index in rep->v of the kernel's last entry of its own (owner 0), -1 */
};

/* Runs every check in LR_INVARIANTS order; the others are called by it only. */
void check_run(struct check_ctx *c);
int check_record(struct check_ctx *c);  /* nonzero: header unusable, stop */
void check_layout(struct check_ctx *c);
void check_stacks(struct check_ctx *c);
void check_hart(struct check_ctx *c);
void check_image(struct check_ctx *c);
void check_elf(struct check_ctx *c);
/* check_stacks.c: marks the follow-ons of each stack's overflow (after every other check). */
void check_follow_ons(struct check_ctx *c);
/* ": reached depth D of N, needed at least B bytes, U usable" for an overflow of stacks[i] whose
 * lowest address seen is `lowest` (the parts it cannot know left out); returns its length. */
size_t overflow_detail(const struct check_ctx *c, size_t i, uint64_t lowest, char *buf, size_t len);
void check_budget(struct check_ctx *c);

#endif
