"""record.py: `klayout record` (the engine's field listing, as `inspector record` prints it) and
the record's tasks for `klayout bt`, decoded through the kernel's debug info (struct
layout_record): the field offsets come from the compiler that laid the struct out, so nothing
here restates them. Whether the record can be trusted is the engine's verdict (engine.py)."""
import gdb

from klayout import constants as C
from klayout import engine
from klayout import utils

record_type = utils.CachedType("struct layout_record")
publication_type = utils.CachedType("struct lr_publication")


def state_name(state):
    """The engine's name of a task state ("parked"), as the record listing shows it."""
    return engine.library().kl_task_state_name(state).decode()


def task_name(raw):
    """The NUL-padded name field, as the engine prints it (non-printable bytes and quotes as ?)."""
    return engine.library().kl_task_name_bytes(bytes(raw[:C.LR_NAME_LEN]).ljust(
        C.LR_NAME_LEN, b"\0")).decode()


def invariant_id(inv):
    """The stable id of an invariant ("stack.lo-excluded"), "unknown" past the table."""
    return C.INVARIANTS[inv][1] if 0 <= inv < len(C.INVARIANTS) else "unknown"


class Violation:
    """One lr_violation the kernel recorded: which invariant, whose (0 = the kernel)."""

    def __init__(self, v):
        self.invariant = int(v["invariant"])
        self.owner = int(v["owner"])


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
        self.ctx = int(v["ctx"])            # its saved frame (include/trapframe.h)
        self.switches = int(v["switches"])
        self.preemptions = int(v["preemptions"])

    @property
    def label(self):
        return "task %d '%s'" % (self.id, self.name)


class Record:
    """What `klayout bt` and `klayout threads` need of the record: the kernel stack, who is on
    the hart, the tasks, whose violations the kernel recorded."""

    def __init__(self, raw, rtype):
        v = gdb.Value(raw, rtype)
        self.kstack = (int(v["kstack"]["lo"]), int(v["kstack"]["hi"]))
        self.kernel_sp = int(v["kernel_sp"])
        self.current = int(v["current"])
        self.tasks = [Task(i, v["tasks"][i])
                      for i in range(min(int(v["task_count"]), C.LR_MAX_TASKS))]
        self.violations = [Violation(v["violations"][i])
                           for i in range(min(int(v["violation_count"]), int(v["violation_max"]),
                                              C.LR_MAX_VIOLATIONS))]

    def task(self, spec):
        """A task by id ("3") or name ("gamma"), or a GdbError listing the tasks."""
        for t in self.tasks:
            if spec == t.name or (spec.isdigit() and int(spec) == t.id):
                return t
        known = ", ".join("%d %s" % (t.id, t.name) for t in self.tasks) or "none"
        raise gdb.GdbError("no task '%s' in the record (tasks: %s)" % (spec, known))


def copy_addr():
    """Where the published copy is: the publication block at RECORD_ADDR names it (version 2,
    docs/layout-record.md); a block naming no copy gives copy 0, whose header the engine judges."""
    ptype = publication_type.get_type()
    pub = gdb.Value(utils.read_memory(C.RECORD_ADDR, ptype.sizeof, "the publication block"), ptype)
    published = int(pub["published"])
    return C.RECORD_ADDR + ptype.sizeof + (published if published in (0, 1) else 0) * \
        record_type.get_type().sizeof


def load_checked():
    """The record for the display commands: the engine trusts its header, the loaded ELF is
    the build that wrote it, a record caught mid-update is announced."""
    with engine.Session() as s:
        s.require_display()
    return load()


def load():
    """The published copy as it stands, without the engine's verdicts (for completion)."""
    rtype = record_type.get_type()
    return Record(utils.read_memory(copy_addr(), rtype.sizeof, "the layout record"), rtype)


class KlayoutRecord(gdb.Command):
    """Print the layout record, field by field.

Usage: klayout record

The record the kernel keeps at RECORD_ADDR, every field as a `name: value` line, the
engine's listing (the same lines as `inspector record`): header, build ID, the regions,
the stacks' bookkeeping, then each task and each violation the kernel recorded. Says so
if the record is not written yet or was caught mid-update (odd generation)."""

    def __init__(self):
        super().__init__("klayout record", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout record")
        with engine.Session() as s:
            s.require_display()
            gdb.write(s.record_text())


KlayoutRecord()
