/*
 * record.c: the layout record at RECORD_ADDR, found without the ELF (the address is fixed by
 * memlayout.h), and its regions in the document's order (include/lr_regions.h).
 */
#include <inttypes.h>
#include <string.h>
#include "engine.h"

int record_publication(const struct kl_session *s, struct lr_publication *pub)
{
	return kl_read(s, RECORD_ADDR, pub, sizeof *pub);
}

/*
 * Version 2: the publication block at RECORD_ADDR names the complete copy (docs/layout-record.md).
 * A block this reader does not know leaves its magic, version and size in *r for the header
 * checks to report; a block naming no copy (published > 1) reads as a record of size 0.
 * *addr: where the copy was read (RECORD_ADDR when none was).
 */
int record_find(const struct kl_session *s, struct layout_record *r, uint64_t *addr)
{
	struct lr_publication pub;
	*addr = RECORD_ADDR;
	if (record_publication(s, &pub) != 0)
		return fail(kl_name(s), "no RAM at the record address 0x%lx (the %s lacks the record page)",
			    (unsigned long)RECORD_ADDR, kl_live(s) ? "target" : "dump");
	memset(r, 0, sizeof *r);
	if (pub.magic != LR_MAGIC || pub.version != LR_VERSION || pub.size != sizeof *r || pub.published > 1) {
		r->magic = pub.magic;
		r->version = pub.version;
		r->size = pub.published > 1 ? 0 : pub.size;
		return 0;
	}
	*addr = LR_COPY_ADDR(pub.published);
	/* A copy: the mapping has no alignment guarantee and checks must not race a rewrite. */
	if (kl_read(s, *addr, r, sizeof *r) != 0)
		return fail(kl_name(s), "no RAM at the published record copy 0x%lx", (unsigned long)*addr);
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
	/* The image's first region starts the layout; small gaps are allowed between the others. */
#define IMAGE_REGION(field, name, first, last, label, start, end) \
	region_add(out, &n, name, r->field, n ? REGION_IMAGE : REGION_PLAIN);
	LR_IMAGE_REGIONS(IMAGE_REGION)
#undef IMAGE_REGION
#define MIDDLE_REGION(field, name) region_add(out, &n, name, r->field, REGION_PLAIN);
	LR_MIDDLE_REGIONS(MIDDLE_REGION)
#undef MIDDLE_REGION
	/* Each task is allocated below the previous one: the last created is the lowest. */
	for (uint32_t i = record_task_count(r); i-- > 0;) {
		snprintf(label, sizeof label, "task %u '%s'", r->tasks[i].id, task_name(name, &r->tasks[i]));
		region_add(out, &n, label, r->tasks[i].stack, REGION_STACK);
	}
	region_add(out, &n, LR_KSTACK_REGION, r->kstack, REGION_STACK);
	return n;
}
