/*
 * budget.h: the static stack analysis (docs/stack-budget.md). A call graph whose functions carry
 * their frames and whose edges say where they were seen: the compiler's .su (frames) and .ci
 * (calls) files, and the kernel ELF's code (calls from assembly, tail calls, calls the compiler
 * made itself, the places where sp is loaded). A stack is an entry point, a size, recursion
 * bounds and optionally the only code it may run; its worst case is the deepest chain of frames
 * from the entry, or "unbounded" with the functions that make it so (a dynamic frame, an
 * indirect call nobody resolved, recursion without a bound), never a guess.
 *
 *   struct bg_graph *g = bg_new();
 *   bg_read_dir(g, "build/obj");  bg_read_elf(g, &kelf);  bg_read_decl(g, name, text, len);
 *   bg_finish(g);                                     (resolves names, checks the inputs agree)
 *   bg_analyse(g, &stack, &result);                   (one stack; results live in the graph)
 *
 * Unit tests feed .su, .ci and edge lists as text (bg_read_unit, bg_read_edges). Every reader
 * returns 0, or -1 after one message naming the file and what is wrong (fail()).
 */
#ifndef BUDGET_H
#define BUDGET_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct kelf;

#define BG_NAME      112   /* a function's key or shown name, a site */
#define BG_ENTRIES   8     /* entry points of one stack */
#define BG_BOUNDS    4     /* recursion bounds of one stack */
#define BG_CHAIN     64    /* steps of a chain, recursions folded */
#define BG_UNKNOWNS  16    /* reasons a stack is unbounded, kept */
#define BG_TARGETS   8     /* targets of one declared indirect call */

/* Where a frame came from. */
enum bg_frame_from { BG_FRAME_NONE, BG_FRAME_SU, BG_FRAME_ELF };

/* Where an edge was seen: the compiler's .ci, the ELF's code, or both. */
#define BG_FROM_CI   1u
#define BG_FROM_ELF  2u
#define BG_FROM_DECL 4u    /* an indirect call resolved by the declared table */

enum bg_kind {
	BG_CALL,       /* the caller's frame stays below the callee */
	BG_TAIL,       /* a jump: the callee runs at the caller's sp of the moment (often its entry sp) */
	BG_INDIRECT,   /* a call through a pointer: to = -1 until the declared table resolves it */
	BG_SWITCH,     /* sp loaded from elsewhere: what follows runs on another stack (to: that code) */
};

struct bg_func {
	char key[BG_NAME];     /* "task_dive" (global) or "kernel/ucode.c:task_dive" (local): .ci titles */
	char name[BG_NAME];    /* as shown: "task_dive"; "trap_entry@1" for code after an sp load */
	char where[BG_NAME];   /* "kernel/ucode.c:108": the .su's location, or the ELF's line */
	char file[BG_NAME];    /* the source file of where, for placing indirect calls */
	int line;
	uint64_t addr, size;   /* in the ELF (size: its extent) */
	int in_elf;
	int is_asm;            /* no .su can describe it: its frame is decoded from its code */
	enum bg_frame_from frame_from;
	uint64_t frame;        /* bytes below its entry sp, at most */
	int dynamic;           /* the .su says dynamic (alloca, a VLA): no bound */
	int has_decoded;
	uint64_t decoded;      /* the frame its code shows (sp adjustments), for the cross-check */
	int segment;           /* 0; n: its parent's code after the parent's n-th sp load */
	int parent;            /* segment > 0: the function it is part of, else -1 */
	int has_switch;        /* its code loads sp: bg_entry() starts the stack at the first segment */
	int edges;             /* first out-edge (edges sorted by caller in bg_finish), -1 none */
	int nedges;
};

struct bg_edge {
	int from, to;          /* functions; to < 0: an indirect call not resolved */
	enum bg_kind kind;
	unsigned origin;       /* BG_FROM_* */
	uint64_t depth;        /* the caller's sp below its entry sp at the call */
	int depth_known;       /* from the ELF's code; else the caller's whole frame */
	uint64_t pc;           /* the call's address in the ELF, 0 when only the .ci has it */
	char site[BG_NAME];    /* "kernel/ucode.c:122" (.ci) or "kernel/trap.S:69" (ELF) */
};

/* ---- the declared table (kernel/stacks.budget, carried in the ELF's .klayout.budget) -------- */
enum bg_size_from { BG_SIZE_BYTES, BG_SIZE_SYMBOLS, BG_SIZE_KERNEL, BG_SIZE_TASK };
enum bg_bound_from { BG_BOUND_NONE, BG_BOUND_NUMBER, BG_BOUND_DEPTH };

struct bg_decl_stack {
	char name[48];
	int line;
	enum bg_size_from size_from;
	uint64_t bytes;
	char sym_lo[BG_NAME], sym_hi[BG_NAME];
	char entry[BG_ENTRIES][BG_NAME];
	int nentries;
	char recursion[BG_NAME];
	enum bg_bound_from bound_from;
	uint64_t bound;
	char code_lo[BG_NAME], code_hi[BG_NAME];
	int has_code;
};

struct bg_decl_calls {
	char fn[BG_NAME];
	char target[BG_TARGETS][BG_NAME];
	int ntargets, line, matched;
};

/* The config's stacks as confgen --budget writes them (`config kernel SIZE`, `config task ...`). */
struct bg_config_task {
	char name[32];
	uint64_t size;
	uint64_t depth;
};

/* ---- one stack's question ----------------------------------------------------------------------- */
struct bg_stack {
	char name[48];         /* "kernel stack", "task 2 'beta'", "boot stack" */
	int have_size;
	uint64_t size;         /* configured bytes */
	uint64_t reserve;      /* bytes at lo its code may not use: the excluded lo word */
	int entry[BG_ENTRIES]; /* functions (bg_entry() applied) */
	int nentries;
	struct { int fn; uint64_t n; } bound[BG_BOUNDS]; /* at most n activations of fn on one chain */
	int nbounds;
	int has_code;          /* calls to code outside [code_lo, code_hi) fault at the fetch */
	uint64_t code_lo, code_hi;
	int decl;              /* the declared stack it comes from, -1 none */
};

/* ---- its answer ------------------------------------------------------------------------------- */
enum bg_unknown_kind { BG_UNK_DYNAMIC, BG_UNK_INDIRECT, BG_UNK_RECURSION, BG_UNK_NO_FRAME };

struct bg_step {
	int fn;
	int edge;              /* how it was reached, -1 for the entry */
	uint64_t at;           /* its entry sp, bytes below the stack's hi */
	uint64_t repeat;       /* 1; n: this step and the group_len - 1 after it, n times */
	int group_len;
};

struct bg_unknown {
	enum bg_unknown_kind kind;
	int fn;                /* the function at fault (dynamic frame, the indirect call's caller,
				* a function of the recursion) */
	int edge;              /* the indirect call, else -1 */
	char detail[160];      /* the recursion's functions, the call's site */
	int via[8];            /* the chain from the entry to fn (its first functions) */
	int nvia;
	int via_more;          /* functions of the chain not in via */
};

struct bg_result {
	int bounded;
	uint64_t bound;        /* bytes below hi at the deepest point (bounded only) */
	uint64_t entry_bound[BG_ENTRIES]; /* each entry's own worst case, in bg_stack's order */
	int entry;             /* the entry whose chain is deepest */
	struct bg_step chain[BG_CHAIN];
	size_t nchain;
	int chain_cut;         /* steps beyond BG_CHAIN */
	struct bg_unknown unknown[BG_UNKNOWNS];
	size_t nunknown, nunknown_more;
	unsigned cut_code;     /* calls cut because their target lies outside the stack's code */
	unsigned cut_switch;   /* calls after an sp load, on another stack */
};

struct bg_graph;

struct bg_graph *bg_new(void);
void bg_free(struct bg_graph *g);

/* The compiler's files of one object: its .su (frames) and .ci (calls), as text. */
int bg_read_unit(struct bg_graph *g, const char *su_path, const char *su, size_t su_len,
		 const char *ci_path, const char *ci, size_t ci_len);
/* Every X.su / X.ci pair under dir (the kernel build keeps them beside its objects). */
int bg_read_dir(struct bg_graph *g, const char *dir);
/*
 * Functions and edges as text, in the form bg_write_edges prints (the ELF's part of the graph,
 * for unit tests):  func NAME FRAME [asm] [at FILE:LINE] [addr ADDR SIZE]
 *                   call|tail CALLER CALLEE DEPTH [at SITE] / icall CALLER DEPTH [at SITE]
 *                   switch CALLER SEGMENT-NAME [at SITE]
 */
int bg_read_edges(struct bg_graph *g, const char *path, const char *text, size_t len);
/* The kernel ELF's functions and the calls, tail calls and sp loads its code shows. */
int bg_read_elf(struct bg_graph *g, const struct kelf *k);
/* The declared table: `stack ...`, `calls ...`, `config ...` lines (docs/stack-budget.md); section
 * names where in path it was read ("", or ".klayout.budget" of an ELF), for messages. */
int bg_read_decl(struct bg_graph *g, const char *path, const char *section, const char *text,
		 size_t len);
/* The ELF the graph was read from moved (a copy of its struct kelf): where it is now. */
void bg_set_elf(struct bg_graph *g, const struct kelf *k);
/* Merges what the readers saw, resolves the declared names: 0, or -1 after a message. */
int bg_finish(struct bg_graph *g);

/* The graph as read (functions, edges), in bg_read_edges's form, with each edge's origin. */
void bg_write_edges(FILE *out, const struct bg_graph *g);

size_t bg_nfuncs(const struct bg_graph *g);
const struct bg_func *bg_func(const struct bg_graph *g, int i);
const struct bg_edge *bg_edge_at(const struct bg_graph *g, int i);
/* A function by key, or by shown name when that is unique: its index, or -1. */
int bg_lookup(const struct bg_graph *g, const char *name);
/* Where a stack entered at fn begins: fn itself, or the code after its first sp load. */
int bg_entry(const struct bg_graph *g, int fn);
const char *bg_origin_name(unsigned origin);
const char *bg_kind_name(enum bg_kind kind);

/* The declared table as read. */
size_t bg_decl_stacks(const struct bg_graph *g, const struct bg_decl_stack **out);
size_t bg_decl_config(const struct bg_graph *g, int *have_kernel, uint64_t *kernel_size,
		      const struct bg_config_task **tasks);
/* A declared stack's question, with its size and recursion bound given (a record or a config):
 * 0, or -1 after a message (a name the graph lacks). */
int bg_stack_from_decl(const struct bg_graph *g, int decl, const char *name, int have_size,
		       uint64_t size, uint64_t depth, struct bg_stack *out);

/* The worst case of one stack. Returns 0, or -1 when out of memory (after a message). */
int bg_analyse(const struct bg_graph *g, const struct bg_stack *s, struct bg_result *out);
/* Bytes the stack needs: its worst case plus its reserve (bounded results only). */
uint64_t bg_needed(const struct bg_stack *s, const struct bg_result *r);
/* "kmain -> sched_start -> ... -> emit" (the chain to an unknown), into buf. */
char *bg_via_text(const struct bg_graph *g, const struct bg_unknown *u, char *buf, size_t len);
/* One line saying why a result is unbounded: "indirect call in emit (lib/diagram.c:86) via ...". */
char *bg_unknown_text(const struct bg_graph *g, const struct bg_unknown *u, char *buf, size_t len);

#endif
