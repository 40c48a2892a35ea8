/*
 * fuzz_dump.c: libFuzzer target for the dump reader and the checks (make fuzz, tests/fuzz/fuzz.mk).
 * Each input is a dump file: an ELF core if it starts with the ELF magic, else a raw image whose
 * first byte is RECORD_ADDR - 256, so a small input already holds a record to decode. The input
 * goes through a memfd, since dump_open() takes a path, as the inspector's users give it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "inspector.h"

#define FUZZ_RAW_BASE (RECORD_ADDR - 256)


/* Everything `inspector check --format json --elf-less` and `diagram` do after opening. */
static void inspect(const struct dump *d, FILE *sink)
{
	struct kl_session *s = engine_on_dump(d);
	const struct stack_info *stacks;

	if (!s || kl_load(s) != 0) {
		kl_close(s);
		return;
	}
	const struct report *rep = kl_check(s, 10);
	size_t n = kl_stacks(s, &stacks);
	struct check_view view = { .dump_path = "fuzz", .d = d, .r = kl_record(s), .stacks = stacks,
				   .nstacks = n, .rep = rep, .verbose = 1 };
	out_check_json(sink, &view);
	out_check_junit(sink, &view);
	out_check_text(sink, &view);
	record_print(sink, kl_record(s));
	if (n) {
		kl_diagram_print(sink, s);
		out_stacks_text(sink, stacks, n);
	}
	kl_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static FILE *sink;
	struct dump d;

	if (fd < 0) {
		fd = memfd_create("dump", MFD_CLOEXEC);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		sink = fopen("/dev/null", "w");
		if (fd < 0 || !sink)
			abort();
	}
	/*
	 * The engine keeps its one-line messages instead of printing them; the sanitizers write to
	 * fd 2 directly, so their reports still show.
	 */
	kl_set_program(NULL);
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (dump_open(&d, path, FUZZ_RAW_BASE) == 0)
		inspect(&d, sink);
	dump_close(&d);
	return 0;
}
