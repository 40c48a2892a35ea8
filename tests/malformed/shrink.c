/*
 * shrink.c: a dump that changes under the inspector, made deterministic. The real inspector
 * cannot be paused between mapping a dump and reading it, so this drives the same library:
 *   malformed_shrink shrink DUMP   open, cut the file to 4 KiB, read the record: SIGBUS there
 *                                  must become exit 2 and "the file shrank while being read"
 *   malformed_shrink touch DUMP    open, set the file's mtime, read: dump_unchanged() must
 *                                  say "changed while being read", exit 2
 * Exit 3 means the change went unnoticed. DUMP is overwritten: pass a copy.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inspector.h"

int main(int argc, char **argv)
{
	struct dump d;
	struct kl_session *kl;
	if (argc != 3 || (strcmp(argv[1], "shrink") != 0 && strcmp(argv[1], "touch") != 0)) {
		fprintf(stderr, "usage: %s shrink|touch DUMP\n", argv[0]);
		return 64;
	}
	if (dump_open(&d, argv[2], RAM_BASE) != 0)
		return 2;
	if (strcmp(argv[1], "shrink") == 0) {
		if (truncate(argv[2], 4096) != 0)
			return perror("truncate"), 64;
	} else {
		const struct timespec t[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };
		if (utimensat(AT_FDCWD, argv[2], t, 0) != 0)
			return perror("utimensat"), 64;
	}
	/* The engine reads the record through the dump's mapping, as the inspector does. */
	kl = engine_on_dump(&d);
	if (!kl || kl_load(kl) != 0 || dump_unchanged(&d) != 0) {
		kl_close(kl);
		dump_close(&d);
		return 2;
	}
	kl_close(kl);
	dump_close(&d);
	return 3;
}
