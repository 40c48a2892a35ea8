"""utils.py: helpers every klayout command shares: cached types, the target (live or core),
memory reads that fail with the address, little-endian words, argument parsing.
Called by engine.py, record.py and bt.py; nothing here prints or decides."""
import re
import struct

import gdb


class CachedType:
    """A type from the kernel's debug info, looked up once and dropped on a new objfile."""

    def __init__(self, name):
        self._name = name
        self._type = None

    def _new_objfile_handler(self, event):
        self._type = None
        gdb.events.new_objfile.disconnect(self._new_objfile_handler)

    def get_type(self):
        if self._type is None:
            try:
                self._type = gdb.lookup_type(self._name)
            except gdb.error:
                raise gdb.GdbError(
                    "'%s' is not in the loaded debug info: load the kernel ELF that ran "
                    "(file build/kernel.elf)" % self._name) from None
            gdb.events.new_objfile.connect(self._new_objfile_handler)
        return self._type


def kernel_objfile():
    """The objfile of the loaded kernel ELF, or a GdbError."""
    prog = gdb.current_progspace()
    if prog is None or not prog.filename:
        raise gdb.GdbError("no kernel ELF loaded: start GDB with build/kernel.elf")
    for obj in prog.objfiles():
        if obj.filename == prog.filename:
            return obj
    objs = prog.objfiles()
    if not objs:
        raise gdb.GdbError("no kernel ELF loaded: start GDB with build/kernel.elf")
    return objs[0]


def target_kind():
    """'live' (a process: QEMU's gdbstub) or 'core' (a dump), else a GdbError."""
    inf = gdb.selected_inferior()
    conn = getattr(inf, "connection", None)
    if inf is None or inf.pid == 0 or not inf.threads():
        raise gdb.GdbError("no process and no core: `target remote :PORT` to QEMU's gdbstub, "
                           "or `core-file DUMP.elf`")
    if conn is not None and conn.type == "core":
        return "core"
    return "live"


def thread_tid(th):
    """A thread's id as the core or the stub gave it: LWP, else the thread id, else the pid
    (the hart keeps QEMU's own, 1; task N is GDBCORE_TASK_PID_BASE + N)."""
    pid, lwp, tid = th.ptid
    return lwp or tid or pid


def read_memory(addr, length, what="memory"):
    """length bytes at addr, in one read; gdb.MemoryError becomes a GdbError naming the address."""
    if length <= 0:
        return b""
    try:
        return gdb.selected_inferior().read_memory(addr, length).tobytes()
    except gdb.MemoryError:
        raise gdb.GdbError("cannot read %s: %d bytes at 0x%x" % (what, length, addr)) from None


def try_read(addr, length):
    """As read_memory, but None when the memory cannot be read."""
    try:
        return gdb.selected_inferior().read_memory(addr, length).tobytes()
    except (gdb.MemoryError, gdb.error, ValueError, OverflowError):
        return None


def u64(buf, off=0):
    return struct.unpack_from("<Q", buf, off)[0]


def parse_args(arg, flags=(), options=()):
    """gdb.string_to_argv, split into (flags set, options dict, positional list).
    flags: names like "-v"; options: names like "--min-headroom" that take a value."""
    argv = gdb.string_to_argv(arg)
    got_flags, got_opts, pos = set(), {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            got_flags.add(a)
        elif a.split("=", 1)[0] in options:
            if "=" in a:
                name, value = a.split("=", 1)
            elif i + 1 < len(argv):
                name, value = a, argv[i + 1]
                i += 1
            else:
                raise gdb.GdbError("%s needs a value" % a)
            got_opts[name] = value
        elif a.startswith("-") and not re.match(r"^-\d", a):
            raise gdb.GdbError("unknown option '%s' (see `help klayout`)" % a)
        else:
            pos.append(a)
        i += 1
    return got_flags, got_opts, pos


def no_args(arg, command):
    """For commands without arguments: a GdbError if some were given."""
    if gdb.string_to_argv(arg):
        raise gdb.GdbError("%s takes no arguments" % command)


def core_ram_segments():
    """On a core: the (lo, hi) ranges of the core's loaded segments, from `info target`."""
    text = gdb.execute("info target", to_string=True)
    out, in_core = [], False
    for line in text.splitlines():
        if line.startswith("Local core dump file"):
            in_core = True
            continue
        if line.startswith("Local ") or (line and not line[0].isspace()):
            in_core = line.startswith("Local core dump file")
            continue
        m = re.match(r"\s+(0x[0-9a-f]+) - (0x[0-9a-f]+) is (\S+)", line)
        if in_core and m:
            out.append((int(m.group(1), 16), int(m.group(2), 16)))
    return out
