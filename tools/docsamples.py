#!/usr/bin/python3
"""docsamples.py: the sample outputs in README.md and docs/*.md, produced by real runs.

    tools/docsamples.py            rewrite every marked sample from a real run (`make docs`)
    tools/docsamples.py --check    exit 1 with a diff when a sample differs (`make test-docs`)

In a Markdown file, a marker line right before a fenced block names what produces it:

    <!-- sample-setup: make -s dump CONFIG=examples/default.conf BUILD=build/ex/default -->
    <!-- sample: build/inspector stacks build/ex/default/dump.elf -->
    <!-- sample-gdb: build/ex/default/kernel.elf build/ex/default/dump.elf | klayout stacks -->

`sample-setup` runs once (output discarded) before the file's samples; `sample` replaces the
block with the command's stdout (shell, from the repository root), preceded by `$ COMMAND` when
the block's first line starts with `$ `; `sample-gdb` runs GDB in batch on KERNEL and CORE with
the klayout commands loaded and shows each `|`-separated command as `(gdb) COMMAND` and its
output. Addresses, sizes and line numbers are whatever the run printed: no sample can drift
from the code without `make test` saying so.
"""
import difflib
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
MARKER = re.compile(r"^<!-- (sample|sample-setup|sample-gdb): (.*) -->$")
GDB_SEP = "(gdb) KLAYOUT-SAMPLE-SEPARATOR"


def run(cmd):
    r = subprocess.run(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    if not r.stdout:
        raise RuntimeError("sample `%s` printed nothing (exit %d): %s" % (cmd, r.returncode,
                                                                          r.stderr[-400:]))
    return r.stdout


def run_gdb(spec):
    files, _, cmds = spec.partition("|")
    kernel, core = files.split()
    cmds = [c.strip() for c in cmds.split("|")]
    argv = ["gdb-multiarch", "-q", "-batch", "-nx", kernel, "-ex", "set pagination off",
            "-ex", "source gdb-scripts/layout.gdb", "-ex", "core-file " + core]
    for c in cmds:
        argv += ["-ex", "echo %s\\n" % GDB_SEP, "-ex", c]
    r = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    parts = r.stdout.split(GDB_SEP + "\n")[1:]
    if len(parts) != len(cmds):
        raise RuntimeError("GDB sample `%s` failed:\n%s" % (spec, r.stdout[-600:]))
    return "".join("(gdb) %s\n%s" % (c, p) for c, p in zip(cmds, parts))


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
        kind, arg = m.group(1), m.group(2).strip()
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
        text = run_gdb(arg) if kind == "sample-gdb" else run(arg)
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
        if new == old:
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
