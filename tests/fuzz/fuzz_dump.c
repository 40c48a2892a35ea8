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
#include "diagram.h"

#define FUZZ_RAW_BASE (RECORD_ADDR - 256)

static void emit_nothing(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* Everything `inspector check --format json --elf-less` and `diagram` do after opening. */
static void inspect(const struct dump *d, FILE *sink)
{
	static struct layout_record r;
	static struct stack_info stacks[STACKS_MAX];
	static struct report rep;
	struct stack_usage usage[STACKS_MAX];
	size_t n = 0;

	if (record_find(d, &r) != 0)
		return;
	if (record_header_ok(&r) == 0)
		n = stacks_measure(d, &r, stacks);
	report_init(&rep);
	struct check_ctx ctx = { .d = d, .r = &r, .min_headroom = 10, .stacks = stacks,
				 .nstacks = n, .rep = &rep };
	check_run(&ctx);
	struct check_view view = { .dump_path = "fuzz", .d = d, .r = &r, .stacks = stacks,
				   .nstacks = n, .rep = &rep, .verbose = 1 };
	out_check_json(sink, &view);
	out_check_junit(sink, &view);
	out_check_text(sink, &view);
	record_print(sink, &r);
	if (n) {
		for (size_t i = 0; i < n; i++)
			usage[i] = (struct stack_usage){ stacks[i].have_paint, stacks[i].high_water };
		diagram_draw(&r, &usage[0], &usage[1], emit_nothing, NULL);
		out_stacks_text(sink, stacks, n);
	}
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
	 * The inspector's one-line messages (fprintf to stderr) go nowhere; the sanitizers write to
	 * fd 2 directly, so their reports still show.
	 */
	FILE *err = stderr;
	stderr = sink;
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (dump_open(&d, path, FUZZ_RAW_BASE) == 0)
		inspect(&d, sink);
	dump_close(&d);
	stderr = err;
	return 0;
}
