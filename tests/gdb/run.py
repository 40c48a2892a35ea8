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
import ast
import json
import os
import pty
import random
import re
import select
import signal
import socket
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kbuild  # noqa: E402
import kqemu  # noqa: E402
import corrupt  # noqa: E402  (beside this file)

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


def gdb(elf, commands, core=None, port=None, pre=(), timeout=GDB_TIMEOUT, ready=None, proxy=False):
    """A batch GDB: pre commands, then each command with a marker line before its output.
    ready=QEMU: `continue`, wait for the kernel's ready line on QEMU's console, interrupt GDB
    (it stops the guest, wherever its halt loop is), then run the commands."""
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", "set width 0", "-ex", "source " + LOADER] + ([elf] if elf else [])
    if core:
        args += ["-ex", "core-file " + core]
    if port:
        args += ["-ex", ("klayout connect %d" if proxy else "target remote 127.0.0.1:%d") % port]
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
    pos = max(j for j, a in enumerate(args) if a.startswith(("target remote", "klayout connect")))
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
        m = re.match(r"^(?:.*: )?(\d+) checks, (\d+) violations?(?: \(\d+ follow-ons?\))?$", line)
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
    want_viol = ["%s: %s: at %s: expected %s, found %s%s%s" % (
        v["id"], v["region"], v["addr"], v["expected"], v["found"],
        " (reported by the kernel)" if v["source"] == "kernel" else "",
        " (follows %s of %s)" % (v["follows"]["id"], v["follows"]["region"]) if "follows" in v else "")
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
    users = [os.path.relpath(os.path.join(d, f), ROOT)
             for d, _, fs in os.walk(os.path.join(ROOT, "gdb-scripts")) for f in fs
             if f.endswith((".py", ".gdb", ".in")) and "elftools" in open(os.path.join(d, f)).read()]
    R.ok("the GDB scripts need no pyelftools (GDB's own unwinder does their backtraces)", not users,
         "importing it: %s" % users)


def t_reset(k):
    port = free_port()
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, ["klayout record", "klayout show", "klayout stacks", "klayout bt gamma",
                    "klayout check"], port=port)
    for c in ("klayout record", "klayout show", "klayout stacks", "klayout bt gamma"):
        R.ok("at reset: %s says there is no record yet" % c,
             "no valid layout record at %#x: magic is 0x0" % kbuild.constants().RECORD_ADDR
             in s.out(c), s.out(c))
    out = s.out("klayout check")
    C = kbuild.constants()
    R.ok("at reset: check reports record.magic and skips the rest",
         "record.magic: record: at 0x%016x: expected 0x%016x, found 0x%016x"
         % (C.RECORD_ADDR, C.LR_MAGIC, 0) in out
         and "layout.order: skipped: the record header is not trusted" in out
         and "klayout check: 3 violations" in out, out)
    R.ok("at reset: no Python traceback", "Traceback" not in s.text, s.text[-800:])


def task_frames_ok(f, depth):
    """A task's frames at any instant: [sys_yield] and [task_at_depth] on top of k task_dive
    (all `depth` of them under task_at_depth, at most `depth` otherwise), task_main at the
    bottom (GDB's own bt adds `??` for the entry's zero return address). Never trap.S: a task's
    thread starts where the task is, whatever the hart is doing for it."""
    f = [x for x in f if x != "??"]
    if not f or f[-1] != "task_main":
        return False
    if f[0] == "sys_yield":
        f = f[1:]
    body = f[:-1]
    if body and body[0] == "task_at_depth":
        return body[1:] == ["task_dive"] * depth
    return all(x == "task_dive" for x in body) and len(body) <= depth


def hart_sp(s):
    m = re.search(r"= (0x[0-9a-f]+)", s.out("p/x $sp"))
    return int(m.group(1), 16) if m else None


def hart_stack(rows, sp):
    """The owner of the `klayout stacks` row whose stack holds the hart's sp, or None."""
    return next((o for o, r in rows.items()
                 if sp is not None and int(r["lo"], 16) < sp <= int(r["hi"], 16)), None)


def t_after_boot(k, dump):
    """The running kernel interrupted after the ready line, live; then that moment as a core."""
    port = free_port()
    rec_raw = os.path.join(OUT, "default", "record-live.bin")
    cmds = ["klayout record", "klayout show", "klayout stacks", "klayout check -v",
            "klayout bt beta", "bt", "klayout bt nosuch", "klayout stacks extra-arg",
            "p/x $sp", record_bytes_cmd(rec_raw)]
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, cmds, port=port, ready=q)
        q.dump(elf=dump, csrs=True)
    live_ok = R.ok("after boot: GDB interrupted the running kernel after the ready line",
                   "magic: 0x44524f4359414c4b" in s.out("klayout record") and s.rc != -1,
                   s.text[-600:])
    if not live_ok:
        return
    common_after_boot("after boot (live)", s, rec_raw)
    rows = stack_rows(s.out("klayout stacks"))
    sp = hart_sp(s)
    owner = hart_stack(rows, sp)
    R.ok("after boot (live): stacks measures the stack on the hart from the hart's live sp",
         owner is not None
         and int(rows[owner]["used now"]) == int(rows[owner]["hi"], 16) - sp,
         "%s, $sp %s" % (rows, sp))
    no_task_threads("after boot (plain target remote)", s)
    R.ok("after boot (live): bad arguments give one-line errors",
         "no task 'nosuch' in the record (tasks: 1 alpha, 2 beta, 3 gamma)"
         in s.out("klayout bt nosuch") and "klayout stacks takes no arguments" in s.out("klayout stacks extra-arg")
         and "Traceback" not in s.text, s.out("klayout bt nosuch"))
    agree_with_inspector("after boot (live vs dump)", s.out("klayout check -v"),
                         inspector_check(dump, k))


def no_task_threads(name, s):
    """Without task threads (plain target remote, QEMU's own dump) klayout bt says how to get
    them, in one line."""
    out = s.out("klayout bt beta")
    R.ok("%s: klayout bt says a task has no thread and how to get one" % name,
         out.strip() == "task 2 'beta' has no thread here: every task is a thread live through "
         "`klayout connect PORT` (make debug) and on a core from `inspector gdbcore DUMP -o CORE`",
         out)


def common_after_boot(name, s, rec_raw):
    rec = s.out("klayout record")
    R.ok("%s: record decodes" % name, "magic: 0x%016x" % kbuild.constants().LR_MAGIC in rec
         and "task_count: 3" in rec
         and "task[2].name: gamma" in rec and "flags: 0x1 ready" in rec, rec[:400])
    show = s.out("klayout show").splitlines()
    want = ["High addresses", "Kernel stack", "Task 1 stack 'alpha'", "Task 2 stack 'beta'",
            "Task 3 stack 'gamma'", "Free", "Task code", "Layout record", "Padding", "Kernel data",
            "Kernel text", "Low addresses"]
    pos = [next((i for i, l in enumerate(show) if l.startswith(w) or l.startswith("|   " + w)),
                -1) for w in want]
    R.ok("%s: show draws the regions high to low in the document's order" % name,
         -1 not in pos and pos == sorted(pos), "\n".join(show))
    R.ok("%s: show marks end and start of RAM and SP initial" % name,
         any("0x0000000088000000  <- end of RAM" in l for l in show)
         and any("0x0000000080000000  <- start of RAM" in l for l in show)
         and any("0x0000000088000000  <- SP initial" in l for l in show), "\n".join(show))
    rows = stack_rows(s.out("klayout stacks"))
    R.ok("%s: stacks lists the kernel first, then the tasks in creation order" % name,
         list(rows) == ["kernel stack", "task 1 'alpha'", "task 2 'beta'", "task 3 'gamma'"],
         str(list(rows)))
    def use_ok(r):
        # From its saved sp, or the hart's; "-" for the task the record says runs while the hart
        # is in the kernel (its live sp is not known then: at most one such task).
        return r["used now"] == "-" or int(r["used now"]) in (
            int(r["hi"], 16) - int(r["saved sp"], 16), int(r["hi"], 16) - (hart_sp(s) or 0))
    tasks = [r for o, r in rows.items() if o != "kernel stack"]
    R.ok("%s: every sentinel ok, every task's use measured from its saved sp or the hart's" % name,
         all(r["sentinel"] == "ok" for r in rows.values()) and all(use_ok(r) for r in tasks)
         and sum(r["used now"] == "-" for r in tasks) <= 1, str(rows))
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
    """Stopped in task_at_depth (user mode) with gamma at its configured depth: gamma runs.
    A plain `target remote` taken over by the thread proxy (`klayout connect` without an
    argument): every task is a thread, and gamma's is the hart."""
    port = free_port()
    cond = "break task_at_depth if a->id == 3"
    rec_raw = os.path.join(OUT, "default", "record-deepest.bin")
    cmds = ["klayout stacks", "klayout bt gamma", "bt", "klayout bt alpha", "thread 2", "bt",
            "thread 1", "klayout bt 3 2", "klayout bt kernel", "klayout check", "klayout show",
            "p/x $sp", record_bytes_cmd(rec_raw)]
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, cmds, port=port, pre=["klayout connect", cond, "continue"])
    if not R.ok("deepest call: GDB stopped in task_at_depth with gamma at depth",
                "task_at_depth" in s.out("bt") and s.rc != -1, s.text[-800:]):
        return
    sp = re.search(r"= (0x[0-9a-f]+)", s.out("p/x $sp"))
    rows = stack_rows(s.out("klayout stacks"))
    g = rows.get("task 3 'gamma'", {})
    R.ok("deepest call: stacks measures gamma (running) from the hart's live sp",
         sp is not None and g and int(g["used now"]) == int(g["hi"], 16) - int(sp.group(1), 16),
         "%s, $sp %s" % (g, sp and sp.group(1)))
    krow = rows.get("kernel stack", {})
    R.ok("deepest call: the kernel's use is from its saved sp",
         krow and int(krow["used now"]) == int(krow["hi"], 16) - int(krow["saved sp"], 16),
         str(rows))
    f = frames(s.out("klayout bt gamma"))
    R.ok("deepest call: klayout bt gamma shows task_dive 60 times under task_at_depth",
         f == ["task_at_depth"] + ["task_dive"] * 60 + ["task_main", "??"], str(f))
    R.ok("deepest call: klayout bt gamma (running: the hart's thread) is GDB's bt, selected thread "
         "kept", s.out("klayout bt gamma").split("\n", 1)[1] == s.out("bt", 0)
         and s.out("klayout bt gamma").startswith("task 3 'gamma', running, thread 4\n"),
         s.out("klayout bt gamma")[:200])
    f = frames(s.out("klayout bt alpha"))
    R.ok("deepest call: klayout bt alpha (saved frame) is its thread's bt, a task's stack at some "
         "depth up to 20", task_frames_ok(f, 20) and s.out("klayout bt alpha").split("\n", 1)[1]
         == s.out("bt", 1), "%s vs %s" % (f, frames(s.out("bt", 1))))
    R.ok("deepest call: klayout bt takes bt's options (a count)",
         frames(s.out("klayout bt 3 2")) == ["task_at_depth", "task_dive"], s.out("klayout bt 3 2"))
    R.ok("deepest call: klayout bt kernel: not a task",
         "no task 'kernel' in the record (tasks: 1 alpha, 2 beta, 3 gamma)"
         in s.out("klayout bt kernel"), s.out("klayout bt kernel"))
    out = s.out("klayout check")
    got = {l.split(":", 1)[0] for l in out.splitlines() if VIOLATION_RE.match(l)}
    expect = expected_violations(rec_raw)
    R.ok("deepest call: check finds exactly the violations that are there, while a task runs",
         got == expect and "%d violation%s" % (len(expect), "" if len(expect) == 1 else "s") in out, out)


def t_core(k, dump):
    cmds = ["klayout record", "klayout show", "klayout stacks", "klayout check -v",
            "klayout bt beta", "bt", "klayout check --min-headroom 80",
            "klayout check --min-headroom 200", record_bytes_cmd(os.path.join(OUT, "rec.bin")),
            "python from klayout import utils; utils.read_memory(0x1f000000, 8, 'nothing')"]
    s = gdb(k, cmds, core=dump)
    out = s.out(cmds[-1])
    R.ok("core: unreadable memory is one line naming the address",
         out.strip() == "cannot read nothing: 8 bytes at 0x1f000000"
         or "gdb.GdbError: cannot read nothing: 8 bytes at 0x1f000000" in out, out)
    common_after_boot("core", s, os.path.join(OUT, "rec.bin"))
    no_task_threads("core (QEMU's own)", s)
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
        # GDB has the kernel ELF, so its texts carry each stack's static worst case: the
        # inspector's with --elf.
        for gcmd, icmd in (("klayout stacks", ["stacks", "--elf", k]), ("klayout show", ["diagram", "--elf", k]),
                           ("klayout check -v", ["check", "-v", "--elf", k])):
            p = subprocess.run([INSPECTOR, *icmd, dump], stdout=subprocess.PIPE, text=True)
            R.ok("core: `%s` prints exactly `inspector %s`" % (gcmd, icmd[0]),
                 p.stdout.strip() and p.stdout.strip() == s.out(gcmd).strip()
                 .replace(os.path.abspath(dump), dump).split("\nklayout check: ")[0].strip(),
                 "\n  klayout:   %s\n  inspector: %s" % (s.out(gcmd)[-300:], p.stdout[-300:]))


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
                q.dump(elf=dump, csrs=True)
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
        # The same dump as a core with a thread per task: a faulted task shows what its stack allows.
        if os.path.exists(INSPECTOR):
            tasks = record_tasks(dump)
            core, r = gdbcore("violation %s" % name, dump, k)
            R.ok("violation %s: readelf -n accepts the threads core" % name,
                 r.returncode == 0 and not r.stderr, r.stderr[:300])
            same_verdict("violation %s (threads core)" % name, dump, core, k, opts)
            st = gdb(k, thread_cmds(len(tasks)), core=core)
            check_task_threads("violation %s (threads core)" % name, st, tasks, k, faulted_ok=True)
            R.ok("violation %s (threads core): no Python traceback" % name,
                 "Traceback" not in st.text, st.text[-600:])
            os.unlink(core)
        os.unlink(dump)


def record_offsets(k):
    """struct layout_record's field offsets, from the kernel's debug info (through GDB)."""
    script = os.path.join(OUT, "offsets.py")
    with open(script, "w") as f:
        f.write(corrupt.OFFSETS_PY)
    p = subprocess.run([GDB, "-batch", "-nx", k, "-x", script], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=GDB_TIMEOUT)
    os.unlink(script)
    m = re.search(r"^OFFSETS (\{.*\})$", p.stdout, re.M)
    if not m:
        raise RuntimeError("cannot read struct layout_record's offsets: %s" % p.stdout[-300:])
    return ast.literal_eval(m.group(1))


def t_corrupted(k, dump):
    """Each named corruption of tests/gdb/corrupt.py on a copy of the after-boot core, then
    (live) a group of them written into a running kernel with GDB and dumped: `klayout check`
    and `inspector check` agree, and both report what the case breaks."""
    C = kbuild.constants()
    offsets = record_offsets(k)
    with open(dump, "rb") as f:
        orig = f.read()
    path = os.path.join(OUT, "corrupt.elf")
    for case in corrupt.CASES:
        name, ids = case[0], case[1]
        core = bytearray(orig)
        corrupt.apply(core, case, offsets, C)
        with open(path, "wb") as f:
            f.write(core)
        s = gdb(k, ["klayout check -v"], core=path)
        out = s.out("klayout check -v")
        got = {l.split(":", 1)[0] for l in out.splitlines() if VIOLATION_RE.match(l)}
        R.ok("corrupted core %s: klayout check reports %s" % (name, " ".join(ids)),
             set(ids) <= got and "Traceback" not in s.text, out)
        agree_with_inspector("corrupted core %s" % name, out, inspector_check(path, k))
    os.unlink(path)
    groups = [("header", [c for c in corrupt.CASES if c[0] == "magic"]),
              ("stacks and links", [c for c in corrupt.CASES if c[0] in (
                  "sentinel", "saved-sp", "chain-link", "available", "build-id", "hart-sp")])]
    for gname, cases in groups:
        edits = [cmd for c in cases for cmd in corrupt.gdb_commands(c)]
        ids = {i for c in cases for i in c[1]}
        port = free_port()
        live_dump = os.path.join(OUT, "corrupt-live.elf")
        try:
            if os.path.exists(live_dump):
                os.unlink(live_dump)
            with kqemu.Qemu(k, MEM, gdb=port) as q:
                # The kernel runs on once GDB detaches (and republishes its record): the dump is
                # taken by GDB itself, through QEMU's monitor, at the moment klayout check saw.
                live = gdb(k, edits + ["klayout check -v", "monitor dump-guest-memory " + live_dump],
                           port=port, ready=q)
            if not os.path.exists(live_dump):
                raise kqemu.QemuError("monitor dump-guest-memory wrote nothing: %s"
                                      % live.text[-300:])
        except kqemu.QemuError as e:
            R.ok("corrupted live (%s): dump taken" % gname, False, str(e))
            continue
        out = live.out("klayout check -v")
        got = {l.split(":", 1)[0] for l in out.splitlines() if VIOLATION_RE.match(l)}
        R.ok("corrupted live (%s): klayout check reports %s" % (gname, " ".join(sorted(ids))),
             ids <= got and "Traceback" not in live.text, out)
        agree_with_inspector("corrupted live (%s) vs its dump" % gname, out,
                             inspector_check(live_dump, k))
        os.unlink(live_dump)


def t_wrong_elf(k, other_dump):
    s = gdb(k, ["klayout show", "klayout bt 1", "klayout check"], core=other_dump)
    R.ok("wrong ELF: show says so in one line",
         "wrong ELF loaded: the record's build ID is" in s.out("klayout show")
         and len(s.out("klayout show").splitlines()) == 1, s.out("klayout show"))
    R.ok("wrong ELF: check refuses the pair naming both builds, as the inspector does",
         "not the same build" in s.out("klayout check")
         and "elf.build-id: record: at 0x" not in s.out("klayout check"), s.out("klayout check"))
    # The inspector refuses the pair outright (exit 2 naming both build IDs, issue 13).
    p = subprocess.run([INSPECTOR, "check", "--elf", k, other_dump], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    R.ok("wrong ELF: the inspector exits 2 naming both builds",
         p.returncode == 2 and "not the same build" in p.stderr, p.stderr)


def t_no_elf(dump):
    """The record needs no ELF: the engine draws and checks it, skipping elf.* as the
    inspector does without --elf; only bt needs the kernel's debug info."""
    s = gdb(None, ["klayout show", "klayout check", "klayout bt gamma"], core=dump)
    R.ok("core without the ELF: show draws the layout",
         "Kernel stack (grows downward)" in s.out("klayout show"), s.out("klayout show"))
    R.ok("core without the ELF: check skips elf.* and holds",
         "elf.build-id: skipped" in s.out("klayout check")
         and "18 checks, 0 violations" not in s.out("klayout check")
         and " 0 violations" in s.out("klayout check"), s.out("klayout check"))
    R.ok("core without the ELF: bt says the record type is missing",
         "'struct layout_record' is not in the loaded debug info" in s.out("klayout bt gamma"),
         s.out("klayout bt gamma"))


def t_debug(k):
    """`make debug`'s script, fed commands on stdin instead of a terminal."""
    p = subprocess.run([sys.executable, "gdb-scripts/debug.py", k, "--mem", MEM], cwd=ROOT,
                       input="break task_at_depth if a->id == 3\ncontinue\nklayout stacks\nquit\n",
                       text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=GDB_TIMEOUT)
    R.ok("debug.py: QEMU at reset, GDB attached, klayout loaded",
         "gdbstub on 127.0.0.1:" in p.stdout and re.search(r"task 3 'gamma' .* ok$", p.stdout, re.M),
         p.stdout[-600:])


class Terminal:
    """A shell command run as a terminal emulator or a tmux pane runs it: `sh -c COMMAND` as the
    session leader of a new pseudo-terminal, its foreground process group, so a Ctrl-C typed
    there is SIGINT to that whole group (the shell, make, debug.py: everything but what put
    itself in the foreground). Everything on the terminal is kept in .out."""

    def __init__(self, command):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:                   # the child: the pty is its controlling terminal
            try:
                os.chdir(ROOT)
                os.environ["TERM"] = "dumb"  # GDB without colours or bracketed paste
                os.execvp("sh", ["sh", "-c", command])
            finally:
                os._exit(127)
        self.out, self.status = b"", None

    def expect(self, pattern, timeout=60.0):
        """Reads until pattern (a regex on bytes) shows after what was seen so far; False on a
        timeout or the end of the terminal."""
        start, deadline = len(self.out), time.monotonic() + timeout
        while not re.search(pattern, self.out[start:]):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:             # EIO: every process of the session is gone
                    chunk = b""
                if not chunk:
                    return bool(re.search(pattern, self.out[start:]))
                self.out += chunk
        return True

    def type(self, data):
        os.write(self.fd, data)

    def close(self, timeout=30.0):
        """The shell's exit status. If it outlives the timeout its process group (the shell,
        make, debug.py) is killed; closing the terminal then hangs up the rest (GDB, in a group
        of its own), and QEMU dies with debug.py."""
        deadline = time.monotonic() + timeout
        while self.status is None and time.monotonic() < deadline:
            self.expect(rb"$^", 0.2)        # keep draining the terminal
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        if self.status is None:
            os.killpg(self.pid, signal.SIGKILL)
            self.status = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        os.close(self.fd)
        return self.status


def t_debug_terminal(k):
    """`make debug` at a terminal (issue 18, item 7), as `tmux new-session 'make debug; ...'`
    runs it: a Ctrl-C while the kernel runs and another at GDB's prompt reach GDB alone (the
    shell and make go on), GDB lists the threads there; then ROUNDS more Ctrl-Cs at random
    instants, each time every task's thread a true backtrace (issue 18's "done when"); after
    `quit` the shell's next command runs and sees make's status 0."""
    build = os.path.relpath(os.path.dirname(k), ROOT)
    t = Terminal("make -s debug BUILD=%s CONFIG=examples/default.conf; echo \"after make "
                 "debug: $?\"" % build)
    try:
        steps = [(rb"\(gdb\) $", b"continue\n"), (rb"Continuing\.", None),
                 (None, b"\x03"), (rb"(?s)SIGINT.*\(gdb\) $", b"\x03"),
                 (rb"(?s)Quit.*\(gdb\) $", b"info threads\n"),
                 (rb"(?s)Thread 1003 \"gamma\".*\(gdb\) $", b"source tests/gdb/frames.py\n"),
                 (rb"\(gdb\) $", None)]
        done = []
        for pattern, keys in steps:
            if pattern is not None and not t.expect(pattern):
                break
            if pattern is None:
                time.sleep(2.0)             # the kernel runs a while, past its ready line
            if keys:
                t.type(keys)
            done.append(keys)
        rng, rounds = random.Random(), []
        for _ in range(DEBUG_ROUNDS if len(done) == len(steps) else 0):
            t.type(b"continue\n")
            if not t.expect(rb"Continuing\."):
                break
            time.sleep(rng.uniform(0.3, 1.2))  # after GDB has resumed the target
            t.type(b"\x03")
            at = len(t.out)
            if not (t.expect(rb"(?s)SIGINT.*\(gdb\) $") and (t.type(b"test-threads\n") or True)
                    and t.expect(rb"(?s)THREAD 1 .*\(gdb\) $")):
                break
            rounds.append(test_threads(t.out[at:].decode(errors="replace").replace("\r", ""))[0])
        t.type(b"quit\n")
        if t.expect(rb"Quit anyway\? \(y or n\) $"):
            t.type(b"y\n")
        finished = t.expect(rb"after make debug: \d+")
    finally:
        status = t.close()
    text = t.out.decode(errors="replace")
    R.ok("make debug at a terminal: Ctrl-C while the kernel runs and at the prompt reach GDB, "
         "which interrupts the kernel and lists every task", len(done) == len(steps), text[-1200:])
    depth = {GDBCORE_TID + 1: 20, GDBCORE_TID + 2: 5, GDBCORE_TID + 3: 60}  # examples/default.conf
    bad = ["%d: %s" % (tid, f[:5]) for r in rounds for tid, _, f in r.values()
           if tid in depth and not task_frames_ok(f, depth[tid])]
    R.ok("make debug at a terminal: %d Ctrl-Cs at random instants, every task's thread a true "
         "backtrace each time" % DEBUG_ROUNDS, len(rounds) == DEBUG_ROUNDS and all(
             sorted(tid for tid, _, _ in r.values()) == [1] + sorted(depth) for r in rounds)
         and not bad, "%d rounds; %s" % (len(rounds), "; ".join(bad[:4]) or text[-600:]))
    R.ok("make debug at a terminal: after quit the shell runs on and make's status is GDB's, 0",
         finished and "after make debug: 0" in text and "make: ***" not in text and status == 0, "shell status %s:\n%s" % (status, text[-800:]))


DEBUG_ROUNDS = 8
FAKE_QEMU = """#!/usr/bin/python3
# A QEMU that greets on its QMP socket, then exits as a bad -m makes the real one exit, with
# the client's command unread: the client's next read is a connection reset (tests/gdb/run.py).
import os, re, select, sys
fd = int(re.search(r"fd=(\\d+)", " ".join(sys.argv)).group(1))
os.write(fd, b'{"QMP": {"version": {}, "capabilities": []}}\\n')
select.select([fd], [], [], 10)
sys.stderr.write("qemu-system-riscv64: cannot set up guest memory 'riscv_virt_board.ram': "
                 "Cannot allocate memory\\n")
sys.exit(1)
"""


def t_debug_qemu_fails(k):
    """`make debug` with a QEMU that cannot start says what `make check` says: QEMU's own
    message, exit 2, never a traceback; also when QEMU exits with QMP's command unread (a
    stand-in QEMU on PATH does that every time, the real one now and then)."""
    build = os.path.relpath(os.path.dirname(k), ROOT)
    run = lambda target, env=None: subprocess.run(  # noqa: E731
        ["make", "-s", target, "BUILD=" + build, "CONFIG=examples/default.conf",
         "QEMU_MEM=100T"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, timeout=120, env=env)
    msg = re.compile(r"^(\w+): (QEMU exited \(status 1\) before it could be used:\n"
                     r"qemu-system-riscv64: cannot set up guest memory .*)$", re.M)
    check = run("check")
    m = msg.search(check.stderr)
    R.ok("make check QEMU_MEM=100T: exit 2 with QEMU's own message", check.returncode == 2 and m,
         check.stderr[-600:])
    for i in range(5):
        debug = run("debug")
        d = msg.search(debug.stderr)
        if not (debug.returncode == 2 and d and "Traceback" not in debug.stderr):
            break
    R.ok("make debug QEMU_MEM=100T (5 times): exit 2 with the message make check prints, no "
         "traceback", debug.returncode == 2 and d and m and d.group(2) == m.group(2)
         and "Traceback" not in debug.stderr, debug.stderr[-800:])
    fake = os.path.join(OUT, "fake-qemu")
    os.makedirs(fake, exist_ok=True)
    path = os.path.join(fake, "qemu-system-riscv64")
    with open(path, "w") as f:
        f.write(FAKE_QEMU)
    os.chmod(path, 0o755)
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ.get("PATH", ""))
    debug = run("debug", env)
    d = msg.search(debug.stderr)
    R.ok("make debug, QEMU gone with QMP's command unread (connection reset): the same message, "
         "exit 2, no traceback", debug.returncode == 2 and d and m and d.group(2) == m.group(2)
         and "Traceback" not in debug.stderr, debug.stderr[-800:])


def t_timing_64(k):
    port = free_port()
    timer = ("python import time; t0 = time.monotonic(); gdb.execute('klayout stacks', "
             "to_string=True); print('KLAYOUT-TIME %.3f' % (time.monotonic() - t0))")
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, ["klayout stacks", timer, timer], port=port, ready=q)
    rows = stack_rows(s.out("klayout stacks"))
    R.ok("64 tasks (live): stacks lists the kernel stack and 64 tasks",
         len(rows) == 65 and all(r["sentinel"] == "ok" for r in rows.values()), "%d rows" % len(rows))
    times = re.findall(r"KLAYOUT-TIME ([0-9.]+)", s.text)
    if len(times) == 2:
        print("time klayout stacks, 64 tasks over the gdbstub: %s s (first), %s s (again)"
              % tuple(times))
    else:
        R.note("64 tasks: no timing printed: %s" % s.text[-300:])


# ---- every task a GDB thread (issue 12) ---------------------------------------------------------
GDBCORE_TID = kbuild.constants().GDBCORE_TASK_PID_BASE   # include/harness.h
SWITCH_RE = re.compile(r"\[Switching to thread (\d+) \((?:LWP|Thread) (\d+)\)\]")
LEVEL_RE = r"^#\d+\s+(?:0x[0-9a-f]+ in )?%s \(.*?\blevel=(?:level@entry=)?(\d+|<[^>]*>)"
LOCAL_RE = re.compile(r"^\s+frame = \{(\d+), (\d+)(?:, \d+)*\}$")
# The task code's recursion and a task's outermost function, by kernel: work.c's, or the
# preempting kernel's ucode.c (task_dive, task_main). Each keeps `frame = {level, id, ...}`.
TASK_FUNCTIONS = (("work_recurse", "task_entry"), ("task_dive", "task_main"))


def task_functions(k):
    """(recursion function, entry function) of the kernel ELF k, from its symbols."""
    p = subprocess.run(["riscv64-unknown-elf-nm", k], stdout=subprocess.PIPE, text=True)
    names = {l.split()[-1] for l in p.stdout.splitlines() if l.strip()}
    return next((f for f in TASK_FUNCTIONS if f[0] in names), TASK_FUNCTIONS[0])
# x1..x31 as `info registers` names them (s0 is shown as fp).
XREGS = ("ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 "
         "t3 t4 t5 t6").split()


def record_tasks(dump):
    """[(id, name, state, depth)] from `inspector record` on the dump."""
    p = subprocess.run([INSPECTOR, "record", dump], stdout=subprocess.PIPE, text=True, timeout=120)
    return listing_tasks(p.stdout)


def listing_tasks(text):
    """[(id, name, state, depth)] from the record's listing (`inspector record`, `klayout record`)."""
    f = dict(l.split(": ", 1) for l in text.splitlines() if ": " in l)
    n = int(f.get("task_count", "0"))
    return [(int(f["task[%d].id" % i]), f["task[%d].name" % i],
             f["task[%d].state" % i].split("(")[1].rstrip(")"), int(f["task[%d].depth" % i]))
            for i in range(min(n, 64))]


def core_prstatus(path):
    """pr_reg (pc, x1..x31) of every NT_PRSTATUS in an ELF core, in file order."""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, phnum = int.from_bytes(eh[32:40], "little"), int.from_bytes(eh[56:58], "little")
        f.seek(phoff)
        phs = [f.read(56) for _ in range(phnum)]
        out = []
        for ph in phs:
            if int.from_bytes(ph[0:4], "little") != 4:      # PT_NOTE
                continue
            off, size = int.from_bytes(ph[8:16], "little"), int.from_bytes(ph[32:40], "little")
            f.seek(off)
            data, at = f.read(size), 0
            while at + 12 <= len(data):
                nsz, dsz, typ = (int.from_bytes(data[at + i:at + i + 4], "little") for i in (0, 4, 8))
                desc = at + 12 + (nsz + 3) // 4 * 4
                if typ == 1 and dsz >= 368:
                    out.append([int.from_bytes(data[desc + 112 + 8 * i:desc + 120 + 8 * i], "little")
                                for i in range(32)])
                at = desc + (dsz + 3) // 4 * 4
        return out


def thread_cmds(ntasks):
    cmds = ["klayout threads", "info threads"]
    for n in range(ntasks):
        cmds += ["thread %d" % (n + 2), "bt full", "klayout bt %d full" % (n + 1)]
    return cmds + ["thread 1", "info registers"]


def recursion_levels(bt, recurse):
    """[(level argument as GDB prints it, level from the frame's local `frame = {level, id}`,
    id)] for each work_recurse frame of a `bt full`. Past 256 nested entry values GDB prints
    `level=<error ...: Loop detected (257).>` (its DWARF evaluator's limit): the local still
    holds the level."""
    out, frame = [], None               # frame: (level argument,) of the frame being read
    level_re = re.compile(LEVEL_RE % recurse)
    for line in bt.splitlines():
        m = level_re.match(line)
        if m:
            frame = (int(m.group(1)) if m.group(1).isdigit() else None,)
            continue
        m = LOCAL_RE.match(line)
        if m and frame is not None:
            out.append((frame[0], int(m.group(1)), int(m.group(2))))
            frame = None
        elif line.startswith("#"):
            frame = None
    return out


def check_task_threads(name, s, tasks, k, faulted_ok=False):
    """Each task's thread: GDB's own `bt full` names work_recurse frame by frame with level =
    depth, depth-1, ... 1 (its argument, and its local `frame`) and reaches task_entry.
    faulted_ok (the violation cases): a task need only show its frames, as far as its stack allows."""
    by_id = {t[0]: t for t in tasks}
    recurse, entry = task_functions(k)
    bad = []
    for n in range(len(tasks)):
        m = SWITCH_RE.search(s.out("thread %d" % (n + 2)))
        t = by_id.get(int(m.group(2)) - GDBCORE_TID) if m else None
        bt = s.out("bt full", n)
        if t is None:
            bad.append("thread %d: no task (%s)" % (n + 2, s.out("thread %d" % (n + 2))[:100]))
            continue
        f = frames(bt)
        rl = recursion_levels(bt, recurse)
        levels = [loc for arg, loc, tid in rl if (arg is None or arg == loc) and tid == t[0]]
        # In a violation case a parked task's stack may be the one another task overflowed into.
        if faulted_ok:
            if not f:
                bad.append("task %d %s (faulted): no frame at all" % (t[0], t[1]))
            continue
        # Whatever the task was doing at its depth (parked in a yield, or preempted at work),
        # below it: the recursion, level by level, then the task's entry function.
        # A parked task yielded at its depth; one preempted mid-dive (a kernel that keeps
        # running) is at some level L <= depth: the run must be L, L-1, ... 1 either way.
        top = t[3] if t[2] == "parked" or not levels else levels[0]
        if not (entry in f and recurse in f and f.index(recurse) < f.index(entry)
                and top <= t[3] and levels == list(range(top, 0, -1))):
            bad.append("task %d %s depth %d: frames %s levels %s" % (t[0], t[1], t[3], f[:4], levels))
    R.ok("%s: every task's thread: bt full names %s with each level and reaches %s"
         % (name, recurse, entry), (len(tasks) > 0 or faulted_ok) and not bad, "; ".join(bad[:4]))
    # klayout bt N full: which thread is task N's, then that thread's bt full (the one above).
    bt_of = {}
    for n in range(len(tasks)):
        m = SWITCH_RE.search(s.out("thread %d" % (n + 2)))
        if m:
            bt_of[int(m.group(2)) - GDBCORE_TID] = (n + 2, s.out("bt full", n))
    def same(t):
        out = s.out("klayout bt %d full" % t[0])      # after the record's warning, if any
        head, _, body = re.sub(r"^(warning: .*\n)*", "", out).partition("\n")
        return re.match(r"^task %d '%s', \w+, thread %d$" % (t[0], re.escape(t[1]), bt_of[t[0]][0]),
                        head) and body == bt_of[t[0]][1]
    differ = [t[0] for t in tasks if t[0] in bt_of and not same(t)]
    R.ok("%s: klayout bt N full is task N's thread's bt full" % name,
         len(bt_of) == len(tasks) and not differ, "tasks %s: %s" % (differ, s.out(
             "klayout bt %d full" % differ[0])[:300] if differ else ""))
    rows = [l for l in s.out("klayout threads").splitlines() if re.match(r"^\d+\s", l)]
    R.ok("%s: klayout threads maps the hart and every task" % name,
         len(rows) == len(tasks) + 1 and "hart" in rows[0], s.out("klayout threads")[:400])
    R.ok("%s: info threads shows each task's name" % name,
         all('"%s"' % t[1] in s.out("info threads") for t in tasks), s.out("info threads")[:400])


def hart_matches(name, s, pr_reg):
    got = {}
    for line in s.out("info registers").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("0x"):
            got[parts[0]] = int(parts[1], 16)
    want = dict(zip(["pc"] + XREGS, pr_reg))
    diff = {k: (hex(got.get(k, -1)), hex(v)) for k, v in want.items() if got.get(k) != v}
    R.ok("%s: the hart's thread has the registers of the dump's NT_PRSTATUS" % name, not diff,
         str(diff))


def same_verdict(name, dump, core, k, opts=()):
    a, b = inspector_check(dump, k, opts), inspector_check(core, k, opts)
    strip = lambda r: (r.get("summary"), [(c["id"], c["status"], c["violations"])  # noqa: E731
                                         for c in r.get("checks", [])]) if r else None
    R.ok("%s: inspector check gives the core the dump's verdict" % name,
         a is not None and "checks" in a and strip(a) == strip(b), "%s vs %s" % (
             str(strip(a))[:200], str(strip(b))[:200]))


def gdbcore(name, dump, k):
    core = dump[:-4] + ".tasks.core"
    p = subprocess.run([INSPECTOR, "gdbcore", dump, "--elf", k, "-o", core], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    R.ok("%s: inspector gdbcore writes the core" % name, p.returncode == 0 and os.path.exists(core),
         p.stdout)
    r = subprocess.run(["readelf", "-n", core], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    return core, r


def t_thread_cores():
    """Every example (4 GiB aside: make test-large) as a core from inspector gdbcore."""
    if not os.path.exists(INSPECTOR):
        return R.ok("thread cores: build/inspector exists", False)
    for conf in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        if not conf.endswith(".conf") or conf == "ram-4g.conf":
            continue
        name = "threads core %s" % conf[:-5]
        path = os.path.join("examples", conf)
        k = build(path, "th-" + conf[:-5])
        dump = os.path.join(OUT, "th-" + conf[:-5], "dump.elf")
        try:
            kqemu_dump(k, kbuild.qemu_mem(os.path.join(ROOT, path), MEM), dump)
        except kqemu.QemuError as e:
            R.ok("%s: dump taken" % name, False, str(e))
            continue
        tasks = record_tasks(dump)
        core, r = gdbcore(name, dump, k)
        R.ok("%s: readelf -n accepts the core: the hart's note and one per task" % name,
             r.returncode == 0 and not r.stderr and r.stdout.count("NT_PRSTATUS") == len(tasks) + 1,
             r.stderr[:300])
        s = gdb(k, thread_cmds(len(tasks)), core=core)
        check_task_threads(name, s, tasks, k)
        hart_matches(name, s, core_prstatus(dump)[0])
        same_verdict(name, dump, core, k)
        for f in (dump, core):
            os.unlink(f)


def kqemu_dump(k, mem, dump):
    with kqemu.Qemu(k, mem) as q:
        q.wait_ready(30)
        q.dump(elf=dump, csrs=True)


def gdb_two_stops(k, first, second, port, q):
    """Live through the proxy: stop at the ready line, run `first`, continue, stop again with a
    second interrupt, run `second`."""
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", "set width 0", "-ex", "source " + LOADER, k,
            "-ex", "klayout connect %d" % port, "-ex", "continue"]
    for c in first + ["continue"] + second:
        args += ["-ex", "echo %s %s\\n" % (MARK, c), "-ex", c]
    args += ["-ex", "echo %s end\\n" % MARK, "-ex", "detach"]
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL) as p:
        out = b""
        try:
            q.wait_ready(30)
            time.sleep(0.2)
            p.send_signal(signal.SIGINT)
            deadline = time.monotonic() + GDB_TIMEOUT
            while (MARK + " continue").encode() not in out:
                if time.monotonic() > deadline or p.poll() is not None:
                    raise subprocess.TimeoutExpired(args, GDB_TIMEOUT)
                r, _, _ = select.select([p.stdout], [], [], 1.0)
                if r:
                    out += os.read(p.stdout.fileno(), 65536)
            time.sleep(1.0)                 # the kernel runs on (or waits in wfi)
            p.send_signal(signal.SIGINT)
            rest, _ = p.communicate(timeout=GDB_TIMEOUT)
            return Session(p.returncode, (out + rest).decode(errors="replace"))
        except (kqemu.NotReady, subprocess.TimeoutExpired) as e:
            p.kill()
            rest, _ = p.communicate()
            return Session(-1, (out + (rest or b"")).decode(errors="replace") + "\n(GDB killed: %s)" % e)
        except BaseException:
            p.kill()
            raise


def t_thread_live(config, label):
    """Through the proxy: every task a thread; continue resumes with every register as it was."""
    k = build(config, "thl-" + label)
    port = free_port()
    name = "threads live %s" % label
    dump = os.path.join(OUT, "thl-" + label, "dump.elf")
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        first = ["info threads", "thread 1", "info registers"]
        s0 = gdb_two_stops(k, first, ["thread 1", "info registers", "info threads"], port, q)
        q.dump(elf=dump, csrs=True)
    if not R.ok("%s: stopped twice through the proxy" % name, s0.rc != -1 and
                s0.out("info registers", 1) != "", s0.text[-800:]):
        return
    tasks = record_tasks(dump)
    R.ok("%s: info threads lists the hart and every task" % name,
         s0.out("info threads").count("Thread ") == len(tasks) + 1 and len(tasks) > 0,
         s0.out("info threads")[:500])
    # The proxy's thread text ends with each task's switch count (from the record, live).
    sw = lambda t: [int(x) for x in re.findall(r"^.*\btask \d+ '.*?, (\d+) switches\)", t, re.M)]  # noqa: E731
    a, b = sw(s0.out("info threads")), sw(s0.out("info threads", 1))
    grew = len(a) == len(b) == len(tasks) and sum(b) > sum(a)
    R.ok("%s: after continue and a second interrupt the kernel ran on (switch counts grew)" % name,
         grew, "switches %s then %s" % (a, b))
    # A second session, another instant: each task's thread, live, judged by the record of that
    # same instant (a task parked at one instant may be diving again at the next).
    port = free_port()
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        s = gdb(k, ["klayout record"] + thread_cmds(len(tasks)), port=port, ready=q, proxy=True)
    now = listing_tasks(s.out("klayout record"))
    R.ok("%s: the record at the second stop lists the same tasks" % name,
         [t[:2] for t in now] == [t[:2] for t in tasks], "%s vs %s" % (now[:3], tasks[:3]))
    check_task_threads(name, s, now, k)
    R.ok("%s: no proxy or QEMU left behind" % name, not subprocess.run(
        ["pgrep", "-f", "kthreads.py 127.0.0.1:%d" % port], stdout=subprocess.PIPE).stdout.strip(),
        "a kthreads.py is still running")
    os.unlink(dump)


# ---- inside a trap: whose registers are whose (issue 18, item 4) --------------------------------
# Where the hart is stopped in and after trap.S's save of a task's registers (TRAP_ENTRY up to
# TRAP_SAVED, include/trapframe.h): the first instruction, after the swap with mscratch, the last
# x register stored, the last instruction before the frame is whole, the frame whole (still in
# trap.S: the hart's thread is trap_entry alone), and the kernel's C handler.
TRAP_STOPS = (("trap_entry", True), ("*trap_entry+4", True), ("*trap_regs_saved", True),
              ("*trap_saved-4", True), ("*trap_saved", True), ("trap_user", False))
THREAD_LINE = re.compile(r"^THREAD (\d+) (\d+) (0x[0-9a-f]+) (\S+)$", re.M)


def test_threads(text):
    """`test-threads` (tests/gdb/frames.py): ({thread number: (tid, pc, [function names])},
    the hart's mepc or None)."""
    threads = {int(m.group(1)): (int(m.group(2)), int(m.group(3), 16), m.group(4).split(","))
               for m in THREAD_LINE.finditer(text)}
    m = re.search(r"^MEPC (0x[0-9a-f]+)$", text, re.M)
    return threads, int(m.group(1), 16) if m else None


def running_tid(s):
    """The thread id of the task `klayout threads` says is running, or None."""
    m = re.search(r"^\d+\s+(\d+)\s+\d+\s+\S+\s+running\b", s.out("klayout threads"), re.M)
    return int(m.group(1)) if m else None


def trap_cmds(ntasks):
    return ["klayout record"] + thread_cmds(ntasks) + ["source tests/gdb/frames.py", "test-threads"]


def check_trap_threads(name, s, tasks, k, in_trap_s, mepc=None):
    """At a stop in or after trap.S: every task's thread unwinds level by level to its entry
    (check_task_threads), none shows trap.S; the hart's shows the kernel's frames only, ending at
    trap_entry (trap_entry alone while in trap.S); the running task's starts at the pc the trap
    interrupted, mepc (the hart's, live; `mepc` given for a core, which has no CSRs)."""
    check_task_threads(name, s, tasks, k)
    threads, live_mepc = test_threads(s.out("test-threads"))
    mepc = live_mepc if mepc is None else mepc
    hart = threads.get(1, (0, 0, []))[2]
    R.ok("%s: the hart's thread shows %s" % (
        name, "trap_entry alone" if in_trap_s else "kernel frames down to trap_entry"),
        (hart == ["trap_entry"]) if in_trap_s else (
            len(hart) > 1 and hart[-1] == "trap_entry" and not any(
                f.startswith("task_") for f in hart)), "hart frames %s" % hart)
    run = running_tid(s)
    task = next((t for t in threads.values() if t[0] == run), None)
    R.ok("%s: the running task's thread starts at the pc its trap interrupted (mepc 0x%x)"
         % (name, mepc or 0), task is not None and mepc is not None and task[1] == mepc,
         "running task %s, its thread %s" % (run, task and (hex(task[1]), task[2][:4])))
    bad = [(t[0], t[2][:3]) for num, t in threads.items() if num > 1 and "trap_entry" in t[2]]
    R.ok("%s: no task's thread shows trap.S" % name, threads and not bad, str(bad))
    return threads, mepc


def gdb_paused(args, marker, action, timeout=GDB_TIMEOUT):
    """A batch GDB whose commands include `echo MARKER` then a shell wait for a flag file: when
    the marker is out, action() runs (the guest held where GDB stopped it), then the flag lets
    GDB go on."""
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL) as p:
        out = b""
        try:
            deadline = time.monotonic() + timeout
            while marker.encode() + b"\n" not in out:
                if time.monotonic() > deadline or p.poll() is not None:
                    raise subprocess.TimeoutExpired(args, timeout)
                r, _, _ = select.select([p.stdout], [], [], 1.0)
                if r:
                    out += os.read(p.stdout.fileno(), 65536)
            action()
            rest, _ = p.communicate(timeout=timeout)
            return Session(p.returncode, (out + rest).decode(errors="replace"))
        except (subprocess.TimeoutExpired, kqemu.QemuError) as e:
            p.kill()
            rest, _ = p.communicate()
            return Session(-1, (out + (rest or b"")).decode(errors="replace") + "\n(GDB killed: %s)" % e)
        except BaseException:
            p.kill()
            raise


def t_trap(k):
    """Stopped inside and after trap.S's save of a task's registers, live through the proxy:
    every thread true (check_trap_threads). Then, stopped at trap_entry, that instant dumped by
    kqemu (with the CSR note) and by QEMU's own monitor (without): `inspector gdbcore` gives the
    running task the live thread's frames from the first, and says it has no pc from the second."""
    d = os.path.join(OUT, "trap")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        q.qmp("cont")                       # past the ready line, then attach to it running
        q.wait_ready(30)
        ntasks = int(q.ready_fields()["tasks"])
        for where, in_trap_s in TRAP_STOPS:
            s = gdb(k, trap_cmds(ntasks), port=port, proxy=True,
                    pre=["break %s" % where, "continue", "delete"])
            tasks = listing_tasks(s.out("klayout record"))
            if R.ok("trap (live) at %s: stopped there" % where, s.rc == 0 and
                    "test-threads" in s.text and "THREAD 1 " in s.text, s.text[-600:]):
                check_trap_threads("trap (live) at %s" % where, s, tasks, k, in_trap_s)
        # The trap_entry instant as two cores: kqemu's (CSRs in a note) and QEMU's own (none).
        dumps = {"kqemu": os.path.join(d, "kqemu.elf"), "monitor": os.path.join(d, "monitor.elf")}
        flag = os.path.join(d, "dumped")
        for f in list(dumps.values()) + [flag]:
            if os.path.exists(f):
                os.unlink(f)
        args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set width 0",
                "-ex", "source " + LOADER, k, "-ex", "klayout connect %d" % port,
                "-ex", "break trap_entry", "-ex", "continue", "-ex", "delete"]
        for c in trap_cmds(ntasks) + ["monitor dump-guest-memory " + dumps["monitor"]]:
            args += ["-ex", "echo %s %s\\n" % (MARK, c), "-ex", c]
        args += ["-ex", "echo %s end\\n" % MARK, "-ex", "echo DUMP-NOW\\n",
                 "-ex", "shell while [ ! -e %s ]; do sleep 0.05; done" % flag, "-ex", "detach"]

        def dump():
            q.dump(elf=dumps["kqemu"], csrs=True)
            open(flag, "w").close()
        live = gdb_paused(args, "DUMP-NOW", dump)
    if not R.ok("trap: stopped at trap_entry and dumped there", live.rc == 0 and all(
            os.path.exists(f) for f in dumps.values()), live.text[-600:]):
        return
    tasks = listing_tasks(live.out("klayout record"))
    threads, mepc = check_trap_threads("trap (live, dumped) at trap_entry", live, tasks, k, True)
    run = running_tid(live)
    want = next((t[2] for t in threads.values() if t[0] == run), None)
    core, r = gdbcore("trap (kqemu core)", dumps["kqemu"], k)
    s = gdb(k, trap_cmds(ntasks), core=core)
    got = test_threads(s.out("test-threads"))[0]
    R.ok("trap (kqemu core): the running task's thread has the live thread's frames",
         want and any(t[0] == run and t[2] == want for t in got.values()),
         "live %s, core %s" % (want and want[:4], [t[2][:4] for t in got.values() if t[0] == run]))
    check_trap_threads("trap (kqemu core)", s, tasks, k, True, mepc=mepc)
    p = subprocess.run([INSPECTOR, "gdbcore", dumps["monitor"], "--elf", k, "-o", core],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    R.ok("trap (QEMU's own core, no CSRs): gdbcore says the running task's thread has no pc",
         p.returncode == 0 and run is not None and re.search(
             r"warning: task %d '\w+': the dump caught its trap before kernel/trap.S saved its pc"
             % (run - GDBCORE_TID), p.stderr), p.stderr)
    for f in list(dumps.values()) + [core, flag]:
        if os.path.exists(f):
            os.unlink(f)


def t_selected_thread(k):
    """`klayout stacks` and `klayout check` read the hart whichever thread is selected (issue 18,
    item 5): live through the proxy, stopped with gamma on the hart, the same output after
    `thread 1`, a parked task's thread and gamma's, equal to `inspector stacks` on a dump of that
    moment, and the selected thread and frame left as they were; on that dump made a threads
    core, the same table after any `thread N`."""
    d = os.path.join(OUT, "selected")
    os.makedirs(d, exist_ok=True)
    dump = os.path.join(d, "dump.elf")
    if os.path.exists(dump):
        os.unlink(dump)
    cmds = []
    for n in (1, 2, 4):
        cmds += ["thread %d" % n, "klayout stacks", "klayout check -v"]
    cmds += ["frame 3", "klayout stacks", "frame", "monitor dump-guest-memory " + dump]
    port = free_port()
    with kqemu.Qemu(k, MEM, gdb=port):
        s = gdb(k, cmds, port=port, proxy=True,
                pre=["break task_at_depth if a->id == 3", "continue", "delete"])
    if not R.ok("selected thread: stopped with gamma on the hart, dumped there",
                os.path.exists(dump) and s.out("klayout stacks"), s.text[-600:]):
        return
    stacks = [s.out("klayout stacks", i) for i in range(4)]
    checks = [s.out("klayout check -v", i) for i in range(3)]
    # GDB has the kernel ELF, so its stacks show the static bound: the inspector's too, with --elf.
    want = subprocess.run([INSPECTOR, "stacks", dump, "--elf", k], stdout=subprocess.PIPE, text=True,
                          timeout=120).stdout.strip()
    R.ok("selected thread (live): klayout stacks is the same after thread 1, thread 2 (alpha), "
         "thread 4 (gamma) and frame 3, and is inspector stacks on a dump of that moment",
         all(t.strip() == want for t in stacks), "\n".join(["inspector:", want] + [
             "klayout %d:\n%s" % (i, t) for i, t in enumerate(stacks) if t.strip() != want]))
    R.ok("selected thread (live): klayout check -v is the same whichever thread is selected",
         checks[0] and checks[0] == checks[1] == checks[2], "\n---\n".join(checks))
    R.ok("selected thread (live): the selected thread and frame are kept",
         s.out("frame").startswith("#3  ") and "task_dive" in s.out("frame"), s.out("frame"))
    core, _ = gdbcore("selected thread (core)", dump, k)
    c = gdb(k, ["thread 3", "klayout stacks", "thread 1", "klayout stacks"], core=core)
    want = subprocess.run([INSPECTOR, "stacks", core, "--elf", k], stdout=subprocess.PIPE, text=True,
                          timeout=120).stdout.strip()
    R.ok("selected thread (threads core): klayout stacks after thread 3 and thread 1 is "
         "inspector stacks on the same core", want and all(
             c.out("klayout stacks", i).strip() == want for i in range(2)),
         "inspector:\n%s\nklayout:\n%s" % (want, c.out("klayout stacks")))
    for f in (dump, core):
        os.unlink(f)


def t_gdbcore_errors(k, dump):
    """inspector gdbcore's bad inputs and usage: one line, the documented exit status, nothing
    left behind; a raw dump gives tasks' threads without a hart."""
    if not os.path.exists(INSPECTOR):
        return R.ok("gdbcore errors: build/inspector exists", False)
    d = os.path.join(OUT, "gdbcore-errors")
    os.makedirs(d, exist_ok=True)
    run = lambda *a: subprocess.run([INSPECTOR, "gdbcore", *a], stdout=subprocess.PIPE,  # noqa: E731
                                    stderr=subprocess.PIPE, text=True, timeout=120)
    p = run(dump)
    R.ok("gdbcore without -o: exit 64, says so", p.returncode == 64
         and "missing --output=FILE" in p.stderr, p.stderr)
    p = run(dump, "-o", dump)
    R.ok("gdbcore -o onto its input: exit 2, the dump untouched", p.returncode == 2
         and "is the input dump" in p.stderr and not os.path.exists(dump + ".tmp"), p.stderr)
    p = run(dump, "-o", os.path.join(d, "no", "such", "dir", "x.core"))
    R.ok("gdbcore into a missing directory: exit 2, one line", p.returncode == 2
         and p.stderr.count("\n") == 1 and "cannot create" in p.stderr, p.stderr)
    text = os.path.join(d, "notes.txt")
    with open(text, "w") as f:
        f.write("not a dump\n")
    out = os.path.join(d, "x.core")
    p = run(text, "-o", out)
    R.ok("gdbcore on a text file: exit 2, no core written", p.returncode == 2
         and not os.path.exists(out) and p.stderr.startswith("inspector: '%s': " % text), p.stderr)
    raw = os.path.join(d, "dump.bin")
    with kqemu.Qemu(k, MEM) as q:
        q.wait_ready(30)
        q.dump(raw=raw)
    p = run(raw, "--elf", k, "-o", out)
    R.ok("gdbcore on a raw dump: the tasks' threads, no hart", p.returncode == 0
         and "3 threads: no hart (raw dump), 3 tasks" in p.stdout, p.stdout + p.stderr)
    s = gdb(k, ["info threads", "thread 2", "bt"], core=out)
    R.ok("gdbcore on a raw dump: GDB opens it, task 2's thread unwinds",
         "LWP 1001" in s.out("info threads") and task_functions(k)[0] in s.out("bt"), s.text[-500:])
    p = run(dump, "--elf", build("tests/gdb/tasks64.conf", "t64"), "-o", out)
    R.ok("gdbcore with another kernel's ELF: written, with a warning",
         p.returncode == 0 and "warning: the record's build ID is not this ELF's" in p.stderr,
         p.stderr)
    for f in (raw, out, text):
        if os.path.exists(f):
            os.unlink(f)


def t_proxy_lifetime(k):
    """The proxy ends with GDB (even killed outright) and with QEMU; `klayout threads` without
    task threads says how to get them."""
    def proxies(port):
        return subprocess.run(["pgrep", "-f", "kthreads.py 127.0.0.1:%d" % port],
                              stdout=subprocess.PIPE, text=True).stdout.split()

    def gone(port, timeout=10.0):
        deadline = time.monotonic() + timeout
        while proxies(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return not proxies(port)

    def gdb_args(port):
        return [GDB, "-batch", "-nx", "-ex", "source " + LOADER, k, "-ex",
                "klayout connect %d" % port, "-ex", "info threads", "-ex",
                "python import time; time.sleep(60)"]

    port = free_port()
    args = gdb_args(port)
    with kqemu.Qemu(k, MEM, gdb=port):
        with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL) as p:
            deadline = time.monotonic() + 30
            while not proxies(port) and time.monotonic() < deadline:
                time.sleep(0.1)
            started = bool(proxies(port))
            time.sleep(0.5)
            p.kill()
            p.communicate()
        R.ok("proxy: started by GDB, ends when GDB is killed outright",
             started and gone(port), "still running: %s" % proxies(port))
    port = free_port()
    args = gdb_args(port)
    with kqemu.Qemu(k, MEM, gdb=port) as q:
        with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL) as p:
            try:
                deadline = time.monotonic() + 30
                while not proxies(port) and time.monotonic() < deadline:
                    time.sleep(0.1)
                started = bool(proxies(port))
                os.killpg(q.proc.pid, signal.SIGKILL)   # QEMU dies under GDB: the proxy follows
                q.proc.wait()
                R.ok("proxy: ends when QEMU goes away", started and gone(port),
                     "started %s, still running: %s" % (started, proxies(port)))
            finally:
                p.kill()
                p.communicate()
    s = gdb(k, ["klayout threads"], core=os.path.join(OUT, "default", "dump.elf"))
    R.ok("klayout threads on QEMU's own dump: the hart only, and how to get task threads",
         "no task threads: open a core from `inspector gdbcore`" in s.out("klayout threads"),
         s.out("klayout threads"))


def t_connect():
    """`klayout connect` to a QEMU already running, a few times under load, half of them after a
    plain `target remote` (QEMU's multiprocess thread ids): tests/gdb/connect.py, whose 50 in a
    row are `make stress-connect`."""
    import connect  # noqa: E402  (beside this file)
    n = 8
    failures = connect.run(n, load=True, report=lambda text: None)
    R.ok("threads connect: %d connects to a running QEMU, every core busy, half after a plain "
         "connect: every one lists every task and unwinds one" % n, not failures,
         "\n  ".join(f[:600] for f in failures))


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
            ("corrupted", lambda: t_corrupted(k, dump)),
            ("debug", lambda: t_debug(k)),
            ("debug-terminal", lambda: t_debug_terminal(k)),
            ("debug-qemu-fails", lambda: t_debug_qemu_fails(k)),
            ("timing", lambda: t_timing_64(build("tests/gdb/tasks64.conf", "t64"))),
            ("threads-cores", t_thread_cores),
            ("threads-gdbcore-errors", lambda: t_gdbcore_errors(k, dump)),
            ("threads-proxy-lifetime", lambda: t_proxy_lifetime(k)),
            ("threads-connect", t_connect),
            ("threads-trap", lambda: t_trap(k)),
            ("threads-selected", lambda: t_selected_thread(k)),
            ("threads-live", lambda: (t_thread_live("examples/default.conf", "default"),
                                      t_thread_live("examples/many-tasks.conf", "many-tasks"))),
        ]
        for name, fn in scenarios:
            if a.only in name:
                if name in ("core", "wrong-elf", "no-elf", "corrupted", "threads-gdbcore-errors",
                            "threads-proxy-lifetime") and not os.path.exists(dump):
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
