/*
 * out_text.c: the text outputs people read and grep: `check`'s one line per violation and its
 * summary, and the `stacks` table. Line formats are stable; docs/inspector.md shows them.
 */
#include <inttypes.h>
#include "inspector.h"

void violation_format(char *buf, size_t len, const struct violation *v)
{
	snprintf(buf, len, "%s: %s: at 0x%016" PRIx64 ": expected %s, found %s%s", invariant_id(v->inv),
		 v->region, v->addr, v->expected, v->found,
		 v->source == SOURCE_KERNEL ? " (reported by the kernel)" : "");
}

void out_check_text(FILE *out, const struct check_view *v)
{
	const struct report *rep = v->rep;
	char line[512];

	for (unsigned inv = 0; inv < LR_INV_COUNT; inv++) {
		for (size_t i = 0; i < rep->nv; i++)
			if (rep->v[i].inv == inv) {
				violation_format(line, sizeof line, &rep->v[i]);
				fprintf(out, "%s\n", line);
			}
		if (rep->status[inv] == CHECK_SKIP)
			fprintf(out, "%s: skipped: %s\n", invariant_id(inv), rep->skip_reason[inv]);
		else if (rep->status[inv] == CHECK_PASS && v->verbose)
			fprintf(out, "%s: ok: %s\n", invariant_id(inv), invariant_text(inv));
	}
	if (rep->nv_dropped)
		fprintf(out, "inspector: %zu more violations not listed\n", rep->nv_dropped);
	if (rep->kernel_seen > rep->kernel_kept)
		fprintf(out, "kernel: %u violations seen, %u kept in the record, %u dropped\n",
			rep->kernel_seen, rep->kernel_kept, rep->kernel_seen - rep->kernel_kept);
	fprintf(out, "%s: %zu checks, %zu violations\n", v->dump_path, report_checks_run(rep),
		report_violations(rep));
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
	fprintf(out, "%-26s  %-18s  %-18s  %8s  %-18s  %8s  %10s  %8s  %s\n", "owner", "lo", "hi", "size",
		"saved sp", "used now", "high-water", "headroom", "sentinel");
	for (size_t i = 0; i < n; i++) {
		const struct stack_info *t = &s[i];
		uint64_t size = t->range.hi > t->range.lo ? t->range.hi - t->range.lo : 0;
		char lo[24], hi[24], sp[24];
		fprintf(out, "%-26s  %s  %s  %8" PRIu64 "  %s", t->owner, hex64(lo, t->range.lo),
			hex64(hi, t->range.hi), size, hex64(sp, t->saved_sp));
		out_opt_u64(out, t->have_used, t->used, 8);
		out_opt_u64(out, t->have_paint, t->high_water, 10);
		if (t->have_paint)
			fprintf(out, "  %7u%%", stack_headroom_pct(t));
		else
			fprintf(out, "  %8s", "-");
		fprintf(out, "  %s\n", t->have_lo_word ? (t->sentinel_ok ? "ok" : "BROKEN") : "-");
	}
}
