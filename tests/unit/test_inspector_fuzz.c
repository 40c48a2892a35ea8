/*
 * test_inspector_fuzz.c: random corruption of good dumps, FUZZ_RUNS times (default 300): bytes
 * flipped where the parser looks (ELF header, program headers, notes, the record, the stacks'
 * lo words) and random truncations. Every run must end with exit 0, 1 or 2, never a signal
 * (run it against the sanitizer build: make test-inspector-fuzz). FUZZ_SEED repeats a run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "test_inspector_fixture.h"

static char out[65536];
static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13; /* xorshift64: reproducible from FUZZ_SEED */
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Where corruption is interesting, as offsets into the file. */
static uint64_t hot_offset(const struct fixture *f, int core, uint64_t size)
{
	uint64_t ram = core ? size - FX_RAM_SIZE : 0; /* the core's RAM is its last segment */
	switch (next() % 4) {
	case 0:
		return core ? next() % 0x300 : next() % size;           /* headers, notes */
	case 1:
		return ram + (RECORD_ADDR - RAM_BASE) + next() % sizeof(struct lr_area); /* the record */
	case 2:
		return ram + (f->rec->tasks[next() % 3].stack.lo - RAM_BASE) + next() % 16;
	default:
		return next() % size;
	}
}

static int corrupt_one(struct fixture *f, int core)
{
	char path[160], cmd[256];
	static const char *const commands[] = { "check", "check --format json", "diagram", "stacks",
						"record", "check --format junit --min-headroom 10" };
	snprintf(path, sizeof path, "%s", fx_file(f, core ? "fuzz.core" : "fuzz.bin"));
	if ((core ? fx_write_core(f, path) : fx_write_raw(f, path, 0)) != 0)
		return -1;
	FILE *fp = fopen(path, "r+b");
	if (!fp || fseek(fp, 0, SEEK_END) != 0)
		return -1;
	uint64_t size = (uint64_t)ftell(fp);
	for (int n = 1 + (int)(next() % 8); n > 0; n--) {
		uint8_t b = (uint8_t)next();
		if (fseek(fp, (long)hot_offset(f, core, size), SEEK_SET) != 0 || fwrite(&b, 1, 1, fp) != 1)
			return -1;
	}
	if (fclose(fp) != 0)
		return -1;
	if (next() % 5 == 0 && truncate(path, (off_t)(next() % size)) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", commands[next() % 6], path);
	return fx_run(out, sizeof out, "%s", cmd);
}

static void corrupted_dumps_never_crash(void **state)
{
	(void)state;
	const char *runs_env = getenv("FUZZ_RUNS"), *seed_env = getenv("FUZZ_SEED");
	long runs = runs_env ? atol(runs_env) : 300;
	struct fixture f;
	long exits[3] = { 0, 0, 0 };
	rng = seed_env ? strtoull(seed_env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	fx_init(&f);
	for (long i = 0; i < runs; i++) {
		uint64_t seed = rng;
		int rc = corrupt_one(&f, (int)(i & 1));
		if (rc < 0 || rc > 2)
			fail_msg("run %ld (FUZZ_SEED=%#llx): exit %d", i, (unsigned long long)seed, rc);
		exits[rc]++;
	}
	/* Shows the mix is useful: mostly violations found, some unusable files, a few clean. */
	print_message("%ld runs: %ld exit 0, %ld exit 1, %ld exit 2\n", runs, exits[0], exits[1], exits[2]);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corrupted_dumps_never_crash),
	};
	return cmocka_run_group_tests_name("inspector fuzz", tests, NULL, NULL);
}
