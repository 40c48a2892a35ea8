/* fdt.h: what the kernel learns from the device tree QEMU passes in a1 (platform/fdt.c). */
#ifndef FDT_H
#define FDT_H

#include <stdint.h>

struct fdt_memory {
	uint64_t mem_start;  /* RAM from the /memory node's reg */
	uint64_t mem_end;
	uint64_t dtb_size;   /* the tree's totalsize: where it lies, for the record */
};

/*
 * Reads RAM from the flattened device tree at blob, never past max_size bytes (the kernel
 * passes the RAM left above the tree; host tests pass their buffer's size).
 * Returns NULL, or a one-line reason the tree cannot be used.
 */
const char *fdt_memory(const void *blob, uint64_t max_size, struct fdt_memory *out);

#endif
