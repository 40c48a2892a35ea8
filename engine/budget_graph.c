/*
 * budget_graph.c: the call graph of the static stack analysis. The readers add functions and
 * edges as they see them; bg_finish merges an edge the .ci and the ELF both show into one that
 * says so, gives every edge its depth (the caller's frame unless its code says less), resolves
 * the declared indirect calls and the declared names, and checks that each C function has the
 * compiler's frame.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "budget_int.h"
#include "klayout.h"

struct bg_graph *bg_new(void)
{
	struct bg_graph *g = calloc(1, sizeof *g);
	if (!g)
		fail(NULL, "out of memory");
	return g;
}

void bg_free(struct bg_graph *g)
{
	if (!g)
		return;
	free(g->f);
	free(g->hash);
	free(g->e);
	free(g);
}

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int bg_func_find(const struct bg_graph *g, const char *key)
{
	if (!g->hcap)
		return -1;
	for (size_t i = key_hash(key) & (g->hcap - 1);; i = (i + 1) & (g->hcap - 1)) {
		int at = g->hash[i];
		if (!at)
			return -1;
		if (strcmp(g->f[at - 1].key, key) == 0)
			return at - 1;
	}
}

static int rehash(struct bg_graph *g, size_t cap)
{
	int *h = calloc(cap, sizeof *h);
	if (!h)
		return -1;
	for (size_t n = 0; n < g->nf; n++) {
		size_t i = key_hash(g->f[n].key) & (cap - 1);
		while (h[i])
			i = (i + 1) & (cap - 1);
		h[i] = (int)n + 1;
	}
	free(g->hash);
	g->hash = h;
	g->hcap = cap;
	return 0;
}

int bg_func_get(struct bg_graph *g, const char *key, const char *name)
{
	int at = bg_func_find(g, key);
	if (at >= 0)
		return at;
	if (g->nf == g->capf) {
		size_t cap = g->capf ? 2 * g->capf : 256;
		struct bg_func *f = realloc(g->f, cap * sizeof *f);
		if (!f)
			return fail(NULL, "out of memory");
		g->f = f;
		g->capf = cap;
	}
	if (2 * (g->nf + 1) > g->hcap && rehash(g, g->hcap ? 2 * g->hcap : 512) != 0)
		return fail(NULL, "out of memory");
	struct bg_func *f = &g->f[g->nf];
	memset(f, 0, sizeof *f);
	snprintf(f->key, sizeof f->key, "%s", key);
	snprintf(f->name, sizeof f->name, "%s", name ? name : key);
	f->parent = -1;
	f->edges = -1;
	size_t i = key_hash(key) & (g->hcap - 1);
	while (g->hash[i])
		i = (i + 1) & (g->hcap - 1);
	g->hash[i] = (int)g->nf + 1;
	return (int)g->nf++;
}

int bg_edge_add(struct bg_graph *g, const struct bg_edge *e)
{
	if (g->ne == g->cape) {
		size_t cap = g->cape ? 2 * g->cape : 1024;
		struct bg_edge *n = realloc(g->e, cap * sizeof *n);
		if (!n)
			return fail(NULL, "out of memory");
		g->e = n;
		g->cape = cap;
	}
	g->e[g->ne] = *e;
	return (int)g->ne++;
}

void bg_site(char *out, size_t len, const char *loc, char *file, size_t flen, int *line)
{
	/* "file:line:col" loses its column; "file:line" and "file" stay as they are. */
	size_t n = strlen(loc);
	const char *last = strrchr(loc, ':');
	if (last && last[1] && strspn(last + 1, "0123456789") == strlen(last + 1)) {
		const char *p = last;
		while (p > loc && p[-1] >= '0' && p[-1] <= '9')
			p--;
		if (p < last && p > loc + 1 && p[-1] == ':')
			n = (size_t)(last - loc);
	}
	snprintf(out, len, "%.*s", (int)n, loc);
	if (file && line) {
		const char *colon = strrchr(out, ':');
		int has_line = colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1);
		*line = has_line ? atoi(colon + 1) : 0;
		snprintf(file, flen, "%.*s", has_line ? (int)(colon - out) : (int)strlen(out), out);
	}
}

void bg_set_elf(struct bg_graph *g, const struct kelf *k)
{
	g->k = k;
}

size_t bg_nfuncs(const struct bg_graph *g) { return g->nf; }
const struct bg_func *bg_func(const struct bg_graph *g, int i) { return &g->f[i]; }
const struct bg_edge *bg_edge_at(const struct bg_graph *g, int i) { return &g->e[i]; }

int bg_lookup(const struct bg_graph *g, const char *name)
{
	int at = bg_func_find(g, name), found = -1;
	if (at >= 0)
		return at;
	/* By shown name, when one function (not a segment) has it. */
	for (size_t i = 0; i < g->nf; i++)
		if (g->f[i].segment == 0 && strcmp(g->f[i].name, name) == 0) {
			if (found >= 0)
				return -2;
			found = (int)i;
		}
	return found;
}

int bg_entry(const struct bg_graph *g, int fn)
{
	for (size_t i = 0; g->f[fn].has_switch && i < g->nf; i++)
		if (g->f[i].parent == fn && g->f[i].segment == 1)
			return (int)i;
	return fn;
}

const char *bg_origin_name(unsigned origin)
{
	static const char *const names[] = { "-", ".ci", "ELF", ".ci+ELF", "table", ".ci+table",
					     "ELF+table", ".ci+ELF+table" };
	return names[origin & 7];
}

const char *bg_kind_name(enum bg_kind kind)
{
	static const char *const names[] = { "call", "tail", "icall", "switch" };
	return (unsigned)kind < 4 ? names[kind] : "?";
}

/* ---- merging ---------------------------------------------------------------------------------- */

static int edge_order(const void *a, const void *b)
{
	const struct bg_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if ((x->kind == BG_SWITCH) != (y->kind == BG_SWITCH))
		return x->kind == BG_SWITCH ? 1 : -1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->to < 0 && strcmp(x->site, y->site) != 0)
		return strcmp(x->site, y->site);
	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	return 0;
}

/* Each edge's depth: what the ELF's code shows for a jump, else the caller's whole frame. */
static void edge_depths(struct bg_graph *g)
{
	for (size_t i = 0; i < g->ne; i++) {
		struct bg_edge *e = &g->e[i];
		const struct bg_func *f = &g->f[e->from];
		if ((f->is_asm || f->segment > 0) && e->depth_known)
			continue;   /* decoded: the code is all there is */
		/* A C function's calls are made with its frame in place; a tail jump after its epilogue,
		 * when the decoder read the same frame the compiler wrote. */
		int decoded_agrees = f->has_decoded && f->decoded == f->frame;
		if (!(e->kind == BG_TAIL && e->depth_known && decoded_agrees && e->depth <= f->frame)) {
			e->depth = f->frame;
			e->depth_known = 0;
		}
	}
}

/* One edge per caller and callee: the deepest of them, with every origin that saw it. */
static void edge_merge(struct bg_graph *g)
{
	if (g->ne)
		qsort(g->e, g->ne, sizeof *g->e, edge_order);
	size_t out = 0;
	for (size_t i = 0; i < g->ne; i++) {
		struct bg_edge *e = &g->e[i], *last = out ? &g->e[out - 1] : NULL;
		int same = last && last->from == e->from && last->to == e->to &&
			   (last->kind == BG_SWITCH) == (e->kind == BG_SWITCH) &&
			   (e->to >= 0 || e->kind == BG_SWITCH || strcmp(last->site, e->site) == 0 ||
			    (!(e->origin & BG_FROM_CI) && last->pc == e->pc));
		if (!same) {
			g->e[out++] = *e;
			continue;
		}
		/* The ELF's code says how a pair is called (a .ci cannot tell a tail call from a call):
		 * when it saw the pair, its kind and depth stand. */
		int elf_last = (last->origin & BG_FROM_ELF) != 0, elf_e = (e->origin & BG_FROM_ELF) != 0;
		if (elf_e && !elf_last) {
			last->kind = e->kind;
			last->depth = e->depth;
			last->depth_known = e->depth_known;
		} else if (elf_e == elf_last) {
			if (e->kind == BG_CALL)
				last->kind = BG_CALL;
			if (e->depth > last->depth)
				last->depth = e->depth;
		}
		if (!last->pc)
			last->pc = e->pc;
		if (!(last->origin & BG_FROM_CI) && (e->origin & BG_FROM_CI))
			memcpy(last->site, e->site, sizeof last->site);
		last->origin |= e->origin;
	}
	g->ne = out;
	/* The ELF's indirect calls of a function the .ci says calls through pointers are those calls. */
	for (size_t i = 0; i < g->ne; i++) {
		struct bg_edge *e = &g->e[i];
		if (e->to >= 0 || e->kind == BG_SWITCH || e->origin != BG_FROM_ELF)
			continue;
		int claimed = 0;
		for (size_t j = 0; j < g->ne; j++)
			if (g->e[j].from == e->from && g->e[j].to < 0 && g->e[j].kind != BG_SWITCH &&
			    (g->e[j].origin & BG_FROM_CI)) {
				g->e[j].origin |= BG_FROM_ELF;
				claimed = 1;
			}
		if (claimed)
			e->kind = BG_SWITCH, e->to = -2;   /* dropped below */
	}
	out = 0;
	for (size_t i = 0; i < g->ne; i++)
		if (!(g->e[i].kind == BG_SWITCH && g->e[i].to == -2))
			g->e[out++] = g->e[i];
	g->ne = out;
}

/* The first line of the next function after fn in fn's source file: where fn's body ends. */
static int body_end(const struct bg_graph *g, const struct bg_func *fn)
{
	int end = 1 << 30;
	for (size_t i = 0; i < g->nf; i++)
		if (g->f[i].line > fn->line && g->f[i].line < end && strcmp(g->f[i].file, fn->file) == 0)
			end = g->f[i].line;
	return end;
}

static int decl_fail(const struct bg_graph *g, int line, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, arg);
	return fail(g->decl_path, "%s%sline %d: %s", g->decl_section, *g->decl_section ? " " : "", line, msg);
}

/* `calls FN TARGET...`: the indirect calls written in FN (its source lines, or its code) reach
 * only the targets. A declaration no call matches is stale: an error, not a silent no-op. */
static int resolve_calls(struct bg_graph *g)
{
	for (size_t d = 0; d < g->ndc; d++) {
		struct bg_decl_calls *dc = &g->dc[d];
		int fn = bg_lookup(g, dc->fn), targets[BG_TARGETS];
		if (fn < 0)
			return decl_fail(g, dc->line, "calls: no function '%s' in the kernel", dc->fn);
		for (int t = 0; t < dc->ntargets; t++)
			if ((targets[t] = bg_lookup(g, dc->target[t])) < 0)
				return decl_fail(g, dc->line, "calls: no function '%s' in the kernel", dc->target[t]);
		const struct bg_func *f = &g->f[fn];
		int end = body_end(g, f);
		size_t ne = g->ne;
		for (size_t i = 0; i < ne; i++) {
			struct bg_edge *e = &g->e[i];
			char file[BG_NAME], site[BG_NAME];
			int line = 0;
			if (e->to != -1 || e->kind == BG_SWITCH)
				continue;
			bg_site(site, sizeof site, e->site, file, sizeof file, &line);
			int inside = (f->line && strcmp(file, f->file) == 0 && line >= f->line && line < end) ||
				     e->from == fn || g->f[e->from].parent == fn;
			if (!inside)
				continue;
			dc->matched++;
			struct bg_edge r = *e;
			r.kind = BG_CALL;
			r.origin |= BG_FROM_DECL;
			e->to = targets[0];
			e->kind = BG_CALL;
			e->origin |= BG_FROM_DECL;
			for (int t = 1; t < dc->ntargets; t++) {
				r.to = targets[t];
				if (bg_edge_add(g, &r) < 0)
					return -1;
				e = &g->e[i];
			}
		}
		if (!dc->matched)
			return decl_fail(g, dc->line, "calls: no indirect call lies in '%s'", dc->fn);
	}
	return 0;
}

/* A declared symbol: the ELF's, or a function's address (unit tests), or a number. */
static int decl_symbol(const struct bg_graph *g, const char *name, uint64_t *v)
{
	char *end;
	if (g->k && kelf_symbol(g->k, name, v) == 0)
		return 0;
	int fn = bg_lookup(g, name);
	if (fn >= 0 && g->f[fn].in_elf) {
		*v = g->f[fn].addr;
		return 0;
	}
	*v = strtoull(name, &end, 0);
	return *name && !*end ? 0 : -1;
}

static int resolve_stacks(struct bg_graph *g)
{
	for (size_t i = 0; i < g->nds; i++) {
		struct bg_decl_stack *d = &g->ds[i];
		for (int e = 0; e < d->nentries; e++)
			if (bg_lookup(g, d->entry[e]) < 0)
				return decl_fail(g, d->line, "entry: no function '%s' in the kernel", d->entry[e]);
		if (d->bound_from != BG_BOUND_NONE && bg_lookup(g, d->recursion) < 0)
			return decl_fail(g, d->line, "recursion: no function '%s' in the kernel", d->recursion);
		if (d->size_from == BG_SIZE_SYMBOLS &&
		    (decl_symbol(g, d->sym_lo, &g->ds_lo[i]) || decl_symbol(g, d->sym_hi, &g->ds_hi[i]) ||
		     g->ds_hi[i] < g->ds_lo[i]))
			return decl_fail(g, d->line, "symbols: '%s' and its end are not a range of the kernel",
					 d->sym_lo);
		if (d->has_code &&
		    (decl_symbol(g, d->code_lo, &g->ds_code_lo[i]) ||
		     decl_symbol(g, d->code_hi, &g->ds_code_hi[i]) || g->ds_code_hi[i] < g->ds_code_lo[i]))
			return decl_fail(g, d->line, "code: '%s' and its end are not a range of the kernel",
					 d->code_lo);
	}
	return 0;
}

int bg_finish(struct bg_graph *g)
{
	for (size_t i = 0; i < g->nf; i++) {
		struct bg_func *f = &g->f[i];
		if (f->frame_from == BG_FRAME_SU && f->segment == 0)
			f->is_asm = 0;   /* the compiler described it, debug information or not */
		if (f->frame_from == BG_FRAME_NONE && f->has_decoded) {
			f->frame = f->decoded;
			f->frame_from = BG_FRAME_ELF;
		} else if (f->frame_from == BG_FRAME_SU && f->has_decoded && f->decoded > f->frame && !f->dynamic) {
			/* The code moves sp further than the compiler said: believe the code. */
			f->frame = f->decoded;
			f->frame_from = BG_FRAME_ELF;
		}
		if (f->in_elf && !f->is_asm && f->segment == 0 && f->frame_from != BG_FRAME_SU && g->k)
			return fail(g->k->path, "no .su frame for '%s' (%s): was its object built with "
				    "-fstack-usage -fcallgraph-info=su,da?", f->name, f->where[0] ? f->where : f->key);
	}
	edge_depths(g);
	edge_merge(g);
	if (resolve_calls(g) != 0 || resolve_stacks(g) != 0)
		return -1;
	if (g->ne)
		qsort(g->e, g->ne, sizeof *g->e, edge_order);
	for (size_t i = 0; i < g->nf; i++)
		g->f[i].edges = -1, g->f[i].nedges = 0;
	for (size_t i = 0; i < g->ne; i++) {
		struct bg_func *f = &g->f[g->e[i].from];
		if (f->edges < 0)
			f->edges = (int)i;
		f->nedges++;
	}
	g->finished = 1;
	return 0;
}

/* ---- the declared stacks ------------------------------------------------------------------------ */

size_t bg_decl_stacks(const struct bg_graph *g, const struct bg_decl_stack **out)
{
	*out = g->ds;
	return g->nds;
}

size_t bg_decl_config(const struct bg_graph *g, int *have_kernel, uint64_t *kernel_size,
		      const struct bg_config_task **tasks)
{
	*have_kernel = g->have_kernel_config;
	*kernel_size = g->kernel_config;
	*tasks = g->ct;
	return g->nct;
}

int bg_stack_from_decl(const struct bg_graph *g, int decl, const char *name, int have_size,
		       uint64_t size, uint64_t depth, struct bg_stack *out)
{
	const struct bg_decl_stack *d = &g->ds[decl];
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->decl = decl;
	out->have_size = have_size;
	out->size = size;
	if (d->size_from == BG_SIZE_BYTES)
		out->have_size = 1, out->size = d->bytes;
	else if (d->size_from == BG_SIZE_SYMBOLS)
		out->have_size = 1, out->size = g->ds_hi[decl] - g->ds_lo[decl];
	/* The record's stacks exclude their lo word from their owner (the design document). */
	out->reserve = d->size_from == BG_SIZE_KERNEL || d->size_from == BG_SIZE_TASK ? 8 : 0;
	for (int e = 0; e < d->nentries; e++) {
		int fn = bg_lookup(g, d->entry[e]);
		if (fn < 0)
			return fail(g->decl_path, "no function '%s' in the kernel", d->entry[e]);
		out->entry[out->nentries++] = bg_entry(g, fn);
	}
	if (d->bound_from != BG_BOUND_NONE) {
		out->bound[0].fn = bg_lookup(g, d->recursion);
		out->bound[0].n = d->bound_from == BG_BOUND_DEPTH ? depth : d->bound;
		out->nbounds = 1;
	}
	if (d->has_code) {
		out->has_code = 1;
		out->code_lo = g->ds_code_lo[decl];
		out->code_hi = g->ds_code_hi[decl];
	}
	return 0;
}

/* ---- the graph as text ----------------------------------------------------------------------- */

void bg_write_edges(FILE *out, const struct bg_graph *g)
{
	for (size_t i = 0; i < g->nf; i++) {
		const struct bg_func *f = &g->f[i];
		fprintf(out, "func %s ", f->key);
		if (f->dynamic)
			fputs("dynamic", out);
		else if (f->frame_from == BG_FRAME_NONE)
			fputs("-", out);
		else
			fprintf(out, "%" PRIu64, f->frame);
		if (f->is_asm)
			fputs(" asm", out);
		if (f->where[0])
			fprintf(out, " at %s", f->where);
		if (f->in_elf)
			fprintf(out, " addr 0x%" PRIx64 " %" PRIu64, f->addr, f->size);
		fprintf(out, "  # frame from %s\n", f->frame_from == BG_FRAME_SU ? ".su" :
			f->frame_from == BG_FRAME_ELF ? "ELF" : "nowhere");
	}
	for (size_t i = 0; i < g->ne; i++) {
		const struct bg_edge *e = &g->e[i];
		if (e->kind == BG_SWITCH)
			fprintf(out, "switch %s %s", g->f[e->from].key, e->to >= 0 ? g->f[e->to].key : "-");
		else if (e->to < 0)
			fprintf(out, "icall %s %" PRIu64, g->f[e->from].key, e->depth);
		else
			fprintf(out, "%s %s %s %" PRIu64, e->kind == BG_TAIL ? "tail" : "call",
				g->f[e->from].key, g->f[e->to].key, e->depth);
		if (e->site[0])
			fprintf(out, " at %s", e->site);
		fprintf(out, "  # %s\n", bg_origin_name(e->origin));
	}
}
