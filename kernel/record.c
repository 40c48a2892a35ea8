/*
 * record.c: writes the layout record at RECORD_ADDR, the page the inspector and GDB read.
 * Every change sits between record_begin() and record_end(): the generation is odd in between,
 * so a dump taken mid-update says so instead of showing half a truth.
 */
#include "record.h"
#include "console.h"
#include "platform/fdt.h"

struct layout_record layout_record __attribute__((section(".record")));

/* Boundaries exported by linker/kernel.ld.S. */
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
	_data_end[], _bss_start[], _bss_end[], _boot_stack_start[], _boot_stack_end[],
	_image_end[], _record_start[], _record_end[], _build_id_note[];

#define ADDR(sym) ((uint64_t)(uintptr_t)(sym))

static void barrier(void)
{
	asm volatile("" ::: "memory"); /* one hart: program order is what a dump sees */
}

void record_begin(void)
{
	if (layout_record.generation & 1)
		panic("record_begin", "nested record update");
	layout_record.generation++;
	barrier();
}

void record_end(void)
{
	struct layout_record *r = &layout_record;
	barrier();
	r->checksum = lr_checksum_as(r, sizeof *r, r->generation + 1);
	barrier();
	r->generation++;
}

uint32_t record_image_crc(void)
{
	return crc32_update(0, _text_start, (size_t)(_rodata_end - _text_start));
}

/* The GNU build-id note: namesz, descsz, type, "GNU\0", then the id itself. */
static void record_build_id(struct layout_record *r)
{
	const uint32_t *note = (const uint32_t *)_build_id_note;
	uint32_t namesz = note[0], descsz = note[1];
	const uint8_t *desc = (const uint8_t *)(note + 3) + ((namesz + 3) & ~3u);
	if (descsz > LR_BUILD_ID_MAX)
		descsz = LR_BUILD_ID_MAX;
	for (uint32_t i = 0; i < descsz; i++)
		r->build_id[i] = desc[i];
	r->build_id_size = descsz;
}

void record_init(const struct fdt_memory *m, uint64_t dtb)
{
	struct layout_record *r = &layout_record;
	volatile uint8_t *p = (volatile uint8_t *)r;
	for (size_t i = 0; i < sizeof *r; i++)
		p[i] = 0;
	r->generation = 1; /* odd from the first byte written */
	r->magic = LR_MAGIC;
	r->version = LR_VERSION;
	r->size = sizeof *r;
	record_build_id(r);
	r->ram = (struct lr_range){ m->mem_start, m->mem_end };
	r->dtb = (struct lr_range){ dtb, dtb + m->dtb_size };
	r->text = (struct lr_range){ ADDR(_text_start), ADDR(_text_end) };
	r->rodata = (struct lr_range){ ADDR(_rodata_start), ADDR(_rodata_end) };
	r->data = (struct lr_range){ ADDR(_data_start), ADDR(_data_end) };
	r->bss = (struct lr_range){ ADDR(_bss_start), ADDR(_bss_end) };
	r->boot_stack = (struct lr_range){ ADDR(_boot_stack_start), ADDR(_boot_stack_end) };
	r->padding = (struct lr_range){ ADDR(_image_end), ADDR(_record_start) };
	r->record = (struct lr_range){ ADDR(_record_start), ADDR(_record_end) };
	r->available = m->mem_end;
	r->free = (struct lr_range){ ADDR(_record_end), m->mem_end };
	r->sentinel = LR_SENTINEL;
	r->paint = LR_PAINT;
	r->image_crc = record_image_crc();
	r->task_max = LR_MAX_TASKS;
	r->violation_max = LR_MAX_VIOLATIONS;
	record_end();
}

void record_violation(uint32_t invariant, uint32_t owner, uint64_t addr, uint64_t expected,
		      uint64_t found)
{
	struct layout_record *r = &layout_record;
	const char *who = !owner ? "kernel" : owner <= r->task_count ? r->tasks[owner - 1].name : "task";
	kprintf("violation: %s %s (%u) at %lx: expected %lx, found %lx\n", lr_invariant_id(invariant),
		who, owner, addr, expected, found);
	record_begin();
	if (r->violation_count < LR_MAX_VIOLATIONS)
		r->violations[r->violation_count] =
			(struct lr_violation){ invariant, owner, addr, expected, found };
	r->violation_count++;
	record_end();
}
