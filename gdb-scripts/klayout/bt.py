"""bt.py: `klayout bt TASK`, the backtrace of any task from its stack: a task off the hart from
its saved frame (lr_task.ctx, include/trapframe.h: pc and s0), the one on the hart from the
hart's registers, then the frame-pointer chain above. Registers are never written, so it works the same live and
on a core (whose registers cannot be changed).

RISC-V gcc -fno-omit-frame-pointer: s0 (fp) is the sp the function had at entry; the function
saved its ra at fp-8 and its caller's fp at fp-16. kernel/trap.S saved every register of a
task that left the hart in its frame: pc at TF_PC, s0 at TF_S0."""
import os

import gdb

from klayout import constants as C
from klayout import record
from klayout import utils

MAX_FRAMES = 4096


class _InlineSites:
    """Call sites of inlined functions (DW_AT_call_file/line), which GDB's Python API does not
    expose: read once per ELF with pyelftools when it is there; without it the caller of an
    inlined function is shown without a line."""

    def __init__(self):
        self.key = None
        self.sites = []   # (lo, hi, depth, file, line)

    def _load(self, path):
        self.sites = []
        try:
            from elftools.common.exceptions import DWARFError, ELFError
            from elftools.elf.elffile import ELFFile
        except ImportError:
            return
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                if not elf.has_dwarf_info():
                    return
                dwarf = elf.get_dwarf_info()
                range_lists = dwarf.range_lists()
                for cu in dwarf.iter_CUs():
                    lp = dwarf.line_program_for_CU(cu)
                    files = self._files(lp, cu)
                    self._walk(cu.get_top_DIE(), 0, files, range_lists, cu)
        except (OSError, ELFError, DWARFError, KeyError, ValueError):  # unreadable DWARF: no lines
            self.sites = []

    @staticmethod
    def _files(lp, cu):
        if lp is None:
            return {}
        names = {}
        entries = lp.header["file_entry"]
        dirs = lp.header["include_directory"]
        base = 0 if lp.header["version"] >= 5 else 1
        for i, e in enumerate(entries):
            name = e.name.decode(errors="replace")
            if e.dir_index and not os.path.isabs(name) and e.dir_index - (0 if base == 0 else 1) < len(dirs):
                d = dirs[e.dir_index - (0 if base == 0 else 1)].decode(errors="replace")
                if not os.path.isabs(d):
                    name = os.path.join(d, name)
            names[i + base] = name
        return names

    def _walk(self, die, depth, files, range_lists, cu):
        for child in die.iter_children():
            if child.tag == "DW_TAG_inlined_subroutine":
                a = child.attributes
                line = a["DW_AT_call_line"].value if "DW_AT_call_line" in a else 0
                fidx = a["DW_AT_call_file"].value if "DW_AT_call_file" in a else None
                fname = files.get(fidx, "??")
                for lo, hi in self._ranges(child, range_lists, cu):
                    self.sites.append((lo, hi, depth, fname, line))
            if child.has_children:
                self._walk(child, depth + 1, files, range_lists, cu)

    @staticmethod
    def _ranges(die, range_lists, cu):
        a = die.attributes
        if "DW_AT_low_pc" in a and "DW_AT_high_pc" in a:
            lo = a["DW_AT_low_pc"].value
            hi = a["DW_AT_high_pc"].value
            if a["DW_AT_high_pc"].form != "DW_FORM_addr":
                hi += lo
            return [(lo, hi)]
        if "DW_AT_ranges" in a and range_lists is not None:
            out, base = [], cu.get_top_DIE().attributes.get("DW_AT_low_pc")
            base = base.value if base is not None else 0
            for r in range_lists.get_range_list_at_offset(a["DW_AT_ranges"].value, cu=cu):
                if hasattr(r, "begin_offset"):
                    add = 0 if getattr(r, "is_absolute", False) else base
                    out.append((add + r.begin_offset, add + r.end_offset))
                elif hasattr(r, "base_address"):
                    base = r.base_address
            return out
        return []

    def at(self, pc):
        """The call sites of the inlined functions around pc, innermost first: [(file, line)]."""
        path = utils.kernel_objfile().filename
        key = (path, os.path.getmtime(path) if os.path.exists(path) else 0)
        if key != self.key:
            self.key = key
            self._load(path)
        hits = sorted((s for s in self.sites if s[0] <= pc < s[1]), key=lambda s: -s[2])
        return [(s[3], s[4]) for s in hits]


_inline_sites = _InlineSites()


def _arg_names(block):
    names = []
    if block is None:
        return names
    for sym in block:
        if sym.is_argument:
            names.append(sym.name)
    return names


def frame_lines(pc, lookup, number):
    """The lines `bt` would print for the frame at pc (inlined functions expanded)."""
    block = gdb.block_for_pc(lookup)
    funcs = []
    b = block
    while b is not None:
        if b.function is not None:
            funcs.append(b)
        b = b.superblock
    sal = gdb.find_pc_line(lookup)
    where = ""
    if sal.symtab is not None:
        where = " at %s:%d" % (sal.symtab.filename, sal.line)
    if not funcs:
        name = "??"
        if hasattr(gdb, "format_address"):      # "0x800000a8 <stack_call+12>"
            text = gdb.format_address(lookup)
            if "<" in text:
                name = text.split("<", 1)[1].split("+", 1)[0].rstrip(">")
        return ["#%-2d 0x%016x in %s ()%s" % (number, pc, name, where)], 1
    sites = _inline_sites.at(lookup) if len(funcs) > 1 else []
    out = []
    for i, fb in enumerate(funcs):
        args = ", ".join(_arg_names(fb))
        if i > 0:
            site = sites[i - 1] if i - 1 < len(sites) else None
            where = " at %s:%d" % site if site else " at %s" % fb.function.symtab.filename
        last = i == len(funcs) - 1
        head = ("0x%016x in " % pc) if last and number + i > 0 else ""
        out.append("#%-2d %s%s (%s)%s" % (number + i, head, fb.function.name, args, where))
    return out, len(funcs)


def live_registers():
    """(pc, sp, s0) of the selected thread's innermost frame, or None without registers."""
    try:
        f = gdb.newest_frame()
        return tuple(int(f.read_register(r)) & 0xffffffffffffffff for r in ("pc", "sp", "s0"))
    except (gdb.error, RuntimeError):
        return None


def caller_of_newest():
    """(pc, s0) of the caller of the innermost real function on the hart, as GDB unwinds it
    (inlined and tail-call frames skipped), or None."""
    try:
        f = gdb.newest_frame()
        while f is not None and f.type() == gdb.INLINE_FRAME:
            f = f.older()
        c = f.older() if f is not None else None
        while c is not None and c.type() == gdb.TAILCALL_FRAME:
            c = c.older()
        if c is None:
            return None
        return int(c.pc()), int(c.read_register("s0")) & 0xffffffffffffffff
    except (gdb.error, RuntimeError):
        return None


def backtrace(rec, who):
    """(header, frame lines) for task `who` (id or name; 0 or kernel for the kernel stack).
    A stack that is not on the hart starts from its saved context frame; the one on the hart
    (the running task, or the kernel while no task runs) from the hart's pc and s0."""
    regs = live_registers()
    ctx = None
    if who in ("0", "kernel"):
        label, lo, hi, saved = "kernel stack", rec.kstack[0], rec.kstack[1], rec.kernel_sp
        running, new = rec.current == 0, False
        state = "on the hart" if running else "switched out"
        if not running:
            return ("kernel stack, switched out, stack 0x%x-0x%x" % (lo, hi),
                    ["(no frames: the kernel keeps nothing on its stack between traps)"])
    else:
        t = rec.task(who)
        label, lo, hi, saved, ctx = t.label, t.lo, t.hi, t.saved_sp, t.ctx
        running, new = t.state == C.LR_TASK_RUNNING, t.state == C.LR_TASK_NEW
        state = record.state_name(t.state)
    if running and ctx is not None and (regs is None or not lo < regs[1] <= hi):
        # The record names it, but the hart is in the kernel (between its trap and the switch,
        # or between the switch and its resume): its frame holds its registers.
        running, state = False, state + " (the hart is in the kernel)"
    if running:
        if regs is None or not lo < regs[1] <= hi:
            raise gdb.GdbError("%s is %s but the hart's sp is not in its stack 0x%x-0x%x: "
                               "its saved context is stale; use `bt`"
                               % (label, "on the hart" if label == "kernel stack" else "running",
                                  lo, hi))
        pc, sp, fp = regs
        lookup = pc
        header = "%s, %s, live sp 0x%x, stack 0x%x-0x%x (from the hart's registers)" % (
            label, state, sp, lo, hi)
        first = caller_of_newest()
    else:
        frame = utils.read_memory(ctx, C.TF_SIZE, "the saved frame of %s" % label)
        pc, sp, fp = (utils.u64(frame, C.TF_PC), utils.u64(frame, C.TF_SP),
                      utils.u64(frame, C.TF_S0))
        lookup = pc                      # where it resumes (or faulted): not a return address
        header = "%s, %s, saved sp 0x%x, stack 0x%x-0x%x (from its frame at 0x%x)" % (
            label, state, sp, lo, hi, ctx)
        first = None
    mem = utils.try_read(lo, hi - lo) if 0 < hi - lo <= (1 << 30) else None
    lines, n = [], 0
    if not lo < sp <= hi:
        lines.append("note: sp 0x%x is outside the stack 0x%x-0x%x" % (sp, lo, hi))
    while n < MAX_FRAMES:
        out, used = frame_lines(pc, lookup, n)
        lines += out
        n += used
        if first is not None:
            # The hart may be stopped mid-prologue (a breakpoint on a function): GDB's own
            # unwinder knows whether ra and s0 are saved yet; take the caller from it.
            (pc, fp), first = first, None
            lookup = pc - 1
            continue
        if fp == 0:
            break
        if not lo < fp <= hi or fp % 8 or fp - 16 < lo:
            lines.append("(frame pointer 0x%x leaves the stack: backtrace stopped)" % fp)
            break
        if mem is not None:
            ra, prev = utils.u64(mem, fp - 8 - lo), utils.u64(mem, fp - 16 - lo)
        else:
            word = utils.read_memory(fp - 16, 16, "the frame record of %s" % label)
            ra, prev = utils.u64(word, 8), utils.u64(word, 0)
        if prev == 0 or fp == hi:
            break               # the task's entry: s0 = 0, or the frame at its stack's top
        if lo < prev <= fp:
            lines.append("(frame pointer 0x%x does not go up the stack: backtrace stopped)"
                         % prev)
            break
        pc, fp, lookup = ra, prev, ra - 1
    return header, lines


class KlayoutBt(gdb.Command):
    """Summary backtrace of any task, running or not, from the stack alone.

Usage: klayout bt TASK
TASK is a task id (1, 2, ...) or name (alpha), or `kernel` (or 0) for the kernel stack.
For a task that is not on the hart, its saved frame (lr_task.ctx: every register, saved by
kernel/trap.S) gives pc and s0; for the stack on the hart, the hart's pc and s0 do. Then
the frame-pointer chain is walked (saved ra at fp-8, previous fp at fp-16) until fp is 0
or leaves the stack. Each pc is shown as `bt` shows it: function, parameter names,
file:line, inlined functions expanded. No register is changed: works the same live and
on a core. For values (arguments, locals): every task is a GDB thread on a core from
`inspector gdbcore` and live through `klayout connect`: `klayout threads`, `thread N`,
`bt full`."""

    def __init__(self):
        super().__init__("klayout bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        _, _, pos = utils.parse_args(arg)
        if len(pos) != 1:
            raise gdb.GdbError("usage: klayout bt TASK (a task id or name, or kernel)")
        rec = record.load_checked()
        header, lines = backtrace(rec, pos[0])
        gdb.write("%s\n%s\n" % (header, "\n".join(lines)))

    def complete(self, text, word):
        try:
            rec = record.load()
        except gdb.GdbError:
            return []
        return [t.name for t in rec.tasks if t.name.startswith(word or "")]


KlayoutBt()
