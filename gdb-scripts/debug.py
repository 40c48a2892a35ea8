#!/usr/bin/python3
"""debug.py: an interactive GDB on the kernel with the klayout commands loaded (`make debug`).

    gdb-scripts/debug.py build/kernel.elf [--mem 128M] [--port N]    QEMU stopped at reset, live
    gdb-scripts/debug.py build/kernel.elf --core build/dump.elf      a dump, no QEMU

Live, QEMU starts stopped (-S) with its gdbstub on 127.0.0.1:PORT (tools/kqemu.py) and GDB
attaches to it through the thread proxy (`klayout connect PORT`: every task is a thread);
quitting GDB quits QEMU, and kqemu reaps QEMU on every way out. Ctrl-C goes
to GDB (it interrupts the guest), not to this script. Exit status: GDB's, or 2 when QEMU could
not be started.
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


def run_gdb(args):
    """GDB in the foreground; this script ignores Ctrl-C meanwhile (GDB uses it)."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(args)
    finally:
        signal.signal(signal.SIGINT, old)


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
