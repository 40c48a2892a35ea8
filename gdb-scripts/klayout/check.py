"""check.py: `klayout check`, the invariants of include/layout_record.h (LR_INVARIANTS) on live
memory or a core. The rules and the text are the engine's (engine/check*.c through engine.py),
the very ones `inspector check` runs on a dump: nothing is decided here."""
import gdb

from klayout import engine
from klayout import utils


class KlayoutCheck(gdb.Command):
    """Check the layout invariants, as `inspector check --elf` does on a dump.

Usage: klayout check [-v] [--min-headroom PCT]

Runs every invariant of include/layout_record.h (LR_INVARIANTS) in the rules engine
(libklayout.so), the same C code and the same text as `inspector check`: record.*,
layout.*, image.untouched, stack.lo-excluded, stack.overflow, stack.sp, stack.headroom
(only with --min-headroom PCT: every stack keeps PCT% unused), hart.sp ($sp of the
selected thread), elf.build-id and elf.regions (against the loaded ELF; skipped without
one), and the violations the kernel recorded itself, marked "(reported by the kernel)".
Prints one line per violation:
  ID: REGION: at ADDRESS: expected X, found Y
then `TARGET: N checks, M violations`. -v also prints `ID: ok: ...` for every passing
check. With violations the command fails (an error after the summary), so a batch script
(gdb -batch ... -ex 'klayout check') exits non-zero. Live, layout.ram checks that the
record's RAM is readable (QEMU's RAM size is not visible); on a core it compares with
the core's RAM segment. A kernel ELF of another build than the record's is an error naming
both build IDs, as the inspector's exit 2 is: its bytes say nothing about this kernel."""

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
        with engine.Session() as s:
            s.require_same_build()
            text, n = s.check_text(pct, bool(flags))
        gdb.write(text)
        if n:
            raise gdb.GdbError("klayout check: %d violation%s" % (n, "" if n == 1 else "s"))


KlayoutCheck()
