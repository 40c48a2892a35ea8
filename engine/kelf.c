/*
 * kelf.c: the kernel ELF as --elf and `inspector sections` read it: sections by name, the
 * linker script's region symbols, the GNU build ID. The file is read whole into memory (a
 * kernel is a few hundred KiB; a file rewritten meanwhile cannot fault us) and its headers are
 * validated before libelf sees them, so a truncated or corrupt ELF is an unusable input (exit
 * 2), never a mismatch the checks would blame on the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "klayout.h"

#define KELF_MAX_SIZE (256u << 20) /* far above any kernel; a bound on what is read */

/* [off, off + len) inside [0, size) without overflowing. */
static int inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int kelf_validate(const char *path, const uint8_t *bytes, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	if (size < SELFMAG || memcmp(bytes, ELFMAG, SELFMAG) != 0)
		return fail(path, "not an ELF file");
	if (size < sizeof eh)
		return fail(path, "truncated ELF header (%zu bytes, not %zu)", size, sizeof eh);
	memcpy(&eh, bytes, sizeof eh);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return fail(path, "not a 64-bit ELF file (EI_CLASS %u)", (unsigned)eh.e_ident[EI_CLASS]);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(path, "not a little-endian ELF file (EI_DATA %u)", (unsigned)eh.e_ident[EI_DATA]);
	if (eh.e_machine != EM_RISCV)
		return fail(path, "not a RISC-V ELF file (e_machine %u, not %u)", (unsigned)eh.e_machine,
			    (unsigned)EM_RISCV);
	if (eh.e_type != ET_EXEC)
		return fail(path, "not an executable (e_type %u): the kernel ELF is needed",
			    (unsigned)eh.e_type);
	if (eh.e_phnum && eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(path, "e_phentsize %u, not %zu", (unsigned)eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phnum && !inside(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
		return fail(path, "truncated program header table at offset 0x%lx (file has 0x%zx bytes)",
			    (unsigned long)eh.e_phoff, size);
	if (eh.e_shoff == 0 || eh.e_shnum == 0)
		return fail(path, "no section headers (a stripped or extended-numbering ELF)");
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return fail(path, "e_shentsize %u, not %zu", (unsigned)eh.e_shentsize, sizeof(Elf64_Shdr));
	if (!inside(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof sh, size))
		return fail(path, "truncated section header table at offset 0x%lx (file has 0x%zx bytes)",
			    (unsigned long)eh.e_shoff, size);
	if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
		return fail(path, "bad e_shstrndx %u (%u sections)", (unsigned)eh.e_shstrndx,
			    (unsigned)eh.e_shnum);
	for (unsigned i = 1; i < eh.e_shnum; i++) {
		memcpy(&sh, bytes + eh.e_shoff + (uint64_t)i * sizeof sh, sizeof sh);
		if (sh.sh_type != SHT_NOBITS && !inside(sh.sh_offset, sh.sh_size, size))
			return fail(path, "section %u at offset 0x%lx (0x%lx bytes) runs past the end of "
				    "the file (0x%zx bytes)", i, (unsigned long)sh.sh_offset,
				    (unsigned long)sh.sh_size, size);
		if (i == eh.e_shstrndx && sh.sh_type != SHT_STRTAB)
			return fail(path, "bad e_shstrndx %u: section type %u, not a string table", i,
				    (unsigned)sh.sh_type);
		if (sh.sh_type == SHT_SYMTAB && (sh.sh_entsize != sizeof(Elf64_Sym) ||
						 sh.sh_link == 0 || sh.sh_link >= eh.e_shnum))
			return fail(path, "symbol table %u: entry size %lu, string table %u", i,
				    (unsigned long)sh.sh_entsize, (unsigned)sh.sh_link);
	}
	return 0;
}

/* The whole file, from an fd of a regular file of the given size. */
static int kelf_read(struct kelf *k, size_t size)
{
	k->bytes = malloc(size ? size : 1);
	if (!k->bytes)
		return fail(k->path, "out of memory for %zu bytes", size);
	for (size_t got = 0; got < size;) {
		ssize_t n = pread(k->fd, k->bytes + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(k->path, "cannot read: %s", strerror(errno));
		if (n == 0)
			return fail(k->path, "the file shrank while being read (%zu of %zu bytes)", got, size);
		got += (size_t)n;
	}
	k->size = size;
	return 0;
}

int kelf_open(struct kelf *k, const char *path)
{
	struct stat st;
	memset(k, 0, sizeof *k);
	k->path = path;
	k->fd = -1;
	elf_version(EV_CURRENT);
	if (input_open(path, &k->fd, &st) != 0)
		return -1;
	if ((uint64_t)st.st_size > KELF_MAX_SIZE)
		return fail(path, "too large for a kernel ELF (%lld bytes)", (long long)st.st_size);
	if (kelf_read(k, (size_t)st.st_size) != 0 || kelf_validate(path, k->bytes, k->size) != 0)
		return -1;
	k->elf = elf_memory((char *)k->bytes, k->size);
	if (!k->elf)
		return fail_elf(path, "cannot read ELF");
	if (elf_kind(k->elf) != ELF_K_ELF)
		return fail(path, "not an ELF file");
	if (elf_getshdrstrndx(k->elf, &k->shstrndx) != 0)
		return fail_elf(path, "cannot read section names");
	return 0;
}

void kelf_close(struct kelf *k)
{
	if (k->elf)
		elf_end(k->elf);
	if (k->fd >= 0 && k->path)
		close(k->fd);
	free(k->bytes);
	memset(k, 0, sizeof *k);
}

Elf_Scn *kelf_section(const struct kelf *k, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(k->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, shdr))
			continue;
		const char *n = elf_strptr(k->elf, k->shstrndx, shdr->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

int kelf_section_bytes(const struct kelf *k, Elf_Scn *scn, const uint8_t **bytes, size_t *len)
{
	Elf_Data *data = elf_rawdata(scn, NULL);
	if (!data)
		return fail_elf(k->path, "cannot read section %zu", elf_ndxscn(scn));
	*bytes = data->d_buf;
	*len = data->d_size;
	return 0;
}

/*
 * The first symbol of the symbol tables that `match` accepts: 0 with it and its name, or -1.
 * kelf_symbol looks one up by name, kelf_function_at by the address a function covers.
 */
static int kelf_symbol_where(const struct kelf *k, int (*match)(const GElf_Sym *, const char *, const void *),
			     const void *ctx, GElf_Sym *out, const char **name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(k->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		size_t n = data->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			if (!gelf_getsym(data, (int)i, out))
				break;
			const char *s = elf_strptr(k->elf, sh.sh_link, out->st_name);
			if (s && match(out, s, ctx)) {
				*name = s;
				return 0;
			}
		}
	}
	return -1;
}

static int named(const GElf_Sym *sym, const char *name, const void *want)
{
	(void)sym;
	return strcmp(name, want) == 0;
}

int kelf_symbol(const struct kelf *k, const char *name, uint64_t *value)
{
	GElf_Sym sym;
	const char *found;
	if (kelf_symbol_where(k, named, name, &sym, &found) != 0)
		return -1;
	*value = sym.st_value;
	return 0;
}

static int function_holding(const GElf_Sym *sym, const char *name, const void *pc_ptr)
{
	uint64_t pc = *(const uint64_t *)pc_ptr;
	(void)name;
	return GELF_ST_TYPE(sym->st_info) == STT_FUNC && pc >= sym->st_value &&
	       pc - sym->st_value < (sym->st_size ? sym->st_size : 1);
}

/* The function symbol holding pc: its name and start. 0, or -1 when no symbol holds it. */
static int kelf_function_at(const struct kelf *k, uint64_t pc, const char **name, uint64_t *start)
{
	GElf_Sym sym;
	if (kelf_symbol_where(k, function_holding, &pc, &sym, name) != 0)
		return -1;
	*start = sym.st_value;
	return 0;
}

/*
 * "file:line" of pc from the DWARF line table (libdw), the compilation directory cut off. Of the
 * rows at the last address <= pc, the last that begins a statement, as GDB picks it (an
 * inlined function's rows share addresses with their caller's).
 */
static int kelf_line_at(const struct kelf *k, uint64_t pc, char *buf, size_t len)
{
	Dwarf *dw = dwarf_begin_elf(k->elf, DWARF_C_READ, NULL);
	Dwarf_Die cu;
	Dwarf_Lines *lines;
	size_t n;
	int rc = -1;
	if (!dw)
		return -1;
	if (dwarf_addrdie(dw, pc, &cu) && dwarf_getsrclines(&cu, &lines, &n) == 0) {
		Dwarf_Line *best = NULL;
		Dwarf_Addr best_addr = 0;
		for (size_t i = 0; i < n; i++) {
			Dwarf_Line *l = dwarf_onesrcline(lines, i);
			Dwarf_Addr a;
			bool stmt = false, end = false;
			if (!l || dwarf_lineaddr(l, &a) != 0 || a > pc)
				continue;
			dwarf_linebeginstatement(l, &stmt);
			dwarf_lineendsequence(l, &end);
			if (end || !stmt)
				continue;
			if (!best || a >= best_addr)
				best = l, best_addr = a;  /* the last statement row at the last address */
		}
		int lineno = 0;
		const char *file = best ? dwarf_linesrc(best, NULL, NULL) : NULL;
		if (file && dwarf_lineno(best, &lineno) == 0) {
			Dwarf_Attribute at;
			const char *dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &at));
			size_t dl = dir ? strlen(dir) : 0;
			if (dir && strncmp(file, dir, dl) == 0 && file[dl] == '/')
				file += dl + 1;
			snprintf(buf, len, "%s:%d", file, lineno);
			rc = 0;
		}
	}
	dwarf_end(dw);
	return rc;
}

void kelf_pc_name(const struct kelf *k, uint64_t pc, char *buf, size_t len)
{
	const char *fn;
	uint64_t start;
	char line[160];
	if (!k || kelf_function_at(k, pc, &fn, &start) != 0) {
		snprintf(buf, len, "0x%" PRIx64, pc);
		return;
	}
	/* gcc's clones (task_misbehave.constprop.0) under the name of the function they clone. */
	int fl = (int)(strchr(fn, '.') ? (size_t)(strchr(fn, '.') - fn) : strlen(fn));
	if (kelf_line_at(k, pc, line, sizeof line) == 0)
		snprintf(buf, len, "%.*s+0x%" PRIx64 " (%s)", fl, fn, pc - start, line);
	else
		snprintf(buf, len, "%.*s+0x%" PRIx64, fl, fn, pc - start);
}

int kelf_build_id(const struct kelf *k, const uint8_t **id, size_t *len)
{
	GElf_Shdr sh;
	Elf_Scn *scn = kelf_section(k, ".note.gnu.build-id", &sh);
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data)
		return -1;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while (off < data->d_size && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) != 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4) == 0) {
			*id = (const uint8_t *)data->d_buf + desc_off;
			*len = nh.n_descsz;
			return 0;
		}
	}
	return -1;
}

/* The range a section covers, if it exists. */
static int section_range(const struct kelf *k, const char *name, struct lr_range *out)
{
	GElf_Shdr sh;
	if (!kelf_section(k, name, &sh))
		return 0;
	out->lo = sh.sh_addr;
	out->hi = sh.sh_addr + sh.sh_size;
	return 1;
}

void kelf_regions(const struct kelf *k, struct kelf_region out[KELF_REGIONS])
{
	static const struct {
		const char *name, *first, *last, *label, *start, *end;
	} table[KELF_REGIONS] = {
#define KELF_ROW(field, name, first, last, label, start, end) { #field, first, last, label, start, end },
		LR_IMAGE_REGIONS(KELF_ROW)
#undef KELF_ROW
	};
	for (int i = 0; i < KELF_REGIONS; i++) {
		struct kelf_region *g = &out[i];
		struct lr_range first, last;
		memset(g, 0, sizeof *g);
		g->name = table[i].name;
		g->sections = table[i].label;
		g->sym_start = table[i].start;
		g->sym_end = table[i].end;
		int have_last = section_range(k, table[i].last, &last);
		int have_first = section_range(k, table[i].first, &first);
		if (have_last) {
			g->have_sections = 1;
			g->by_sections.lo = have_first && first.lo < last.lo ? first.lo : last.lo;
			g->by_sections.hi = last.hi;
		}
		g->have_symbols = kelf_symbol(k, g->sym_start, &g->by_symbols.lo) == 0 &&
				  kelf_symbol(k, g->sym_end, &g->by_symbols.hi) == 0;
	}
}
