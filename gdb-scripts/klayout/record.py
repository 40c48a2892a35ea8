"""record.py: the layout record at RECORD_ADDR, read in one piece and decoded through the kernel's
own debug info (struct layout_record), and the `klayout record` command.

Why the debug-info type: the field offsets then come from the very compiler that laid the struct
out, so nothing here restates them; the raw bytes are kept as well, because the checksum is
computed over them (record.checksum) exactly as the kernel computed it."""
import zlib

import gdb

from klayout import constants as C
from klayout import utils

record_type = utils.CachedType("struct layout_record")
publication_type = utils.CachedType("struct lr_publication")

STATE_NAMES = {C.LR_TASK_NEW: "new", C.LR_TASK_READY: "ready", C.LR_TASK_RUNNING: "running",
               C.LR_TASK_PARKED: "parked", C.LR_TASK_FAULTED: "faulted"}
RANGES = ("ram", "dtb", "text", "rodata", "data", "bss", "boot_stack", "padding", "record",
          "task_code", "free", "kstack")


def state_name(state):
    return STATE_NAMES.get(state, "unknown")


def invariant_id(inv):
    return C.INVARIANTS[inv][1] if 0 <= inv < len(C.INVARIANTS) else "unknown"


def task_name(raw):
    """The NUL-padded name field as the inspector prints it: non-printable bytes and quotes as ?."""
    out = []
    for c in raw[:C.LR_NAME_LEN]:
        if c == 0:
            break
        ch = chr(c)
        out.append(ch if 0x20 <= c < 0x7f and ch not in "'\"\\" else "?")
    return "".join(out)


class Task:
    """One lr_task entry, as Python numbers."""

    def __init__(self, index, v):
        self.index = index
        self.id = int(v["id"])
        self.name = task_name(bytes(int(v["name"][i]) & 0xff for i in range(C.LR_NAME_LEN)))
        self.state = int(v["state"])
        self.lo = int(v["stack"]["lo"])
        self.hi = int(v["stack"]["hi"])
        self.saved_sp = int(v["saved_sp"])
        self.saved_pc = int(v["saved_pc"])
        self.ctx = int(v["ctx"])
        self.depth = int(v["depth"])
        self.depth_reached = int(v["depth_reached"])
        self.switches = int(v["switches"])
        self.preemptions = int(v["preemptions"])

    @property
    def label(self):
        return "task %d '%s'" % (self.id, self.name)


class Violation:
    def __init__(self, v):
        self.invariant = int(v["invariant"])
        self.owner = int(v["owner"])
        self.addr = int(v["addr"])
        self.expected = int(v["expected"])
        self.found = int(v["found"])
        self.pc = int(v["pc"])
        self.cause = int(v["cause"])


class Record:
    """The record as read now: raw bytes, the fields by name, tasks and kernel violations."""

    def __init__(self, raw, rtype, addr=None, pub=None):
        self.raw = raw
        self.type = rtype
        self.addr = C.RECORD_ADDR if addr is None else addr   # the published copy read
        # The publication block (docs/layout-record.md): an update pending since an older tick
        # than the heartbeat was abandoned (lr_update_abandoned in the header).
        self.pub_generation, self.heartbeat, self.pending_since = (
            (int(pub["generation"]), int(pub["heartbeat"]), int(pub["pending_since"]))
            if pub is not None else (0, 0, 0))
        v = gdb.Value(raw, rtype)
        for name in ("magic", "version", "size", "checksum", "generation", "flags",
                     "build_id_size", "available", "kernel_sp", "sentinel", "paint",
                     "image_crc", "current", "task_count", "task_max", "violation_count",
                     "violation_max", "tick_us", "pmp_entries"):
            setattr(self, name, int(v[name]))
        for name in RANGES:
            setattr(self, name, (int(v[name]["lo"]), int(v[name]["hi"])))
        n = min(self.build_id_size, C.LR_BUILD_ID_MAX)
        self.build_id = bytes(int(v["build_id"][i]) & 0xff for i in range(n))
        self.tasks = [Task(i, v["tasks"][i]) for i in range(min(self.task_count, C.LR_MAX_TASKS))]
        kept = min(self.violation_count, self.violation_max, C.LR_MAX_VIOLATIONS)
        self.violations = [Violation(v["violations"][i]) for i in range(kept)]

    # ---- header -------------------------------------------------------------------------------
    def offset(self, field):
        for f in self.type.fields():
            if f.name == field:
                return f.bitpos // 8
        raise KeyError(field)

    @property
    def header_ok(self):
        return (self.magic == C.LR_MAGIC and self.version == C.LR_VERSION
                and self.size == self.type.sizeof)

    @property
    def abandoned(self):
        return bool(self.pub_generation & 1) and self.heartbeat != self.pending_since

    @property
    def mid_update(self):
        return bool(self.generation & 1) or self.abandoned

    def computed_checksum(self):
        """CRC-32 of the record's size bytes with the checksum field read as 0 (lr_checksum)."""
        size = min(self.size, len(self.raw))
        at = self.offset("checksum")
        data = bytearray(self.raw[:size])
        data[at:at + 4] = b"\0\0\0\0"
        return zlib.crc32(bytes(data)) & 0xffffffff

    # ---- who is who ---------------------------------------------------------------------------
    def task(self, spec):
        """A task by id ("3") or name ("gamma"), or a GdbError listing the tasks."""
        for t in self.tasks:
            if spec == t.name or (spec.isdigit() and int(spec) == t.id):
                return t
        known = ", ".join("%d %s" % (t.id, t.name) for t in self.tasks) or "none"
        raise gdb.GdbError("no task '%s' in the record (tasks: %s)" % (spec, known))

    def owner_label(self, owner):
        if owner == 0:
            return "kernel"
        for t in self.tasks:
            if t.id == owner:
                return t.label
        return "task %d" % owner


def load(require_header=True):
    """The record now: the copy the publication block names (version 2: two copies follow the
    block; docs/layout-record.md). Without a target, or (require_header) without a record yet,
    a GdbError."""
    kind = utils.target_kind()
    rtype = record_type.get_type()
    ptype = publication_type.get_type()
    praw = utils.read_memory(C.RECORD_ADDR, ptype.sizeof, "the layout record's publication block")
    pub = gdb.Value(praw, ptype)
    published = int(pub["published"])
    if int(pub["magic"]) != C.LR_MAGIC or published > 1:
        # No record (yet): the block's header stands for it, so the checks say what is wrong.
        rec = Record(praw + bytes(rtype.sizeof - len(praw)), rtype, C.RECORD_ADDR, pub)
    else:
        addr = C.RECORD_ADDR + ptype.sizeof + published * rtype.sizeof
        rec = Record(utils.read_memory(addr, rtype.sizeof, "the layout record"), rtype, addr, pub)
    rec.kind = kind
    if require_header:
        if rec.magic != C.LR_MAGIC:
            raise gdb.GdbError(
                "no layout record at 0x%x yet: magic is 0x%x, not 0x%x (the kernel has not "
                "written it: stopped before boot?)" % (C.RECORD_ADDR, rec.magic, C.LR_MAGIC))
        if rec.version != C.LR_VERSION:
            raise gdb.GdbError("layout record at 0x%x has version %d; these scripts read version %d"
                               % (C.RECORD_ADDR, rec.version, C.LR_VERSION))
        if rec.size != rtype.sizeof:
            raise gdb.GdbError(
                "layout record at 0x%x says it is %d bytes; struct layout_record in the loaded "
                "ELF is %d: wrong ELF loaded?" % (C.RECORD_ADDR, rec.size, rtype.sizeof))
    return rec


def elf_build_id():
    """The loaded kernel ELF's GNU build ID as bytes, or None."""
    bid = utils.kernel_objfile().build_id
    return bytes.fromhex(bid) if bid else None


def require_same_build(rec):
    """GdbError when the record was written by another build than the loaded ELF."""
    elf = elf_build_id()
    if elf is not None and rec.build_id != elf:
        raise gdb.GdbError(
            "wrong ELF loaded: the record's build ID is %s, %s has %s (load the kernel that ran)"
            % (rec.build_id.hex() or "empty", utils.kernel_objfile().filename, elf.hex()))


def warn_mid_update(rec):
    if rec.mid_update:
        gdb.write("warning: the kernel began a record update at tick %d and never finished it "
                  "(tick %d now): the record shows the state before it\n"
                  % (rec.pending_since, rec.heartbeat))


def load_checked():
    """The record for the display commands: header valid, same build, mid-update announced."""
    rec = load()
    require_same_build(rec)
    warn_mid_update(rec)
    return rec


class KlayoutRecord(gdb.Command):
    """Print the layout record, field by field.

Usage: klayout record

Reads the record the kernel keeps at RECORD_ADDR (one read, decoded with the kernel's
struct layout_record) and prints every field as a `name: value` line, the same lines as
`inspector record`: header, build ID, the regions, the stacks' bookkeeping, then each task
and each violation the kernel recorded. Says so if the record is not written yet or was
caught mid-update (odd generation)."""

    def __init__(self):
        super().__init__("klayout record", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout record")
        rec = load_checked()
        out = []
        h = utils.hex64
        out.append("magic: %s" % h(rec.magic))
        out.append("version: %d" % rec.version)
        out.append("size: %d" % rec.size)
        out.append("checksum: 0x%08x" % rec.checksum)
        out.append("generation: %d" % rec.generation)
        out.append("flags: 0x%x%s%s" % (rec.flags, " ready" if rec.flags & C.LR_FLAG_READY else "",
                                        " halted" if rec.flags & C.LR_FLAG_HALTED else ""))
        out.append("build_id_size: %d" % rec.build_id_size)
        out.append("build_id: %s" % rec.build_id.hex())
        for name in RANGES:
            lo, hi = getattr(rec, name)
            out.append("%s.lo: %s" % (name, h(lo)))
            out.append("%s.hi: %s" % (name, h(hi)))
        for name in ("available", "kernel_sp", "sentinel", "paint"):
            out.append("%s: %s" % (name, h(getattr(rec, name))))
        out.append("image_crc: 0x%08x" % rec.image_crc)
        for name in ("current", "task_count", "task_max", "violation_count", "violation_max",
                     "tick_us", "pmp_entries"):
            out.append("%s: %d" % (name, getattr(rec, name)))
        for i, t in enumerate(rec.tasks):
            out.append("task[%d].id: %d" % (i, t.id))
            out.append("task[%d].name: %s" % (i, t.name))
            out.append("task[%d].state: %d (%s)" % (i, t.state, state_name(t.state)))
            out.append("task[%d].stack.lo: %s" % (i, h(t.lo)))
            out.append("task[%d].stack.hi: %s" % (i, h(t.hi)))
            out.append("task[%d].saved_sp: %s" % (i, h(t.saved_sp)))
            out.append("task[%d].saved_pc: %s" % (i, h(t.saved_pc)))
            out.append("task[%d].ctx: %s" % (i, h(t.ctx)))
            out.append("task[%d].depth: %d" % (i, t.depth))
            out.append("task[%d].depth_reached: %d" % (i, t.depth_reached))
            out.append("task[%d].switches: %d" % (i, t.switches))
            out.append("task[%d].preemptions: %d" % (i, t.preemptions))
        for i, v in enumerate(rec.violations):
            out.append("violation[%d].invariant: %d (%s)" % (i, v.invariant, invariant_id(v.invariant)))
            out.append("violation[%d].owner: %d" % (i, v.owner))
            out.append("violation[%d].addr: %s" % (i, h(v.addr)))
            out.append("violation[%d].expected: %s" % (i, h(v.expected)))
            out.append("violation[%d].found: %s" % (i, h(v.found)))
            out.append("violation[%d].pc: %s" % (i, h(v.pc)))
            out.append("violation[%d].cause: %d%s" % (i, v.cause,
                                                      " (check)" if v.cause == C.LR_CAUSE_CHECK else ""))
        gdb.write("\n".join(out) + "\n")


KlayoutRecord()
