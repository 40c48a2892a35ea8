/*
 * session.c: one target as the engine sees it: how to read its physical memory (a read callback,
 * or a map for files already in memory), its RAM and its harts when the target knows them, the
 * record read once, the stacks measured once, an optional kernel ELF. The entry points front
 * ends call to get the verdicts (kl_check); out_text.c turns them into text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

/* A read larger than this is a corrupt record's range, not a stack or an image to copy. */
#define KL_READ_MAX (1ULL << 30)

struct kl_session {
	const char *name;
	kl_read_fn *read;
	kl_map_fn *map;
	void *ctx;
	int live;
	int sparse;
	int have_ram;
	struct lr_range ram;
	size_t nharts;
	uint64_t hart_pc[KL_MAX_HARTS], hart_sp[KL_MAX_HARTS];
	char no_harts[64];
	int have_hart_regs, have_csrs;
	uint64_t hart_reg[32];  /* hart 0's pr_reg, and its CSRs: threads.c reads them */
	uint64_t mepc, mscratch;
	int loaded;
	struct layout_record r;
	uint64_t record_addr;   /* the published copy's address */
	struct kelf k;
	int have_kelf;
	struct kl_budget *budget;  /* the static stack analysis of the ELF, NULL: budget_skip says why */
	const char *budget_dir, *budget_table;
	char budget_skip[160];
	int measured;
	struct stack_info stacks[STACKS_MAX];
	size_t nstacks;
	struct report rep;
};

struct kl_session *kl_new(const char *name, kl_read_fn *read, void *ctx)
{
	struct kl_session *s = calloc(1, sizeof *s);
	if (!s) {
		fail(name, "out of memory");
		return NULL;
	}
	s->name = name;
	s->read = read;
	s->ctx = ctx;
	snprintf(s->no_harts, sizeof s->no_harts, "no registers");
	snprintf(s->budget_skip, sizeof s->budget_skip, "no --elf given");
	return s;
}

void kl_set_map(struct kl_session *s, kl_map_fn *map) { s->map = map; }
void kl_set_live(struct kl_session *s, int live) { s->live = live; }
void kl_set_sparse(struct kl_session *s, int sparse) { s->sparse = sparse; }

void kl_set_ram(struct kl_session *s, uint64_t lo, uint64_t hi)
{
	s->have_ram = 1;
	s->ram = (struct lr_range){ lo, hi };
}

void kl_add_hart(struct kl_session *s, uint64_t pc, uint64_t sp)
{
	if (s->nharts == KL_MAX_HARTS)
		return;
	s->hart_pc[s->nharts] = pc;
	s->hart_sp[s->nharts++] = sp;
	s->measured = 0;       /* the sp now of the stack on the hart */
}

void kl_set_no_harts(struct kl_session *s, const char *reason)
{
	snprintf(s->no_harts, sizeof s->no_harts, "%s", reason);
}

void kl_set_hart_regs(struct kl_session *s, const uint64_t reg[32])
{
	memcpy(s->hart_reg, reg, sizeof s->hart_reg);
	s->have_hart_regs = 1;
}

void kl_set_hart_csrs(struct kl_session *s, uint64_t mepc, uint64_t mscratch)
{
	s->mepc = mepc;
	s->mscratch = mscratch;
	s->have_csrs = 1;
}

const uint64_t *kl_hart_regs(const struct kl_session *s)
{
	return s->have_hart_regs ? s->hart_reg : NULL;
}

int kl_hart_csrs(const struct kl_session *s, uint64_t *mepc, uint64_t *mscratch)
{
	*mepc = s->mepc;
	*mscratch = s->mscratch;
	return s->have_csrs;
}

const struct kelf *kl_kelf(const struct kl_session *s)
{
	return s->have_kelf ? &s->k : NULL;
}

int kl_load(struct kl_session *s)
{
	if (record_find(s, &s->r, &s->record_addr) != 0)
		return -1;
	s->loaded = 1;
	s->measured = 0;
	return 0;
}

void kl_set_budget_dir(struct kl_session *s, const char *dir) { s->budget_dir = dir; }
void kl_set_budget_table(struct kl_session *s, const char *path) { s->budget_table = path; }
struct kl_budget *kl_budget(const struct kl_session *s) { return s->budget; }

void kl_set_budget(struct kl_session *s, struct kl_budget *b)
{
	kl_budget_close(s->budget);
	s->budget = b;
	s->measured = 0;
}
const char *kl_budget_skip(const struct kl_session *s) { return s->budget_skip; }

int kl_open_elf(struct kl_session *s, const char *path)
{
	if (s->have_kelf)
		kelf_close(&s->k);
	kl_budget_close(s->budget);
	s->budget = NULL;
	s->measured = 0;
	s->have_kelf = 1;      /* kelf_close undoes a half-open ELF too */
	/* The static stack analysis comes with the ELF: its inputs are beside it (a directory or
	 * a table named with kl_set_budget_dir/_table must be there; the defaults may be absent). */
	if (kelf_open(&s->k, path) == 0) {
		int required = s->budget_dir || s->budget_table;
		s->budget = kl_budget_on(&s->k, s->budget_dir, s->budget_table, required ? NULL : s->budget_skip,
					 sizeof s->budget_skip);
		if (s->budget || (!required && s->budget_skip[0]))
			return 0;
	}
	kelf_close(&s->k);
	s->have_kelf = 0;
	return -1;
}

void kl_close(struct kl_session *s)
{
	if (!s)
		return;
	kl_budget_close(s->budget);
	if (s->have_kelf)
		kelf_close(&s->k);
	free(s);
}

const char *kl_name(const struct kl_session *s) { return s->name; }
const struct layout_record *kl_record(const struct kl_session *s) { return &s->r; }
int kl_header_ok(const struct kl_session *s) { return s->loaded && record_header_ok(&s->r) == 0; }
int kl_live(const struct kl_session *s) { return s->live; }
uint64_t kl_record_addr(const struct kl_session *s) { return s->loaded ? s->record_addr : RECORD_ADDR; }

int kl_unsaved(const struct kl_session *s, uint64_t addr, uint64_t len)
{
	return s->sparse && s->have_ram && addr >= s->ram.lo && addr <= s->ram.hi && len <= s->ram.hi - addr;
}
const char *kl_no_harts(const struct kl_session *s) { return s->no_harts; }

const char *kl_absent(const struct kl_session *s)
{
	return s->live ? "not readable" : "not in the dump";
}

int kl_header_problem(const struct kl_session *s, char *buf, size_t len)
{
	const struct layout_record *r = &s->r;
	if (!s->loaded)
		snprintf(buf, len, "the record page cannot be read");
	else if (r->magic != LR_MAGIC)
		snprintf(buf, len, "magic is 0x%" PRIx64 ", not 0x%" PRIx64 " (the kernel has not written it)",
			 r->magic, (uint64_t)LR_MAGIC);
	else if (r->version != LR_VERSION)
		snprintf(buf, len, "version %u; this engine reads version %u", r->version, LR_VERSION);
	else if (r->size != sizeof *r)
		snprintf(buf, len, "it says it is %u bytes; version %u is %zu", r->size, LR_VERSION, sizeof *r);
	else
		return -1;
	return 0;
}

int kl_record_warning(const struct kl_session *s, char *buf, size_t len)
{
	struct lr_publication pub;
	if (!kl_header_ok(s))
		return -1;
	if (s->r.generation & 1) {
		snprintf(buf, len, "record generation %u is odd: the published copy was never finished; "
			 "fields may disagree with each other", s->r.generation);
		return 0;
	}
	if (record_publication(s, &pub) != 0 || !lr_update_abandoned(&pub))
		return -1;
	snprintf(buf, len, "the kernel began a record update at tick %" PRIu64 " and never finished it "
		 "(tick %" PRIu64 " now): the record shows the state before it", pub.pending_since,
		 pub.heartbeat);
	return 0;
}

int kl_elf_matches(const struct kl_session *s)
{
	const uint8_t *id;
	size_t len;
	if (!s->have_kelf)
		return 1;
	return kelf_build_id(&s->k, &id, &len) == 0 && record_build_id_is(&s->r, id, len);
}

int kl_other_build(const struct kl_session *s, char *buf, size_t len)
{
	const uint8_t *id;
	size_t n;
	char in_dump[2 * LR_BUILD_ID_MAX + 1], in_elf[2 * LR_BUILD_ID_MAX + 1];
	uint32_t have = s->r.build_id_size;
	if (!s->have_kelf || !s->loaded || record_header_ok(&s->r) != 0 || have == 0 ||
	    have > LR_BUILD_ID_MAX || kelf_build_id(&s->k, &id, &n) != 0)
		return 0;
	/* Equal, or one a prefix of the other: the same build with a wrong build_id_size, which
	 * elf.build-id reports. Another build's ID differs in the bytes both have. */
	if (memcmp(id, s->r.build_id, n < have ? n : have) == 0)
		return 0;
	snprintf(buf, len, "the dump's kernel is build %s, but '%s' is build %s: not the same build",
		 hex_bytes(in_dump, sizeof in_dump, s->r.build_id, have), s->k.path,
		 hex_bytes(in_elf, sizeof in_elf, id, n));
	return 1;
}

int kl_ram(const struct kl_session *s, struct lr_range *ram)
{
	if (s->have_ram)
		*ram = s->ram;
	return s->have_ram;
}

size_t kl_harts(const struct kl_session *s, const uint64_t **pc, const uint64_t **sp)
{
	if (pc)
		*pc = s->hart_pc;
	if (sp)
		*sp = s->hart_sp;
	return s->nharts;
}

const uint8_t *kl_bytes(const struct kl_session *s, uint64_t addr, uint64_t len, void **owned)
{
	*owned = NULL;
	if (len && addr + len - 1 < addr)
		return NULL;
	if (s->map)
		return s->map(s->ctx, addr, len);
	if (!s->read || len > KL_READ_MAX)
		return NULL;
	void *buf = malloc(len ? len : 1);
	if (!buf)
		return NULL;
	if (s->read(s->ctx, addr, buf, len) != 0) {
		free(buf);
		return NULL;
	}
	*owned = buf;
	return buf;
}

int kl_read(const struct kl_session *s, uint64_t paddr, void *buf, uint64_t len)
{
	void *owned;
	const uint8_t *p;
	if (!s->map && s->read)
		return len && paddr + len - 1 < paddr ? -1 : s->read(s->ctx, paddr, buf, len);
	p = kl_bytes(s, paddr, len, &owned);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	free(owned);
	return 0;
}

int kl_read_u64(const struct kl_session *s, uint64_t addr, uint64_t *value)
{
	uint8_t b[8];
	if (kl_read(s, addr, b, 8) != 0)
		return -1;
	*value = 0;
	for (int i = 7; i >= 0; i--)
		*value = (*value << 8) | b[i];
	return 0;
}

/* Each stack's static worst case beside what the paint measured (the record's order is the
 * analysis's: the kernel stack, then the tasks). */
static void stacks_static(struct kl_session *s)
{
	const struct kl_stack_budget *b;
	ssize_t n = s->budget && s->nstacks ? kl_budget_stacks(s->budget, &s->r, &b) : 0;
	for (ssize_t i = 0; i < n; i++)
		for (size_t j = 0; j < s->nstacks; j++)
			if (b[i].task >= 0 && (uint32_t)b[i].task == s->stacks[j].id) {
				struct stack_info *t = &s->stacks[j];
				t->have_static = 1;
				t->static_bounded = b[i].r.bounded;
				t->static_bound = b[i].r.bound;
				t->static_needed = b[i].r.bounded ? bg_needed(&b[i].q, &b[i].r) : 0;
			}
}

size_t kl_stacks(struct kl_session *s, const struct stack_info **out)
{
	/* Without a trusted header the task table is noise: measure nothing. */
	if (!s->measured) {
		s->nstacks = kl_header_ok(s) ? stacks_measure(s, &s->r, s->stacks) : 0;
		s->measured = 1;
		stacks_static(s);
	}
	*out = s->stacks;
	return s->nstacks;
}

const struct report *kl_check(struct kl_session *s, int min_headroom)
{
	const struct stack_info *stacks;
	size_t n = kl_stacks(s, &stacks);
	report_init(&s->rep);
	struct check_ctx ctx = {
		.s = s, .r = &s->r, .k = s->have_kelf ? &s->k : NULL, .min_headroom = min_headroom,
		.stacks = stacks, .nstacks = n, .rep = &s->rep,
	};
	check_run(&ctx);
	return &s->rep;
}
