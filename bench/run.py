#!/usr/bin/python3
"""run.py: `make bench`: the inspector against its floor and its peers on real dumps (issue 7).

For each RAM size (default 128M, 1G, 4G) it boots the default kernel in QEMU, dumps an ELF core
(dump-guest-memory) and a raw image (pmemsave) of the same moment into build/bench/, and times
with hyperfine (warm-up, repeated runs, medians from --export-json):

    inspector  build/inspector check DUMP --elf KERNEL   (copies in build/bench/, see below)
    floor      readelf -h DUMP          (a raw dump is no ELF: readelf opens it, reads the first
                                         bytes and fails: still the floor of opening the file)
    drgn       bench/drgn_check.py DUMP KERNEL          the same checks through drgn
    gdb        gdb-multiarch -batch -nx KERNEL -ex 'core-file DUMP' -x bench/gdb_check.py
               (ELF cores only: GDB has no target for a raw RAM image)
    reader     tests/reader/klayout_reader.py DUMP --elf KERNEL   (pyelftools)

First, the kernel's own cost of a task switch and of the record update in it (kstats, read from a
dump of the default kernel a few seconds after its ready line: --switch-only runs just that).
Peak RSS is /usr/bin/time -f %M, the largest of --rss-runs runs. A size's dumps are deleted
before the next size is dumped; disk space is checked first. Then `make check` itself at
--gate-sizes (default 128M, 1G, 8G, 16G) side by side, with the dump's disk use and the ratio to
the first size (issue 13: within 1.3x), and `klayout stacks` and `klayout check` (the rules
engine, libklayout.so, through ctypes) over QEMU's gdbstub on the 64-task config
(examples/many-tasks.conf). Then the static stack analysis (issue 21): `inspector budget` on the
kernel against the link that makes it (target: less), in wall time and callgrind instructions,
and each good example's slack (static worst case / high-water, tools/budget_table.py).
One table on stdout; every number in build/bench/results.json.
Exit 0 when every target is met, 1 when one is missed, 2 on an error.

    /usr/bin/python3 bench/run.py [--sizes 128M,1G,4G] [--runs 20] [--warmup 3] [--no-gate]
    /usr/bin/python3 bench/run.py --gate-only [--gate-sizes 128M,1G,8G,16G]   (`make bench-gate`)
                                  [--switch-seconds 3] [--switch-only] [--budget-only]
"""
import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import struct
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kqemu  # noqa: E402

PY = "/usr/bin/python3"
OUT = os.path.join(ROOT, "build", "bench")
# `make` products the run copies first (build/bench/inspector, build/bench/kernel.elf): a
# rebuild by someone else during the minute the run takes must not change what is timed.
SRC_INSPECTOR = os.path.join(ROOT, "build", "inspector")
SRC_KERNEL = os.path.join(ROOT, "build", "kernel.elf")
INSPECTOR = os.path.join(OUT, "inspector")
KERNEL = os.path.join(OUT, "kernel.elf")

# Targets (issue 7).
T_SCALE = 1.2        # inspector at 4G / at 128M, per format
T_FLOOR = 2.0        # inspector / readelf -h
T_PEER = 10.0        # each peer / inspector, at least
T_RSS_KIB = 8 * 1024 # inspector peak RSS at 4G
T_GATE_S = 1.0
T_GATE_SCALE = 1.3   # make check at each size / at the first size (issue 13)
T_GDB_S = 1.0


def size_bytes(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult else int(s)


def rel(p):
    return os.path.relpath(p, ROOT)


def tools(dump, fmt):
    """(name, argv) of every command timed on one dump."""
    t = [("inspector", [INSPECTOR, "check", rel(dump), "--elf", rel(KERNEL)]),
         ("floor", ["readelf", "-h", rel(dump)]),
         ("drgn", [PY, "bench/drgn_check.py", rel(dump), rel(KERNEL)])]
    if fmt == "elf":
        t.append(("gdb", ["gdb-multiarch", "-batch", "-nx", rel(KERNEL), "-ex",
                          "core-file " + rel(dump), "-x", "bench/gdb_check.py"]))
    t.append(("reader", [PY, "tests/reader/klayout_reader.py", rel(dump), "--elf", rel(KERNEL)]))
    return t


def shell_quote(argv):
    return " ".join("'%s'" % a.replace("'", "'\\''") if any(c in a for c in " '\"") else a
                    for a in argv)


def hyperfine(cmds, runs, warmup, shell=False):
    """Medians (s) and stddevs of each command, in order; failures are tolerated (-i) and the
    exit status of a separate run is recorded by the caller."""
    fd, path = tempfile.mkstemp(suffix=".json", dir=OUT)
    os.close(fd)
    argv = ["hyperfine", "-i", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
            "--export-json", path]
    if not shell:
        argv.append("-N")
    argv += [shell_quote(c) if isinstance(c, list) else c for c in cmds]
    try:
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            res = json.load(f)["results"]
    finally:
        os.unlink(path)
    return [(r["median"], r["stddev"] or 0.0, r["min"], r["max"]) for r in res]


def peak_rss(argv, runs):
    """Largest maximum-resident-set (KiB) and minor page faults of `runs` runs, and the last
    exit status."""
    best, faults, rc = 0, 0, None
    for _ in range(runs):
        r = subprocess.run(["/usr/bin/time", "-f", "%M %R", "-o", os.path.join(OUT, "rss.txt")]
                           + argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rc = r.returncode
        with open(os.path.join(OUT, "rss.txt")) as f:
            kib, minflt = f.read().split()[-2:]
        best, faults = max(best, int(kib)), max(faults, int(minflt))
    os.unlink(os.path.join(OUT, "rss.txt"))
    return best, faults, rc


def instructions(argv):
    """Instructions the command executes (valgrind --tool=callgrind, Ir): a count that, unlike
    a ~1 ms wall time on a shared machine, does not move with the neighbours. None without
    valgrind."""
    if not shutil.which("valgrind"):
        return None
    out = os.path.join(OUT, "callgrind.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if os.path.exists(out):
        os.unlink(out)
    for line in r.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    return None


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def bench_size(mem, a, results):
    need = 2 * size_bytes(mem) + (1 << 30)
    if free_bytes(OUT) < need:
        raise RuntimeError("%s: %d MiB free in %s, %d MiB needed for an ELF core and a raw dump"
                           % (mem, free_bytes(OUT) >> 20, OUT, need >> 20))
    elf = os.path.join(OUT, "dump-%s.elf" % mem)
    raw = os.path.join(OUT, "dump-%s.bin" % mem)
    print("bench: %s: booting and dumping (ELF core and raw)" % mem, file=sys.stderr, flush=True)
    try:
        with kqemu.Qemu(KERNEL, mem, console=os.path.join(OUT, "console-%s.log" % mem)) as q:
            q.wait_ready(60)
            q.dump(elf=elf, raw=raw)
        # QEMU leaves up to 2 x RAM of dirty page cache: let writeback finish before timing,
        # or it competes with what is timed (a first run saw raw 4G at 4 ms, 1.6 ms alone).
        os.sync()
        for fmt, dump in (("elf", elf), ("raw", raw)):
            cmds = tools(dump, fmt)
            print("bench: %s %s: hyperfine on %s" % (mem, fmt, ", ".join(n for n, _ in cmds)),
                  file=sys.stderr, flush=True)
            # The fast pair (inspector, floor: ~1 ms) gets many more runs than the peers, so a
            # few disturbed runs on a shared machine do not move its median.
            fast = [c for n, c in cmds if n in ("inspector", "floor")]
            slow = [c for n, c in cmds if n not in ("inspector", "floor")]
            times = hyperfine(fast, a.fast_runs, 10) + hyperfine(slow, a.runs, a.warmup)
            cmds = [x for x in cmds if x[0] in ("inspector", "floor")] + \
                   [x for x in cmds if x[0] not in ("inspector", "floor")]
            for (name, argv), (med, sd, lo, hi) in zip(cmds, times):
                rss, faults, rc = peak_rss(argv, a.rss_runs)
                results["dumps"].append({
                    "mem": mem, "format": fmt, "bytes": os.path.getsize(dump), "tool": name,
                    "command": shell_quote(argv), "median_s": med, "stddev_s": sd, "min_s": lo,
                    "max_s": hi, "peak_rss_kib": rss, "minor_faults": faults, "exit": rc,
                    "instructions": instructions(argv) if name == "inspector" else None})
    finally:
        for p in (elf, raw):
            if os.path.lexists(p):
                os.unlink(p)


def bench_gate(a, results):
    """`make check` itself at each gate size, side by side: boot, sparse ELF core at the ready
    line, inspector check, and make's own work (its build is up to date). Plus the dump's disk
    use (allocated blocks) at each size."""
    build = os.path.join("build", "bench", "gate")
    sizes = a.gate_sizes.split(",")
    cmds = ["make -s check CONFIG=examples/default.conf BUILD=%s QEMU_MEM=%s >/dev/null" % (build, m)
            for m in sizes]
    print("bench: make check at %s" % ", ".join(sizes), file=sys.stderr, flush=True)
    # One untimed run builds build/bench/gate/kernel.elf; its status is the gate's.
    rc = subprocess.run(cmds[0], shell=True, cwd=ROOT).returncode
    if rc != 0:
        raise RuntimeError("make check failed (exit %d): nothing to time" % rc)
    os.sync()
    timed = hyperfine(cmds, a.gate_runs, 1, shell=True)
    results["gate"] = []
    dump = os.path.join(ROOT, build, "dump.elf")
    for mem, cmd, (med, sd, lo, hi) in zip(sizes, cmds, timed):
        rc = subprocess.run(cmd, shell=True, cwd=ROOT).returncode
        st = os.stat(dump)
        results["gate"].append({"mem": mem, "command": cmd, "median_s": med, "stddev_s": sd,
                                "min_s": lo, "max_s": hi, "exit": rc, "dump_bytes": st.st_size,
                                "dump_disk_bytes": st.st_blocks * 512})
    for p in glob.glob(os.path.join(ROOT, build, "dump.*")):
        os.unlink(p)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


GDBSTUB_COMMANDS = (("gdbstub", "klayout stacks", "t64"),
                    ("gdbstub-check", "klayout check", " 0 violations"))


def bench_gdbstub(a, results):
    """`klayout stacks` and `klayout check` (the engine, libklayout.so through ctypes) on the
    64-task kernel, live over QEMU's gdbstub, each in a GDB batch run."""
    loader = os.path.join(ROOT, "gdb-scripts", "layout.gdb")
    if not os.path.exists(loader):
        results["gdbstub"] = {"skipped": "gdb-scripts/layout.gdb is missing"}
        return
    build = os.path.join("build", "bench", "many-tasks")
    r = subprocess.run(["make", "-s", "BUILD=" + build, "CONFIG=examples/many-tasks.conf",
                        build + "/kernel.elf", "gdb-scripts/klayout/constants.py"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        results["gdbstub"] = {"skipped": "building many-tasks failed: " + r.stdout[-300:]}
        return
    kernel = os.path.join(build, "kernel.elf")
    for key, command, want in GDBSTUB_COMMANDS:
        port = free_port()
        argv = ["gdb-multiarch", "-batch", "-nx", kernel, "-ex", "source gdb-scripts/layout.gdb",
                "-ex", "target remote 127.0.0.1:%d" % port, "-ex", command]
        print("bench: %s, 64 tasks, over the gdbstub" % command, file=sys.stderr, flush=True)
        with kqemu.Qemu(os.path.join(ROOT, kernel), "128M",
                        extra=("-gdb", "tcp:127.0.0.1:%d" % port)) as q:
            q.wait_ready(60)
            out = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, timeout=60)
            rows = sum(1 for line in out.stdout.splitlines() if "'t" in line or "kernel" in line)
            if out.returncode or want not in out.stdout:
                results[key] = {"skipped": "%s failed (exit %d): %s"
                                % (command, out.returncode, out.stdout.strip()[-400:])}
                continue
            (med, sd, lo, hi), = hyperfine([argv], a.runs, 2)
        results[key] = {"command": shell_quote(argv), "median_s": med, "stddev_s": sd,
                        "min_s": lo, "max_s": hi, "lines_seen": rows,
                        "output_head": out.stdout.splitlines()[:4]}


# ---- the table --------------------------------------------------------------------------------------
def bench_switch(a, results):
    """The kernel's own cost of a task switch and of the record update inside it, after its ready
    line: kernel/task.c sums them in `kstats` (minstret and mcycle deltas); read from a dump
    taken a few seconds into the run, at the symbol's address. No target: a figure to watch."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import kbuild
    from elftools.elf.elffile import ELFFile
    print("bench: task switch and record update cost (default config, %.0f s of switching)"
          % a.switch_seconds, file=sys.stderr, flush=True)
    kernel = kbuild.kernel(os.path.join(ROOT, "examples", "default.conf"))
    with open(kernel, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name("kstats")[0]
    dump = os.path.join(OUT, "kstats.bin")
    # -icount shift=0: one instruction per virtual ns, and minstret counts instructions (without
    # it QEMU's TCG reads mcycle and minstret from the host's cycle counter).
    with kqemu.Qemu(kernel, "128M", console=dump + ".console", extra=("-icount", "shift=0")) as q:
        q.wait_ready(60)
        time.sleep(a.switch_seconds)
        # Only the 40 bytes of kstats, the guest stopped so the five sums are of one instant
        # (kstats is in .bss, which the gate's sparse core does not save).
        q.qmp("stop")
        q.qmp("pmemsave", val=sym["st_value"], size=40, filename=dump)
    with open(dump, "rb") as f:
        switches, sw_i, sw_c, rec_i, rec_c = struct.unpack("<5Q", f.read(40))
    os.unlink(dump)
    if not switches:
        raise RuntimeError("no switch was measured")
    results["switch"] = {"switches": switches, "switch_instret": sw_i / switches,
                         "switch_mcycle": sw_c / switches, "record_instret": rec_i / switches,
                         "record_mcycle": rec_c / switches, "seconds": a.switch_seconds,
                         "kernel": rel(kernel)}


def switch_lines(results):
    s = results.get("switch")
    if not s:
        return ""
    return ("\ntask switch, default config, %d switches in %.0f s after the ready line "
            "(kernel/task.c kstats; QEMU -icount shift=0: mcycle counts instructions too):\n"
            "  switch (trap entry to task_resume)  %8.0f instructions  %10.0f mcycle\n"
            "  record update inside it             %8.0f instructions  %10.0f mcycle  (%.0f%%)\n"
            % (s["switches"], s["seconds"], s["switch_instret"], s["switch_mcycle"],
               s["record_instret"], s["record_mcycle"],
               100.0 * s["record_instret"] / s["switch_instret"]))


def link_command():
    """The link of build/kernel.elf as make runs it (make -n with an object said to be new),
    writing into build/bench/ instead."""
    r = subprocess.run(["make", "-s", "-n", "-W", "build/obj/kernel/main.c.o", "build/kernel.elf"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    for line in r.stdout.splitlines():
        if " -o build/kernel.elf " in line:
            return line.replace(" -o build/kernel.elf ", " -o %s " % rel(os.path.join(OUT, "link.elf")))
    raise RuntimeError("no link command in `make -n build/kernel.elf`")


def bench_budget(a, results):
    """inspector budget against the link, and the slack of every good example."""
    link = link_command()
    analysis = [rel(INSPECTOR), "budget", rel(KERNEL), "--su-dir", "build/obj"]
    (lmed, lsd, _, _), = hyperfine([link], a.runs, a.warmup, shell=True)
    (amed, asd, _, _), = hyperfine([analysis], a.fast_runs, a.warmup)
    os.unlink(os.path.join(OUT, "link.elf"))
    r = subprocess.run(analysis, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    table_run = subprocess.run([PY, os.path.join(ROOT, "tools", "budget_table.py")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if table_run.returncode:
        raise RuntimeError("tools/budget_table.py: %s" % table_run.stderr.strip())
    results["budget"] = {
        "link": {"command": link, "median_s": lmed, "stddev_s": lsd},
        "analysis": {"command": shell_quote(analysis), "median_s": amed, "stddev_s": asd,
                     "exit": r.returncode, "instructions": instructions(analysis),
                     "stacks": r.stdout.splitlines()[-1]},
        "slack": table_run.stdout.rstrip("\n").splitlines(),
    }


def budget_lines(results, missed):
    b = results.get("budget")
    if not b:
        return []
    l, an = b["link"], b["analysis"]
    ok = an["median_s"] < l["median_s"] and an["exit"] == 0
    if not ok:
        missed.append("inspector budget not under the link")
    lines = ["", "static stack analysis, against the link it follows (hyperfine medians):",
             "  link of build/kernel.elf         %8.2f ms  (sd %.2f)" % (l["median_s"] * 1e3, l["stddev_s"] * 1e3),
             "  inspector budget build/kernel.elf %7.2f ms  (sd %.2f)%s   (< the link: %s)" % (
                 an["median_s"] * 1e3, an["stddev_s"] * 1e3,
                 ", %d instructions (callgrind)" % an["instructions"] if an["instructions"] else "",
                 verdict(ok)),
             "  " + an["stacks"], "", "slack of the static worst case (static / high-water) per example:"]
    return lines + ["  " + x for x in b["slack"]]


def verdict(ok):
    return "met" if ok else "MISSED"


def table(results):
    rows = results["dumps"]
    get = lambda mem, fmt, tool: next((r for r in rows if r["mem"] == mem and r["format"] == fmt
                                       and r["tool"] == tool), None)
    mems = list(dict.fromkeys(r["mem"] for r in rows))
    lines, missed = [], []
    hdr = "%-5s %-4s %-10s %11s %10s %9s  %s" % ("RAM", "fmt", "tool", "median ms", "RSS KiB",
                                                  "ratio", "target")
    lines += [hdr, "-" * len(hdr)] if mems else []
    for mem in mems:
        for fmt in ("elf", "raw"):
            ins = get(mem, fmt, "inspector")
            if ins is None:
                continue
            for tool in ("inspector", "floor", "drgn", "gdb", "reader"):
                r = get(mem, fmt, tool)
                if r is None:
                    if tool == "gdb":
                        lines.append("%-5s %-4s %-10s %11s %10s %9s  %s" % (
                            mem, fmt, tool, "n/a", "", "", "GDB reads no raw image"))
                    continue
                ratio, target = "", ""
                if tool == "inspector":
                    fl = get(mem, fmt, "floor")
                    ratio = "%.2fx fl" % (r["median_s"] / fl["median_s"])
                    ok = r["median_s"] <= T_FLOOR * fl["median_s"]
                    target = "<= %.0fx floor: %s" % (T_FLOOR, verdict(ok))
                    if not ok:
                        missed.append("inspector %s %s vs floor" % (mem, fmt))
                    if mem == mems[-1] and size_bytes(mem) >= 4 << 30:
                        ok = r["peak_rss_kib"] < T_RSS_KIB
                        target += "; RSS < 8 MiB: %s" % verdict(ok)
                        if not ok:
                            missed.append("inspector RSS %s %s" % (mem, fmt))
                elif tool != "floor":
                    k = r["median_s"] / ins["median_s"]
                    ratio = "%.0fx ins" % k
                    ok = k >= T_PEER
                    target = ">= %.0fx inspector: %s" % (T_PEER, verdict(ok))
                    if not ok:
                        missed.append("%s %s %s not 10x slower" % (tool, mem, fmt))
                if r["exit"] not in (0, None) and tool != "floor":
                    target += " (exit %d)" % r["exit"]
                lines.append("%-5s %-4s %-10s %11.2f %10d %9s  %s" % (
                    mem, fmt, tool, r["median_s"] * 1e3, r["peak_rss_kib"], ratio, target))
        lines.append("")
    small, big = (mems[0], mems[-1]) if mems else (None, None)
    if small != big:
        for fmt in ("elf", "raw"):
            a, b = get(small, fmt, "inspector"), get(big, fmt, "inspector")
            k = b["median_s"] / a["median_s"]
            ok = k <= T_SCALE
            if not ok:
                missed.append("inspector scaling %s" % fmt)
            lines.append("inspector %s: %s %.2f ms / %s %.2f ms = %.2fx   (<= %.1fx: %s)" % (
                fmt, big, b["median_s"] * 1e3, small, a["median_s"] * 1e3, k, T_SCALE,
                verdict(ok)))
            if a.get("instructions") and b.get("instructions"):
                lines.append("    instructions (callgrind Ir) %s %d / %s %d = %.3fx; minor faults "
                             "%d / %d" % (big, b["instructions"], small, a["instructions"],
                                          b["instructions"] / a["instructions"],
                                          b["minor_faults"], a["minor_faults"]))
    g = results.get("gate")
    if isinstance(g, list) and g:
        base = g[0]
        lines.append("")
        lines.append("make check (the gate: boot, sparse ELF core, check), %d runs each:" % runs_of(results))
        lines.append("%-5s %10s %8s %7s %12s  %s" % ("RAM", "median ms", "sd ms", "ratio", "dump disk",
                                                   "target"))
        for r in g:
            k = r["median_s"] / base["median_s"]
            ok = k <= T_GATE_SCALE and r["exit"] == 0 and r["median_s"] < T_GATE_S
            if not ok:
                missed.append("gate at %s" % r["mem"])
            lines.append("%-5s %10.0f %8.0f %6.2fx %9.1f MiB  %s" % (
                r["mem"], r["median_s"] * 1e3, r["stddev_s"] * 1e3, k,
                r["dump_disk_bytes"] / (1 << 20),
                "<= %.1fx of %s and < 1 s, exit 0: %s%s" % (
                    T_GATE_SCALE, base["mem"], verdict(ok),
                    "" if r["exit"] == 0 else " (exit %d)" % r["exit"])))
    for key, command, _want in GDBSTUB_COMMANDS:
        s = results.get(key)
        if s and "skipped" in s:
            lines.append("%s, 64 tasks, gdbstub: SKIPPED: %s" % (command, s["skipped"]))
            missed.append("%s not measured" % command)
        elif s:
            ok = s["median_s"] < T_GDB_S
            if not ok:
                missed.append(command)
            lines.append("%s, 64 tasks, gdbstub: %.0f ms median   (< 1 s: %s)"
                         % (command, s["median_s"] * 1e3, verdict(ok)))
    return "\n".join(lines), missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="128M,1G,4G")
    ap.add_argument("--runs", type=int, default=20, help="hyperfine runs of each peer")
    ap.add_argument("--fast-runs", type=int, default=200,
                    help="hyperfine runs of the inspector and the floor")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rss-runs", type=int, default=3)
    ap.add_argument("--gate-runs", type=int, default=10)
    ap.add_argument("--gate-sizes", default="128M,1G,8G,16G", help="RAM sizes of `make check`")
    ap.add_argument("--gate-only", action="store_true", help="only `make check` at --gate-sizes")
    ap.add_argument("--no-gate", action="store_true", help="skip the gate and gdbstub runs")
    ap.add_argument("--switch-seconds", type=float, default=3.0,
                    help="how long the kernel switches tasks before its costs are read")
    ap.add_argument("--switch-only", action="store_true", help="only the task switch's cost")
    ap.add_argument("--budget-only", action="store_true", help="only the static stack analysis")
    ap.add_argument("--table-only", action="store_true",
                    help="print the table of build/bench/results.json and exit")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "results.json")
    if a.table_only:
        with open(path) as f:
            results = json.load(f)
    else:
        for src, dst in ((SRC_INSPECTOR, INSPECTOR), (SRC_KERNEL, KERNEL)):
            if not os.path.exists(src):
                print("bench: %s missing: run `make`" % rel(src), file=sys.stderr)
                return 2
            shutil.copy2(src, dst)
        for t in ("hyperfine", "gdb-multiarch", "readelf"):
            if not shutil.which(t):
                print("bench: %s missing: run `make deps-bench`" % t, file=sys.stderr)
                return 2
        results = {"machine": machine(), "dumps": [], "runs": a.runs, "warmup": a.warmup,
                   "fast_runs": a.fast_runs}
        try:
            results["gate_runs"] = a.gate_runs
            if a.budget_only:
                bench_budget(a, results)
                missed = []
                print("\n".join(budget_lines(results, missed)).strip())
                return 1 if missed else 0
            if not a.gate_only:
                bench_switch(a, results)
            if a.switch_only:
                print(switch_lines(results).strip())
                return 0
            for mem in ([] if a.gate_only else a.sizes.split(",")):
                bench_size(mem, a, results)
            if not a.no_gate:
                bench_gate(a, results)
            if not a.no_gate and not a.gate_only:
                bench_gdbstub(a, results)
            if not a.gate_only:
                bench_budget(a, results)
        except (kqemu.QemuError, RuntimeError, subprocess.CalledProcessError) as e:
            print("bench: %s" % e, file=sys.stderr)
            return 2
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    text, missed = table(results)
    m = results["machine"]
    print("machine: %s, %s CPUs, %s RAM; hyperfine medians: inspector and floor %d runs, "
          "peers %d runs after %d warm-up; page cache warm"
          % (m["cpu"], m["nproc"], m["ram"], results.get("fast_runs", 0), results["runs"],
             results["warmup"]))
    print(text)
    print(switch_lines(results))
    budget = budget_lines(results, missed)
    if budget:
        print("\n".join(budget))
    print("targets missed: %s" % (", ".join(missed) if missed else "none"))
    return 1 if missed else 0


def runs_of(results):
    return results.get("gate_runs", 0)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        kib = int(f.readline().split()[1])
    return {"cpu": cpu, "nproc": os.cpu_count(), "ram": "%.1f GiB" % (kib / (1 << 20)),
            "kernel": os.uname().release}


if __name__ == "__main__":
    sys.exit(main())
