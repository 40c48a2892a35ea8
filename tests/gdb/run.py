#!/usr/bin/python3
"""run.py: tests of the GDB scripts (gdb-scripts/layout.gdb, the `klayout` commands), in batch
GDB sessions against QEMU's gdbstub and against dump-guest-memory cores.

  tests/gdb/run.py              (make test-gdb)     -k NAME: only the scenarios whose name has NAME

Scenarios: no target; QEMU at reset (no record yet); after boot (GDB interrupts the running
kernel once the ready line is out, wherever it is); inside gamma's deepest call (stopped in
task_at_depth, gamma at depth 60, on the hart);
the core of the after-boot moment; each examples/violations/*.conf live and as a core; the
wrong ELF and no ELF for a core; gdb-scripts/debug.py; `klayout stacks` timed on 64 tasks over
the gdbstub (printed, never failed). Outputs are checked, not just run; where
build/inspector exists, `klayout check` must agree with `inspector check --elf --format json`
on the same moment, and `klayout record` with `inspector record` line for line.
One line per case, then `N passed, M failed`; exit 1 on any failure, 2 when it cannot run.
QEMU is always reaped by kqemu.Qemu; GDB runs with a timeout and is killed on every way out.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

GDB = "gdb-multiarch"
LOADER = "gdb-scripts/layout.gdb"
INSPECTOR = os.path.join(ROOT, "build", "inspector")
OUT = os.path.join(ROOT, "build", "gdb")
MARK = "@@klayout-test@@"
GDB_TIMEOUT = 120.0
MEM = "128M"

FRAME_RE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(")
VIOLATION_RE = re.compile(r"^([a-z._-]+): (.*): at (0x[0-9a-f]{16}): expected (.*), found (.*)$")


# ---- results --------------------------------------------------------------------------------
class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))
        sys.stdout.flush()
        return cond

    def note(self, text):
        print("note %s" % text)
        sys.stdout.flush()


R = Results()


# ---- building and running -------------------------------------------------------------------
def build(config, name):
    """The kernel for config (build/ex/STEM/kernel.elf, shared with the other tests); the
    test's own files (dumps, record bytes) go to build/gdb/NAME/."""
    os.makedirs(os.path.join(OUT, name), exist_ok=True)
    return kbuild.kernel(os.path.join(ROOT, config))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """One batch GDB run: its exit status and the output of each command, by command."""

    def __init__(self, rc, text):
        self.rc, self.text = rc, text
        self.parts = []
        cur = None
        for line in text.splitlines():
            if line.startswith(MARK + " "):
                cur = [line[len(MARK) + 1:], []]
                self.parts.append(cur)
            elif cur is not None:
                cur[1].append(line)

    def out(self, cmd, nth=0):
        hits = [p for p in self.parts if p[0] == cmd]
        return "\n".join(hits[nth][1]) if len(hits) > nth else ""


def gdb(elf, commands, core=None, port=None, pre=(), timeout=GDB_TIMEOUT, ready=None):
    """A batch GDB: pre commands, then each command with a marker line before its output.
    ready=QEMU: `continue`, wait for the kernel's ready line on QEMU's console, interrupt GDB
    (it stops the guest, wherever its halt loop is), then run the commands."""
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", "set width 0", "-ex", "source " + LOADER] + ([elf] if elf else [])
    if core:
        args += ["-ex", "core-file " + core]
    if port:
        args += ["-ex", "target remote 127.0.0.1:%d" % port]
    for c in pre:
        args += ["-ex", c]
    for c in commands:
        args += ["-ex", "echo %s %s\\n" % (MARK, c.replace("\\", "\\\\")), "-ex", c]
    args += ["-ex", "echo %s end\\n" % MARK]
    if port:
        args += ["-ex", "detach"]           # QEMU runs on; kqemu.Qemu reaps it
    if ready is not None:
        return gdb_on_ready(args, ready, timeout)
    try:
        p = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:   # subprocess.run has killed GDB
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Session(-1, out + "\n(GDB killed after %.0f s)" % timeout)
    return Session(p.returncode, p.stdout)


def gdb_on_ready(args, q, timeout):
    pos = max(j for j, a in enumerate(args) if a.startswith("target remote"))
    args = args[:pos + 1] + ["-ex", "continue"] + args[pos + 1:]
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True) as p:
        try:
            q.wait_ready(30)
            time.sleep(0.2)                 # then interrupt the kernel wherever it runs
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(timeout=timeout)
            return Session(p.returncode, out)
        except (kqemu.NotReady, subprocess.TimeoutExpired) as e:
            p.kill()
            out, _ = p.communicate()
            return Session(-1, (out or "") + "\n(GDB killed: %s)" % e)
        except BaseException:
            p.kill()
            raise


def frames(text):
    return [m.group(2) for m in map(FRAME_RE.match, text.splitlines()) if m]


def stack_rows(text):
    """`klayout stacks` rows by owner: the table's columns, split on two or more spaces."""
    rows = {}
    lines = text.splitlines()
    head = next((i for i, l in enumerate(lines) if l.startswith("owner")), None)
    if head is None:
        return rows
    names = re.split(r"\s{2,}", lines[head].strip())
    for line in lines[head + 1:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == len(names):
            rows[cells[0]] = dict(zip(names, cells))
    return rows


def check_lines(text):
    """(violation lines, {id: status}, summary) of a `klayout check -v` output."""
    viol, status, summary = [], {}, None
    for line in text.splitlines():
        m = re.match(r"^([a-z._-]+): (ok|skipped): ", line)
        if m:
            status[m.group(1)] = "pass" if m.group(2) == "ok" else "skip"
        elif VIOLATION_RE.match(line):
            viol.append(line)
            status[line.split(":", 1)[0]] = "fail"
        m = re.match(r"^(\d+) checks, (\d+) violations$", line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    return viol, status, summary


# ---- the inspector, when it is there ----------------------------------------------------------
def inspector_check(dump, elf, extra=()):
    if not os.path.exists(INSPECTOR):
        return None
    p = subprocess.run([INSPECTOR, "check", "--format", "json", "--elf", elf, *extra, dump],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"error": "inspector exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])}


def agree_with_inspector(name, gdb_text, rep):
    """klayout check -v against inspector check --format json: statuses, lines, summary."""
    if rep is None:
        R.note("%s: build/inspector does not exist yet: comparison with the C inspector skipped"
               % name)
        return
    if not R.ok("%s: inspector ran" % name, "checks" in rep, rep.get("error", "")):
        return
    viol, status, summary = check_lines(gdb_text)
    want_status = {c["id"]: c["status"] for c in rep["checks"]}
    want_viol = ["%s: %s: at %s: expected %s, found %s%s" % (
        v["id"], v["region"], v["addr"], v["expected"], v["found"],
        " (reported by the kernel)" if v["source"] == "kernel" else "")
        for c in rep["checks"] for v in c["violations"]]
    diff = {k: (status.get(k), v) for k, v in want_status.items() if status.get(k) != v}
    R.ok("%s: same verdict per check as the inspector" % name, not diff,
         "klayout vs inspector: %s" % diff)
    R.ok("%s: same violation lines as the inspector" % name, sorted(viol) == sorted(want_viol),
         "\n  klayout:   %s\n  inspector: %s" % ("\n             ".join(viol) or "-",
                                                 "\n             ".join(want_viol) or "-"))
    want_sum = (rep["summary"]["checks"], rep["summary"]["violations"])
    R.ok("%s: same summary as the inspector" % name, summary == want_sum,
         "klayout %s, inspector %s" % (summary, want_sum))


def checksum_truth(raw):
    """record.checksum's verdict computed here, from the record's bytes: the test's own oracle."""
    size = int.from_bytes(raw[12:16], "little")
    data = bytearray(raw[:size])
    stored = int.from_bytes(data[16:20], "little")
    data[16:20] = bytes(4)
    return (zlib.crc32(bytes(data)) & 0xffffffff) == stored


def expected_violations(rec_raw):
    """The default config breaks nothing; only a wrong stored checksum (recomputed here from
    the record's bytes, which GDB dumped) would be a violation."""
    if os.path.exists(rec_raw) and not checksum_truth(open(rec_raw, "rb").read()):
        return {"record.checksum"}
    return set()


def record_bytes_cmd(path):
    """The published copy of the record (docs/layout-record.md: the block names it)."""
    rec = "record_area.copy[record_area.pub.published]"
    return "dump binary memory %s (char *)&%s (char *)&%s + sizeof(%s)" % (path, rec, rec, rec)


# ---- scenarios ------------------------------------------------------------------------------
def t_no_target(k):
    s = gdb(k, ["klayout record", "klayout check", "klayout bt alpha", "help klayout"])
    for c in ("klayout record", "klayout check", "klayout bt alpha"):
        R.ok("no target: %s says there is no process and no core" % c,
             "no process and no core" in s.out(c) and "Traceback" not in s.text, s.out(c))
    h = s.out("help klayout")
    R.ok("help klayout lists every command",
         all("klayout %s --" % c in h for c in ("bt", "check", "record", "show", "stacks")), h)


def t_reset(k):
    port = free_port()
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, ["klayout record", "klayout show", "klayout stacks", "klayout bt gamma",
                    "klayout check"], port=port)
    for c in ("klayout record", "klayout show", "klayout stacks", "klayout bt gamma"):
        R.ok("at reset: %s says no record yet" % c,
             "no layout record at %#x yet" % kbuild.constants().RECORD_ADDR in s.out(c), s.out(c))
    out = s.out("klayout check")
    R.ok("at reset: check reports record.magic and skips the rest",
         "record.magic: record: at 0x0000000080100000: expected 0x44524f4359414c4b, found "
         "0x0000000000000000" in out and "layout.order: skipped: the record header is not trusted"
         in out and "klayout check: 3 violations" in out, out)
    R.ok("at reset: no Python traceback", "Traceback" not in s.text, s.text[-800:])


def task_frames_ok(f, depth):
    """A task's frames at any instant: [task_at_depth] on top of k task_dive (all `depth` of them
    under task_at_depth, at most `depth` otherwise), task_main at the bottom (GDB's own bt may
    add `??` for the entry's zero return address)."""
    f = [x for x in f if x != "??"]
    if not f or f[-1] != "task_main":
        return False
    if f[0] == "trap_entry":
        # The hart caught in trap.S before the kernel took its own stack: the task's sp and s0
        # are still the hart's, the interrupted function's own frame may show twice or not.
        return all(x in ("task_dive", "task_at_depth") for x in f[1:-1]) and len(f) - 2 <= depth + 1
    body = f[:-1]
    if body and body[0] == "task_at_depth":
        return body[1:] == ["task_dive"] * depth
    return all(x == "task_dive" for x in body) and len(body) <= depth


def running_bt_agrees(name, s):
    """When the hart was caught in a task (its row has the live sp), klayout bt of that task from
    the hart's registers names GDB's own frames; when it was in the kernel, there is nothing to
    compare (the kernel keeps no frames between traps)."""
    rows = stack_rows(s.out("klayout stacks"))
    live = [o for o, r in rows.items() if r.get("state") == "running"
            and r.get("sp", "").endswith(" live") and o.startswith("task ")]
    if not live:
        R.note("%s: the hart was in the kernel: no task's bt to compare with GDB's" % name)
        return
    who = live[0].split("'")[1]
    got, want = frames(s.out("klayout bt %s" % who)), [x for x in frames(s.out("bt")) if x != "??"]
    R.ok("%s: bt of the running task from the hart's registers matches GDB's bt" % name,
         got == want, "%s vs %s" % (got, want))


def t_after_boot(k, dump):
    """The running kernel interrupted after the ready line, live; then that moment as a core."""
    port = free_port()
    rec_raw = os.path.join(OUT, "default", "record-live.bin")
    cmds = ["klayout record", "klayout show", "klayout stacks", "klayout check -v",
            "klayout bt alpha", "klayout bt beta", "klayout bt gamma", "klayout bt 3",
            "klayout bt kernel", "bt", "klayout bt nosuch", "klayout stacks extra-arg",
            record_bytes_cmd(rec_raw)]
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, cmds, port=port, ready=q)
        q.dump(elf=dump)
    live_ok = R.ok("after boot: GDB interrupted the running kernel after the ready line",
                   "magic: 0x44524f4359414c4b" in s.out("klayout record") and s.rc != -1,
                   s.text[-600:])
    if not live_ok:
        return
    common_after_boot("after boot (live)", s, rec_raw)
    rows = stack_rows(s.out("klayout stacks"))
    live = [o for o, r in rows.items() if r.get("sp", "").endswith(" live")]
    R.ok("after boot (live): at most one stack has the hart's live sp, the others a saved one "
         "(or none: a running task while the hart is in the kernel)",
         len(live) <= 1 and all(r.get("sp", "").endswith(" saved") or
                                (r.get("sp") == "-" and r.get("state") == "running")
                                for o, r in rows.items() if o not in live), str(rows))
    running_bt_agrees("after boot (live)", s)
    R.ok("after boot (live): bad arguments give one-line errors",
         "no task 'nosuch' in the record (tasks: 1 alpha, 2 beta, 3 gamma)"
         in s.out("klayout bt nosuch") and "klayout stacks takes no arguments" in s.out("klayout stacks extra-arg")
         and "Traceback" not in s.text, s.out("klayout bt nosuch"))
    agree_with_inspector("after boot (live vs dump)", s.out("klayout check -v"),
                         inspector_check(dump, k))


def common_after_boot(name, s, rec_raw):
    rec = s.out("klayout record")
    R.ok("%s: record decodes" % name, "magic: 0x44524f4359414c4b" in rec and "task_count: 3" in rec
         and "task[2].name: gamma" in rec and "flags: 0x1 ready" in rec, rec[:400])
    show = s.out("klayout show").splitlines()
    want = ["High addresses", "kernel stack", "task 1 'alpha'", "task 2 'beta'",
            "task 3 'gamma'", "free", "task code", "layout record", "padding", "kernel data",
            "kernel text",
            "Low addresses"]
    pos = [next((i for i, l in enumerate(show) if l.startswith(w) or l.startswith("|  " + w)),
                -1) for w in want]
    R.ok("%s: show draws the regions high to low in the document's order" % name,
         -1 not in pos and pos == sorted(pos), "\n".join(show))
    R.ok("%s: show marks end and start of RAM and SP initial" % name,
         any("0x0000000088000000  <- end of RAM" in l for l in show)
         and any("0x0000000080000000  <- start of RAM" in l for l in show)
         and any("<- SP initial 0x88000000" in l for l in show), "\n".join(show))
    rows = stack_rows(s.out("klayout stacks"))
    R.ok("%s: stacks lists the kernel first, then the tasks in creation order" % name,
         list(rows) == ["kernel stack", "task 1 'alpha'", "task 2 'beta'", "task 3 'gamma'"],
         str(list(rows)))
    R.ok("%s: every sentinel ok, every task ready, parked or running" % name,
         all(r["lo word"] == "ok" for r in rows.values())
         and all(r["state"] in ("ready", "parked", "running")
                 for o, r in rows.items() if o != "kernel stack"), str(rows))
    for task, depth in (("alpha", 20), ("beta", 5), ("gamma", 60)):
        f = frames(s.out("klayout bt %s" % task))
        R.ok("%s: bt %s: task_dive up to x%d under task_main, task_at_depth at the bottom"
             % (name, task, depth), task_frames_ok(f, depth), "%s" % f)
    R.ok("%s: bt 3 is bt gamma" % name,
         s.out("klayout bt 3") == s.out("klayout bt gamma"), s.out("klayout bt 3")[:300])
    bt = s.out("klayout bt gamma")
    R.ok("%s: bt shows file:line like GDB" % name,
         re.search(r"^#\d+  0x[0-9a-f]{16} in task_dive \(a, level\) at kernel/ucode\.c:\d+$", bt,
                   re.M) is not None, bt[:400])
    viol, status, summary = check_lines(s.out("klayout check -v"))
    expect = expected_violations(rec_raw)
    got = {v.split(":", 1)[0] for v in viol}
    R.ok("%s: check finds exactly the violations that are there %s" % (
        name, "(record.checksum: recomputed here)" if expect else ""),
        got == expect and summary is not None and summary[1] == len(expect)
        and (not expect or "klayout check: " in s.out("klayout check -v")),
        "%s, expected %s: %s" % (sorted(got), sorted(expect), s.out("klayout check -v")))
    if expect:
        R.note("%s: the record's stored checksum does not match its bytes (recomputed by this "
               "test with zlib): a kernel bug, not a GDB one" % name)


def t_deepest(k):
    """Stopped in task_at_depth (user mode) with gamma at its configured depth: gamma runs."""
    port = free_port()
    cond = "break task_at_depth if a->id == 3"
    rec_raw = os.path.join(OUT, "default", "record-deepest.bin")
    cmds = ["klayout stacks", "klayout bt gamma", "bt", "source tests/gdb/frames.py",
            "test-frames", "klayout bt alpha", "klayout bt kernel", "klayout check",
            "klayout show", "p/x $sp", record_bytes_cmd(rec_raw)]
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, cmds, port=port, pre=[cond, "continue"])
    if not R.ok("deepest call: GDB stopped in task_at_depth with gamma at depth",
                "task_at_depth" in s.out("bt") and s.rc != -1, s.text[-800:]):
        return
    sp = re.search(r"= (0x[0-9a-f]+)", s.out("p/x $sp"))
    rows = stack_rows(s.out("klayout stacks"))
    g = rows.get("task 3 'gamma'", {})
    R.ok("deepest call: stacks shows gamma running with the hart's live sp",
         sp is not None and g.get("state") == "running" and g.get("sp") == "%s live" % sp.group(1),
         "%s, $sp %s" % (g, sp and sp.group(1)))
    R.ok("deepest call: the kernel's sp is its saved one",
         rows.get("kernel stack", {}).get("sp", "").endswith(" saved"), str(rows))
    f = frames(s.out("klayout bt gamma"))
    R.ok("deepest call: bt gamma shows task_dive 60 times under task_at_depth",
         f == ["task_at_depth"] + ["task_dive"] * 60 + ["task_main"], str(f))
    gf = re.findall(r"^FRAME (\S+)$", s.out("test-frames"), re.M)
    R.ok("deepest call: bt gamma (live registers) names GDB's frames (tail calls aside)",
         f == [x for x in gf if x != "??"], "%s vs %s" % (f, gf))
    f = frames(s.out("klayout bt alpha"))
    R.ok("deepest call: bt alpha (saved frame) is a task's stack at some depth up to 20",
         task_frames_ok(f, 20), str(f))
    R.ok("deepest call: bt kernel (switched out) says the kernel keeps no frames between traps",
         "no frames" in s.out("klayout bt kernel"), s.out("klayout bt kernel"))
    out = s.out("klayout check")
    got = {l.split(":", 1)[0] for l in out.splitlines() if VIOLATION_RE.match(l)}
    expect = expected_violations(rec_raw)
    R.ok("deepest call: check finds exactly the violations that are there, while a task runs",
         got == expect and "%d violations" % len(expect) in out, out)


def t_core(k, dump):
    cmds = ["klayout record", "klayout show", "klayout stacks", "klayout check -v",
            "klayout bt alpha", "klayout bt beta", "klayout bt gamma", "klayout bt 3",
            "klayout bt kernel", "bt", "klayout check --min-headroom 80",
            "klayout check --min-headroom 200", record_bytes_cmd(os.path.join(OUT, "rec.bin")),
            "python from klayout import utils; utils.read_memory(0x1f000000, 8, 'nothing')"]
    s = gdb(k, cmds, core=dump)
    out = s.out(cmds[-1])
    R.ok("core: unreadable memory is one line naming the address",
         out.strip() == "cannot read nothing: 8 bytes at 0x1f000000"
         or "gdb.GdbError: cannot read nothing: 8 bytes at 0x1f000000" in out, out)
    common_after_boot("core", s, os.path.join(OUT, "rec.bin"))
    running_bt_agrees("core", s)
    out = s.out("klayout check --min-headroom 80")
    R.ok("core: --min-headroom 80 flags gamma (75%) and nobody above 80%",
         "stack.headroom: task 3 'gamma': at 0x" in out and "task 1 'alpha'" not in out, out)
    R.ok("core: --min-headroom 200 is refused",
         "--min-headroom: not a percentage 0-100: '200'" in s.out("klayout check --min-headroom 200"),
         s.out("klayout check --min-headroom 200"))
    R.ok("core: no Python traceback from a klayout command",
         not any("Traceback" in "\n".join(p[1]) for p in s.parts if p[0].startswith("klayout")),
         s.text[-800:])
    agree_with_inspector("core", s.out("klayout check -v"), inspector_check(dump, k))
    if os.path.exists(INSPECTOR):
        p = subprocess.run([INSPECTOR, "record", dump], stdout=subprocess.PIPE, text=True)
        R.ok("core: klayout record prints the same lines as inspector record",
             p.stdout.strip() == s.out("klayout record").strip(), "")
        p = subprocess.run([INSPECTOR, "stacks", "--format", "json", dump], stdout=subprocess.PIPE,
                           text=True)
        try:
            want = {x["owner"]: x for x in json.loads(p.stdout)["stacks"]}
        except (ValueError, KeyError):
            want = {}
        rows = stack_rows(s.out("klayout stacks"))
        bad = [o for o, r in rows.items() if o not in want
               or r["max"] != str(want[o]["high_water"]) or r["used"] != str(want[o]["used"])
               or r["headroom"] != "%d%%" % want[o]["headroom_pct"]
               or (r["lo word"] == "ok") != want[o]["sentinel_ok"]]
        R.ok("core: stacks' numbers are the inspector's", rows and not bad, "differ: %s" % bad)


def t_violations():
    """Every examples/violations config: the expected ids, and the inspector's verdicts."""
    vdir = os.path.join(ROOT, "examples", "violations")
    for conf in sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []:
        if not conf.endswith(".conf"):
            continue
        name = conf[:-5]
        d = kbuild.directives(os.path.join(vdir, conf))
        expect = set(d.get("expect", []))
        mem = kbuild.qemu_mem(os.path.join(vdir, conf), MEM)
        opts = d.get("inspector", [])
        k = build(os.path.join("examples", "violations", conf), "v-" + name)
        dump = os.path.join(OUT, "v-" + name, "dump.elf")
        gopts = " ".join(opts)
        cmds = ["klayout check -v " + gopts, "klayout record", "klayout stacks", "klayout show"]
        port = free_port()
        try:
            # Live, interrupted after the ready line, then the same moment as a core.
            with kqemu.Qemu(k, mem, gdb=port) as q:
                live = gdb(k, cmds, port=port, ready=q)
                q.dump(elf=dump)
        except kqemu.QemuError as e:
            R.ok("violation %s: dump taken" % name, False, str(e))
            continue
        rep = inspector_check(dump, k, opts)
        # The one wording that differs live: the record was read, not dumped, mid-update.
        # The kernel runs on between GDB's read and the dump: the heartbeat moved.
        live_out = re.sub(r"now tick \d+", "now tick N", live.out(cmds[0]))
        for c in rep.get("checks", []) if isinstance(rep, dict) else []:
            for v in c["violations"]:
                v["found"] = re.sub(r"now tick \d+", "now tick N", v["found"])
        agree_with_inspector("violation %s (live)" % name, live_out, rep)
        s = gdb(k, cmds, core=dump)
        out = re.sub(r"now tick \d+", "now tick N", s.out("klayout check -v " + gopts))
        got = {l.split(":", 1)[0] for l in out.splitlines() if VIOLATION_RE.match(l)}
        R.ok("violation %s: klayout check reports %s" % (name, " ".join(sorted(expect)) or "nothing"),
             (expect <= got and "klayout check: " in out) if expect else not got,
             "\n".join(l for l in out.splitlines() if ": ok:" not in l))
        R.ok("violation %s: every command runs without a traceback" % name,
             "Traceback" not in s.text and all(s.out(c) for c in ("klayout record",
                                                                  "klayout stacks")), s.text[-800:])
        if name == "mid-update":
            R.ok("violation mid-update: record says an update was never finished",
                 "warning: the kernel began a record update at tick" in s.out("klayout record")
                 and "never finished it" in s.out("klayout record"), s.out("klayout record")[:300])
        agree_with_inspector("violation %s (core)" % name, out, rep)
        os.unlink(dump)


def t_wrong_elf(k, other_dump):
    s = gdb(k, ["klayout show", "klayout bt 1", "klayout check"], core=other_dump)
    R.ok("wrong ELF: show says so in one line",
         "wrong ELF loaded: the record's build ID is" in s.out("klayout show")
         and len(s.out("klayout show").splitlines()) == 1, s.out("klayout show"))
    R.ok("wrong ELF: check reports elf.build-id",
         "elf.build-id: record: at 0x" in s.out("klayout check"), s.out("klayout check"))
    s = gdb(k, ["klayout check -v"], core=other_dump)
    agree_with_inspector("wrong ELF", s.out("klayout check -v"), inspector_check(other_dump, k))


def t_no_elf(dump):
    s = gdb(None, ["klayout show", "klayout check"], core=dump)
    for c in ("klayout show", "klayout check"):
        R.ok("core without the ELF: %s says the record type is missing" % c,
             "'struct layout_record' is not in the loaded debug info" in s.out(c), s.out(c))


def t_debug(k):
    """`make debug`'s script, fed commands on stdin instead of a terminal."""
    p = subprocess.run([sys.executable, "gdb-scripts/debug.py", k, "--mem", MEM], cwd=ROOT,
                       input="break task_at_depth if a->id == 3\ncontinue\nklayout stacks\nquit\n",
                       text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=GDB_TIMEOUT)
    R.ok("debug.py: QEMU at reset, GDB attached, klayout loaded",
         "gdbstub on 127.0.0.1:" in p.stdout and "task 3 'gamma'  running" in p.stdout,
         p.stdout[-600:])


def t_timing_64(k):
    port = free_port()
    timer = ("python import time; t0 = time.monotonic(); gdb.execute('klayout stacks', "
             "to_string=True); print('KLAYOUT-TIME %.3f' % (time.monotonic() - t0))")
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, ["klayout stacks", timer, timer], port=port, ready=q)
    rows = stack_rows(s.out("klayout stacks"))
    R.ok("64 tasks (live): stacks lists the kernel stack and 64 tasks",
         len(rows) == 65 and all(r["lo word"] == "ok" for r in rows.values()), "%d rows" % len(rows))
    times = re.findall(r"KLAYOUT-TIME ([0-9.]+)", s.text)
    if len(times) == 2:
        print("time klayout stacks, 64 tasks over the gdbstub: %s s (first), %s s (again)"
              % tuple(times))
    else:
        R.note("64 tasks: no timing printed: %s" % s.text[-300:])


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description="tests of the klayout GDB commands")
    ap.add_argument("-k", dest="only", default="", help="run only the scenarios named like this")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started in background
    os.makedirs(OUT, exist_ok=True)
    try:
        consts = os.path.join(ROOT, "gdb-scripts", "klayout", "constants.py")
        try:
            compile(open(consts).read(), consts, "exec")
        except (OSError, SyntaxError) as e:
            print("cannot run the GDB tests: %s is missing or not Python (%s): `make %s` "
                  "(the rule is in docs/gdb.md)" % (os.path.relpath(consts, ROOT), e,
                                                   os.path.relpath(consts, ROOT)))
            return 2
        k = build("examples/default.conf", "default")
        dump = os.path.join(OUT, "default", "dump.elf")
        scenarios = [
            ("no-target", lambda: t_no_target(k)),
            ("reset", lambda: t_reset(k)),
            ("boot", lambda: t_after_boot(k, dump)),
            ("deepest", lambda: t_deepest(k)),
            ("core", lambda: t_core(k, dump)),
            ("violations", t_violations),
            ("wrong-elf", lambda: t_wrong_elf(build("tests/gdb/tasks64.conf", "t64"), dump)),
            ("no-elf", lambda: t_no_elf(dump)),
            ("debug", lambda: t_debug(k)),
            ("timing", lambda: t_timing_64(build("tests/gdb/tasks64.conf", "t64"))),
        ]
        for name, fn in scenarios:
            if a.only in name:
                if name in ("core", "wrong-elf", "no-elf") and not os.path.exists(dump):
                    t_after_boot(k, dump)
                fn()
    except KeyboardInterrupt:
        print("interrupted: QEMU and GDB stopped")
        return 130
    except (subprocess.CalledProcessError, kqemu.QemuError, OSError) as e:
        print("cannot run the GDB tests: %s" % e)
        R.failed += 1
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
