/*
 * layout_record.h: the layout record, the one truth shared by the kernel (which writes it at
 * RECORD_ADDR), the inspector (which reads it from a dump) and the GDB scripts (through the
 * kernel's debug info and gdb-scripts/constants.py, generated from this file).
 * Little-endian, fixed-width fields, no pointers. Field by field: docs/layout-record.md.
 */
#ifndef LAYOUT_RECORD_H
#define LAYOUT_RECORD_H

#include "memlayout.h"

#define LR_MAGIC          0x44524f4359414c4bULL /* the bytes "KLAYCORD" read as a little-endian u64 */
#define LR_VERSION        1
#define LR_MAX_TASKS      64
#define LR_MAX_VIOLATIONS 32
#define LR_NAME_LEN       16                    /* task name, NUL-padded */
#define LR_BUILD_ID_MAX   32
#define LR_SENTINEL       0x57ac6e9d57ac6e9dULL /* held by every excluded lo word */
#define LR_PAINT          0xaaaaaaaaaaaaaaaaULL /* painted over each stack when it is allocated */
/*
 * A sparse ELF core (tools/kqemu.py --sparse) holds only some of RAM; this note in its PT_NOTE
 * (owner "KLAYOUT", type LR_NOTE_RAM, two u64: RAM lo, hi) says so and gives the whole range.
 */
#define LR_NOTE_OWNER     "KLAYOUT"
#define LR_NOTE_RAM       1

/* Task states. */
#define LR_TASK_NEW       0 /* created, never run: saved_sp points at its initial frame */
#define LR_TASK_READY     1 /* switched out, will run again */
#define LR_TASK_RUNNING   2 /* on the hart now: saved_sp is stale, the hart's sp is live */
#define LR_TASK_PARKED    3 /* reached its configured depth and yielded there */
#define LR_TASK_FAULTED   4 /* the kernel saw it break an invariant and stopped scheduling it */

/* Record flags. */
#define LR_FLAG_READY     0x1 /* every task reached its depth; the ready line was printed */
#define LR_FLAG_HALTED    0x2 /* the kernel stopped scheduling and waits in wfi */

/*
 * The invariants, by stable id. The design document's three are image.untouched (1) and
 * stack.lo-excluded (2: task stacks, 3: the kernel stack); the rest check that the record
 * draws the document's diagrams. X(enum suffix, id, what holds when it passes).
 */
#define LR_INVARIANTS(X)                                                                           \
	X(RECORD_MAGIC, "record.magic", "the record page holds a layout record")                       \
	X(RECORD_VERSION, "record.version", "the record's version is one this reader knows")           \
	X(RECORD_SIZE, "record.size", "the record's size is the size of this version")                  \
	X(RECORD_CHECKSUM, "record.checksum", "the record's checksum matches its bytes")                \
	X(RECORD_GENERATION, "record.generation", "the dump was not taken while the kernel was updating the record") \
	X(LAYOUT_RAM, "layout.ram", "the record's RAM is the RAM in the dump")                          \
	X(LAYOUT_ORDER, "layout.order", "regions lie inside RAM in the document's order, without overlap or gap") \
	X(LAYOUT_KSTACK_TOP, "layout.kstack-top", "the kernel stack's hi is the end of RAM")            \
	X(LAYOUT_CHAIN, "layout.chain", "each task stack's hi is the previous stack's lo, in creation order") \
	X(LAYOUT_AVAILABLE, "layout.available", "available is the lo of the last stack")               \
	X(IMAGE_UNTOUCHED, "image.untouched", "the kernel's .text and .rodata are unchanged since boot") \
	X(STACK_LO_EXCLUDED, "stack.lo-excluded", "every stack's excluded lo word still holds the sentinel") \
	X(STACK_OVERFLOW, "stack.overflow", "no stack was used below its lo")                           \
	X(STACK_SP, "stack.sp", "every saved sp lies inside its own stack, above lo, 16-byte aligned") \
	X(STACK_HEADROOM, "stack.headroom", "every stack keeps the requested headroom unused")         \
	X(STACK_REFUSED, "stack.refused", "the allocator refused no configured stack")                 \
	X(HART_SP, "hart.sp", "the hart's sp is in the kernel stack or a task stack, not the boot stack") \
	X(ELF_BUILD_ID, "elf.build-id", "the kernel in the dump has the ELF's build ID")               \
	X(ELF_REGIONS, "elf.regions", "the record's image regions are the ELF's sections and symbols")

#define LR_INV_ENUM(name, id, text) LR_INV_##name,
enum lr_invariant { LR_INVARIANTS(LR_INV_ENUM) LR_INV_COUNT };
#undef LR_INV_ENUM

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

/* An address range [lo, hi). For a stack, the word at lo is the excluded one. */
struct lr_range {
	uint64_t lo;
	uint64_t hi;
};

struct lr_task {
	struct lr_range stack;   /* hi = previous stack's lo; lo excluded, holds LR_SENTINEL */
	uint64_t saved_sp;       /* sp saved by swtch.S when the task last left the hart */
	uint32_t id;             /* 1-based, creation order */
	uint32_t state;          /* LR_TASK_* */
	uint32_t depth;          /* configured recursion depth */
	uint32_t depth_reached;  /* deepest level reached so far */
	uint32_t switches;       /* times switched onto the hart */
	uint32_t reserved;
	char name[LR_NAME_LEN];
};

struct lr_violation {
	uint32_t invariant;      /* enum lr_invariant */
	uint32_t owner;          /* task id, 0 = the kernel */
	uint64_t addr;           /* where the kernel saw it */
	uint64_t expected;
	uint64_t found;
};

struct layout_record {
	uint64_t magic;          /* LR_MAGIC */
	uint32_t version;        /* LR_VERSION */
	uint32_t size;           /* sizeof(struct layout_record) */
	uint32_t checksum;       /* CRC-32 (IEEE) of the size bytes, this field read as 0 */
	uint32_t generation;     /* odd while the kernel updates the record */
	uint32_t flags;          /* LR_FLAG_* */
	uint32_t build_id_size;  /* bytes used in build_id */
	uint8_t build_id[LR_BUILD_ID_MAX]; /* the kernel's GNU build ID (.note.gnu.build-id) */
	struct lr_range ram;     /* mem_start, mem_end from the device tree */
	struct lr_range dtb;     /* where the platform put the device tree (dead after boot) */
	struct lr_range text;    /* .text: from RAM_BASE */
	struct lr_range rodata;  /* .rodata with the build-id note */
	struct lr_range data;    /* .data */
	struct lr_range bss;     /* .bss */
	struct lr_range boot_stack; /* the linker script's temporary stack, last in the image */
	struct lr_range padding; /* image end up to the record */
	struct lr_range record;  /* this record's reserved area [RECORD_ADDR, +RECORD_SIZE) */
	struct lr_range free;    /* record end up to available */
	struct lr_range kstack;  /* kernel stack: hi = ram.hi, lo excluded */
	uint64_t available;      /* hi of the next stack; lo of the last one allocated */
	uint64_t kernel_sp;      /* kernel's sp saved at its last switch to a task, or at halt */
	uint64_t sentinel;       /* LR_SENTINEL */
	uint64_t paint;          /* LR_PAINT */
	uint32_t image_crc;      /* CRC-32 of [text.lo, rodata.hi) computed at boot */
	uint32_t current;        /* task on the hart, 0 = the kernel */
	uint32_t task_count;     /* entries used in tasks */
	uint32_t task_max;       /* LR_MAX_TASKS */
	uint32_t violation_count; /* violations seen; only the first violation_max are kept */
	uint32_t violation_max;  /* LR_MAX_VIOLATIONS */
	struct lr_task tasks[LR_MAX_TASKS];
	struct lr_violation violations[LR_MAX_VIOLATIONS];
};

/* Offsets that other readers rely on: a change here is a new LR_VERSION. */
_Static_assert(sizeof(struct lr_task) == 64, "lr_task layout");
_Static_assert(sizeof(struct lr_violation) == 32, "lr_violation layout");
_Static_assert(offsetof(struct layout_record, checksum) == 16, "record header layout");
_Static_assert(offsetof(struct layout_record, generation) == 20, "generation follows checksum");
_Static_assert(offsetof(struct layout_record, ram) == 64, "record ram offset");
_Static_assert(offsetof(struct layout_record, tasks) == 296, "record tasks offset");
_Static_assert(sizeof(struct layout_record) == 296 + 64 * 64 + 32 * 32, "record size");
_Static_assert(sizeof(struct layout_record) <= RECORD_SIZE, "the record fits its reserved area");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the layout record is little-endian; readers on big-endian hosts are not supported"
#endif

/* The stable id of an invariant ("stack.lo-excluded"), "unknown" past the table. */
static inline const char *lr_invariant_id(uint32_t inv)
{
#define LR_INV_ID(name, id, text) id,
	static const char *const ids[] = { LR_INVARIANTS(LR_INV_ID) };
#undef LR_INV_ID
	return inv < LR_INV_COUNT ? ids[inv] : "unknown";
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32): lib/crc32.c, built for kernel and host. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

/*
 * The checksum of a record of `size` bytes whose generation reads `generation` (the checksum
 * field read as 0). The kernel passes the even generation it is about to publish, so a finished
 * record verifies as it stands; readers use lr_checksum().
 */
static inline uint32_t lr_checksum_as(const struct layout_record *r, size_t size, uint32_t generation)
{
	const uint8_t *p = (const uint8_t *)r;
	const size_t at = offsetof(struct layout_record, checksum);
	const uint8_t mid[8] = { 0, 0, 0, 0, (uint8_t)generation, (uint8_t)(generation >> 8),
				 (uint8_t)(generation >> 16), (uint8_t)(generation >> 24) };
	uint32_t crc = crc32_update(0, p, at);
	crc = crc32_update(crc, mid, sizeof mid);
	return crc32_update(crc, p + at + sizeof mid, size - at - sizeof mid);
}

static inline uint32_t lr_checksum(const struct layout_record *r, size_t size)
{
	return lr_checksum_as(r, size, r->generation);
}

/*
 * Bytes of a stack ever used, from its paint: the stack's memory `mem` covers [lo, lo + size);
 * the scan starts just above the excluded lo word and stops at the first word that is not paint.
 */
static inline uint64_t lr_stack_high_water(const uint8_t *mem, uint64_t size, uint64_t paint)
{
	uint64_t off = 8;
	for (; off + 8 <= size; off += 8) {
		uint64_t w = 0;
		for (int i = 7; i >= 0; i--)
			w = (w << 8) | mem[off + (uint64_t)i];
		if (w != paint)
			break;
	}
	return size - off;
}
#endif /* __ASSEMBLER__ */
#endif
