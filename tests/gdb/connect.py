#!/usr/bin/python3
"""connect.py: `klayout connect PORT` to a QEMU that is already running, many times in a row.

    tests/gdb/connect.py [--count 50] [--load]      (make stress-connect: 50, both cores busy)

QEMU starts with its gdbstub and runs the default kernel past its ready line; then one batch GDB
after another attaches through the thread proxy (gdb-scripts/kthreads.py), lists the threads,
backtraces a task and detaches, QEMU running on between them. Half of the connects come after a
plain `target remote` and `disconnect`: that GDB asked QEMU for multiprocess thread ids, which
QEMU then writes to every later debugger (pPID.TID). A connect passes when `info threads` shows
the hart and every task of the record and the task's `bt` reaches its entry function.
--load keeps every core busy meanwhile (one spinning process per core): the proxy's races show
most there. One line per failure, then `N connects, M failed`; exit 1 on a failure.
tests/gdb/run.py runs a few of them (-k threads-connect); the 50 are `make stress-connect`.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

GDB = "gdb-multiarch"
TID_BASE = kbuild.constants().GDBCORE_TASK_PID_BASE


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spinners(n):
    """n processes that keep a core busy each; they die with this one (PR_SET_PDEATHSIG)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                             preexec_fn=kqemu._die_with_parent) for _ in range(n)]


def batch(elf, port, commands, timeout=120):
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set width 0",
            "-ex", "source gdb-scripts/layout.gdb", elf]
    for c in commands:
        args += ["-ex", c % {"port": port}]
    try:
        p = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, text=True, timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -1, out + "\n(GDB killed after %d s)" % timeout


def one_connect(elf, port, ntasks):
    """'' when the connect worked, else what went wrong."""
    rc, out = batch(elf, port, ["klayout connect %(port)d", "info threads", "thread 2", "bt",
                                "detach"])
    tids = sorted(int(x) for x in re.findall(r"^\*?\s+\d+\s+Thread (\d+)\b", out, re.M))
    want = [1] + [TID_BASE + i for i in range(1, ntasks + 1)]
    if tids != want:
        return "info threads shows threads %s, not %s:\n%s" % (tids, want, out[-800:])
    if not re.search(r"^#\d+ .*\btask_main \(", out, re.M):
        return "task 1's bt does not reach task_main:\n%s" % out[-800:]
    if "Traceback" in out or rc != 0:
        return "exit %d:\n%s" % (rc, out[-800:])
    return ""


def run(count, load, report=print):
    """count connects (half after a plain connect): the list of failure texts."""
    elf = kbuild.kernel(os.path.join(ROOT, "examples", "default.conf"))
    hogs = spinners(os.cpu_count() or 2) if load else []
    failures = []
    try:
        port = free_port()
        with kqemu.Qemu(elf, "128M", gdb=port) as q:
            q.qmp("cont")                   # started stopped (-S): let it run to its ready line
            q.wait_ready(60)
            ntasks = int(q.ready_fields()["tasks"])
            for i in range(count):
                if i == count // 2:
                    rc, out = batch(elf, port, ["target remote 127.0.0.1:%(port)d",
                                                "info threads", "disconnect"])
                    if rc != 0 or not re.search(r"^\*\s+1\s+Thread ", out, re.M):
                        failures.append("the plain connect failed: %s" % out[-400:])
                        report("FAIL " + failures[-1])
                why = one_connect(elf, port, ntasks)
                if why:
                    failures.append("connect %d%s: %s" % (
                        i + 1, " (after a plain connect)" if i >= count // 2 else "", why))
                    report("FAIL " + failures[-1])
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=50, help="connects (default 50)")
    ap.add_argument("--load", action="store_true", help="keep every core busy meanwhile")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    try:
        failures = run(a.count, a.load)
    except KeyboardInterrupt:
        print("interrupted: QEMU, GDB and the load stopped")
        return 130
    except (kqemu.QemuError, RuntimeError, OSError) as e:
        print("cannot run the connects: %s" % e)
        return 2
    print("%d connects%s, %d failed (%.0f s)" % (a.count, ", every core busy" if a.load else "",
                                                 len(failures), time.monotonic() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
