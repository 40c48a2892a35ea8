"""kbuild.py: a kernel for a config, as the tests and benchmarks want it.

    kbuild.kernel("examples/deep.conf")  ->  ROOT/build/ex/deep/kernel.elf (built by make)
    kbuild.directives("examples/violations/refused.conf")  ->  {"qemu-mem": ["128M"], ...}

One build directory per config name, shared by every test: make keeps it up to date.
"""
import importlib.util
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECTIVES = ("qemu-mem", "expect", "inspector", "recorded", "survivors", "budget")   # docs/config.md


def directives(conf):
    """The `# key: value` comment lines of a config that the tools read."""
    d = {}
    with open(conf) as f:
        for line in f:
            if line.startswith("# ") and ":" in line:
                key, _, value = line[2:].partition(":")
                if key.strip() in DIRECTIVES:
                    d[key.strip()] = value.split()
    return d


def constants():
    """The C headers' constants (RAM_BASE, RECORD_ADDR, LR_SENTINEL, INVARIANTS...), as the
    preprocessor wrote them into gdb-scripts/klayout/constants.py (`make host`)."""
    path = os.path.join(ROOT, "gdb-scripts", "klayout", "constants.py")
    if not os.path.exists(path):
        raise RuntimeError("%s is missing: run `make host`" % os.path.relpath(path, ROOT))
    spec = importlib.util.spec_from_file_location("klayout_constants", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def qemu_mem(conf, default="128M"):
    return (directives(conf).get("qemu-mem") or [default])[0]


def kernel(conf, name=None):
    """Builds the kernel for conf into build/ex/NAME/ and returns its path; raises
    RuntimeError with make's output when the build fails."""
    name = name or os.path.splitext(os.path.basename(conf))[0]
    out = os.path.join("build", "ex", name)
    r = subprocess.run(["make", "-s", "BUILD=" + out, "CONFIG=" + os.path.relpath(conf, ROOT),
                        out + "/kernel.elf"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise RuntimeError("kernel build for %s failed:\n%s" % (conf, r.stdout[-2000:]))
    return os.path.join(ROOT, out, "kernel.elf")
