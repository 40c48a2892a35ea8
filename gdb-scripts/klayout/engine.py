"""engine.py: the rules engine (libklayout.so, engine/klayout.h) inside GDB, through ctypes.

Every verdict and every text `klayout check|show|stacks|record` print is the engine's, the
same C the inspector runs on dumps: nothing here decides anything. GDB only lends the engine
its target: physical reads through Inferior.read_memory (live over the gdbstub, or a core),
hart 0's pc and sp (from the hart's thread, whichever thread is selected), the core's RAM
segment, the loaded kernel ELF.
Why ctypes rather than a core snapshot handed to the inspector: no file to write, and each
stack is one read_memory call (docs/gdb.md has the measurements)."""
import ctypes

import gdb

from klayout import constants as C
from klayout import libklayout
from klayout import utils


def library():
    """The loaded engine, or a GdbError saying how to build it."""
    try:
        return libklayout.load()
    except LookupError as e:
        raise gdb.GdbError("klayout: %s" % e) from None
    except (OSError, AttributeError) as e:
        raise gdb.GdbError("klayout: cannot load %s: %s" % (libklayout.path(), e)) from None


def _target_name(kind):
    if kind == "core":
        # `info target`: "Local core dump file:" then "\t`PATH', file type ...".
        lines = gdb.execute("info target", to_string=True).splitlines()
        for head, line in zip(lines, lines[1:]):
            if head.startswith("Local core dump file") and line.strip().startswith("`"):
                return line.strip()[1:].split("'", 1)[0]
        return "core"
    conn = getattr(gdb.selected_inferior(), "connection", None)
    details = getattr(conn, "details", None) if conn is not None else None
    return "live %s" % details if details else "live"


def _hart():
    """(pc, sp) of hart 0 whichever thread is selected, or None without registers: the first
    thread that is not a task's (a task's thread id is GDBCORE_TASK_PID_BASE + N, on a core from
    `inspector gdbcore` and live through the thread proxy), read in that thread, then the
    selected thread and frame put back."""
    harts = [th for th in gdb.selected_inferior().threads()
             if th.is_valid() and utils.thread_tid(th) <= C.GDBCORE_TASK_PID_BASE]
    if not harts:
        return None
    hart, selected = min(harts, key=lambda th: th.num), gdb.selected_thread()
    try:
        frame = gdb.selected_frame() if selected is not None else None
    except gdb.error:
        frame = None
    try:
        if hart != selected:
            hart.switch()
        newest = gdb.newest_frame()
        mask = 0xffffffffffffffff
        return int(newest.read_register("pc")) & mask, int(newest.read_register("sp")) & mask
    except (gdb.error, RuntimeError):
        return None
    finally:
        if hart != selected and selected is not None and selected.is_valid():
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()


class Session:
    """The engine on GDB's target now; a context manager (the C session is freed on exit)."""

    def __init__(self, elf=True):
        kind = utils.target_kind()
        self.lib = library()
        self.kind = kind
        inferior = gdb.selected_inferior()

        def read(_ctx, addr, buf, length):
            try:
                data = inferior.read_memory(addr, length)
            except (gdb.MemoryError, gdb.error, ValueError, OverflowError):
                return -1
            ctypes.memmove(buf, data.tobytes(), length)
            return 0

        self.s = None
        self._read = libklayout.READ(read)              # kept alive as long as the session
        self.name = _target_name(kind).encode()
        self.s = self.lib.kl_new(self.name, self._read, None)
        if not self.s:
            raise gdb.GdbError(self.error())
        if kind == "live":
            self.lib.kl_set_live(self.s, 1)
        else:
            segs = utils.core_ram_segments()
            ram = next(((lo, hi) for lo, hi in segs if lo <= C.RECORD_ADDR < hi), None)
            # A sparse core (the gate's: the image and record, then the stacks up to the end of
            # RAM) ends where its highest segment ends; its KLAYOUT note is out of GDB's reach.
            above = [hi for lo, hi in segs if ram and lo >= ram[1]]
            if ram:
                self.lib.kl_set_ram(self.s, ram[0], max(above + [ram[1]]))
                self.lib.kl_set_sparse(self.s, int(bool(above)))
        hart = _hart()
        if hart is not None:
            self.lib.kl_add_hart(self.s, *hart)
        if self.lib.kl_load(self.s) != 0:
            msg = self.error()
            self.close()
            raise gdb.GdbError(msg)
        self.elf = None
        if elf:
            try:
                self.elf = utils.kernel_objfile().filename
            except gdb.GdbError:
                self.elf = None             # a core alone: elf.* are skipped, as without --elf
        if self.elf is not None:
            if self.lib.kl_open_elf(self.s, self.elf.encode()) != 0:
                msg = self.error()
                self.close()
                raise gdb.GdbError(msg)

    def error(self):
        return self.lib.kl_last_error().decode(errors="replace")

    def close(self):
        if self.s:
            self.lib.kl_close(self.s)
            self.s = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _text(self, ptr):
        if not ptr:
            raise gdb.GdbError(self.error())
        try:
            return ctypes.string_at(ptr).decode(errors="replace")
        finally:
            self.lib.kl_free(ptr)

    def require_display(self):
        """For the display commands: a trusted header and the loaded ELF's build, else a
        GdbError; the engine's warning (a record caught mid-update) is printed."""
        buf = ctypes.create_string_buffer(256)
        if self.lib.kl_header_problem(self.s, buf, len(buf)) == 0:
            raise gdb.GdbError("no valid layout record at 0x%x: %s"
                               % (C.RECORD_ADDR, buf.value.decode(errors="replace")))
        if not self.lib.kl_elf_matches(self.s):
            raise gdb.GdbError("wrong ELF loaded: the record's build ID is not the one of %s "
                               "(load the kernel that ran)" % self.elf)
        if self.lib.kl_record_warning(self.s, buf, len(buf)) == 0:
            gdb.write("warning: %s\n" % buf.value.decode(errors="replace"))

    def require_same_build(self):
        """A GdbError when the loaded ELF is another build than the record's (the inspector's
        exit 2: comparing them would blame every changed byte on the kernel)."""
        buf = ctypes.create_string_buffer(256)
        if self.lib.kl_other_build(self.s, buf, len(buf)):
            raise gdb.GdbError("'%s': %s" % (self.name.decode(errors="replace"),
                                             buf.value.decode(errors="replace")))

    def check_text(self, min_headroom=None, verbose=False):
        """(the text `inspector check` prints, the number of violations)."""
        n = ctypes.c_size_t(0)
        pct = -1 if min_headroom is None else min_headroom
        text = self._text(self.lib.kl_check_text(self.s, pct, int(verbose), ctypes.byref(n)))
        return text, n.value

    def stacks_text(self):
        return self._text(self.lib.kl_stacks_text(self.s))

    def record_text(self):
        return self._text(self.lib.kl_record_text(self.s))

    def diagram_text(self):
        return self._text(self.lib.kl_diagram_text(self.s))
