#!/usr/bin/python3
"""test_reader.py: the C inspector and the independent Python reader must agree on real dumps.

For the default example and every examples/violations/*.conf: build the kernel (build/reader/NAME),
boot it in QEMU, dump an ELF core at the ready line, run `build/inspector check DUMP --elf KERNEL
--format json` and tests/reader/klayout_reader.py on the same dump (with the config's
`# inspector:` options), and assert the same regions (name, lo, hi, in order) and the same verdict
(pass/fail/skip) for every invariant id; the exit statuses must match too. When both agree but
differ from the config's `# expect:` line, a note says so (tests/gate judges the expectations). The default's raw dump (pmemsave) is compared too. One line per case, then
`N passed, M failed`; exit 1 on any failure. Dumps stay in build/reader/ (git-ignored, 128 MiB each,
removed after each case unless --keep).

    /usr/bin/python3 tests/reader/test_reader.py [--keep] [NAME...]
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

INSPECTOR = os.path.join(ROOT, "build", "inspector")
READER = os.path.join(ROOT, "tests", "reader", "klayout_reader.py")
OUT = os.path.join(ROOT, "build", "reader")


def run_json(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise AssertionError("no JSON from %s (exit %d): %s"
                             % (os.path.basename(cmd[0] if cmd[0] != sys.executable else cmd[1]),
                                r.returncode, r.stderr.strip()))


def compare(dump, kernel, opts):
    """Both readers on one dump; returns a list of disagreements and both verdict maps."""
    irc, ins = run_json([INSPECTOR, "check", dump, "--elf", kernel, "--format", "json"] + opts)
    rrc, rdr = run_json([sys.executable, READER, dump, "--elf", kernel] + opts)
    problems = []
    iregs = [(g["name"], int(g["lo"], 16), int(g["hi"], 16)) for g in ins.get("regions", [])]
    rregs = [(g["name"], int(g["lo"], 16), int(g["hi"], 16)) for g in rdr["regions"]]
    for i in range(max(len(iregs), len(rregs))):
        a = iregs[i] if i < len(iregs) else None
        b = rregs[i] if i < len(rregs) else None
        if a != b:
            fmt = lambda g: "%s [0x%x, 0x%x)" % g if g else "(none)"
            problems.append("region %d: inspector %s, reader %s" % (i, fmt(a), fmt(b)))
    iverd = {c["id"]: c["status"] for c in ins["checks"]}
    rverd = rdr["verdicts"]
    for inv in sorted(set(iverd) | set(rverd)):
        if iverd.get(inv) != rverd.get(inv):
            problems.append("%s: inspector %s, reader %s" % (inv, iverd.get(inv), rverd.get(inv)))
    if irc != rrc:
        problems.append("exit status: inspector %d, reader %d" % (irc, rrc))
    return problems, iverd, rverd


def case(conf, keep, raw=False):
    name = os.path.splitext(os.path.basename(conf))[0]
    d = kbuild.directives(conf)
    kernel = kbuild.kernel(conf)
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    elf, bin_ = os.path.join(out, "dump.elf"), os.path.join(out, "dump.bin")
    with kqemu.Qemu(kernel, kbuild.qemu_mem(conf),
                    console=os.path.join(out, "console.log")) as q:
        q.wait_ready(60)
        q.dump(elf=elf, raw=bin_ if raw else None)
    try:
        problems, notes = [], []
        for dump in [elf] + ([bin_] if raw else []):
            p, iverd, rverd = compare(dump, kernel, d.get("inspector", []))
            tag = "" if dump == elf else "raw: "
            problems += [tag + x for x in p]
            # Whether the verdicts are the config's is tests/gate's question; here it is a note.
            want = sorted(d.get("expect", []))
            got = sorted(i for i, s in rverd.items() if s == "fail")
            if got != want and not p:
                notes.append("%sboth fail %s; the config's expect: line says %s"
                             % (tag, " ".join(got) or "nothing", " ".join(want) or "nothing"))
        if problems:
            raise AssertionError("\n     ".join([""] + problems))
        return notes
    finally:
        if not keep:
            for f in (elf, bin_):
                if os.path.exists(f):
                    os.unlink(f)


def main():
    keep = "--keep" in sys.argv
    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not os.access(INSPECTOR, os.X_OK):
        r = subprocess.run(["make", "-s", "build/inspector"], cwd=ROOT)
        if r.returncode:
            print("cannot build build/inspector: 0 passed, 1 failed")
            return 1
    confs = [os.path.join(ROOT, "examples", "default.conf")]
    confs += sorted(glob.glob(os.path.join(ROOT, "examples", "violations", "*.conf")))
    if only:
        confs = [c for c in confs if os.path.splitext(os.path.basename(c))[0] in only]
    passed = failed = 0
    for conf in confs:
        title = os.path.relpath(conf, ROOT)
        raw = conf.endswith("/default.conf")
        try:
            notes = case(conf, keep, raw=raw)
            print("ok   %s%s" % (title, " (core and raw)" if raw else ""))
            for n in notes:
                print("     note: " + n)
            passed += 1
        except (AssertionError, RuntimeError, kqemu.QemuError) as e:
            print("FAIL %s: %s" % (title, e))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
