"""stacks.py: `klayout stacks`, the engine's measurement of every stack the record lists (the
excluded lo word, the paint's high-water mark, the sp now), as `inspector stacks` prints it.
The engine reads each stack in one read_memory call: over QEMU's gdbstub a read per word would
take seconds for 64 tasks."""
import gdb

from klayout import engine
from klayout import utils


class KlayoutStacks(gdb.Command):
    """Show every stack: owner, range, saved sp, use now, high-water, headroom, sentinel.

Usage: klayout stacks

One line per stack, the kernel stack first, then the task stacks in creation order, the
same table as `inspector stacks`: owner, lo, hi, size, the sp saved in the record, bytes
used now (hi - sp, with the hart's live $sp for the stack it is on), the high-water mark
(bytes ever used, from the paint pattern LR_PAINT), headroom (unused percent of the stack)
and the excluded lo word (ok when it still holds LR_SENTINEL)."""

    def __init__(self):
        super().__init__("klayout stacks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout stacks")
        with engine.Session() as s:
            s.require_display()
            gdb.write(s.stacks_text())


KlayoutStacks()
