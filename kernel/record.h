/* record.h: the kernel's side of the layout record (record.c). */
#ifndef RECORD_H
#define RECORD_H

#include "layout_record.h"

/* At RECORD_ADDR (the linker script's .record section); written only between begin and end. */
extern struct layout_record layout_record;

struct fdt_memory;
/* Fills the record from the device tree and the linker script's symbols (start.c, boot stack). */
void record_init(const struct fdt_memory *m, uint64_t dtb);
/* An update: generation goes odd, so a dump taken now is recognisable... */
void record_begin(void);
/* ...and even again, with the checksum recomputed. */
void record_end(void);
/* Appends a violation (its own begin/end) and prints it on the console. */
void record_violation(uint32_t invariant, uint32_t owner, uint64_t addr, uint64_t expected,
		      uint64_t found);

/* CRC-32 of the kernel image's text and rodata, as record_init stores it in image_crc. */
uint32_t record_image_crc(void);

#endif
