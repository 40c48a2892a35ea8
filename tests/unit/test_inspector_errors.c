/*
 * test_inspector_errors.c: inputs the inspector cannot use (exit 2, one line quoting the file)
 * and bad usage (exit 64), plus --help/--version (exit 0) and the promise that dumps are only
 * read: a 0400 dump is checked and left byte for byte as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <elf.h>
#include <cmocka.h>
#include "test_inspector_fixture.h"

static char out[65536];

/* Runs with stdout discarded: what is left is the error message alone. */
static int run_stderr(const char *args)
{
	return fx_run(out, sizeof out, "%s 2>&1 >/dev/null", args);
}

static void assert_one_line(const char *file, const char *message)
{
	char want[512];
	snprintf(want, sizeof want, "inspector: '%s': %s", file, message);
	if (strncmp(out, want, strlen(want)) != 0 || fx_count_lines(out, "") != 1)
		print_error("want \"%s...\" on one line, got:\n%s", want, out);
	assert_int_equal(strncmp(out, want, strlen(want)), 0);
	assert_int_equal(fx_count_lines(out, ""), 1);
}

struct unusable {
	const char *name;         /* the file written in the fixture's dir */
	int (*make)(struct fixture *f, const char *path);
	const char *message;      /* the message after "inspector: 'PATH': " */
};

static int make_nothing(struct fixture *f, const char *path) { (void)f; (void)path; return 0; }
static int make_empty(struct fixture *f, const char *path) { (void)f; return fx_write_bytes(path, "", 0); }

static int make_cut_core(struct fixture *f, const char *path)
{
	int rc = fx_write_core(f, path);
	return rc ? rc : truncate(path, FX_RAM_SIZE / 2);
}

static int make_load_past_end(struct fixture *f, const char *path)
{
	Elf64_Phdr ph;
	FILE *fp;
	if (fx_write_core(f, path) != 0 || !(fp = fopen(path, "r+b")))
		return -1;
	/* The third program header is RAM's: point it 1 GiB past the file's end. */
	long at = (long)(sizeof(Elf64_Ehdr) + 2 * sizeof ph);
	int bad = fseek(fp, at, SEEK_SET) || fread(&ph, sizeof ph, 1, fp) != 1;
	ph.p_offset = 1ULL << 30;
	bad = bad || fseek(fp, at, SEEK_SET) || fwrite(&ph, sizeof ph, 1, fp) != 1;
	return fclose(fp) || bad ? -1 : 0;
}

static int make_no_record(struct fixture *f, const char *path)
{
	return fx_write_raw(f, path, RECORD_ADDR - RAM_BASE); /* ends where the record starts */
}

static int make_cut_header(struct fixture *f, const char *path)
{
	int rc = fx_write_core(f, path);
	return rc ? rc : truncate(path, 40);
}

/* Overwrites len bytes at off of the file. */
static int patch(const char *path, long off, const void *bytes, size_t len)
{
	FILE *fp = fopen(path, "r+b");
	if (!fp)
		return -1;
	int bad = fseek(fp, off, SEEK_SET) || fwrite(bytes, len, 1, fp) != 1;
	return fclose(fp) || bad ? -1 : 0;
}

static int patch16(const char *path, long off, uint16_t v) { return patch(path, off, &v, 2); }
static int patch64(const char *path, long off, uint64_t v) { return patch(path, off, &v, 8); }

/* The fixture core's program headers: [0] PT_NOTE, [1] the ROM's PT_LOAD, [2] RAM's. */
#define PHDR(i, field) ((long)(sizeof(Elf64_Ehdr) + (i) * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, field)))
#define EHDR(field) ((long)offsetof(Elf64_Ehdr, field))

static int make_x86_core(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch16(path, EHDR(e_machine), EM_X86_64);
}

static int make_phentsize_0(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch16(path, EHDR(e_phentsize), 0);
}

static int make_phoff_past_end(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch64(path, EHDR(e_phoff), FX_RAM_SIZE * 2);
}

static int make_filesz_over_memsz(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch64(path, PHDR(2, p_memsz), FX_RAM_SIZE - 1);
}

/* The ROM's 0x100 bytes moved to end one byte inside RAM. */
static int make_overlap_by_one(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch64(path, PHDR(1, p_paddr), RAM_BASE - 0x100 + 1);
}

static int make_wrapping_load(struct fixture *f, const char *path)
{
	return fx_write_core(f, path) || patch64(path, PHDR(1, p_paddr), UINT64_MAX - 0x100 + 2);
}

static const struct unusable dumps[] = {
	{ "missing.bin", make_nothing, "cannot open: No such file or directory" },
	{ "empty.bin", make_empty, "empty file" },
	{ "cut.core", make_cut_core, "truncated PT_LOAD at offset 0x" },
	{ "past-end.core", make_load_past_end, "truncated PT_LOAD at offset 0x" },
	{ "cut-header.core", make_cut_header, "not a 64-bit little-endian ELF core" },
	{ "no-record.bin", make_no_record, "no RAM at the record address 0x80100000" },
	{ "x86.core", make_x86_core, "not a RISC-V core (e_machine 62, not 243)" },
	{ "phentsize0.core", make_phentsize_0, "e_phentsize 0, not 56" },
	{ "phoff.core", make_phoff_past_end, "truncated program header table at offset 0x800000" },
	{ "filesz.core", make_filesz_over_memsz, "PT_LOAD at offset 0x" },
	{ "overlap.core", make_overlap_by_one, "ambiguous dump: PT_LOADs at physical 0x7fffff01 and 0x80000000 overlap" },
	{ "wrap.core", make_wrapping_load, "segment at physical 0xffffffffffffff01 wraps around" },
};

/* Segments that touch without overlapping, and one ending at the top of the address space. */
static void adjacent_segments_are_one_dump(void **state)
{
	(void)state;
	struct fixture f;
	char path[160], args[256];
	fx_init(&f);
	snprintf(path, sizeof path, "%s", fx_file(&f, "touching.core"));
	assert_int_equal(fx_write_core(&f, path), 0);
	assert_int_equal(patch64(path, PHDR(1, p_paddr), RAM_BASE - 0x100), 0);
	snprintf(args, sizeof args, "check %s", path);
	assert_int_equal(run_stderr(args), 0);
	assert_int_equal(patch64(path, PHDR(1, p_paddr), UINT64_MAX - 0x100 + 1), 0);
	assert_int_equal(run_stderr(args), 0);
	fx_free(&f);
}

struct broken_kelf {
	const char *message;
	long off;          /* what to overwrite, -1: cut the file to `value` bytes */
	int width;         /* 2 or 8 bytes */
	uint64_t value;
};

/* The fixture's kernel ELF: 10 sections, .shstrtab last; its section headers end the file. */
#define SHDR(i, field) (-1000 - (long)((i) * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, field)))

static void broken_kernel_elfs_exit_2(void **state)
{
	(void)state;
	static const struct broken_kelf cases[] = {
		{ "truncated ELF header (40 bytes, not 64)", -1, 0, 40 },
		{ "truncated section header table", -1, 0, 4096 },
		{ "not a RISC-V ELF file (e_machine 62, not 243)", EHDR(e_machine), 2, EM_X86_64 },
		{ "bad e_shstrndx 10 (10 sections)", EHDR(e_shstrndx), 2, 10 },
		{ "bad e_shstrndx 0", EHDR(e_shstrndx), 2, 0 },
		{ "bad e_shstrndx 1: section type 1, not a string table", EHDR(e_shstrndx), 2, 1 },
		{ "e_shentsize 40, not 64", EHDR(e_shentsize), 2, 40 },
		{ "section 1 at offset 0x", SHDR(1, sh_offset), 8, 1ULL << 40 },
		{ "symbol table 7: entry size 0", SHDR(7, sh_entsize), 8, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fixture f;
		char dump[160], kelf[160], args[400];
		struct stat st;
		fx_init(&f);
		snprintf(dump, sizeof dump, "%s", fx_file(&f, "good.bin"));
		snprintf(kelf, sizeof kelf, "%s", fx_file(&f, "kernel.elf"));
		assert_int_equal(fx_write_raw(&f, dump, 0), 0);
		assert_int_equal(fx_write_kelf(&f, kelf), 0);
		assert_int_equal(stat(kelf, &st), 0);
		const struct broken_kelf *c = &cases[i];
		long shoff = (long)st.st_size - 10 * (long)sizeof(Elf64_Shdr);
		long off = c->off <= -1000 ? shoff + (-1000 - c->off) : c->off;
		if (c->off == -1)
			assert_int_equal(truncate(kelf, (off_t)c->value), 0);
		else if (c->width == 2)
			assert_int_equal(patch16(kelf, off, (uint16_t)c->value), 0);
		else
			assert_int_equal(patch64(kelf, off, c->value), 0);
		snprintf(args, sizeof args, "check %s --elf %s", dump, kelf);
		assert_int_equal(run_stderr(args), 2);
		assert_one_line(kelf, c->message);
		fx_free(&f);
	}
}

/* A section that ends exactly at the end of the file is read; one byte more is not. */
static void section_up_to_the_end_of_the_file(void **state)
{
	(void)state;
	struct fixture f;
	char dump[160], kelf[160], args[400];
	struct stat st;
	fx_init(&f);
	snprintf(dump, sizeof dump, "%s", fx_file(&f, "good.bin"));
	snprintf(kelf, sizeof kelf, "%s", fx_file(&f, "kernel.elf"));
	assert_int_equal(fx_write_raw(&f, dump, 0), 0);
	assert_int_equal(fx_write_kelf(&f, kelf), 0);
	assert_int_equal(stat(kelf, &st), 0);
	long shoff = (long)st.st_size - 10 * (long)sizeof(Elf64_Shdr);
	/* .strtab (8) grows to the file's end: still inside it. */
	long at = shoff + 8 * (long)sizeof(Elf64_Shdr);
	Elf64_Shdr sh;
	FILE *fp = fopen(kelf, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, at, SEEK_SET), 0);
	assert_int_equal(fread(&sh, sizeof sh, 1, fp), 1);
	fclose(fp);
	assert_int_equal(patch64(kelf, at + (long)offsetof(Elf64_Shdr, sh_size), (uint64_t)st.st_size - sh.sh_offset), 0);
	snprintf(args, sizeof args, "check %s --elf %s", dump, kelf);
	assert_int_equal(run_stderr(args), 0);
	assert_int_equal(patch64(kelf, at + (long)offsetof(Elf64_Shdr, sh_size), (uint64_t)st.st_size - sh.sh_offset + 1), 0);
	assert_int_equal(run_stderr(args), 2);
	assert_one_line(kelf, "section 8 at offset 0x");
	fx_free(&f);
}

static void unusable_dumps_exit_2_with_one_line(void **state)
{
	(void)state;
	static const char *const commands[] = { "check", "diagram", "stacks", "record" };
	for (size_t i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
		struct fixture f;
		char path[160], args[256];
		fx_init(&f);
		snprintf(path, sizeof path, "%s", fx_file(&f, dumps[i].name));
		assert_int_equal(dumps[i].make(&f, path), 0);
		for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
			snprintf(args, sizeof args, "%s %s", commands[c], path);
			assert_int_equal(run_stderr(args), 2);
			assert_one_line(path, dumps[i].message);
		}
		fx_free(&f);
	}
}

static void text_file_as_elf(void **state)
{
	(void)state;
	struct fixture f;
	char dump[160], text[160], args[400];
	fx_init(&f);
	snprintf(dump, sizeof dump, "%s", fx_file(&f, "good.bin"));
	snprintf(text, sizeof text, "%s", fx_file(&f, "notes.txt"));
	assert_int_equal(fx_write_raw(&f, dump, 0), 0);
	assert_int_equal(fx_write_bytes(text, "hello, kernel\n", 14), 0);
	snprintf(args, sizeof args, "check %s --elf %s", dump, text);
	assert_int_equal(run_stderr(args), 2);
	assert_one_line(text, "not an ELF file");
	snprintf(args, sizeof args, "sections %s", text);
	assert_int_equal(run_stderr(args), 2);
	assert_one_line(text, "not an ELF file");
	/* A core where the kernel ELF belongs is refused too. */
	assert_int_equal(fx_write_core(&f, fx_file(&f, "good.core")), 0);
	snprintf(args, sizeof args, "sections %s", f.path);
	assert_int_equal(run_stderr(args), 2);
	assert_one_line(f.path, "not an executable");
	fx_free(&f);
}

/* A dump and an ELF of two builds: exit 2 naming both IDs, not image.untouched differences. */
static void other_build_exits_2(void **state)
{
	(void)state;
	struct fixture f;
	char dump[160], kelf[160], args[400];
	fx_init(&f);
	snprintf(kelf, sizeof kelf, "%s", fx_file(&f, "kernel.elf"));
	assert_int_equal(fx_write_kelf(&f, kelf), 0);
	f.rec->build_id[0] ^= 0xff;
	fx_seal(&f);
	snprintf(dump, sizeof dump, "%s", fx_file(&f, "dump.core"));
	assert_int_equal(fx_write_core(&f, dump), 0);
	snprintf(args, sizeof args, "check %s --elf %s", dump, kelf);
	assert_int_equal(run_stderr(args), 2);
	assert_one_line(dump, "the dump's kernel is build ");
	assert_non_null(strstr(out, ": not the same build\n"));
	assert_non_null(strstr(out, kelf));
	fx_free(&f);
}

static void missing_value_names_the_option(void **state)
{
	(void)state;
	assert_int_equal(run_stderr("check a.bin --min-headroom"), 64);
	assert_non_null(strstr(out, "inspector: --min-headroom requires a value\n"));
	assert_int_equal(run_stderr("check a.bin -e"), 64);
	assert_non_null(strstr(out, "inspector: --elf requires a value\n"));
	assert_int_equal(run_stderr("sections --elf k.elf a.bin"), 64);
	assert_non_null(strstr(out, "inspector: --elf is not an option of this command\n"));
}

static void bad_usage_exits_64(void **state)
{
	(void)state;
	static const char *const args[] = {
		"", "frobnicate x.bin", "check", "check a.bin b.bin", "check --format xml a.bin",
		"check --min-headroom 101 a.bin", "check --min-headroom x a.bin", "check --base zz a.bin",
		"stacks --format junit a.bin", "record --elf k.elf a.bin", "check --nope a.bin",
	};
	for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
		int rc = run_stderr(args[i]);
		if (rc != 64)
			print_error("'%s' gave %d:\n%s", args[i], rc, out);
		assert_int_equal(rc, 64);
		assert_int_equal(strncmp(out, "inspector: ", 11), 0);
	}
}

static void help_and_version_exit_0(void **state)
{
	(void)state;
	assert_int_equal(fx_run(out, sizeof out, "--help"), 0);
	assert_non_null(strstr(out, "Exit status: 0 all checks hold, 1 a violation, 2 the input"));
	for (const char *c = "check\0diagram\0stacks\0record\0sections\0"; *c; c += strlen(c) + 1)
		assert_non_null(strstr(out, c));
	assert_int_equal(fx_run(out, sizeof out, "check --help"), 0);
	assert_non_null(strstr(out, "--min-headroom=PCT"));
	assert_non_null(strstr(out, "--format=FORMAT"));
	assert_int_equal(fx_run(out, sizeof out, "--version"), 0);
	assert_int_equal(strncmp(out, "inspector ", 10), 0);
}

static void read_only_dump_is_left_alone(void **state)
{
	(void)state;
	struct fixture f;
	struct stat before, after;
	char path[160];
	fx_init(&f);
	snprintf(path, sizeof path, "%s", fx_file(&f, "qemu.core"));
	assert_int_equal(fx_write_core(&f, path), 0);
	assert_int_equal(chmod(path, 0400), 0); /* as QEMU creates them */
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(fx_run(out, sizeof out, "check %s 2>&1", path), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_mtime, after.st_mtime);
	assert_int_equal(before.st_size, after.st_size);
	/* Same bytes: rewrite the expected file next to it and compare. */
	assert_int_equal(fx_write_core(&f, fx_file(&f, "expected.core")), 0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "cmp -s %s %s", path, f.path);
	assert_int_equal(system(cmd), 0);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unusable_dumps_exit_2_with_one_line),
		cmocka_unit_test(text_file_as_elf),
		cmocka_unit_test(adjacent_segments_are_one_dump),
		cmocka_unit_test(broken_kernel_elfs_exit_2),
		cmocka_unit_test(section_up_to_the_end_of_the_file),
		cmocka_unit_test(bad_usage_exits_64),
		cmocka_unit_test(other_build_exits_2),
		cmocka_unit_test(missing_value_names_the_option),
		cmocka_unit_test(help_and_version_exit_0),
		cmocka_unit_test(read_only_dump_is_left_alone),
	};
	return cmocka_run_group_tests_name("inspector errors", tests, NULL, NULL);
}
