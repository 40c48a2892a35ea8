#!/usr/bin/python3
"""test_boot.py: the default kernel boots at every RAM size and lays RAM out as the design says.

At 64M, 128M, 1G and 5G (RAM above 4 GiB): the ready line comes within a bounded time, then a
sparse dump of that moment (the image, the record and the stacks; the rest a hole) is read by
`inspector check --format json` and the record must say: RAM ends where -m says, the kernel
stack ends there, each task stack hangs under the previous one, available is the last lo, and
every check passes.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

SIZES = {"64M": 64 << 20, "128M": 128 << 20, "1G": 1 << 30, "5G": 5 << 30}
READY_WITHIN = 30.0   # seconds: generous for a slow machine; a boot takes about 0.1 s here


def boot_and_check(mem, kernel, out):
    dump = os.path.join(out, "boot-%s.bin" % mem)
    with kqemu.Qemu(kernel, mem, console=dump + ".console") as q:
        q.wait_ready(READY_WITHIN)
        q.dump_sparse(dump)
    r = subprocess.run([os.path.join(ROOT, "build", "inspector"), "check", dump, "--format", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.unlink(dump)
    assert r.returncode == 0, "inspector exit %d: %s%s" % (r.returncode, r.stdout[-400:], r.stderr)
    rep = json.loads(r.stdout)
    h = lambda s: int(s, 16)
    ram_base = kbuild.constants().RAM_BASE
    ram_end = ram_base + SIZES[mem]
    assert h(rep["ram"]["lo"]) == ram_base and h(rep["ram"]["hi"]) == ram_end, rep["ram"]
    stacks = rep["stacks"]
    kernel_stack, tasks = stacks[0], stacks[1:]
    assert kernel_stack["id"] == 0 and h(kernel_stack["hi"]) == ram_end, kernel_stack
    assert len(tasks) == 3, "expected 3 tasks, found %d" % len(tasks)
    hi = h(kernel_stack["lo"])
    for t in tasks:
        assert h(t["hi"]) == hi, "task %s hi %s is not the previous lo %#x" % (t["name"], t["hi"], hi)
        hi = h(t["lo"])
    regions = {r["name"]: r for r in rep["regions"]}
    assert h(regions["free"]["hi"]) == hi, "available is not the last lo"


def main():
    kernel = kbuild.kernel(os.path.join(ROOT, "examples", "default.conf"))
    passed = failed = 0
    for mem in SIZES:
        try:
            boot_and_check(mem, kernel, os.path.dirname(kernel))
            print("ok   boot at -m %s" % mem)
            passed += 1
        except (AssertionError, kqemu.QemuError, KeyError, ValueError) as e:
            print("FAIL boot at -m %s: %s" % (mem, e))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
