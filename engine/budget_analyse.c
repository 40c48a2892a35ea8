/*
 * budget_analyse.c: the worst case of one stack. From its entries, follow the calls that run on
 * it (not the code after an sp load, not calls out of its declared code, which fault at the
 * fetch); a function's worst case is its frame, or a call's depth plus the callee's worst case.
 * Recursion is a strongly connected component (Tarjan): bounded when the stack declares at most
 * N activations of one of its functions h and every cycle passes through h. Then, with B(v) the
 * deepest path from v that never re-enters h, P(v) the deepest path from v to a call of h and
 * c = P(h) one trip round the cycle, h costs B(h) + (N - 1) c and any other v max(B(v), P(v) +
 * that): exact, and independent of N. Anything else reachable (a dynamic frame, an indirect
 * call nobody resolved, recursion without such a bound, a function without a frame) makes the
 * stack unbounded, reported with the chain that reaches it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "budget_int.h"
#include "klayout.h"

#define NONE UINT64_MAX   /* no path */

struct an {
	const struct bg_graph *g;
	const struct bg_stack *s;
	struct bg_result *r;
	size_t n;
	int *reach, *parent, *queue;    /* BFS from the entries: parent edge, -1 at an entry */
	int *scc, *index, *low, *stack, *onstack;
	int nscc;
	int *order;                     /* functions in SCC completion order (callees first) */
	size_t norder;
	int *scc_first, *scc_len;       /* each SCC's slice of order */
	int *hub;                       /* each SCC's bounded function, -1 none */
	uint64_t *hub_n, *cycle;        /* its bound, the depth of one trip round its cycle */
	uint64_t *cost, *B, *P;
	int *bestB, *bestP, *viaP;      /* the edge behind each value; viaP: cost took the P path */
};

/* Whether the stack follows edge e: not a switch, and its target is code the stack may run. */
static int follows(const struct an *a, const struct bg_edge *e)
{
	if (e->kind == BG_SWITCH || e->to < 0)
		return 0;
	const struct bg_func *t = bg_func(a->g, e->to);
	if (a->s->has_code && t->in_elf && (t->addr < a->s->code_lo || t->addr >= a->s->code_hi))
		return 0;
	return 1;
}

#define EDGES(a, u, e, i)                                                                          \
	for (int i = 0, _n = bg_func((a)->g, u)->nedges; i < _n; i++)                              \
		for (const struct bg_edge *e = bg_edge_at((a)->g, bg_func((a)->g, u)->edges + i); e; e = NULL)

static int reachable(struct an *a)
{
	size_t head = 0, tail = 0;
	for (int i = 0; i < a->s->nentries; i++) {
		int u = a->s->entry[i];
		if (!a->reach[u]) {
			a->reach[u] = 1;
			a->parent[u] = -1;
			a->queue[tail++] = u;
		}
	}
	while (head < tail) {
		int u = a->queue[head++];
		EDGES(a, u, e, i) {
			if (e->kind == BG_SWITCH) {
				a->r->cut_switch++;
				continue;
			}
			if (!follows(a, e)) {
				if (e->to >= 0)
					a->r->cut_code++;
				continue;
			}
			if (!a->reach[e->to]) {
				a->reach[e->to] = 1;
				a->parent[e->to] = bg_func(a->g, u)->edges + i;
				a->queue[tail++] = e->to;
			}
		}
	}
	return 0;
}

/* Tarjan's strongly connected components over the reachable functions, without recursion. */
static void tarjan(struct an *a)
{
	int counter = 0, sp = 0;
	int *work = a->queue, *pos = a->low + a->n;  /* call stack and each frame's next edge */
	for (size_t i = 0; i < a->n; i++)
		a->index[i] = -1;
	for (size_t root = 0; root < a->n; root++) {
		if (!a->reach[root] || a->index[root] >= 0)
			continue;
		int depth = 0;
		work[depth] = (int)root;
		pos[depth] = 0;
		a->index[root] = a->low[root] = counter++;
		a->stack[sp++] = (int)root;
		a->onstack[root] = 1;
		while (depth >= 0) {
			int u = work[depth];
			const struct bg_func *f = bg_func(a->g, u);
			if (pos[depth] < f->nedges) {
				const struct bg_edge *e = bg_edge_at(a->g, f->edges + pos[depth]++);
				if (!follows(a, e))
					continue;
				int v = e->to;
				if (a->index[v] < 0) {
					a->index[v] = a->low[v] = counter++;
					a->stack[sp++] = v;
					a->onstack[v] = 1;
					work[++depth] = v;
					pos[depth] = 0;
				} else if (a->onstack[v] && a->index[v] < a->low[u]) {
					a->low[u] = a->index[v];
				}
				continue;
			}
			if (a->low[u] == a->index[u]) {
				int id = a->nscc++, v;
				a->scc_first[id] = (int)a->norder;
				do {
					v = a->stack[--sp];
					a->onstack[v] = 0;
					a->scc[v] = id;
					a->order[a->norder++] = v;
				} while (v != u);
				a->scc_len[id] = (int)a->norder - a->scc_first[id];
			}
			if (--depth >= 0 && a->low[u] < a->low[work[depth]])
				a->low[work[depth]] = a->low[u];
		}
	}
}

/* ---- unknowns ------------------------------------------------------------------------------- */

static void unknown(struct an *a, enum bg_unknown_kind kind, int fn, int edge, const char *detail)
{
	struct bg_result *r = a->r;
	r->bounded = 0;
	if (r->nunknown == BG_UNKNOWNS) {
		r->nunknown_more++;
		return;
	}
	struct bg_unknown *u = &r->unknown[r->nunknown++];
	memset(u, 0, sizeof *u);
	u->kind = kind;
	u->fn = fn;
	u->edge = edge;
	snprintf(u->detail, sizeof u->detail, "%s", detail ? detail : "");
	/* The chain from the entry: the first 3 and the last 5 functions when it is longer than 8. */
	int path[4096], len = 0;
	for (int v = fn; v >= 0 && len < 4096; v = a->parent[v] >= 0 ? bg_edge_at(a->g, a->parent[v])->from : -1)
		path[len++] = v;
	if (len <= 8) {
		for (int i = 0; i < len; i++)
			u->via[u->nvia++] = path[len - 1 - i];
	} else {
		for (int i = 0; i < 3; i++)
			u->via[u->nvia++] = path[len - 1 - i];
		for (int i = 4; i >= 0; i--)
			u->via[u->nvia++] = path[i];
		u->via_more = len - 8;
	}
}

/* A cycle in the SCC that avoids hub: colours 0 white, 1 on the path, 2 done. */
static int cycle_avoiding(struct an *a, int id, int hub, int *colour)
{
	int *work = a->queue, *pos = a->low + a->n;
	for (int k = 0; k < a->scc_len[id]; k++)
		colour[a->order[a->scc_first[id] + k]] = 0;
	for (int k = 0; k < a->scc_len[id]; k++) {
		int root = a->order[a->scc_first[id] + k], depth = 0;
		if (root == hub || colour[root])
			continue;
		work[0] = root;
		pos[0] = 0;
		colour[root] = 1;
		while (depth >= 0) {
			int u = work[depth];
			const struct bg_func *f = bg_func(a->g, u);
			if (pos[depth] < f->nedges) {
				const struct bg_edge *e = bg_edge_at(a->g, f->edges + pos[depth]++);
				if (!follows(a, e) || a->scc[e->to] != id || e->to == hub)
					continue;
				if (colour[e->to] == 1)
					return 1;
				if (colour[e->to] == 0) {
					colour[e->to] = 1;
					work[++depth] = e->to;
					pos[depth] = 0;
				}
				continue;
			}
			colour[u] = 2;
			depth--;
		}
	}
	return 0;
}

static void scc_names(const struct an *a, int id, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (int k = 0; k < a->scc_len[id] && used < len; k++) {
		const char *name = bg_func(a->g, a->order[a->scc_first[id] + k])->name;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", k ? ", " : "", name);
	}
}

static int self_loop(const struct an *a, int u)
{
	EDGES(a, u, e, i)
		if (follows(a, e) && e->to == u)
			return 1;
	return 0;
}

static void find_unknowns(struct an *a, int *colour)
{
	for (size_t k = 0; k < a->norder; k++) {
		int u = a->order[k];
		const struct bg_func *f = bg_func(a->g, u);
		if (f->dynamic)
			unknown(a, BG_UNK_DYNAMIC, u, -1, f->where);
		else if (f->frame_from == BG_FRAME_NONE && !f->has_decoded)
			unknown(a, BG_UNK_NO_FRAME, u, -1, f->in_elf ? f->where : "not in the kernel ELF");
		EDGES(a, u, e, i)
			if (e->kind == BG_INDIRECT && e->to < 0)
				unknown(a, BG_UNK_INDIRECT, u, f->edges + i, e->site);
	}
	for (int id = 0; id < a->nscc; id++) {
		int first = a->order[a->scc_first[id]], hubs = 0;
		a->hub[id] = -1;
		if (a->scc_len[id] == 1 && !self_loop(a, first))
			continue;
		for (int b = 0; b < a->s->nbounds; b++)
			if (a->s->bound[b].fn >= 0 && a->reach[a->s->bound[b].fn] && a->scc[a->s->bound[b].fn] == id) {
				hubs++;
				a->hub[id] = a->s->bound[b].fn;
				a->hub_n[id] = a->s->bound[b].n ? a->s->bound[b].n : 1;
			}
		char names[160], detail[160];
		scc_names(a, id, names, sizeof names);
		if (hubs == 1 && !cycle_avoiding(a, id, a->hub[id], colour))
			continue;
		if (hubs == 0)
			snprintf(detail, sizeof detail, "no bound declared for %.130s", names);
		else if (hubs > 1)
			snprintf(detail, sizeof detail, "two bounds in one recursion: %.120s", names);
		else
			snprintf(detail, sizeof detail, "a cycle avoids %.40s: %.90s", bg_func(a->g, a->hub[id])->name, names);
		a->hub[id] = -1;
		unknown(a, BG_UNK_RECURSION, first, -1, detail);
	}
}

/* ---- costs ---------------------------------------------------------------------------------- */

static uint64_t add_sat(uint64_t x, uint64_t y)
{
	return x > UINT64_MAX - 1 - y ? UINT64_MAX - 1 : x + y;
}

/* (n - 1) trips round a cycle of c bytes. */
static uint64_t trips(uint64_t n, uint64_t c)
{
	uint64_t v;
	return __builtin_mul_overflow(n - 1, c, &v) ? UINT64_MAX - 1 : v;
}

/* B(v) over the SCC with the hub's in-edges cut, P(v) up to a call of the hub; order holds the
 * SCC's functions callees first, so one pass suffices once the hub is done last. */
static void scc_costs(struct an *a, int id)
{
	int h = a->hub[id];
	const int *members = a->order + a->scc_first[id];
	int len = a->scc_len[id];
	/* The SCC minus h is acyclic: settle its nodes callees first by repeated relaxation in a
	 * topological order found by a DFS post-order (work in queue). */
	int *topo = a->queue, nt = 0, *colour = a->index;   /* index is free after Tarjan */
	for (int k = 0; k < len; k++)
		colour[members[k]] = 0;
	for (int k = 0; k < len; k++) {
		int root = members[k];
		if (root == h || colour[root])
			continue;
		int *work = a->stack, *pos = a->low + a->n, depth = 0;
		work[0] = root;
		pos[0] = 0;
		colour[root] = 1;
		while (depth >= 0) {
			int u = work[depth];
			const struct bg_func *f = bg_func(a->g, u);
			if (pos[depth] < f->nedges) {
				const struct bg_edge *e = bg_edge_at(a->g, f->edges + pos[depth]++);
				if (follows(a, e) && a->scc[e->to] == id && e->to != h && !colour[e->to]) {
					colour[e->to] = 1;
					work[++depth] = e->to;
					pos[depth] = 0;
				}
				continue;
			}
			topo[nt++] = u;   /* post-order: callees first */
			depth--;
		}
	}
	topo[nt++] = h;
	for (int k = 0; k < nt; k++) {
		int u = topo[k];
		const struct bg_func *f = bg_func(a->g, u);
		uint64_t b = f->frame, p = NONE;
		int bb = -1, bp = -1;
		EDGES(a, u, e, i) {
			if (!follows(a, e))
				continue;
			int ei = f->edges + i;
			uint64_t via;
			if (a->scc[e->to] != id)
				via = add_sat(e->depth, a->cost[e->to]);
			else if (e->to != h)
				via = add_sat(e->depth, a->B[e->to]);
			else
				via = NONE;
			if (via != NONE && via > b)
				b = via, bb = ei;
			uint64_t to_h = a->scc[e->to] != id ? NONE : e->to == h ? e->depth :
					a->P[e->to] == NONE ? NONE : add_sat(e->depth, a->P[e->to]);
			if (to_h != NONE && (p == NONE || to_h > p))
				p = to_h, bp = ei;
		}
		a->B[u] = b, a->bestB[u] = bb;
		a->P[u] = p, a->bestP[u] = bp;
	}
	uint64_t c = a->P[h] == NONE ? 0 : a->P[h];
	a->cycle[id] = c;
	a->cost[h] = add_sat(a->B[h], trips(a->hub_n[id], c));
	a->viaP[h] = 0;
	for (int k = 0; k < len; k++) {
		int v = members[k];
		if (v == h)
			continue;
		uint64_t through = a->P[v] == NONE ? NONE : add_sat(a->P[v], a->cost[h]);
		a->viaP[v] = through != NONE && through > a->B[v];
		a->cost[v] = a->viaP[v] ? through : a->B[v];
	}
}

static void costs(struct an *a)
{
	for (int id = 0; id < a->nscc; id++) {
		if (a->hub[id] >= 0) {
			scc_costs(a, id);
			continue;
		}
		int u = a->order[a->scc_first[id]];
		const struct bg_func *f = bg_func(a->g, u);
		uint64_t best = f->frame;
		int be = -1;
		EDGES(a, u, e, i) {
			if (!follows(a, e) || e->to == u)
				continue;
			uint64_t via = add_sat(e->depth, a->cost[e->to]);
			if (via > best)
				best = via, be = f->edges + i;
		}
		a->cost[u] = best;
		a->bestB[u] = be;
		a->viaP[u] = 0;
	}
}

/* ---- the chain ------------------------------------------------------------------------------- */

static void step(struct an *a, int fn, int edge, uint64_t at, uint64_t repeat, int group)
{
	struct bg_result *r = a->r;
	if (r->nchain == BG_CHAIN) {
		r->chain_cut++;
		return;
	}
	r->chain[r->nchain++] = (struct bg_step){ fn, edge, at, repeat, group };
}

static void chain(struct an *a, int u, int edge, uint64_t at)
{
	int mode_p = a->viaP[u];   /* in a bounded recursion, heading for its hub */
	for (int guard = 0; u >= 0 && guard < 100000; guard++) {
		int id = a->scc[u], h = a->hub[id];
		if (h >= 0 && u == h) {
			/* The hub: N activations, the cycle between them walked N - 1 times, then out. */
			uint64_t n = a->hub_n[id];
			int cyc[BG_CHAIN], ncyc = 0, v = h, e = -1;
			for (int guard2 = 0; n > 1 && guard2 < BG_CHAIN; guard2++) {
				e = a->bestP[v];
				if (e < 0 || ncyc == BG_CHAIN)
					break;
				cyc[ncyc++] = e;
				v = bg_edge_at(a->g, e)->to;
				if (v == h)
					break;
			}
			if (n > 1 && ncyc == 1) {
				step(a, h, edge, at, n, 1);     /* a function calling itself: h x N */
				at = add_sat(at, trips(n, a->cycle[id]));
			} else if (n > 1) {
				uint64_t in = at;
				step(a, h, edge, in, n - 1, ncyc);
				for (int k = 0; k + 1 < ncyc; k++) {
					in = add_sat(in, bg_edge_at(a->g, cyc[k])->depth);
					step(a, bg_edge_at(a->g, cyc[k])->to, cyc[k], in, 1, 1);
				}
				at = add_sat(at, trips(n, a->cycle[id]));
				step(a, h, ncyc ? cyc[ncyc - 1] : -1, at, 1, 1);
			} else {
				step(a, h, edge, at, 1, 1);
			}
			e = a->bestB[h];
			if (e < 0)
				return;
			edge = e;
			at = add_sat(at, bg_edge_at(a->g, e)->depth);
			u = bg_edge_at(a->g, e)->to;
			mode_p = a->scc[u] != id ? a->viaP[u] : 0;
			continue;
		}
		step(a, u, edge, at, 1, 1);
		int e = h >= 0 && mode_p ? a->bestP[u] : a->bestB[u];
		if (e < 0)
			return;
		const struct bg_edge *x = bg_edge_at(a->g, e);
		edge = e;
		at = add_sat(at, x->depth);
		/* Leaving the SCC: the callee's own choice; inside it: keep heading the same way. */
		if (a->scc[x->to] != id)
			mode_p = a->viaP[x->to];
		u = x->to;
	}
}

/* ---- the analysis --------------------------------------------------------------------------- */

int bg_analyse(const struct bg_graph *g, const struct bg_stack *s, struct bg_result *out)
{
	struct an a = { .g = g, .s = s, .r = out, .n = g->nf };
	size_t n = a.n ? a.n : 1;
	memset(out, 0, sizeof *out);
	out->entry = -1;
	int *ints = calloc(n * 19, sizeof *ints);
	uint64_t *u64 = calloc(n * 6, sizeof *u64);
	if (!ints || !u64) {
		free(ints);
		free(u64);
		return fail(NULL, "out of memory");
	}
	int *p = ints;
	a.reach = p, p += n;  a.parent = p, p += n;  a.queue = p, p += n;  a.scc = p, p += n;
	a.index = p, p += n;  a.low = p, p += 2 * n; a.stack = p, p += n;  a.onstack = p, p += n;
	a.order = p, p += n;  a.scc_first = p, p += n; a.scc_len = p, p += n; a.hub = p, p += n;
	a.bestB = p, p += n;  a.bestP = p, p += n;  a.viaP = p, p += n;
	int *colour = p;
	a.hub_n = u64;  a.cycle = u64 + n;  a.cost = u64 + 2 * n;  a.B = u64 + 3 * n;  a.P = u64 + 4 * n;

	out->bounded = 1;
	reachable(&a);
	tarjan(&a);
	find_unknowns(&a, colour);
	if (out->bounded && s->nentries > 0) {
		costs(&a);
		for (int i = 0; i < s->nentries; i++)
			out->entry_bound[i] = a.cost[s->entry[i]];
		for (int i = 0; i < s->nentries; i++)
			if (out->entry < 0 || a.cost[s->entry[i]] > out->bound) {
				out->entry = s->entry[i];
				out->bound = a.cost[s->entry[i]];
			}
		chain(&a, out->entry, -1, 0);
	} else if (s->nentries == 0) {
		out->bounded = 0;
	}
	free(ints);
	free(u64);
	return 0;
}

uint64_t bg_needed(const struct bg_stack *s, const struct bg_result *r)
{
	return add_sat(r->bound, s->reserve);
}

char *bg_via_text(const struct bg_graph *g, const struct bg_unknown *u, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (int i = 0; i < u->nvia && used < len; i++) {
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " -> " : "", bg_func(g, u->via[i])->name);
		if (i == 2 && u->via_more && used < len)
			used += (size_t)snprintf(buf + used, len - used, " -> (%d more)", u->via_more);
	}
	return buf;
}

char *bg_unknown_text(const struct bg_graph *g, const struct bg_unknown *u, char *buf, size_t len)
{
	char via[400];
	const char *fn = bg_func(g, u->fn)->name;
	bg_via_text(g, u, via, sizeof via);
	switch (u->kind) {
	case BG_UNK_DYNAMIC:
		snprintf(buf, len, "dynamic frame in %s (%s), via %s", fn, u->detail, via);
		break;
	case BG_UNK_INDIRECT:
		snprintf(buf, len, "indirect call in %s (%s), via %s", fn, u->detail, via);
		break;
	case BG_UNK_RECURSION:
		snprintf(buf, len, "recursion without a known bound (%s), via %s", u->detail, via);
		break;
	case BG_UNK_NO_FRAME:
		snprintf(buf, len, "no frame known for %s (%s), via %s", fn, u->detail, via);
		break;
	}
	return buf;
}
