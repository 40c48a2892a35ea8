/*
 * lr_publish.c: the record's publication protocol (docs/layout-record.md), built for the kernel
 * and for the host tests (tests/unit/test_publish.c). Two copies follow the publication block;
 * the kernel writes the one that is not published and publishes it with one aligned 32-bit
 * store, so a dump taken between any two instructions finds copy[published] complete.
 *
 *   begin:    pending_since = heartbeat; generation odd; draft = copy of the published copy
 *   (fields change in the draft only)
 *   publish:  draft's generation and checksum; published = draft; generation even
 *
 * One hart, and the kernel is never interrupted: program order is what a dump sees, so a
 * compiler barrier is all the ordering needed.
 */
#include "layout_record.h"

#define BARRIER() __asm__ volatile("" ::: "memory")

void lr_area_init(struct lr_area *a)
{
	volatile uint8_t *p = (volatile uint8_t *)a;
	for (size_t i = 0; i < sizeof *a; i++)
		p[i] = 0;
	a->pub.generation = 1;                /* pending from the first byte: copy 0 is being built */
	a->pub.published = 1;                 /* so that copy 0 is the draft */
	BARRIER();
	a->pub.size = sizeof(struct layout_record);
	a->pub.copy_offset = sizeof(struct lr_publication);
	a->pub.version = LR_VERSION;
	a->pub.magic = LR_MAGIC;
}

struct layout_record *lr_draft(struct lr_area *a)
{
	return &a->copy[a->pub.published ^ 1];
}

struct layout_record *lr_begin(struct lr_area *a)
{
	struct lr_publication *p = &a->pub;
	if (p->generation & 1)
		return 0;
	p->pending_since = p->heartbeat;
	BARRIER();
	p->generation++;
	BARRIER();
	struct layout_record *d = lr_draft(a);
	const uint64_t *src = (const uint64_t *)&a->copy[p->published];
	uint64_t *dst = (uint64_t *)d;
	for (size_t i = 0; i < sizeof *d / 8; i++)
		dst[i] = src[i];
	return d;
}

void lr_publish(struct lr_area *a)
{
	struct lr_publication *p = &a->pub;
	struct layout_record *d = lr_draft(a);
	d->generation = p->generation + 1;
	d->checksum = lr_checksum_as(d, sizeof *d, d->generation);
	BARRIER();
	*(volatile uint32_t *)&p->published = p->published ^ 1;   /* the instant it is published */
	BARRIER();
	p->generation++;
}

void lr_tick(struct lr_area *a)
{
	*(volatile uint64_t *)&a->pub.heartbeat = a->pub.heartbeat + 1;
}

void lr_discard(struct lr_area *a)
{
	if (a->pub.generation & 1)
		a->pub.generation++;   /* the draft is dropped; the published copy never changed */
}
