/*
 * inspector.h: the inspector, a thin front end over the rules engine (engine/klayout.h). main.c
 * parses options and runs a command; commands.c opens the inputs and hands the engine's results
 * to a format; dump.c maps a dump and translates physical addresses for the engine; out_json.c
 * and out_junit.c are the machine formats (the text one is the engine's, shared with GDB).
 * Nothing here writes to the input files.
 */
#ifndef INSPECTOR_H
#define INSPECTOR_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <gelf.h>
#include "klayout_text.h"
#include "harness.h"

/* Exit codes, as elfclassify documents its own. */
#define EXIT_HOLDS     0  /* every check holds */
#define EXIT_VIOLATION 1  /* at least one violation */
#define EXIT_UNUSABLE  2  /* the input could not be used */
#define EXIT_USAGE     64 /* bad usage (sysexits.h EX_USAGE) */

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
	int sparse;            /* a KLAYOUT RAM note: the PT_LOADs hold only part of RAM */
	struct lr_range ram;   /* with sparse: RAM as the note gives it */
	struct stat opened;    /* the file as it was opened: dump_unchanged() compares */
	char changed_msg[320]; /* what SIGBUS on the mapping prints: the file shrank */
};

/* Opens and classifies path (ELF core or raw RAM image at raw_base). 0, or -1 after a message. */
int dump_open(struct dump *d, const char *path, uint64_t raw_base);
void dump_close(struct dump *d);
/* 0 when the file still has the size and mtime it had when opened, else -1 after a message. */
int dump_unchanged(const struct dump *d);
/* The only way to read the dump: [addr, addr + len) as a pointer, or NULL if not all present. */
const uint8_t *dump_phys(const struct dump *d, uint64_t addr, uint64_t len);
/* The little-endian word at addr; 0 or -1 when not in the dump. */
int dump_read_u64(const struct dump *d, uint64_t addr, uint64_t *value);
/* The segment holding addr (the RAM range for the record's address), or NULL. */
const struct dump_segment *dump_segment_at(const struct dump *d, uint64_t addr);
const char *dump_format_name(const struct dump *d);
/* RAM's range: the sparse note's, else the segment holding the record. {0, 0} when neither. */
struct lr_range dump_ram(const struct dump *d);
/* Whether [addr, addr + len) lies in RAM but a sparse dump did not save it: not seen, not wrong. */
int dump_unsaved(const struct dump *d, uint64_t addr, uint64_t len);

/* ---- commands.c: what main.c runs for each command; each returns an exit code ------------------ */
enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_JUNIT, FORMAT_SVG, FORMAT_HTML };

struct options {
	const char *elf;       /* --elf */
	int min_headroom;      /* --min-headroom, -1 when not given */
	enum format format;    /* --format */
	uint64_t base;         /* --base, RAM_BASE when not given */
	int verbose;           /* -v */
	const char *file;      /* the one positional argument */
	const char *output;    /* -o, --output */
	const char *su_dir;    /* --su-dir */
	const char *stacks;    /* --stacks */
	int graph;             /* --graph */
};

/* The engine's session on an opened dump (its bytes in place, its RAM and harts); NULL when out
 * of memory. The record is not read yet: kl_load(). */
struct kl_session *engine_on_dump(const struct dump *d);

int cmd_check(const struct options *o);
int cmd_diagram(const struct options *o);
int cmd_stacks(const struct options *o);
int cmd_record(const struct options *o);
int cmd_sections(const struct options *o);
int cmd_gdbcore(const struct options *o);
int cmd_budget(const struct options *o);

/* ---- out_*.c: the machine formats (the text one is engine/out_text.c) -------------------------- */
void out_check_json(FILE *out, const struct check_view *v);
void out_check_junit(FILE *out, const struct check_view *v);
/* On exit 2: still a valid document, saying why (message: fail_last()). */
void out_check_json_error(FILE *out, const char *dump_path, const char *message);
void out_check_junit_error(FILE *out, const char *dump_path, const char *message);
void out_stacks_json(FILE *out, const char *dump_path, const struct stack_info *s, size_t n);
void out_record_json(FILE *out, const char *dump_path, const struct layout_record *r);
/* `budget --format json`: every stack's static worst case, chain and verdict. */
void out_budget_json(FILE *out, const char *elf_path, const struct kl_budget *b,
		     const struct kl_stack_budget *s, size_t n);
/* out_svg.c: `diagram --format svg|html`, the diagram as a picture with the checks' verdicts:
 * 0, or -1 after a message (out of memory). */
int out_diagram_svg(FILE *out, const struct check_view *v);
int out_diagram_html(FILE *out, const struct check_view *v);

#endif
