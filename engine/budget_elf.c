/*
 * budget_elf.c: what the kernel ELF's code says about stacks, for the calls no .ci holds (from
 * assembly, calls the compiler emits itself such as memset, tail calls as jumps) and for the
 * places where sp is loaded rather than moved. Each function's instructions are read in order
 * (RV64 with the C extension: jal, jalr after auipc/lui, c.j, c.jr, c.jalr, branches; c.jal is
 * RV32-only) tracking sp relative to the function's entry:
 *   addi sp, sp, -N and c.addi(16sp)   the frame grows (its deepest point is the decoded frame);
 *   mv rX, sp ... mv sp, rX            sp leaves and comes back (stack_call): still this stack;
 *   any other write to sp (ld, la, mv from elsewhere)  a switch: the code after it runs on
 *                                      another stack, as the function's segment NAME@n;
 *   sub/add sp, sp, rX                 a dynamic frame.
 * Calls and jumps leaving the function are edges at the depth of that moment; a jump through a
 * register in C is a switch's jump table (the compiler's .ci lists every call through a pointer),
 * in assembly an indirect call.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libelf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "budget_int.h"
#include "klayout.h"

#define SP 2
#define RA 1

struct efunc {
	uint64_t addr, end;
	const char *name;
	int bind, is_func, scn;
	int fn;                /* in the graph */
};

enum op { I_OTHER, I_ADDI, I_AUIPC, I_LUI, I_JAL, I_JALR, I_BRANCH, I_SP_DYNAMIC };

struct insn {
	unsigned len;
	enum op op;
	int rd, rs1;           /* rd: the integer register written, -1 none */
	int64_t imm;
};

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

static void decode32(uint32_t x, struct insn *in)
{
	unsigned op = x & 0x7f, rd = (x >> 7) & 31, f3 = (x >> 12) & 7, rs1 = (x >> 15) & 31,
		 rs2 = (x >> 20) & 31, f7 = x >> 25;
	in->len = 4;
	switch (op) {
	case 0x13:  /* OP-IMM */
		in->rd = (int)rd;
		if (f3 == 0)
			in->op = I_ADDI, in->rs1 = (int)rs1, in->imm = sext(x >> 20, 12);
		return;
	case 0x17:  /* AUIPC */
	case 0x37:  /* LUI */
		in->op = op == 0x17 ? I_AUIPC : I_LUI;
		in->rd = (int)rd;
		in->imm = sext(x & 0xfffff000u, 32);
		return;
	case 0x6f:  /* JAL */
		in->op = I_JAL;
		in->rd = (int)rd;
		in->imm = sext(((x >> 31) & 1) << 20 | ((x >> 21) & 0x3ff) << 1 | ((x >> 20) & 1) << 11 |
			       ((x >> 12) & 0xff) << 12, 21);
		return;
	case 0x67:  /* JALR */
		in->op = I_JALR;
		in->rd = (int)rd;
		in->rs1 = (int)rs1;
		in->imm = sext(x >> 20, 12);
		return;
	case 0x63:  /* BRANCH */
		in->op = I_BRANCH;
		in->imm = sext(((x >> 31) & 1) << 12 | ((x >> 25) & 0x3f) << 5 | ((x >> 8) & 0xf) << 1 |
			       ((x >> 7) & 1) << 11, 13);
		return;
	case 0x33:  /* OP: add/sub sp, sp, rX moves sp by a register */
		if (rd == SP && (rs1 == SP || rs2 == SP) && f3 == 0 && (f7 == 0 || f7 == 0x20))
			in->op = I_SP_DYNAMIC;
		in->rd = (int)rd;
		return;
	case 0x03:  /* loads: ld sp, off(rs1) */
		in->rd = (int)rd;
		in->rs1 = (int)rs1;
		return;
	case 0x1b: case 0x3b: case 0x2f:  /* OP-IMM-32, OP-32, AMO */
		in->rd = (int)rd;
		return;
	case 0x73:  /* SYSTEM: the CSR instructions write rd */
		if (f3 != 0)
			in->rd = (int)rd;
		return;
	default:    /* stores, fences, floating point */
		return;
	}
}

static void decode16(unsigned c, struct insn *in)
{
	unsigned q = c & 3, f3 = c >> 13, rd = (c >> 7) & 31, rs2 = (c >> 2) & 31;
	int rdp = (int)((c >> 2) & 7) + 8, rs1p = (int)((c >> 7) & 7) + 8;
	in->len = 2;
	if (q == 0) {
		if (f3 == 0) {            /* c.addi4spn rd', sp, nzuimm */
			in->op = I_ADDI, in->rd = rdp, in->rs1 = SP;
			in->imm = ((c >> 11) & 3) << 4 | ((c >> 7) & 0xf) << 6 | ((c >> 6) & 1) << 2 | ((c >> 5) & 1) << 3;
		} else if (f3 == 2 || f3 == 3) {
			in->rd = rdp;         /* c.lw, c.ld */
		}
	} else if (q == 1) {
		int64_t imm6 = sext(((c >> 12) & 1) << 5 | ((c >> 2) & 0x1f), 6);
		switch (f3) {
		case 0:                   /* c.addi rd, imm (c.nop when rd is x0) */
			in->op = I_ADDI, in->rd = (int)rd, in->rs1 = (int)rd, in->imm = imm6;
			break;
		case 1:                   /* c.addiw (RV64; c.jal on RV32 only) */
			in->rd = (int)rd;
			break;
		case 2:                   /* c.li rd, imm: x0 + imm */
			in->op = I_ADDI, in->rd = (int)rd, in->rs1 = 0, in->imm = imm6;
			break;
		case 3:
			if (rd == SP) {       /* c.addi16sp */
				in->op = I_ADDI, in->rd = SP, in->rs1 = SP;
				in->imm = sext(((c >> 12) & 1) << 9 | ((c >> 6) & 1) << 4 | ((c >> 5) & 1) << 6 |
					       ((c >> 3) & 3) << 7 | ((c >> 2) & 1) << 5, 10);
			} else {              /* c.lui */
				in->op = I_LUI, in->rd = (int)rd;
				in->imm = sext(((c >> 12) & 1) << 17 | ((c >> 2) & 0x1f) << 12, 18);
			}
			break;
		case 4:
			in->rd = rs1p;        /* c.srli, c.srai, c.andi, c.sub ... on rd' */
			break;
		case 5:                   /* c.j */
			in->op = I_JAL, in->rd = 0;
			in->imm = sext(((c >> 12) & 1) << 11 | ((c >> 11) & 1) << 4 | ((c >> 9) & 3) << 8 |
				       ((c >> 8) & 1) << 10 | ((c >> 7) & 1) << 6 | ((c >> 6) & 1) << 7 |
				       ((c >> 3) & 7) << 1 | ((c >> 2) & 1) << 5, 12);
			break;
		default:                  /* c.beqz, c.bnez */
			in->op = I_BRANCH;
			in->imm = sext(((c >> 12) & 1) << 8 | ((c >> 10) & 3) << 3 | ((c >> 5) & 3) << 6 |
				       ((c >> 3) & 3) << 1 | ((c >> 2) & 1) << 5, 9);
			break;
		}
	} else if (q == 2) {
		if (f3 == 0 || f3 == 2 || f3 == 3) {
			in->rd = (int)rd;     /* c.slli, c.lwsp, c.ldsp */
			in->rs1 = f3 ? SP : (int)rd;
		} else if (f3 == 4) {
			int bit12 = (c >> 12) & 1;
			if (!bit12 && rs2 == 0 && rd)          /* c.jr rs1 */
				in->op = I_JALR, in->rd = 0, in->rs1 = (int)rd, in->imm = 0;
			else if (!bit12 && rs2)                /* c.mv rd, rs2 */
				in->op = I_ADDI, in->rd = (int)rd, in->rs1 = (int)rs2, in->imm = 0;
			else if (bit12 && rs2 == 0 && rd)      /* c.jalr rs1 */
				in->op = I_JALR, in->rd = RA, in->rs1 = (int)rd, in->imm = 0;
			else if (bit12 && rs2) {               /* c.add rd, rs2 */
				in->rd = (int)rd;
				if (rd == SP)
					in->op = I_SP_DYNAMIC;
			}
		}
	}
}

static void decode(const uint8_t *p, size_t avail, struct insn *in)
{
	memset(in, 0, sizeof *in);
	in->rd = -1;
	unsigned lo = avail >= 2 ? (unsigned)(p[0] | p[1] << 8) : 0;
	if (avail < 2) {
		in->len = (unsigned)avail;
	} else if ((lo & 3) != 3) {
		decode16(lo, in);
	} else if (avail < 4) {
		in->len = (unsigned)avail;
	} else {
		decode32(lo | (uint32_t)(p[2] | p[3] << 8) << 16, in);
	}
}

/* ---- functions -------------------------------------------------------------------------------- */

static int efunc_order(const void *a, const void *b)
{
	const struct efunc *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->is_func != y->is_func)
		return y->is_func - x->is_func;      /* a FUNC first */
	size_t lx = strlen(x->name), ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;             /* _start before _text_start */
	return strcmp(x->name, y->name);
}

/* The functions of the executable sections: FUNC symbols, and assembly's labels (NOTYPE), each
 * up to the next one; mapping symbols ($x) and labels inside a FUNC are not functions. */
static size_t collect(const struct kelf *k, struct efunc **out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t n = 0, cap = 0;
	struct efunc *f = NULL;
	*out = NULL;
	while ((scn = elf_nextscn(k->elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = data ? data->d_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			GElf_Shdr ts;
			if (!gelf_getsym(data, (int)i, &sym))
				break;
			int type = GELF_ST_TYPE(sym.st_info);
			const char *name = elf_strptr(k->elf, sh.sh_link, sym.st_name);
			Elf_Scn *tscn = sym.st_shndx != SHN_UNDEF && sym.st_shndx < SHN_LORESERVE ?
					elf_getscn(k->elf, sym.st_shndx) : NULL;
			if (!name || !*name || name[0] == '$' || (type != STT_FUNC && type != STT_NOTYPE) || !tscn ||
			    !gelf_getshdr(tscn, &ts) || !(ts.sh_flags & SHF_EXECINSTR) || ts.sh_type != SHT_PROGBITS ||
			    sym.st_value < ts.sh_addr || sym.st_value >= ts.sh_addr + ts.sh_size)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				struct efunc *m = realloc(f, cap * sizeof *m);
				if (!m) {
					free(f);
					return fail(k->path, "out of memory"), 0;
				}
				f = m;
			}
			f[n++] = (struct efunc){ sym.st_value,
						 sym.st_size ? sym.st_value + sym.st_size : 0, name,
						 GELF_ST_BIND(sym.st_info), type == STT_FUNC, (int)sym.st_shndx, -1 };
			if (f[n - 1].end > ts.sh_addr + ts.sh_size)
				f[n - 1].end = ts.sh_addr + ts.sh_size;
			if (!f[n - 1].end)
				f[n - 1].end = ts.sh_addr + ts.sh_size;   /* cut at the next one below */
		}
	}
	if (!n)
		return 0;
	qsort(f, n, sizeof *f, efunc_order);
	/* One function per address; a label inside a FUNC is part of it; a label ends at the next. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && f[m - 1].addr == f[i].addr)
			continue;
		if (m && f[m - 1].is_func && f[i].addr < f[m - 1].end && f[i].scn == f[m - 1].scn)
			continue;
		f[m++] = f[i];
	}
	for (size_t i = 0; i + 1 < m; i++)
		if (f[i + 1].scn == f[i].scn && (!f[i].is_func || f[i].end > f[i + 1].addr) && f[i].end > f[i + 1].addr)
			f[i].end = f[i + 1].addr;
	*out = f;
	return m;
}

/* The function holding addr: binary search over the sorted, disjoint extents. */
static int holding(const struct efunc *f, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < f[mid].addr)
			hi = mid;
		else if (addr >= f[mid].end)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -1;
}

/* ---- DWARF: compilation units and lines ---------------------------------------------------------- */

static const char *cu_name(Dwarf *dw, uint64_t addr, Dwarf_Die *cu)
{
	if (!dw || !dwarf_addrdie(dw, addr, cu))
		return NULL;
	return dwarf_diename(cu);
}

/* "kernel/trap.S:62" for addr, the compilation directory cut off. */
static void line_of(Dwarf *dw, uint64_t addr, char *out, size_t len)
{
	Dwarf_Die cu;
	Dwarf_Attribute at;
	int lineno = 0;
	out[0] = 0;
	if (!dw || !dwarf_addrdie(dw, addr, &cu))
		return;
	Dwarf_Line *l = dwarf_getsrc_die(&cu, addr);
	const char *file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
	if (!file || dwarf_lineno(l, &lineno) != 0)
		return;
	const char *dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &at));
	size_t dl = dir ? strlen(dir) : 0;
	if (dir && strncmp(file, dir, dl) == 0 && file[dl] == '/')
		file += dl + 1;
	snprintf(out, len, "%s:%d", file, lineno);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---- the walk ---------------------------------------------------------------------------------- */
#define MAX_SEGMENTS 8

struct walk {
	struct bg_graph *g;
	Dwarf *dw;
	const struct efunc *all;
	size_t nall;
	const struct efunc *f;
	int seg_fn[MAX_SEGMENTS];   /* graph function of each segment; [0] = the function */
	int64_t deepest[MAX_SEGMENTS];
	int nseg, cur;
	int64_t d;                  /* sp relative to the current segment's start */
	int sp_fresh;               /* sp was just loaded with an address it is still being built from
				     * (la sp, sym; ld sp, sym): the stack begins when it is done */
	int alias_ok[32], alias_seg[32];
	int64_t alias[32];          /* register = sp of segment alias_seg, + alias */
	int const_ok[32];
	uint64_t cval[32];          /* register = a known address (auipc, lui, addi on them) */
};

static void kill(struct walk *w, int r)
{
	if (r > 0 && r < 32)
		w->alias_ok[r] = w->const_ok[r] = 0;
}

static void clobber_caller_saved(struct walk *w)
{
	static const int regs[] = { 1, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 28, 29, 30, 31 };
	for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
		kill(w, regs[i]);
}

/* Code after an unconditional jump is reached from elsewhere: registers unknown; sp at the
 * deepest the segment has been (an over-estimate, never an under-estimate). */
static void unknown_state(struct walk *w)
{
	for (int r = 1; r < 32; r++)
		kill(w, r);
	w->d = w->deepest[w->cur];
}

static void moved(struct walk *w)
{
	if (w->d < w->deepest[w->cur])
		w->deepest[w->cur] = w->d;
}

static int add_edge(struct walk *w, enum bg_kind kind, int to, uint64_t pc)
{
	struct bg_edge e = { .from = w->seg_fn[w->cur], .to = to, .kind = kind, .origin = BG_FROM_ELF,
			     .depth = w->d < 0 ? (uint64_t)-w->d : 0, .depth_known = 1, .pc = pc };
	line_of(w->dw, pc, e.site, sizeof e.site);
	if (!e.site[0])
		snprintf(e.site, sizeof e.site, "%s+0x%" PRIx64, w->f->name, pc - w->f->addr);
	return bg_edge_add(w->g, &e) < 0 ? -1 : 0;
}

/* sp loaded from elsewhere: a new segment, whose code runs on another stack. */
static int switch_stack(struct walk *w, uint64_t pc)
{
	struct bg_graph *g = w->g;
	if (w->nseg == MAX_SEGMENTS)
		return fail(g->k->path, "'%s' loads sp more than %d times", w->f->name, MAX_SEGMENTS - 1);
	const struct bg_func *parent = bg_func(g, w->seg_fn[0]);
	char key[BG_NAME + 8], name[BG_NAME + 8];
	snprintf(key, sizeof key, "%.100s@%d", parent->key, w->nseg);
	snprintf(name, sizeof name, "%.100s@%d", parent->name, w->nseg);
	int s = bg_func_get(g, key, name);
	if (s < 0)
		return -1;
	struct bg_func *seg = &g->f[s], *p = &g->f[w->seg_fn[0]];
	seg->parent = w->seg_fn[0];
	seg->segment = w->nseg;
	seg->is_asm = p->is_asm;
	seg->in_elf = 1;
	seg->addr = pc;
	line_of(w->dw, pc, seg->where, sizeof seg->where);
	p->has_switch = 1;
	struct bg_edge e = { .from = w->seg_fn[w->cur], .to = s, .kind = BG_SWITCH, .origin = BG_FROM_ELF,
			     .pc = pc };
	snprintf(e.site, sizeof e.site, "%s", seg->where);
	if (bg_edge_add(g, &e) < 0)
		return -1;
	w->seg_fn[w->nseg] = s;
	w->deepest[w->nseg] = 0;
	w->cur = w->nseg++;
	w->d = 0;
	w->sp_fresh = 1;
	return 0;
}

/* A jump or call to target: an edge when it leaves the function. */
static int transfer(struct walk *w, enum bg_kind kind, uint64_t target, uint64_t pc)
{
	if (target >= w->f->addr && target < w->f->end && kind == BG_TAIL)
		return 0;   /* a jump inside the function */
	int at = holding(w->all, w->nall, target);
	int to;
	if (at >= 0) {
		to = w->all[at].fn;
	} else {
		char key[32];
		snprintf(key, sizeof key, "0x%" PRIx64, target);  /* no function there: no frame known */
		if ((to = bg_func_get(w->g, key, key)) < 0)
			return -1;
	}
	return add_edge(w, kind, to, pc);
}

static int walk_function(struct walk *w, const uint8_t *code, uint64_t base)
{
	const struct efunc *f = w->f;
	struct bg_func *fn = &w->g->f[f->fn];
	memset(w->alias_ok, 0, sizeof w->alias_ok);
	memset(w->const_ok, 0, sizeof w->const_ok);
	w->seg_fn[0] = f->fn;
	w->deepest[0] = 0;
	w->nseg = 1;
	w->cur = 0;
	w->d = 0;
	w->sp_fresh = 0;
	for (uint64_t pc = f->addr; pc < f->end;) {
		struct insn in;
		decode(code + (pc - base), (size_t)(f->end - pc), &in);
		if (in.len == 0 || pc + in.len > f->end)
			break;
		int rd = in.rd;
		/* `la sp, sym` (auipc sp; addi sp, sp) and `ld sp, sym` (auipc sp; ld sp, lo(sp)): one
		 * load of sp in two instructions, the stack starting after the second. */
		if (w->sp_fresh && rd == SP && in.rs1 == SP && (in.op == I_ADDI || in.op == I_OTHER)) {
			pc += in.len;
			continue;
		}
		w->sp_fresh = 0;
		switch (in.op) {
		case I_ADDI:
			if (rd == SP && in.rs1 == SP) {
				w->d += in.imm;
				moved(w);
			} else if (rd == SP && w->alias_ok[in.rs1]) {
				w->cur = w->alias_seg[in.rs1];   /* back to a stack it saved */
				w->d = w->alias[in.rs1] + in.imm;
				moved(w);
			} else if (rd == SP) {
				if (switch_stack(w, pc) != 0)
					return -1;
			} else if (rd > 0) {
				int64_t a = w->alias[in.rs1];
				int ok = in.rs1 == SP || w->alias_ok[in.rs1], seg = in.rs1 == SP ? w->cur : w->alias_seg[in.rs1];
				uint64_t c = in.rs1 == 0 ? 0 : w->cval[in.rs1];
				int cok = in.rs1 == 0 || (in.rs1 != SP && w->const_ok[in.rs1]);
				kill(w, rd);
				if (ok) {
					w->alias_ok[rd] = 1;
					w->alias_seg[rd] = seg;
					w->alias[rd] = (in.rs1 == SP ? w->d : a) + in.imm;
				} else if (cok) {
					w->const_ok[rd] = 1;
					w->cval[rd] = c + (uint64_t)in.imm;
				}
			}
			break;
		case I_AUIPC:
		case I_LUI:
			if (rd == SP) {
				if (switch_stack(w, pc) != 0)
					return -1;
			} else if (rd > 0) {
				kill(w, rd);
				w->const_ok[rd] = 1;
				w->cval[rd] = (in.op == I_AUIPC ? pc : 0) + (uint64_t)in.imm;
			}
			break;
		case I_JAL:
			if (transfer(w, rd ? BG_CALL : BG_TAIL, pc + (uint64_t)in.imm, pc) != 0)
				return -1;
			if (rd) {
				clobber_caller_saved(w);
				kill(w, rd);
			} else {
				unknown_state(w);
			}
			break;
		case I_JALR: {
			int known = in.rs1 == 0 || w->const_ok[in.rs1];
			uint64_t target = (in.rs1 ? w->cval[in.rs1] : 0) + (uint64_t)in.imm;
			if (!rd && in.rs1 == RA && in.imm == 0 && !known) {
				/* ret */
			} else if (known) {
				if (transfer(w, rd ? BG_CALL : BG_TAIL, target, pc) != 0)
					return -1;
			} else if (rd || fn->is_asm) {
				/* Through a register. In C, a jump (rd = x0) is a switch's table. */
				if (add_edge(w, BG_INDIRECT, -1, pc) != 0)
					return -1;
			}
			if (rd) {
				clobber_caller_saved(w);
				kill(w, rd);
			} else {
				unknown_state(w);
			}
			break;
		}
		case I_BRANCH: {
			uint64_t target = pc + (uint64_t)in.imm;
			if ((target < f->addr || target >= f->end) && transfer(w, BG_TAIL, target, pc) != 0)
				return -1;
			break;
		}
		case I_SP_DYNAMIC:
			if (fn->is_asm && w->cur == 0)
				fn->dynamic = 1;
			break;
		case I_OTHER:
			if (rd == SP) {
				if (switch_stack(w, pc) != 0)
					return -1;
			} else {
				kill(w, rd);
			}
			break;
		}
		pc += in.len;
	}
	for (int s = 0; s < w->nseg; s++) {
		struct bg_func *sf = &w->g->f[w->seg_fn[s]];
		sf->has_decoded = 1;
		sf->decoded = w->deepest[s] < 0 ? (uint64_t)-w->deepest[s] : 0;
	}
	return 0;
}

int bg_read_elf(struct bg_graph *g, const struct kelf *k)
{
	struct efunc *f;
	size_t n = collect(k, &f);
	int rc = -1;
	if (!n)
		return fail(k->path, "no function symbols in its executable sections: a stripped kernel?");
	g->k = k;
	Dwarf *dw = dwarf_begin_elf(k->elf, DWARF_C_READ, NULL);
	for (size_t i = 0; i < n; i++) {
		Dwarf_Die cu;
		const char *unit = cu_name(dw, f[i].addr, &cu);
		char key[2 * BG_NAME];
		if (f[i].bind == STB_LOCAL && unit)
			snprintf(key, sizeof key, "%s:%s", unit, f[i].name);
		else
			snprintf(key, sizeof key, "%s", f[i].name);
		if ((f[i].fn = bg_func_get(g, key, f[i].name)) < 0)
			goto out;
		struct bg_func *fn = &g->f[f[i].fn];
		fn->in_elf = 1;
		fn->addr = f[i].addr;
		fn->size = f[i].end - f[i].addr;
		/* No .su describes assembly (or code without debug information): its code is all there is. */
		fn->is_asm = !unit || ends_with(unit, ".S") || ends_with(unit, ".s");
		if (!fn->where[0])
			line_of(dw, f[i].addr, fn->where, sizeof fn->where);
	}
	struct walk w = { .g = g, .dw = dw, .all = f, .nall = n };
	for (size_t i = 0; i < n; i++) {
		GElf_Shdr sh;
		const uint8_t *bytes;
		size_t len;
		Elf_Scn *scn = elf_getscn(k->elf, (size_t)f[i].scn);
		if (!scn || !gelf_getshdr(scn, &sh) || kelf_section_bytes(k, scn, &bytes, &len) != 0)
			goto out;
		if (f[i].end - sh.sh_addr > len) {
			fail(k->path, "'%s' runs past its section's bytes", f[i].name);
			goto out;
		}
		w.f = &f[i];
		if (walk_function(&w, bytes, sh.sh_addr) != 0)
			goto out;
	}
	rc = 0;
out:
	if (dw)
		dwarf_end(dw);
	free(f);
	return rc;
}
