"""stacks.py: what memory says about each stack the record lists (the excluded lo word, the
paint's high-water mark, the sp now) and the `klayout stacks` command. Each stack is read in one
inferior.read_memory call: over QEMU's gdbstub a read per word would take seconds for 64 tasks.
Measured once per command; check.py and show.py read the same numbers."""
import gdb

from klayout import constants as C
from klayout import record
from klayout import utils


def high_water(mem, paint):
    """Bytes of the stack ever used (lr_stack_high_water): the scan starts above the excluded
    lo word and stops at the first word that is not paint."""
    size = len(mem)
    pb = (paint & 0xffffffffffffffff).to_bytes(8, "little")
    body = mem[8:size - (size % 8)] if size >= 8 else b""
    if pb == bytes([pb[0]]) * 8:
        painted = (len(body) - len(body.lstrip(pb[:1]))) // 8
    else:
        painted = 0
        for off in range(0, len(body) - 7, 8):
            if body[off:off + 8] != pb:
                break
            painted += 1
    off = 8 + painted * 8
    return size - off if size >= off else 0


class StackInfo:
    """One stack: the kernel stack (id 0) or a task's."""

    def __init__(self, owner, sid, name, state, lo, hi, saved_sp):
        self.owner, self.id, self.name, self.state = owner, sid, name, state
        self.lo, self.hi, self.saved_sp = lo, hi, saved_sp
        self.size = hi - lo if hi > lo else 0
        self.sp = None           # the sp now: live on the hart, or saved
        self.live = False        # sp is the hart's
        self.used = None         # hi - sp, when sp lies in (lo, hi]
        self.high_water = None   # None: the stack could not be read
        self.lo_word = None
        self.lo_next = None      # the word at lo + 8, the lowest usable one
        self.unreadable_at = None

    def contains(self, addr):
        return addr is not None and self.lo < addr <= self.hi

    @property
    def headroom_pct(self):
        if self.high_water is None or self.size == 0 or self.high_water > self.size:
            return None
        return (self.size - self.high_water) * 100 // self.size

    def sentinel_ok(self, rec):
        return self.lo_word is not None and self.lo_word == rec.sentinel


def measure(rec):
    """Kernel stack first, then the tasks in creation order."""
    out = [StackInfo("kernel stack", 0, "kernel",
                     C.LR_TASK_RUNNING if rec.current == 0 else C.LR_TASK_READY,
                     rec.kstack[0], rec.kstack[1], rec.kernel_sp)]
    for t in rec.tasks:
        out.append(StackInfo(t.label, t.id, t.name, t.state, t.lo, t.hi, t.saved_sp))
    sp = utils.hart_sp()
    # On the hart is the stack the record says (current), as inspector/stacks.c judges it: the
    # kernel runs between a task's trap and its switch, on its own stack, while the record
    # still names the task.
    on_hart = next((s for s in out if s.id == rec.current and s.contains(sp)), None)
    for s in out:
        mem = utils.try_read(s.lo, s.size) if 16 <= s.size <= (1 << 30) else None
        if mem is not None:
            s.high_water = high_water(mem, rec.paint)
            s.lo_word = utils.u64(mem, 0)
            s.lo_next = utils.u64(mem, 8)
        else:
            s.unreadable_at = s.lo
            s.lo_word = utils.read_u64(s.lo)
            s.lo_next = utils.read_u64(s.lo + 8)
        if s is on_hart:
            s.sp, s.live = sp, True
        elif s.id == rec.current and (s.id != 0 or rec.kernel_sp == 0):
            s.sp = None          # on the hart per the record, but the hart's sp is elsewhere
        elif s.id != 0 and s.state == C.LR_TASK_RUNNING:
            s.sp = None          # its saved sp is stale
        else:
            s.sp = s.saved_sp
        if s.contains(s.sp):
            s.used = s.hi - s.sp
    return out


class KlayoutStacks(gdb.Command):
    """Show every stack: owner, range, sp now, use and headroom, sentinel.

Usage: klayout stacks

One line per stack, the kernel stack first, then the task stacks in creation order:
owner, state, lo, hi, size, the sp now (the hart's live $sp for the stack it is on,
marked "live"; else the sp saved in the record), bytes used now (hi - sp), the
high-water mark (bytes ever used, from the paint pattern LR_PAINT), headroom (unused
percent of the stack) and the excluded lo word (ok when it still holds LR_SENTINEL)."""

    def __init__(self):
        super().__init__("klayout stacks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout stacks")
        rec = record.load_checked()
        rows = [("owner", "state", "lo", "hi", "size", "sp", "used", "max", "headroom", "lo word")]
        stacks = measure(rec)
        for s in stacks:
            sp = "-" if s.sp is None else ("0x%x %s" % (s.sp, "live" if s.live else "saved"))
            hw = "?" if s.high_water is None else str(s.high_water)
            pct = "?" if s.headroom_pct is None else "%d%%" % s.headroom_pct
            lo_word = "?" if s.lo_word is None else ("ok" if s.sentinel_ok(rec) else "BROKEN")
            rows.append((s.owner, record.state_name(s.state), "0x%x" % s.lo, "0x%x" % s.hi,
                         str(s.size), sp, "-" if s.used is None else str(s.used), hw, pct,
                         lo_word))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        right = {4, 6, 7, 8}
        lines = []
        for r in rows:
            cells = [c.rjust(w) if i in right else c.ljust(w)
                     for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
        gdb.write("\n".join(lines) + "\n")
        for s in stacks:
            if s.unreadable_at is not None:
                gdb.write("note: %s: cannot read %d bytes at 0x%x\n"
                          % (s.owner, s.size, s.unreadable_at))


KlayoutStacks()
