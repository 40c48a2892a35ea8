/*
 * inspector.h: the modules of the inspector and who calls whom. main.c parses options and runs
 * a command; dump.c maps a dump and translates physical addresses; kelf.c reads the kernel ELF;
 * record.c finds and decodes the layout record; stacks.c measures stacks; check*.c evaluate the
 * invariants into a report (report.c); out_*.c print it. Nothing here writes to the input files.
 */
#ifndef INSPECTOR_H
#define INSPECTOR_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <gelf.h>
#include "layout_record.h"

/* Exit codes, as elfclassify documents its own. */
#define EXIT_HOLDS     0  /* every check holds */
#define EXIT_VIOLATION 1  /* at least one violation */
#define EXIT_UNUSABLE  2  /* the input could not be used */
#define EXIT_USAGE     64 /* bad usage (sysexits.h EX_USAGE) */

/* ---- util.c: messages and formatting ---------------------------------------------------------- */
/* One line on stderr: "inspector: 'FILE': message". Returns -1 so callers can `return fail(...)`. */
int fail(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As fail(), with libelf's reason appended: "...: message: elf_errmsg(-1)". */
int fail_elf(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "0x%016" PRIx64 into buf (at least 19 bytes); returns buf. */
char *hex64(char *buf, uint64_t v);
/* "[0x80000000, 0x80400000)" into buf; returns buf. */
char *range_str(char *buf, size_t len, struct lr_range g);
/* A task's name from its NUL-padded field, non-printable bytes as '?': buf >= LR_NAME_LEN + 1. */
char *task_name(char *buf, const struct lr_task *t);
/* The invariant's stable id and its one-line description, from LR_INVARIANTS. */
const char *invariant_id(unsigned inv);
const char *invariant_text(unsigned inv);

/* ---- dump.c: the dump file and physical addresses --------------------------------------------- */
#define DUMP_MAX_SEGMENTS 16
#define DUMP_MAX_HARTS    8

enum dump_format { DUMP_RAW, DUMP_ELF_CORE };

struct dump_segment {
	uint64_t paddr;        /* physical address of the first byte */
	uint64_t size;         /* bytes present in the file */
	const uint8_t *bytes;  /* inside the mapping */
};

struct dump {
	const char *path;
	enum dump_format format;
	int fd;
	uint8_t *map;          /* the whole file, mapped privately: pages load only when touched */
	size_t map_size;
	Elf *elf;              /* ELF cores only */
	struct dump_segment seg[DUMP_MAX_SEGMENTS];
	size_t nseg;
	size_t nharts;         /* NT_PRSTATUS notes read (ELF cores only) */
	uint64_t hart_sp[DUMP_MAX_HARTS];
	uint64_t hart_pc[DUMP_MAX_HARTS];
};

/* Opens and classifies path (ELF core or raw RAM image at raw_base). 0, or -1 after a message. */
int dump_open(struct dump *d, const char *path, uint64_t raw_base);
void dump_close(struct dump *d);
/* The only way to read the dump: [addr, addr + len) as a pointer, or NULL if not all present. */
const uint8_t *dump_phys(const struct dump *d, uint64_t addr, uint64_t len);
/* The little-endian word at addr; 0 or -1 when not in the dump. */
int dump_read_u64(const struct dump *d, uint64_t addr, uint64_t *value);
/* The segment holding addr (the RAM range for the record's address), or NULL. */
const struct dump_segment *dump_segment_at(const struct dump *d, uint64_t addr);
const char *dump_format_name(const struct dump *d);

/* ---- kelf.c: the kernel ELF ------------------------------------------------------------------ */
struct kelf {
	const char *path;
	int fd;
	Elf *elf;
	size_t shstrndx;
};

int kelf_open(struct kelf *k, const char *path);
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
#define KELF_REGIONS 5
/* Fills the text, rodata, data, bss and boot_stack regions, in that order. */
void kelf_regions(const struct kelf *k, struct kelf_region out[KELF_REGIONS]);

/* ---- record.c: the layout record --------------------------------------------------------------- */
/* Copies the published record copy out of the dump: 0, or -1 after a message (no record page). */
int record_find(const struct dump *d, struct layout_record *r);
/* The publication block at RECORD_ADDR: 0, or -1 when the dump lacks it. */
int record_publication(const struct dump *d, struct lr_publication *pub);
/* Where record_find found the copy it returned (RECORD_ADDR before a v2 block was read). */
extern uint64_t record_copy_addr;
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
/* `inspector record`: every field as a stable `name: value` line. */
void record_print(FILE *out, const struct layout_record *r);

/* ---- stacks.c: what the dump says about each stack --------------------------------------------- */
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
	uint64_t high_water;   /* lr_stack_high_water */
	int have_lo_word;
	uint64_t lo_word;      /* the excluded word */
	int sentinel_ok;       /* lo_word is the record's sentinel */
	int have_lo_next;
	uint64_t lo_next_word; /* the lowest usable word, lo + 8: paint unless the stack got there */
};
#define STACKS_MAX (1 + LR_MAX_TASKS)
/* Kernel stack first, then tasks in creation order. Returns the count. */
size_t stacks_measure(const struct dump *d, const struct layout_record *r,
		      struct stack_info out[STACKS_MAX]);
/* (size - high_water) * 100 / size, the check's and the tables' headroom. */
unsigned stack_headroom_pct(const struct stack_info *s);

/* ---- report.c: check results ----------------------------------------------------------------- */
enum check_status { CHECK_NOT_RUN, CHECK_PASS, CHECK_FAIL, CHECK_SKIP };
enum violation_source { SOURCE_INSPECTOR, SOURCE_KERNEL };

#define VIOLATION_TEXT 96 /* expected and found, as text */
struct violation {
	unsigned inv;          /* enum lr_invariant */
	enum violation_source source;
	char region[48];
	uint64_t addr;
	char expected[VIOLATION_TEXT];
	char found[VIOLATION_TEXT];
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

void report_init(struct report *rep);
void report_pass(struct report *rep, unsigned inv);   /* ran; passes unless it failed */
void report_skip(struct report *rep, unsigned inv, const char *reason);
void report_fail(struct report *rep, unsigned inv, enum violation_source src, const char *region,
		 uint64_t addr, const char *expected, const char *found);
/* report_fail with expected and found as 64-bit hex words. */
void report_fail_hex(struct report *rep, unsigned inv, const char *region, uint64_t addr,
		     uint64_t expected, uint64_t found);
size_t report_checks_run(const struct report *rep);
size_t report_violations(const struct report *rep);

/* ---- check*.c: the invariants ------------------------------------------------------------------ */
struct check_ctx {
	const struct dump *d;
	const struct layout_record *r;
	const struct kelf *k;  /* NULL without --elf */
	int min_headroom;      /* percent, -1 without --min-headroom */
	const struct stack_info *stacks;
	size_t nstacks;
	struct report *rep;
};

/* Runs every check in LR_INVARIANTS order; the others are called by it only. */
void check_run(struct check_ctx *c);
int check_record(struct check_ctx *c);  /* nonzero: header unusable, stop */
void check_layout(struct check_ctx *c);
void check_stacks(struct check_ctx *c);
void check_hart(struct check_ctx *c);
void check_image(struct check_ctx *c);
void check_elf(struct check_ctx *c);

/* ---- commands.c: what main.c runs for each command; each returns an exit code ------------------ */
enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_JUNIT };

struct options {
	const char *elf;       /* --elf */
	int min_headroom;      /* --min-headroom, -1 when not given */
	enum format format;    /* --format */
	uint64_t base;         /* --base, RAM_BASE when not given */
	int verbose;           /* -v */
	const char *file;      /* the one positional argument */
};

int cmd_check(const struct options *o);
int cmd_diagram(const struct options *o);
int cmd_stacks(const struct options *o);
int cmd_record(const struct options *o);
int cmd_sections(const struct options *o);

/* ---- out_*.c: output formats ------------------------------------------------------------------- */
struct check_view {    /* everything a check output shows */
	const char *dump_path;
	const struct dump *d;
	const struct layout_record *r;
	const struct stack_info *stacks;
	size_t nstacks;
	const struct report *rep;
	int verbose;
};

void out_check_text(FILE *out, const struct check_view *v);
void out_check_json(FILE *out, const struct check_view *v);
void out_check_junit(FILE *out, const struct check_view *v);
void out_stacks_text(FILE *out, const struct stack_info *s, size_t n);
void out_stacks_json(FILE *out, const char *dump_path, const struct stack_info *s, size_t n);
/* One violation as the text formats show it, without newline. */
void violation_format(char *buf, size_t len, const struct violation *v);

#endif
