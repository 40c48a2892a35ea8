/* record.h: the kernel's side of the layout record (record.c) and its publication (lib/lr_publish.c). */
#ifndef RECORD_H
#define RECORD_H

#include "layout_record.h"

/* At RECORD_ADDR (the linker script's .record section): the publication block and two copies. */
extern struct lr_area record_area;

/* The record as it stands: the draft while an update is pending, else the published copy. */
static inline struct layout_record *record_now(void)
{
	struct lr_area *a = &record_area;
	return (a->pub.generation & 1) ? lr_draft(a) : &a->copy[a->pub.published];
}

struct fdt_memory;
/* Fills the record from the device tree and the linker script's symbols (start.c, boot stack). */
void record_init(const struct fdt_memory *m, uint64_t dtb);
/* An update: returns the draft to change; nothing a reader sees changes until... */
struct layout_record *record_begin(void);
/* ...record_end() publishes it in one store. */
void record_end(void);
/* The mid-update bug: an update begins and is never published; the kernel runs on. */
void record_abandon(void);
/* A timer tick: the heartbeat that tells an abandoned update from one in progress. */
void record_tick(void);
/* Appends a violation (its own update) and prints it on the console. */
void record_violation(uint32_t invariant, uint32_t owner, uint64_t addr, uint64_t expected,
		      uint64_t found, uint64_t pc, uint32_t cause);

/* CRC-32 of the kernel image's text and rodata, as record_init stores it in image_crc. */
uint32_t record_image_crc(void);

#endif
