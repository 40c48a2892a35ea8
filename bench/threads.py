#!/usr/bin/python3
"""threads.py: what every task as a GDB thread costs (issue 12), on the 64-task config.

    /usr/bin/python3 bench/threads.py

Live (QEMU's gdbstub, stopped after the ready line), in one GDB session each, timed inside GDB:
  proxy        klayout connect (kthreads.py): `info threads`, then `bt` in every task's thread
  proxy-nocache  the same with KTHREADS_CACHE=0 (every GDB memory read one gdbstub round trip)
  proxy        also `klayout bt N` for every task (GDB's bt in each task's thread, by task id)
Core: `inspector gdbcore` on the 128M dump of the same kernel (median of 5), and GDB's
`bt` in every task's thread of that core. Prints one line per figure; nothing is a target.
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

OUT = os.path.join(ROOT, "build", "bench-threads")
TIMER = ("python import time; t0 = time.monotonic(); gdb.execute(%r, to_string=True); "
         "print('T %%s %%.3f' %% (%r, time.monotonic() - t0))")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd, label):
    return TIMER % (cmd, label)


def session(k, connect, cmds, core=None):
    args = ["gdb-multiarch", "-batch", "-nx", "-ex", "set pagination off", "-ex",
            "source gdb-scripts/layout.gdb", k]
    if core:
        args += ["-ex", "core-file " + core]
    else:
        args += ["-ex", connect, "-ex", "continue"]
    for c in cmds:
        args += ["-ex", c]
    if core:                            # a core: run it now, its output
        return subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600).stdout
    return args                         # live: the caller runs it beside QEMU


def live(k, label, connect_fmt, cmds, env=None):
    port = free_port()
    with kqemu.Qemu(k, "128M", gdb=port) as q:
        args = session(k, connect_fmt % port, cmds)
        with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=dict(os.environ, **(env or {}))) as p:
            try:
                q.wait_ready(30)
                time.sleep(0.2)
                p.send_signal(signal.SIGINT)
                out, _ = p.communicate(timeout=900)
            except BaseException:
                p.kill()
                raise
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    k = kbuild.kernel(os.path.join(ROOT, "examples", "many-tasks.conf"))
    n = 64
    bts = "; ".join("thread %d; bt" % (i + 2) for i in range(n))
    proxy = [timed("info threads", "info-threads"),
             "python import time; t0 = time.monotonic(); [gdb.execute(c, to_string=True) for c "
             "in %r.split('; ')]; print('T all-bt %%.3f' %% (time.monotonic() - t0))" % bts]
    klayout_bt = ["python import time; t0 = time.monotonic(); [gdb.execute('klayout bt %%d' %% i, "
                  "to_string=True) for i in range(1, %d)]; print('T klayout-bt-all %%.3f' %% "
                  "(time.monotonic() - t0))" % (n + 1)]
    for label, env in (("proxy", None), ("proxy-nocache", {"KTHREADS_CACHE": "0"})):
        out = live(k, label, "klayout connect %d", proxy + (klayout_bt if label == "proxy" else []),
                   env)
        for m in re.finditer(r"^T (\S+) ([0-9.]+)$", out, re.M):
            print("live %-14s %-13s %s s" % (label, m.group(1), m.group(2)))
    dump = os.path.join(OUT, "dump.elf")
    core = os.path.join(OUT, "tasks.core")
    with kqemu.Qemu(k, "128M") as q:
        q.wait_ready(30)
        q.dump(elf=dump, csrs=True)
    times = []
    for _ in range(5):
        t0 = time.monotonic()
        subprocess.run([os.path.join(ROOT, "build", "inspector"), "gdbcore", dump, "--elf", k,
                        "-o", core], check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t0)
    print("core gdbcore 128M dump     %.3f s (median of 5)" % statistics.median(times))
    out = session(k, None, ["python import time; t0 = time.monotonic(); [gdb.execute(c, "
                            "to_string=True) for c in %r.split('; ')]; print('T all-bt %%.3f' %% "
                            "(time.monotonic() - t0))" % bts], core=core)
    for m in re.finditer(r"^T (\S+) ([0-9.]+)$", out, re.M):
        print("core %-14s %-13s %s s" % ("gdb", m.group(1), m.group(2)))
    for f in (dump, core):
        os.unlink(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
