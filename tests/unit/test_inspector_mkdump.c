/*
 * test_inspector_mkdump.c: writes the fixture's good dumps into a directory, for the golden
 * tests (tests/inspector/golden.sh) and for trying the inspector by hand:
 *   build/test_inspector_mkdump DIR  ->  DIR/good.bin (raw), DIR/good.core (ELF core),
 *                                        DIR/kernel.elf (the matching kernel ELF),
 *                                        DIR/overflow.core (task 2 overflowed: fx_overflow)
 *                                        DIR/obj/, DIR/stacks.budget (its static stack analysis)
 *                                        DIR/corpus/seed.raw, seed.core (libFuzzer seeds:
 *                                        the record alone, from RECORD_ADDR - 256)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "test_inspector_fixture.h"

static int write_all(struct fixture *f, const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/good.bin", dir);
	if (fx_write_raw(f, path, 0) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/good.core", dir);
	if (fx_write_core(f, path) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/kernel.elf", dir);
	if (fx_write_kelf(f, path) != 0 || fx_write_budget(f, dir) != 0)
		return -1;
	/* tests/inspector/fuzz_dump.c reads raw inputs as starting at RECORD_ADDR - 256. */
	const uint64_t lo = RECORD_ADDR - 256, size = 256 + sizeof(struct lr_area);
	snprintf(path, sizeof path, "%s/corpus", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/corpus/seed.raw", dir);
	if (fx_write_bytes(path, fx_phys(f, lo), size) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/corpus/seed.core", dir);
	return fx_write_core_part(f, path, lo, size);
}

int main(int argc, char **argv)
{
	struct fixture f;
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 64;
	}
	mkdir(argv[1], 0755);
	fx_init(&f);
	int rc = write_all(&f, argv[1]);
	if (rc == 0) {
		char path[512];
		snprintf(path, sizeof path, "%s/overflow.core", argv[1]);
		fx_overflow(&f, 2);
		rc = fx_write_core(&f, path);
	}
	if (rc != 0)
		perror(argv[1]);
	fx_free(&f);
	return rc ? 1 : 0;
}
