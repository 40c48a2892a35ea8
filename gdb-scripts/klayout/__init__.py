"""klayout: GDB commands that read the kernel's layout record (include/layout_record.h) live
over QEMU's gdbstub or from a dump-guest-memory core. layout.gdb imports this package; each
module below registers its commands under the `klayout` prefix."""
import gdb


class Klayout(gdb.Command):
    """Inspect the kernel's memory layout: the layout record, stacks and invariants.

Usage: klayout SUBCOMMAND [ARGS]

Works live (target remote to QEMU's gdbstub) and on a dump (core-file DUMP.elf).
Every command reads the layout record at RECORD_ADDR (include/memlayout.h)."""

    def __init__(self):
        super().__init__("klayout", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


Klayout()

from klayout import record  # noqa: E402,F401  (each module registers its commands)
from klayout import stacks  # noqa: E402,F401
from klayout import bt  # noqa: E402,F401
from klayout import threads  # noqa: E402,F401
from klayout import check  # noqa: E402,F401
from klayout import show  # noqa: E402,F401
