/*
 * budget.c: the static stack analysis for a kernel ELF (budget*.c do the work). Its inputs: the
 * ELF's code, the declared table the ELF carries in .klayout.budget (kernel/stacks.budget and
 * the config's sizes, or a table given as a file), the .su and .ci files the build keeps beside
 * its objects. Its questions, one per stack: the record's kernel stack and tasks (their sizes
 * and each task's depth from the record, v2), or before boot the config's, plus the stacks the
 * table sizes itself (the boot stack, the emergency stack).
 */
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"

#define BUDGET_STACKS (STACKS_MAX + 16)

struct kl_budget {
	struct kelf own;            /* kl_budget_open's ELF */
	int have_own;
	struct bg_graph *g;
	struct kl_stack_budget st[BUDGET_STACKS];
	size_t nst;
};

static const char *const section = ".klayout.budget";

/* The obj directory beside the ELF: where the kernel build keeps its objects' .su and .ci. */
static void default_dir(const char *elf_path, char *buf, size_t len)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", elf_path);
	snprintf(buf, len, "%s/obj", dirname(copy));
}

static int read_table(struct bg_graph *g, const struct kelf *k, const char *table_path, int *absent)
{
	*absent = 0;
	if (table_path) {
		int fd;
		struct stat st;
		if (input_open(table_path, &fd, &st) != 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		size_t len = (size_t)st.st_size;
		char *text = len <= (1u << 20) ? malloc(len + 1) : NULL;
		ssize_t got = text ? pread(fd, text, len, 0) : -1;
		close(fd);
		if (!text || got != (ssize_t)len) {
			free(text);
			return fail(table_path, "%s", text ? "cannot read the whole file" : "too large for a stack table");
		}
		int rc = bg_read_decl(g, table_path, NULL, text, len);
		free(text);
		return rc;
	}
	GElf_Shdr sh;
	Elf_Scn *scn = kelf_section(k, section, &sh);
	const uint8_t *bytes;
	size_t len;
	if (!scn) {
		*absent = 1;
		return 0;
	}
	if (kelf_section_bytes(k, scn, &bytes, &len) != 0)
		return -1;
	return bg_read_decl(g, k->path, section, (const char *)bytes, len);
}

struct kl_budget *kl_budget_on(const struct kelf *k, const char *su_dir, const char *table_path,
			       char *why, size_t why_len)
{
	char dir[4096];
	int absent;
	struct kl_budget *b = calloc(1, sizeof *b);
	if (!b || !(b->g = bg_new())) {
		free(b);
		fail(k->path, "out of memory");
		return NULL;
	}
	if (why)
		why[0] = 0;
	if (su_dir)
		snprintf(dir, sizeof dir, "%s", su_dir);
	else
		default_dir(k->path, dir, sizeof dir);
	if (read_table(b->g, k, table_path, &absent) != 0)
		goto fail;
	if (absent && why) {
		snprintf(why, why_len, "the ELF declares no stacks (no %s section)", section);
		goto none;
	}
	if (absent) {
		fail(k->path, "no %s section: the ELF declares no stacks (give them with --stacks)", section);
		goto fail;
	}
	if (!su_dir && why && access(dir, F_OK) != 0) {
		snprintf(why, why_len, "no .su and .ci files in '%s'", dir);
		goto none;
	}
	if (bg_read_dir(b->g, dir) != 0 || bg_read_elf(b->g, k) != 0 || bg_finish(b->g) != 0)
		goto fail;
	return b;
fail:
	if (why)
		why[0] = 0;
none:
	kl_budget_close(b);
	return NULL;
}

struct kl_budget *kl_budget_open(const char *elf_path, const char *su_dir, const char *table_path)
{
	struct kelf k;
	if (kelf_open(&k, elf_path) != 0) {
		kelf_close(&k);
		return NULL;
	}
	struct kl_budget *b = kl_budget_on(&k, su_dir, table_path, NULL, 0);
	if (!b) {
		kelf_close(&k);
		return NULL;
	}
	b->own = k;
	b->have_own = 1;
	bg_set_elf(b->g, &b->own);   /* the graph keeps a pointer to the ELF it read */
	return b;
}

struct kl_budget *kl_budget_of(struct bg_graph *g)
{
	struct kl_budget *b = calloc(1, sizeof *b);
	if (!b) {
		bg_free(g);
		fail(NULL, "out of memory");
		return NULL;
	}
	b->g = g;
	return b;
}

void kl_budget_close(struct kl_budget *b)
{
	if (!b)
		return;
	bg_free(b->g);
	if (b->have_own)
		kelf_close(&b->own);
	free(b);
}

const struct bg_graph *kl_budget_graph(const struct kl_budget *b)
{
	return b->g;
}

/* ---- the questions --------------------------------------------------------------------------- */

static int add(struct kl_budget *b, int decl, const char *name, int have_size, uint64_t size,
	       uint64_t depth, int task, uint64_t lo)
{
	if (b->nst == BUDGET_STACKS)
		return 0;
	struct kl_stack_budget *s = &b->st[b->nst];
	memset(s, 0, sizeof *s);
	if (bg_stack_from_decl(b->g, decl, name, have_size, size, depth, &s->q) != 0 ||
	    bg_analyse(b->g, &s->q, &s->r) != 0)
		return -1;
	s->task = task;
	s->lo = lo;
	b->nst++;
	return 0;
}

static int decl_of(const struct kl_budget *b, enum bg_size_from kind)
{
	const struct bg_decl_stack *d;
	size_t n = bg_decl_stacks(b->g, &d);
	for (size_t i = 0; i < n; i++)
		if (d[i].size_from == kind)
			return (int)i;
	return -1;
}

ssize_t kl_budget_stacks(struct kl_budget *b, const struct layout_record *r, const struct kl_stack_budget **out)
{
	const struct bg_decl_stack *d;
	size_t nd = bg_decl_stacks(b->g, &d);
	int kernel = decl_of(b, BG_SIZE_KERNEL), task = decl_of(b, BG_SIZE_TASK);
	char name[48], tn[LR_NAME_LEN + 1];
	b->nst = 0;
	*out = b->st;
	if (r) {
		/* The record's stacks, in its order: the kernel stack, then the tasks (stacks.c's). */
		if (kernel >= 0 && add(b, kernel, LR_KSTACK_REGION, r->kstack.hi > r->kstack.lo,
				       r->kstack.hi - r->kstack.lo, 0, 0, r->kstack.lo) != 0)
			return -1;
		for (uint32_t i = 0; task >= 0 && i < record_task_count(r); i++) {
			const struct lr_task *t = &r->tasks[i];
			snprintf(name, sizeof name, "task %u '%s'", t->id, task_name(tn, t));
			if (add(b, task, name, t->stack.hi > t->stack.lo, t->stack.hi - t->stack.lo, t->depth,
				(int)t->id, t->stack.lo) != 0)
				return -1;
		}
	} else {
		/* Before boot: the config's, as confgen --budget wrote them into the table. */
		int have_kernel;
		uint64_t ksize;
		const struct bg_config_task *ct;
		size_t nt = bg_decl_config(b->g, &have_kernel, &ksize, &ct);
		if (kernel >= 0 && add(b, kernel, LR_KSTACK_REGION, have_kernel, ksize, 0, 0, 0) != 0)
			return -1;
		for (size_t i = 0; task >= 0 && i < nt; i++) {
			snprintf(name, sizeof name, "task %zu '%.15s'", i + 1, ct[i].name);
			if (add(b, task, name, 1, ct[i].size, ct[i].depth, (int)i + 1, 0) != 0)
				return -1;
		}
	}
	/* The stacks the table sizes itself. */
	for (size_t i = 0; i < nd; i++)
		if (d[i].size_from == BG_SIZE_BYTES || d[i].size_from == BG_SIZE_SYMBOLS) {
			snprintf(name, sizeof name, "%.40s stack", d[i].name);
			if (add(b, (int)i, name, 1, 0, 0, -1, 0) != 0)
				return -1;
		}
	return (ssize_t)b->nst;
}

int kl_budget_fits(const struct kl_stack_budget *s)
{
	return s->r.bounded && (!s->q.have_size || s->q.size >= bg_needed(&s->q, &s->r));
}

char *kl_budget_chain(const struct bg_graph *g, const struct kl_stack_budget *s, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < s->r.nchain && used < len; i++) {
		const struct bg_step *st = &s->r.chain[i];
		const struct bg_func *f = bg_func(g, st->fn);
		used += (size_t)snprintf(buf + used, len - used, "%s%s %" PRIu64, i ? ", " : "", f->name, f->frame);
		if (st->repeat > 1 && st->group_len > 1 && used < len)
			used += (size_t)snprintf(buf + used, len - used, " (and the %d after it) x%" PRIu64,
						 st->group_len - 1, st->repeat);
		else if (st->repeat > 1 && used < len)
			used += (size_t)snprintf(buf + used, len - used, " x%" PRIu64, st->repeat);
	}
	if (s->r.chain_cut && used < len)
		snprintf(buf + used, len - used, ", ...");
	return buf;
}

char *kl_budget_why(const struct bg_graph *g, const struct kl_stack_budget *s, char *buf, size_t len)
{
	buf[0] = 0;
	if (s->r.nunknown)
		bg_unknown_text(g, &s->r.unknown[0], buf, len);
	else if (!s->q.nentries)
		snprintf(buf, len, "no entry");
	return buf;
}

int kl_budget_verdict(const struct bg_graph *g, const struct kl_stack_budget *s, char *expected,
		      size_t elen, char *found, size_t flen)
{
	char chain[VIOLATION_TEXT];
	if (!s->r.bounded) {
		snprintf(expected, elen, "a static worst case");
		kl_budget_why(g, s, chain, sizeof chain);
		snprintf(found, flen, "unbounded: %s", chain);
		return 1;
	}
	if (kl_budget_fits(s))
		return 0;
	uint64_t need = bg_needed(&s->q, &s->r);
	snprintf(expected, elen, "at least %" PRIu64 " bytes: static worst case %" PRIu64 "%s", need,
		 s->r.bound, s->q.reserve ? " + 8 (lo word)" : "");
	kl_budget_chain(g, s, chain, sizeof chain);
	snprintf(found, flen, "%" PRIu64 " bytes, %" PRIu64 " short, for the chain %s", s->q.size,
		 need - s->q.size, chain);
	return 1;
}
