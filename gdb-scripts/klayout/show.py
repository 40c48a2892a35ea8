"""show.py: `klayout show`, the design document's high/low diagram drawn by the engine
(lib/diagram.c, the kernel's and `inspector diagram`'s picture) from live memory or a core."""
import gdb

from klayout import engine
from klayout import utils


class KlayoutShow(gdb.Command):
    """Draw the memory layout, high addresses at the top, from live memory or a core.

Usage: klayout show

The design document's diagram with this machine's numbers, the same picture as
`inspector diagram` and the kernel's boot log: end of RAM, the kernel stack (SP initial
= its hi), the task stacks in creation order with their use from the paint pattern,
free, the layout record, padding, kernel data, kernel text, start of RAM."""

    def __init__(self):
        super().__init__("klayout show", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout show")
        with engine.Session() as s:
            s.require_display()
            gdb.write(s.diagram_text())


KlayoutShow()
