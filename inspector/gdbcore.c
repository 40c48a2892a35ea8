/*
 * gdbcore.c: `inspector gdbcore DUMP -o CORE`: a copy of the dump that GDB opens with one thread
 * per task. The dump's own notes come first (the running hart stays GDB's first thread, its
 * NT_PRSTATUS byte for byte), then one NT_PRSTATUS per task with the registers the engine says
 * it has at the dump's instant (kl_task_regs: its saved frame, the hart's, or while its trap is
 * being saved a mix of both), then every PT_LOAD of the dump unchanged (p_vaddr = p_paddr: the
 * kernel runs with paging off). Thread ids (pr_pid): the hart keeps QEMU's (cpu index + 1), task
 * N is GDBCORE_TASK_PID_BASE + N, the numbering the live thread proxy (gdb-scripts/kthreads.py)
 * uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libelf.h>
#include "inspector.h"

/*
 * Linux's struct elf_prstatus on RISC-V 64 (the 376-byte note BFD's riscv grok_prstatus reads):
 * pr_cursig at 12, pr_pid at 32, pr_reg (elf_gregset_t: pc, x1..x31) at 112, pr_fpvalid at 368.
 */
#define PRSTATUS_SIZE  376 /* PRSTATUS_PID and PRSTATUS_REGS: include/harness.h */
#define NOTE_ALIGN     4
#define SEGMENT_ALIGN  4096

/* RISC-V register numbers (x1 = ra, ...), which are also the pr_reg indexes; pr_reg[0] is pc. */
enum { REG_PC = 0, REG_SP = 2 };

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The dump's notes as they are in the file (QEMU's NT_PRSTATUS per hart), and where the first
 * hart's pr_reg and CSRs (kqemu's KLAYOUT note) sit among them: the engine reads both. */
struct notes {
	const uint8_t *bytes[4];
	size_t size[4];
	size_t n;
	const uint8_t *hart_reg; /* pr_reg of the first NT_PRSTATUS, or NULL */
	const uint8_t *csrs;     /* mepc, mscratch (LR_NOTE_CSRS), or NULL */
};

static int notes_find(const struct dump *d, struct notes *nt)
{
	size_t phnum;
	memset(nt, 0, sizeof *nt);
	if (d->format != DUMP_ELF_CORE || elf_getphdrnum(d->elf, &phnum) != 0)
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(d->elf, (int)i, &ph) || ph.p_type != PT_NOTE || ph.p_filesz == 0)
			continue;
		if (nt->n == 4)
			return fail(d->path, "more than 4 PT_NOTE segments");
		/* dump_open checked that every PT_NOTE lies inside the file. */
		nt->bytes[nt->n] = d->map + ph.p_offset;
		nt->size[nt->n++] = ph.p_filesz;
		Elf_Data *data = elf_getdata_rawchunk(d->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		size_t off = 0, next, name_off, desc_off;
		GElf_Nhdr nh;
		while (data && off < data->d_size && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
			const char *name = (const char *)data->d_buf + name_off;
			if (!nt->hart_reg && nh.n_type == NT_PRSTATUS && nh.n_descsz >= PRSTATUS_REGS + 256)
				nt->hart_reg = (const uint8_t *)data->d_buf + desc_off + PRSTATUS_REGS;
			if (!nt->csrs && nh.n_type == LR_NOTE_CSRS && nh.n_namesz == sizeof LR_NOTE_OWNER &&
			    memcmp(name, LR_NOTE_OWNER, sizeof LR_NOTE_OWNER) == 0 && nh.n_descsz >= 16)
				nt->csrs = (const uint8_t *)data->d_buf + desc_off;
			off = next;
		}
	}
	return 0;
}

/* One task's NT_PRSTATUS note, name "CORE", into buf (NOTE_SIZE bytes). */
#define NOTE_SIZE (12 + 8 + PRSTATUS_SIZE)
static void note_prstatus(uint8_t *buf, uint32_t pid, const uint64_t reg[32])
{
	memset(buf, 0, NOTE_SIZE);
	put_le(buf, 5, 4);
	put_le(buf + 4, PRSTATUS_SIZE, 4);
	put_le(buf + 8, NT_PRSTATUS, 4);
	memcpy(buf + 12, "CORE", 5);
	uint8_t *desc = buf + 20;
	put_le(desc + PRSTATUS_PID, pid, 4);
	for (int i = 0; i < 32; i++)
		put_le(desc + PRSTATUS_REGS + 8 * i, reg[i], 8);
}

static int write_all(int fd, const char *path, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(path, "cannot write: %s", n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Zeros up to offset `to` (alignment padding between parts of the file). */
static int pad_to(int fd, const char *path, uint64_t *at, uint64_t to)
{
	static const uint8_t zero[SEGMENT_ALIGN];
	while (*at < to) {
		size_t n = to - *at > sizeof zero ? sizeof zero : (size_t)(to - *at);
		if (write_all(fd, path, zero, n) != 0)
			return -1;
		*at += n;
	}
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* The file: ELF header, program headers, one PT_NOTE (the dump's notes, then the tasks'), the
 * PT_LOADs. Written to out, which the caller renames into place on success. */
static int write_core(int fd, const char *out, const struct dump *d, const struct notes *nt,
		      const uint8_t *task_notes, size_t ntask_notes)
{
	size_t nph = 1 + d->nseg;
	uint64_t notes_size = ntask_notes * NOTE_SIZE;
	for (size_t i = 0; i < nt->n; i++)
		notes_size += align_up(nt->size[i], NOTE_ALIGN);
	uint64_t notes_off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	uint64_t seg_off = align_up(notes_off + notes_size, SEGMENT_ALIGN);

	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_RISCV, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (Elf64_Half)nph };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	Elf64_Phdr ph[1 + DUMP_MAX_SEGMENTS];
	memset(ph, 0, sizeof ph);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes_size,
			      .p_align = NOTE_ALIGN };
	uint64_t off = seg_off;
	for (size_t i = 0; i < d->nseg; i++) {
		const struct dump_segment *s = &d->seg[i];
		ph[1 + i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = off,
					  .p_vaddr = s->paddr, .p_paddr = s->paddr, .p_filesz = s->size,
					  .p_memsz = s->size, .p_align = SEGMENT_ALIGN };
		off = align_up(off + s->size, SEGMENT_ALIGN);
	}
	if (write_all(fd, out, &eh, sizeof eh) || write_all(fd, out, ph, nph * sizeof ph[0]))
		return -1;
	uint64_t at = notes_off; /* where the file is now: notes follow the headers directly */
	for (size_t i = 0; i < nt->n; i++) {
		if (write_all(fd, out, nt->bytes[i], nt->size[i]))
			return -1;
		at += nt->size[i];
		if (pad_to(fd, out, &at, align_up(at, NOTE_ALIGN)))
			return -1;
	}
	if (write_all(fd, out, task_notes, ntask_notes * NOTE_SIZE))
		return -1;
	at += ntask_notes * NOTE_SIZE;
	for (size_t i = 0; i < d->nseg; i++) {
		if (pad_to(fd, out, &at, ph[1 + i].p_offset) ||
		    write_all(fd, out, d->seg[i].bytes, d->seg[i].size))
			return -1;
		at += d->seg[i].size;
	}
	return 0;
}

int cmd_gdbcore(const struct options *o)
{
	struct dump d;
	struct kl_session *kl = NULL;
	const struct layout_record *r = NULL;
	uint8_t *task_notes = calloc(LR_MAX_TASKS, NOTE_SIZE);
	char *tmp = NULL;
	struct notes nt;
	int rc = EXIT_UNUSABLE, fd;
	size_t n = 0;

	if (!task_notes)
		return fail(o->file, "out of memory"), EXIT_UNUSABLE;
	if (dump_open(&d, o->file, o->base) != 0) {
		free(task_notes);
		return EXIT_UNUSABLE;
	}
	if (!(kl = engine_on_dump(&d)) || kl_load(kl) != 0 || notes_find(&d, &nt) != 0)
		goto out;
	r = kl_record(kl);
	if (o->elf) {
		if (kl_open_elf(kl, o->elf) != 0)
			goto out;
		if (kl_header_ok(kl) && !kl_elf_matches(kl))
			fprintf(stderr, "inspector: '%s': warning: the record's build ID is not this ELF's: "
				"GDB will show the wrong code\n", o->elf);
	}
	if (nt.hart_reg) {
		uint64_t hart[32];
		for (int j = 0; j < 32; j++)
			hart[j] = get_le64(nt.hart_reg + 8 * j);
		kl_set_hart_regs(kl, hart);
	}
	if (nt.csrs)
		kl_set_hart_csrs(kl, get_le64(nt.csrs), get_le64(nt.csrs + 8));
	if (!kl_header_ok(kl))
		fprintf(stderr, "inspector: '%s': warning: no valid layout record: the core has the "
			"harts' threads only\n", o->file);
	else
		for (uint32_t i = 0; i < record_task_count(r); i++) {
			const struct lr_task *t = &r->tasks[i];
			uint64_t reg[32];
			uint32_t known;
			char name[LR_NAME_LEN + 1];
			int from = kl_task_regs(kl, t->id, reg, &known);
			if (from < 0) {
				fprintf(stderr, "inspector: '%s': warning: task %u '%s': saved sp 0x%lx is not in "
					"the dump: its thread has sp only\n", o->file, t->id, task_name(name, t),
					(unsigned long)t->saved_sp);
				reg[REG_SP] = t->saved_sp;
			} else if (!(known & 1u << REG_PC)) {
				fprintf(stderr, "inspector: '%s': warning: task %u '%s': the dump caught its trap "
					"before kernel/trap.S saved its pc, and has no CSRs (no KLAYOUT note of them, "
					"as in QEMU's own dumps): its thread has no pc\n", o->file, t->id,
					task_name(name, t));
			} else if (from == KL_REGS_FRAME && !o->elf && nt.hart_reg &&
				   t->state == LR_TASK_RUNNING && r->current == t->id) {
				fprintf(stderr, "inspector: '%s': warning: task %u '%s' runs but the hart is "
					"outside the tasks' code: without --elf its thread is its last saved frame, "
					"which a trap being saved makes stale\n", o->file, t->id, task_name(name, t));
			}
			note_prstatus(task_notes + n++ * NOTE_SIZE, GDBCORE_TASK_PID_BASE + t->id, reg);
		}

	/* Written under a temporary name and renamed: the output appears only when complete. */
	struct stat in, outst;
	if (stat(o->output, &outst) == 0 && fstat(d.fd, &in) == 0 && in.st_dev == outst.st_dev &&
	    in.st_ino == outst.st_ino) {
		fail(o->output, "is the input dump: choose another output");
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp", o->output) < 0) {
		tmp = NULL;
		fail(o->output, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fail(tmp, "cannot create: %s", strerror(errno));
		goto out;
	}
	int werr = write_core(fd, tmp, &d, &nt, task_notes, n);
	if (close(fd) != 0 && !werr)
		werr = fail(tmp, "cannot write: %s", strerror(errno));
	if (werr) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, o->output) != 0) {
		fail(o->output, "cannot rename '%s' to it: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* One stable line: the threads and their ids (gdb: `info threads`, `klayout threads`). */
	printf("%s: %zu threads: %s, %zu tasks as pid %u + task id\n", o->output, (nt.hart_reg ? 1 : 0) + n,
	       nt.hart_reg ? "the hart as in the dump" : "no hart (raw dump)", n, GDBCORE_TASK_PID_BASE);
	rc = EXIT_HOLDS;
out:
	free(tmp);
	free(task_notes);
	kl_close(kl);
	dump_close(&d);
	return rc;
}
