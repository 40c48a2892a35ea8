/*
 * ucode.c: what every task runs, in user mode. The linker script puts this whole file (text and
 * read-only data) into the task-code region after the record, the only code PMP lets a task
 * fetch; it must have no data or bss (the link fails if it does) and call nothing in the kernel.
 *
 * A task recurses to its configured depth, reports the level there with a yield, works a while
 * and unwinds, then dives again: forever, so its stack keeps moving and the timer preempts it
 * anywhere. A task whose config names a misbehaviour (examples/violations/) commits it once, on
 * first reaching its depth, before it reports it; the hardware or the kernel stops it there. Only
 * the misbehaviours some task of the config does are compiled in (KCONFIG_WORKS, from confgen
 * --works): the static stack analysis then reads exactly the code a good config runs.
 */
#include "kconfig.h"
#include "ucode.h"
#include "works.h"

/* Whether a task of this config does work kind w. */
#define DOES(w) ((KCONFIG_WORKS & (1u << WORK_##w)) != 0)

#define WORK_ITERATIONS 20000  /* the work at the depth between two yields */
#define FOREIGN_SP_OFFSET 512  /* foreign-sp: an sp this far above its own stack's hi */
#define WRITE_OTHER_OFFSET 64  /* write-other: this far above its hi, in the stack created before */

/* Kernel addresses, as link-time constants: a well-behaved task never touches them. */
extern char _text_start[], _data_start[];
void kmain(void);

/* An address the compiler knows nothing about: one aligned access, not bytes of a char array. */
static inline uintptr_t opaque(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	__asm__("" : "+r"(a));
	return a;
}

struct task_args {
	uint64_t id, depth, work, lo, hi;
	uint64_t misbehaved;
};

static inline void sys_yield(uint64_t level)
{
	register uint64_t a0 __asm__("a0") = level;
	register uint64_t a7 __asm__("a7") = SYS_YIELD;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

/* A frame big enough to run from sp through lo into the stack below, written from its bottom:
 * the first store skips the lo word and lands in the stack below. */
__attribute__((noinline)) static void task_overflow(uint64_t lo)
{
	uint64_t sp;
	__asm__ volatile("mv %0, sp" : "=r"(sp));
	uint64_t n = sp - lo + 64;
	volatile uint8_t frame[n];
	for (uint64_t i = 0; i < n; i++)
		frame[i] = 0x0f;
	__asm__ volatile("" : : "r"(frame) : "memory");
}

/* Yield with sp pointing outside its own stack: the kernel sees it in the saved frame. */
__attribute__((noinline)) static void task_foreign_yield(uint64_t foreign_sp, uint64_t level)
{
	register uint64_t a0 __asm__("a0") = level;
	register uint64_t a7 __asm__("a7") = SYS_YIELD;
	__asm__ volatile("mv t0, sp\n\tmv sp, %2\n\tecall\n\tmv sp, t0"
			 : "+r"(a0) : "r"(a7), "r"(foreign_sp) : "t0", "memory");
}

/* noipa: called even when the config compiles every misbehaviour out (an empty body), so that
 * task_at_depth keeps its return address in its frame, where GDB's frame walk finds it. */
__attribute__((noipa)) static void task_misbehave(struct task_args *a, uint64_t level)
{
	switch (a->work) {
	case WORK_WRITE_LO:
		if (DOES(WRITE_LO))
			*(volatile uint64_t *)(uintptr_t)a->lo = 0x0badc0de;
		break;
	case WORK_OVERFLOW:
		if (DOES(OVERFLOW))
			task_overflow(a->lo);
		break;
	case WORK_WRITE_TEXT:
		if (DOES(WRITE_TEXT))
			*(volatile uint64_t *)opaque(_text_start) = 0;
		break;
	case WORK_FOREIGN_SP:
		if (DOES(FOREIGN_SP))
			task_foreign_yield(a->hi + FOREIGN_SP_OFFSET, level);
		break;
	case WORK_READ_DATA:
		if (DOES(READ_DATA))
			(void)*(volatile uint64_t *)opaque(_data_start);
		break;
	case WORK_EXEC_TEXT:
		if (DOES(EXEC_TEXT))
			((void (*)(void))(uintptr_t)kmain)();
		break;
	case WORK_WRITE_OTHER:
		if (DOES(WRITE_OTHER))
			*(volatile uint64_t *)(uintptr_t)(a->hi + WRITE_OTHER_OFFSET) = 0x0badc0de;
		break;
	}
}

/*
 * The bottom of a dive: misbehave once if told to, report the level, work a while. The
 * misbehaviour comes before the first report: the kernel's ready line waits until every task has
 * reported its depth and left the hart once more, or has been stopped, so it follows the
 * misbehaviour wherever the timer preempts the task (after the report, a tick taken before the
 * misbehaving store would let the line come first). Spinning breaks nothing: it follows the report.
 */
__attribute__((noinline)) static void task_at_depth(struct task_args *a, uint64_t level)
{
	if (a->work != WORK_RECURSE && a->work != WORK_SPIN && !a->misbehaved) {
		a->misbehaved = 1;
		task_misbehave(a, level);
	}
	sys_yield(level);
	if (a->work == WORK_SPIN)
		for (;;)
			__asm__ volatile("");
	for (volatile uint32_t i = 0; i < WORK_ITERATIONS; i++)
		;
}

/* One level of recursion, a 64-byte frame (docs/config.md); the volatile words keep each level
 * a real frame GDB can walk. */
__attribute__((noinline)) static void task_dive(struct task_args *a, uint64_t level)
{
	volatile uint64_t frame[3] = { level, a->id, a->depth };
	if (level < a->depth)
		task_dive(a, level + 1);
	else
		task_at_depth(a, level);
	frame[0]++; /* not a tail call: the frame stays live below the callee */
}

void task_main(uint64_t id, uint64_t depth, uint64_t work, uint64_t lo, uint64_t hi)
{
	struct task_args a = { id, depth, work, lo, hi, 0 };
	for (;;)
		task_dive(&a, 1);
}
