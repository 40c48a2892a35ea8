/*
 * task.c: creates tasks under the kernel stack and runs them round-robin in user mode. A task
 * leaves the hart when the timer preempts it, when it yields (ecall), or when it faults; each
 * switch is one record update covering the task that left and the one that comes on, and the
 * PMP is reprogrammed for the newcomer (pmp.c). Faults are classified into the invariants here.
 */
#include "task.h"
#include "record.h"
#include "console.h"
#include "diagram.h"
#include "pmp.h"
#include "ucode.h"
#include "harness.h"
#include "works.h"

struct stack_arena kernel_arena;
uint64_t kstack_top, kstack_floor;
static struct task tasks[LR_MAX_TASKS] __attribute__((aligned(16)));
static struct task *on_hart;
static uint32_t task_count;
static int ready_state; /* 0 not yet, 1 reached but the line waits (mid-update bug), 2 printed */
static uint32_t kernel_reported;

extern char _boot_stack_end[];

/*
 * For `make bench` (bench/run.py reads it from a dump, by the ELF's symbol): the cost of a
 * switch after the ready line, from the trap's saved frame to just before task_resume's restore,
 * and of the record update inside it, in retired instructions and in mcycle.
 */
struct kstats {
	uint64_t switches, switch_instret, switch_cycles, record_instret, record_cycles;
} kstats;
extern uint64_t trap_instret, trap_cycle;

static inline uint64_t instret(void)
{
	uint64_t v;
	__asm__ volatile("csrr %0, minstret" : "=r"(v));
	return v;
}

static inline uint64_t cycles(void)
{
	uint64_t v;
	__asm__ volatile("csrr %0, mcycle" : "=r"(v));
	return v;
}

struct task *task_on_hart(void)
{
	return on_hart;
}

const char *task_create(const struct task_config *cfg)
{
	struct lr_range s;
	if (cfg->stack_size < KCONFIG_MIN_STACK)
		return "stack too small";
	const char *refused = stack_alloc(&kernel_arena, cfg->stack_size, &s);
	if (refused)
		return refused;
	stack_paint(&s);

	struct task *t = &tasks[task_count];
	*t = (struct task){ .cfg = cfg, .index = task_count };
	t->frame.pc = (uint64_t)(uintptr_t)task_main;
	t->frame.sp = s.hi;
	t->frame.a0 = task_count + 1;
	t->frame.a1 = cfg->depth;
	t->frame.a2 = cfg->work;
	t->frame.a3 = s.lo;
	t->frame.a4 = s.hi;

	struct layout_record *r = record_begin();
	uint32_t i = r->task_count++;
	struct lr_task *lt = &r->tasks[i];
	lt->stack = s;
	lt->saved_sp = t->frame.sp;
	lt->saved_pc = t->frame.pc;
	lt->ctx = (uint64_t)(uintptr_t)&t->frame;
	lt->id = i + 1;
	lt->state = LR_TASK_NEW;
	lt->depth = cfg->depth;
	for (int c = 0; c < LR_NAME_LEN; c++)
		lt->name[c] = cfg->name[c];
	r->available = kernel_arena.available;
	r->free.hi = kernel_arena.available;
	record_end();
	task_count++;
	return 0;
}

/* ---- PMP ------------------------------------------------------------------------------------ */

#define PMPADDR_WRITE(n, v) __asm__ volatile("csrw pmpaddr" #n ", %0" : : "r"(v))

static void pmp_write(const struct pmp_plan *p)
{
	uint64_t cfg0 = 0, cfg2 = 0;
	for (unsigned i = 0; i < 8; i++) {
		cfg0 |= (uint64_t)p->e[i].cfg << (8 * i);
		cfg2 |= (uint64_t)p->e[i + 8].cfg << (8 * i);
	}
	/* Entry 0 is locked since boot: its writes are ignored, and it keeps guarding. */
	PMPADDR_WRITE(1, p->e[1].addr);
	PMPADDR_WRITE(2, p->e[2].addr);
	PMPADDR_WRITE(3, p->e[3].addr);
	PMPADDR_WRITE(4, p->e[4].addr);
	PMPADDR_WRITE(5, p->e[5].addr);
	__asm__ volatile("csrw pmpcfg0, %0" : : "r"(cfg0));
	__asm__ volatile("csrw pmpcfg2, %0" : : "r"(cfg2));
}

/* At boot: the kernel stack's lo word, locked against every mode, the kernel's own included. */
void pmp_guard_kernel(uint64_t kstack_lo)
{
	struct pmp_plan p = { 0 };
	if (pmp_add_range(&p, kstack_lo, kstack_lo + 8, 0, PMP_L))
		panic("pmp_guard_kernel", "the kernel stack's lo is not 8-byte aligned");
	PMPADDR_WRITE(0, p.e[0].addr);
	__asm__ volatile("csrw pmpcfg0, %0" : : "r"((uint64_t)p.e[0].cfg));
}

static void pmp_for(const struct layout_record *r, const struct lr_task *lt)
{
	struct pmp_plan p;
	if (pmp_task_plan(&p, r->kstack.lo, lt->stack.lo, lt->stack.hi, r->task_code.lo, r->task_code.hi))
		panic("pmp_for", "the PMP plan does not fit the hart's entries");
	if (p.used > 6)
		panic("pmp_for", "pmp_write programs entries 0-5 only");
	/* Entries past the plan must be OFF: a previous, longer plan may have used them. */
	pmp_write(&p);
}

/* ---- the ready line ------------------------------------------------------------------------- */

static void emit_line(void *ctx, const char *line)
{
	(void)ctx;
	kprintf("%s\n", line);
}

static void print_layout(void)
{
	struct layout_record *r = record_now();
	static struct stack_usage t[LR_MAX_TASKS]; /* static: a kernel stack may be small */
	struct stack_usage k = { 1, lr_stack_high_water((const uint8_t *)(uintptr_t)r->kstack.lo,
							 r->kstack.hi - r->kstack.lo, LR_PAINT) };
	for (uint32_t i = 0; i < r->task_count; i++) {
		const struct lr_range *s = &r->tasks[i].stack;
		t[i] = (struct stack_usage){ 1, lr_stack_high_water((const uint8_t *)(uintptr_t)s->lo,
								 s->hi - s->lo, LR_PAINT) };
	}
	diagram_draw(r, &k, t, emit_line, 0);
}

/* For harnesses: RAM as the device tree gave it; a partial dump needs [ram, record end + 64K)
 * and [available, ram end). */
static char ready_line[160];

static const char *format_ready_line(void)
{
	struct layout_record *r = record_now();
	ksnprintf(ready_line, sizeof ready_line,
		  KLAYOUT_READY KLAYOUT_READY_FIELDS "\n",
		  (uint64_t)RECORD_ADDR, r->available, r->ram.lo, r->ram.hi, r->task_count,
		  r->violation_count);
	return ready_line;
}

static void print_ready_line(void)
{
	kputs(format_ready_line());
}

static void report(struct task *t, uint32_t inv, uint64_t addr, uint64_t expected, uint64_t found);

/* Checks only the kernel can make before the line: the image and every task's lo word. */
static void check_before_ready(void)
{
	struct layout_record *r = record_now();
	for (uint32_t i = 0; i < task_count; i++)
		if (!stack_sentinel_ok(&r->tasks[i].stack))
			report(0, LR_INV_STACK_LO_EXCLUDED, r->tasks[i].stack.lo, LR_SENTINEL,
			       *(volatile uint64_t *)(uintptr_t)r->tasks[i].stack.lo);
	uint32_t crc = record_image_crc();
	if (crc != r->image_crc)
		report(0, LR_INV_IMAGE_UNTOUCHED, r->text.lo, r->image_crc, crc);
}

static int all_settled(void)
{
	for (uint32_t i = 0; i < task_count; i++)
		if (tasks[i].phase != TASK_PHASE_SETTLED && !tasks[i].stopped)
			return 0;
	return 1;
}

/* The kstack-overflow bug: kernel code that recurses without end, a 256-byte frame a level. Each
 * call's entry check (trap.S) compares sp with lo + 8; a prologue store on lo faults instead. */
__attribute__((noinline)) static uint64_t kernel_recurse(uint64_t level)
{
	volatile uint64_t frame[30];
	frame[0] = level; /* one store: an initializer would call memset, another function */
	if (level == 0) /* never: it only keeps the compiler from calling the recursion endless */
		return 0;
	return kernel_recurse(level + 1) + frame[0];
}

/* Once every task has run: the layout and the ready line. Called between switches. */
static void maybe_ready(void)
{
	struct lr_area *a = &record_area;
	if (ready_state == 1 && a->pub.heartbeat > a->pub.pending_since + 1) {
		print_ready_line(); /* the mid-update bug: the update began ticks ago and never ends */
		ready_state = 2;
	}
	if (ready_state || !all_settled())
		return;
	if (KCONFIG_FAULT == FAULT_KSTACK_OVERFLOW) /* compiled in for that config only: it has no bound */
		kernel_recurse(1); /* the bug: with a task on the hart in the record */
	check_before_ready();
	struct layout_record *r = record_begin();
	r->flags |= LR_FLAG_READY;
	record_end();
	print_layout();
	if (kconfig.fault == FAULT_MID_UPDATE) {
		record_abandon(); /* the bug: an update that never ends */
		ready_state = 1;
		return;
	}
	ready_state = 2;
	if (kconfig.fault == FAULT_BOOT_STACK) /* the bug: it stops, back on the boot stack */
		kernel_last_words(format_ready_line(), (uint64_t)(uintptr_t)_boot_stack_end);
	print_ready_line();
}

/* ---- scheduling ----------------------------------------------------------------------------- */

/*
 * The next task that may run, round robin after `after`, or NULL: the kernel then idles. A task
 * is judged by its own `stopped`, set as it leaves, never by the published record: the record
 * learns a fault only in the switch's update, after this choice.
 */
static struct task *pick_next(const struct task *after)
{
	uint32_t start = after ? after->index + 1 : 0;
	for (uint32_t n = 0; n < task_count; n++) {
		struct task *t = &tasks[(start + n) % task_count];
		if (!t->stopped)
			return t;
	}
	return 0;
}

/* No task can run: wait for ticks, so the heartbeat goes on. */
static void kernel_idle(void) __attribute__((noreturn));
static void kernel_idle(void)
{
	for (;;) {
		__asm__ volatile("wfi");
		uint64_t mip;
		__asm__ volatile("csrr %0, mip" : "=r"(mip));
		if (mip & (1 << 7)) {
			record_tick();
			timer_rearm();
			maybe_ready();
		}
	}
}

/* One record update: prev (if any) leaves in its new state, next (if any) comes on. */
static void switch_to(struct task *prev, uint32_t prev_state, struct task *next)
{
	uint64_t rec_instret = instret(), rec_cycles = cycles();
	struct layout_record *r = record_begin();
	if (prev) {
		struct lr_task *lt = &r->tasks[prev->index];
		lt->saved_sp = prev->frame.sp;
		lt->saved_pc = prev->frame.pc;
		lt->state = prev_state;
		lt->depth_reached = prev->depth_reached;
		lt->preemptions = prev->preemptions;
	}
	r->current = 0;
	if (next) {
		struct lr_task *lt = &r->tasks[next->index];
		lt->state = LR_TASK_RUNNING;
		lt->switches++;
		r->current = lt->id;
		r->kernel_sp = kstack_top;
		if (next->phase == TASK_PHASE_AT_DEPTH)
			next->phase = TASK_PHASE_RESUMED;
	}
	record_end();
	rec_instret = instret() - rec_instret;
	rec_cycles = cycles() - rec_cycles;
	on_hart = 0;
	int measured = ready_state == 2 && prev; /* the ready line's own switch is no sample */
	maybe_ready();
	if (!next)
		kernel_idle();
	r = record_now();
	pmp_for(r, &r->tasks[next->index]);
	on_hart = next;
	if (measured) {
		kstats.switch_instret += instret() - trap_instret;
		kstats.switch_cycles += cycles() - trap_cycle;
		kstats.record_instret += rec_instret;
		kstats.record_cycles += rec_cycles;
		kstats.switches++;
	}
	task_resume(&next->frame);
}

void sched_start(void)
{
	struct pmp_plan plan;
	struct layout_record *r = record_begin();
	r->tick_us = kconfig.tick_us;
	/* The same count for every task: the rest is fixed, and the stack is always a TOR pair, its
	 * [lo + 8, hi) 8 bytes over a multiple of 16, never a power of two (a NAPOT entry) at the
	 * smallest stack's size or more. So the smallest stack stands for every one. */
	r->pmp_entries = pmp_task_plan(&plan, r->kstack.lo, r->available, r->available + KCONFIG_MIN_STACK,
				       r->task_code.lo, r->task_code.hi) ? 0 : plan.used;
	r->kernel_sp = kstack_top;
	record_end();
	timer_init();
	switch_to(0, 0, pick_next(0));
	panic("sched_start", "switch_to returned");
}

/* stack.sp, seen at every switch: a task's sp must lie in its own stack, above lo, aligned. */
static int sp_ok(const struct task *t)
{
	const struct lr_range *s = &record_now()->tasks[t->index].stack;
	uint64_t sp = t->frame.sp;
	return sp > s->lo && sp <= s->hi && sp % STACK_ALIGN == 0;
}

/* stack.overflow rather than anything else: the task's own frames ran into or past its lo (its
 * sp in what lies below its stack, another stack or free RAM; stack.c says exactly). */
static int overflowed(const struct layout_record *r, const struct task *t)
{
	return stack_overflowed(&r->tasks[t->index].stack, kernel_arena.floor, t->frame.sp);
}

/* A task's overflow, once, wherever it is first seen: addr is where (the faulting address or its
 * sp), expected its stack's lo, found its sp: it needed at least hi - found bytes, of which
 * lo + 8 - found more than it may use (docs/pmp.md). */
static void record_overflow(const struct task *t, uint64_t addr, uint32_t cause)
{
	const struct lr_range *s = &record_now()->tasks[t->index].stack;
	record_violation(LR_INV_STACK_OVERFLOW, t->index + 1, addr, s->lo, t->frame.sp, t->frame.pc,
			 cause);
}

void sched_leave(struct task *t, enum leave why, uint64_t level)
{
	uint32_t state = LR_TASK_READY;
	if (why == LEAVE_PREEMPTED)
		t->preemptions++;
	if (why == LEAVE_YIELDED) {
		if (level > t->depth_reached && level <= t->cfg->depth)
			t->depth_reached = (uint32_t)level;
		if (level >= t->cfg->depth) {
			state = LR_TASK_PARKED;
			if (t->phase == TASK_PHASE_DIVING)
				t->phase = TASK_PHASE_AT_DEPTH;
		}
	}
	if (t->phase == TASK_PHASE_RESUMED)
		t->phase = TASK_PHASE_SETTLED;
	if (why != LEAVE_FAULTED && !sp_ok(t)) {
		const struct layout_record *r = record_now();
		if (overflowed(r, t))
			record_overflow(t, t->frame.sp, LR_CAUSE_CHECK);
		else
			record_violation(LR_INV_STACK_SP, t->index + 1, t->frame.sp,
					 r->tasks[t->index].stack.hi, t->frame.sp, t->frame.pc, LR_CAUSE_CHECK);
		why = LEAVE_FAULTED;
	}
	if (why == LEAVE_FAULTED) {
		state = LR_TASK_FAULTED;
		t->stopped = 1;
	}
	switch_to(t, state, pick_next(t));
	panic("sched_leave", "switch_to returned");
}

/* ---- faults --------------------------------------------------------------------------------- */

static int in(uint64_t a, uint64_t lo, uint64_t hi)
{
	return a >= lo && a < hi;
}

/*
 * Which invariant a faulting access broke. A task whose own frames ran into or past its lo
 * overflowed, whatever its access hit (its own lo word, the stack below, anything further):
 * that is the root cause, first seen here. Otherwise the document's three first, then the rest;
 * a lo word written by a task whose stack did not grow there is a stray write.
 */
static uint32_t classify(const struct task *t, uint64_t addr)
{
	const struct layout_record *r = record_now();
	if (overflowed(r, t))
		return LR_INV_STACK_OVERFLOW;
	if (in(addr, r->text.lo, r->boot_stack.hi))
		return LR_INV_IMAGE_UNTOUCHED;
	if (in(addr, r->kstack.lo, r->kstack.lo + 8))
		return LR_INV_STACK_LO_EXCLUDED;
	for (uint32_t i = 0; i < r->task_count; i++)
		if (in(addr, r->tasks[i].stack.lo, r->tasks[i].stack.lo + 8))
			return LR_INV_STACK_LO_EXCLUDED;
	return LR_INV_TASK_ACCESS;
}

void task_fault(struct task *t, uint64_t cause, uint64_t addr)
{
	uint32_t inv = (cause == 1 || cause == 5 || cause == 7) ? classify(t, addr) : LR_INV_TASK_ACCESS;
	if (inv == LR_INV_STACK_OVERFLOW)
		record_overflow(t, addr, (uint32_t)cause);
	else
		record_violation(inv, t->index + 1, addr, record_now()->tasks[t->index].stack.lo,
				 t->frame.sp, t->frame.pc, (uint32_t)cause);
	sched_leave(t, LEAVE_FAULTED, 0);
}

/* Records a check's violation once per owner and invariant. */
static void report(struct task *t, uint32_t inv, uint64_t addr, uint64_t expected, uint64_t found)
{
	uint32_t *seen = t ? &t->reported : &kernel_reported;
	if (!(*seen & (1u << inv)))
		record_violation(inv, t ? t->index + 1 : 0, addr, expected, found, 0, LR_CAUSE_CHECK);
	*seen |= 1u << inv;
}

void kernel_breach(uint32_t inv, uint64_t addr, uint64_t expected, uint64_t found, uint64_t pc,
		   uint32_t cause)
{
	kprintf("kernel breach: %s at %lx, pc %lx: the kernel stops\n", lr_invariant_id(inv), addr, pc);
	if (record_area.pub.magic != LR_MAGIC)
		panic("kernel_breach", "before the record exists");
	lr_discard(&record_area); /* an update it was in the middle of is dropped, never published */
	record_violation(inv, 0, addr, expected, found, pc, cause);
	struct layout_record *r = record_begin();
	r->flags |= LR_FLAG_HALTED;
	if (r->current && r->current <= task_count) {
		/* The task the record puts on the hart never runs again: it leaves it, as its frame
		 * says (a trap saved it, or it was about to be resumed from it). */
		struct task *t = &tasks[r->current - 1];
		struct lr_task *lt = &r->tasks[r->current - 1];
		lt->state = t->stopped ? LR_TASK_FAULTED : LR_TASK_READY;
		lt->saved_sp = t->frame.sp;
		lt->saved_pc = t->frame.pc;
	}
	r->current = 0;
	record_end();
	kernel_last_words(format_ready_line(), kstack_top);
}
