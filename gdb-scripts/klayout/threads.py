"""threads.py: every task as a GDB thread. `klayout connect PORT` attaches to QEMU's gdbstub
through the thread proxy (gdb-scripts/kthreads.py); `klayout threads` maps GDB's threads to the
record's tasks, live or on a core written by `inspector gdbcore`, and names them. GDB itself
then gives `thread N`, `bt full`, `frame`, `info locals` of any task: nothing is unwound here.

Thread ids (LWP on a core, thread id live): the hart keeps its own (1), task N is
TASK_TID_BASE + N, as inspector/gdbcore.c (GDBCORE_TASK_PID_BASE) and kthreads.py number them."""
import os
import re
import shlex

import gdb

from klayout import constants as C
from klayout import record
from klayout import utils

TASK_TID_BASE = C.GDBCORE_TASK_PID_BASE   # include/harness.h
PROXY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kthreads.py")


def task_of_thread(rec, th):
    tid = utils.thread_tid(th)
    if tid <= TASK_TID_BASE:
        return None
    for t in rec.tasks:
        if t.id == tid - TASK_TID_BASE:
            return t
    return None


def why_stopped(rec, t):
    """A faulted task's reasons, from the violations the kernel recorded for it."""
    ids = sorted({record.invariant_id(v.invariant) for v in rec.violations if v.owner == t.id})
    return ", ".join(ids)


class KlayoutThreads(gdb.Command):
    """Map GDB's threads to the kernel's tasks, and name each thread after its task.

Usage: klayout threads

One row per GDB thread: its number (for `thread N`), its id (the hart's own; task N is
1000 + N), the task's id, name, state, stack and saved sp. Each task thread is named after
its task, so `info threads` shows the names on a core too. Then `thread N` and `bt full`,
`frame`, `info locals`, `print` work on that task as on any program.
Threads exist per task on a core written by `inspector gdbcore DUMP -o CORE`, and live when
GDB is connected through the thread proxy (`klayout connect PORT`, `make debug`); a plain
`target remote` or a QEMU dump has the hart only (this command says so)."""

    def __init__(self):
        super().__init__("klayout threads", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        utils.no_args(arg, "klayout threads")
        rec = record.load_checked()
        threads = sorted(gdb.selected_inferior().threads(), key=lambda th: th.num)
        rows = [("thread", "id", "task", "name", "state", "stack", "saved sp")]
        ntasks = 0
        for th in threads:
            t = task_of_thread(rec, th)
            if t is None:
                on = "kernel" if rec.current == 0 else "task %d" % rec.current
                rows.append((str(th.num), str(utils.thread_tid(th)), "-", "hart", "runs " + on,
                             "-", "live"))
                continue
            ntasks += 1
            if th.name != t.name:
                th.name = t.name
            state = record.state_name(t.state)
            why = why_stopped(rec, t)
            if why:
                state += " (%s)" % why
            rows.append((str(th.num), str(utils.thread_tid(th)), str(t.id), t.name, state,
                         "0x%x-0x%x" % (t.lo, t.hi), "0x%x" % t.saved_sp))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            gdb.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")
        if ntasks == 0 and rec.tasks:
            gdb.write("no task threads: open a core from `inspector gdbcore`, or connect with "
                      "`klayout connect PORT`\n")
        elif ntasks < len(rec.tasks):
            gdb.write("%d of %d tasks have no thread\n" % (len(rec.tasks) - ntasks, len(rec.tasks)))
        else:
            gdb.write("`thread N` then `bt full` for a task's frames with their values\n")


KlayoutThreads()


def remote_address():
    """HOST:PORT of the gdbstub GDB is connected to directly (`target remote HOST:PORT`), or
    None (no connection, a core, a pipe such as the proxy's own)."""
    conn = getattr(gdb.selected_inferior(), "connection", None)
    details = getattr(conn, "details", None) if conn is not None else None
    if conn is None or conn.type not in ("remote", "extended-remote") or not details:
        return None
    where = details[4:] if details.startswith("tcp:") else details
    return where if re.match(r"^[\w.-]*:\d+$", where) else None


class KlayoutConnect(gdb.Command):
    """Connect to QEMU's gdbstub with every task as a thread.

Usage: klayout connect [[HOST:]PORT]

Runs `target remote | kthreads.py HOST:PORT KERNEL.elf` (HOST 127.0.0.1 by default, the
loaded ELF): GDB starts the thread proxy on a pipe, so nothing else listens, and the proxy
ends with the connection. Works on a kernel stopped at reset or already running. Without
an argument, the gdbstub of a plain `target remote HOST:PORT` GDB is connected to now: it
disconnects and comes back through the proxy.
Then `info threads` lists the hart and every task of the layout record."""

    def __init__(self):
        super().__init__("klayout connect", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        _, _, pos = utils.parse_args(arg)
        if len(pos) > 1:
            raise gdb.GdbError("usage: klayout connect [[HOST:]PORT]")
        if pos:
            where = pos[0] if ":" in pos[0] else "127.0.0.1:" + pos[0]
            if not where.rsplit(":", 1)[1].isdigit():
                raise gdb.GdbError("klayout connect: not a port: '%s'" % pos[0])
        else:
            where = remote_address()
            if where is None:
                raise gdb.GdbError("klayout connect: no `target remote HOST:PORT` to take over: "
                                   "give the gdbstub's [HOST:]PORT")
            gdb.execute("disconnect", to_string=True)
        try:
            elf = " " + shlex.quote(utils.kernel_objfile().filename)
        except gdb.GdbError:
            elf = ""                        # no ELF: a trap being saved cannot be told apart
        gdb.execute("target remote | /usr/bin/python3 %s %s%s" % (shlex.quote(PROXY), where, elf),
                    from_tty)


KlayoutConnect()
