/*
 * threads.c: every task as a debugger's thread: whose registers each task has at the target's
 * instant. A task off the hart has its saved frame (lr_task.ctx, include/trapframe.h); the one
 * the record says runs has the hart's registers while the hart runs the tasks' code, its frame
 * once kernel/trap.S has saved it, and in between, while its trap is being saved, a mix only
 * trap.S's order explains (TRAP_ENTRY, TRAP_REGS_SAVED, TRAP_SAVED in trapframe.h). The rule is
 * written here once: inspector gdbcore writes a core with it, the GDB thread proxy answers GDB
 * with it (gdb-scripts/kthreads.py, through ctypes).
 */
#include <inttypes.h>
#include <string.h>
#include "engine.h"
#include "trapframe.h"

#define KL_STR(x) #x
#define KL_XSTR(x) KL_STR(x)

enum { REG_PC = 0, REG_SP = 2, REG_T5 = 30, REG_T6 = 31, ALL_REGS = 32 };
#define KNOWN_ALL 0xffffffffu

static const struct lr_task *task_by_id(const struct layout_record *r, uint32_t id)
{
	for (uint32_t i = 0; i < record_task_count(r); i++)
		if (r->tasks[i].id == id)
			return &r->tasks[i];
	return NULL;
}

/* trap.S's labels in the kernel ELF: 0, or -1 without an ELF or without them. */
struct trap_marks {
	uint64_t entry, regs_saved, saved;
};

static int trap_marks(const struct kl_session *s, struct trap_marks *m)
{
	const struct kelf *k = kl_kelf(s);
	return k && kelf_symbol(k, KL_XSTR(TRAP_ENTRY), &m->entry) == 0 &&
	       kelf_symbol(k, KL_XSTR(TRAP_REGS_SAVED), &m->regs_saved) == 0 &&
	       kelf_symbol(k, KL_XSTR(TRAP_SAVED), &m->saved) == 0 && m->entry < m->regs_saved &&
	       m->regs_saved < m->saved ? 0 : -1;
}

/*
 * Whether hart registers `hart` (pc inside [entry, saved)) are in the middle of saving task t's
 * trap. Past trap.S's first instruction t6 holds the frame being written (0 on the kernel's own
 * traps); at it, mscratch does, and without CSRs the hart's sp tells: a task's trap starts on
 * the task's stack, the kernel's on the kernel stack.
 */
static int saving_trap_of(const struct kl_session *s, const struct lr_task *t, const uint64_t *hart,
			  const struct trap_marks *m)
{
	uint64_t mepc, mscratch;
	if (hart[REG_PC] != m->entry)
		return hart[REG_T6] == t->ctx;
	if (kl_hart_csrs(s, &mepc, &mscratch))
		return mscratch == t->ctx;
	const struct lr_range *ks = &kl_record(s)->kstack;
	return !(hart[REG_SP] > ks->lo && hart[REG_SP] <= ks->hi);
}

/*
 * What the hart holds of a task whose trap it is saving. trap.S swaps t6 with mscratch first
 * (t6 then addresses the frame), stores x1..x30 without touching any of them, then uses t5 for
 * mscratch (the task's t6) and mepc (its pc): before TRAP_REGS_SAVED x1..x30 are the hart's,
 * from it the frame's; t6 is the hart's at the first instruction, mscratch's after; the pc is
 * mepc. A core without CSRs lacks those two.
 */
static void trap_regs(const struct kl_session *s, const uint64_t *hart, const uint64_t *frame,
		      int have_frame, const struct trap_marks *m, uint64_t reg[32], uint32_t *known)
{
	uint64_t mepc, mscratch;
	int csrs = kl_hart_csrs(s, &mepc, &mscratch);
	int saved = hart[REG_PC] >= m->regs_saved;
	*known = 0;
	for (int i = 1; i <= REG_T5; i++) {
		if (saved && !have_frame)
			continue;
		reg[i] = saved ? frame[i] : hart[i];
		*known |= 1u << i;
	}
	if (hart[REG_PC] == m->entry || csrs) {
		reg[REG_T6] = hart[REG_PC] == m->entry ? hart[REG_T6] : mscratch;
		*known |= 1u << REG_T6;
	}
	if (csrs) {
		reg[REG_PC] = mepc;
		*known |= 1u << REG_PC;
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int kl_task_regs(struct kl_session *s, uint32_t id, uint64_t reg[32], uint32_t *known)
{
	const struct layout_record *r = kl_record(s);
	const struct lr_task *t = kl_header_ok(s) ? task_by_id(r, id) : NULL;
	const uint64_t *hart = kl_hart_regs(s);
	uint64_t frame[ALL_REGS];
	uint8_t raw[TF_SIZE];
	struct trap_marks m;
	char name[LR_NAME_LEN + 1];

	_Static_assert(TF_SIZE == ALL_REGS * 8, "the frame is pr_reg: pc, x1..x31");
	memset(reg, 0, ALL_REGS * sizeof reg[0]);
	*known = 0;
	if (!kl_header_ok(s))
		return fail(kl_name(s), "no valid layout record: no task has registers");
	if (!t)
		return fail(kl_name(s), "no task %" PRIu32 " in the record", id);
	int have_frame = kl_read(s, t->ctx, raw, TF_SIZE) == 0;
	for (int i = 0; have_frame && i < ALL_REGS; i++)
		frame[i] = le64(raw + 8 * i);
	if (hart && t->state == LR_TASK_RUNNING && r->current == id) {
		if (hart[REG_PC] >= r->task_code.lo && hart[REG_PC] < r->task_code.hi) {
			memcpy(reg, hart, ALL_REGS * sizeof reg[0]);
			*known = KNOWN_ALL;
			return KL_REGS_HART;
		}
		if (trap_marks(s, &m) == 0 && hart[REG_PC] >= m.entry && hart[REG_PC] < m.saved &&
		    saving_trap_of(s, t, hart, &m)) {
			trap_regs(s, hart, frame, have_frame, &m, reg, known);
			return KL_REGS_TRAP;
		}
	}
	if (!have_frame)
		return fail(kl_name(s), "task %" PRIu32 " '%s': its saved frame (%d bytes at 0x%" PRIx64
			    ") is %s", id, task_name(name, t), TF_SIZE, t->ctx, kl_absent(s));
	memcpy(reg, frame, sizeof frame);
	*known = KNOWN_ALL;
	return KL_REGS_FRAME;
}

int kl_task_on_hart(struct kl_session *s, uint32_t id)
{
	uint64_t reg[ALL_REGS];
	uint32_t known;
	return kl_task_regs(s, id, reg, &known) == KL_REGS_HART;
}

size_t kl_task_ids(const struct kl_session *s, uint32_t *ids, size_t max)
{
	const struct layout_record *r = kl_record(s);
	uint32_t n = kl_header_ok(s) ? record_task_count(r) : 0;
	for (uint32_t i = 0; i < n && i < max; i++)
		ids[i] = r->tasks[i].id;
	return n;
}

int kl_task_line(const struct kl_session *s, uint32_t id, char *name, size_t nlen, char *line,
		 size_t llen)
{
	const struct lr_task *t = kl_header_ok(s) ? task_by_id(kl_record(s), id) : NULL;
	char buf[LR_NAME_LEN + 1];
	if (!t)
		return -1;
	task_name(buf, t);
	snprintf(name, nlen, "%s", buf);
	snprintf(line, llen, "task %" PRIu32 " '%s' %s, stack 0x%" PRIx64 "-0x%" PRIx64 ", saved sp 0x%"
		 PRIx64 ", %" PRIu32 " switches", id, buf, kl_task_state_name(t->state), t->stack.lo,
		 t->stack.hi, t->saved_sp, t->switches);
	return 0;
}

void kl_hart_line(struct kl_session *s, char *buf, size_t len)
{
	const struct layout_record *r = kl_record(s);
	const struct lr_task *t = kl_header_ok(s) ? task_by_id(r, r->current) : NULL;
	uint64_t reg[ALL_REGS];
	uint32_t known;
	char name[LR_NAME_LEN + 1];
	if (!t || t->state != LR_TASK_RUNNING) {
		snprintf(buf, len, "in the kernel");
		return;
	}
	task_name(name, t);
	switch (kl_hart_regs(s) ? kl_task_regs(s, t->id, reg, &known) : -1) {
	case KL_REGS_HART:
		snprintf(buf, len, "runs task %" PRIu32 " '%s'", t->id, name);
		break;
	case KL_REGS_TRAP:
		snprintf(buf, len, "in trap.S, saving task %" PRIu32 " '%s'", t->id, name);
		break;
	case KL_REGS_FRAME:
		snprintf(buf, len, "in the kernel, for task %" PRIu32 " '%s'", t->id, name);
		break;
	default:
		snprintf(buf, len, "task %" PRIu32 " '%s' is current", t->id, name);
	}
}
