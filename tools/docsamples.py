#!/usr/bin/python3
"""docsamples.py: the sample outputs in README.md and docs/*.md, produced by real runs.

    tools/docsamples.py            rewrite every marked sample from a real run (`make docs`)
    tools/docsamples.py --check    exit 1 with a diff when a sample differs (`make test-docs`)

In a Markdown file, a marker line right before a fenced block names what produces it:

    <!-- sample-setup: make -s dump CONFIG=examples/default.conf BUILD=build/ex/default -->
    <!-- sample: build/inspector stacks build/ex/default/dump.elf -->
    <!-- sample-gdb: build/ex/default/kernel.elf build/ex/default/dump.elf | klayout stacks -->
    <!-- sample-gdb-live: build/ex/default/kernel.elf 128M | break task_yield | continue -->

`sample-setup` runs once (output discarded) before the file's samples; `sample` replaces the
block with the command's stdout (shell, from the repository root), preceded by `$ COMMAND` when
the block's first line starts with `$ `; `sample-gdb` runs GDB in batch on KERNEL and CORE with
the klayout commands loaded and shows each `|`-separated command as `(gdb) COMMAND` and its
output. `sample-gdb-live` does the same on QEMU started stopped with its gdbstub (tools/kqemu.py,
QEMU reaped after). A command starting with `!` runs unshown (a breakpoint to get somewhere); one ending in
`# first N` shows its first N lines, then `...` and
the count of lines left out. Addresses, sizes and line numbers are whatever the run printed: no sample can drift
from the code without `make test` saying so. Two things a run prints that depend on the machine
and not on the code are compared loosely by --check: GNU build IDs (40 hex digits: the kernel's
debug info holds the path of the tree it was built in) and a sample whose marker ends in
`# running`: a kernel caught while it runs, where each task stood at an instant no run repeats.
Such a sample must show the same commands, and every `function (...) at FILE:LINE` in it must
name a file of the tree, a line inside it and a function that file defines.
"""
import difflib
import glob
import os
import re
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
MARKER = re.compile(r"^<!-- (sample|sample-setup|sample-gdb|sample-gdb-live): (.*) -->$")
FIRST = re.compile(r"^(.*?)\s+#\s*first (\d+)$")
GDB_SEP = "(gdb) KLAYOUT-SAMPLE-SEPARATOR"
BUILD_ID = re.compile(r"\b[0-9a-f]{40}\b")
RUNNING = re.compile(r"^<!-- sample[a-z-]*: .*# running -->$")


CODE_REF = re.compile(r"(\w+) \([^)]*\)(?: at | )([\w/.-]+\.[cSh]):(\d+)")


def code_refs_hold(block):
    """Every `function (...) at FILE:LINE` a sample shows names a file of the tree, a line inside
    it, and a function that file defines: a running kernel's sample may show any instant, but
    never code that is not there."""
    for fn, path, line in CODE_REF.findall(block):
        full = os.path.join(ROOT, path)
        if not os.path.isfile(full):
            return "%s: no such file" % path
        with open(full, errors="replace") as f:
            text = f.read()
        if int(line) > text.count("\n") + 1:
            return "%s:%s: past the end of the file" % (path, line)
        # A C function (`fn(`) or an assembly one (`fn:`, `.globl fn`).
        if not re.search(r"\b%s\s*[(:]|\.globl\s+%s\b" % (re.escape(fn), re.escape(fn)), text):
            return "%s: %s is not in it" % (path, fn)
    return None


def comparable(text):
    """The text as --check compares it: build IDs masked everywhere; a `# running` sample's
    block (a kernel caught at an instant no run repeats) reduced to the commands it shows, its
    code references checked against the tree (code_refs_hold)."""
    out, block, state = [], [], None
    for line in text.split("\n"):
        if state == "block":
            if line == "```":
                problem = code_refs_hold("\n".join(block))
                out.append("(code references: %s)" % (problem or "hold"))
                out.append(line)
                state, block = None, []
            else:
                block.append(line)
                if line.startswith("(gdb) ") or line.startswith("$ "):
                    out.append(line)
            continue
        if RUNNING.match(line):
            state = "fence"
        elif state == "fence" and line.startswith("```"):
            state = "block"
        out.append(BUILD_ID.sub("<build-id>", line))
    return "\n".join(out)


def run(cmd):
    r = subprocess.run(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    if not r.stdout:
        raise RuntimeError("sample `%s` printed nothing (exit %d): %s" % (cmd, r.returncode,
                                                                          r.stderr[-400:]))
    return r.stdout


def run_gdb(spec, live=False):
    files, _, cmds = spec.partition("|")
    kernel, target = files.split()
    cmds = [c.strip() for c in cmds.split("|")]
    hidden = [c.startswith("!") for c in cmds]
    cmds = [c.lstrip("!") for c in cmds]
    shown = [FIRST.match(c) for c in cmds]
    cmds = [m.group(1) if m else c for m, c in zip(shown, cmds)]
    argv = ["gdb-multiarch", "-q", "-batch", "-nx", kernel, "-ex", "set pagination off",
            "-ex", "source gdb-scripts/layout.gdb"]
    for c in cmds:
        argv += ["-ex", "echo %s\\n" % GDB_SEP, "-ex", c]

    def gdb(connect):
        return subprocess.run(argv[:7] + ["-ex", connect] + argv[7:], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120).stdout
    if live:
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import kqemu
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with kqemu.Qemu(os.path.join(ROOT, kernel), target, gdb=port) as q:
            q.qmp("query-status")
            out = gdb("target remote 127.0.0.1:%d" % port)
        # The port is a free one each run; the sample shows GDB's default, 1234.
        out = out.replace("127.0.0.1:%d" % port, "127.0.0.1:1234")
    else:
        out = gdb("core-file " + target)
    out = out.replace(ROOT + "/", "")   # paths as the README's commands give them, from the tree
    parts = out.split(GDB_SEP + "\n")[1:]
    if len(parts) != len(cmds):
        raise RuntimeError("GDB sample `%s` failed:\n%s" % (spec, out[-600:]))
    text = ""
    for c, m, p, h in zip(cmds, shown, parts, hidden):
        if h:
            continue
        # GDB's own note when batch mode ends a live session is not the command's output.
        lines = [l for l in p.splitlines(True) if not l.startswith("[Inferior ")]
        if m and len(lines) > int(m.group(2)) + 1:
            n = int(m.group(2))
            lines = lines[:n] + ["...  (%d more lines)\n" % (len(lines) - n)]
        text += "(gdb) %s\n%s" % (c, "".join(lines))
    return text


def render(path):
    """The file's text with every sample produced anew."""
    with open(path) as f:
        lines = f.read().split("\n")
    out, i, done_setup = [], 0, set()
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = MARKER.match(line)
        i += 1
        if not m:
            continue
        kind, arg = m.group(1), re.sub(r"\s*# running$", "", m.group(2).strip())
        if kind == "sample-setup":
            if arg not in done_setup:
                subprocess.run(arg, shell=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=600)
                done_setup.add(arg)
            continue
        if i >= len(lines) or not lines[i].startswith("```"):
            raise RuntimeError("%s:%d: a sample marker must precede a fenced block" % (path, i))
        fence = lines[i]
        end = i + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        old = lines[i + 1:end]
        text = run_gdb(arg, kind == "sample-gdb-live") if kind.startswith("sample-gdb") else run(arg)
        body = text.rstrip("\n").split("\n")
        if kind == "sample" and old and old[0].startswith("$ "):
            body = ["$ " + arg] + body
        out += [fence] + body + ["```"]
        i = end + 1
    return "\n".join(out)


def main():
    check = "--check" in sys.argv[1:]
    differ = 0
    for path in FILES:
        path = os.path.join(ROOT, path)
        with open(path) as f:
            old = f.read()
        if "<!-- sample" not in old:
            continue
        try:
            new = render(path)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            print("docsamples: %s" % e, file=sys.stderr)
            return 2
        if new == old or (check and comparable(new) == comparable(old)):
            continue
        rel = os.path.relpath(path, ROOT)
        if check:
            differ += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                       rel, rel + " (a real run)"))
        else:
            with open(path, "w") as f:
                f.write(new)
            print("docsamples: %s rewritten from real runs" % rel)
    if check and differ:
        print("docsamples: %d file(s) show samples a real run does not print: `make docs`, "
              "review the diff" % differ, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
