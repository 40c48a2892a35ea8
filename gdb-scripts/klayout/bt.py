"""bt.py: `klayout bt TASK`, a task's backtrace by its id or name: GDB's own `bt` in the task's
thread (threads.py), the selected thread and frame left as they were. Nothing is unwound here:
where the task's thread is right (live through the thread proxy, on a core from `inspector
gdbcore`), so is this; without task threads it says how to get them."""
import gdb

from klayout import constants as C
from klayout import record
from klayout import utils


def task_thread(t):
    """The GDB thread of task t, or None."""
    for th in gdb.selected_inferior().threads():
        if th.is_valid() and utils.thread_tid(th) == C.GDBCORE_TASK_PID_BASE + t.id:
            return th
    return None


def in_thread(th, command):
    """command's output in thread th; the selected thread and frame put back."""
    selected = gdb.selected_thread()
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        frame = None
    th.switch()
    try:
        return gdb.execute(command, to_string=True)
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()


class KlayoutBt(gdb.Command):
    """Backtrace of a task, from its GDB thread.

Usage: klayout bt TASK [BT-OPTIONS]
TASK is a task id (1, 2, ...) or name (alpha). Prints which thread is the task's, then GDB's
own `bt` in that thread (BT-OPTIONS as `bt` takes them: `full`, a count), without changing
the selected thread: `thread N` and `bt` in one step. Every task is a GDB thread live through
`klayout connect` (what `make debug` does) and on a core from `inspector gdbcore`; `klayout
threads` lists them. A plain `target remote` or QEMU's own dump has the hart's thread only."""

    def __init__(self):
        super().__init__("klayout bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not argv:
            raise gdb.GdbError("usage: klayout bt TASK [BT-OPTIONS] (a task id or name)")
        rec = record.load_checked()
        t = rec.task(argv[0])
        th = task_thread(t)
        if th is None:
            raise gdb.GdbError("%s has no thread here: every task is a thread live through "
                               "`klayout connect PORT` (make debug) and on a core from "
                               "`inspector gdbcore DUMP -o CORE`" % t.label)
        text = in_thread(th, " ".join(["bt"] + argv[1:]))
        gdb.write("%s, %s, thread %d\n%s" % (t.label, record.state_name(t.state), th.num, text))

    def complete(self, text, word):
        try:
            rec = record.load()
        except gdb.GdbError:
            return []
        return [t.name for t in rec.tasks if t.name.startswith(word or "")]


KlayoutBt()
