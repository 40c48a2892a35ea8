/*
 * fuzz_fdt.c: libFuzzer target for the kernel's device-tree reader (kernel/platform/fdt.c),
 * compiled for the host as tests/unit/test_fdt.c does. The kernel passes the RAM left above the
 * tree as max_size; here it is the input's exact size, in an exact-size copy so ASan sees any
 * read past it. What it accepts must be a non-empty, non-wrapping RAM inside the tree's size.
 */
#include <stdlib.h>
#include <string.h>
#include "platform/fdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdt_memory m;
	uint8_t *blob = malloc(size ? size : 1);
	if (!blob)
		abort();
	memcpy(blob, data, size);
	if (fdt_memory(blob, size, &m) == NULL) {
		if (m.mem_end <= m.mem_start || m.dtb_size > size)
			abort();
	}
	free(blob);
	return 0;
}
