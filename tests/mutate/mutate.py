#!/usr/bin/python3
"""mutate.py: puts realistic bugs into a scratch copy, one at a time, and runs the fast tests.

    tests/mutate/mutate.py [--tests "test-unit test-inspector"] [-k SUBSTRING] [--keep]
    make mutate                                 (MUTATE_TESTS= picks the make targets)

The bugs are in tests/mutate/mutants.txt (one block each: why, file, old and new lines). The
tracked files are copied into build/mutate/src and built once; each mutant is then applied,
the tests are run there (a failing `make` is a caught bug), and the file is put back. A
mutant whose tests pass survives: some boundary or field no test looks at. Prints one line
per mutant and the score; exit 1 when any survived.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUTANTS = os.path.join(ROOT, "tests", "mutate", "mutants.txt")
SCRATCH = os.path.join(ROOT, "build", "mutate")
TIMEOUT = 600


class Mutant:
    def __init__(self, why, path):
        self.why, self.path, self.old, self.new = why, path, [], []


def read_mutants(path):
    out, cur, why = [], None, None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("# ") and cur is None:
                why = line[2:]
            elif line.startswith("file: "):
                cur = Mutant(why, line[6:].strip())
                out.append(cur)
            elif line.startswith("- ") and cur:
                cur.old.append(line[2:])
            elif line.startswith("+ ") and cur:
                cur.new.append(line[2:])
            elif not line.strip():
                cur, why = None, None
    for m in out:
        if not m.old or len(m.old) != len(m.new):
            raise SystemExit("mutants.txt: '%s': needs as many + lines as - lines" % m.why)
    return out


def locate(src, rel):
    """The file, or the one file of that name elsewhere in the tree (sources move)."""
    if os.path.exists(os.path.join(src, rel)):
        return rel
    name = os.path.basename(rel)
    found = [os.path.relpath(os.path.join(d, name), src) for d, _, files in os.walk(src)
             if name in files and not os.path.relpath(d, src).startswith("build")]
    return found[0] if len(found) == 1 else None


def apply(text, m):
    """text with m's lines replaced; each - line matches a line containing it (indentation
    ignored), the block exactly once in the file. None when it does not match once."""
    lines = text.split("\n")
    olds = [o.strip() for o in m.old]
    at = [i for i in range(len(lines) - len(olds) + 1)
          if all(olds[k] in lines[i + k] for k in range(len(olds)))]
    if len(at) != 1:
        return None
    i = at[0]
    for k, (o, n) in enumerate(zip(olds, m.new)):
        lines[i + k] = lines[i + k].replace(o, n.strip(), 1)
    return "\n".join(lines)


def copy_tree(src):
    if os.path.exists(src):
        shutil.rmtree(src)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        if not os.path.exists(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(src, f))


def make(src, targets, timeout=TIMEOUT):
    try:
        r = subprocess.run(["make", "-s"] + targets, cwd=src, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return r.returncode, r.stdout
    except subprocess.TimeoutExpired as e:
        return -1, "timeout: %s" % e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tests", default="test-unit test-inspector", help="make targets to run")
    ap.add_argument("-k", default="", help="only mutants whose description holds this")
    ap.add_argument("--keep", action="store_true", help="keep build/mutate afterwards")
    a = ap.parse_args()
    targets = a.tests.split()
    mutants = [m for m in read_mutants(MUTANTS) if a.k in m.why]
    src = os.path.join(SCRATCH, "src")
    copy_tree(src)
    rc, out = make(src, targets)
    if rc != 0:
        print(out[-3000:])
        print("mutate: the unmutated copy fails its tests: nothing to measure")
        return 2
    caught, survived, broken = [], [], []
    try:
        for m in mutants:
            rel = locate(src, m.path)
            path = rel and os.path.join(src, rel)
            text = open(path).read() if path else None
            mutated = apply(text, m) if text is not None else None
            if mutated is None:
                broken.append(m)
                print("?    %s (%s: the lines to change are not there once)" % (m.why, m.path))
                continue
            with open(path, "w") as f:
                f.write(mutated)
            t0 = time.monotonic()
            rc, out = make(src, targets)
            with open(path, "w") as f:          # put back; the new mtime makes make rebuild
                f.write(text)
            took = time.monotonic() - t0
            if rc == 0:
                survived.append(m)
                print("LIVE %s (%s, %.0f s)" % (m.why, rel, took))
            else:
                caught.append(m)
                how = "the build" if re.search(r"\.[ch]:\d+:\d+: error:", out) else "the tests"
                print("dead %s (%s, %.0f s, caught by %s)" % (m.why, rel, took, how))
    finally:
        if not a.keep:
            shutil.rmtree(SCRATCH, ignore_errors=True)
    total = len(caught) + len(survived)
    print("mutate: %d of %d caught, %d survived%s (tests: make %s)"
          % (len(caught), total, len(survived),
             ", %d not applicable" % len(broken) if broken else "", " ".join(targets)))
    for m in survived:
        print("  survived: %s (%s)" % (m.why, m.path))
    return 1 if survived or broken else 0


if __name__ == "__main__":
    sys.exit(main())
