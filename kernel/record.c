/*
 * record.c: writes the layout record at RECORD_ADDR, the area the inspector and GDB read.
 * Every change sits between record_begin() and record_end(): the change goes into the draft
 * copy, and record_end() publishes it in one store (lib/lr_publish.c), so a dump taken at any
 * instant of the running kernel finds a complete record.
 */
#include "record.h"
#include "console.h"
#include "platform/fdt.h"

struct lr_area record_area __attribute__((section(".record")));

/* Boundaries exported by linker/kernel.ld.S. */
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
	_data_end[], _bss_start[], _bss_end[], _boot_stack_start[], _boot_stack_end[],
	_image_end[], _record_start[], _record_end[], _build_id_note[], _task_code_start[],
	_task_code_end[];

#define ADDR(sym) ((uint64_t)(uintptr_t)(sym))

static int abandoned; /* the mid-update bug struck: nothing is published any more */

struct layout_record *record_begin(void)
{
	if (abandoned)
		return lr_draft(&record_area);
	struct layout_record *d = lr_begin(&record_area);
	if (!d)
		panic("record_begin", "nested record update");
	return d;
}

void record_end(void)
{
	if (!abandoned)
		lr_publish(&record_area);
}

void record_abandon(void)
{
	record_begin();
	abandoned = 1;
}

void record_tick(void)
{
	lr_tick(&record_area);
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
	lr_area_init(&record_area);
	struct layout_record *r = lr_draft(&record_area);
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
	r->task_code = (struct lr_range){ ADDR(_task_code_start), ADDR(_task_code_end) };
	r->available = m->mem_end;
	r->free = (struct lr_range){ ADDR(_task_code_end), m->mem_end };
	r->sentinel = LR_SENTINEL;
	r->paint = LR_PAINT;
	r->image_crc = record_image_crc();
	r->task_max = LR_MAX_TASKS;
	r->violation_max = LR_MAX_VIOLATIONS;
	lr_publish(&record_area);
}

void record_violation(uint32_t invariant, uint32_t owner, uint64_t addr, uint64_t expected,
		      uint64_t found, uint64_t pc, uint32_t cause)
{
	struct layout_record *r = record_now();
	const char *who = !owner ? "kernel" : owner <= r->task_count ? r->tasks[owner - 1].name : "task";
	if (cause == LR_CAUSE_CHECK)
		kprintf("violation: %s %s (%u) at %lx: expected %lx, found %lx\n",
			lr_invariant_id(invariant), who, owner, addr, expected, found);
	else /* the one console line of a fault the hardware stopped */
		kprintf("fault: %s: %s (%u) stopped at pc %lx: mcause %u, address %lx\n",
			lr_invariant_id(invariant), who, owner, pc, cause, addr);
	r = record_begin();
	if (r->violation_count < LR_MAX_VIOLATIONS)
		r->violations[r->violation_count] =
			(struct lr_violation){ invariant, owner, addr, expected, found, pc, cause, 0 };
	r->violation_count++;
	record_end();
}
