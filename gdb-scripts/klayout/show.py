"""show.py: `klayout show`, the design document's high/low diagram (docs: kernel memory
management) drawn from the record and the stacks' memory now: end of RAM at the top, the kernel
stack, the task stacks in creation order, free, the task code, the record, padding, kernel data
and text."""
import gdb

from klayout import constants as C
from klayout import record
from klayout import stacks
from klayout import utils

WIDTH = 30   # inside of a box


def stack_note(s, rec):
    parts = [utils.size_str(s.size)]
    if s.id:
        parts.append(record.state_name(s.state))
    if s.sp is not None:
        parts.append("sp 0x%x %s" % (s.sp, "live" if s.live else "saved"))
    if s.used is not None:
        parts.append("used %s now" % utils.size_str(s.used))
    if s.high_water is not None:
        parts.append("max %s, %d%% free" % (utils.size_str(s.high_water), s.headroom_pct))
    parts.append("lo word " + ("?" if s.lo_word is None else
                               "ok" if s.sentinel_ok(rec) else "BROKEN"))
    return ", ".join(parts)


def boxes(rec):
    """(title lines, note lines, lo, hi) from high addresses to low."""
    all_stacks = stacks.measure(rec)
    k = all_stacks[0]
    out = [(["kernel stack", "(grows downward)"],
            [stack_note(k, rec), "<- SP initial 0x%x" % rec.kstack[1]], k.lo, k.hi)]
    for s in all_stacks[1:]:
        out.append(([s.owner], [stack_note(s, rec)], s.lo, s.hi))
    free = rec.free
    out.append((["free"], [utils.size_str(max(free[1] - free[0], 0)) +
                           ", available 0x%x" % rec.available], free[0], free[1]))
    code = rec.task_code
    out.append((["task code", "(user mode: read, execute)"], [utils.size_str(max(code[1] - code[0], 0))],
                code[0], code[1]))
    out.append((["layout record"], ["%s at RECORD_ADDR, generation %d%s" % (
        utils.size_str(rec.record[1] - rec.record[0]), rec.generation,
        " (mid-update)" if rec.mid_update else "")], rec.record[0], rec.record[1]))
    pad = rec.padding
    out.append((["padding"], [utils.size_str(max(pad[1] - pad[0], 0))], pad[0], pad[1]))
    out.append((["kernel data", "(.bss, .data, boot stack)"], [
        ".data %s, .bss %s" % (utils.size_str(rec.data[1] - rec.data[0]),
                               utils.size_str(rec.bss[1] - rec.bss[0])),
        "boot stack %s (0x%x-0x%x)" % (utils.size_str(rec.boot_stack[1] - rec.boot_stack[0]),
                                       rec.boot_stack[0], rec.boot_stack[1])],
        rec.data[0], rec.boot_stack[1]))
    out.append((["kernel text", "(.text, .rodata)"], [
        ".text %s, .rodata %s" % (utils.size_str(rec.text[1] - rec.text[0]),
                                  utils.size_str(rec.rodata[1] - rec.rodata[0]))],
        rec.text[0], rec.rodata[1]))
    return out


def draw(rec):
    border = "+" + "-" * WIDTH + "+"
    lines = ["High addresses"]
    regions = boxes(rec)
    lines.append("%s  0x%016x  <- end of RAM" % (border, rec.ram[1]))
    if regions[0][3] != rec.ram[1]:
        lines.append("%s  0x%016x  (kernel stack hi is not the end of RAM)" % (border, regions[0][3]))
    for i, (title, notes, lo, hi) in enumerate(regions):
        body = max(len(title), len(notes))
        for j in range(body):
            t = title[j] if j < len(title) else ""
            n = notes[j] if j < len(notes) else ""
            lines.append(("|  %-*s|  %s" % (WIDTH - 2, t, n)).rstrip())
        end = "  <- start of RAM" if i == len(regions) - 1 and lo == rec.ram[0] else ""
        lines.append("%s  0x%016x%s" % (border, lo, end))
        if i + 1 < len(regions):
            nxt = regions[i + 1][3]
            if nxt != lo:
                what = "gap" if nxt < lo else "overlap"
                lines.append("%s  0x%016x  (%s of %d bytes)" % (
                    "+" + "~" * WIDTH + "+", nxt, what, abs(lo - nxt)))
    if regions[-1][2] != rec.ram[0]:
        lines.append("%s  0x%016x  <- start of RAM" % (border, rec.ram[0]))
    lines.append("Low addresses")
    return lines


class KlayoutShow(gdb.Command):
    """Draw the memory layout, high addresses at the top, from live memory or a core.

Usage: klayout show

The design document's diagram with this machine's numbers: end of RAM, the kernel stack
(SP initial = its hi), the task stacks in creation order, free, the layout record,
padding, kernel data (.data, .bss, boot stack), kernel text (.text, .rodata), start of
RAM. Each boundary shows its address; each stack its size, sp now, bytes used now,
high-water mark and free percent from the paint pattern, and its excluded lo word.
A gap or overlap between neighbours is drawn as an extra ~~~ boundary."""

    def __init__(self):
        super().__init__("klayout show", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout show")
        rec = record.load_checked()
        flags = [n for f, n in ((C.LR_FLAG_READY, "ready"), (C.LR_FLAG_HALTED, "halted"))
                 if rec.flags & f]
        head = "klayout: %s, RAM 0x%x-0x%x (%s), %d task%s%s" % (
            "core" if rec.kind == "core" else "live", rec.ram[0], rec.ram[1],
            utils.size_str(rec.ram[1] - rec.ram[0]), rec.task_count,
            "" if rec.task_count == 1 else "s", ", " + " ".join(flags) if flags else "")
        gdb.write(head + "\n" + "\n".join(draw(rec)) + "\n")


KlayoutShow()
