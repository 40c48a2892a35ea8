/*
 * check.c: runs the invariants in LR_INVARIANTS order. The record's header comes first: if its
 * magic, version or size are wrong nothing else in it can be trusted and the rest is skipped;
 * so is the rest when the fields that shape it (table sizes, flags, the kernel's ids) are not
 * this version's, after its checksum and generation have said whether it is whole.
 * Also here: the record's own checks and the violations the kernel recorded itself.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include "engine.h"

#define FIELD_ADDR(field) (kl_record_addr(c->s) + offsetof(struct layout_record, field))

int check_record(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	char e[48], f[96];

	if (r->magic != LR_MAGIC)
		report_fail_hex(c->rep, LR_INV_RECORD_MAGIC, "record", FIELD_ADDR(magic), LR_MAGIC, r->magic);
	report_pass(c->rep, LR_INV_RECORD_MAGIC);
	if (r->version != LR_VERSION) {
		snprintf(e, sizeof e, "%u", LR_VERSION);
		snprintf(f, sizeof f, "%u", r->version);
		report_fail(c->rep, LR_INV_RECORD_VERSION, SOURCE_INSPECTOR, "record", FIELD_ADDR(version), e, f);
	}
	report_pass(c->rep, LR_INV_RECORD_VERSION);
	if (r->size != sizeof *r) {
		snprintf(e, sizeof e, "%zu", sizeof *r);
		snprintf(f, sizeof f, "%u", r->size);
		report_fail(c->rep, LR_INV_RECORD_SIZE, SOURCE_INSPECTOR, "record", FIELD_ADDR(size), e, f);
	}
	report_pass(c->rep, LR_INV_RECORD_SIZE);
	if (record_header_ok(r) != 0)
		return -1;

	uint32_t crc = lr_checksum(r, r->size);
	if (r->generation & 1) {
		/* Mid-update the checksum is stale by design: record.generation says what happened. */
		report_skip(c->rep, LR_INV_RECORD_CHECKSUM, "the record was being updated (odd generation)");
	} else if (crc != r->checksum) {
		snprintf(e, sizeof e, "0x%08x", crc);
		snprintf(f, sizeof f, "0x%08x", r->checksum);
		report_fail(c->rep, LR_INV_RECORD_CHECKSUM, SOURCE_INSPECTOR, "record", FIELD_ADDR(checksum), e, f);
	}
	report_pass(c->rep, LR_INV_RECORD_CHECKSUM);
	/* A published copy is always complete; an update is at fault only if it was abandoned:
	 * begun at an older heartbeat than the block's (an update never spans a tick). */
	struct lr_publication pub;
	if (r->generation & 1) {
		snprintf(f, sizeof f, "%u: the published copy was never finished", r->generation);
		report_fail(c->rep, LR_INV_RECORD_GENERATION, SOURCE_INSPECTOR, "record",
			    FIELD_ADDR(generation), "an even generation", f);
	} else if (record_publication(c->s, &pub) == 0 && lr_update_abandoned(&pub)) {
		snprintf(e, sizeof e, "an update within tick %" PRIu64, pub.pending_since);
		snprintf(f, sizeof f, "%u: pending since tick %" PRIu64 ", now tick %" PRIu64,
			 pub.generation, pub.pending_since, pub.heartbeat);
		report_fail(c->rep, LR_INV_RECORD_GENERATION, SOURCE_INSPECTOR, "record",
			    RECORD_ADDR + offsetof(struct lr_publication, generation), e, f);
	}
	report_pass(c->rep, LR_INV_RECORD_GENERATION);
	return 0;
}

/* The region a kernel-recorded violation names: its owner, by task id. */
static void kernel_owner(char *buf, size_t len, const struct layout_record *r, uint32_t owner)
{
	char name[LR_NAME_LEN + 1];
	if (owner == 0) {
		snprintf(buf, len, "kernel");
		return;
	}
	for (uint32_t i = 0; i < record_task_count(r); i++)
		if (r->tasks[i].id == owner) {
			snprintf(buf, len, "task %u '%s'", owner, task_name(name, &r->tasks[i]));
			return;
		}
	snprintf(buf, len, "task %u", owner);
}

/*
 * The fields that size the record's tables and say what it holds: a version's tables have one
 * size (record.size), and flag bits or kernel violation ids this reader does not know mean a
 * newer kernel (record.version). With the header right, such a record contradicts its own
 * version: nothing in it is trusted beyond its checksum and generation (check_run skips the
 * rest). Nonzero when one is wrong.
 */
static int check_record_shape(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	char e[48], f[48], region[48];
	size_t before = c->rep->nv + c->rep->nv_dropped;
	const struct {
		const char *name;
		uint64_t at;
		uint32_t have, want;
	} sizes[] = {
		{ "task_max", FIELD_ADDR(task_max), r->task_max, LR_MAX_TASKS },
		{ "violation_max", FIELD_ADDR(violation_max), r->violation_max, LR_MAX_VIOLATIONS },
	};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		if (sizes[i].have != sizes[i].want) {
			snprintf(e, sizeof e, "%s %u", sizes[i].name, sizes[i].want);
			snprintf(f, sizeof f, "%s %u", sizes[i].name, sizes[i].have);
			report_fail(c->rep, LR_INV_RECORD_SIZE, SOURCE_INSPECTOR, "record", sizes[i].at, e, f);
		}
	if (r->build_id_size > LR_BUILD_ID_MAX) {
		snprintf(e, sizeof e, "build_id_size <= %u", LR_BUILD_ID_MAX);
		snprintf(f, sizeof f, "build_id_size %u", r->build_id_size);
		report_fail(c->rep, LR_INV_RECORD_SIZE, SOURCE_INSPECTOR, "record", FIELD_ADDR(build_id_size), e, f);
	}
	if (r->flags & ~(uint32_t)(LR_FLAG_READY | LR_FLAG_HALTED)) {
		snprintf(e, sizeof e, "flags within 0x%x", LR_FLAG_READY | LR_FLAG_HALTED);
		snprintf(f, sizeof f, "flags 0x%x", r->flags);
		report_fail(c->rep, LR_INV_RECORD_VERSION, SOURCE_INSPECTOR, "record", FIELD_ADDR(flags), e, f);
	}
	for (uint32_t i = 0; i < record_violations_kept(r); i++) {
		const struct lr_violation *v = &r->violations[i];
		if (v->invariant < LR_INV_COUNT)
			continue;
		kernel_owner(region, sizeof region, r, v->owner);
		snprintf(e, sizeof e, "an id below %u", (unsigned)LR_INV_COUNT);
		snprintf(f, sizeof f, "unknown invariant %u", v->invariant);
		report_fail(c->rep, LR_INV_RECORD_VERSION, SOURCE_KERNEL, region, v->addr, e, f);
	}
	return c->rep->nv + c->rep->nv_dropped != before;
}

/* The stack a violation the kernel recorded is about, as an index in c->stacks: an overflow is
 * its owner's (a task's, or the kernel's own); -1 for the other ids, whose owner may be the
 * kernel that saw it rather than the stack it saw. */
static int kernel_stack_of(const struct check_ctx *c, const struct lr_violation *v)
{
	if (v->invariant != LR_INV_STACK_OVERFLOW)
		return -1;
	for (size_t i = 0; i < c->nstacks; i++)
		if (c->stacks[i].id == v->owner)
			return (int)i;
	return -1;
}

/*
 * What the kernel saw itself (stack.refused can only be seen by it): each kept entry under its
 * own id. An id this reader does not know means the kernel is newer than the reader: reported
 * as record.version, the invariant that says so.
 */
static const char *fault_kind(uint32_t cause)
{
	switch (cause) {
	case 1: return "fetch refused (mcause 1)";
	case 5: return "load refused (mcause 5)";
	case 7: return "store refused (mcause 7)";
	case 2: return "illegal instruction (mcause 2)";
	case 8: return "unknown ecall (mcause 8)";
	default: return "trap";
	}
}

/*
 * The lowest address an overflow the kernel recorded reached: the faulting address or the sp it
 * saw (lr_violation.found, the sp for every overflow entry), whichever is lower, counted only
 * when it lies where an overflowing stack's memory can be (from the free area up to its hi).
 */
static uint64_t kernel_overflow_lowest(const struct check_ctx *c, const struct lr_violation *v, size_t i)
{
	uint64_t lowest = UINT64_MAX, hi = c->stacks[i].range.hi;
	if (v->addr >= c->r->free.lo && v->addr < hi)
		lowest = v->addr;
	if (v->found >= c->r->free.lo && v->found < hi && v->found < lowest)
		lowest = v->found;
	return lowest;
}

static void check_kernel_reported(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	char region[48], e[24], f[VIOLATION_TEXT], pc[64], detail[96];

	c->rep->kernel_seen = r->violation_count;
	c->rep->kernel_kept = record_violations_kept(r);
	for (uint32_t i = 0; i < c->rep->kernel_kept; i++) {
		const struct lr_violation *v = &r->violations[i];
		struct violation *seen;
		int stack = kernel_stack_of(c, v);
		kernel_owner(region, sizeof region, r, v->owner);
		detail[0] = 0;
		if (stack >= 0)
			overflow_detail(c, (size_t)stack, kernel_overflow_lowest(c, v, (size_t)stack), detail,
					sizeof detail);
		if (v->cause != LR_CAUSE_CHECK) {
			/* A fault the hardware stopped: what was refused, where, and why. */
			kelf_pc_name(c->k, v->pc, pc, sizeof pc);
			snprintf(f, sizeof f, "%.28s at pc %.60s%s", fault_kind(v->cause), pc, detail);
			seen = report_fail(c->rep, v->invariant, SOURCE_KERNEL, region, v->addr,
					   v->owner ? "no access outside its stack and the task code"
						    : "no store to the kernel stack's lo word", f);
		} else if (v->pc) {
			/* A check that knows where: the kernel's sp check at a function's entry,
			 * or a task's sp when it left the hart. */
			kelf_pc_name(c->k, v->pc, pc, sizeof pc);
			snprintf(f, sizeof f, "%s at %.60s%s", hex64(e, v->found), pc, detail);
			seen = report_fail(c->rep, v->invariant, SOURCE_KERNEL, region, v->addr,
					   hex64(e, v->expected), f);
		} else {
			snprintf(f, sizeof f, "%s%s", hex64(e, v->found), detail);
			seen = report_fail(c->rep, v->invariant, SOURCE_KERNEL, region, v->addr,
					   hex64(e, v->expected), f);
		}
		if (seen)
			seen->stack = stack;
		if (seen && v->owner == 0)
			c->kernel_breach = (int)(seen - c->rep->v);
	}
	report_pass(c->rep, LR_INV_STACK_REFUSED);
	report_pass(c->rep, LR_INV_TASK_ACCESS);
}

void check_run(struct check_ctx *c)
{
	const char *untrusted = NULL;
	c->kernel_breach = -1;
	if (check_record(c) != 0)
		untrusted = "the record header is not trusted";
	else if (check_record_shape(c) != 0)
		untrusted = "the record's shape is not this version's";
	if (untrusted) {
		for (unsigned i = 0; i < LR_INV_COUNT; i++)
			if (c->rep->status[i] == CHECK_NOT_RUN)
				report_skip(c->rep, i, untrusted);
		return;
	}
	check_layout(c);
	check_image(c);
	check_stacks(c);
	check_hart(c);
	check_elf(c);
	check_budget(c);
	check_kernel_reported(c);
	check_follow_ons(c);
}
