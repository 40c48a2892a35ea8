/*
 * check_image.c: image.untouched (the design document's first invariant: the kernel image is
 * not written after boot) and, with --elf, that the dump's kernel is the ELF's: build ID,
 * region symbols, read-only section bytes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

/* Up to 8 bytes as "13 05 00 00": enough to recognise an instruction or a pointer. */
static char *bytes_str(char *buf, size_t len, const uint8_t *p, size_t n)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && i < 8 && used + 4 <= len; i++)
		used += (size_t)snprintf(buf + used, len - used, i ? " %02x" : "%02x", p[i]);
	return buf;
}

/* The ELF's bytes of one read-only section against the dump's, first difference reported. */
static void compare_section(struct check_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	const uint8_t *want, *have;
	size_t len;
	char e[32], f[32];
	if (kelf_section_bytes(c->k, scn, &want, &len) != 0 || len != sh->sh_size) {
		report_fail(c->rep, LR_INV_IMAGE_UNTOUCHED, SOURCE_INSPECTOR, name, sh->sh_addr,
			    "the ELF's bytes", "section unreadable in the ELF");
		return;
	}
	void *owned;
	have = kl_bytes(c->s, sh->sh_addr, len, &owned);
	if (!have && kl_unsaved(c->s, sh->sh_addr, len)) {
		report_skip(c->rep, LR_INV_IMAGE_UNTOUCHED, "sparse dump: an ELF section's bytes not saved");
		return;
	}
	if (!have) {
		report_fail(c->rep, LR_INV_IMAGE_UNTOUCHED, SOURCE_INSPECTOR, name, sh->sh_addr,
			    "the ELF's bytes", kl_absent(c->s));
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (want[i] != have[i]) {
			size_t n = len - i < 8 ? len - i : 8;
			report_fail(c->rep, LR_INV_IMAGE_UNTOUCHED, SOURCE_INSPECTOR, name, sh->sh_addr + i,
				    bytes_str(e, sizeof e, want + i, n), bytes_str(f, sizeof f, have + i, n));
			break;
		}
	free(owned);
}

/* Every allocated, read-only section with file bytes: .text, the build-id note, .rodata... */
static void compare_elf_image(struct check_ctx *c)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(c->k->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0 ||
		    !(sh.sh_flags & SHF_ALLOC) || (sh.sh_flags & SHF_WRITE))
			continue;
		const char *name = elf_strptr(c->k->elf, c->k->shstrndx, sh.sh_name);
		compare_section(c, scn, &sh, name ? name : "?");
	}
}

void check_image(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
	struct lr_range image = { r->text.lo, r->rodata.hi };
	const uint8_t *bytes = NULL;
	void *owned = NULL;
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];

	/* The image ends below the record: a longer range is a corrupt record, not a 4 GiB CRC. */
	if (image.hi >= image.lo && image.hi <= RECORD_ADDR)
		bytes = kl_bytes(c->s, image.lo, image.hi - image.lo, &owned);
	if (!bytes && image.hi >= image.lo && kl_unsaved(c->s, image.lo, image.hi - image.lo)) {
		report_skip(c->rep, LR_INV_IMAGE_UNTOUCHED, "sparse dump: the image not saved");
	} else if (!bytes) {
		report_fail(c->rep, LR_INV_IMAGE_UNTOUCHED, SOURCE_INSPECTOR, "text+rodata", image.lo,
			    kl_live(c->s) ? "a readable range below the record" :
			    "a range in the dump below the record", range_str(f, sizeof f, image));
	} else {
		uint32_t crc = crc32_update(0, bytes, image.hi - image.lo);
		if (crc != r->image_crc) {
			snprintf(e, sizeof e, "crc 0x%08x (at boot)", r->image_crc);
			snprintf(f, sizeof f, "crc 0x%08x", crc);
			report_fail(c->rep, LR_INV_IMAGE_UNTOUCHED, SOURCE_INSPECTOR, "text+rodata",
				    image.lo, e, f);
		}
		free(owned);
	}
	if (c->k)
		compare_elf_image(c);
	report_pass(c->rep, LR_INV_IMAGE_UNTOUCHED);
}

static void check_build_id(struct check_ctx *c)
{
	const uint8_t *id;
	size_t len;
	char e[2 * LR_BUILD_ID_MAX + 1], f[2 * LR_BUILD_ID_MAX + 1], found[VIOLATION_TEXT];
	const uint64_t at = kl_record_addr(c->s) + offsetof(struct layout_record, build_id);
	uint32_t have = c->r->build_id_size < LR_BUILD_ID_MAX ? c->r->build_id_size : LR_BUILD_ID_MAX;

	if (kelf_build_id(c->k, &id, &len) != 0) {
		report_fail(c->rep, LR_INV_ELF_BUILD_ID, SOURCE_INSPECTOR, "elf", at,
			    "a build ID", "no NT_GNU_BUILD_ID note in the ELF");
	} else if (!record_build_id_is(c->r, id, len)) {
		/* Another build is unusable input (kl_other_build): here the same ID, cut or extended. */
		snprintf(found, sizeof found, "%s (build_id_size %u, the ELF's is %zu)",
			 have ? hex_bytes(f, sizeof f, c->r->build_id, have) : "none",
			 c->r->build_id_size, len);
		report_fail(c->rep, LR_INV_ELF_BUILD_ID, SOURCE_INSPECTOR, "record", at,
			    hex_bytes(e, sizeof e, id, len), found);
	}
	report_pass(c->rep, LR_INV_ELF_BUILD_ID);
}

static void check_range_is(struct check_ctx *c, const char *name, struct lr_range want,
			   struct lr_range have)
{
	char e[VIOLATION_TEXT], f[VIOLATION_TEXT];
	if (want.lo != have.lo || want.hi != have.hi)
		report_fail(c->rep, LR_INV_ELF_REGIONS, SOURCE_INSPECTOR, name, have.lo,
			    range_str(e, sizeof e, want), range_str(f, sizeof f, have));
}

static void check_regions(struct check_ctx *c)
{
	const struct layout_record *r = c->r;
#define RECORDED(field, name, first, last, label, start, end) &r->field,
	const struct lr_range *recorded[KELF_REGIONS] = { LR_IMAGE_REGIONS(RECORDED) };
#undef RECORDED
	struct kelf_region regions[KELF_REGIONS];
	struct lr_range record;
	uint64_t image_end;
	char f[64];

	kelf_regions(c->k, regions);
	for (int i = 0; i < KELF_REGIONS; i++) {
		if (!regions[i].have_symbols) {
			snprintf(f, sizeof f, "no %s/%s in the ELF", regions[i].sym_start, regions[i].sym_end);
			report_fail(c->rep, LR_INV_ELF_REGIONS, SOURCE_INSPECTOR, regions[i].name,
				    recorded[i]->lo, "the linker's symbols", f);
			continue;
		}
		check_range_is(c, regions[i].name, regions[i].by_symbols, *recorded[i]);
	}
	if (kelf_symbol(c->k, LR_SYM_IMAGE_END, &image_end) != 0)
		report_fail(c->rep, LR_INV_ELF_REGIONS, SOURCE_INSPECTOR, "padding", r->padding.lo,
			    LR_SYM_IMAGE_END, "no " LR_SYM_IMAGE_END " in the ELF");
	else if (r->padding.lo != image_end)
		report_fail_hex(c->rep, LR_INV_ELF_REGIONS, "padding", r->padding.lo, image_end,
				r->padding.lo);
	if (kelf_symbol(c->k, LR_SYM_RECORD_START, &record.lo) != 0 ||
	    kelf_symbol(c->k, LR_SYM_RECORD_END, &record.hi) != 0)
		report_fail(c->rep, LR_INV_ELF_REGIONS, SOURCE_INSPECTOR, "record", r->record.lo,
			    LR_SYM_RECORD_START "/" LR_SYM_RECORD_END, "missing in the ELF");
	else
		check_range_is(c, "record", record, r->record);
	if (kelf_symbol(c->k, LR_SYM_TASK_CODE_START, &record.lo) != 0 ||
	    kelf_symbol(c->k, LR_SYM_TASK_CODE_END, &record.hi) != 0)
		report_fail(c->rep, LR_INV_ELF_REGIONS, SOURCE_INSPECTOR, "task code", r->task_code.lo,
			    LR_SYM_TASK_CODE_START "/" LR_SYM_TASK_CODE_END, "missing in the ELF");
	else
		check_range_is(c, "task code", record, r->task_code);
	report_pass(c->rep, LR_INV_ELF_REGIONS);
}

void check_elf(struct check_ctx *c)
{
	if (!c->k) {
		report_skip(c->rep, LR_INV_ELF_BUILD_ID, "no --elf given");
		report_skip(c->rep, LR_INV_ELF_REGIONS, "no --elf given");
		return;
	}
	check_build_id(c);
	check_regions(c);
}
