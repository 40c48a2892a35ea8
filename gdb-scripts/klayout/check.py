"""check.py: `klayout check`, the invariants of include/layout_record.h (LR_INVARIANTS) evaluated
on live memory or a core, with the C inspector's ids, regions and verdicts (inspector/check*.c)
so that `klayout check` and `inspector check --elf` agree on the same dump. Differences that
come from the target, not the rules: live, layout.ram cannot see QEMU's RAM size and checks
that the record's RAM is readable instead; hart.sp reads the hart's $sp from GDB."""
import re
import zlib

import gdb

from klayout import constants as C
from klayout import record
from klayout import stacks
from klayout import utils

PASS, FAIL, SKIP = "pass", "fail", "skip"
IMAGE_GAP_MAX = 16      # alignment the linker may leave between the image's sections


def rng(lo, hi):
    return "[0x%x, 0x%x)" % (lo, hi)


FAULT_KINDS = {1: "fetch refused (mcause 1)", 5: "load refused (mcause 5)",
               7: "store refused (mcause 7)", 2: "illegal instruction (mcause 2)",
               8: "unknown ecall (mcause 8)"}


def pc_name(pc):
    """pc as the inspector prints it: FUNCTION+0xOFF (file:line), the ELF symbol holding pc
    without gcc's clone suffix (task_misbehave.constprop.0 is task_misbehave) and the line
    table's line."""
    m = re.match(r"(\S+)(?: \+ (\d+))? in section",
                 gdb.execute("info symbol 0x%x" % pc, to_string=True))
    if not m:
        return "0x%x" % pc
    sal = gdb.find_pc_line(pc)
    where = " (%s:%d)" % (sal.symtab.filename, sal.line) if sal.symtab and sal.line else ""
    return "%s+0x%x%s" % (m.group(1).split(".")[0], int(m.group(2) or 0), where)


class Report:
    """A status per invariant and the violations in the order found (inspector/report.c)."""

    def __init__(self):
        self.status = {}
        self.reason = {}
        self.violations = []   # (inv, region, addr, expected, found, by_kernel)

    def ok(self, name):
        """Ran: passes unless it failed or was skipped."""
        inv = C.INV[name]
        if self.status.get(inv) not in (FAIL, SKIP):
            self.status[inv] = PASS

    def skip(self, name, reason):
        inv = C.INV[name]
        if self.status.get(inv) != FAIL:
            self.status[inv] = SKIP
            self.reason[inv] = reason

    def fail(self, name, region, addr, expected, found, by_kernel=False):
        inv = C.INV[name] if isinstance(name, str) else name
        self.status[inv] = FAIL
        if isinstance(expected, int):
            expected = utils.hex64(expected)
        if isinstance(found, int):
            found = utils.hex64(found)
        self.violations.append((inv, region, addr, expected, found, by_kernel))

    @property
    def checks_run(self):
        return sum(1 for s in self.status.values() if s in (PASS, FAIL))


class Checker:
    def __init__(self, rec, min_headroom):
        self.r = rec
        self.rep = Report()
        self.min_headroom = min_headroom
        self.field = lambda name: rec.addr + rec.offset(name)

    # ---- record.* -----------------------------------------------------------------------------
    def check_record(self):
        r, rep = self.r, self.rep
        if r.magic != C.LR_MAGIC:
            rep.fail("RECORD_MAGIC", "record", self.field("magic"), C.LR_MAGIC, r.magic)
        rep.ok("RECORD_MAGIC")
        if r.version != C.LR_VERSION:
            rep.fail("RECORD_VERSION", "record", self.field("version"), str(C.LR_VERSION),
                     str(r.version))
        rep.ok("RECORD_VERSION")
        if r.size != r.type.sizeof:
            rep.fail("RECORD_SIZE", "record", self.field("size"), str(r.type.sizeof), str(r.size))
        rep.ok("RECORD_SIZE")
        if not r.header_ok:
            return False
        crc = r.computed_checksum()
        if r.generation & 1:
            # Mid-update the checksum is stale by design: record.generation says what happened.
            rep.skip("RECORD_CHECKSUM", "the record was being updated (odd generation)")
        elif crc != r.checksum:
            rep.fail("RECORD_CHECKSUM", "record", self.field("checksum"), "0x%08x" % crc,
                     "0x%08x" % r.checksum)
        rep.ok("RECORD_CHECKSUM")
        # The published copy is complete; only an update begun ticks ago and never finished
        # fails (inspector/check.c).
        if r.generation & 1:
            rep.fail("RECORD_GENERATION", "record", self.field("generation"), "an even generation",
                     "%d: the published copy was never finished" % r.generation)
        elif r.abandoned:
            rep.fail("RECORD_GENERATION", "record", C.RECORD_ADDR + 20,
                     "an update within tick %d" % r.pending_since,
                     "%d: pending since tick %d, now tick %d"
                     % (r.pub_generation, r.pending_since, r.heartbeat))
        rep.ok("RECORD_GENERATION")
        return True

    # ---- layout.* -----------------------------------------------------------------------------
    def check_ram(self):
        r, rep = self.r, self.rep
        ram = None
        if r.kind == "core":
            ram = next(((lo, hi) for lo, hi in utils.core_ram_segments()
                        if lo <= C.RECORD_ADDR < hi), None)
        if ram is not None:
            if r.ram != ram:
                rep.fail("LAYOUT_RAM", "record", r.ram[0], rng(*ram), rng(*r.ram))
        else:
            # Live: QEMU's RAM size is not visible through the gdbstub; the record's RAM must be.
            lo, hi = r.ram
            for addr in (lo, hi - 8):
                if hi <= lo or utils.try_read(addr, 8) is None:
                    rep.fail("LAYOUT_RAM", "record", lo, "RAM readable in " + rng(lo, hi),
                             "0x%x unreadable" % addr)
                    break
        rep.ok("LAYOUT_RAM")

    def regions(self):
        """The record's regions low to high, as inspector/record.c record_regions: name, range,
        kind ("image": small alignment gaps allowed before it; "stack": ordered by layout.chain
        against another stack; "plain")."""
        r = self.r
        out = [("text", r.text, "plain"), ("rodata", r.rodata, "image"),
               ("data", r.data, "image"), ("bss", r.bss, "image"),
               ("boot stack", r.boot_stack, "image"), ("padding", r.padding, "plain"),
               ("record", r.record, "plain"), ("task code", r.task_code, "plain"),
               ("free", r.free, "plain")]
        for t in reversed(r.tasks):
            out.append((t.label, (t.lo, t.hi), "stack"))
        out.append(("kernel stack", r.kstack, "stack"))
        return out

    def check_order(self):
        r, rep = self.r, self.rep
        if r.text[0] != C.RAM_BASE:
            rep.fail("LAYOUT_ORDER", "text", r.text[0], C.RAM_BASE, r.text[0])
        want = (C.RECORD_ADDR, C.RECORD_ADDR + C.RECORD_SIZE)
        if r.record != want:
            rep.fail("LAYOUT_ORDER", "record", r.record[0], rng(*want), rng(*r.record))
        if r.task_count > C.LR_MAX_TASKS:
            rep.fail("LAYOUT_ORDER", "record", self.field("task_count"),
                     "task_count <= %d" % C.LR_MAX_TASKS, str(r.task_count))
        below = None
        for name, (lo, hi), kind in self.regions():
            self.check_region(name, lo, hi, kind, below)
            below = (name, hi, kind)
        rep.ok("LAYOUT_ORDER")

    def check_region(self, name, lo, hi, kind, below):
        rep, ram = self.rep, self.r.ram
        if hi < lo:
            rep.fail("LAYOUT_ORDER", name, lo, "lo <= hi", rng(lo, hi))
            return
        if lo < ram[0] or hi > ram[1]:
            rep.fail("LAYOUT_ORDER", name, lo, "inside RAM " + rng(*ram), rng(lo, hi))
        # Between two stacks the order is the allocator's chain: layout.chain reports it.
        if below is None or (kind == "stack" and below[2] == "stack"):
            return
        bname, end, _ = below
        gap_max = IMAGE_GAP_MAX if kind == "image" else 0
        if lo < end:
            rep.fail("LAYOUT_ORDER", name, lo, "lo >= 0x%x (%s hi)" % (end, bname),
                     "0x%x, overlapping %s" % (lo, bname))
        elif lo - end > gap_max:
            rep.fail("LAYOUT_ORDER", name, lo, "lo 0x%x (%s hi)" % (end, bname),
                     "0x%x, a gap of %d bytes" % (lo, lo - end))

    def check_chain(self):
        r, rep = self.r, self.rep
        if r.kstack[1] != r.ram[1]:
            rep.fail("LAYOUT_KSTACK_TOP", "kernel stack", r.kstack[1], r.ram[1], r.kstack[1])
        rep.ok("LAYOUT_KSTACK_TOP")
        above_lo = r.kstack[0]
        for i, t in enumerate(r.tasks):
            if t.id != i + 1:
                rep.fail("LAYOUT_CHAIN", t.label, t.hi, "id %d" % (i + 1), "id %d" % t.id)
            if t.hi != above_lo:
                rep.fail("LAYOUT_CHAIN", t.label, t.hi, above_lo, t.hi)
            above_lo = t.lo
        rep.ok("LAYOUT_CHAIN")
        if r.available != above_lo:
            rep.fail("LAYOUT_AVAILABLE", "record", self.field("available"), above_lo, r.available)
        rep.ok("LAYOUT_AVAILABLE")

    # ---- image.untouched ----------------------------------------------------------------------
    def check_image(self):
        r, rep = self.r, self.rep
        lo, hi = r.text[0], r.rodata[1]
        data = None
        if lo <= hi <= C.RECORD_ADDR:
            data = utils.try_read(lo, hi - lo)
        if data is None:
            rep.fail("IMAGE_UNTOUCHED", "text+rodata", lo, "a readable range below the record",
                     rng(lo, hi))
        else:
            crc = zlib.crc32(data) & 0xffffffff
            if crc != r.image_crc:
                rep.fail("IMAGE_UNTOUCHED", "text+rodata", lo, "crc 0x%08x (at boot)" % r.image_crc,
                         "crc 0x%08x" % crc)
        self.compare_elf_image()
        rep.ok("IMAGE_UNTOUCHED")

    def compare_elf_image(self):
        """The ELF's bytes of every allocated read-only section against memory (pyelftools;
        without it this half of image.untouched is left out, and -v says so)."""
        try:
            from elftools.elf.elffile import ELFFile
            from elftools.elf.constants import SH_FLAGS
        except ImportError:
            self.no_elf_compare = "pyelftools missing: ELF section bytes not compared"
            return
        path = utils.kernel_objfile().filename
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                secs = [(s.name, s["sh_addr"], s.data()) for s in elf.iter_sections()
                        if s["sh_type"] != "SHT_NOBITS" and s["sh_size"]
                        and s["sh_flags"] & SH_FLAGS.SHF_ALLOC
                        and not s["sh_flags"] & SH_FLAGS.SHF_WRITE]
        except (OSError, ValueError) as e:
            raise gdb.GdbError("cannot read the sections of '%s': %s" % (path, e))
        for name, addr, want in secs:
            have = utils.try_read(addr, len(want))
            if have is None:
                self.rep.fail("IMAGE_UNTOUCHED", name, addr, "the ELF's bytes",
                              "not readable" if self.r.kind == "live" else "not in the dump")
                continue
            if have != want:
                i = next(i for i in range(len(want)) if want[i] != have[i])
                self.rep.fail("IMAGE_UNTOUCHED", name, addr + i, " ".join(
                    "%02x" % b for b in want[i:i + 8]), " ".join("%02x" % b for b in have[i:i + 8]))

    # ---- stack.* ------------------------------------------------------------------------------
    def saved_sp_meaningful(self, s, all_stacks):
        if s.id != 0:
            return s.state != C.LR_TASK_RUNNING
        if self.r.current == 0:
            return True
        return any(t.state == C.LR_TASK_RUNNING for t in all_stacks[1:])

    def check_stacks(self, all_stacks):
        r, rep = self.r, self.rep
        if r.sentinel != C.LR_SENTINEL:
            rep.fail("STACK_LO_EXCLUDED", "record", self.field("sentinel"), C.LR_SENTINEL,
                     r.sentinel)
        for s in all_stacks:
            meaningful = self.saved_sp_meaningful(s, all_stacks)
            # stack.lo-excluded: the design document's second and third invariants
            if s.lo_word is None:
                rep.fail("STACK_LO_EXCLUDED", s.owner, s.lo, "the sentinel",
                         "not readable" if r.kind == "live" else "not in the dump")
            elif s.lo_word != r.sentinel:
                rep.fail("STACK_LO_EXCLUDED", s.owner, s.lo, r.sentinel, s.lo_word)
            # stack.overflow
            # An sp below lo but under the record's end is a foreign sp (stack.sp), not this.
            if meaningful and r.free[0] <= s.saved_sp < s.lo:
                rep.fail("STACK_OVERFLOW", s.owner, s.saved_sp, "sp above lo 0x%x" % s.lo,
                         s.saved_sp)
            if (s.lo_word is not None and s.lo_word != r.sentinel and s.lo_next is not None
                    and s.lo_next != r.paint):
                rep.fail("STACK_OVERFLOW", s.owner, s.lo + 8, r.paint, s.lo_next)
            # stack.sp
            if s.id != 0 and s.state > C.LR_TASK_FAULTED:
                rep.fail("STACK_SP", s.owner, s.saved_sp, "a state <= %d" % C.LR_TASK_FAULTED,
                         "state %d" % s.state)
            elif meaningful and (not s.lo < s.saved_sp <= s.hi or s.saved_sp % C.STACK_ALIGN):
                rep.fail("STACK_SP", s.owner, s.saved_sp,
                         "16-byte aligned, in (0x%x, 0x%x]" % (s.lo, s.hi), s.saved_sp)
            # stack.headroom, on request
            if self.min_headroom is not None:
                want = "%d%% unused" % self.min_headroom
                if s.high_water is None:
                    rep.fail("STACK_HEADROOM", s.owner, s.lo, want,
                             "stack not readable" if r.kind == "live" else "stack not in the dump")
                elif s.headroom_pct < self.min_headroom:
                    rep.fail("STACK_HEADROOM", s.owner, s.hi - s.high_water, want,
                             "%d%% unused (%d of %d bytes used)"
                             % (s.headroom_pct, s.high_water, s.size))
        rep.ok("STACK_LO_EXCLUDED")
        rep.ok("STACK_OVERFLOW")
        rep.ok("STACK_SP")
        if self.min_headroom is not None:
            rep.ok("STACK_HEADROOM")
        else:
            rep.skip("STACK_HEADROOM", "no --min-headroom given")

    def check_hart(self, all_stacks):
        sp = utils.hart_sp()
        if sp is None:
            self.rep.skip("HART_SP", "no registers")
            return
        if not any(s.lo < sp <= s.hi for s in all_stacks):
            b = self.r.boot_stack
            where = "in the boot stack" if b[0] < sp <= b[1] else "outside every stack"
            self.rep.fail("HART_SP", "hart 0", sp, "in the kernel stack or a task stack",
                          "0x%x, %s" % (sp, where))
        self.rep.ok("HART_SP")

    # ---- elf.* --------------------------------------------------------------------------------
    def check_elf(self):
        r, rep = self.r, self.rep
        elf = record.elf_build_id()
        at = self.field("build_id")
        if elf is None:
            rep.fail("ELF_BUILD_ID", "elf", at, "a build ID", "no NT_GNU_BUILD_ID note in the ELF")
        elif not (len(elf) == r.build_id_size and r.build_id == elf):
            rep.fail("ELF_BUILD_ID", "record", at, elf.hex(), r.build_id.hex())
        rep.ok("ELF_BUILD_ID")
        for name, start, end, have in (
                ("text", "_text_start", "_text_end", r.text),
                ("rodata", "_rodata_start", "_rodata_end", r.rodata),
                ("data", "_data_start", "_data_end", r.data),
                ("bss", "_bss_start", "_bss_end", r.bss),
                ("boot_stack", "_boot_stack_start", "_boot_stack_end", r.boot_stack)):
            want = (utils.symbol_address(start), utils.symbol_address(end))
            if None in want:
                rep.fail("ELF_REGIONS", name, have[0], "the linker's symbols",
                         "no %s/%s in the ELF" % (start, end))
            elif want != have:
                rep.fail("ELF_REGIONS", name, have[0], rng(*want), rng(*have))
        image_end = utils.symbol_address("_image_end")
        if image_end is None:
            rep.fail("ELF_REGIONS", "padding", r.padding[0], "_image_end", "no _image_end in the ELF")
        elif r.padding[0] != image_end:
            rep.fail("ELF_REGIONS", "padding", r.padding[0], image_end, r.padding[0])
        want = (utils.symbol_address("_record_start"), utils.symbol_address("_record_end"))
        if None in want:
            rep.fail("ELF_REGIONS", "record", r.record[0], "_record_start/_record_end",
                     "missing in the ELF")
        elif want != r.record:
            rep.fail("ELF_REGIONS", "record", r.record[0], rng(*want), rng(*r.record))
        want = (utils.symbol_address("_task_code_start"), utils.symbol_address("_task_code_end"))
        if None in want:
            rep.fail("ELF_REGIONS", "task code", r.task_code[0], "_task_code_start/_task_code_end",
                     "missing in the ELF")
        elif want != r.task_code:
            rep.fail("ELF_REGIONS", "task code", r.task_code[0], rng(*want), rng(*r.task_code))
        rep.ok("ELF_REGIONS")

    # ---- what the kernel saw itself -----------------------------------------------------------
    def check_kernel_reported(self):
        r, rep = self.r, self.rep
        for v in r.violations:
            region = r.owner_label(v.owner)
            if not 0 <= v.invariant < len(C.INVARIANTS):
                rep.fail("RECORD_VERSION", region, v.addr, "an id below %d" % len(C.INVARIANTS),
                         "unknown invariant %d" % v.invariant, by_kernel=True)
                continue
            if v.cause != C.LR_CAUSE_CHECK:
                # A fault the hardware stopped: as inspector/check.c words it.
                rep.fail(v.invariant, region, v.addr,
                         "no access outside its stack and the task code" if v.owner
                         else "no store to the kernel stack's lo word",
                         "%s at pc %s" % (FAULT_KINDS.get(v.cause, "trap")[:28], pc_name(v.pc)[:60]),
                         by_kernel=True)
            elif v.pc:
                rep.fail(v.invariant, region, v.addr, v.expected,
                         "%s at %s" % (utils.hex64(v.found), pc_name(v.pc)[:63]), by_kernel=True)
            else:
                rep.fail(v.invariant, region, v.addr, v.expected, v.found, by_kernel=True)
        rep.ok("STACK_REFUSED")
        rep.ok("TASK_ACCESS")

    def run(self):
        self.no_elf_compare = None
        if not self.check_record():
            for inv in range(len(C.INVARIANTS)):
                if inv not in self.rep.status:
                    self.rep.skip(C.INVARIANTS[inv][0], "the record header is not trusted")
            return self.rep
        self.check_ram()
        self.check_order()
        self.check_chain()
        self.check_image()
        all_stacks = stacks.measure(self.r)
        self.check_stacks(all_stacks)
        self.check_hart(all_stacks)
        self.check_elf()
        self.check_kernel_reported()
        return self.rep


def format_violation(v):
    inv, region, addr, expected, found, by_kernel = v
    return "%s: %s: at 0x%016x: expected %s, found %s%s" % (
        record.invariant_id(inv), region, addr, expected, found,
        " (reported by the kernel)" if by_kernel else "")


class KlayoutCheck(gdb.Command):
    """Check the layout invariants, as `inspector check --elf` does on a dump.

Usage: klayout check [-v] [--min-headroom PCT]

Runs every invariant of include/layout_record.h (LR_INVARIANTS), with the same ids and
verdicts as the C inspector: record.*, layout.*, image.untouched, stack.lo-excluded,
stack.overflow, stack.sp, stack.headroom (only with --min-headroom PCT: every stack keeps
PCT% unused), hart.sp ($sp of the selected thread), elf.build-id and elf.regions (against
the loaded ELF), and the violations the kernel recorded itself, marked
"(reported by the kernel)". Prints one line per violation:
  ID: REGION: at ADDRESS: expected X, found Y
then `N checks, M violations`. -v also prints `ID: ok: ...` for every passing check.
With violations the command fails (an error after the summary), so a batch script
(gdb -batch ... -ex 'klayout check') exits non-zero. Live, layout.ram checks that the
record's RAM is readable (QEMU's RAM size is not visible); on a core it compares with
the core's RAM segment."""

    def __init__(self):
        super().__init__("klayout check", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        flags, opts, pos = utils.parse_args(arg, flags=("-v", "--verbose"),
                                            options=("--min-headroom", "-m"))
        if pos:
            raise gdb.GdbError("usage: klayout check [-v] [--min-headroom PCT]")
        pct = opts.get("--min-headroom", opts.get("-m"))
        if pct is not None:
            if not pct.isdigit() or int(pct) > 100:
                raise gdb.GdbError("--min-headroom: not a percentage 0-100: '%s'" % pct)
            pct = int(pct)
        verbose = bool(flags)
        rec = record.load(require_header=False)
        checker = Checker(rec, pct)
        rep = checker.run()
        lines = []
        for inv, (_name, inv_id, text) in enumerate(C.INVARIANTS):
            lines += [format_violation(v) for v in rep.violations if v[0] == inv]
            st = rep.status.get(inv)
            if st == SKIP:
                lines.append("%s: skipped: %s" % (inv_id, rep.reason[inv]))
            elif st == PASS and verbose:
                lines.append("%s: ok: %s" % (inv_id, text))
        if verbose and checker.no_elf_compare:
            lines.append("note: " + checker.no_elf_compare)
        if rec.header_ok and rec.violation_count > len(rec.violations):
            lines.append("kernel: %d violations seen, %d kept in the record, %d dropped" % (
                rec.violation_count, len(rec.violations),
                rec.violation_count - len(rec.violations)))
        n = len(rep.violations)
        lines.append("%d checks, %d violations" % (rep.checks_run, n))
        gdb.write("\n".join(lines) + "\n")
        if n:
            raise gdb.GdbError("klayout check: %d violation%s" % (n, "" if n == 1 else "s"))


KlayoutCheck()
