/*
 * layout_record.h: the layout record, the one truth shared by the kernel (which writes it at
 * RECORD_ADDR), the inspector (which reads it from a dump) and the GDB scripts (through the
 * kernel's debug info and gdb-scripts/constants.py, generated from this file).
 * Little-endian, fixed-width fields, no pointers. Field by field: docs/layout-record.md.
 *
 * Version 2: RECORD_ADDR holds a publication block (struct lr_publication) followed by two
 * copies of the record (struct layout_record). The kernel writes the copy that is not published
 * and then publishes it with one aligned store of `published`: whatever instant a dump is taken,
 * copy[published] is complete and its checksum holds. The block's generation, heartbeat and
 * pending_since tell an update in progress (harmless) from one the kernel never finished.
 */
#ifndef LAYOUT_RECORD_H
#define LAYOUT_RECORD_H

#include "memlayout.h"

#define LR_MAGIC          0x44524f4359414c4bULL /* the bytes "KLAYCORD" read as a little-endian u64 */
#define LR_VERSION        2
#define LR_MAX_TASKS      64
#define LR_MAX_VIOLATIONS 32
#define LR_NAME_LEN       16                    /* task name, NUL-padded */
#define LR_BUILD_ID_MAX   32
#define LR_SENTINEL       0x57ac6e9d57ac6e9dULL /* held by every excluded lo word */
#define LR_PAINT          0xaaaaaaaaaaaaaaaaULL /* painted over each stack when it is allocated */
/*
 * A sparse ELF core (tools/kqemu.py --sparse) holds only some of RAM; this note in its PT_NOTE
 * (owner "KLAYOUT", type LR_NOTE_RAM, two u64: RAM lo, hi) says so and gives the whole range.
 * LR_NOTE_CSRS (two u64: the first hart's mepc, mscratch), in the cores tools/kqemu.py writes for
 * debuggers, holds what QEMU's NT_PRSTATUS lacks to tell whose registers a hart in kernel/trap.S
 * holds. (Not 2:
 * BFD, and so GDB, reads a type 2 note of any owner as the last thread's FP registers.)
 */
#define LR_NOTE_OWNER     "KLAYOUT"
#define LR_NOTE_RAM       1
#define LR_NOTE_CSRS      0x4b4c0002

/* Task states. */
#define LR_TASK_NEW       0 /* created, never run: its frame holds its entry pc and initial sp */
#define LR_TASK_READY     1 /* preempted or yielded: its frame (ctx) holds every register */
#define LR_TASK_RUNNING   2 /* on the hart now: its frame is stale, the hart's registers are live */
#define LR_TASK_PARKED    3 /* yielded at its configured depth: its frame holds every register */
#define LR_TASK_FAULTED   4 /* stopped at a faulting instruction; its frame is kept, never resumed */

/* lr_violation.cause when a check saw the breach, not a trap (else the RISC-V mcause). */
#define LR_CAUSE_CHECK    0xffffffffu

/* Record flags. */
#define LR_FLAG_READY     0x1 /* every task reached its depth; the ready line was printed */
#define LR_FLAG_HALTED    0x2 /* the kernel stopped on its own breach and waits in wfi */

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
	X(LAYOUT_ORDER, "layout.order", "regions lie inside RAM in the document's order (task code after the record), without overlap or gap") \
	X(LAYOUT_KSTACK_TOP, "layout.kstack-top", "the kernel stack's hi is the end of RAM")            \
	X(LAYOUT_CHAIN, "layout.chain", "each task stack's hi is the previous stack's lo, in creation order") \
	X(LAYOUT_AVAILABLE, "layout.available", "available is the lo of the last stack")               \
	X(IMAGE_UNTOUCHED, "image.untouched", "no task accessed the kernel image; .text and .rodata are unchanged since boot") \
	X(STACK_LO_EXCLUDED, "stack.lo-excluded", "every stack's excluded lo word still holds the sentinel") \
	X(STACK_OVERFLOW, "stack.overflow", "no stack was used below its lo")                           \
	X(STACK_SP, "stack.sp", "every saved sp lies inside its own stack, above lo, 16-byte aligned") \
	X(STACK_HEADROOM, "stack.headroom", "every stack keeps the requested headroom unused")         \
	X(STACK_REFUSED, "stack.refused", "the allocator refused no configured stack")                 \
	X(TASK_ACCESS, "task.access", "no task touched memory outside its own stack and the task code") \
	X(HART_SP, "hart.sp", "the hart's sp is in the kernel stack or a task stack, not the boot stack") \
	X(ELF_BUILD_ID, "elf.build-id", "the kernel in the dump has the ELF's build ID")               \
	X(ELF_REGIONS, "elf.regions", "the record's image regions are the ELF's sections and symbols") \
	X(STACK_BUDGET, "stack.budget", "every stack's size holds its static worst case and its excluded lo word") \
	X(STACK_BOUND, "stack.bound", "no stack's high-water exceeds its static worst case")

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
	uint64_t saved_sp;       /* sp in ctx when the task last left the hart (x2 of the frame) */
	uint64_t saved_pc;       /* pc in ctx when the task last left the hart (mepc) */
	uint64_t ctx;            /* physical address of its struct lr_frame (include/trapframe.h) */
	uint32_t id;             /* 1-based, creation order */
	uint32_t state;          /* LR_TASK_* */
	uint32_t depth;          /* configured recursion depth */
	uint32_t depth_reached;  /* deepest level reported so far */
	uint32_t switches;       /* times switched onto the hart */
	uint32_t preemptions;    /* times the timer took the hart from it */
	char name[LR_NAME_LEN];
};

struct lr_violation {
	uint32_t invariant;      /* enum lr_invariant */
	uint32_t owner;          /* task id, 0 = the kernel */
	uint64_t addr;           /* the faulting address (mtval), or where a check saw it */
	uint64_t expected;
	uint64_t found;
	uint64_t pc;             /* the faulting instruction (mepc); 0 when a check saw it */
	uint32_t cause;          /* mcause, LR_CAUSE_CHECK when a check saw it */
	uint32_t reserved;
};

/* One copy of the record. Two of them follow the publication block at RECORD_ADDR. */
struct layout_record {
	uint64_t magic;          /* LR_MAGIC */
	uint32_t version;        /* LR_VERSION */
	uint32_t size;           /* sizeof(struct layout_record) */
	uint32_t checksum;       /* CRC-32 (IEEE) of the size bytes, this field read as 0 */
	uint32_t generation;     /* even: the publication that wrote this copy, times two */
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
	struct lr_range record;  /* the record's reserved area [RECORD_ADDR, +RECORD_SIZE) */
	struct lr_range task_code; /* the tasks' code and read-only data, after the record */
	struct lr_range free;    /* task code end up to available */
	struct lr_range kstack;  /* kernel stack: hi = ram.hi, lo excluded */
	uint64_t available;      /* hi of the next stack; lo of the last one allocated */
	uint64_t kernel_sp;      /* the kernel's sp when it last left for a task (its stack's hi) */
	uint64_t sentinel;       /* LR_SENTINEL */
	uint64_t paint;          /* LR_PAINT */
	uint32_t image_crc;      /* CRC-32 of [text.lo, rodata.hi) computed at boot */
	uint32_t current;        /* task on the hart, 0 = the kernel */
	uint32_t task_count;     /* entries used in tasks */
	uint32_t task_max;       /* LR_MAX_TASKS */
	uint32_t violation_count; /* violations seen; only the first violation_max are kept */
	uint32_t violation_max;  /* LR_MAX_VIOLATIONS */
	uint32_t tick_us;        /* the timer tick that preempts tasks, in microseconds */
	uint32_t pmp_entries;    /* PMP entries the kernel programs (of the hart's 16) */
	struct lr_task tasks[LR_MAX_TASKS];
	struct lr_violation violations[LR_MAX_VIOLATIONS];
};

/*
 * The publication block at RECORD_ADDR. Readers take copy[published]; the other copy is the
 * kernel's draft. generation is odd from the moment an update begins until it is published;
 * heartbeat counts timer ticks (stored by the tick itself, outside any update) and pending_since
 * is the heartbeat at which the pending update began. The kernel never takes a tick in the middle
 * of an update, so a pending update whose pending_since is older than the heartbeat was abandoned.
 */
struct lr_publication {
	uint64_t magic;          /* LR_MAGIC */
	uint32_t version;        /* LR_VERSION */
	uint32_t size;           /* sizeof(struct layout_record): the size of one copy */
	uint32_t published;      /* 0 or 1: the copy readers take */
	uint32_t generation;     /* odd while an update is pending; the published copy's when even */
	uint64_t heartbeat;      /* timer ticks since the first task ran */
	uint64_t pending_since;  /* heartbeat when the pending update began (meaningful when odd) */
	uint64_t copy_offset;    /* offset of copy 0 from RECORD_ADDR; copy 1 follows it */
	uint64_t reserved[2];
};

/* What RECORD_ADDR holds. */
struct lr_area {
	struct lr_publication pub;
	struct layout_record copy[2];
};

/* Offsets that other readers rely on: a change here is a new LR_VERSION. */
_Static_assert(sizeof(struct lr_task) == 80, "lr_task layout");
_Static_assert(offsetof(struct lr_task, ctx) == 32, "lr_task ctx offset");
_Static_assert(offsetof(struct lr_task, name) == 64, "lr_task name offset");
_Static_assert(sizeof(struct lr_violation) == 48, "lr_violation layout");
_Static_assert(offsetof(struct layout_record, checksum) == 16, "record header layout");
_Static_assert(offsetof(struct layout_record, generation) == 20, "generation follows checksum");
_Static_assert(offsetof(struct layout_record, ram) == 64, "record ram offset");
_Static_assert(offsetof(struct layout_record, task_code) == 208, "record task_code offset");
_Static_assert(offsetof(struct layout_record, tasks) == 320, "record tasks offset");
_Static_assert(sizeof(struct layout_record) == 320 + 64 * 80 + 32 * 48, "record size");
_Static_assert(sizeof(struct lr_publication) == 64, "publication block layout");
_Static_assert(offsetof(struct lr_publication, published) == 16, "published offset");
_Static_assert(offsetof(struct lr_area, copy) == 64, "copy 0 follows the block");
_Static_assert(sizeof(struct lr_area) <= RECORD_SIZE, "the record fits its reserved area");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the layout record is little-endian; readers on big-endian hosts are not supported"
#endif

/* The physical address of copy i (0 or 1). */
#define LR_COPY_ADDR(i) (RECORD_ADDR + sizeof(struct lr_publication) + (uint64_t)(i) * sizeof(struct layout_record))

/*
 * Whether a block's pending update was abandoned: begun (odd generation) at an older heartbeat
 * than the block's. One that is merely in progress began at the current heartbeat.
 */
static inline int lr_update_abandoned(const struct lr_publication *p)
{
	return (p->generation & 1) && p->heartbeat != p->pending_since;
}

/* The stable id of an invariant ("stack.lo-excluded"), "unknown" past the table. */
static inline const char *lr_invariant_id(uint32_t inv)
{
#define LR_INV_ID(name, id, text) id,
	static const char *const ids[] = { LR_INVARIANTS(LR_INV_ID) };
#undef LR_INV_ID
	return inv < LR_INV_COUNT ? ids[inv] : "unknown";
}

/*
 * The publication protocol (lib/lr_publish.c, kernel and host): lr_area_init zeroes the area and
 * leaves copy 0 as a pending draft; lr_begin starts an update and returns the draft (a copy of
 * the published record), NULL when one is already pending; lr_publish makes the draft the
 * published copy; lr_tick advances the heartbeat. docs/layout-record.md.
 */
void lr_area_init(struct lr_area *a);
struct layout_record *lr_draft(struct lr_area *a);
struct layout_record *lr_begin(struct lr_area *a);
void lr_publish(struct lr_area *a);
void lr_tick(struct lr_area *a);
/* Drops a pending update without publishing it (a kernel stopping on its own breach mid-update). */
void lr_discard(struct lr_area *a);

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
