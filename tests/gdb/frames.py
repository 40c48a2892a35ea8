"""frames.py: `test-threads`, every thread's frames as GDB's own unwinder gives them, one line
each, and the hart's mepc: tests/gdb/run.py checks, wherever the hart is stopped, that the hart's
thread shows only the kernel's frames and each task's thread the task's own."""
import gdb


class TestThreads(gdb.Command):
    """For tests: one line per thread, `THREAD num tid pc frames`, its frames' function names
    from GDB's own unwinder (at most 200); then `MEPC value` of the hart (thread 1) when the
    target has it. The selected thread is put back."""

    def __init__(self):
        super().__init__("test-threads", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        selected = gdb.selected_thread()
        mepc = None
        for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
            th.switch()
            f, names = gdb.newest_frame(), []
            pc = f.pc()
            while f is not None and len(names) < 200:
                names.append(f.name() or "??")
                try:
                    f = f.older()
                except gdb.error:
                    break
            pid, lwp, tid = th.ptid
            gdb.write("THREAD %d %d 0x%x %s\n" % (th.num, lwp or tid or pid, pc, ",".join(names)))
            if th.num == 1:
                try:
                    mepc = int(gdb.parse_and_eval("$mepc")) & 0xffffffffffffffff
                except (gdb.error, ValueError, TypeError):
                    mepc = None             # a core: QEMU writes no CSRs
        if selected is not None:
            selected.switch()
        if mepc is not None:
            gdb.write("MEPC 0x%x\n" % mepc)


TestThreads()
