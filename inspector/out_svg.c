/*
 * out_svg.c: `diagram --format svg|html`: the design document's diagram as a picture, drawn
 * from the same record_regions(), stacks_measure() and check_run() results the text outputs
 * show. High addresses on top; each region a box with name, size and bounds; stacks filled
 * with their use now and their high-water mark, the excluded lo word a strip at the bottom;
 * a region or gap a violation is about in red with the ids. Heights follow the sizes, scaled so
 * the smallest stack stays readable; a region too big for that scale is drawn shorter with a
 * zigzag break ("not to scale"); and no region is drawn shorter than a smaller one. The picture
 * is as wide as its longest text. The HTML is the same SVG inline: one file, no network, no
 * script.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "inspector.h"

#define SVG_WIDTH   880                    /* at least; wider when a text needs it */
#define BOX_X       16
#define BOX_W       360
#define ADDR_X      (BOX_X + BOX_W + 10)   /* the boundary addresses, right of the boxes */
#define LINE_H      15                     /* one text line in a box */
#define PAD_Y       8
#define LO_STRIP_H  6                      /* the excluded lo word, at a stack's bottom */
#define USED_W      18                     /* the used-now bar, at a stack's right edge */
#define GAP_H       16                     /* a gap between two regions, whatever its size */
#define MAX_H       240                    /* a region taller than this at scale is compressed... */
#define CUT_H       110                    /* ...to this height, with a break */
#define HEAD_H      64                     /* title and verdict lines */
#define MIN_SCALE_BYTES 4096               /* the scale: this many bytes (or the smallest stack)... */
#define MIN_SCALE_PX    48.0               /* ...take this many pixels */

/*
 * Text widths, to size the picture: the style's font is DejaVu Sans Mono, whose every glyph
 * (bold too) advances 1233/2048 em; names are printed one byte a glyph (xml_text). The tests
 * render the pictures (rsvg-convert) and check that no text falls outside them.
 */
#define FONT_ADVANCE_EM (1233.0 / 2048.0)
#define TEXT_MARGIN     16                 /* right of the widest text */

#define RED      "#c62828"
#define RED_FILL "#fde0e0"

struct svg_box {
	const struct region *g;        /* NULL for a gap */
	struct lr_range range;
	const struct stack_info *stack;
	uint32_t violated;             /* bit per invariant whose violation is about this box */
	double y, h;
	int compressed;
};

/* "16 KiB", "126.9 MiB": as lib/diagram.c prints sizes (one truncated decimal if inexact). */
static char *size_str(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	while (u < 4 && bytes >> (10 * (u + 1)))
		u++;
	uint64_t whole = bytes >> (10 * u), rest = bytes - (whole << (10 * u));
	if (rest)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", whole, (rest * 10) >> (10 * u), units[u]);
	else
		snprintf(buf, len, "%" PRIu64 " %s", whole, units[u]);
	return buf;
}

/* Text content and attribute values: the names come from the dump, so anything may be in them. */
static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			fputc((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? '?' : *s, out);
		}
	}
}

/* The right edge of the widest text drawn so far (out_svg starts it at 0). */
static double text_right;

/* The font size a text's class gives it (svg_style). */
static double text_px(const char *attrs)
{
	return strstr(attrs, "\"title\"") ? 15 : strstr(attrs, "\"small\"") ? 10 :
	       strstr(attrs, "\"addr\"") ? 11 : 12;
}

static void text_at(FILE *out, double x, double y, const char *attrs, const char *s)
{
	double right = x + (double)strlen(s) * FONT_ADVANCE_EM * text_px(attrs);
	if (right > text_right)
		text_right = right;
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "", attrs);
	xml_text(out, s);
	fputs("</text>\n", out);
}

static uint64_t range_size(struct lr_range g)
{
	return g.hi > g.lo ? g.hi - g.lo : 0;
}

/* The box a violation is about: by region name first, else the one holding its address; a
 * gap is marked too when the violation's address is one of its ends (layout.chain names the
 * stack below a gap, at its hi). */
static void mark_violation(struct svg_box *b, size_t n, const struct violation *v)
{
	for (size_t i = 0; i < n; i++)
		if (!b[i].g && (v->addr == b[i].range.lo || v->addr == b[i].range.hi))
			b[i].violated |= 1u << v->inv;
	for (size_t i = 0; i < n; i++)
		if (b[i].g && strcmp(b[i].g->name, v->region) == 0) {
			b[i].violated |= 1u << v->inv;
			return;
		}
	for (size_t i = 0; i < n; i++)
		if (v->addr >= b[i].range.lo && v->addr < b[i].range.hi) {
			b[i].violated |= 1u << v->inv;
			return;
		}
}

static unsigned text_lines(const struct svg_box *b)
{
	return 1 + (b->stack != NULL) + (b->violated != 0);
}

/* Boxes high to low, regions and the gaps between them; returns the count. */
static size_t layout_boxes(const struct check_view *v, const struct region *g, size_t ng,
			   struct svg_box *b)
{
	size_t n = 0;
	uint64_t smallest = 0;
	for (size_t i = 0; i < v->nstacks; i++) {
		uint64_t size = range_size(v->stacks[i].range);
		if (size && (!smallest || size < smallest))
			smallest = size;
	}
	if (!smallest || smallest > MIN_SCALE_BYTES)
		smallest = MIN_SCALE_BYTES;
	double scale = MIN_SCALE_PX / (double)smallest;

	for (size_t k = ng; k-- > 0;) {
		if (n && b[n - 1].range.lo > g[k].range.hi) {
			b[n] = (struct svg_box){ .range = { g[k].range.hi, b[n - 1].range.lo } };
			n++;
		}
		b[n] = (struct svg_box){ .g = &g[k], .range = g[k].range };
		for (size_t s = 0; s < v->nstacks; s++)
			if (g[k].is_stack && strcmp(v->stacks[s].owner, g[k].name) == 0) {
				b[n].stack = &v->stacks[s];
				break;
			}
		n++;
	}
	for (size_t i = 0; i < v->rep->nv; i++)
		mark_violation(b, n, &v->rep->v[i]);

	for (size_t i = 0; i < n; i++) {
		double min = PAD_Y * 2 + LINE_H * text_lines(&b[i]) + (b[i].stack ? LO_STRIP_H : 0);
		double h = (double)range_size(b[i].range) * scale;
		if (!b[i].g) {
			h = GAP_H + (b[i].violated ? LINE_H : 0);
		} else if (h > MAX_H) {
			h = CUT_H;
			b[i].compressed = 1;
		} else if (h < min) {
			h = min;
		}
		b[i].h = h;
	}
	/* Height a non-decreasing function of size: a box made taller for its text, or a big one
	 * cut short, never shows a region shorter than a smaller (or equal) one. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (b[i].g && b[j].g && range_size(b[j].range) <= range_size(b[i].range) &&
			    b[j].h > b[i].h)
				b[i].h = b[j].h;
	double y = HEAD_H;
	for (size_t i = 0; i < n; i++) {
		b[i].y = y;
		y += b[i].h;
	}
	return n;
}

/* The ids of the invariants in mask, ", "-separated, into buf. */
static char *ids_str(char *buf, size_t len, uint32_t mask)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned inv = 0; inv < LR_INV_COUNT && used < len; inv++)
		if (mask & (1u << inv))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 invariant_id(inv));
	return buf;
}

static void draw_stack_fill(FILE *out, const struct svg_box *b)
{
	const struct stack_info *s = b->stack;
	uint64_t size = range_size(s->range);
	double body = b->h - LO_STRIP_H;
	if (size && s->have_paint) {
		double f = s->high_water >= size ? 1.0 : (double)s->high_water / (double)size;
		fprintf(out, "<rect class=\"hw\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>\n",
			BOX_X, b->y, BOX_W, body * f);
	}
	if (size && s->have_static && s->static_bounded) {
		/* The static worst case: where sp can go at the deepest, a dashed line across the stack. */
		double f = s->static_bound >= size ? 1.0 : (double)s->static_bound / (double)size;
		fprintf(out, "<line class=\"bound\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"><title>static "
			"worst case: %" PRIu64 " bytes below hi</title></line>\n", BOX_X, b->y + body * f,
			BOX_X + BOX_W, b->y + body * f, s->static_bound);
	}
	if (size && s->have_used) {
		double f = s->used >= size ? 1.0 : (double)s->used / (double)size;
		fprintf(out, "<rect class=\"used\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>\n",
			BOX_X + BOX_W - USED_W, b->y, USED_W, body * f);
	}
	/* Red only when the word no longer holds the sentinel: a store PMP refused left it intact
	 * (the box is red for the violation, the strip says what the word holds). */
	int lo_bad = s->have_lo_word && !s->sentinel_ok;
	fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\"><title>excluded "
		"lo word at 0x%" PRIx64 ": %s</title></rect>\n", lo_bad ? "lobad" : "lo", BOX_X,
		b->y + b->h - LO_STRIP_H, BOX_W, LO_STRIP_H, s->range.lo,
		s->have_lo_word ? (s->sentinel_ok ? "sentinel" : "overwritten") : "not in the dump");
}

/* The points of a zigzag across the box at y, left to right or back. */
static void zigzag(FILE *out, double y, int backward)
{
	int steps = (BOX_W + 20) / 10;
	for (int i = 0; i <= steps; i++) {
		int k = backward ? steps - i : i;
		fprintf(out, "%d,%.1f ", BOX_X - 10 + 10 * k, y + (k & 1 ? -4 : 4));
	}
}

/* Two zigzags across a compressed box with the background between them: a visible break. */
static void draw_break(FILE *out, const struct svg_box *b)
{
	double y = b->y + b->h - 28;
	fputs("<polygon class=\"cutfill\" points=\"", out);
	zigzag(out, y, 0);
	zigzag(out, y + 9, 1);
	fputs("\"/>\n<polyline class=\"cut\" points=\"", out);
	zigzag(out, y, 0);
	fputs("\"/>\n<polyline class=\"cut\" points=\"", out);
	zigzag(out, y + 9, 0);
	fputs("\"/>\n", out);
}

static void draw_box(FILE *out, const struct svg_box *b)
{
	char line[160], size[32], ids[256], used[32], hw[32];
	double ty = b->y + PAD_Y + LINE_H - 3;

	if (!b->g) {
		fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>\n",
			b->violated ? "gapbad" : "gap", BOX_X, b->y, BOX_W, b->h);
		snprintf(line, sizeof line, "gap: %s", size_str(size, sizeof size, range_size(b->range)));
		text_at(out, BOX_X + 8, b->y + 12, b->violated ? "class=\"bad\"" : "class=\"small\"", line);
		if (b->violated)
			text_at(out, BOX_X + 8, b->y + 12 + LINE_H, "class=\"bad\"",
				ids_str(ids, sizeof ids, b->violated));
		return;
	}
	fprintf(out, "<g><title>");
	xml_text(out, b->g->name);
	fprintf(out, ": [0x%" PRIx64 ", 0x%" PRIx64 "), %" PRIu64 " bytes</title>\n", b->range.lo,
		b->range.hi, range_size(b->range));
	fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>\n",
		b->violated ? "boxbad" : b->stack ? "stack" : b->g->in_image || !strcmp(b->g->name, "text") ?
		"image" : "plain", BOX_X, b->y, BOX_W, b->h);
	if (b->stack)
		draw_stack_fill(out, b);
	if (b->compressed)
		draw_break(out, b);
	/* The outline again on top of the fills, so the box edge stays visible. */
	fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>\n",
		b->violated ? "edgebad" : "edge", BOX_X, b->y, BOX_W, b->h);
	snprintf(line, sizeof line, "%s  %s%s", b->g->name, size_str(size, sizeof size, range_size(b->range)),
		 b->compressed ? "  (not to scale)" : "");
	text_at(out, BOX_X + 8, ty, "class=\"name\"", line);
	if (b->stack) {
		const struct stack_info *s = b->stack;
		ty += LINE_H;
		snprintf(line, sizeof line, "now %s, max %s%s",
			 s->have_used ? size_str(used, sizeof used, s->used) : "?",
			 s->have_paint ? size_str(hw, sizeof hw, s->high_water) : "?",
			 s->have_paint ? "" : " (not in the dump)");
		if (s->have_paint)
			snprintf(line + strlen(line), sizeof line - strlen(line), ", %u%% free",
				 stack_headroom_pct(s));
		if (s->have_static && s->static_bounded)
			snprintf(line + strlen(line), sizeof line - strlen(line), ", static %s",
				 size_str(hw, sizeof hw, s->static_bound));
		else if (s->have_static)
			snprintf(line + strlen(line), sizeof line - strlen(line), ", static unbounded");
		text_at(out, BOX_X + 8, ty, "", line);
	}
	if (b->violated) {
		ty += LINE_H;
		text_at(out, BOX_X + 8, ty, "class=\"bad\"", ids_str(ids, sizeof ids, b->violated));
	}
	fputs("</g>\n", out);
}

/* The address at each boundary, with what it is; each box's lo, and the top box's hi. */
static void draw_addresses(FILE *out, const struct svg_box *b, size_t n)
{
	char hex[24], line[128];
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || b[i - 1].range.lo != b[i].range.hi) {
			snprintf(line, sizeof line, "%s%s", hex64(hex, b[i].range.hi), i == 0 ? "  end of RAM" : "");
			text_at(out, ADDR_X, b[i].y + 4, "class=\"addr\"", line);
		}
		const char *what = !b[i].g ? " lo" : b[i].stack ? " lo (excluded word)" :
				   !strcmp(b[i].g->name, "text") ? " lo = start of RAM" :
				   !strcmp(b[i].g->name, "free") ? " lo = task code end" : " lo";
		snprintf(line, sizeof line, "%s  %s%s", hex64(hex, b[i].range.lo), b[i].g ? b[i].g->name : "gap",
			 what);
		if (b[i].g && b[i].stack && i + 1 < n && b[i + 1].g && !strcmp(b[i + 1].g->name, "free"))
			snprintf(line + strlen(line), sizeof line - strlen(line), " = available");
		text_at(out, ADDR_X, b[i].y + b[i].h + 4, "class=\"addr\"", line);
		fprintf(out, "<line class=\"tick\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
			BOX_X + BOX_W, b[i].y + b[i].h, ADDR_X - 2, b[i].y + b[i].h);
	}
}

static const char svg_style[] =
	"text{font-family:'DejaVu Sans Mono',monospace;font-size:12px;fill:#222}\n"
	".title{font-size:15px;font-weight:bold}.pass{fill:#2e7d32;font-weight:bold}\n"
	".fail{fill:" RED ";font-weight:bold}.name{font-weight:bold}.small{font-size:10px;fill:#555}\n"
	".bad{fill:" RED ";font-weight:bold}.addr{font-size:11px;fill:#333}\n"
	".plain{fill:#f5f5f5}.image{fill:#dde7f3}.stack{fill:#eef6ea}.boxbad{fill:" RED_FILL "}\n"
	".edge{fill:none;stroke:#444;stroke-width:1}.edgebad{fill:none;stroke:" RED ";stroke-width:2.5}\n"
	".hw{fill:#f7d9a4}.used{fill:#e08e2b}.lo{fill:#555}.lobad{fill:" RED "}\n"
	".gap{fill:#fff;stroke:#999;stroke-dasharray:4 3}.gapbad{fill:" RED_FILL ";stroke:" RED
	";stroke-dasharray:4 3}\n"
	".cut{fill:none;stroke:#444;stroke-width:1.2}.cutfill{fill:#fff;stroke:none}\n"
	".tick{stroke:#999;stroke-width:1}.bound{stroke:#1f4e9c;stroke-width:2;stroke-dasharray:6 3}\n"
	".boundkey{fill:none;stroke:#1f4e9c;stroke-width:2;stroke-dasharray:6 3}\n";

/* The key and the violation list below the drawing; returns the y after it. */
static double draw_legend(FILE *out, const struct check_view *v, double y, int dry)
{
	char line[512];
	static const struct { const char *cls, *text; } key[] = {
		{ "hw", "stack: high-water mark, from the paint (top down: stacks grow down)" },
		{ "used", "stack: used now (hi - sp), the bar at its right edge" },
		{ "lo", "the excluded lo word of each stack (red: overwritten)" },
		{ "boundkey", "stack: its static worst case (inspector budget), a dashed line" },
		{ "boxbad", "a region a violation is about, with the invariant ids" },
	};
	y += 24;
	for (size_t i = 0; i < sizeof key / sizeof key[0]; i++, y += 18) {
		if (dry)
			continue;
		fprintf(out, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"24\" height=\"12\" "
			"stroke=\"#444\"/>\n", key[i].cls, BOX_X, y - 10);
		text_at(out, BOX_X + 32, y, "", key[i].text);
	}
	if (!dry)
		text_at(out, BOX_X, y, "", "a zigzag break: the region is drawn shorter than its size");
	y += 26;
	if (v->rep->nv && !dry)
		text_at(out, BOX_X, y, "class=\"fail\"", "Violations");
	y += v->rep->nv ? 18 : 0;
	/* Two lines each: "id: region: at ADDR" and its marks, then what was expected and found. */
	for (size_t i = 0; i < v->rep->nv; i++, y += 34) {
		const struct violation *x = &v->rep->v[i];
		char marks[160];
		if (dry)
			continue;
		violation_marks(marks, sizeof marks, v->rep, x);
		snprintf(line, sizeof line, "%s: %s: at 0x%016" PRIx64 "%s", invariant_id(x->inv), x->region,
			 x->addr, marks);
		text_at(out, BOX_X, y, "class=\"bad\"", line);
		snprintf(line, sizeof line, "    expected %s, found %s", x->expected, x->found);
		text_at(out, BOX_X, y + 15, "", line);
	}
	return y;
}

/* The drawing, into body: the picture's width is known once every text is placed. */
static void draw_body(FILE *out, const struct check_view *v, const struct svg_box *boxes, size_t n,
		      double bottom)
{
	char line[512];
	size_t nv = report_violations(v->rep);
	snprintf(line, sizeof line, "Memory layout of %s (%s)", v->dump_path, dump_format_name(v->d));
	text_at(out, BOX_X, 22, "class=\"title\"", line);
	report_summary(line, sizeof line - 8, v->rep);
	strcat(line, nv ? ": FAIL" : ": pass");
	text_at(out, BOX_X, 42, nv ? "class=\"fail\"" : "class=\"pass\"", line);
	text_at(out, BOX_X, HEAD_H - 8, "class=\"small\"", "High addresses");
	for (size_t i = 0; i < n; i++)
		draw_box(out, &boxes[i]);
	draw_addresses(out, boxes, n);
	text_at(out, BOX_X, bottom + 14, "class=\"small\"", "Low addresses");
	draw_legend(out, v, bottom + 10, 0);
}

static int out_svg(FILE *out, const struct check_view *v)
{
	static struct region regions[REGIONS_MAX];
	static struct svg_box boxes[2 * REGIONS_MAX];
	size_t ng = record_regions(v->r, regions);
	size_t n = layout_boxes(v, regions, ng, boxes);
	double bottom = n ? boxes[n - 1].y + boxes[n - 1].h : HEAD_H;
	double height = draw_legend(out, v, bottom + 10, 1) + 10;
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (!b)
		return fail(v->dump_path, "out of memory");
	text_right = 0;
	draw_body(b, v, boxes, n, bottom);
	if (fclose(b) != 0) {
		free(body);
		return fail(v->dump_path, "out of memory");
	}
	int width = (int)text_right + 1 + TEXT_MARGIN;
	if (width < SVG_WIDTH)
		width = SVG_WIDTH;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\">\n<style>\n%s</style>\n", width, height, width, height, svg_style);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"#fff\"/>\n", width, height);
	fwrite(body, 1, len, out);
	free(body);
	fputs("</svg>\n", out);
	return 0;
}

int out_diagram_svg(FILE *out, const struct check_view *v)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	return out_svg(out, v);
}

int out_diagram_html(FILE *out, const struct check_view *v)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>klayout: ", out);
	xml_text(out, v->dump_path);
	fputs("</title>\n<style>body{margin:1em;background:#fff}</style>\n</head>\n<body>\n", out);
	int rc = out_svg(out, v);
	fputs("</body>\n</html>\n", out);
	return rc;
}
