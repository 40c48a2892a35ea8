#!/usr/bin/python3
"""debug.py: an interactive GDB on the kernel with the klayout commands loaded (`make debug`).

    gdb-scripts/debug.py build/kernel.elf [--mem 128M] [--port N]    QEMU stopped at reset, live
    gdb-scripts/debug.py build/kernel.elf --core build/dump.elf      a dump, no QEMU

Live, QEMU starts stopped (-S) with its gdbstub on 127.0.0.1:PORT (tools/kqemu.py) and GDB
attaches to it through the thread proxy (`klayout connect PORT`: every task is a thread);
quitting GDB quits QEMU, and kqemu reaps QEMU on every way out. On a terminal GDB runs in a
process group of its own, the terminal's foreground one while it runs, as a shell runs a job:
Ctrl-C (and Ctrl-\\) reach GDB alone, which interrupts the guest, never make or the shell
around `make debug`. Exit status: GDB's, or 2 when QEMU could not be started (with QEMU's own
message, as `make check` prints it).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
import kqemu  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def klayout_loader(kernel):
    """GDB options that load the klayout commands: the kernel.elf-gdb.py the build writes beside
    every kernel auto-loads them once its directory is in GDB's safe-path (docs/gdb.md); a
    kernel without one gets layout.gdb sourced."""
    if os.path.isfile(kernel + "-gdb.py"):
        return ["-iex", "add-auto-load-safe-path " + os.path.dirname(os.path.abspath(kernel))]
    return ["-ex", "source " + os.path.join(HERE, "layout.gdb")]


def _terminal():
    """0 when stdin is the controlling terminal and this script's group is in its foreground
    (a shell's job: `make debug` typed at a prompt, a tmux pane), else None."""
    try:
        return 0 if os.tcgetpgrp(0) == os.getpgrp() else None
    except OSError:
        return None


def _foreground(tty, pgrp):
    """Makes pgrp the terminal's foreground process group (from the background: SIGTTOU held)."""
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, pgrp)
    finally:
        signal.signal(signal.SIGTTOU, old)


def run_gdb(args):
    """GDB's exit status (128 + N if a signal N killed it). On a terminal, GDB alone in the
    foreground process group: the terminal's Ctrl-C, Ctrl-\\ and Ctrl-Z go to GDB only; the
    group of this script (make's, the shell's) gets the terminal back when GDB ends. GDB cannot
    be suspended here (make would wait for ever): a stopped GDB is continued at once."""
    tty = _terminal()
    ours = os.getpgrp()

    def in_child():                         # before exec: no instant where GDB is not in front
        os.setpgid(0, 0)
        if tty is not None:
            _foreground(tty, os.getpgrp())
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGQUIT)}
    try:
        p = subprocess.Popen(args, preexec_fn=in_child)
        while True:
            _, status = os.waitpid(p.pid, os.WUNTRACED)
            if not os.WIFSTOPPED(status):
                p.returncode = os.waitstatus_to_exitcode(status)
                break
            print("debug: GDB cannot be suspended under make debug; continuing it",
                  file=sys.stderr)
            os.killpg(p.pid, signal.SIGCONT)
        return p.returncode if p.returncode >= 0 else 128 - p.returncode
    finally:
        if tty is not None:
            _foreground(tty, ours)
        for s, h in saved.items():
            signal.signal(s, h)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kernel", help="the kernel ELF (build/kernel.elf)")
    ap.add_argument("--mem", default="128M", help="guest RAM, as QEMU's -m (default 128M)")
    ap.add_argument("--port", type=int, default=0, help="gdbstub port (default: a free one)")
    ap.add_argument("--core", help="open this dump-guest-memory core instead of starting QEMU")
    ap.add_argument("--gdb", default="gdb-multiarch", help="the GDB to run")
    a = ap.parse_args()
    gdb = [a.gdb, "-q"] + klayout_loader(a.kernel) + [a.kernel]
    if a.core:
        return run_gdb(gdb + ["-ex", "core-file " + a.core])
    port = a.port or free_port()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with kqemu.Qemu(a.kernel, a.mem, gdb=port) as q:
            q.qmp("query-status")    # QEMU is up (its gdbstub too), or its own error is raised
            print("debug: QEMU stopped at reset, gdbstub on 127.0.0.1:%d; try `klayout show` "
                  "after `continue` and Ctrl-C (or `break task_at_depth`); `info threads` lists every task" % port)
            # Through the thread proxy: every task a GDB thread (klayout connect, docs/gdb.md).
            return run_gdb(gdb + ["-ex", "klayout connect %d" % port])
    except kqemu.QemuError as e:
        print("debug: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
