/*
 * fuzz_kelf.c: libFuzzer target for the kernel-ELF reader (inspector/kelf.c): every input is
 * a file given as --elf. kelf_open validates it; what it accepts is then read the way
 * `inspector sections` and the elf.* checks read it: regions, symbols, build ID, section bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "inspector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static FILE *sink;
	struct kelf k;
	struct kelf_region g[KELF_REGIONS];
	const uint8_t *bytes;
	size_t len;
	uint64_t v;

	if (fd < 0) {
		fd = memfd_create("kernel.elf", MFD_CLOEXEC);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		sink = fopen("/dev/null", "w");
		if (fd < 0 || !sink)
			abort();
	}
	FILE *err = stderr;
	stderr = sink; /* the one-line messages; sanitizer reports go to fd 2 directly */
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (kelf_open(&k, path) == 0) {
		kelf_regions(&k, g);
		kelf_symbol(&k, "_image_end", &v);
		if (kelf_build_id(&k, &bytes, &len) == 0 && len)
			fprintf(sink, "%02x%02x", bytes[0], bytes[len - 1]);
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(k.elf, scn)) != NULL)
			if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
			    kelf_section_bytes(&k, scn, &bytes, &len) == 0 && len)
				fprintf(sink, "%02x%02x", bytes[0], bytes[len - 1]);
	}
	kelf_close(&k);
	stderr = err;
	return 0;
}
