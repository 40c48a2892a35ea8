#!/usr/bin/python3
"""test_gate.py: the CI gate on every example config, as `make check` runs it.

Each good example (examples/*.conf) must pass: the stack budget before boot, boot, sparse ELF
core at the ready line (as `make check` dumps), `inspector check --elf` exits 0. Each broken one (examples/violations/*.conf) must fail with exit status 1 and
exactly the ids its `# expect:` line names. For the default config, a full ELF core and the raw
dump of the same moment must give the same verdict and the same diagram.
--large runs the 4 GiB example only (full-size dumps: `make test-large`). Other arguments are
config names (`tight`, `default`): only the cases of those configs run.
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
LARGE = {"ram-4g"}


FULL = "--large" in sys.argv   # `make test-large`: full-size dumps, as crash-dump users take them


def budget(kernel):
    """`inspector budget --format json` on the kernel, as `make check` runs it before QEMU."""
    r = subprocess.run([INSPECTOR, "budget", kernel, "--format", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode in (0, 1), "inspector budget: exit %d: %s" % (r.returncode, r.stderr)
    return r.returncode, json.loads(r.stdout)


def gate(conf, raw=False):
    """Budget, boot, dump, check, as `make check`; returns (exit status, JSON report, build dir).
    A kernel over its stack budget stops before QEMU (unless its config says `# budget: boot`):
    the report is then stack.budget's alone."""
    d = kbuild.directives(conf)
    kernel = kbuild.kernel(conf)
    out = os.path.dirname(kernel)
    rc, plan = budget(kernel)
    if rc == 1 and d.get("budget") != ["boot"]:
        return 1, {"checks": [{"id": "stack.budget", "status": "fail"}], "budget": plan}, out
    elf, bin_ = os.path.join(out, "dump.elf"), os.path.join(out, "dump.bin")
    with kqemu.Qemu(kernel, kbuild.qemu_mem(conf), console=os.path.join(out, "console.log")) as q:
        q.wait_ready(60)
        if raw or FULL:
            q.dump(elf=elf, raw=bin_ if raw else None)   # full core (and raw image) of one moment
        else:
            q.dump_sparse(elf, INSPECTOR)  # what `make check` dumps

    r = subprocess.run([INSPECTOR, "check", elf, "--elf", kernel,
                        "--format", "json"] + d.get("inspector", []),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        report = json.loads(r.stdout)
    except ValueError:
        raise AssertionError("no JSON from the inspector (exit %d): %s" % (r.returncode, r.stderr))
    return r.returncode, report, out


def failed_ids(report):
    return sorted(c["id"] for c in report["checks"] if c["status"] == "fail")


def check_good(conf):
    rc, report, _ = gate(conf)
    assert rc == 0, "exit %d, failed: %s" % (rc, " ".join(failed_ids(report)))


def check_broken(conf):
    """Exactly the `# expect:` ids; an empty line (spin.conf: preempted, no invariant broken)
    expects the gate to pass."""
    want = sorted(kbuild.directives(conf)["expect"])
    rc, report, _ = gate(conf)
    got = failed_ids(report)
    want_rc = 1 if want else 0
    assert rc == want_rc and got == want, "exit %d with %s; expected exit %d with %s" % (
        rc, got, want_rc, want)


def check_formats_agree(conf):
    """The ELF core and the raw dump of one moment: same verdict, same diagram."""
    rc, report, out = gate(conf, raw=True)
    elf, raw = os.path.join(out, "dump.elf"), os.path.join(out, "dump.bin")
    run = lambda *a: subprocess.run([INSPECTOR, *a], stdout=subprocess.PIPE, text=True)
    c_elf, c_raw = run("check", elf), run("check", raw)
    assert c_elf.returncode == c_raw.returncode == rc == 0, \
        "verdicts differ: core %d, raw %d" % (c_elf.returncode, c_raw.returncode)
    d_elf, d_raw = run("diagram", elf).stdout, run("diagram", raw).stdout
    assert d_elf == d_raw and "High addresses" in d_elf, "the diagrams differ"
    os.unlink(raw)


def check_bad_config_fails_the_build(conf):
    """A config the kernel could not honour stops the build, naming the file and the line."""
    bad = os.path.join(ROOT, "build", "ex", "bad.conf")
    os.makedirs(os.path.dirname(bad), exist_ok=True)
    with open(bad, "w") as f:
        f.write("kernel_stack 16K\ntask a 4K 3\ntask b 0 3\n")
    r = subprocess.run(["make", "-s", "BUILD=build/ex/bad", "CONFIG=" + bad, "build/ex/bad/kernel.elf"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0, "the build succeeded"
    assert "%s:3: task stack size is 0" % bad in r.stdout, "no FILE:LINE message: %r" % r.stdout


def check_harness_refuses_bad_input(conf):
    """kqemu: a missing kernel is bad input (exit 2, one line naming it); a kernel that halts
    before its ready line fails the dump (exit 1) and shows the console's last lines."""
    kqemu_py = os.path.join(ROOT, "tools", "kqemu.py")
    r = subprocess.run([sys.executable, kqemu_py, "dump", "build/ex/no-such.elf", "--elf", "/dev/null"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2, "missing kernel: exit %d" % r.returncode
    assert r.stderr == "kqemu: 'build/ex/no-such.elf': no such kernel (run `make`)\n", r.stderr
    conf = os.path.join(ROOT, "build", "ex", "no-room.conf")
    with open(conf, "w") as f:
        f.write("kernel_stack 8G\n")        # fits no RAM under 8G: start() panics
    elf = os.path.join(ROOT, "build", "ex", "no-room", "dump.elf")
    r = subprocess.run([sys.executable, kqemu_py, "dump", kbuild.kernel(conf), "--mem", "64M",
                        "--elf", elf, "--timeout", "20"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1, "halted kernel: exit %d" % r.returncode
    assert r.stderr.startswith("kqemu: the kernel halted before its ready line; the console's last lines:"), r.stderr
    assert "panic: start: stack would reach into the task code" in r.stderr, r.stderr
    assert not os.path.exists(elf), "a dump was written for a kernel that never got ready"


def main():
    large = "--large" in sys.argv
    good = sorted(glob.glob(os.path.join(ROOT, "examples", "*.conf")))
    broken = sorted(glob.glob(os.path.join(ROOT, "examples", "violations", "*.conf")))
    name = lambda c: os.path.splitext(os.path.basename(c))[0]
    cases = []
    if large:
        cases = [("gate " + os.path.relpath(c, ROOT), check_good, c) for c in good if name(c) in LARGE]
    else:
        cases += [("gate " + os.path.relpath(c, ROOT), check_good, c) for c in good if name(c) not in LARGE]
        cases += [("gate " + os.path.relpath(c, ROOT), check_broken, c) for c in broken]
        cases += [("core and raw agree", check_formats_agree, os.path.join(ROOT, "examples", "default.conf"))]
        cases += [("a bad config fails the build", check_bad_config_fails_the_build, "bad.conf")]
        cases += [("the harness refuses bad input", check_harness_refuses_bad_input, "no-room.conf")]
    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    if only:   # config names (`tight`, `default`): only those configs' cases
        cases = [c for c in cases if name(c[2]) in only]
    passed = failed = 0
    keep = False
    for title, fn, conf in cases:
        try:
            fn(conf)
            print("ok   %s" % title)
            passed += 1
            keep = False
        except (AssertionError, OSError, RuntimeError, kqemu.QemuError) as e:
            print("FAIL %s: %s (dumps kept in build/ex/%s/)" % (title, e, name(conf)))
            failed += 1
            keep = not large
        finally:
            # A passing case's dumps are 128 MiB each and teach nothing: only failures keep theirs.
            if not keep:
                for f in glob.glob(os.path.join(ROOT, "build", "ex", name(conf), "dump.*")):
                    os.unlink(f)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
