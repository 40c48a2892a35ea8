/*
 * commands.c: the five commands main.c dispatches to. Each opens its inputs (a failure there is
 * exit 2 with the one-line message already printed), computes, and hands the result to a format.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "inspector.h"
#include "diagram.h"

/* The inputs of a dump command, opened together and closed together. */
struct session {
	struct dump d;
	struct layout_record r;
	struct kelf k;
	int have_kelf;
	int header_ok;
	struct stack_info stacks[STACKS_MAX];
	size_t nstacks;
};

static void session_close(struct session *s)
{
	if (s->have_kelf)
		kelf_close(&s->k);
	dump_close(&s->d);
	free(s);
}

/* NULL after a message when an input cannot be used. */
static struct session *session_open(const struct options *o)
{
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
		fail(o->file, "out of memory");
		return NULL;
	}
	if (dump_open(&s->d, o->file, o->base) != 0 || record_find(&s->d, &s->r) != 0)
		goto fail;
	if (o->elf) {
		s->have_kelf = 1;
		if (kelf_open(&s->k, o->elf) != 0)
			goto fail;
	}
	s->header_ok = record_header_ok(&s->r) == 0;
	/* Without a trusted header the task table is noise: measure nothing. */
	if (s->header_ok)
		s->nstacks = stacks_measure(&s->d, &s->r, s->stacks);
	/* Every byte diagram, stacks and record show has been read: from the file as opened? */
	if (dump_unchanged(&s->d) != 0)
		goto fail;
	return s;
fail:
	session_close(s);
	return NULL;
}

/* For commands that draw the record rather than check it. */
static int require_header(const struct session *s)
{
	if (s->header_ok)
		return 0;
	fail(s->d.path, "no valid layout record at 0x%lx (magic, version or size): see `inspector check`",
	     (unsigned long)RECORD_ADDR);
	return -1;
}

/* The checks and the chosen format on opened inputs; returns the exit code. */
static int check_session(const struct session *s, struct report *rep, const struct options *o)
{
	report_init(rep);
	struct check_ctx ctx = {
		.d = &s->d, .r = &s->r, .k = s->have_kelf ? &s->k : NULL, .min_headroom = o->min_headroom,
		.stacks = s->stacks, .nstacks = s->nstacks, .rep = rep,
	};
	check_run(&ctx);
	/* A file rewritten under the checks gives verdicts on no file at all. */
	if (dump_unchanged(&s->d) != 0)
		return EXIT_UNUSABLE;
	struct check_view view = {
		.dump_path = o->file, .d = &s->d, .r = &s->r, .stacks = s->stacks,
		.nstacks = s->nstacks, .rep = rep, .verbose = o->verbose,
	};
	if (o->format == FORMAT_JSON)
		out_check_json(stdout, &view);
	else if (o->format == FORMAT_JUNIT)
		out_check_junit(stdout, &view);
	else
		out_check_text(stdout, &view);
	return report_violations(rep) ? EXIT_VIOLATION : EXIT_HOLDS;
}

int cmd_check(const struct options *o)
{
	struct session *s = session_open(o);
	if (!s)
		return EXIT_UNUSABLE;
	struct report *rep = calloc(1, sizeof *rep); /* ~100 KiB: not on the stack */
	int rc = rep ? check_session(s, rep, o) : (fail(o->file, "out of memory"), EXIT_UNUSABLE);
	free(rep);
	session_close(s);
	return rc;
}

static void emit_line(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

int cmd_diagram(const struct options *o)
{
	struct session *s = session_open(o);
	struct stack_usage usage[STACKS_MAX];
	const uint8_t *id;
	size_t len;
	if (!s)
		return EXIT_UNUSABLE;
	if (require_header(s) != 0) {
		session_close(s);
		return EXIT_VIOLATION;
	}
	/* stacks[0] is the kernel's, then tasks in record order: the layout diagram_draw expects. */
	for (size_t i = 0; i < s->nstacks; i++)
		usage[i] = (struct stack_usage){ .known = s->stacks[i].have_paint,
						 .high_water = s->stacks[i].high_water };
	if (s->have_kelf && (kelf_build_id(&s->k, &id, &len) != 0 || !record_build_id_is(&s->r, id, len)))
		fail(o->file, "warning: the record's build ID is not the one of '%s'", o->elf);
	diagram_draw(&s->r, &usage[0], &usage[1], emit_line, stdout);
	session_close(s);
	return EXIT_HOLDS;
}

int cmd_stacks(const struct options *o)
{
	struct session *s = session_open(o);
	if (!s)
		return EXIT_UNUSABLE;
	int rc = require_header(s) == 0 ? EXIT_HOLDS : EXIT_VIOLATION;
	if (rc == EXIT_HOLDS && o->format == FORMAT_JSON)
		out_stacks_json(stdout, o->file, s->stacks, s->nstacks);
	else if (rc == EXIT_HOLDS)
		out_stacks_text(stdout, s->stacks, s->nstacks);
	session_close(s);
	return rc;
}

int cmd_record(const struct options *o)
{
	struct session *s = session_open(o);
	if (!s)
		return EXIT_UNUSABLE;
	/* Printed even when the header is wrong: seeing the bytes is how one finds out why. */
	record_print(stdout, &s->r);
	int rc = require_header(s) == 0 ? EXIT_HOLDS : EXIT_VIOLATION;
	session_close(s);
	return rc;
}

int cmd_sections(const struct options *o)
{
	struct kelf k;
	struct kelf_region g[KELF_REGIONS];
	char lo[24], hi[24], slo[24], shi[24];
	const uint8_t *id;
	size_t len;
	uint64_t v;
	int rc = EXIT_HOLDS;
	static const char *const symbols[] = { "_image_end", "_record_start", "_record_end" };

	if (kelf_open(&k, o->file) != 0) {
		kelf_close(&k);
		return EXIT_UNUSABLE;
	}
	kelf_regions(&k, g);
	printf("%-10s  %-18s  %-18s  %8s  %-18s  %-18s  %-6s  %s\n", "region", "lo", "hi", "size",
	       "symbol start", "symbol end", "agree", "sections");
	for (int i = 0; i < KELF_REGIONS; i++) {
		int agree = g[i].have_sections && g[i].have_symbols &&
			    g[i].by_sections.lo == g[i].by_symbols.lo && g[i].by_sections.hi == g[i].by_symbols.hi;
		rc = agree ? rc : EXIT_VIOLATION;
		printf("%-10s  %-18s  %-18s  %8" PRIu64 "  %-18s  %-18s  %-6s  %s\n", g[i].name,
		       g[i].have_sections ? hex64(lo, g[i].by_sections.lo) : "-",
		       g[i].have_sections ? hex64(hi, g[i].by_sections.hi) : "-",
		       g[i].have_sections ? g[i].by_sections.hi - g[i].by_sections.lo : 0,
		       g[i].have_symbols ? hex64(slo, g[i].by_symbols.lo) : "-",
		       g[i].have_symbols ? hex64(shi, g[i].by_symbols.hi) : "-", agree ? "yes" : "NO",
		       g[i].sections);
	}
	for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
		int have = kelf_symbol(&k, symbols[i], &v) == 0;
		rc = have ? rc : EXIT_VIOLATION;
		printf("%s: %s\n", symbols[i], have ? hex64(lo, v) : "missing");
	}
	printf("build-id: ");
	if (kelf_build_id(&k, &id, &len) == 0)
		for (size_t i = 0; i < len; i++)
			printf("%02x", id[i]);
	else
		printf("none");
	printf("\n");
	kelf_close(&k);
	return rc;
}
