/*
 * fuzz_budget.c: libFuzzer target for the static stack analysis's text readers and the analysis
 * behind them (engine/budget*.c): one input holds a .su, a .ci, an edge list and a stack table,
 * separated by lines "%%". Whatever they hold, a refusal says why, and every declared stack is
 * analysed to a bound with a chain from its entry or to a reason it has none.
 */
#include <stdlib.h>
#include <string.h>
#include "klayout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[4] = { "", "", "", "" };
	size_t len[4] = { 0, 0, 0, 0 };
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	/* Split at "\n%%\n" into up to four exact-size copies (ASan sees a read past each end). */
	char *copy[4] = { NULL, NULL, NULL, NULL };
	size_t at = 0;
	for (int i = 0; i < 4 && at <= size; i++) {
		char *sep = i < 3 ? memmem(text + at, size - at, "\n%%\n", 4) : NULL;
		size_t n = sep ? (size_t)(sep - (text + at)) + 1 : size - at;
		copy[i] = malloc(n ? n : 1);
		if (!copy[i])
			abort();
		memcpy(copy[i], text + at, n);
		part[i] = copy[i];
		len[i] = n;
		at += n + (sep ? 3 : 0);
		if (!sep)
			break;
	}
	kl_set_program(NULL);
	struct bg_graph *g = bg_new();
	if (!g)
		abort();
	int rc = bg_read_unit(g, "f.su", part[0], len[0], "f.ci", part[1], len[1]);
	rc = rc ? rc : bg_read_edges(g, "f.edges", part[2], len[2]);
	rc = rc ? rc : bg_read_decl(g, "f.budget", NULL, part[3], len[3]);
	rc = rc ? rc : bg_finish(g);
	if (rc && !*kl_last_error())
		abort(); /* a refusal always says why */
	const struct bg_decl_stack *d;
	size_t nd = rc ? 0 : bg_decl_stacks(g, &d);
	for (size_t i = 0; i < nd; i++)
		for (uint64_t depth = 1; depth <= 3; depth++) {
			struct bg_stack q;
			struct bg_result r;
			if (bg_stack_from_decl(g, (int)i, "s", 1, 4096, depth, &q) != 0)
				continue;
			if (bg_analyse(g, &q, &r) != 0)
				abort();
			if (r.bounded && (r.nchain == 0 || r.chain[0].at != 0))
				abort(); /* a bound comes with its chain, from the entry */
			if (!r.bounded && q.nentries && r.nunknown + r.nunknown_more == 0)
				abort(); /* unbounded says why */
		}
	bg_free(g);
	for (int i = 0; i < 4; i++)
		free(copy[i]);
	free(text);
	return 0;
}
