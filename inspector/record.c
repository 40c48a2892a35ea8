/*
 * record.c: the layout record at RECORD_ADDR, found without the ELF (the address is fixed by
 * memlayout.h), its regions in the document's order, and `inspector record`'s field listing.
 */
#include <inttypes.h>
#include <string.h>
#include "inspector.h"

uint64_t record_copy_addr = RECORD_ADDR;

int record_publication(const struct dump *d, struct lr_publication *pub)
{
	const uint8_t *p = dump_phys(d, RECORD_ADDR, sizeof *pub);
	if (!p)
		return -1;
	memcpy(pub, p, sizeof *pub);
	return 0;
}

/*
 * Version 2: the publication block at RECORD_ADDR names the complete copy (docs/layout-record.md).
 * A block this reader does not know leaves its magic, version and size in *r for the header
 * checks to report; a block naming no copy (published > 1) reads as a record of size 0.
 */
int record_find(const struct dump *d, struct layout_record *r)
{
	struct lr_publication pub;
	if (record_publication(d, &pub) != 0)
		return fail(d->path, "no RAM at the record address 0x%lx (the dump lacks the record page)",
			    (unsigned long)RECORD_ADDR);
	memset(r, 0, sizeof *r);
	if (pub.magic != LR_MAGIC || pub.version != LR_VERSION || pub.size != sizeof *r || pub.published > 1) {
		r->magic = pub.magic;
		r->version = pub.version;
		r->size = pub.published > 1 ? 0 : pub.size;
		return 0;
	}
	record_copy_addr = LR_COPY_ADDR(pub.published);
	const uint8_t *p = dump_phys(d, record_copy_addr, sizeof *r);
	if (!p)
		return fail(d->path, "no RAM at the published record copy 0x%lx", (unsigned long)record_copy_addr);
	/* A copy: the mapping has no alignment guarantee and checks must not race a rewrite. */
	memcpy(r, p, sizeof *r);
	return 0;
}

int record_header_ok(const struct layout_record *r)
{
	return r->magic == LR_MAGIC && r->version == LR_VERSION && r->size == sizeof *r ? 0 : -1;
}

int record_build_id_is(const struct layout_record *r, const uint8_t *id, size_t len)
{
	return len == r->build_id_size && len <= LR_BUILD_ID_MAX && memcmp(id, r->build_id, len) == 0;
}

uint32_t record_task_count(const struct layout_record *r)
{
	return r->task_count < LR_MAX_TASKS ? r->task_count : LR_MAX_TASKS;
}

uint32_t record_violations_kept(const struct layout_record *r)
{
	uint32_t n = r->violation_count;
	if (n > r->violation_max)
		n = r->violation_max;
	return n < LR_MAX_VIOLATIONS ? n : LR_MAX_VIOLATIONS;
}

enum { REGION_PLAIN, REGION_IMAGE, REGION_STACK };

static void region_add(struct region *out, size_t *n, const char *name, struct lr_range range,
		       int kind)
{
	struct region *g = &out[(*n)++];
	snprintf(g->name, sizeof g->name, "%s", name);
	g->range = range;
	g->in_image = kind == REGION_IMAGE;
	g->is_stack = kind == REGION_STACK;
}

size_t record_regions(const struct layout_record *r, struct region out[REGIONS_MAX])
{
	size_t n = 0;
	char label[48], name[LR_NAME_LEN + 1];
	region_add(out, &n, "text", r->text, REGION_PLAIN);
	region_add(out, &n, "rodata", r->rodata, REGION_IMAGE);
	region_add(out, &n, "data", r->data, REGION_IMAGE);
	region_add(out, &n, "bss", r->bss, REGION_IMAGE);
	region_add(out, &n, "boot stack", r->boot_stack, REGION_IMAGE);
	region_add(out, &n, "padding", r->padding, REGION_PLAIN);
	region_add(out, &n, "record", r->record, REGION_PLAIN);
	region_add(out, &n, "task code", r->task_code, REGION_PLAIN);
	region_add(out, &n, "free", r->free, REGION_PLAIN);
	/* Each task is allocated below the previous one: the last created is the lowest. */
	for (uint32_t i = record_task_count(r); i-- > 0;) {
		snprintf(label, sizeof label, "task %u '%s'", r->tasks[i].id, task_name(name, &r->tasks[i]));
		region_add(out, &n, label, r->tasks[i].stack, REGION_STACK);
	}
	region_add(out, &n, "kernel stack", r->kstack, REGION_STACK);
	return n;
}

/* ---- inspector record -------------------------------------------------------------------------- */

static void print_hex(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, "%s: 0x%016" PRIx64 "\n", name, v);
}

static void print_range(FILE *out, const char *name, struct lr_range g)
{
	fprintf(out, "%s.lo: 0x%016" PRIx64 "\n", name, g.lo);
	fprintf(out, "%s.hi: 0x%016" PRIx64 "\n", name, g.hi);
}

static const char *task_state_name(uint32_t state)
{
	static const char *const names[] = { "new", "ready", "running", "parked", "faulted" };
	return state < sizeof names / sizeof names[0] ? names[state] : "unknown";
}

static void print_tasks(FILE *out, const struct layout_record *r)
{
	char name[LR_NAME_LEN + 1], key[48];
	for (uint32_t i = 0; i < record_task_count(r); i++) {
		const struct lr_task *t = &r->tasks[i];
		fprintf(out, "task[%u].id: %u\n", i, t->id);
		fprintf(out, "task[%u].name: %s\n", i, task_name(name, t));
		fprintf(out, "task[%u].state: %u (%s)\n", i, t->state, task_state_name(t->state));
		snprintf(key, sizeof key, "task[%u].stack", i);
		print_range(out, key, t->stack);
		snprintf(key, sizeof key, "task[%u].saved_sp", i);
		print_hex(out, key, t->saved_sp);
		snprintf(key, sizeof key, "task[%u].saved_pc", i);
		print_hex(out, key, t->saved_pc);
		snprintf(key, sizeof key, "task[%u].ctx", i);
		print_hex(out, key, t->ctx);
		fprintf(out, "task[%u].depth: %u\n", i, t->depth);
		fprintf(out, "task[%u].depth_reached: %u\n", i, t->depth_reached);
		fprintf(out, "task[%u].switches: %u\n", i, t->switches);
		fprintf(out, "task[%u].preemptions: %u\n", i, t->preemptions);
	}
}

static void print_violations(FILE *out, const struct layout_record *r)
{
	for (uint32_t i = 0; i < record_violations_kept(r); i++) {
		const struct lr_violation *v = &r->violations[i];
		char key[48];
		fprintf(out, "violation[%u].invariant: %u (%s)\n", i, v->invariant, invariant_id(v->invariant));
		fprintf(out, "violation[%u].owner: %u\n", i, v->owner);
		snprintf(key, sizeof key, "violation[%u].addr", i);
		print_hex(out, key, v->addr);
		snprintf(key, sizeof key, "violation[%u].expected", i);
		print_hex(out, key, v->expected);
		snprintf(key, sizeof key, "violation[%u].found", i);
		print_hex(out, key, v->found);
		snprintf(key, sizeof key, "violation[%u].pc", i);
		print_hex(out, key, v->pc);
		fprintf(out, "violation[%u].cause: %u%s\n", i, v->cause, v->cause == LR_CAUSE_CHECK ? " (check)" : "");
	}
}

void record_print(FILE *out, const struct layout_record *r)
{
	print_hex(out, "magic", r->magic);
	fprintf(out, "version: %u\n", r->version);
	fprintf(out, "size: %u\n", r->size);
	fprintf(out, "checksum: 0x%08x\n", r->checksum);
	fprintf(out, "generation: %u\n", r->generation);
	fprintf(out, "flags: 0x%x%s%s\n", r->flags, r->flags & LR_FLAG_READY ? " ready" : "",
		r->flags & LR_FLAG_HALTED ? " halted" : "");
	fprintf(out, "build_id_size: %u\n", r->build_id_size);
	fputs("build_id: ", out);
	for (uint32_t i = 0; i < r->build_id_size && i < LR_BUILD_ID_MAX; i++)
		fprintf(out, "%02x", r->build_id[i]);
	fputc('\n', out);
	print_range(out, "ram", r->ram);
	print_range(out, "dtb", r->dtb);
	print_range(out, "text", r->text);
	print_range(out, "rodata", r->rodata);
	print_range(out, "data", r->data);
	print_range(out, "bss", r->bss);
	print_range(out, "boot_stack", r->boot_stack);
	print_range(out, "padding", r->padding);
	print_range(out, "record", r->record);
	print_range(out, "task_code", r->task_code);
	print_range(out, "free", r->free);
	print_range(out, "kstack", r->kstack);
	print_hex(out, "available", r->available);
	print_hex(out, "kernel_sp", r->kernel_sp);
	print_hex(out, "sentinel", r->sentinel);
	print_hex(out, "paint", r->paint);
	fprintf(out, "image_crc: 0x%08x\n", r->image_crc);
	fprintf(out, "current: %u\n", r->current);
	fprintf(out, "task_count: %u\n", r->task_count);
	fprintf(out, "task_max: %u\n", r->task_max);
	fprintf(out, "violation_count: %u\n", r->violation_count);
	fprintf(out, "violation_max: %u\n", r->violation_max);
	fprintf(out, "tick_us: %u\n", r->tick_us);
	fprintf(out, "pmp_entries: %u\n", r->pmp_entries);
	print_tasks(out, r);
	print_violations(out, r);
}
