/*
 * klayout.h: the rules engine, libklayout (build/libklayout.a, build/libklayout.so). Every front
 * end goes through it: the inspector CLI (inspector/) on dump files, GDB (gdb-scripts/klayout/,
 * through ctypes) live over the gdbstub and on cores. The engine owns every rule: the record's
 * decoding, the invariants, the stacks' measurement, the diagram. A front end only says how to
 * read physical memory and what it knows of the harts, then shows the verdicts.
 *
 *   struct kl_session *s = kl_new(path, my_read, my_ctx);   (or kl_set_map for zero copy)
 *   kl_set_ram(s, lo, hi); kl_add_hart(s, pc, sp);          (what the target knows)
 *   kl_load(s);  kl_open_elf(s, "kernel.elf");               (optional: the elf.* checks)
 *   const struct report *rep = kl_check(s, -1);              (the verdicts)
 *   char *text = kl_check_text(s, -1, 0, &n);  kl_free(text); kl_close(s);  (klayout_text.h)
 *
 * Errors are one line "'FILE': what is wrong", printed as "PROGRAM: ..." on stderr when a
 * program name is set (kl_set_program) and kept for kl_last_error() in every case.
 */
#ifndef KLAYOUT_H
#define KLAYOUT_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <gelf.h>
#include "layout_record.h"
#include "lr_regions.h"
#include "budget.h"

/* ---- util.c: messages and formatting ---------------------------------------------------------- */
/* One line: "PROGRAM: 'FILE': message". Returns -1 so callers can `return fail(...)`. */
int fail(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As fail(), with libelf's reason appended: "...: message: elf_errmsg(-1)". */
int fail_elf(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The program name messages go out under on stderr; NULL: keep them for kl_last_error only. */
void kl_set_program(const char *name);
/* The last message, without the program name ("" when none). */
const char *kl_last_error(void);
/* The same, with a generic text when there was none yet (for reports that must say why). */
const char *fail_last(void);
/* The length of the well-formed UTF-8 sequence at s (1-4), 0 when s starts an ill-formed one. */
size_t utf8_seq(const unsigned char *s);
/*
 * Opens an input read-only without blocking (a FIFO given as a file must not hang) and refuses
 * anything but a regular file, before a byte is read: 0, or -1 after a message.
 */
int input_open(const char *path, int *fd, struct stat *st);
/* Bytes as lowercase hex pairs ("de43b9...": a build ID) into buf, as many as fit; returns buf. */
char *hex_bytes(char *buf, size_t len, const uint8_t *bytes, size_t n);
/* "0x%016" PRIx64 into buf (at least 19 bytes); returns buf. */
char *hex64(char *buf, uint64_t v);
/* "[0x80000000, 0x80400000)" into buf; returns buf. */
char *range_str(char *buf, size_t len, struct lr_range g);
/* A task's name from its NUL-padded field, non-printable bytes as '?': buf >= LR_NAME_LEN + 1. */
char *task_name(char *buf, const struct lr_task *t);
/* task_name() on a raw LR_NAME_LEN-byte field (for readers holding bytes: GDB); static buffer. */
const char *kl_task_name_bytes(const char *field);
/* "new", "ready", "running", "parked", "faulted", else "unknown". */
const char *kl_task_state_name(uint32_t state);
/* The invariant's stable id and its one-line description, from LR_INVARIANTS. */
const char *invariant_id(unsigned inv);
const char *invariant_text(unsigned inv);

/* ---- session.c: a target, its record, its stacks ------------------------------------------------ */
#define KL_MAX_HARTS 8

/* Copies [paddr, paddr + len) of the target into buf: 0 when every byte was read, else -1. */
typedef int kl_read_fn(void *ctx, uint64_t paddr, void *buf, uint64_t len);
/* The bytes of [paddr, paddr + len) in place, or NULL when not all present (files mapped). */
typedef const void *kl_map_fn(void *ctx, uint64_t paddr, uint64_t len);

struct kl_session;

/* A session on a target named name (a dump's path: messages and summaries name it). */
struct kl_session *kl_new(const char *name, kl_read_fn *read, void *ctx);
/* Zero-copy reads for targets already in memory; read may then be NULL. */
void kl_set_map(struct kl_session *s, kl_map_fn *map);
/* A running machine (GDB over the gdbstub): "not readable" rather than "not in the dump". */
void kl_set_live(struct kl_session *s, int live);
/* The RAM the target holds around RECORD_ADDR (a dump's segment): layout.ram compares it. */
void kl_set_ram(struct kl_session *s, uint64_t lo, uint64_t hi);
/* A sparse dump holds only part of its RAM (kl_set_ram): a range of RAM it lacks was not saved,
 * so the checks that need it are skipped with a reason, never reported as holding or broken. */
void kl_set_sparse(struct kl_session *s, int sparse);
/* One hart's registers, in hart order; without any, hart.sp is skipped for `reason`. */
void kl_add_hart(struct kl_session *s, uint64_t pc, uint64_t sp);
void kl_set_no_harts(struct kl_session *s, const char *reason);
/* Reads the record at RECORD_ADDR: 0, or -1 after a message (the target lacks the page). */
int kl_load(struct kl_session *s);
/* The kernel ELF for the elf.* checks and image.untouched's byte compare: 0, or -1 after a message. */
int kl_open_elf(struct kl_session *s, const char *path);
void kl_close(struct kl_session *s);

const char *kl_name(const struct kl_session *s);
const struct layout_record *kl_record(const struct kl_session *s);
/* 1 when magic, version and size are the ones this engine knows: else nothing can be trusted. */
int kl_header_ok(const struct kl_session *s);
/* Why the header is not trusted, for display commands: "magic is 0x0, not 0x4452...": 0, or -1
 * when it is trusted. */
int kl_header_problem(const struct kl_session *s, char *buf, size_t len);
/* A warning for display commands (an odd generation: caught mid-update): 0, or -1 when none. */
int kl_record_warning(const struct kl_session *s, char *buf, size_t len);
/* With an ELF: 1 when the record carries the ELF's build ID. Without one: 1. */
int kl_elf_matches(const struct kl_session *s);
/*
 * A dump and an ELF of two different builds do not belong together: comparing them would list
 * every changed byte as an image.untouched violation, so front ends treat it as unusable input.
 * 1 with "the dump's kernel is build X, but 'ELF' is build Y" in buf: the two IDs differ in the
 * bytes both have. 0 when they match, when one is a prefix of the other (the same build, its
 * build_id_size wrong) or when the record or the ELF has no build ID: elf.build-id reports those.
 */
int kl_other_build(const struct kl_session *s, char *buf, size_t len);
/* The target's RAM (layout.ram) and harts, as set. */
int kl_ram(const struct kl_session *s, struct lr_range *ram);
size_t kl_harts(const struct kl_session *s, const uint64_t **pc, const uint64_t **sp);
/* Reads len bytes at paddr: 0, or -1 when the target does not hold them all. */
int kl_read(const struct kl_session *s, uint64_t paddr, void *buf, uint64_t len);

/* ---- threads.c: every task as a debugger's thread (inspector gdbcore, gdb-scripts/kthreads.py) - */
/*
 * Hart 0 as a debugger sees it: its register file as NT_PRSTATUS pr_reg (pc, x1..x31) and, when
 * the target has them, its mepc and mscratch (live over the gdbstub; in a core, the KLAYOUT note
 * LR_NOTE_CSRS that tools/kqemu.py adds). What kl_task_regs needs to tell whose registers the
 * hart holds; the checks and the stacks still see only kl_add_hart's pc and sp.
 */
void kl_set_hart_regs(struct kl_session *s, const uint64_t reg[32]);
void kl_set_hart_csrs(struct kl_session *s, uint64_t mepc, uint64_t mscratch);

/* Where kl_task_regs found a task's registers. */
enum kl_regs_source {
	KL_REGS_FRAME = 1, /* its saved frame at ctx: it is off the hart, or the kernel runs for it */
	KL_REGS_HART,      /* the hart's: it runs (the hart is in the tasks' code) */
	KL_REGS_TRAP,      /* its trap is being saved (kernel/trap.S, before TRAP_SAVED): those the
			      hart still holds from it, t6 from mscratch, its pc from mepc */
};
/*
 * Task id's registers at the target's instant, as pr_reg, and in *known bit n for each pr_reg[n]
 * known (a core without CSRs caught while a trap is saved lacks the task's pc, and t6). The
 * trap's save is told from the rest by trap.S's labels (include/trapframe.h) in the kernel ELF:
 * without kl_open_elf a running task whose hart is outside the tasks' code gets its frame.
 * Returns an enum kl_regs_source, or -1 after a message (no trusted record, no such task, a
 * frame the target lacks).
 */
int kl_task_regs(struct kl_session *s, uint32_t id, uint64_t reg[32], uint32_t *known);
/* 1 when task id's registers are the hart's own (KL_REGS_HART): a debugger may write them and
 * step the task through the hart. 0 otherwise. */
int kl_task_on_hart(struct kl_session *s, uint32_t id);
/* The record's task ids in creation order, at most max of them: how many tasks there are (0
 * without a trusted header). */
size_t kl_task_ids(const struct kl_session *s, uint32_t *ids, size_t max);
/* Task id's name (as task_name) and one line for a debugger's thread list: "task 2 'beta' parked,
 * stack 0x87ff9000-0x87ffa000, saved sp 0x87ff9e60, 2 switches". 0, or -1 for no such task. */
int kl_task_line(const struct kl_session *s, uint32_t id, char *name, size_t nlen, char *line,
		 size_t llen);
/* One line about hart 0, from kl_task_regs' rule: "runs task 2 'beta'", "in trap.S, saving task
 * 2 'beta'", "in the kernel, for task 2 'beta'", "in the kernel". */
void kl_hart_line(struct kl_session *s, char *buf, size_t len);

/* ---- kelf.c: the kernel ELF ------------------------------------------------------------------ */
struct kelf {
	const char *path;
	int fd;
	uint8_t *bytes;        /* the whole file, read once: a kernel ELF is small */
	size_t size;
	Elf *elf;
	size_t shstrndx;
};

/* Reads and validates the kernel ELF: 0, or -1 after a message naming what is wrong. */
int kelf_open(struct kelf *k, const char *path);
/* The header checks of kelf_open on bytes in memory (also the fuzz target's entry). */
int kelf_validate(const char *path, const uint8_t *bytes, size_t size);
void kelf_close(struct kelf *k);
/* Section by name with its header, or NULL. */
Elf_Scn *kelf_section(const struct kelf *k, const char *name, GElf_Shdr *shdr);
/* A global symbol's value: 0, or -1 when absent. */
int kelf_symbol(const struct kelf *k, const char *name, uint64_t *value);
/* The NT_GNU_BUILD_ID bytes: 0, or -1 when the ELF has none. */
int kelf_build_id(const struct kelf *k, const uint8_t **id, size_t *len);
/* pc as "function+0x1c (kernel/ucode.c:87)" from the symbols and the DWARF line table (libdw);
 * "function+0x1c" without line information, "0x..." when no function holds it or k is NULL. */
void kelf_pc_name(const struct kelf *k, uint64_t pc, char *buf, size_t len);
/* The file bytes of a section (not NOBITS): 0, or -1 after a message. */
int kelf_section_bytes(const struct kelf *k, Elf_Scn *scn, const uint8_t **bytes, size_t *len);

/* One image region as the ELF describes it: from sections, and from the linker's symbols. */
struct kelf_region {
	const char *name;                /* "text", "rodata", ... as in the record */
	const char *sections;            /* the sections it spans, for people */
	const char *sym_start, *sym_end; /* _x_start, _x_end */
	int have_sections, have_symbols;
	struct lr_range by_sections, by_symbols;
};
#define KELF_REGIONS LR_IMAGE_REGION_COUNT
/* Fills the image regions of LR_IMAGE_REGIONS, in that order. */
void kelf_regions(const struct kelf *k, struct kelf_region out[KELF_REGIONS]);

/* ---- record.c: the layout record --------------------------------------------------------------- */
/* 0 when magic, version and size are the ones this reader knows: else nothing can be trusted. */
int record_header_ok(const struct layout_record *r);
/* Whether the record carries exactly this build ID. */
int record_build_id_is(const struct layout_record *r, const uint8_t *id, size_t len);
/* Tasks and kernel violations actually stored, clamped to the arrays. */
uint32_t record_task_count(const struct layout_record *r);
uint32_t record_violations_kept(const struct layout_record *r);

/* A region of the record, low to high, as layout.order walks them. */
struct region {
	char name[48];         /* "text", ..., "task 2 'beta'", "kernel stack" */
	struct lr_range range;
	int in_image;          /* small alignment gaps allowed before it */
	int is_stack;          /* a task or the kernel stack */
};
#define REGIONS_MAX (11 + LR_MAX_TASKS)
size_t record_regions(const struct layout_record *r, struct region out[REGIONS_MAX]);

/* ---- stacks.c: what the target says about each stack ---------------------------------------- */
struct stack_info {
	char owner[48];        /* "kernel stack" or "task 2 'beta'" */
	uint32_t id;           /* 0 = the kernel */
	char name[LR_NAME_LEN + 1];
	uint32_t state;        /* LR_TASK_*; the kernel counts as RUNNING when current == 0 */
	struct lr_range range;
	uint64_t saved_sp;     /* kernel_sp or the task's saved_sp */
	int have_used;         /* sp now known and inside (lo, hi] */
	uint64_t used;         /* hi - sp now */
	int have_paint;        /* the whole stack is in the dump */
	uint64_t high_water;   /* bytes ever used: the paint's lowest written word, aligned as sp is,
				* and never less than used or the saved sp says (stacks.c) */
	int have_lo_word;
	uint64_t lo_word;      /* the excluded word */
	int sentinel_ok;       /* lo_word is the record's sentinel */
	int have_lo_next;
	uint64_t lo_next_word; /* the lowest usable word, lo + 8: paint unless the stack got there */
	int have_static;       /* the static stack analysis ran on it (an ELF with its .su and .ci) */
	int static_bounded;    /* its worst case is known */
	uint64_t static_bound; /* bytes below hi at its deepest point: the static worst case */
	uint64_t static_needed; /* static_bound plus the excluded lo word: the least size that fits */
};
#define STACKS_MAX (1 + LR_MAX_TASKS)
/* Kernel stack first, then tasks in creation order (measured once per session). */
size_t kl_stacks(struct kl_session *s, const struct stack_info **out);
/* (size - high_water) * 100 / size, the check's and the tables' headroom. */
unsigned stack_headroom_pct(const struct stack_info *s);

/* ---- budget.c: the static stack analysis (docs/stack-budget.md) ------------------------------- */
struct kl_budget;
/* One stack's question (entries, size, recursion bound) and answer (worst case, chain, or why
 * it is unbounded). */
struct kl_stack_budget {
	struct bg_stack q;
	struct bg_result r;
	int task;              /* 0 the kernel stack, n task n, -1 a stack the table sizes itself */
	uint64_t lo;           /* in the record; 0 before boot */
};
/*
 * The analysis of a kernel ELF: the table it carries in .klayout.budget (or table_path), the
 * .su and .ci files under su_dir (NULL: `obj` beside the ELF). NULL after a message. With why
 * (kl_budget_on), a kernel that offers nothing to analyse (no table, no such directory) is no
 * error: NULL with the reason in why, for checks that are then skipped.
 */
struct kl_budget *kl_budget_open(const char *elf_path, const char *su_dir, const char *table_path);
struct kl_budget *kl_budget_on(const struct kelf *k, const char *su_dir, const char *table_path,
			       char *why, size_t why_len);
/* An analysis of a graph read some other way (unit tests): it owns g. NULL when out of memory. */
struct kl_budget *kl_budget_of(struct bg_graph *g);
void kl_budget_close(struct kl_budget *b);
const struct bg_graph *kl_budget_graph(const struct kl_budget *b);
/* Every stack's worst case: the record's stacks (r), or before boot the config's (r NULL), then
 * the table's own. The count, or -1 after a message. Valid until the next call. */
ssize_t kl_budget_stacks(struct kl_budget *b, const struct layout_record *r,
			 const struct kl_stack_budget **out);
/* Bounded and no larger than its configured size, less its reserve. */
int kl_budget_fits(const struct kl_stack_budget *s);
/* "task_main 64, task_dive 64 x5, task_at_depth 32": the deepest chain, frames in bytes. */
char *kl_budget_chain(const struct bg_graph *g, const struct kl_stack_budget *s, char *buf, size_t len);
/* Why a stack is unbounded: its first unknown, with the chain to it. */
char *kl_budget_why(const struct bg_graph *g, const struct kl_stack_budget *s, char *buf, size_t len);
/* stack.budget's verdict on one stack: 1 with what was expected and found when it fails (too
 * small for its worst case, or unbounded), 0 when it fits. */
int kl_budget_verdict(const struct bg_graph *g, const struct kl_stack_budget *s, char *expected,
		      size_t elen, char *found, size_t flen);
/* The session's analysis (after kl_open_elf), or NULL with the reason (kl_budget_skip). */
struct kl_budget *kl_budget(const struct kl_session *s);
const char *kl_budget_skip(const struct kl_session *s);
/* Before kl_open_elf: where the .su and .ci files are (default: `obj` beside the ELF). */
void kl_set_budget_dir(struct kl_session *s, const char *dir);
/* Before kl_open_elf: the stack table as a file (default: the ELF's .klayout.budget). */
void kl_set_budget_table(struct kl_session *s, const char *path);
/* The session's analysis given directly (it takes b, closing the one it had). */
void kl_set_budget(struct kl_session *s, struct kl_budget *b);

/* ---- report.c: check results, the engine's verdicts ------------------------------------------- */
enum check_status { CHECK_NOT_RUN, CHECK_PASS, CHECK_FAIL, CHECK_SKIP };
enum violation_source { SOURCE_INSPECTOR, SOURCE_KERNEL };

#define VIOLATION_TEXT 512 /* expected and found, as text (a call chain fits) */
struct violation {
	unsigned inv;          /* enum lr_invariant */
	enum violation_source source;
	char region[48];
	uint64_t addr;
	char expected[VIOLATION_TEXT];
	char found[VIOLATION_TEXT];
	int stack;             /* the stack it is about: index in kl_stacks(), -1 for none */
	int follows;           /* a follow-on: index in the report's v[] of its root cause; else -1 */
};

#define REPORT_MAX_VIOLATIONS 512
struct report {
	enum check_status status[LR_INV_COUNT];
	char skip_reason[LR_INV_COUNT][64];
	struct violation v[REPORT_MAX_VIOLATIONS];
	size_t nv;
	size_t nv_dropped;     /* beyond REPORT_MAX_VIOLATIONS */
	uint32_t kernel_seen;  /* record.violation_count */
	uint32_t kernel_kept;  /* entries the record holds */
};

size_t report_checks_run(const struct report *rep);
/* Every violation, follow-ons and the kernel's dropped ones included: the count the summaries
 * give and the exit status follows (a follow-on never comes without its root cause). */
size_t report_violations(const struct report *rep);
/* Of those, the follow-ons: violations that are true but follow from another one (a stack.sp
 * or stack.lo-excluded finding on a stack that overflowed), named by report_root(). */
size_t report_follow_ons(const struct report *rep);
/* The violation v follows from, or NULL when v is a root cause itself. */
const struct violation *report_root(const struct report *rep, const struct violation *v);

/* Every invariant in LR_INVARIANTS order; min_headroom is a percent, -1 to skip stack.headroom.
 * The report belongs to the session (valid until the next kl_check or kl_close); NULL when out
 * of memory, after a message. */
const struct report *kl_check(struct kl_session *s, int min_headroom);

/* The texts every front end prints (out_text.c) are declared in klayout_text.h: the checks
 * never see them. */

#endif
