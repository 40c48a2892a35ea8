#!/usr/bin/python3
"""test_contract.py: what CI relies on from `make check` and `make demo` (issue 13).

- exit status: 0 all hold, 1 a violation, 2 unusable input or harness failure, from make itself;
- the config's `# inspector:` options apply (headroom.conf fails through `make check`);
- a task one frame too small for its depth (budget.conf) fails with stack.budget before QEMU;
- the gate's dump is a sparse ELF core at any RAM size (1G, 5G): small, and GDB opens it;
- a sparse core that lacks a stack the record names: skipped with a reason, never "ok";
- JUnit valid against tests/gate/junit.xsd and JSON valid, on exit 1 and on exit 2, whatever
  bytes the file name holds; an --elf of another build is exit 2 naming both build IDs;
- `make debug` with a RAM size QEMU refuses: QEMU's own error, exit 2.
Each case builds into build/ex/NAME (shared with test_gate.py); dumps are deleted after.
"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402

INSPECTOR = os.path.join(ROOT, "build", "inspector")
XSD = os.path.join(ROOT, "tests", "gate", "junit.xsd")


def make(goal, conf, *extra, timeout=600):
    """`make -s GOAL CONFIG=conf BUILD=build/ex/NAME`: (status, stdout, stderr, build dir)."""
    name = os.path.splitext(os.path.basename(conf))[0]
    build = os.path.join("build", "ex", name)
    r = subprocess.run(["make", "-s", goal, "CONFIG=" + conf, "BUILD=" + build, *extra], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8", "replace"), \
        os.path.join(ROOT, build)


def inspector(*args):
    r = subprocess.run([INSPECTOR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def valid_junit(data):
    """Raises AssertionError unless data is UTF-8 XML valid against the JUnit schema."""
    from lxml import etree
    data.decode("utf-8")                                  # strict: invalid UTF-8 raises
    schema = etree.XMLSchema(etree.parse(XSD))
    doc = etree.fromstring(data)
    assert schema.validate(doc), "JUnit invalid: %s\n%s" % (schema.error_log, data[:400])
    return doc


def valid_json(data):
    return json.loads(data.decode("utf-8"))              # strict UTF-8, then strict JSON


# ---- exit statuses through make -----------------------------------------------------------------
def t_check_good():
    rc, out, err, _ = make("check", "examples/default.conf")
    assert rc == 0, "make check on default.conf: exit %d\n%s%s" % (rc, out[-600:], err[-600:])
    assert "0 violations" in out, out[-300:]


def t_check_violation():
    rc, out, err, _ = make("check", "examples/violations/overflow.conf")
    assert rc == 1, "make check on overflow.conf: exit %d (1 expected)\n%s" % (rc, err[-600:])
    assert "stack.overflow:" in out, out[-400:]


def t_check_lone_overflow():
    """One task that overflows its stack and nothing else to run: a plain violation (1), not a
    harness failure (2): the stopped task never runs again and the kernel prints its ready line."""
    rc, out, err, _ = make("check", "examples/violations/tight.conf", timeout=180)
    assert rc == 1, "make check on tight.conf: exit %d (1 expected)\n%s%s" % (rc, out[-600:], err[-600:])
    assert "stack.overflow: task 1 'tight': at " in out, out[-600:]
    assert "stack.lo-excluded" not in out, out[-600:]


def t_check_small_kernel_stack():
    """A kernel stack under what the kernel needs: the config reader's FILE:LINE, exit 2, and no
    QEMU started (no console, no dump)."""
    conf = os.path.join("build", "ex", "kstack16.conf")
    os.makedirs(os.path.join(ROOT, "build", "ex"), exist_ok=True)
    with open(os.path.join(ROOT, conf), "w") as f:
        f.write("# a kernel stack of 16 bytes\nkernel_stack 16\ntask a 4K 3\n")
    shutil.rmtree(os.path.join(ROOT, "build", "ex", "kstack16"), ignore_errors=True)
    rc, out, err, build = make("check", conf)
    assert rc == 2, "make check with kernel_stack 16: exit %d (2 expected)\n%s%s" % (rc, out, err)
    assert "%s:2: kernel stack size 16 is under 2048 bytes, what the kernel needs" % conf in err, err
    assert not glob.glob(os.path.join(build, "dump.*")) and not os.path.exists(os.path.join(build, "kernel.elf")), \
        "a kernel was built or booted"


def t_check_budget_before_qemu():
    """budget.conf's task is one frame too small for its depth: make check exits 1 with
    stack.budget naming the chain that needs the bytes, and QEMU never starts (no dump)."""
    conf = "examples/violations/budget.conf"
    build = os.path.join(ROOT, "build", "ex", "budget")
    if os.path.exists(os.path.join(build, "dump.elf")):
        os.unlink(os.path.join(build, "dump.elf"))
    rc, out, err, _ = make("check", conf)
    assert rc == 1, "make check on budget.conf: exit %d\n%s%s" % (rc, out[-600:], err[-600:])
    # The figures move with every build's frames: their relations do not. The task is short by
    # less than one of task_dive's 64-byte frames, and the chain names 40 of them.
    line = [l for l in out.splitlines() if l.startswith("stack.budget: task 2 'tight': ")]
    assert len(line) == 1, out[-1500:]
    m = re.match(r"stack\.budget: task 2 'tight': expected at least (\d+) bytes: static worst case (\d+) \+ 8 "
                 r"\(lo word\), found 2640 bytes, (\d+) short, for the chain task_main \d+, task_dive 64 x40, "
                 r"task_at_depth \d+, task_misbehave \d+$", line[0])
    assert m, line[0]
    needed, bound, short = (int(g) for g in m.groups())
    assert needed == bound + 8 and short == needed - 2640 and 0 < short < 64, line[0]
    assert not os.path.exists(os.path.join(build, "dump.elf")), "a dump was taken: QEMU ran"
    assert "kernel.elf: 5 stacks, 1 over budget, 0 unbounded" in out, out[-300:]
    # The same gate with JSON asked for: the budget's own document, valid against the schema.
    rc, out, err, _ = make("check", conf, "CHECK_FLAGS=--format=json")
    rep = valid_json(out.encode())
    assert rc == 1 and rep["summary"] == {"stacks": 5, "over_budget": 1, "unbounded": 0, "verdict": "fail"}, out
    import jsonschema
    with open(os.path.join(ROOT, "docs", "inspector.schema.json")) as f:
        jsonschema.validate(rep, json.load(f))


def t_check_headroom_option():
    """headroom.conf's `# inspector: --min-headroom 25` must reach `make check`."""
    rc, out, err, _ = make("check", "examples/violations/headroom.conf")
    assert rc == 1 and "stack.headroom: task" in out, "exit %d:\n%s%s" % (rc, out[-600:], err[-300:])


def t_check_bad_input():
    rc, out, err, _ = make("check", "examples/default.conf", "QEMU_MEM=abc")
    assert rc == 2, "QEMU_MEM=abc: exit %d (2 expected)" % rc
    assert "qemu-system-riscv64: -m abc" in err, err[-600:]
    rc, _, err, _ = make("check", "examples/default.conf", "CHECK_FLAGS=--elf=/dev/null")
    assert rc == 2 and "inspector: '/dev/null': " in err, "exit %d: %s" % (rc, err[-300:])


def t_demo_statuses():
    rc, out, _, _ = make("demo", "examples/violations/overflow.conf")
    assert rc == 1 and "== the stacks" in out, "make demo on a violation: exit %d" % rc
    rc, out, _, _ = make("demo", "examples/default.conf")
    assert rc == 0 and "High addresses" in out, "make demo on default.conf: exit %d" % rc


def t_debug_bad_mem():
    r = subprocess.run(["make", "-s", "debug", "QEMU_MEM=abc"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 2, "make debug QEMU_MEM=abc: exit %d" % r.returncode
    assert "qemu-system-riscv64: -m abc: Parameter 'size'" in r.stderr, r.stderr[-600:]
    assert "gdbstub on" not in r.stdout, r.stdout


# ---- the sparse gate -------------------------------------------------------------------------------
def sparse_gate(mem):
    rc, out, err, build = make("check", "examples/default.conf", "QEMU_MEM=" + mem,
                               "CHECK_FLAGS=--format=json")
    assert rc == 0, "make check QEMU_MEM=%s: exit %d\n%s" % (mem, rc, err[-600:])
    rep = json.loads(out)
    dump = os.path.join(build, "dump.elf")
    size = os.path.getsize(dump)
    ram = int(rep["ram"]["hi"], 16) - int(rep["ram"]["lo"], 16)
    assert rep["sparse"] is True and ram == kbuild_size(mem), rep["ram"]
    assert size < 16 << 20, "sparse dump at %s is %d bytes" % (mem, size)
    assert all(c["status"] != "skip" or c["id"] == "stack.headroom" for c in rep["checks"]), \
        [c for c in rep["checks"] if c["status"] == "skip"]
    return build, dump


def kbuild_size(mem):
    return int(mem[:-1]) << {"M": 20, "G": 30}[mem[-1]]


def t_sparse_1g():
    build, dump = sparse_gate("1G")
    # GDB opens the same core: registers from NT_PRSTATUS, memory from the saved ranges.
    r = subprocess.run(["gdb-multiarch", "-q", "-batch", "-nx", os.path.join(build, "kernel.elf"),
                        "-ex", "core-file " + dump, "-ex", "x/gx 0x80000000", "-ex", "p/x $sp"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert "<_text_start>:" in r.stdout and "$1 = 0xbf" in r.stdout, r.stdout[-600:]


def t_sparse_5g():
    sparse_gate("5G")


def t_sparse_never_says_ok_for_what_it_lacks():
    """The stacks' PT_LOAD turned into PT_NULL: stack checks are skipped, with the reason."""
    _, dump = sparse_gate("1G")
    cut = dump + ".cut"
    with open(dump, "rb") as f:
        data = bytearray(f.read())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    loads = [phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1]
    struct.pack_into("<I", data, loads[-1], 0)           # the highest range: the stacks
    with open(cut, "wb") as f:
        f.write(data)
    try:
        rc, out, _ = inspector("check", cut, "--format", "json", "--min-headroom", "10")
        rep = valid_json(out)
        status = {c["id"]: c for c in rep["checks"]}
        for cid in ("stack.lo-excluded", "stack.headroom"):
            assert status[cid]["status"] == "skip" and "sparse dump" in status[cid]["reason"], status[cid]
        assert rc == 0, "exit %d" % rc
    finally:
        os.unlink(cut)


def t_sparse_bad_note_is_unusable():
    """A KLAYOUT note with an empty RAM range, or RAM that does not hold the core's segments."""
    _, dump = sparse_gate("1G")
    with open(dump, "rb") as f:
        good = f.read()
    at = good.index(b"KLAYOUT\0") + 8                   # the note's desc: RAM lo, hi
    lo, hi = struct.unpack_from("<QQ", good, at)
    cut = dump + ".cut"
    for (new_lo, new_hi), message in (((lo, lo), "KLAYOUT note with an empty RAM range"),
                                      ((lo, lo + (1 << 20)), "outside the RAM its KLAYOUT note names")):
        data = bytearray(good)
        struct.pack_into("<QQ", data, at, new_lo, new_hi)
        with open(cut, "wb") as f:
            f.write(data)
        try:
            rc, _, err = inspector("check", cut)
            assert rc == 2 and message in err, "exit %d: %s" % (rc, err)
        finally:
            os.unlink(cut)


# ---- reports on exit 2 and odd file names ----------------------------------------------------------
def t_reports_on_exit_2():
    tmp = os.path.join(ROOT, "build", "ex", "contract")
    os.makedirs(tmp, exist_ok=True)
    junk = os.path.join(tmp, "junk.elf")
    with open(junk, "wb") as f:
        f.write(b"\x7fELF not really")
    try:
        rc, out, _ = inspector("check", junk, "--format", "junit")
        assert rc == 2, "junk: exit %d" % rc
        doc = valid_junit(out)
        err = doc.findall(".//error")
        assert doc.find("testsuite").get("errors") == "1" and len(err) == 1 and "junk.elf" in err[0].get("message"), out
        rc, out, _ = inspector("check", junk, "--format", "json")
        rep = valid_json(out)
        assert rc == 2 and "junk.elf" in rep["error"] and rep["summary"]["verdict"] == "error", rep
    finally:
        os.unlink(junk)


def t_other_build_is_exit_2():
    _, _, _, good = make("check", "examples/default.conf")
    _, _, _, other = make("check", "examples/deep.conf")
    dump, kernel = os.path.join(good, "dump.elf"), os.path.join(other, "kernel.elf")
    for fmt, parse in (("junit", valid_junit), ("json", valid_json)):
        rc, out, err = inspector("check", dump, "--elf", kernel, "--format", fmt)
        assert rc == 2, "another build's ELF: exit %d (%s)" % (rc, fmt)
        parse(out)
        assert "not the same build" in err and "kernel is build " in err and \
            "kernel.elf' is build " in err, err
        assert "image.untouched" not in out.decode(), out[:300]


def t_invalid_utf8_file_name():
    _, _, _, build = make("check", "examples/violations/overflow.conf")
    odd = os.path.join(build.encode(), b"dump-\xff\xfe<&\x01'\xef\xbf\xbf\xed\xa0\x80.elf")
    shutil.copyfile(os.path.join(build, "dump.elf"), odd)
    try:
        rc, out, _ = inspector("check", odd, "--format", "junit")
        assert rc == 1, "exit %d" % rc
        doc = valid_junit(out)
        assert "\ufffd" in doc.find("testsuite").get("name"), doc.find("testsuite").get("name")
        rc, out, _ = inspector("check", odd, "--format", "json")
        assert rc == 1 and "\ufffd" in valid_json(out)["dump"], out[:200]
        rc, out, _ = inspector("stacks", odd, "--format", "json")
        assert rc == 0 and valid_json(out)["stacks"], out[:200]
        rc, out, _ = inspector("check", odd + b".missing", "--format", "junit")
        assert rc == 2, "exit %d" % rc
        valid_junit(out)
    finally:
        os.unlink(odd)


CASES = [
    ("make check: 0 on a good example", t_check_good),
    ("make check: 1 on a violation", t_check_violation),
    ("make check: 1 on a lone task that overflows (tight.conf)", t_check_lone_overflow),
    ("make check: 2 on a kernel stack under the kernel's need, naming FILE:LINE", t_check_small_kernel_stack),
    ("make check: the config's inspector options (headroom.conf)", t_check_headroom_option),
    ("make check: a stack one frame too small stops before QEMU with stack.budget", t_check_budget_before_qemu),
    ("make check: 2 on bad input, with QEMU's message", t_check_bad_input),
    ("make demo: the same statuses", t_demo_statuses),
    ("make debug: QEMU's error and exit 2 on a bad QEMU_MEM", t_debug_bad_mem),
    ("sparse gate at 1G, GDB opens the core", t_sparse_1g),
    ("sparse gate at 5G", t_sparse_5g),
    ("sparse core: what is not in it is skipped, not ok", t_sparse_never_says_ok_for_what_it_lacks),
    ("sparse core: a bad KLAYOUT note is unusable input", t_sparse_bad_note_is_unusable),
    ("exit 2: valid JUnit with one error, valid JSON with the error", t_reports_on_exit_2),
    ("--elf of another build: exit 2 naming both build IDs", t_other_build_is_exit_2),
    ("a file name with invalid UTF-8: valid JUnit and JSON", t_invalid_utf8_file_name),
]


def main():
    passed = failed = 0
    for title, fn in CASES:
        try:
            fn()
            print("ok   %s" % title)
            passed += 1
        except Exception as e:  # noqa: BLE001 (one case failing must not stop the others)
            print("FAIL %s: %s" % (title, e))
            failed += 1
    for f in glob.glob(os.path.join(ROOT, "build", "ex", "*", "dump.*")):
        os.unlink(f)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
