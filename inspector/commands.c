/*
 * commands.c: the commands main.c dispatches to. Each opens its inputs (a failure there is
 * exit 2 with the one-line message already printed), has the engine compute, and hands the result
 * to a format.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "inspector.h"

/* The inputs of a dump command, opened together and closed together. */
struct session {
	struct dump d;
	struct kl_session *kl;  /* the engine on the dump */
};

static void session_close(struct session *s)
{
	kl_close(s->kl);
	dump_close(&s->d);
	free(s);
}

static const void *dump_map(void *ctx, uint64_t paddr, uint64_t len)
{
	return dump_phys(ctx, paddr, len);
}

/* The engine's view of the dump: its bytes in place, its RAM, its harts' registers. */
struct kl_session *engine_on_dump(const struct dump *d)
{
	struct kl_session *kl = kl_new(d->path, NULL, (void *)d);
	struct lr_range ram = dump_ram(d);
	if (!kl)
		return NULL;
	kl_set_map(kl, dump_map);
	if (ram.hi > ram.lo)
		kl_set_ram(kl, ram.lo, ram.hi);
	kl_set_sparse(kl, d->sparse);
	for (size_t i = 0; i < d->nharts; i++)
		kl_add_hart(kl, d->hart_pc[i], d->hart_sp[i]);
	kl_set_no_harts(kl, d->format == DUMP_RAW ? "raw dump: no registers" :
			"no NT_PRSTATUS note in the core");
	return kl;
}

/* NULL after a message when an input cannot be used. */
static struct session *session_open(const struct options *o)
{
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
		fail(o->file, "out of memory");
		return NULL;
	}
	if (dump_open(&s->d, o->file, o->base) != 0 || !(s->kl = engine_on_dump(&s->d)) ||
	    kl_load(s->kl) != 0)
		goto fail;
	kl_set_budget_dir(s->kl, o->su_dir);
	kl_set_budget_table(s->kl, o->stacks);
	if (o->elf && kl_open_elf(s->kl, o->elf) != 0)
		goto fail;
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
	if (kl_header_ok(s->kl))
		return 0;
	fail(s->d.path, "no valid layout record at 0x%lx (magic, version or size): see `inspector check`",
	     (unsigned long)RECORD_ADDR);
	return -1;
}

/* A dump and an --elf of two different builds: unusable input (exit 2), named with both IDs. */
static int same_build(const struct session *s, const struct options *o)
{
	char why[256];
	return kl_other_build(s->kl, why, sizeof why) ? fail(o->file, "%s", why) : 0;
}

int cmd_check(const struct options *o)
{
	struct session *s = session_open(o);
	const struct report *rep = NULL;
	int rc = EXIT_UNUSABLE;
	if (s && same_build(s, o) == 0 && (rep = kl_check(s->kl, o->min_headroom)) != NULL) {
		const struct stack_info *stacks;
		size_t n = kl_stacks(s->kl, &stacks);
		struct check_view view = {
			.dump_path = o->file, .d = &s->d, .r = kl_record(s->kl), .stacks = stacks,
			.nstacks = n, .rep = rep, .verbose = o->verbose,
		};
		if (o->format == FORMAT_JSON)
			out_check_json(stdout, &view);
		else if (o->format == FORMAT_JUNIT)
			out_check_junit(stdout, &view);
		else
			out_check_text(stdout, &view);
		rc = report_violations(rep) ? EXIT_VIOLATION : EXIT_HOLDS;
	}
	/* CI reads the report file: on exit 2 it is still a valid document saying why. */
	if (rc == EXIT_UNUSABLE && o->format == FORMAT_JSON)
		out_check_json_error(stdout, o->file, fail_last());
	else if (rc == EXIT_UNUSABLE && o->format == FORMAT_JUNIT)
		out_check_junit_error(stdout, o->file, fail_last());
	if (s)
		session_close(s);
	return rc;
}

int cmd_diagram(const struct options *o)
{
	struct session *s = session_open(o);
	if (!s)
		return EXIT_UNUSABLE;
	if (require_header(s) != 0) {
		session_close(s);
		return EXIT_VIOLATION;
	}
	if (!kl_elf_matches(s->kl))
		fail(o->file, "warning: the record's build ID is not the one of '%s'", o->elf);
	if (o->format == FORMAT_SVG || o->format == FORMAT_HTML) {
		/* The picture marks violations, so it runs the checks; its exit status stays 0. */
		const struct report *rep = kl_check(s->kl, -1);
		const struct stack_info *stacks;
		size_t n = kl_stacks(s->kl, &stacks);
		if (!rep) {
			session_close(s);
			return fail(o->file, "out of memory"), EXIT_UNUSABLE;
		}
		struct check_view view = {
			.dump_path = o->file, .d = &s->d, .r = kl_record(s->kl), .stacks = stacks,
			.nstacks = n, .rep = rep, .verbose = o->verbose,
		};
		if ((o->format == FORMAT_SVG ? out_diagram_svg : out_diagram_html)(stdout, &view) != 0) {
			session_close(s);
			return EXIT_UNUSABLE;
		}
	} else {
		kl_diagram_print(stdout, s->kl);
	}
	session_close(s);
	return EXIT_HOLDS;
}

int cmd_stacks(const struct options *o)
{
	struct session *s = session_open(o);
	const struct stack_info *stacks;
	if (!s)
		return EXIT_UNUSABLE;
	int rc = require_header(s) == 0 ? EXIT_HOLDS : EXIT_VIOLATION;
	size_t n = kl_stacks(s->kl, &stacks);
	if (rc == EXIT_HOLDS && o->format == FORMAT_JSON)
		out_stacks_json(stdout, o->file, stacks, n);
	else if (rc == EXIT_HOLDS)
		out_stacks_text(stdout, stacks, n);
	session_close(s);
	return rc;
}

int cmd_record(const struct options *o)
{
	struct session *s = session_open(o);
	if (!s)
		return EXIT_UNUSABLE;
	/* Printed even when the header is wrong: seeing the bytes is how one finds out why. */
	if (o->format == FORMAT_JSON)
		out_record_json(stdout, o->file, kl_record(s->kl));
	else
		record_print(stdout, kl_record(s->kl));
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
	static const char *const symbols[] = { LR_SYM_IMAGE_END, LR_SYM_RECORD_START, LR_SYM_RECORD_END };

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

/* Before boot: the ELF, its table and the .su/.ci files are all it needs. Exit 1 when a stack
 * fails stack.budget (too small for its worst case, or unbounded). */
int cmd_budget(const struct options *o)
{
	struct kl_budget *b = kl_budget_open(o->file, o->su_dir, o->stacks);
	const struct kl_stack_budget *st;
	if (!b)
		return EXIT_UNUSABLE;
	if (o->graph) {
		bg_write_edges(stdout, kl_budget_graph(b));
		kl_budget_close(b);
		return EXIT_HOLDS;
	}
	ssize_t n = kl_budget_stacks(b, NULL, &st);
	if (n < 0) {
		kl_budget_close(b);
		return EXIT_UNUSABLE;
	}
	int failed = 0;
	for (ssize_t i = 0; i < n; i++)
		failed += !kl_budget_fits(&st[i]);
	if (o->format == FORMAT_JSON)
		out_budget_json(stdout, o->file, b, st, (size_t)n);
	else
		kl_budget_print(stdout, o->file, b, st, (size_t)n);
	kl_budget_close(b);
	return failed ? EXIT_VIOLATION : EXIT_HOLDS;
}
