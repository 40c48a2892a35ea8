/*
 * test_inspector_fixture.h: synthetic dumps for the inspector's tests. A 4 MiB RAM
 * [RAM_BASE, RAM_BASE + 4 MiB) holding a consistent layout (image, record at RECORD_ADDR,
 * painted stacks with sentinels near the top), written as a raw image, an ELF core like
 * QEMU's dump-guest-memory, and a matching kernel ELF. Tests break one thing, then write.
 */
#ifndef TEST_INSPECTOR_FIXTURE_H
#define TEST_INSPECTOR_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "layout_record.h"

#define FX_RAM_SIZE   (4ULL << 20)
#define FX_RAM_END    (RAM_BASE + FX_RAM_SIZE)
#define FX_KSTACK_LO  (FX_RAM_END - 0x4000)
#define FX_BUILD_ID_LEN 20
#define FX_TASK_CODE_PC (RECORD_ADDR + RECORD_SIZE + 0x40) /* inside the fixture's task code */
/* Three functions in the fixture's text, each `addi sp, sp, -16; addi sp, sp, 16; ret` (the
 * kernel ELF's FUNC symbols kmain, task_main, task_dive): what the static stack analysis reads. */
#define FX_FUNC_AT(i)   (RAM_BASE + 0x100 + 12 * (i))
#define FX_FUNCS        3

struct fixture {
	uint8_t *ram;                /* FX_RAM_SIZE bytes at RAM_BASE */
	struct lr_publication *pub;  /* inside ram, at RECORD_ADDR: names copy 0 */
	struct layout_record *rec;   /* inside ram, the published copy 0 */
	uint64_t hart_sp;            /* the NT_PRSTATUS sp of the ELF core */
	char dir[64];                /* a fresh temp dir for this fixture's files */
	char path[128];              /* the last path fx_file() built */
};

/* A good layout: every check holds. fx_free() removes the temp dir and its files. */
void fx_init(struct fixture *f);
/* The same layout in memory only: no temp dir, no file (the engine's unit tests). */
void fx_init_memory(struct fixture *f);
void fx_free(struct fixture *f);

/*
 * examples/violations/overflow.conf in the fixture: task `id` grew a frame 0x40 bytes below its
 * lo, its first store skipping the lo word; PMP stopped it there (mcause 7), the kernel recorded
 * stack.overflow and left the task faulted. The record is sealed.
 */
void fx_overflow(struct fixture *f, int id);

/* Recomputes the record checksum after a test changed the record (not the image CRC). */
void fx_seal(struct fixture *f);
uint8_t *fx_phys(struct fixture *f, uint64_t addr);
void fx_put64(struct fixture *f, uint64_t addr, uint64_t value);

/* "DIR/name" in f->path. */
const char *fx_file(struct fixture *f, const char *name);
/* Writers: 0 on success. The raw image may be cut to `size` bytes (0 = the whole RAM). */
int fx_write_raw(struct fixture *f, const char *path, uint64_t size);
int fx_write_core(struct fixture *f, const char *path);
/* An ELF core holding only [lo, lo + size) of RAM (small fuzz seeds). */
int fx_write_core_part(struct fixture *f, const char *path, uint64_t lo, uint64_t size);
int fx_write_kelf(struct fixture *f, const char *path);
/*
 * The static stack analysis's inputs for the fixture's kernel ELF, in dir: obj/ with k.c.su and
 * k.c.ci (kmain 1280 bytes; task_main 64 calling task_dive, 400 bytes a level) and stacks.budget
 * (the kernel stack from kmain, each task from task_main to its depth; the config's sizes and
 * depths, the fixture's). Returns 0.
 */
int fx_write_budget(struct fixture *f, const char *dir);
/* Writes bytes as a file (for text files, empty files, cut copies). */
int fx_write_bytes(const char *path, const void *bytes, size_t len);
/* A little-endian ELF64 RISC-V header of the given type (ET_CORE, ET_EXEC); offsets left 0. */
void fx_elf_header(void *ehdr, uint16_t type);

/*
 * Runs "$INSPECTOR ARGS" (INSPECTOR defaults to build/inspector) through the shell, stdout and
 * stderr into out (NUL-terminated, cut to len). Returns the exit code, or -1 on a signal.
 */
int fx_run(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Lines of out that start with prefix. */
int fx_count_lines(const char *out, const char *prefix);

#endif
