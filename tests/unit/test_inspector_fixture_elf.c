/*
 * test_inspector_fixture_elf.c: the fixture's kernel ELF, written by hand: the sections and
 * symbols the linker script exports (.text, .note.gnu.build-id, .rodata, .data, .bss,
 * .bootstack, _x_start/_x_end, _image_end, _record_start/_record_end, _task_code_start/_end), bytes taken from the
 * fixture's RAM as it was at fx_init() time, so an untouched dump matches the ELF.
 */
#include <elf.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_inspector_fixture.h"

/* A growing file image. */
struct blob {
	uint8_t *bytes;
	size_t len, cap;
};

static size_t blob_add(struct blob *b, const void *p, size_t len)
{
	size_t at = (b->len + 7) & ~(size_t)7; /* 8-byte aligned for the tables */
	if (at + len > b->cap) {
		b->cap = (at + len) * 2 + 4096;
		b->bytes = realloc(b->bytes, b->cap);
		if (!b->bytes)
			abort();
	}
	memset(b->bytes + b->len, 0, at - b->len);
	if (len)
		memcpy(b->bytes + at, p, len);
	b->len = at + len;
	return at;
}

/* A string table. */
struct strtab {
	char s[1024];
	size_t len;
};

static uint32_t str_add(struct strtab *t, const char *s)
{
	size_t at = t->len ? t->len : (t->len = 1, 1); /* index 0 is the empty name */
	size_t n = strlen(s) + 1;
	memcpy(t->s + at, s, n);
	t->len = at + n;
	return (uint32_t)at;
}

enum { S_NULL, S_TEXT, S_NOTE, S_RODATA, S_DATA, S_BSS, S_BOOT, S_SYMTAB, S_STRTAB, S_SHSTRTAB, S_COUNT };

int fx_write_kelf(struct fixture *f, const char *path)
{
	const struct layout_record *r = f->rec;
	static const char *const names[S_COUNT] = {
		"", ".text", ".note.gnu.build-id", ".rodata", ".data", ".bss", ".bootstack",
		".symtab", ".strtab", ".shstrtab",
	};
	const struct {
		uint32_t type;
		uint64_t flags, lo, hi;
	} alloc[S_COUNT] = {
		[S_TEXT] = { SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, r->text.lo, r->text.hi },
		[S_NOTE] = { SHT_NOTE, SHF_ALLOC, r->rodata.lo, r->rodata.lo + 16 + FX_BUILD_ID_LEN },
		[S_RODATA] = { SHT_PROGBITS, SHF_ALLOC, r->rodata.lo + 0x28, r->rodata.hi },
		[S_DATA] = { SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, r->data.lo, r->data.hi },
		[S_BSS] = { SHT_NOBITS, SHF_ALLOC | SHF_WRITE, r->bss.lo, r->bss.hi },
		[S_BOOT] = { SHT_NOBITS, SHF_ALLOC | SHF_WRITE, r->boot_stack.lo, r->boot_stack.hi },
	};
	const struct {
		const char *name;
		uint64_t value;
	} syms[] = {
		{ "_text_start", r->text.lo }, { "_text_end", r->text.hi },
		{ "_rodata_start", r->rodata.lo }, { "_rodata_end", r->rodata.hi },
		{ "_data_start", r->data.lo }, { "_data_end", r->data.hi },
		{ "_bss_start", r->bss.lo }, { "_bss_end", r->bss.hi },
		{ "_boot_stack_start", r->boot_stack.lo }, { "_boot_stack_end", r->boot_stack.hi },
		{ "_image_end", r->padding.lo },
		{ "_record_start", r->record.lo }, { "_record_end", r->record.hi },
		{ "_task_code_start", r->task_code.lo }, { "_task_code_end", r->task_code.hi },
	};
	static const char *const funcs[FX_FUNCS] = { "kmain", "task_main", "task_dive" };
	enum { NSYMS = sizeof syms / sizeof syms[0] };
	struct blob b = { 0 };
	struct strtab shstr = { .len = 0 }, str = { .len = 0 };
	Elf64_Shdr sh[S_COUNT];
	Elf64_Sym sym[NSYMS + FX_FUNCS + 1];
	Elf64_Ehdr eh;

	memset(sh, 0, sizeof sh);
	memset(sym, 0, sizeof sym);
	memset(&eh, 0, sizeof eh);
	blob_add(&b, &eh, sizeof eh); /* filled in last */
	for (int i = S_TEXT; i <= S_BOOT; i++) {
		uint64_t size = alloc[i].hi - alloc[i].lo;
		sh[i].sh_type = alloc[i].type;
		sh[i].sh_flags = alloc[i].flags;
		sh[i].sh_addr = alloc[i].lo;
		sh[i].sh_size = size;
		sh[i].sh_addralign = i == S_NOTE ? 4 : 8;
		sh[i].sh_offset = alloc[i].type == SHT_NOBITS ? b.len
							       : blob_add(&b, fx_phys(f, alloc[i].lo), size);
	}
	for (int i = 0; i < NSYMS; i++) {
		sym[i + 1].st_name = str_add(&str, syms[i].name);
		sym[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		sym[i + 1].st_shndx = SHN_ABS;
		sym[i + 1].st_value = syms[i].value;
	}
	for (int i = 0; i < FX_FUNCS; i++) {
		Elf64_Sym *fs = &sym[NSYMS + 1 + i];
		fs->st_name = str_add(&str, funcs[i]);
		fs->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		fs->st_shndx = S_TEXT;
		fs->st_value = FX_FUNC_AT(i);
		fs->st_size = 12;
	}
	sh[S_SYMTAB] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = blob_add(&b, sym, sizeof sym),
				     .sh_size = sizeof sym, .sh_link = S_STRTAB, .sh_info = 1,
				     .sh_addralign = 8, .sh_entsize = sizeof sym[0] };
	sh[S_STRTAB] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = blob_add(&b, str.s, str.len),
				     .sh_size = str.len, .sh_addralign = 1 };
	for (int i = 1; i < S_COUNT; i++)
		sh[i].sh_name = str_add(&shstr, names[i]);
	sh[S_SHSTRTAB] = (Elf64_Shdr){ .sh_name = sh[S_SHSTRTAB].sh_name, .sh_type = SHT_STRTAB,
				       .sh_offset = blob_add(&b, shstr.s, shstr.len),
				       .sh_size = shstr.len, .sh_addralign = 1 };

	fx_elf_header(&eh, ET_EXEC);
	eh.e_entry = r->text.lo;
	eh.e_ehsize = sizeof eh;
	eh.e_shentsize = sizeof sh[0];
	eh.e_shnum = S_COUNT;
	eh.e_shstrndx = S_SHSTRTAB;
	eh.e_shoff = blob_add(&b, sh, sizeof sh);
	memcpy(b.bytes, &eh, sizeof eh);
	int rc = fx_write_bytes(path, b.bytes, b.len);
	free(b.bytes);
	return rc;
}

int fx_write_budget(struct fixture *f, const char *dir)
{
	static const char su[] = "k.c:1:6:kmain\t1280\tstatic\nk.c:5:6:task_main\t64\tstatic\n"
				 "k.c:9:6:task_dive\t400\tstatic\n";
	static const char ci[] = "graph: { title: \"k.c\"\n"
		"node: { title: \"kmain\" label: \"kmain\\nk.c:1:6\\n1280 bytes (static)\\n0 dynamic objects\" }\n"
		"node: { title: \"task_main\" label: \"task_main\\nk.c:5:6\\n64 bytes (static)\\n0 dynamic objects\" }\n"
		"node: { title: \"task_dive\" label: \"task_dive\\nk.c:9:6\\n400 bytes (static)\\n0 dynamic objects\" }\n"
		"edge: { sourcename: \"task_main\" targetname: \"task_dive\" label: \"k.c:6:2\" }\n"
		"edge: { sourcename: \"task_dive\" targetname: \"task_dive\" label: \"k.c:10:2\" }\n}\n";
	static const char table[] = "stack kernel record kernel entry kmain\n"
				    "stack task record task entry task_main recursion task_dive depth\n"
				    "config kernel 16384\nconfig task alpha 8192 4\nconfig task beta 4096 5\n"
				    "config task gamma 16384 6\n";
	char path[512];
	(void)f;
	snprintf(path, sizeof path, "%s/obj", dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof path, "%s/obj/k.c.su", dir);
	if (fx_write_bytes(path, su, sizeof su - 1) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/obj/k.c.ci", dir);
	if (fx_write_bytes(path, ci, sizeof ci - 1) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/stacks.budget", dir);
	return fx_write_bytes(path, table, sizeof table - 1);
}
