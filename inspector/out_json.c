/*
 * out_json.c: `check`, `stacks`, `record` and `budget --format json`, schema
 * klayout-inspector/3
 * (docs/inspector-json.md). Addresses are "0x..." strings: JSON numbers lose 64-bit precision.
 * Sizes and counts are numbers. Key order is fixed so the output can be diffed.
 */
#include <inttypes.h>
#include "inspector.h"

#define JSON_SCHEMA "klayout-inspector/3"

/* Valid UTF-8 whatever s holds (a file name may hold any bytes): ill-formed bytes become U+FFFD. */
static void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', out);
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
	fputc('"', out);
}

static void json_addr(FILE *out, uint64_t v)
{
	fprintf(out, "\"0x%016" PRIx64 "\"", v);
}

static void json_range(FILE *out, const char *name, struct lr_range g)
{
	fputs("{\"name\": ", out);
	json_string(out, name);
	fputs(", \"lo\": ", out);
	json_addr(out, g.lo);
	fputs(", \"hi\": ", out);
	json_addr(out, g.hi);
	fprintf(out, ", \"size\": %" PRIu64 "}", g.hi > g.lo ? g.hi - g.lo : 0);
}

static void json_stack(FILE *out, const struct stack_info *s)
{
	fputs("{\"owner\": ", out);
	json_string(out, s->owner);
	fprintf(out, ", \"id\": %u, \"name\": ", s->id);
	json_string(out, s->name);
	fputs(", \"lo\": ", out);
	json_addr(out, s->range.lo);
	fputs(", \"hi\": ", out);
	json_addr(out, s->range.hi);
	fprintf(out, ", \"size\": %" PRIu64 ", \"saved_sp\": ",
		s->range.hi > s->range.lo ? s->range.hi - s->range.lo : 0);
	json_addr(out, s->saved_sp);
	fputs(", \"used\": ", out);
	if (s->have_used)
		fprintf(out, "%" PRIu64, s->used);
	else
		fputs("null", out);
	if (s->have_paint)
		fprintf(out, ", \"high_water\": %" PRIu64 ", \"headroom_pct\": %u", s->high_water,
			stack_headroom_pct(s));
	else
		fputs(", \"high_water\": null, \"headroom_pct\": null", out);
	fprintf(out, ", \"sentinel_ok\": %s, \"static_bound\": ", s->sentinel_ok ? "true" : "false");
	if (s->have_static && s->static_bounded)
		fprintf(out, "%" PRIu64 ", \"static_needed\": %" PRIu64, s->static_bound, s->static_needed);
	else
		fputs("null, \"static_needed\": null", out);
	fprintf(out, ", \"static\": \"%s\"}", !s->have_static ? "not analysed" :
		s->static_bounded ? "bounded" : "unbounded");
}

static void json_stacks(FILE *out, const struct stack_info *s, size_t n)
{
	fputs("  \"stacks\": [", out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		json_stack(out, &s[i]);
	}
	fputs(n ? "\n  ]" : "]", out);
}

static void json_violation(FILE *out, const struct report *rep, const struct violation *v)
{
	const struct violation *root = report_root(rep, v);
	fputs("{\"id\": ", out);
	json_string(out, invariant_id(v->inv));
	fputs(", \"region\": ", out);
	json_string(out, v->region);
	fputs(", \"addr\": ", out);
	json_addr(out, v->addr);
	fputs(", \"expected\": ", out);
	json_string(out, v->expected);
	fputs(", \"found\": ", out);
	json_string(out, v->found);
	fprintf(out, ", \"source\": \"%s\"", v->source == SOURCE_KERNEL ? "kernel" : "inspector");
	if (root) {
		/* A follow-on: the root cause's id and region, as its own violation gives them. */
		fputs(", \"follows\": {\"id\": ", out);
		json_string(out, invariant_id(root->inv));
		fputs(", \"region\": ", out);
		json_string(out, root->region);
		fputs("}", out);
	}
	fputs("}", out);
}

static void json_checks(FILE *out, const struct report *rep)
{
	static const char *const status[] = { "skip", "pass", "fail", "skip" };
	fputs("  \"checks\": [", out);
	for (unsigned inv = 0; inv < LR_INV_COUNT; inv++) {
		size_t shown = 0;
		fputs(inv ? ",\n    " : "\n    ", out);
		fprintf(out, "{\"id\": \"%s\", \"status\": \"%s\"", invariant_id(inv), status[rep->status[inv]]);
		if (rep->status[inv] == CHECK_SKIP) {
			fputs(", \"reason\": ", out);
			json_string(out, rep->skip_reason[inv]);
		}
		fputs(", \"violations\": [", out);
		for (size_t i = 0; i < rep->nv; i++)
			if (rep->v[i].inv == inv) {
				fputs(shown++ ? ",\n      " : "\n      ", out);
				json_violation(out, rep, &rep->v[i]);
			}
		fputs(shown ? "\n    ]}" : "]}", out);
	}
	fputs("\n  ]", out);
}

void out_check_json(FILE *out, const struct check_view *v)
{
	const struct report *rep = v->rep;
	struct region regions[REGIONS_MAX];
	size_t n = record_header_ok(v->r) == 0 ? record_regions(v->r, regions) : 0;

	fputs("{\n  \"schema\": \"" JSON_SCHEMA "\",\n  \"dump\": ", out);
	json_string(out, v->dump_path);
	fprintf(out, ",\n  \"format\": \"%s\",\n  \"sparse\": %s,\n  \"ram\": ", dump_format_name(v->d),
		v->d->sparse ? "true" : "false");
	json_range(out, "ram", dump_ram(v->d));
	/* The registers of each hart an ELF core holds: [] for raw dumps. */
	fputs(",\n  \"harts\": [", out);
	for (size_t i = 0; i < v->d->nharts; i++) {
		fputs(i ? ", {\"pc\": " : "{\"pc\": ", out);
		json_addr(out, v->d->hart_pc[i]);
		fputs(", \"sp\": ", out);
		json_addr(out, v->d->hart_sp[i]);
		fputs("}", out);
	}
	fputs("],\n  \"regions\": [", out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		json_range(out, regions[i].name, regions[i].range);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
	json_stacks(out, v->stacks, v->nstacks);
	fputs(",\n", out);
	json_checks(out, rep);
	fprintf(out, ",\n  \"kernel_violations\": {\"seen\": %u, \"kept\": %u, \"dropped\": %u}",
		rep->kernel_seen, rep->kernel_kept,
		rep->kernel_seen > rep->kernel_kept ? rep->kernel_seen - rep->kernel_kept : 0);
	fprintf(out, ",\n  \"summary\": {\"checks\": %zu, \"violations\": %zu, \"follow_ons\": %zu, "
		"\"verdict\": \"%s\"}\n}\n", report_checks_run(rep), report_violations(rep),
		report_follow_ons(rep), report_violations(rep) ? "fail" : "pass");
}

void out_check_json_error(FILE *out, const char *dump_path, const char *message)
{
	fputs("{\n  \"schema\": \"" JSON_SCHEMA "\",\n  \"dump\": ", out);
	json_string(out, dump_path);
	fputs(",\n  \"error\": ", out);
	json_string(out, message);
	fputs(",\n  \"checks\": [],\n  \"summary\": {\"checks\": 0, \"violations\": 0, \"verdict\": \"error\"}\n}\n",
	      out);
}

/* ---- record: every field of the record, as `record` lists them --------------------------------- */
static void json_key_range(FILE *out, const char *indent, const char *name, struct lr_range g)
{
	fprintf(out, ",\n%s\"%s\": {\"lo\": ", indent, name);
	json_addr(out, g.lo);
	fputs(", \"hi\": ", out);
	json_addr(out, g.hi);
	fputs("}", out);
}

static void json_key_word(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, ", \"%s\": ", name);
	json_addr(out, v);
}

static void json_record_task(FILE *out, const struct lr_task *t)
{
	char name[LR_NAME_LEN + 1];
	fprintf(out, "{\"id\": %u, \"name\": ", t->id);
	json_string(out, task_name(name, t));
	fprintf(out, ", \"state\": %u, \"state_name\": \"%s\", \"stack\": {\"lo\": ", t->state,
		kl_task_state_name(t->state));
	json_addr(out, t->stack.lo);
	fputs(", \"hi\": ", out);
	json_addr(out, t->stack.hi);
	fputs("}", out);
	json_key_word(out, "saved_sp", t->saved_sp);
	json_key_word(out, "saved_pc", t->saved_pc);
	json_key_word(out, "ctx", t->ctx);
	fprintf(out, ", \"depth\": %u, \"depth_reached\": %u, \"switches\": %u, \"preemptions\": %u}",
		t->depth, t->depth_reached, t->switches, t->preemptions);
}

static void json_record_violation(FILE *out, const struct lr_violation *v)
{
	fprintf(out, "{\"invariant\": %u, \"id\": \"%s\", \"owner\": %u", v->invariant,
		invariant_id(v->invariant), v->owner);
	json_key_word(out, "addr", v->addr);
	json_key_word(out, "expected", v->expected);
	json_key_word(out, "found", v->found);
	json_key_word(out, "pc", v->pc);
	fprintf(out, ", \"cause\": %u, \"seen_by_check\": %s}", v->cause,
		v->cause == LR_CAUSE_CHECK ? "true" : "false");
}

void out_record_json(FILE *out, const char *dump_path, const struct layout_record *r)
{
	static const char *const in = "    ";
	fputs("{\n  \"schema\": \"" JSON_SCHEMA "\",\n  \"dump\": ", out);
	json_string(out, dump_path);
	fputs(",\n  \"record\": {\n    \"magic\": ", out);
	json_addr(out, r->magic);
	fprintf(out, ",\n    \"version\": %u, \"size\": %u, \"checksum\": \"0x%08x\", \"generation\": %u",
		r->version, r->size, r->checksum, r->generation);
	fprintf(out, ",\n    \"flags\": %u, \"flag_names\": [%s%s%s]", r->flags,
		r->flags & LR_FLAG_READY ? "\"ready\"" : "",
		(r->flags & LR_FLAG_READY) && (r->flags & LR_FLAG_HALTED) ? ", " : "",
		r->flags & LR_FLAG_HALTED ? "\"halted\"" : "");
	fprintf(out, ",\n    \"build_id_size\": %u, \"build_id\": \"", r->build_id_size);
	for (uint32_t i = 0; i < r->build_id_size && i < LR_BUILD_ID_MAX; i++)
		fprintf(out, "%02x", r->build_id[i]);
	fputs("\"", out);
	json_key_range(out, in, "ram", r->ram);
	json_key_range(out, in, "dtb", r->dtb);
	json_key_range(out, in, "text", r->text);
	json_key_range(out, in, "rodata", r->rodata);
	json_key_range(out, in, "data", r->data);
	json_key_range(out, in, "bss", r->bss);
	json_key_range(out, in, "boot_stack", r->boot_stack);
	json_key_range(out, in, "padding", r->padding);
	json_key_range(out, in, "record", r->record);
	json_key_range(out, in, "task_code", r->task_code);
	json_key_range(out, in, "free", r->free);
	json_key_range(out, in, "kstack", r->kstack);
	fputs(",\n    \"available\": ", out);
	json_addr(out, r->available);
	json_key_word(out, "kernel_sp", r->kernel_sp);
	json_key_word(out, "sentinel", r->sentinel);
	json_key_word(out, "paint", r->paint);
	fprintf(out, ",\n    \"image_crc\": \"0x%08x\", \"current\": %u, \"task_count\": %u, "
		"\"task_max\": %u, \"violation_count\": %u, \"violation_max\": %u, \"tick_us\": %u, "
		"\"pmp_entries\": %u", r->image_crc, r->current, r->task_count, r->task_max,
		r->violation_count, r->violation_max, r->tick_us, r->pmp_entries);
	/* The tables as far as record_print lists them: counts clamped to the arrays. */
	fputs(",\n    \"tasks\": [", out);
	for (uint32_t i = 0; i < record_task_count(r); i++) {
		fputs(i ? ",\n      " : "\n      ", out);
		json_record_task(out, &r->tasks[i]);
	}
	fputs(record_task_count(r) ? "\n    ]" : "]", out);
	fputs(",\n    \"violations\": [", out);
	for (uint32_t i = 0; i < record_violations_kept(r); i++) {
		fputs(i ? ",\n      " : "\n      ", out);
		json_record_violation(out, &r->violations[i]);
	}
	fputs(record_violations_kept(r) ? "\n    ]\n  }\n}\n" : "]\n  }\n}\n", out);
}

void out_stacks_json(FILE *out, const char *dump_path, const struct stack_info *s, size_t n)
{
	fputs("{\n  \"schema\": \"" JSON_SCHEMA "\",\n  \"dump\": ", out);
	json_string(out, dump_path);
	fputs(",\n", out);
	json_stacks(out, s, n);
	fputs("\n}\n", out);
}

static void json_u64_or_null(FILE *out, int known, uint64_t v)
{
	if (known)
		fprintf(out, "%" PRIu64, v);
	else
		fputs("null", out);
}

void out_budget_json(FILE *out, const char *elf_path, const struct kl_budget *b,
		     const struct kl_stack_budget *s, size_t n)
{
	const struct bg_graph *g = kl_budget_graph(b);
	size_t failed = 0, unbounded = 0;
	char text[512];
	fputs("{\n  \"schema\": \"" JSON_SCHEMA "\",\n  \"elf\": ", out);
	json_string(out, elf_path);
	fputs(",\n  \"stacks\": [", out);
	for (size_t i = 0; i < n; i++) {
		const struct kl_stack_budget *t = &s[i];
		int fits = kl_budget_fits(t);
		failed += !fits;
		unbounded += !t->r.bounded;
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		json_string(out, t->q.name);
		fputs(", \"size\": ", out);
		json_u64_or_null(out, t->q.have_size, t->q.size);
		fprintf(out, ", \"reserve\": %" PRIu64 ", \"static_bound\": ", t->q.reserve);
		json_u64_or_null(out, t->r.bounded, t->r.bound);
		fputs(", \"needed\": ", out);
		json_u64_or_null(out, t->r.bounded, t->r.bounded ? bg_needed(&t->q, &t->r) : 0);
		fprintf(out, ", \"fits\": %s,\n     \"entries\": [", fits ? "true" : "false");
		for (int e = 0; e < t->q.nentries; e++) {
			fputs(e ? ", {\"function\": " : "{\"function\": ", out);
			json_string(out, bg_func(g, t->q.entry[e])->name);
			fputs(", \"static_bound\": ", out);
			json_u64_or_null(out, t->r.bounded, t->r.entry_bound[e]);
			fputs("}", out);
		}
		fputs("],\n     \"chain\": [", out);
		for (size_t c = 0; c < t->r.nchain; c++) {
			const struct bg_step *st = &t->r.chain[c];
			const struct bg_func *f = bg_func(g, st->fn);
			fputs(c ? ",\n       {\"function\": " : "\n       {\"function\": ", out);
			json_string(out, f->name);
			fprintf(out, ", \"frame\": %" PRIu64 ", \"at\": %" PRIu64 ", \"repeat\": %" PRIu64
				", \"group\": %d, \"defined_at\": ", f->frame, st->at, st->repeat, st->group_len);
			json_string(out, f->where);
			if (st->edge < 0) {
				fputs(", \"call\": null}", out);
				continue;
			}
			const struct bg_edge *e = bg_edge_at(g, st->edge);
			fprintf(out, ", \"call\": {\"kind\": \"%s\", \"site\": ", bg_kind_name(e->kind));
			json_string(out, e->site);
			fprintf(out, ", \"origin\": \"%s\"}}", bg_origin_name(e->origin));
		}
		fputs(t->r.nchain ? "\n     ],\n     \"unbounded\": [" : "],\n     \"unbounded\": [", out);
		for (size_t u = 0; u < t->r.nunknown; u++) {
			fputs(u ? ", " : "", out);
			json_string(out, bg_unknown_text(g, &t->r.unknown[u], text, sizeof text));
		}
		fputs("]}", out);
	}
	fprintf(out, "\n  ],\n  \"summary\": {\"stacks\": %zu, \"over_budget\": %zu, \"unbounded\": %zu, "
		"\"verdict\": \"%s\"}\n}\n", n, failed - unbounded, unbounded, failed ? "fail" : "pass");
}
