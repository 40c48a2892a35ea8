/*
 * test_inspector_fixture.c: builds the synthetic dumps of test_inspector_fixture.h. The ELF
 * files are written by hand (Elf64 structs from <elf.h>), not by libelf, so the tests do not
 * read back files through the same library that wrote them.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "test_inspector_fixture.h"

/* The image, as the fixture's kernel ELF describes it too. */
#define FX_TEXT     0x80000000ULL
#define FX_NOTE     0x80001800ULL /* .note.gnu.build-id, start of the rodata region */
#define FX_RODATA   0x80001828ULL
#define FX_DATA     0x80002000ULL
#define FX_BSS      0x80002400ULL
#define FX_BOOT     0x80003000ULL
#define FX_IMAGE_END (FX_BOOT + BOOT_STACK_SIZE)

static const struct {
	const char *name;
	uint64_t size, used, sp_below_hi;
	uint32_t state;
} fx_tasks[] = {
	{ "alpha", 0x2000, 0x600, 0x400, LR_TASK_READY },
	{ "beta", 0x1000, 0x200, 0x1e0, LR_TASK_PARKED },
	{ "gamma", 0x4000, 0x900, 0x800, LR_TASK_RUNNING }, /* on the hart: the core's sp */
};
#define FX_TASKS (sizeof fx_tasks / sizeof fx_tasks[0])

uint8_t *fx_phys(struct fixture *f, uint64_t addr)
{
	return f->ram + (addr - RAM_BASE);
}

void fx_put64(struct fixture *f, uint64_t addr, uint64_t value)
{
	memcpy(fx_phys(f, addr), &value, 8);
}

/* Paint, sentinel at lo, and `used` bytes below hi written with something that is not paint. */
static void fx_stack(struct fixture *f, struct lr_range s, uint64_t used)
{
	for (uint64_t a = s.lo; a < s.hi; a += 8)
		fx_put64(f, a, a >= s.hi - used ? 0x1000 + (a & 0xfff) : LR_PAINT);
	fx_put64(f, s.lo, LR_SENTINEL);
}

/* The build-id note as the linker writes it: namesz, descsz, type, "GNU\0", the id. */
static void fx_note(uint8_t *p)
{
	const uint32_t head[3] = { 4, FX_BUILD_ID_LEN, NT_GNU_BUILD_ID };
	memcpy(p, head, sizeof head);
	memcpy(p + 12, "GNU", 4);
	for (int i = 0; i < FX_BUILD_ID_LEN; i++)
		p[16 + i] = (uint8_t)(0xb0 + i);
}

static void fx_image(struct fixture *f, struct layout_record *r)
{
	uint32_t x = 12345;
	for (uint64_t a = FX_TEXT; a < FX_DATA; a++) { /* deterministic "code" and "constants" */
		x = x * 1103515245u + 12345u;
		*fx_phys(f, a) = (uint8_t)(x >> 16);
	}
	fx_note(fx_phys(f, FX_NOTE));
	static const uint32_t frame16[3] = { 0xff010113, 0x01010113, 0x00008067 };
	for (int i = 0; i < FX_FUNCS; i++)
		memcpy(fx_phys(f, FX_FUNC_AT(i)), frame16, sizeof frame16);
	r->text = (struct lr_range){ FX_TEXT, FX_NOTE };
	r->rodata = (struct lr_range){ FX_NOTE, FX_DATA };
	r->data = (struct lr_range){ FX_DATA, FX_BSS };
	r->bss = (struct lr_range){ FX_BSS, FX_BOOT };
	r->boot_stack = (struct lr_range){ FX_BOOT, FX_IMAGE_END };
	r->padding = (struct lr_range){ FX_IMAGE_END, RECORD_ADDR };
	r->record = (struct lr_range){ RECORD_ADDR, RECORD_ADDR + RECORD_SIZE };
	r->build_id_size = FX_BUILD_ID_LEN;
	memcpy(r->build_id, fx_phys(f, FX_NOTE) + 16, FX_BUILD_ID_LEN);
	r->image_crc = crc32_update(0, fx_phys(f, FX_TEXT), FX_DATA - FX_TEXT);
}

/*
 * The temp dirs not yet freed: a failing cmocka assertion jumps out of its test before
 * fx_free(), so what is left is removed at exit and a failing run leaves nothing in /tmp.
 */
#define FX_DIRS_MAX 16
static char fx_dirs[FX_DIRS_MAX][64];

static void fx_remove_dir(const char *dir)
{
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fixture: cannot remove %s\n", dir);
}

static void fx_remove_left_dirs(void)
{
	for (int i = 0; i < FX_DIRS_MAX; i++)
		if (fx_dirs[i][0])
			fx_remove_dir(fx_dirs[i]);
}

static void fx_track_dir(const char *dir, int add)
{
	static int registered;
	if (!registered)
		registered = atexit(fx_remove_left_dirs) == 0;
	for (int i = 0; i < FX_DIRS_MAX; i++)
		if (add ? !fx_dirs[i][0] : strcmp(fx_dirs[i], dir) == 0) {
			snprintf(fx_dirs[i], sizeof fx_dirs[i], "%s", add ? dir : "");
			return;
		}
}

void fx_init(struct fixture *f)
{
	fx_init_memory(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_inspector.XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	fx_track_dir(f->dir, 1);
}

void fx_init_memory(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->ram = calloc(1, FX_RAM_SIZE);
	if (!f->ram)
		abort();
	struct lr_publication *pub = f->pub = (struct lr_publication *)fx_phys(f, RECORD_ADDR);
	*pub = (struct lr_publication){ LR_MAGIC, LR_VERSION, sizeof(struct layout_record), 0, 42, 7, 6,
					sizeof *pub, { 0, 0 } };
	struct layout_record *r = f->rec = (struct layout_record *)fx_phys(f, LR_COPY_ADDR(0));
	r->magic = LR_MAGIC;
	r->version = LR_VERSION;
	r->size = sizeof *r;
	r->generation = 42;
	r->flags = LR_FLAG_READY;
	r->ram = (struct lr_range){ RAM_BASE, FX_RAM_END };
	r->dtb = (struct lr_range){ 0x80200000, 0x80201000 };
	fx_image(f, r);
	r->kstack = (struct lr_range){ FX_KSTACK_LO, FX_RAM_END };
	r->kernel_sp = FX_RAM_END - 0x100;
	fx_stack(f, r->kstack, 0x400);
	uint64_t hi = FX_KSTACK_LO;
	for (uint32_t i = 0; i < FX_TASKS; i++) {
		struct lr_task *t = &r->tasks[i];
		t->stack = (struct lr_range){ hi - fx_tasks[i].size, hi };
		t->saved_sp = hi - fx_tasks[i].sp_below_hi;
		t->id = i + 1;
		t->state = fx_tasks[i].state;
		t->depth = t->depth_reached = 4 + i;
		t->switches = 10 + i;
		snprintf(t->name, sizeof t->name, "%s", fx_tasks[i].name);
		fx_stack(f, t->stack, fx_tasks[i].used);
		hi = t->stack.lo;
	}
	f->hart_sp = r->tasks[FX_TASKS - 1].stack.hi - 0x800;
	r->current = FX_TASKS;
	r->task_count = FX_TASKS;
	r->available = hi;
	r->task_code = (struct lr_range){ RECORD_ADDR + RECORD_SIZE, RECORD_ADDR + RECORD_SIZE + 0x1000 };
	r->free = (struct lr_range){ r->task_code.hi, hi };
	r->sentinel = LR_SENTINEL;
	r->paint = LR_PAINT;
	r->task_max = LR_MAX_TASKS;
	r->violation_max = LR_MAX_VIOLATIONS;
	fx_seal(f);
}

void fx_overflow(struct fixture *f, int id)
{
	struct lr_task *t = &f->rec->tasks[id - 1];
	t->saved_sp = t->stack.lo - 0x40;
	t->state = LR_TASK_FAULTED;
	f->rec->violations[f->rec->violation_count++] = (struct lr_violation){
		LR_INV_STACK_OVERFLOW, (uint32_t)id, t->saved_sp, t->stack.lo, t->saved_sp, FX_TASK_CODE_PC,
		7, 0 };
	fx_seal(f);
}

void fx_seal(struct fixture *f)
{
	f->rec->checksum = lr_checksum(f->rec, sizeof *f->rec);
}

void fx_free(struct fixture *f)
{
	if (f->dir[0]) {
		fx_remove_dir(f->dir);
		fx_track_dir(f->dir, 0);
	}
	free(f->ram);
}

const char *fx_file(struct fixture *f, const char *name)
{
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	return f->path;
}

int fx_write_bytes(const char *path, const void *bytes, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	int bad = len && fwrite(bytes, 1, len, fp) != len;
	return fclose(fp) != 0 || bad ? -1 : 0;
}

int fx_write_raw(struct fixture *f, const char *path, uint64_t size)
{
	return fx_write_bytes(path, f->ram, size ? size : FX_RAM_SIZE);
}

/* QEMU's riscv64_elf_prstatus: pad1[32], pr_pid, pad2[76], pr_reg (pc, ra, sp, ...), pad3[8]. */
#define FX_PRSTATUS_SIZE 376
#define FX_ROM_SIZE      0x100

int fx_write_core(struct fixture *f, const char *path)
{
	return fx_write_core_part(f, path, RAM_BASE, FX_RAM_SIZE);
}

int fx_write_core_part(struct fixture *f, const char *path, uint64_t lo, uint64_t size)
{
	uint8_t note[12 + 8 + FX_PRSTATUS_SIZE] = { 0 }, rom[FX_ROM_SIZE] = { 0 };
	const uint32_t nhdr[3] = { 5, FX_PRSTATUS_SIZE, NT_PRSTATUS };
	const uint64_t pc = FX_TEXT + 0x100;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	size_t off = sizeof eh + sizeof ph;

	memcpy(note, nhdr, sizeof nhdr);
	memcpy(note + 12, "CORE\0\0\0", 8);
	memcpy(note + 20 + 112, &pc, 8);
	memcpy(note + 20 + 112 + 16, &f->hart_sp, 8);
	fx_elf_header(&eh, ET_CORE);
	eh.e_phoff = sizeof eh;
	eh.e_ehsize = sizeof eh;
	eh.e_phentsize = sizeof ph[0];
	eh.e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = off, .p_filesz = sizeof note,
			      .p_memsz = sizeof note };
	off += sizeof note;
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off, .p_vaddr = 0x1000, .p_paddr = 0x1000,
			      .p_filesz = FX_ROM_SIZE, .p_memsz = FX_ROM_SIZE };
	off += FX_ROM_SIZE;
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off, .p_vaddr = lo, .p_paddr = lo,
			      .p_filesz = size, .p_memsz = size };
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	int bad = fwrite(&eh, sizeof eh, 1, fp) != 1 || fwrite(ph, sizeof ph, 1, fp) != 1 ||
		  fwrite(note, sizeof note, 1, fp) != 1 || fwrite(rom, sizeof rom, 1, fp) != 1 ||
		  fwrite(fx_phys(f, lo), size, 1, fp) != 1;
	return fclose(fp) != 0 || bad ? -1 : 0;
}

int fx_run(char *out, size_t len, const char *fmt, ...)
{
	char args[1024], cmd[1200];
	const char *bin = getenv("INSPECTOR") ? getenv("INSPECTOR") : "build/inspector";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "%s %s", bin, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, len - 1, p);
	out[n] = 0;
	while (fgetc(p) != EOF) /* drain what does not fit */
		;
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int fx_count_lines(const char *out, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		n += strncmp(line, prefix, len) == 0;
	return n;
}

void fx_elf_header(void *ehdr, uint16_t type)
{
	Elf64_Ehdr *eh = ehdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_RISCV;
	eh->e_version = EV_CURRENT;
}
