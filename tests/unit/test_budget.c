/*
 * test_budget.c: the static stack analysis (engine/budget*.c) on small call graphs fed as text:
 * the compiler's .su and .ci files as GCC writes them, the ELF's part as an edge list, the
 * declared table. Each case checks the exact worst case, the chain (functions, where each frame
 * starts, repeats) or the exact reason a stack is unbounded, and bad input's one-line message.
 */
#include "klayout_text.h" /* before cmocka.h, whose fail() macro would rename the engine's */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

/* A .ci node for a function this object defines, as GCC writes it (escapes literal). */
#define NODE(title, name, loc, bytes, qual) \
	"node: { title: \"" title "\" label: \"" name "\\n" loc "\\n" bytes " bytes (" qual ")\\n0 dynamic objects\" }\n"
#define EXTERN(title, loc) "node: { title: \"" title "\" label: \"" title "\\n" loc "\" shape : ellipse }\n"
#define EDGE(from, to, loc) "edge: { sourcename: \"" from "\" targetname: \"" to "\" label: \"" loc "\" }\n"
#define ICALL(from, loc) "node: { title: \"__indirect_call\" label: \"Indirect Call Placeholder\" shape : ellipse }\n" \
	"edge: { sourcename: \"" from "\" targetname: \"__indirect_call\" label: \"" loc "\" }\n"

struct input {
	const char *su, *ci, *edges, *decl;
};

static struct bg_graph *load(const struct input *in)
{
	struct bg_graph *g = bg_new();
	assert_non_null(g);
	if (in->su && bg_read_unit(g, "t.c.su", in->su, strlen(in->su), "t.c.ci", in->ci, strlen(in->ci)) != 0)
		fail_msg("unit: %s", kl_last_error());
	if (in->edges && bg_read_edges(g, "t.edges", in->edges, strlen(in->edges)) != 0)
		fail_msg("edges: %s", kl_last_error());
	if (in->decl && bg_read_decl(g, "t.budget", NULL, in->decl, strlen(in->decl)) != 0)
		fail_msg("decl: %s", kl_last_error());
	if (bg_finish(g) != 0)
		fail_msg("finish: %s", kl_last_error());
	return g;
}

/* The first declared stack, sized and bounded as given, analysed. */
static void analyse(struct bg_graph *g, uint64_t size, uint64_t depth, struct bg_stack *q, struct bg_result *r)
{
	assert_int_equal(bg_stack_from_decl(g, 0, "s", 1, size, depth, q), 0);
	assert_int_equal(bg_analyse(g, q, r), 0);
}

static const char *fn(struct bg_graph *g, const struct bg_result *r, size_t i)
{
	assert_true(i < r->nchain);
	return bg_func(g, r->chain[i].fn)->name;
}

static int setup(void **state)
{
	(void)state;
	kl_set_program(NULL);
	return 0;
}

/* ---- bounds ----------------------------------------------------------------------------------- */

static const struct input plain = {
	"t.c:1:6:main\t32\tstatic\nt.c:5:13:a\t16\tstatic\nt.c:9:13:b\t48\tstatic\nt.c:12:13:c\t8\tstatic\n",
	"graph: { title: \"t.c\"\n"
	NODE("main", "main", "t.c:1:6", "32", "static")
	NODE("t.c:a", "a", "t.c:5:13", "16", "static")
	NODE("t.c:b", "b", "t.c:9:13", "48", "static")
	NODE("t.c:c", "c", "t.c:12:13", "8", "static")
	EDGE("main", "t.c:a", "t.c:2:2") EDGE("t.c:a", "t.c:b", "t.c:6:2") EDGE("t.c:a", "t.c:c", "t.c:7:2")
	"}\n",
	NULL, "stack s size 4096 entry main\n",
};

static void deepest_chain(void **state)
{
	(void)state;
	struct bg_graph *g = load(&plain);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_true(r.bounded);
	assert_int_equal(r.bound, 32 + 16 + 48);
	assert_int_equal(r.nchain, 3);
	assert_string_equal(fn(g, &r, 0), "main");
	assert_string_equal(fn(g, &r, 1), "a");
	assert_string_equal(fn(g, &r, 2), "b");
	assert_int_equal(r.chain[2].at, 48);
	/* Edges the .ci alone saw: the caller's whole frame below it, origin .ci, the call's line. */
	const struct bg_edge *e = bg_edge_at(g, r.chain[2].edge);
	assert_int_equal(e->origin, BG_FROM_CI);
	assert_string_equal(e->site, "t.c:6");
	assert_string_equal(bg_func(g, r.chain[1].fn)->where, "t.c:5");
	bg_free(g);
	/* Two entries: each one's worst case, the deepest chain the stack's. */
	struct input two = plain;
	two.decl = "stack s size 4096 entry c entry main\n";
	g = load(&two);
	analyse(g, 0, 0, &q, &r);
	assert_int_equal(q.nentries, 2);
	assert_int_equal(r.entry_bound[0], 8);
	assert_int_equal(r.entry_bound[1], 96);
	assert_int_equal(r.bound, 96);
	assert_string_equal(bg_func(g, r.entry)->name, "main");
	bg_free(g);
}

static const struct input dive = {
	"t.c:1:6:task_main\t64\tstatic\nt.c:5:13:dive\t64\tstatic\nt.c:9:13:at_depth\t32\tstatic\n",
	"graph: { title: \"t.c\"\n"
	NODE("task_main", "task_main", "t.c:1:6", "64", "static")
	NODE("t.c:dive", "dive", "t.c:5:13", "64", "static")
	NODE("t.c:at_depth", "at_depth", "t.c:9:13", "32", "static")
	EDGE("task_main", "t.c:dive", "t.c:2:2") EDGE("t.c:dive", "t.c:dive", "t.c:6:2")
	EDGE("t.c:dive", "t.c:at_depth", "t.c:7:2")
	"}\n",
	NULL, "stack task record task entry task_main recursion dive depth\n",
};

/* A task as our kernel's: task_main, dive x depth, at_depth (64 + 64 depth + 32). */
static void bounded_recursion(void **state)
{
	(void)state;
	struct bg_graph *g = load(&dive);
	struct bg_stack q;
	struct bg_result r;
	for (uint64_t depth = 1; depth <= 100000; depth *= 10) {
		analyse(g, 8192, depth, &q, &r);
		assert_true(r.bounded);
		assert_int_equal(r.bound, 64 + 64 * depth + 32);
		assert_int_equal(bg_needed(&q, &r), r.bound + 8);  /* the record's stacks exclude lo */
		assert_int_equal(r.nchain, 3);
		assert_string_equal(fn(g, &r, 1), "dive");
		assert_int_equal(r.chain[1].repeat, depth);
		assert_int_equal(r.chain[2].at, 64 + 64 * depth);
	}
	bg_free(g);
}

static void unbounded_recursion(void **state)
{
	(void)state;
	struct input in = dive;
	in.decl = "stack task record task entry task_main\n";
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	char text[400];
	analyse(g, 8192, 5, &q, &r);
	assert_false(r.bounded);
	assert_int_equal(r.nunknown, 1);
	assert_int_equal(r.unknown[0].kind, BG_UNK_RECURSION);
	assert_string_equal(bg_unknown_text(g, &r.unknown[0], text, sizeof text),
			    "recursion without a known bound (no bound declared for dive), via task_main -> dive");
	bg_free(g);
}

/* f -> g -> f, g -> leaf: bounded by 3 activations of f: f g f g f g leaf. */
static const struct input mutual = {
	"t.c:1:6:main\t0\tstatic\nt.c:3:13:f\t16\tstatic\nt.c:6:13:g\t32\tstatic\nt.c:9:13:leaf\t8\tstatic\n"
	"t.c:12:13:h\t48\tstatic\n",
	"graph: { title: \"t.c\"\n"
	NODE("main", "main", "t.c:1:6", "0", "static")
	NODE("t.c:f", "f", "t.c:3:13", "16", "static")
	NODE("t.c:g", "g", "t.c:6:13", "32", "static")
	NODE("t.c:leaf", "leaf", "t.c:9:13", "8", "static")
	NODE("t.c:h", "h", "t.c:12:13", "48", "static")
	EDGE("main", "t.c:f", "t.c:2:2") EDGE("t.c:f", "t.c:g", "t.c:4:2") EDGE("t.c:g", "t.c:f", "t.c:7:2")
	EDGE("t.c:g", "t.c:leaf", "t.c:8:2")
	"}\n",
	NULL, "stack s size 4096 entry main recursion f 3\n",
};

static void bounded_mutual_recursion(void **state)
{
	(void)state;
	struct bg_graph *g = load(&mutual);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_true(r.bounded);
	assert_int_equal(r.bound, 3 * (16 + 32) + 8);
	/* main, (f and g) x2, f, g, leaf */
	assert_int_equal(r.nchain, 6);
	assert_string_equal(fn(g, &r, 1), "f");
	assert_int_equal(r.chain[1].repeat, 2);
	assert_int_equal(r.chain[1].group_len, 2);
	assert_string_equal(fn(g, &r, 2), "g");
	assert_string_equal(fn(g, &r, 3), "f");
	assert_int_equal(r.chain[3].at, 2 * 48);
	assert_string_equal(fn(g, &r, 5), "leaf");
	assert_int_equal(r.chain[5].at, 3 * 48);
	bg_free(g);
}

/* g -> h -> g is a cycle that never passes through f: f's bound does not bound it. */
static void cycle_avoiding_the_bound(void **state)
{
	(void)state;
	struct input in = mutual;
	in.ci = "graph: { title: \"t.c\"\n"
		NODE("main", "main", "t.c:1:6", "0", "static")
		NODE("t.c:f", "f", "t.c:3:13", "16", "static")
		NODE("t.c:g", "g", "t.c:6:13", "32", "static")
		NODE("t.c:leaf", "leaf", "t.c:9:13", "8", "static")
		NODE("t.c:h", "h", "t.c:12:13", "48", "static")
		EDGE("main", "t.c:f", "t.c:2:2") EDGE("t.c:f", "t.c:g", "t.c:4:2") EDGE("t.c:g", "t.c:f", "t.c:7:2")
		EDGE("t.c:g", "t.c:h", "t.c:8:2") EDGE("t.c:h", "t.c:g", "t.c:13:2")
		"}\n";
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	char text[400];
	analyse(g, 0, 0, &q, &r);
	assert_false(r.bounded);
	assert_int_equal(r.unknown[0].kind, BG_UNK_RECURSION);
	assert_non_null(strstr(bg_unknown_text(g, &r.unknown[0], text, sizeof text), "a cycle avoids f"));
	bg_free(g);
}

/* ---- indirect calls, dynamic frames, tail calls, assembly ------------------------------------------ */

static const struct input indirect = {
	"t.c:1:6:main\t16\tstatic\nt.c:5:13:emit\t48\tstatic\nt.c:9:13:line\t32\tstatic\n"
	"t.c:12:13:other\t500\tstatic\n",
	"graph: { title: \"t.c\"\n"
	NODE("main", "main", "t.c:1:6", "16", "static")
	NODE("t.c:emit", "emit", "t.c:5:13", "48", "static")
	NODE("t.c:line", "line", "t.c:9:13", "32", "static")
	NODE("t.c:other", "other", "t.c:12:13", "500", "static")
	EDGE("main", "t.c:emit", "t.c:2:2")
	ICALL("t.c:emit", "t.c:6:2")
	/* emit inlined into main: its call lies in emit's lines all the same */
	ICALL("main", "t.c:6:2")
	"}\n",
	NULL, "stack s size 4096 entry main\n",
};

static void unresolved_indirect_call(void **state)
{
	(void)state;
	struct bg_graph *g = load(&indirect);
	struct bg_stack q;
	struct bg_result r;
	char text[400];
	analyse(g, 0, 0, &q, &r);
	assert_false(r.bounded);
	assert_int_equal(r.nunknown, 2);
	assert_int_equal(r.unknown[0].kind, BG_UNK_INDIRECT);
	/* callees first */
	assert_string_equal(bg_unknown_text(g, &r.unknown[0], text, sizeof text),
			    "indirect call in emit (t.c:6), via main -> emit");
	assert_string_equal(bg_unknown_text(g, &r.unknown[1], text, sizeof text),
			    "indirect call in main (t.c:6), via main");
	bg_free(g);
}

static void indirect_call_declared(void **state)
{
	(void)state;
	struct input in = indirect;
	in.decl = "stack s size 4096 entry main\ncalls emit line\n";
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_true(r.bounded);
	assert_int_equal(r.bound, 16 + 48 + 32);   /* main, emit, line; never `other` */
	assert_string_equal(fn(g, &r, 2), "line");
	assert_int_equal(bg_edge_at(g, r.chain[2].edge)->origin, BG_FROM_CI | BG_FROM_DECL);
	bg_free(g);
}

static void dynamic_frame(void **state)
{
	(void)state;
	struct input in = plain;
	in.su = "t.c:1:6:main\t32\tstatic\nt.c:5:13:a\t16\tstatic\nt.c:9:13:b\t48\tdynamic\nt.c:12:13:c\t8\tstatic\n";
	in.ci = "graph: { title: \"t.c\"\n"
		NODE("main", "main", "t.c:1:6", "32", "static")
		NODE("t.c:a", "a", "t.c:5:13", "16", "static")
		NODE("t.c:b", "b", "t.c:9:13", "48", "dynamic")
		NODE("t.c:c", "c", "t.c:12:13", "8", "static")
		EDGE("main", "t.c:a", "t.c:2:2") EDGE("t.c:a", "t.c:b", "t.c:6:2") EDGE("t.c:a", "t.c:c", "t.c:7:2")
		"}\n";
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	char text[400];
	analyse(g, 0, 0, &q, &r);
	assert_false(r.bounded);
	assert_string_equal(bg_unknown_text(g, &r.unknown[0], text, sizeof text),
			    "dynamic frame in b (t.c:9), via main -> a -> b");
	/* An unbounded stack fails stack.budget whatever its size, saying why. */
	struct kl_stack_budget sb = { .q = q, .r = r };
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	assert_int_equal(kl_budget_verdict(g, &sb, e, sizeof e, f, sizeof f), 1);
	assert_string_equal(e, "a static worst case");
	assert_string_equal(f, "unbounded: dynamic frame in b (t.c:9), via main -> a -> b");
	bg_free(g);
}

/* A tail call leaves at the caller's entry sp: its callee's frame replaces the caller's. The ELF
 * says so (its code's depth at the jump, 0), the .ci only that a calls big. */
static void tail_call(void **state)
{
	(void)state;
	struct input in = {
		"t.c:1:6:main\t16\tstatic\nt.c:5:13:a\t48\tstatic\nt.c:9:13:big\t100\tstatic\n",
		"graph: { title: \"t.c\"\n"
		NODE("main", "main", "t.c:1:6", "16", "static")
		NODE("t.c:a", "a", "t.c:5:13", "48", "static")
		NODE("t.c:big", "big", "t.c:9:13", "100", "static")
		EDGE("main", "t.c:a", "t.c:2:2") EDGE("t.c:a", "t.c:big", "t.c:6:9")
		"}\n",
		"func t.c:a 48\ntail t.c:a t.c:big 0 at t.c:6\ncall main t.c:a 16 at t.c:2\n",
		"stack s size 4096 entry main\n",
	};
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_int_equal(r.bound, 16 + 100);        /* not 16 + 48 + 100 */
	const struct bg_edge *e = bg_edge_at(g, r.chain[2].edge);
	assert_int_equal(e->kind, BG_TAIL);
	assert_int_equal(e->origin, BG_FROM_CI | BG_FROM_ELF);
	assert_int_equal(r.chain[2].at, 16);
	bg_free(g);
	/* When the ELF's frame is not the compiler's, the jump's depth is not trusted: the whole frame. */
	in.edges = "func t.c:a 32\ntail t.c:a t.c:big 0 at t.c:6\n";
	g = load(&in);
	analyse(g, 0, 0, &q, &r);
	assert_int_equal(r.bound, 16 + 48 + 100);
	bg_free(g);
}

/* A trap vector in assembly: it loads sp and calls a C handler; the C code calls back into an
 * assembly function with a frame of its own. The stack starts at the vector's sp load. */
static void assembly_caller(void **state)
{
	(void)state;
	struct input in = {
		"t.c:1:6:handler\t64\tstatic\nt.c:5:6:leaf\t16\tstatic\n",
		"graph: { title: \"t.c\"\n"
		NODE("handler", "handler", "t.c:1:6", "64", "static")
		NODE("leaf", "leaf", "t.c:5:6", "16", "static")
		EXTERN("helper", "t.h:3:6")
		EDGE("handler", "helper", "t.c:2:2") EDGE("handler", "leaf", "t.c:3:2")
		"}\n",
		"func vector 0 asm at v.S:10\n"
		"switch vector vector@1 at v.S:20\n"
		"func vector@1 32 asm at v.S:20\n"
		"call vector@1 handler 32 at v.S:25\n"
		"func helper 16 asm at v.S:40\n"
		"call helper leaf 16 at v.S:44\n",
		"stack k size 4096 entry vector\n",
	};
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_true(r.bounded);
	/* vector@1 pushes 32, handler 64, helper 16, leaf 16 */
	assert_int_equal(r.bound, 32 + 64 + 16 + 16);
	assert_string_equal(fn(g, &r, 0), "vector@1");
	assert_string_equal(fn(g, &r, 2), "helper");
	assert_int_equal(bg_edge_at(g, r.chain[1].edge)->origin, BG_FROM_ELF);
	assert_int_equal(bg_edge_at(g, r.chain[2].edge)->origin, BG_FROM_CI);
	/* The code before the sp load is not on this stack; the segment's is not on the caller's. */
	assert_int_equal(bg_entry(g, bg_lookup(g, "vector")), bg_lookup(g, "vector@1"));
	bg_free(g);
}

/* Calls out of the declared code fault at the fetch: not followed, and counted. */
static void code_region(void **state)
{
	(void)state;
	struct input in = plain;
	in.edges = "func main 32 addr 0x1000 16\nfunc t.c:a 16 addr 0x1010 16\nfunc t.c:b 48 addr 0x9000 16\n"
		   "func t.c:c 8 addr 0x1020 16\n";
	in.decl = "stack s size 4096 entry main code 0x1000 0x2000\n";
	struct bg_graph *g = load(&in);
	struct bg_stack q;
	struct bg_result r;
	analyse(g, 0, 0, &q, &r);
	assert_int_equal(r.bound, 32 + 16 + 8);     /* b lies outside: a's worst is c */
	assert_int_equal(r.cut_code, 1);
	bg_free(g);
}

/* The text the inspector and make check print: the verdict names the chain. */
static void verdict_names_the_chain(void **state)
{
	(void)state;
	struct bg_graph *g = load(&dive);
	struct kl_stack_budget s;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	memset(&s, 0, sizeof s);
	analyse(g, 64 + 64 * 40 + 32 + 8 - 64, 40, &s.q, &s.r);   /* one frame too small */
	assert_false(kl_budget_fits(&s));
	assert_int_equal(bg_needed(&s.q, &s.r), 2664);
	assert_int_equal(kl_budget_verdict(g, &s, e, sizeof e, f, sizeof f), 1);
	assert_string_equal(e, "at least 2664 bytes: static worst case 2656 + 8 (lo word)");
	assert_string_equal(f, "2600 bytes, 64 short, for the chain task_main 64, dive 64 x40, at_depth 32");
	s.q.size = 2664;
	assert_true(kl_budget_fits(&s));
	assert_int_equal(kl_budget_verdict(g, &s, e, sizeof e, f, sizeof f), 0);
	bg_free(g);
}

/* ---- bad input: one line naming the file and the line ------------------------------------------ */

struct bad {
	const char *su, *ci, *message;
};

static const struct bad bad_units[] = {
	{ "t.c:1:6:main 32 static\n", "", "'t.c.su': line 1: not a stack usage line" },
	{ "t.c:1:6:main\tx\tstatic\n", "", "'t.c.su': line 1: frame size 'x' is not a number" },
	{ "t.c:1:6:main\t32\tsometimes\n", "", "'t.c.su': line 1: qualifier 'sometimes' is none of" },
	{ "", "digraph {\n", "'t.c.ci': line 1: not a call graph" },
	{ "t.c:1:6:main\t32\tstatic\n", "graph: { title: \"t.c\"\n" NODE("main", "main", "t.c:1:6", "32", "static"),
	  "'t.c.ci': truncated: the graph is not closed" },
	{ "t.c:1:6:main\t32\tstatic\n", "graph: { title: \"t.c\"\n" NODE("main", "main", "t.c:1:6", "48", "static") "}\n",
	  "'t.c.ci': line 2: 't.c:1:6:main' has a 48-byte frame, 't.c.su' says 32" },
	{ "", "graph: { title: \"t.c\"\n" NODE("main", "main", "t.c:1:6", "48", "static") "}\n",
	  "'t.c.ci': line 2: 't.c:1:6:main' has no line in 't.c.su'" },
	{ "t.c:1:6:main\t32\tstatic\n", "graph: { title: \"t.c\"\n}\n", "'t.c.su': line 1: 't.c:1:6:main' is in no node of 't.c.ci'" },
	{ "", "graph: { title: \"t.c\"\nedge: { sourcename: \"a\" }\n}\n", "'t.c.ci': line 2: an edge without a source and a target" },
	{ "", "graph: { title: \"t.c\"\nwhatever\n}\n", "'t.c.ci': line 2: not a call graph line" },
};

static void bad_units_name_the_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_units / sizeof bad_units[0]; i++) {
		struct bg_graph *g = bg_new();
		const struct bad *b = &bad_units[i];
		assert_int_equal(bg_read_unit(g, "t.c.su", b->su, strlen(b->su), "t.c.ci", b->ci, strlen(b->ci)), -1);
		if (strncmp(kl_last_error(), b->message, strlen(b->message)) != 0)
			fail_msg("case %zu: '%s', not '%s'", i, kl_last_error(), b->message);
		bg_free(g);
	}
}

static const struct bad bad_decls[] = {
	{ "stack s entry main\n", NULL, "'t.budget': line 1: stack needs one of: size BYTES" },
	{ "stack s size 10\n", NULL, "'t.budget': line 1: stack needs an `entry FUNCTION`" },
	{ "stack s size 10 entry main recursion a lots\n", NULL,
	  "'t.budget': line 1: recursion bound is neither a number nor `depth`: 'lots'" },
	{ "stack s size 10 entry main recursion a depth\n", NULL,
	  "'t.budget': line 1: a `depth` bound needs `record task`" },
	{ "\nstacks s\n", NULL, "'t.budget': line 2: unknown word 'stacks'" },
	{ "stack s size 10 entry main\nstack s size 20 entry main\n", NULL, "'t.budget': line 2: a second stack named 's'" },
	{ "config task a 10\n", NULL, "'t.budget': line 1: config needs `kernel SIZE` or `task NAME SIZE DEPTH`" },
};

static void bad_decls_name_the_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_decls / sizeof bad_decls[0]; i++) {
		struct bg_graph *g = bg_new();
		const struct bad *b = &bad_decls[i];
		assert_int_equal(bg_read_decl(g, "t.budget", NULL, b->su, strlen(b->su)), -1);
		if (strncmp(kl_last_error(), b->message, strlen(b->message)) != 0)
			fail_msg("case %zu: '%s', not '%s'", i, kl_last_error(), b->message);
		bg_free(g);
	}
}

/* Names the table gives must exist, and a `calls` no indirect call matches is stale. */
static void stale_declarations(void **state)
{
	(void)state;
	static const struct { const char *decl, *message; } cases[] = {
		{ "stack s size 4096 entry nowhere\n", "'t.budget': line 1: entry: no function 'nowhere' in the kernel" },
		{ "stack s size 4096 entry main\ncalls line other\n", "'t.budget': line 2: calls: no indirect call lies in 'line'" },
		{ "stack s size 4096 entry main\ncalls emit nobody\n", "'t.budget': line 2: calls: no function 'nobody'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bg_graph *g = bg_new();
		const struct input *in = i ? &indirect : &plain;
		assert_int_equal(bg_read_unit(g, "t.c.su", in->su, strlen(in->su), "t.c.ci", in->ci, strlen(in->ci)), 0);
		assert_int_equal(bg_read_decl(g, "t.budget", NULL, cases[i].decl, strlen(cases[i].decl)), 0);
		assert_int_equal(bg_finish(g), -1);
		if (strncmp(kl_last_error(), cases[i].message, strlen(cases[i].message)) != 0)
			fail_msg("case %zu: '%s'", i, kl_last_error());
		bg_free(g);
	}
}

/* A directory: a .ci without its .su, a missing directory, a directory without either. */
static void bad_directories(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_budget.XXXXXX", path[256];
	assert_non_null(mkdtemp(dir));
	struct bg_graph *g = bg_new();
	assert_int_equal(bg_read_dir(g, dir), -1);
	assert_non_null(strstr(kl_last_error(), "no .su and .ci files"));
	snprintf(path, sizeof path, "%s/x.c.ci", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("graph: { title: \"x.c\"\n}\n", f);
	fclose(f);
	assert_int_equal(bg_read_dir(g, dir), -1);
	char want[300];
	snprintf(want, sizeof want, "'%s': no '%s/x.c.su' beside it", path, dir);
	assert_int_equal(strncmp(kl_last_error(), want, strlen(want)), 0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(bg_read_dir(g, dir), -1);
	snprintf(want, sizeof want, "'%s': cannot open: No such file or directory", dir);
	assert_string_equal(kl_last_error(), want);
	bg_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(deepest_chain, setup),
		cmocka_unit_test_setup(bounded_recursion, setup),
		cmocka_unit_test_setup(unbounded_recursion, setup),
		cmocka_unit_test_setup(bounded_mutual_recursion, setup),
		cmocka_unit_test_setup(cycle_avoiding_the_bound, setup),
		cmocka_unit_test_setup(unresolved_indirect_call, setup),
		cmocka_unit_test_setup(indirect_call_declared, setup),
		cmocka_unit_test_setup(dynamic_frame, setup),
		cmocka_unit_test_setup(tail_call, setup),
		cmocka_unit_test_setup(assembly_caller, setup),
		cmocka_unit_test_setup(code_region, setup),
		cmocka_unit_test_setup(verdict_names_the_chain, setup),
		cmocka_unit_test_setup(bad_units_name_the_line, setup),
		cmocka_unit_test_setup(bad_decls_name_the_line, setup),
		cmocka_unit_test_setup(stale_declarations, setup),
		cmocka_unit_test_setup(bad_directories, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
