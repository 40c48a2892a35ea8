/*
 * util.c: the engine's one-line error messages and the small formatters every output shares.
 * Messages follow readelf: "inspector: 'FILE': what went wrong[: libelf's reason]", under the
 * program name the front end set; the last one is kept for front ends without a stderr (GDB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <string.h>
#include <libelf.h>
#include "klayout.h"

static const char *program = "klayout";
/* The last message, for front ends that must say why without a stderr (GDB, JSON on exit 2). */
static char last_message[512];

void kl_set_program(const char *name)
{
	program = name;
}

static void vmessage(const char *file, const char *reason, const char *fmt, va_list ap)
{
	size_t used = 0;
	if (file)
		used = (size_t)snprintf(last_message, sizeof last_message, "'%s': ", file);
	if (used < sizeof last_message)
		used += (size_t)vsnprintf(last_message + used, sizeof last_message - used, fmt, ap);
	if (reason && used < sizeof last_message)
		snprintf(last_message + used, sizeof last_message - used, ": %s", reason);
	if (program)
		fprintf(stderr, "%s: %s\n", program, last_message);
}

const char *fail_last(void)
{
	return last_message[0] ? last_message : "the input could not be used";
}

const char *kl_last_error(void)
{
	return last_message;
}

size_t utf8_seq(const unsigned char *s)
{
	/* Well-formed sequences as Unicode's table 3-7 gives them: no overlongs, no surrogates. */
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

int fail(const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(file, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_elf(const char *file, const char *fmt, ...)
{
	/* Fetch the reason first: nothing below may reset libelf's error. */
	const char *reason = elf_errmsg(-1);
	va_list ap;
	va_start(ap, fmt);
	vmessage(file, reason ? reason : "unknown libelf error", fmt, ap);
	va_end(ap);
	return -1;
}

char *hex_bytes(char *buf, size_t len, const uint8_t *bytes, size_t n)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && used + 3 <= len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%02x", bytes[i]);
	return buf;
}

char *hex64(char *buf, uint64_t v)
{
	snprintf(buf, 19, "0x%016" PRIx64, v);
	return buf;
}

char *range_str(char *buf, size_t len, struct lr_range g)
{
	snprintf(buf, len, "[0x%" PRIx64 ", 0x%" PRIx64 ")", g.lo, g.hi);
	return buf;
}

char *task_name(char *buf, const struct lr_task *t)
{
	size_t i;
	/* The field is NUL-padded but need not be NUL-terminated; a dump may hold anything. */
	for (i = 0; i < LR_NAME_LEN && t->name[i]; i++) {
		unsigned char c = (unsigned char)t->name[i];
		buf[i] = (c >= 0x20 && c < 0x7f && c != '\'' && c != '"' && c != '\\') ? (char)c : '?';
	}
	buf[i] = 0;
	return buf;
}

const char *kl_task_name_bytes(const char *field)
{
	static char buf[LR_NAME_LEN + 1];
	struct lr_task t;
	memcpy(t.name, field, LR_NAME_LEN);
	return task_name(buf, &t);
}

/* The text column of LR_INVARIANTS (the header has the ids): never retyped here. */
#define INV_TEXT(name, id, text) text,
static const char *const inv_texts[] = { LR_INVARIANTS(INV_TEXT) };
#undef INV_TEXT

const char *invariant_id(unsigned inv)
{
	return lr_invariant_id(inv);
}

const char *invariant_text(unsigned inv)
{
	return inv < LR_INV_COUNT ? inv_texts[inv] : "an invariant this reader does not know";
}

/* What a path is when it is not a regular file, for the one-line refusal. */
static const char *file_kind(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO or pipe" : S_ISDIR(mode) ? "a directory" :
	       S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" :
	       S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

int input_open(const char *path, int *fd, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; nothing is read before S_ISREG. */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (*fd < 0)
		return fail(path, "cannot open: %s", strerror(errno));
	if (fstat(*fd, st) != 0)
		return fail(path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st->st_mode))
		return fail(path, "%s: only regular files are read", file_kind(st->st_mode));
	return 0;
}
