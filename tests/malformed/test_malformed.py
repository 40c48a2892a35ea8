#!/usr/bin/python3
"""test_malformed.py: broken inputs built from real ones, each with its exit status and message.

A real kernel (examples/default.conf) is built and booted once; its ELF core, raw dump and
kernel ELF are then cut, patched and swapped into broken dumps, kernel ELFs, configs and
command lines, one class per case. Every inspector case runs on build/inspector and on the
sanitizer build (build/inspector-asan): the exit status must be the expected one, an unusable
input (exit 2) must give exactly one line naming the file and the problem, and nothing may
hang (each run has a timeout) or crash. Then the harness itself: SIGINT, SIGTERM and SIGKILL
of `make check` leave no QEMU and nothing in the temporary directory.

    tests/malformed/test_malformed.py [-k SUBSTRING]     (make test-malformed)
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

BUILD = os.path.join(ROOT, "build")
INSPECTORS = [os.path.join(BUILD, "inspector"), os.path.join(BUILD, "inspector-asan")]
SHRINK = os.path.join(BUILD, "malformed", "malformed_shrink")
CONFGEN = os.path.join(BUILD, "confgen")
WORK = os.path.join(BUILD, "malformed")
RUN_TIMEOUT = 60           # a hang is a failure, not a stuck `make test`

EM_X86_64 = 62
PT_LOAD, PT_NOTE = 1, 4


# ---- ELF patching (little-endian ELF64 only, as the real files are) ------------------------------
def ehdr(b):
    names = ("e_type e_machine e_version e_entry e_phoff e_shoff e_flags e_ehsize e_phentsize "
             "e_phnum e_shentsize e_shnum e_shstrndx").split()
    return dict(zip(names, struct.unpack_from("<HHIQQQIHHHHHH", b, 16)))


EHDR_AT = {"e_type": (16, "H"), "e_machine": (18, "H"), "e_phoff": (32, "Q"), "e_shoff": (40, "Q"),
           "e_phentsize": (54, "H"), "e_phnum": (56, "H"), "e_shentsize": (58, "H"),
           "e_shnum": (60, "H"), "e_shstrndx": (62, "H")}
PHDR_AT = {"p_type": (0, "I"), "p_offset": (8, "Q"), "p_vaddr": (16, "Q"), "p_paddr": (24, "Q"),
           "p_filesz": (32, "Q"), "p_memsz": (40, "Q")}
SHDR_AT = {"sh_type": (4, "I"), "sh_offset": (24, "Q"), "sh_size": (32, "Q"), "sh_link": (40, "I"),
           "sh_entsize": (56, "Q")}


def put(path, off, fmt, value):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(struct.pack("<" + fmt, value))


def set_ehdr(path, field, value):
    off, fmt = EHDR_AT[field]
    put(path, off, fmt, value)


def phdrs(path):
    with open(path, "rb") as f:
        b = f.read(4096)
    e = ehdr(b)
    out = []
    for i in range(e["e_phnum"]):
        at = e["e_phoff"] + i * 56
        t, _, off, va, pa, fs, ms = struct.unpack_from("<IIQQQQQ", b, at)
        out.append(dict(at=at, p_type=t, p_offset=off, p_vaddr=va, p_paddr=pa, p_filesz=fs, p_memsz=ms))
    return out


def set_phdr(path, kind, field, value, nth=-1):
    """Sets field of the nth program header of type kind (-1: the last, the RAM's PT_LOAD)."""
    ph = [p for p in phdrs(path) if p["p_type"] == kind][nth]
    off, fmt = PHDR_AT[field]
    put(path, ph["at"] + off, fmt, value)


def shdrs(path):
    with open(path, "rb") as f:
        b = f.read()
    e = ehdr(b)
    names_at = struct.unpack_from("<Q", b, e["e_shoff"] + e["e_shstrndx"] * 64 + 24)[0]
    out = []
    for i in range(e["e_shnum"]):
        at = e["e_shoff"] + i * 64
        name, typ = struct.unpack_from("<II", b, at)
        n = b[names_at + name:b.index(b"\0", names_at + name)].decode()
        out.append(dict(at=at, index=i, name=n, sh_type=typ))
    return out


def set_shdr(path, name, field, value):
    sh = [s for s in shdrs(path) if s["name"] == name][0]
    off, fmt = SHDR_AT[field]
    put(path, sh["at"] + off, fmt, value)


def section_index(path, name):
    return [s for s in shdrs(path) if s["name"] == name][0]["index"]


# ---- the real inputs ------------------------------------------------------------------------------
class Real:
    """The default kernel, booted once: its ELF core, raw dump and kernel ELF, and where in the
    core the RAM, the record and the lowest task stack lie."""

    def __init__(self):
        conf = os.path.join(ROOT, "examples", "default.conf")
        self.kernel = kbuild.kernel(conf)
        self.core = os.path.join(WORK, "real.core")
        self.raw = os.path.join(WORK, "real.bin")
        with kqemu.Qemu(self.kernel, kbuild.qemu_mem(conf)) as q:
            q.wait_ready(60)
            q.dump(elf=self.core, raw=self.raw)
        self.ram = phdrs(self.core)[-1]
        fields = {}
        out = subprocess.run([INSPECTORS[0], "record", self.core], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(": ")
            fields[k] = v
        self.ram_base = self.ram["p_paddr"]
        self.record = kbuild.constants().RECORD_ADDR
        self.task_lo = int(fields["task[0].stack.lo"], 16)
        self.kstack_lo = int(fields["kstack.lo"], 16)

    def core_offset(self, paddr):
        return self.ram["p_offset"] + paddr - self.ram_base


# ---- the cases ----------------------------------------------------------------------------------
# Each maker gets (real, path) and writes the broken input to path (or makes path a non-file).
def copy_of(src):
    def make(real, path):
        shutil.copyfile(getattr(real, src), path)
    return make


def cut(src, size):
    def make(real, path):
        shutil.copyfile(getattr(real, src), path)
        os.truncate(path, size(real) if callable(size) else size)
    return make


def patched(src, *steps):
    def make(real, path):
        shutil.copyfile(getattr(real, src), path)
        for step in steps:
            step(real, path)
    return make


def eh(field, value):
    return lambda real, path: set_ehdr(path, field, value(real, path) if callable(value) else value)


def ph(kind, field, value, nth=-1):
    return lambda real, path: set_phdr(path, kind, field, value(real, path) if callable(value) else value, nth)


def sh(name, field, value):
    return lambda real, path: set_shdr(path, name, field, value)


def ident(index, value):
    return lambda real, path: put(path, index, "B", value)


def fifo(real, path):
    os.mkfifo(path)


def directory(real, path):
    os.mkdir(path)


def text(data):
    def make(real, path):
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
    return make


def head_of_kernel(n):
    return lambda real, path: (shutil.copyfile(real.kernel, path), os.truncate(path, n))


def half_kernel(real, path):
    shutil.copyfile(real.kernel, path)
    os.truncate(path, os.path.getsize(path) // 2)


def note_namesz_huge(real, path):
    note = [p for p in phdrs(path) if p["p_type"] == PT_NOTE][0]
    put(path, note["p_offset"], "I", 0x7fffffff)


def zero_magic(real, path):
    put(path, real.core_offset(real.record), "Q", 0)


def overlap(real, path):
    """The ROM's PT_LOAD moved onto RAM: two segments claim the record's page."""
    set_phdr(path, PT_LOAD, "p_paddr", real.ram_base + 0x1000, nth=0)


def objs(edit=None):
    """A copy of the real kernel's .su/.ci directory at path, edit(dir) applied to it."""
    def make(real, path):
        shutil.copytree(os.path.join(os.path.dirname(real.kernel), "obj"), path,
                        ignore=lambda d, names: [n for n in names if n.endswith((".o", ".d"))])
        if edit:
            edit(path)
    return make


def rewrite(rel, fn):
    def edit(d):
        with open(os.path.join(d, rel)) as f:
            text = f.read()
        with open(os.path.join(d, rel), "w") as f:
            f.write(fn(text))
    return edit


# (name, maker, dump-or-None, command template, expected exit, message substring or None)
# In the command, {f} is the broken file, {core} the good core, {kernel} the good kernel ELF.
CHECK = "check {f}"
CHECK_ELF = "check {core} --elf {f}"
CASES = [
    # dumps that are not regular files, or not there
    ("dump missing", None, "check {dir}/no-such.core", 2, "cannot open: No such file or directory"),
    ("dump is a FIFO", fifo, CHECK, 2, "a FIFO or pipe: only regular files are read"),
    ("dump is a directory", directory, CHECK, 2, "a directory: only regular files are read"),
    ("dump is a character device", None, "check /dev/null", 2, "a character device: only regular"),
    ("dump is empty", text(""), CHECK, 2, "empty file"),
    ("dump is a text file", text("hello, kernel\n"), CHECK, 2, "no RAM at the record address"),
    # cut ELF cores
    ("core cut inside the ELF header", cut("core", 40), CHECK, 2, "not a 64-bit little-endian ELF core"),
    ("core cut after the ELF header", cut("core", 64), CHECK, 2, "truncated program header table"),
    ("core cut inside the notes", cut("core", lambda r: phdrs(r.core)[0]["p_offset"] + 8), CHECK, 2,
     "truncated PT_NOTE"),
    ("core cut before the record", cut("core", lambda r: r.core_offset(r.record)), CHECK, 2,
     "truncated PT_LOAD"),
    ("core cut inside the record", cut("core", lambda r: r.core_offset(r.record) + 100), CHECK, 2,
     "truncated PT_LOAD"),
    ("core cut inside a task stack", cut("core", lambda r: r.core_offset(r.task_lo) + 64), CHECK, 2,
     "truncated PT_LOAD"),
    ("core's RAM one byte short", cut("core", lambda r: r.ram["p_offset"] + r.ram["p_filesz"] - 1), CHECK, 2,
     "truncated PT_LOAD"),
    # corrupt ELF core headers
    ("core ELFCLASS32", patched("core", ident(4, 1)), CHECK, 2, "not a 64-bit little-endian ELF core"),
    ("core big-endian", patched("core", ident(5, 2)), CHECK, 2, "not a 64-bit little-endian ELF core"),
    ("core of type EXEC", patched("core", eh("e_type", 2)), CHECK, 2, "ELF file is not a core dump"),
    ("core of an x86-64 machine", patched("core", eh("e_machine", EM_X86_64)), CHECK, 2,
     "not a RISC-V core (e_machine 62"),
    ("core e_phentsize 0", patched("core", eh("e_phentsize", 0)), CHECK, 2, "e_phentsize 0, not 56"),
    ("core e_phentsize 32", patched("core", eh("e_phentsize", 32)), CHECK, 2, "e_phentsize 32, not 56"),
    ("core without program headers", patched("core", eh("e_phnum", 0)), CHECK, 2,
     "ELF core without program headers"),
    ("core e_phoff past the end", patched("core", eh("e_phoff", 1 << 40)), CHECK, 2,
     "truncated program header table"),
    ("core PT_LOAD past the end", patched("core", ph(PT_LOAD, "p_offset", 1 << 40)), CHECK, 2,
     "truncated PT_LOAD"),
    ("core PT_LOAD p_filesz > p_memsz", patched("core", ph(PT_LOAD, "p_memsz", 0x1000)), CHECK, 2,
     "p_filesz 0x8000000 > p_memsz 0x1000"),
    ("core PT_LOADs overlapping", patched("core", overlap), CHECK, 2, "ambiguous dump: PT_LOADs at physical"),
    ("core PT_LOAD the same twice", patched("core", ph(PT_LOAD, "p_paddr", 0x80000000, nth=0),
                                            ph(PT_LOAD, "p_filesz", 0x1000, nth=0)), CHECK, 2,
     "ambiguous dump"),
    ("core PT_LOAD wrapping", patched("core", ph(PT_LOAD, "p_paddr", 0xfffffffffffff000)), CHECK, 2,
     "wraps around the address space"),
    ("core PT_NOTE past the end", patched("core", ph(PT_NOTE, "p_offset", 1 << 40, nth=0)), CHECK, 2,
     "truncated PT_NOTE"),
    ("core note with a huge name", patched("core", note_namesz_huge), CHECK, 2, "corrupt note in PT_NOTE"),
    # read correctly: what QEMU never makes but other tools do is still a good dump
    ("core p_vaddr != p_paddr", patched("core", ph(PT_LOAD, "p_vaddr", 0xffffffff80000000)), CHECK, 0, None),
    ("core with the record's magic gone", patched("core", zero_magic), CHECK, 1, None),
    ("raw cut inside the record", cut("raw", lambda r: r.record - r.ram_base + 100), CHECK, 2,
     "no RAM at the published record copy"),
    # kernel ELFs
    ("kernel ELF missing", None, "check {core} --elf {dir}/no-such.elf", 2, "cannot open"),
    ("kernel ELF is a FIFO", fifo, CHECK_ELF, 2, "a FIFO or pipe: only regular files are read"),
    ("kernel ELF is a directory", directory, CHECK_ELF, 2, "a directory: only regular files"),
    ("kernel ELF is a text file", text("hello, kernel\n"), CHECK_ELF, 2, "not an ELF file"),
    ("kernel ELF is empty", text(""), CHECK_ELF, 2, "not an ELF file"),
    ("kernel ELF: its first 40 bytes", head_of_kernel(40), CHECK_ELF, 2, "truncated ELF header (40 bytes"),
    ("kernel ELF: its first 64 bytes", head_of_kernel(64), CHECK_ELF, 2, "truncated program header table"),
    ("kernel ELF: its first half", half_kernel, CHECK_ELF, 2, "truncated section header table"),
    ("kernel ELF: a section past the end", patched("kernel", sh(".text", "sh_offset", 1 << 40)), CHECK_ELF, 2,
     "runs past the end of the file"),
    ("kernel ELF: a section one byte too long",
     patched("kernel", lambda r, p: set_shdr(p, ".debug_frame", "sh_size", os.path.getsize(p))), CHECK_ELF, 2,
     "runs past the end of the file"),
    ("kernel ELF: e_shstrndx past the table",
     patched("kernel", eh("e_shstrndx", lambda r, p: ehdr(open(p, "rb").read(64))["e_shnum"])), CHECK_ELF, 2,
     "bad e_shstrndx"),
    ("kernel ELF: e_shstrndx on .text", patched("kernel", lambda r, p: set_ehdr(p, "e_shstrndx", section_index(p, ".text"))),
     CHECK_ELF, 2, "not a string table"),
    ("kernel ELF: e_shstrndx 0", patched("kernel", eh("e_shstrndx", 0)), CHECK_ELF, 2, "bad e_shstrndx 0"),
    ("kernel ELF of an x86-64 machine", patched("kernel", eh("e_machine", EM_X86_64)), CHECK_ELF, 2,
     "not a RISC-V ELF file (e_machine 62"),
    ("kernel ELF ELFCLASS32", patched("kernel", ident(4, 1)), CHECK_ELF, 2, "not a 64-bit ELF file"),
    ("kernel ELF big-endian", patched("kernel", ident(5, 2)), CHECK_ELF, 2, "not a little-endian ELF file"),
    ("kernel ELF e_shentsize 40", patched("kernel", eh("e_shentsize", 40)), CHECK_ELF, 2, "e_shentsize 40, not 64"),
    ("kernel ELF e_phentsize 32", patched("kernel", eh("e_phentsize", 32)), CHECK_ELF, 2, "e_phentsize 32, not 56"),
    ("kernel ELF without sections", patched("kernel", eh("e_shnum", 0)), CHECK_ELF, 2, "no section headers"),
    ("kernel ELF: symbol table entry size 0", patched("kernel", sh(".symtab", "sh_entsize", 0)), CHECK_ELF, 2,
     "symbol table"),
    ("kernel ELF: the core given as --elf", copy_of("core"), CHECK_ELF, 2, "not an executable (e_type 4)"),
    ("sections of a cut kernel ELF", half_kernel, "sections {f}", 2, "truncated section header table"),
    # command lines
    ("no command", None, "", 64, None),
    ("unknown command", None, "frobnicate {core}", 64, None),
    ("two dumps", None, "check {core} {core}", 64, None),
    ("no dump", None, "check", 64, None),
    ("--min-headroom 101", None, "check {core} --min-headroom 101", 64, None),
    ("--min-headroom -1", None, "check {core} --min-headroom -1", 64, None),
    ("--format xml", None, "check {core} --format xml", 64, None),
    ("--base not a number", None, "check {core} --base 0x8000zz", 64, None),
    ("--elf on record", None, "record {core} --elf {kernel}", 64, None),
    ("--elf empty", None, "check {core} --elf ''", 2, "cannot open"),
    # the static stack analysis's inputs: the .su/.ci directory, the stack table
    ("budget: --su-dir missing", None, "budget {kernel} --su-dir {dir}/no-such", 2,
     "cannot open: No such file or directory"),
    ("budget: a .ci without its .su", objs(lambda d: os.unlink(os.path.join(d, "kernel", "task.c.su"))),
     "budget {kernel} --su-dir {dir}/input", 2, "task.c.ci': no '"),
    ("budget: a .su line cut short", objs(rewrite("kernel/task.c.su", lambda t: t.replace("\t", " ", 1))),
     "budget {kernel} --su-dir {dir}/input", 2, "task.c.su': line 1: not a stack usage line"),
    ("budget: a .ci frame the .su does not say", objs(rewrite("kernel/ucode.c.ci", lambda t: t.replace(
        "64 bytes (static)", "48 bytes (static)", 1))), "budget {kernel} --su-dir {dir}/input", 2,
     "-byte frame, '"),
    ("budget: a .ci cut in half", objs(rewrite("kernel/main.c.ci", lambda t: t[:len(t) // 2])),
     "budget {kernel} --su-dir {dir}/input", 2, "main.c.ci'"),
    ("budget: a .su of binary data", objs(rewrite("kernel/main.c.su", lambda t: t + "\0")),
     "budget {kernel} --su-dir {dir}/input", 2, "binary data"),
    ("check --elf: a broken --su-dir", objs(lambda d: os.unlink(os.path.join(d, "kernel", "main.c.ci"))),
     "check {core} --elf {kernel} --su-dir {dir}/input", 2, "main.c.su': no .ci beside it"),
    ("budget: a stack table without entries", text("stack x size 4096\n"), "budget {kernel} --stacks {f}", 2,
     "line 1: stack needs an `entry FUNCTION`"),
    ("budget: a stack table naming a function the kernel lacks", text("stack x size 4096 entry nowhere\n"),
     "budget {kernel} --stacks {f}", 2, "line 1: entry: no function 'nowhere' in the kernel"),
    ("budget: a stack table that is a FIFO", fifo, "budget {kernel} --stacks {f}", 2, "a FIFO or pipe"),
    ("budget: a dump, not a kernel ELF", None, "budget {core}", 2, "not an executable"),
]

# Configs: confgen exits 2 with FILE:LINE or 'FILE': message.
CONFIG_CASES = [
    ("config missing", None, 2, "No such file or directory"),
    ("config is a FIFO", fifo, 2, "not a regular file"),
    ("config is a directory", directory, 2, "not a regular file"),
    ("config: stack size 0", text("kernel_stack 16K\ntask a 0 3\n"), 2, ":2: task stack size is 0"),
    ("config: unknown keyword", text("frob 1\n"), 2, ":1: unknown keyword 'frob'"),
    ("config: name too long", text("kernel_stack 16K\ntask %s 4K 3\n" % ("a" * 25)), 2, "must be 1-15"),
    ("config: 65 tasks", text("kernel_stack 16K\n" + "".join("task t%d 4K 1\n" % i for i in range(65))), 2,
     "more tasks than fit"),
    ("config over 64 KiB", text("#" * 70000 + "\n"), 2, "larger than 64 KiB"),
    ("config with a NUL byte", text(b"kernel_stack 16K\0\ntask a 4K 3\n"), 2, "binary data"),
    ("config: size overflows", text("kernel_stack 99999999999999999999999K\n"), 2, "not representable"),
    ("config without kernel_stack", text("task a 4K 3\n"), 2, "no kernel_stack line"),
    ("config: name twice", text("kernel_stack 16K\ntask a 4K 3\ntask a 4K 3\n"), 2, "used twice"),
    ("config: depth too large", text("kernel_stack 16K\ntask a 4K 9999999\n"), 2, "must be a number from 1"),
]


def run(cmd, env=None, timeout=RUN_TIMEOUT):
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", env=env, timeout=timeout, cwd=ROOT, executable="/bin/bash")


def check_inspector_case(real, case, tmp):
    name, make, template, want_rc, message = case
    path = os.path.join(tmp, "input")
    if make:
        make(real, path)
    args = template.format(f=path, core=real.core, kernel=real.kernel, dir=tmp)
    problems = []
    for inspector in INSPECTORS:
        env = dict(os.environ, ASAN_OPTIONS="exitcode=99:detect_leaks=1", UBSAN_OPTIONS="exitcode=99")
        try:
            r = run("%s %s" % (inspector, args), env=env)
        except subprocess.TimeoutExpired:
            problems.append("%s: hung (over %d s)" % (os.path.basename(inspector), RUN_TIMEOUT))
            continue
        who = os.path.basename(inspector)
        if r.returncode != want_rc:
            problems.append("%s: exit %d, expected %d; stderr: %s" % (who, r.returncode, want_rc, r.stderr[-600:]))
        elif want_rc == 2 and message:
            lines = r.stderr.splitlines()
            named = path if "{f}" in template else None
            if len(lines) != 1 or message not in lines[0] or (named and "'%s'" % named not in lines[0]):
                problems.append("%s: expected one line naming the file with %r, got %r" % (who, message, r.stderr))
    return problems


def check_config_case(real, case, tmp):
    name, make, want_rc, message = case
    path = os.path.join(tmp, "broken.conf")
    if make:
        make(real, path)
    try:
        r = run("%s %s" % (CONFGEN, path))
    except subprocess.TimeoutExpired:
        return ["confgen hung"]
    if r.returncode != want_rc or message not in r.stderr or len(r.stderr.splitlines()) != 1:
        return ["confgen: exit %d, stderr %r; expected %d with %r" % (r.returncode, r.stderr, want_rc, message)]
    return []


def check_changing_dump(real, mode, message, tmp):
    path = os.path.join(tmp, "changing.core")
    shutil.copyfile(real.core, path)
    r = run("%s %s %s" % (SHRINK, mode, path))
    if r.returncode != 2 or message not in r.stderr or len(r.stderr.splitlines()) != 1:
        return ["%s: exit %d, stderr %r; expected 2 with %r" % (mode, r.returncode, r.stderr, message)]
    return []


# ---- the harness under signals ------------------------------------------------------------------
def children(pid):
    """Every descendant of pid (through /proc/PID/task/TID/children), pid itself excluded."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def is_qemu(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].endswith(b"qemu-system-riscv64")
    except OSError:
        return False


def check_make_check_signal(sig, tmp):
    """`make check` in its own process group, signalled once QEMU runs: no QEMU may survive and
    the temporary directory it was given must be left as empty as it was."""
    build = os.path.relpath(os.path.join(WORK, "sig"), ROOT)
    kernel = os.path.join(build, "kernel.elf")
    private_tmp = os.path.join(tmp, "tmpdir")
    os.mkdir(private_tmp)
    env = dict(os.environ, TMPDIR=private_tmp)
    subprocess.run(["make", "-s", "BUILD=" + build, kernel], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen(["make", "-s", "BUILD=" + build, "check"], cwd=ROOT, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    qemu = []
    try:
        deadline = time.monotonic() + 60
        while not qemu and p.poll() is None and time.monotonic() < deadline:
            qemu = [k for k in children(p.pid) if is_qemu(k)]
            time.sleep(0.005)
        if not qemu:
            return ["QEMU never seen under make check (exit %s)" % p.poll()]
        os.killpg(p.pid, sig)
        p.wait(timeout=30)
        deadline = time.monotonic() + 10       # PR_SET_PDEATHSIG needs a moment after SIGKILL
        while any(is_qemu(k) for k in qemu) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    problems = []
    left = [k for k in qemu if is_qemu(k)]
    if left:
        problems.append("QEMU left running: %s" % left)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    if os.listdir(private_tmp):
        problems.append("left in TMPDIR: %s" % os.listdir(private_tmp))
    for f in os.listdir(os.path.join(ROOT, build)):
        if f.startswith("dump."):
            os.unlink(os.path.join(ROOT, build, f))
    return problems


def main():
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else ""
    os.makedirs(WORK, exist_ok=True)
    real = Real()
    cases = [(c[0], lambda t, c=c: check_inspector_case(real, c, t)) for c in CASES]
    cases += [(c[0], lambda t, c=c: check_config_case(real, c, t)) for c in CONFIG_CASES]
    cases += [("dump shrinks while mapped", lambda t: check_changing_dump(
                  real, "shrink", "the file shrank while being read", t)),
              ("dump rewritten while read", lambda t: check_changing_dump(
                  real, "touch", "the file changed while being read", t))]
    cases += [("make check under %s" % signal.Signals(s).name, lambda t, s=s: check_make_check_signal(s, t))
              for s in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)]
    passed = failed = 0
    try:
        for name, fn in cases:
            if only not in name:
                continue
            tmp = tempfile.mkdtemp(prefix="malformed-", dir=WORK)
            try:
                problems = fn(tmp)
            except (OSError, subprocess.SubprocessError, RuntimeError, kqemu.QemuError) as e:
                problems = ["%s: %s" % (type(e).__name__, e)]
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            if problems:
                failed += 1
                print("FAIL %s\n     %s" % (name, "\n     ".join(problems)))
            else:
                passed += 1
                print("ok   %s" % name)
    finally:
        for f in (real.core, real.raw):
            if os.path.exists(f):
                os.unlink(f)
    print("%d passed, %d failed (%d inspector classes on %d builds, %d config classes)"
          % (passed, failed, len(CASES), len(INSPECTORS), len(CONFIG_CASES)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
