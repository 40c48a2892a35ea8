/*
 * dump.c: opens a memory dump, tells an ELF core (QEMU dump-guest-memory) from a raw RAM image
 * (QEMU pmemsave) by its content, and translates physical addresses into the mapping. The file
 * is mapped, never read whole: a 4 GiB dump costs only the pages the checks touch. A file cut
 * short while mapped raises SIGBUS on the next page touched past its new end: dump_sigbus()
 * turns that into the usual one-line message and exit 2. Every header that would make two
 * readers see different memory (overlapping PT_LOADs, an entry size libelf would misread, a
 * foreign machine) is refused here, so the checks only ever see memory read correctly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libelf.h>
#include "inspector.h"

/* PRSTATUS_PID, PRSTATUS_PC, PRSTATUS_SP: where QEMU's NT_PRSTATUS holds the registers (include/harness.h). */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* [lo, lo + len) inside [0, size) without overflowing. */
static int within(uint64_t lo, uint64_t len, uint64_t size)
{
	return lo <= size && len <= size - lo;
}

static int dump_add_segment(struct dump *d, uint64_t paddr, uint64_t size, const uint8_t *bytes)
{
	if (d->nseg == DUMP_MAX_SEGMENTS)
		return fail(d->path, "more than %d PT_LOAD segments", DUMP_MAX_SEGMENTS);
	if (size && paddr + size - 1 < paddr)
		return fail(d->path, "segment at physical 0x%lx wraps around the address space",
			    (unsigned long)paddr);
	/* Two segments for one address: which one holds the truth? Neither can be trusted. */
	for (size_t i = 0; size && i < d->nseg; i++) {
		const struct dump_segment *s = &d->seg[i];
		if (s->size && paddr <= s->paddr + (s->size - 1) && s->paddr <= paddr + (size - 1))
			return fail(d->path, "ambiguous dump: PT_LOADs at physical 0x%lx and 0x%lx overlap",
				    (unsigned long)s->paddr, (unsigned long)paddr);
	}
	d->seg[d->nseg++] = (struct dump_segment){ .paddr = paddr, .size = size, .bytes = bytes };
	return 0;
}

/* Every NT_PRSTATUS of a PT_NOTE: the registers of one hart each. */
static int dump_read_notes(struct dump *d, const GElf_Phdr *ph)
{
	Elf_Data *data = elf_getdata_rawchunk(d->elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	if (!data)
		return fail_elf(d->path, "unreadable PT_NOTE at offset 0x%lx", (unsigned long)ph->p_offset);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while (off < data->d_size) {
		size_t next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
		if (next == 0)
			return fail(d->path, "corrupt note in PT_NOTE at offset 0x%lx",
				    (unsigned long)(ph->p_offset + off));
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;
		const char *name = (const char *)data->d_buf + name_off;
		/* A core from `inspector gdbcore` adds one NT_PRSTATUS per task: a thread, not a hart. */
		if (nh.n_type == NT_PRSTATUS && nh.n_namesz == 5 && memcmp(name, "CORE", 5) == 0 &&
		    nh.n_descsz >= PRSTATUS_SP + 8 && d->nharts < DUMP_MAX_HARTS &&
		    (le64(desc + PRSTATUS_PID) & 0xffffffff) <= GDBCORE_TASK_PID_BASE) {
			d->hart_pc[d->nharts] = le64(desc + PRSTATUS_PC);
			d->hart_sp[d->nharts] = le64(desc + PRSTATUS_SP);
			d->nharts++;
		} else if (nh.n_type == LR_NOTE_RAM && nh.n_namesz == sizeof LR_NOTE_OWNER &&
			   memcmp(name, LR_NOTE_OWNER, sizeof LR_NOTE_OWNER) == 0 && nh.n_descsz >= 16) {
			d->sparse = 1;
			d->ram.lo = le64(desc);
			d->ram.hi = le64(desc + 8);
			if (d->ram.hi <= d->ram.lo)
				return fail(d->path, "KLAYOUT note with an empty RAM range");
		}
		off = next;
	}
	return 0;
}

/* The ELF header fields libelf trusts blindly: refused before libelf sees the file. */
static int dump_check_ehdr(const struct dump *d)
{
	Elf64_Ehdr eh;
	const unsigned char *id = d->map;
	if (d->map_size < sizeof eh || id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB)
		return fail(d->path, "not a 64-bit little-endian ELF core (truncated or corrupt ELF header)");
	memcpy(&eh, d->map, sizeof eh);
	if (eh.e_type != ET_CORE)
		return fail(d->path, "ELF file is not a core dump (e_type %u)", (unsigned)eh.e_type);
	if (eh.e_machine != EM_RISCV)
		return fail(d->path, "not a RISC-V core (e_machine %u, not %u)", (unsigned)eh.e_machine,
			    (unsigned)EM_RISCV);
	if (eh.e_phnum == 0)
		return fail(d->path, "ELF core without program headers");
	/* libelf reads sizeof(Elf64_Phdr) per entry whatever e_phentsize says. */
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(d->path, "e_phentsize %u, not %zu: program headers unreadable",
			    (unsigned)eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phnum != PN_XNUM && !within(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), d->map_size))
		return fail(d->path, "truncated program header table at offset 0x%lx (file has 0x%zx bytes)",
			    (unsigned long)eh.e_phoff, d->map_size);
	return 0;
}

static int dump_open_core(struct dump *d)
{
	if (dump_check_ehdr(d) != 0)
		return -1;
	elf_version(EV_CURRENT);
	d->elf = elf_memory((char *)d->map, d->map_size);
	if (!d->elf)
		return fail_elf(d->path, "cannot read ELF");
	GElf_Ehdr eh;
	if (!gelf_getehdr(d->elf, &eh))
		return fail_elf(d->path, "cannot read ELF header");
	size_t phnum;
	if (elf_getphdrnum(d->elf, &phnum) != 0)
		return fail_elf(d->path, "cannot read program headers");
	if (!within(eh.e_phoff, (uint64_t)phnum * sizeof(Elf64_Phdr), d->map_size))
		return fail(d->path, "truncated program header table at offset 0x%lx",
			    (unsigned long)eh.e_phoff);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(d->elf, (int)i, &ph))
			return fail_elf(d->path, "cannot read program header %zu", i);
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (!within(ph.p_offset, ph.p_filesz, d->map_size))
			return fail(d->path, "truncated %s at offset 0x%lx (0x%lx bytes, file has 0x%zx)",
				    ph.p_type == PT_LOAD ? "PT_LOAD" : "PT_NOTE",
				    (unsigned long)ph.p_offset, (unsigned long)ph.p_filesz, d->map_size);
		if (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz)
			return fail(d->path, "PT_LOAD at offset 0x%lx has p_filesz 0x%lx > p_memsz 0x%lx",
				    (unsigned long)ph.p_offset, (unsigned long)ph.p_filesz,
				    (unsigned long)ph.p_memsz);
		/* Physical addresses: QEMU's paging=false cores have p_vaddr = p_paddr, others need not. */
		int err = ph.p_type == PT_LOAD
			? dump_add_segment(d, ph.p_paddr, ph.p_filesz, d->map + ph.p_offset)
			: dump_read_notes(d, &ph);
		if (err)
			return err;
	}
	if (d->nseg == 0)
		return fail(d->path, "ELF core without PT_LOAD segments");
	for (size_t i = 0; d->sparse && i < d->nseg; i++)
		if (d->seg[i].paddr < d->ram.lo || d->seg[i].size > d->ram.hi - d->seg[i].paddr)
			return fail(d->path, "PT_LOAD at physical 0x%lx outside the RAM its KLAYOUT note names",
				    (unsigned long)d->seg[i].paddr);
	return 0;
}

/*
 * SIGBUS on a page of an open dump means the file got shorter after it was mapped (a CI job
 * rewriting build/dump.elf): one line, exit 2, as for any file that cannot be used. Only
 * async-signal-safe calls here; the message is formatted at open time.
 */
#define DUMPS_OPEN_MAX 4
static struct dump *volatile dumps_open[DUMPS_OPEN_MAX];

static void dump_sigbus(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	const uint8_t *at = si->si_addr;
	for (int i = 0; i < DUMPS_OPEN_MAX; i++) {
		const struct dump *d = dumps_open[i];
		if (d && d->map && at >= d->map && at < d->map + d->map_size) {
			ssize_t w = write(STDERR_FILENO, d->changed_msg, strlen(d->changed_msg));
			(void)w;
			_exit(EXIT_UNUSABLE);
		}
	}
	/* Not ours: die of it as if no handler were there. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void dump_watch(struct dump *d)
{
	static int installed;
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = dump_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
		installed = 1;
	}
	snprintf(d->changed_msg, sizeof d->changed_msg,
		 "inspector: '%s': the file shrank while being read (was %zu bytes)\n", d->path, d->map_size);
	for (int i = 0; i < DUMPS_OPEN_MAX; i++)
		if (!dumps_open[i]) {
			dumps_open[i] = d;
			return;
		}
}

static void dump_unwatch(struct dump *d)
{
	for (int i = 0; i < DUMPS_OPEN_MAX; i++)
		if (dumps_open[i] == d)
			dumps_open[i] = NULL;
}

/* What a non-regular file is, for the message: the reason it cannot be read safely. */

int dump_open(struct dump *d, const char *path, uint64_t raw_base)
{
	struct stat st;
	memset(d, 0, sizeof *d);
	d->path = path;
	if (input_open(path, &d->fd, &st) != 0)
		return -1;
	if (st.st_size == 0)
		return fail(path, "empty file");
	if ((uint64_t)st.st_size > SIZE_MAX)
		return fail(path, "too large to map");
	d->map_size = (size_t)st.st_size;
	d->opened = st;
	/*
	 * Private and writable so libelf may never fault on it; the fd is read-only, so no write
	 * can reach the file. MAP_NORESERVE: nothing is committed for pages never written.
	 */
	d->map = mmap(NULL, d->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, d->fd, 0);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		return fail(path, "cannot map: %s", strerror(errno));
	}
	dump_watch(d);
	if (d->map_size >= SELFMAG && memcmp(d->map, ELFMAG, SELFMAG) == 0) {
		d->format = DUMP_ELF_CORE;
		return dump_open_core(d);
	}
	d->format = DUMP_RAW;
	return dump_add_segment(d, raw_base, d->map_size, d->map);
}

int dump_unchanged(const struct dump *d)
{
	struct stat st;
	if (fstat(d->fd, &st) != 0)
		return fail(d->path, "cannot stat: %s", strerror(errno));
	if (st.st_size != d->opened.st_size || st.st_mtim.tv_sec != d->opened.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != d->opened.st_mtim.tv_nsec)
		return fail(d->path, "the file changed while being read (%lld bytes, now %lld)",
			    (long long)d->opened.st_size, (long long)st.st_size);
	return 0;
}

void dump_close(struct dump *d)
{
	dump_unwatch(d);
	if (d->elf)
		elf_end(d->elf);
	if (d->map)
		munmap(d->map, d->map_size);
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof *d);
}

const struct dump_segment *dump_segment_at(const struct dump *d, uint64_t addr)
{
	for (size_t i = 0; i < d->nseg; i++)
		if (addr >= d->seg[i].paddr && addr - d->seg[i].paddr < d->seg[i].size)
			return &d->seg[i];
	return NULL;
}

const uint8_t *dump_phys(const struct dump *d, uint64_t addr, uint64_t len)
{
	const struct dump_segment *s = dump_segment_at(d, addr);
	if (!s || !within(addr - s->paddr, len, s->size))
		return NULL;
	return s->bytes + (addr - s->paddr);
}

int dump_read_u64(const struct dump *d, uint64_t addr, uint64_t *value)
{
	const uint8_t *p = dump_phys(d, addr, 8);
	if (!p)
		return -1;
	*value = le64(p);
	return 0;
}

const char *dump_format_name(const struct dump *d)
{
	return d->format == DUMP_ELF_CORE ? "elf-core" : "raw";
}

struct lr_range dump_ram(const struct dump *d)
{
	if (d->sparse)
		return d->ram;
	const struct dump_segment *s = dump_segment_at(d, RECORD_ADDR);
	return s ? (struct lr_range){ s->paddr, s->paddr + s->size } : (struct lr_range){ 0, 0 };
}

int dump_unsaved(const struct dump *d, uint64_t addr, uint64_t len)
{
	return d->sparse && !dump_phys(d, addr, len) && addr >= d->ram.lo && addr <= d->ram.hi &&
	       len <= d->ram.hi - addr;
}
