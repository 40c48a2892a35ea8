"""engine.py: the rules engine (libklayout.so, engine/klayout.h) inside GDB, through ctypes.

Every verdict and every text `klayout check|show|stacks|record` print is the engine's, the
same C the inspector runs on dumps: nothing here decides anything. GDB only lends the engine
its target: physical reads through Inferior.read_memory (live over the gdbstub, or a core),
the selected thread's pc and sp as hart 0, the core's RAM segment, the loaded kernel ELF.
Why ctypes rather than a core snapshot handed to the inspector: no file to write, and each
stack is one read_memory call (docs/gdb.md has the measurements)."""
import ctypes
import ctypes.util

import gdb

from klayout import constants as C
from klayout import libpath
from klayout import utils

_READ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p,
                         ctypes.c_uint64)
_lib = None


def library_path():
    """Where libklayout.so is: libpath.libklayout() (the one place that looks: $KLAYOUT_LIB, an
    installed copy, the tree's build/), then the dynamic loader's own search."""
    return libpath.libklayout() or ctypes.util.find_library("klayout")


def _signatures(lib):
    P, S, I, U64 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_uint64
    sig = {
        "kl_new": (P, [ctypes.c_char_p, _READ, P]),
        "kl_set_live": (None, [P, I]),
        "kl_set_ram": (None, [P, U64, U64]),
        "kl_set_sparse": (None, [P, I]),
        "kl_add_hart": (None, [P, U64, U64]),
        "kl_set_no_harts": (None, [P, ctypes.c_char_p]),
        "kl_load": (I, [P]),
        "kl_open_elf": (I, [P, ctypes.c_char_p]),
        "kl_close": (None, [P]),
        "kl_header_ok": (I, [P]),
        "kl_header_problem": (I, [P, ctypes.c_char_p, S]),
        "kl_record_warning": (I, [P, ctypes.c_char_p, S]),
        "kl_elf_matches": (I, [P]),
        "kl_other_build": (I, [P, ctypes.c_char_p, S]),
        "kl_check_text": (P, [P, I, I, ctypes.POINTER(S)]),
        "kl_stacks_text": (P, [P]),
        "kl_record_text": (P, [P]),
        "kl_diagram_text": (P, [P]),
        "kl_free": (None, [P]),
        "kl_task_state_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "kl_task_name_bytes": (ctypes.c_char_p, [ctypes.c_char_p]),
        "kl_set_program": (None, [ctypes.c_char_p]),
        "kl_last_error": (ctypes.c_char_p, []),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args


def library():
    """The loaded engine, or a GdbError saying how to build it."""
    global _lib
    if _lib is None:
        path = library_path()
        if path is None:
            raise gdb.GdbError("klayout: libklayout.so not found (run `make host`, or set "
                               "KLAYOUT_LIB to its path)")
        try:
            lib = ctypes.CDLL(path)
            _signatures(lib)
        except (OSError, AttributeError) as e:
            raise gdb.GdbError("klayout: cannot load %s: %s" % (path, e)) from None
        lib.kl_set_program(None)            # messages come back as GdbErrors, not on stderr
        _lib = lib
    return _lib


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
    """(pc, sp) of the selected thread's newest frame, or None without registers."""
    try:
        frame = gdb.newest_frame()
        mask = 0xffffffffffffffff
        return int(frame.read_register("pc")) & mask, int(frame.read_register("sp")) & mask
    except (gdb.error, RuntimeError):
        return None


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
        self._read = _READ(read)              # kept alive as long as the session
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
