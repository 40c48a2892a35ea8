"""frames.py: `test-frames`, GDB's own backtrace as one `FRAME name` line per frame, without the
tail-call frames GDB synthesizes from DWARF call sites (the frame-pointer walk of `klayout bt`
cannot see those) and stopping after task_main (a task's outermost frame). tests/gdb/run.py
compares it with `klayout bt` for the stack on the hart."""
import gdb


class TestFrames(gdb.Command):
    """Print GDB's frames for comparison with klayout bt (tests only)."""

    def __init__(self):
        super().__init__("test-frames", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        f = gdb.newest_frame()
        while f is not None:
            if f.type() != gdb.TAILCALL_FRAME:
                gdb.write("FRAME %s\n" % f.name())
            if f.name() == "task_main":
                break
            try:
                f = f.older()
            except gdb.error:
                break


TestFrames()
