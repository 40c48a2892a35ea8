/*
 * kelf.c: the kernel ELF as --elf and `inspector sections` read it: sections by name, the
 * linker script's region symbols, the GNU build ID. libelf maps the file (ELF_C_READ_MMAP) and
 * checks every section's bounds against it before handing out bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <libelf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "inspector.h"

int kelf_open(struct kelf *k, const char *path)
{
	memset(k, 0, sizeof *k);
	k->path = path;
	elf_version(EV_CURRENT);
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return fail(path, "cannot open: %s", strerror(errno));
	k->elf = elf_begin(k->fd, ELF_C_READ_MMAP, NULL);
	if (!k->elf)
		return fail_elf(path, "cannot read ELF");
	if (elf_kind(k->elf) != ELF_K_ELF)
		return fail(path, "not an ELF file");
	if (gelf_getclass(k->elf) != ELFCLASS64)
		return fail(path, "not a 64-bit ELF file");
	GElf_Ehdr eh;
	if (!gelf_getehdr(k->elf, &eh))
		return fail_elf(path, "cannot read ELF header");
	if (eh.e_type != ET_EXEC)
		return fail(path, "not an executable (e_type %u): the kernel ELF is needed",
			    (unsigned)eh.e_type);
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

int kelf_symbol(const struct kelf *k, const char *name, uint64_t *value)
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
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym))
				break;
			const char *s = elf_strptr(k->elf, sh.sh_link, sym.st_name);
			if (s && strcmp(s, name) == 0) {
				*value = sym.st_value;
				return 0;
			}
		}
	}
	return -1;
}

/* The function symbol holding pc: its name and start. 0, or -1 when no symbol holds it. */
static int kelf_function_at(const struct kelf *k, uint64_t pc, const char **name, uint64_t *start)
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
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || pc < sym.st_value ||
			    pc - sym.st_value >= (sym.st_size ? sym.st_size : 1))
				continue;
			*name = elf_strptr(k->elf, sh.sh_link, sym.st_name);
			*start = sym.st_value;
			return *name ? 0 : -1;
		}
	}
	return -1;
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
		{ "text", ".text", ".text", ".text", "_text_start", "_text_end" },
		/* The build-id note is linked just before .rodata and belongs to the region. */
		{ "rodata", ".note.gnu.build-id", ".rodata", ".note.gnu.build-id .rodata",
		  "_rodata_start", "_rodata_end" },
		{ "data", ".data", ".data", ".data", "_data_start", "_data_end" },
		{ "bss", ".bss", ".bss", ".bss", "_bss_start", "_bss_end" },
		{ "boot_stack", ".bootstack", ".bootstack", ".bootstack", "_boot_stack_start",
		  "_boot_stack_end" },
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
