/*
 * out_junit.c: `check --format junit`, for CI systems that show test reports: one testcase per
 * invariant (classname "klayout", name the stable id), a <failure> holding the same violation
 * lines as the text format, <skipped/> for checks that did not run.
 */
#include "inspector.h"

/* Valid XML 1.0 text in UTF-8 whatever s holds: markup escaped, control characters (not allowed
 * at all) as '?', ill-formed UTF-8 (a file name may hold any bytes) as U+FFFD. */
static void xml_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		switch (n ? *p : 0) {
		case 0: fputs("\xef\xbf\xbd", out); n = 1; break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\n': fputs("&#10;", out); break;
		default:
			/* Nor are U+FFFE and U+FFFF, well-formed UTF-8 as they are. */
			if (*p < 0x20 || *p == 0x7f || (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))
				fputc('?', out);
			else
				fwrite(p, 1, n, out);
		}
		p += n;
	}
}

/* The check's violations; of them, in *follow, the follow-ons of another one. */
static size_t count_in(const struct report *rep, unsigned inv, size_t *follow)
{
	size_t n = 0;
	*follow = 0;
	for (size_t i = 0; i < rep->nv; i++)
		if (rep->v[i].inv == inv) {
			n++;
			*follow += report_root(rep, &rep->v[i]) != NULL;
		}
	return n;
}

static void junit_failure(FILE *out, const struct report *rep, unsigned inv)
{
	char line[640];
	size_t follow, n = count_in(rep, inv, &follow);
	fprintf(out, "    <failure message=\"%zu violation%s of ", n, n == 1 ? "" : "s");
	xml_text(out, invariant_id(inv));
	if (follow)
		fprintf(out, " (%zu follow-on%s)", follow, follow == 1 ? "" : "s");
	fputs("\" type=\"violation\">", out);
	for (size_t i = 0; i < rep->nv; i++)
		if (rep->v[i].inv == inv) {
			violation_format(line, sizeof line, rep, &rep->v[i]);
			xml_text(out, line);
			fputc('\n', out);
		}
	fputs("</failure>\n", out);
}

void out_check_junit(FILE *out, const struct check_view *v)
{
	const struct report *rep = v->rep;
	size_t failures = 0, skipped = 0;
	for (unsigned inv = 0; inv < LR_INV_COUNT; inv++) {
		failures += rep->status[inv] == CHECK_FAIL;
		skipped += rep->status[inv] == CHECK_SKIP || rep->status[inv] == CHECK_NOT_RUN;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", out);
	xml_text(out, v->dump_path);
	fprintf(out, "\" tests=\"%u\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
		(unsigned)LR_INV_COUNT, failures, skipped);
	for (unsigned inv = 0; inv < LR_INV_COUNT; inv++) {
		fprintf(out, "  <testcase classname=\"klayout\" name=\"");
		xml_text(out, invariant_id(inv));
		fputs("\"", out);
		switch (rep->status[inv]) {
		case CHECK_PASS:
			fputs("/>\n", out);
			continue;
		case CHECK_FAIL:
			fputs(">\n", out);
			junit_failure(out, rep, inv);
			break;
		default:
			fputs(">\n    <skipped message=\"", out);
			xml_text(out, rep->skip_reason[inv]);
			fputs("\"/>\n", out);
		}
		fputs("  </testcase>\n", out);
	}
	fputs("</testsuite>\n</testsuites>\n", out);
}

void out_check_junit_error(FILE *out, const char *dump_path, const char *message)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", out);
	xml_text(out, dump_path);
	fputs("\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
	      "  <testcase classname=\"klayout\" name=\"input\">\n    <error message=\"", out);
	xml_text(out, message);
	fputs("\" type=\"unusable-input\">", out);
	xml_text(out, message);
	fputs("</error>\n  </testcase>\n</testsuite>\n</testsuites>\n", out);
}
