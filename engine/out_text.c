/*
 * out_text.c: the text outputs people read and grep: `check`'s one line per violation and its
 * summary, the `stacks` table, `record`'s field listing and the diagram: the inspector prints
 * them, GDB gets them as strings (kl_*_text). Line formats are stable; docs/inspector.md shows
 * them. Only the public klayout.h is used: the checks never see this module.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "klayout_text.h"
#include "diagram.h"

void violation_marks(char *buf, size_t len, const struct report *rep, const struct violation *v)
{
	const struct violation *root = report_root(rep, v);
	size_t used = (size_t)snprintf(buf, len, "%s", v->source == SOURCE_KERNEL ? " (reported by the kernel)" : "");
	if (root && used < len)
		snprintf(buf + used, len - used, " (follows %s of %s)", invariant_id(root->inv), root->region);
}

void violation_format(char *buf, size_t len, const struct report *rep, const struct violation *v)
{
	char marks[160];
	violation_marks(marks, sizeof marks, rep, v);
	snprintf(buf, len, "%s: %s: at 0x%016" PRIx64 ": expected %s, found %s%s", invariant_id(v->inv),
		 v->region, v->addr, v->expected, v->found, marks);
}

void report_summary(char *buf, size_t len, const struct report *rep)
{
	size_t nv = report_violations(rep), follow = report_follow_ons(rep);
	int used = snprintf(buf, len, "%zu checks, %zu violation%s", report_checks_run(rep), nv,
			    nv == 1 ? "" : "s");
	if (follow && used >= 0 && (size_t)used < len)
		snprintf(buf + used, len - (size_t)used, " (%zu follow-on%s)", follow, follow == 1 ? "" : "s");
}

void out_check_text(FILE *out, const struct check_view *v)
{
	const struct report *rep = v->rep;
	char line[640];

	for (unsigned inv = 0; inv < LR_INV_COUNT; inv++) {
		for (size_t i = 0; i < rep->nv; i++)
			if (rep->v[i].inv == inv) {
				violation_format(line, sizeof line, rep, &rep->v[i]);
				fprintf(out, "%s\n", line);
			}
		if (rep->status[inv] == CHECK_SKIP)
			fprintf(out, "%s: skipped: %s\n", invariant_id(inv), rep->skip_reason[inv]);
		else if (rep->status[inv] == CHECK_PASS && v->verbose)
			fprintf(out, "%s: ok: %s\n", invariant_id(inv), invariant_text(inv));
	}
	if (rep->nv_dropped)
		fprintf(out, "inspector: %zu more violation%s not listed\n", rep->nv_dropped,
			rep->nv_dropped == 1 ? "" : "s");
	if (rep->kernel_seen > rep->kernel_kept)
		fprintf(out, "kernel: %u violations seen, %u kept in the record, %u dropped\n",
			rep->kernel_seen, rep->kernel_kept, rep->kernel_seen - rep->kernel_kept);
	report_summary(line, sizeof line, rep);
	fprintf(out, "%s: %s\n", v->dump_path, line);
}

static void out_opt_u64(FILE *out, int known, uint64_t value, int width)
{
	if (known)
		fprintf(out, "  %*" PRIu64, width, value);
	else
		fprintf(out, "  %*s", width, "-");
}

void out_stacks_text(FILE *out, const struct stack_info *s, size_t n)
{
	fprintf(out, "%-26s  %-18s  %-18s  %8s  %-18s  %8s  %10s  %8s  %8s  %s\n", "owner", "lo", "hi", "size",
		"saved sp", "used now", "high-water", "static", "headroom", "sentinel");
	for (size_t i = 0; i < n; i++) {
		const struct stack_info *t = &s[i];
		uint64_t size = t->range.hi > t->range.lo ? t->range.hi - t->range.lo : 0;
		char lo[24], hi[24], sp[24];
		fprintf(out, "%-26s  %s  %s  %8" PRIu64 "  %s", t->owner, hex64(lo, t->range.lo),
			hex64(hi, t->range.hi), size, hex64(sp, t->saved_sp));
		out_opt_u64(out, t->have_used, t->used, 8);
		out_opt_u64(out, t->have_paint, t->high_water, 10);
		if (t->have_static && !t->static_bounded)
			fprintf(out, "  %8s", "unbound");
		else
			out_opt_u64(out, t->have_static, t->static_bound, 8);
		if (t->have_paint)
			fprintf(out, "  %7u%%", stack_headroom_pct(t));
		else
			fprintf(out, "  %8s", "-");
		fprintf(out, "  %s\n", t->have_lo_word ? (t->sentinel_ok ? "ok" : "BROKEN") : "-");
	}
}

/* ---- budget ------------------------------------------------------------------------------------ */

static const char *budget_verdict(const struct kl_stack_budget *s)
{
	return !s->r.bounded ? "UNBOUNDED" : kl_budget_fits(s) ? "fits" : "TOO SMALL";
}

/* One stack's deepest chain, a step a line: where its frame starts, the frame, the function
 * (x N for a recursion), where it is defined, and the call that reached it with its origin. */
static void budget_chain(FILE *out, const struct kl_budget *b, const struct kl_stack_budget *s)
{
	const struct bg_graph *g = kl_budget_graph(b);
	fprintf(out, "  %8s  %6s  %-28s  %-24s  %s\n", "at", "frame", "function", "defined at", "reached by");
	for (size_t i = 0; i < s->r.nchain; i++) {
		const struct bg_step *st = &s->r.chain[i];
		const struct bg_func *f = bg_func(g, st->fn);
		char name[BG_NAME + 48], by[BG_NAME + 48];
		if (st->repeat > 1 && st->group_len > 1)
			snprintf(name, sizeof name, "%s (and %d more) x%" PRIu64, f->name, st->group_len - 1, st->repeat);
		else if (st->repeat > 1)
			snprintf(name, sizeof name, "%s x%" PRIu64, f->name, st->repeat);
		else
			snprintf(name, sizeof name, "%s", f->name);
		if (st->edge < 0) {
			snprintf(by, sizeof by, "entry%s", f->segment ? " (after its sp load)" : "");
		} else {
			const struct bg_edge *e = bg_edge_at(g, st->edge);
			snprintf(by, sizeof by, "%s at %s (%s)", bg_kind_name(e->kind), e->site[0] ? e->site : "?",
				 bg_origin_name(e->origin));
		}
		fprintf(out, "  %8" PRIu64 "  %6" PRIu64 "  %-28s  %-24s  %s\n", st->at, f->frame, name,
			f->where[0] ? f->where : "-", by);
	}
	if (s->r.chain_cut)
		fprintf(out, "  ... %d more steps\n", s->r.chain_cut);
}

void kl_budget_print(FILE *out, const char *elf_path, const struct kl_budget *b,
		     const struct kl_stack_budget *s, size_t n)
{
	const struct bg_graph *g = kl_budget_graph(b);
	size_t failed = 0, unbounded = 0;
	char line[512];
	fprintf(out, "%-26s  %8s  %8s  %8s  %8s  %-9s  %s\n", "stack", "size", "static", "needed", "spare",
		"verdict", "deepest from");
	for (size_t i = 0; i < n; i++) {
		const struct kl_stack_budget *t = &s[i];
		uint64_t need = t->r.bounded ? bg_needed(&t->q, &t->r) : 0;
		fprintf(out, "%-26s", t->q.name);
		out_opt_u64(out, t->q.have_size, t->q.size, 8);
		out_opt_u64(out, t->r.bounded, t->r.bound, 8);
		out_opt_u64(out, t->r.bounded, need, 8);
		if (t->r.bounded && t->q.have_size)
			fprintf(out, "  %8" PRId64, (int64_t)(t->q.size - need));
		else
			fprintf(out, "  %8s", "-");
		fprintf(out, "  %-9s  %s\n", budget_verdict(t), t->r.bounded && t->r.entry >= 0 ?
			bg_func(g, t->r.entry)->name : "-");
		failed += !kl_budget_fits(t);
		unbounded += !t->r.bounded;
	}
	for (size_t i = 0; i < n; i++) {
		const struct kl_stack_budget *t = &s[i];
		fputc('\n', out);
		if (!t->r.bounded) {
			fprintf(out, "%s: unbounded:\n", t->q.name);
			for (size_t u = 0; u < t->r.nunknown; u++)
				fprintf(out, "  %s\n", bg_unknown_text(g, &t->r.unknown[u], line, sizeof line));
			if (t->r.nunknown_more)
				fprintf(out, "  ... %zu more\n", t->r.nunknown_more);
			continue;
		}
		fprintf(out, "%s: static worst case %" PRIu64 " bytes", t->q.name, t->r.bound);
		if (t->q.reserve)
			fprintf(out, " + %" PRIu64 " (lo word)", t->q.reserve);
		if (t->q.have_size)
			fprintf(out, ", %" PRIu64 " configured", t->q.size);
		fprintf(out, "; %u calls on another stack after an sp load, %u out of its code, not followed\n",
			t->r.cut_switch, t->r.cut_code);
		if (t->q.nentries > 1) {
			fputs("  each entry:", out);
			for (int e = 0; e < t->q.nentries; e++)
				fprintf(out, "%s %s %" PRIu64, e ? "," : "", bg_func(g, t->q.entry[e])->name,
					t->r.entry_bound[e]);
			fputc('\n', out);
		}
		budget_chain(out, b, t);
	}
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
		if (kl_budget_verdict(g, &s[i], e, sizeof e, f, sizeof f))
			fprintf(out, "stack.budget: %s: expected %s, found %s\n", s[i].q.name, e, f);
	}
	fprintf(out, "%s: %zu stacks, %zu over budget, %zu unbounded\n", elf_path, n, failed - unbounded, unbounded);
}

/* ---- record ----------------------------------------------------------------------------------- */

static void print_hex(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, "%s: 0x%016" PRIx64 "\n", name, v);
}

static void print_range(FILE *out, const char *name, struct lr_range g)
{
	fprintf(out, "%s.lo: 0x%016" PRIx64 "\n", name, g.lo);
	fprintf(out, "%s.hi: 0x%016" PRIx64 "\n", name, g.hi);
}

const char *kl_task_state_name(uint32_t state)
{
	static const char *const names[] = { "new", "ready", "running", "parked", "faulted" };
	return state < sizeof names / sizeof names[0] ? names[state] : "unknown";
}

static void print_tasks(FILE *out, const struct layout_record *r)
{
	char name[LR_NAME_LEN + 1], key[48];
	for (uint32_t i = 0; i < record_task_count(r); i++) {
		const struct lr_task *t = &r->tasks[i];
		fprintf(out, "task[%u].id: %u\n", i, t->id);
		fprintf(out, "task[%u].name: %s\n", i, task_name(name, t));
		fprintf(out, "task[%u].state: %u (%s)\n", i, t->state, kl_task_state_name(t->state));
		snprintf(key, sizeof key, "task[%u].stack", i);
		print_range(out, key, t->stack);
		snprintf(key, sizeof key, "task[%u].saved_sp", i);
		print_hex(out, key, t->saved_sp);
		snprintf(key, sizeof key, "task[%u].saved_pc", i);
		print_hex(out, key, t->saved_pc);
		snprintf(key, sizeof key, "task[%u].ctx", i);
		print_hex(out, key, t->ctx);
		fprintf(out, "task[%u].depth: %u\n", i, t->depth);
		fprintf(out, "task[%u].depth_reached: %u\n", i, t->depth_reached);
		fprintf(out, "task[%u].switches: %u\n", i, t->switches);
		fprintf(out, "task[%u].preemptions: %u\n", i, t->preemptions);
	}
}

static void print_violations(FILE *out, const struct layout_record *r)
{
	for (uint32_t i = 0; i < record_violations_kept(r); i++) {
		const struct lr_violation *v = &r->violations[i];
		char key[48];
		fprintf(out, "violation[%u].invariant: %u (%s)\n", i, v->invariant, invariant_id(v->invariant));
		fprintf(out, "violation[%u].owner: %u\n", i, v->owner);
		snprintf(key, sizeof key, "violation[%u].addr", i);
		print_hex(out, key, v->addr);
		snprintf(key, sizeof key, "violation[%u].expected", i);
		print_hex(out, key, v->expected);
		snprintf(key, sizeof key, "violation[%u].found", i);
		print_hex(out, key, v->found);
		snprintf(key, sizeof key, "violation[%u].pc", i);
		print_hex(out, key, v->pc);
		fprintf(out, "violation[%u].cause: %u%s\n", i, v->cause, v->cause == LR_CAUSE_CHECK ? " (check)" : "");
	}
}

void record_print(FILE *out, const struct layout_record *r)
{
	print_hex(out, "magic", r->magic);
	fprintf(out, "version: %u\n", r->version);
	fprintf(out, "size: %u\n", r->size);
	fprintf(out, "checksum: 0x%08x\n", r->checksum);
	fprintf(out, "generation: %u\n", r->generation);
	fprintf(out, "flags: 0x%x%s%s\n", r->flags, r->flags & LR_FLAG_READY ? " ready" : "",
		r->flags & LR_FLAG_HALTED ? " halted" : "");
	fprintf(out, "build_id_size: %u\n", r->build_id_size);
	fputs("build_id: ", out);
	for (uint32_t i = 0; i < r->build_id_size && i < LR_BUILD_ID_MAX; i++)
		fprintf(out, "%02x", r->build_id[i]);
	fputc('\n', out);
	print_range(out, "ram", r->ram);
	print_range(out, "dtb", r->dtb);
	print_range(out, "text", r->text);
	print_range(out, "rodata", r->rodata);
	print_range(out, "data", r->data);
	print_range(out, "bss", r->bss);
	print_range(out, "boot_stack", r->boot_stack);
	print_range(out, "padding", r->padding);
	print_range(out, "record", r->record);
	print_range(out, "task_code", r->task_code);
	print_range(out, "free", r->free);
	print_range(out, "kstack", r->kstack);
	print_hex(out, "available", r->available);
	print_hex(out, "kernel_sp", r->kernel_sp);
	print_hex(out, "sentinel", r->sentinel);
	print_hex(out, "paint", r->paint);
	fprintf(out, "image_crc: 0x%08x\n", r->image_crc);
	fprintf(out, "current: %u\n", r->current);
	fprintf(out, "task_count: %u\n", r->task_count);
	fprintf(out, "task_max: %u\n", r->task_max);
	fprintf(out, "violation_count: %u\n", r->violation_count);
	fprintf(out, "violation_max: %u\n", r->violation_max);
	fprintf(out, "tick_us: %u\n", r->tick_us);
	fprintf(out, "pmp_entries: %u\n", r->pmp_entries);
	print_tasks(out, r);
	print_violations(out, r);
}

/* ---- the diagram ------------------------------------------------------------------------------ */
static void emit_line(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

void kl_diagram_print(FILE *out, struct kl_session *s)
{
	struct stack_usage usage[STACKS_MAX];
	struct stack_bound bound[STACKS_MAX];
	const struct stack_info *stacks;
	size_t n = kl_stacks(s, &stacks);
	/* stacks[0] is the kernel's, then tasks in record order: the layout diagram_draw expects. */
	for (size_t i = 0; i < n; i++) {
		usage[i] = (struct stack_usage){ .known = stacks[i].have_paint,
						 .high_water = stacks[i].high_water };
		bound[i] = (struct stack_bound){ .known = stacks[i].have_static ? 2 - stacks[i].static_bounded : 0,
						 .bytes = stacks[i].static_bound };
	}
	diagram_draw_bounds(kl_record(s), &usage[0], &usage[1], &bound[0], &bound[1], emit_line, out);
}

/* ---- texts as strings ------------------------------------------------------------------------- */
static char *text_done(FILE *f, char **buf, const char *name)
{
	if (fclose(f) != 0) {
		free(*buf);
		fail(name, "out of memory");
		return NULL;
	}
	return *buf;
}

#define TEXT_OPEN(f, buf, len, name)                                                               \
	char *buf = NULL;                                                                          \
	size_t len = 0;                                                                            \
	FILE *f = open_memstream(&buf, &len);                                                      \
	if (!f) {                                                                                  \
		fail(name, "out of memory");                                                       \
		return NULL;                                                                       \
	}

static int require_header(const struct kl_session *s)
{
	if (kl_header_ok(s))
		return 0;
	return fail(kl_name(s), "no valid layout record at 0x%lx (magic, version or size): see `inspector check`",
		    (unsigned long)RECORD_ADDR);
}

char *kl_check_text(struct kl_session *s, int min_headroom, int verbose, size_t *violations)
{
	const struct report *rep = kl_check(s, min_headroom);
	const struct stack_info *stacks;
	size_t n = kl_stacks(s, &stacks);
	struct check_view view = {
		.dump_path = kl_name(s), .r = kl_record(s), .stacks = stacks, .nstacks = n, .rep = rep,
		.verbose = verbose,
	};
	TEXT_OPEN(f, buf, len, kl_name(s));
	out_check_text(f, &view);
	if (violations)
		*violations = report_violations(rep);
	return text_done(f, &buf, kl_name(s));
}

char *kl_stacks_text(struct kl_session *s)
{
	const struct stack_info *stacks;
	if (require_header(s) != 0)
		return NULL;
	size_t n = kl_stacks(s, &stacks);
	TEXT_OPEN(f, buf, len, kl_name(s));
	out_stacks_text(f, stacks, n);
	return text_done(f, &buf, kl_name(s));
}

char *kl_record_text(struct kl_session *s)
{
	TEXT_OPEN(f, buf, len, kl_name(s));
	record_print(f, kl_record(s));
	return text_done(f, &buf, kl_name(s));
}

char *kl_diagram_text(struct kl_session *s)
{
	if (require_header(s) != 0)
		return NULL;
	TEXT_OPEN(f, buf, len, kl_name(s));
	kl_diagram_print(f, s);
	return text_done(f, &buf, kl_name(s));
}

void kl_free(void *p)
{
	free(p);
}
