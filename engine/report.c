/*
 * report.c: the results of one `inspector check`: a status per invariant and the violations,
 * in the order found. The checks fill it; the out_*.c formats only read it.
 */
#include <string.h>
#include "engine.h"

void report_init(struct report *rep)
{
	memset(rep, 0, sizeof *rep);
}

void report_pass(struct report *rep, unsigned inv)
{
	if (inv < LR_INV_COUNT && rep->status[inv] == CHECK_NOT_RUN)
		rep->status[inv] = CHECK_PASS;
}

void report_skip(struct report *rep, unsigned inv, const char *reason)
{
	if (inv >= LR_INV_COUNT || rep->status[inv] == CHECK_FAIL)
		return;
	rep->status[inv] = CHECK_SKIP;
	snprintf(rep->skip_reason[inv], sizeof rep->skip_reason[inv], "%s", reason);
}

struct violation *report_fail(struct report *rep, unsigned inv, enum violation_source src,
			      const char *region, uint64_t addr, const char *expected, const char *found)
{
	if (inv < LR_INV_COUNT)
		rep->status[inv] = CHECK_FAIL;
	if (rep->nv == REPORT_MAX_VIOLATIONS) {
		rep->nv_dropped++;
		return NULL;
	}
	struct violation *v = &rep->v[rep->nv++];
	v->inv = inv;
	v->source = src;
	v->addr = addr;
	snprintf(v->region, sizeof v->region, "%s", region);
	snprintf(v->expected, sizeof v->expected, "%s", expected);
	snprintf(v->found, sizeof v->found, "%s", found);
	v->stack = -1;
	v->follows = -1;
	return v;
}

struct violation *report_fail_hex(struct report *rep, unsigned inv, const char *region, uint64_t addr,
				  uint64_t expected, uint64_t found)
{
	char e[24], f[24];
	return report_fail(rep, inv, SOURCE_INSPECTOR, region, addr, hex64(e, expected), hex64(f, found));
}

size_t report_checks_run(const struct report *rep)
{
	size_t n = 0;
	for (unsigned i = 0; i < LR_INV_COUNT; i++)
		n += rep->status[i] == CHECK_PASS || rep->status[i] == CHECK_FAIL;
	return n;
}

size_t report_violations(const struct report *rep)
{
	/* The kernel's entries beyond violation_max were lost, not fixed: they count. */
	size_t kernel_dropped = rep->kernel_seen > rep->kernel_kept ? rep->kernel_seen - rep->kernel_kept : 0;
	return rep->nv + rep->nv_dropped + kernel_dropped;
}

size_t report_follow_ons(const struct report *rep)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->nv; i++)
		n += report_root(rep, &rep->v[i]) != NULL;
	return n;
}

const struct violation *report_root(const struct report *rep, const struct violation *v)
{
	return v->follows >= 0 && (size_t)v->follows < rep->nv ? &rep->v[v->follows] : NULL;
}
