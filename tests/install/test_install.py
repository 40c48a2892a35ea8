#!/usr/bin/python3
"""test_install.py: what `make install` gives a user, used from outside the tree
(`make test-install`, part of `make test`).

- the host tools' command lines take CC, CPPFLAGS, CFLAGS, LDFLAGS (Debian packaging);
- install into a temporary DESTDIR: every file in place; uninstall removes them all;
- the installed inspector, run from a directory outside the tree, on dumps of kernels copied
  out of it (a good one and violation cases); the installed GDB scripts on the same cores
  (gdb-multiarch -batch, `source` of the installed layout.gdb);
- GDB auto-load: the kernel.elf-gdb.py the build writes beside the ELF loads the commands
  without a `source` once the directory is in the safe-path, and is declined without it;
- the man pages: mandoc -T lint -W all and groff -ww clean, `man -l` renders them, and every
  command and option of the real --help is in inspector(1);
- the JSON Schema: every JSON output (check, stacks; good, violation, raw) validates, also with
  undocumented members refused; outputs broken on purpose do not;
- the SVG and HTML diagrams: well-formed, every region's name in the SVG, the violations' ids
  in red, rendered to PNG by rsvg-convert at the SVG's size; the HTML fetches nothing;
- bash completion of commands and --format values.
One line per case, then `N passed, M failed`; exit status 1 on a failure. The temporary
directory (dumps included) is removed on every way out; QEMU is reaped by kqemu.
"""
import copy
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

import jsonschema  # noqa: E402  (python3-jsonschema, tools/deps.sh)

PREFIX = "/usr/local"
GDB = "gdb-multiarch"
TIMEOUT = 120
SVG = "{http://www.w3.org/2000/svg}"
GOOD = "examples/default.conf"
BROKEN = ("examples/violations/task-lo-write.conf", "examples/violations/chain-gap.conf")


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + str(detail)[-1500:]) if detail else ""))
        sys.stdout.flush()
        return cond


R = Results()


def run(args, cwd, env=None, **kw):
    return subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, timeout=TIMEOUT, **kw)


def clean_env():
    """The environment of a user who has only the installed files: no hint at the tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAYOUT")}
    env["HOME"] = env.get("HOME", "/root")
    return env


# ---- install and uninstall ------------------------------------------------------------------
INSTALLED = ("bin/inspector", "lib/klayout/libklayout.so", "share/man/man1/inspector.1", "share/man/man7/klayout-gdb.7",
             "share/klayout/gdb/layout.gdb", "share/klayout/gdb/klayout/__init__.py",
             "share/klayout/gdb/klayout/constants.py", "share/klayout/gdb/klayout/libpath.py",
             "share/klayout/inspector.schema.json", "share/doc/klayout/README.md",
             "share/doc/klayout/docs/inspector.md", "share/doc/klayout/docs/gdb.md",
             "share/bash-completion/completions/inspector")


def test_install(stage):
    r = run(["make", "-s", "install", "DESTDIR=" + stage, "PREFIX=" + PREFIX], ROOT)
    if not R.ok("make install DESTDIR=... PREFIX=%s" % PREFIX, r.returncode == 0, r.stderr):
        return False
    top = stage + PREFIX
    missing = [f for f in INSTALLED if not os.path.isfile(os.path.join(top, f))]
    R.ok("installed: %d files in place" % len(INSTALLED), not missing, "missing: %s" % missing)
    R.ok("installed: inspector executable, data files not",
         os.access(os.path.join(top, "bin/inspector"), os.X_OK)
         and not os.stat(os.path.join(top, INSTALLED[1])).st_mode & 0o111)
    return not missing


def test_libpath(stage, outside):
    """klayout/libpath.py, the one lookup of libklayout.so, run from the installed copy: beside
    the install (PREFIX/lib/klayout, under the DESTDIR too), else $KLAYOUT_LIB first."""
    top = stage + PREFIX
    lib = os.path.join(top, "lib", "klayout", "libklayout.so")
    placed = not os.path.exists(lib)
    if placed:                          # a tree without the engine library: a stand-in file
        os.makedirs(os.path.dirname(lib), exist_ok=True)
        open(lib, "wb").close()
    code = ("import importlib.util as u, sys; s = u.spec_from_file_location('p', sys.argv[1]); "
            "m = u.module_from_spec(s); s.loader.exec_module(m); print(m.libklayout())")
    libpath = os.path.join(top, "share/klayout/gdb/klayout/libpath.py")
    other = os.path.join(outside, "libklayout.so")
    open(other, "wb").close()
    found = run([sys.executable, "-c", code, libpath], outside, env=clean_env()).stdout.strip()
    chosen = run([sys.executable, "-c", code, libpath], outside,
                 env=dict(clean_env(), KLAYOUT_LIB=other)).stdout.strip()
    R.ok("libpath: the installed scripts find PREFIX/lib/klayout/libklayout.so, or $KLAYOUT_LIB",
         found == lib and chosen == other, "%s, %s" % (found, chosen))
    os.unlink(other)
    if placed:
        os.unlink(lib)


def test_uninstall(stage):
    r = run(["make", "-s", "uninstall", "DESTDIR=" + stage, "PREFIX=" + PREFIX], ROOT)
    left = [os.path.join(d, f) for d, _, fs in os.walk(stage) for f in fs]
    R.ok("make uninstall removes every installed file", r.returncode == 0 and not left,
         r.stderr + " left: %s" % left)


# ---- the build honours CC, CPPFLAGS, CFLAGS, LDFLAGS ------------------------------------------
def test_build_flags():
    """As dpkg-buildflags hands them over: on every host tool's command line, the project's -I
    first (they win the lookup), its -std and warnings last (a user flag cannot undo them)."""
    r = run(["make", "-n", "-B", "build/inspector", "build/libklayout.so", "build/confgen", "CC=mark-cc",
             "CPPFLAGS=-DMARK_CPPFLAGS", "CFLAGS=-DMARK_CFLAGS", "LDFLAGS=-Wl,--mark-ldflags"], ROOT)
    lines = [l.split() for l in r.stdout.splitlines() if l.startswith("mark-cc ")]
    compiles = [w for w in lines if "-shared" not in w]
    links = [w for w in lines if "-c" not in w]   # the inspector, confgen, libklayout.so
    def ordered(w):
        try:
            return w.index("-Iinclude") < w.index("-DMARK_CPPFLAGS") < w.index("-DMARK_CFLAGS") < w.index("-std=c11")
        except ValueError:
            return False
    R.ok("build: host tools take CC, CPPFLAGS, CFLAGS, LDFLAGS, the project's flags around them",
         len(links) == 3 and compiles and all(ordered(w) for w in compiles)
         and all("-Wl,--mark-ldflags" in w for w in links), r.stdout + r.stderr)


# ---- dumps of kernels built elsewhere -------------------------------------------------------
def make_dump(conf, outside):
    """The kernel for conf copied to outside/NAME/ (no kernel.elf-gdb.py there: a kernel built
    anywhere), its ELF core at the ready line, and for the good config a sparse raw dump."""
    name = os.path.splitext(os.path.basename(conf))[0]
    d = os.path.join(outside, name)
    os.makedirs(d)
    kernel = os.path.join(d, "kernel.elf")
    built = kbuild.kernel(conf)
    shutil.copy(built, kernel)
    with kqemu.Qemu(kernel, kbuild.qemu_mem(conf)) as q:
        q.wait_ready(60)
        q.dump(elf=os.path.join(d, "dump.elf"))
    if conf == GOOD:
        with kqemu.Qemu(kernel, kbuild.qemu_mem(conf)) as q:
            q.wait_ready(60)
            q.dump_sparse(os.path.join(d, "dump.bin"))
    return {"name": name, "dir": d, "kernel": kernel, "core": os.path.join(d, "dump.elf"),
            "objs": os.path.join(os.path.dirname(built), "obj"),   # its .su and .ci, in the tree
            "expect": sorted(kbuild.directives(conf).get("expect", []))}


# ---- the installed inspector and GDB scripts ------------------------------------------------
def failed_ids(report):
    return sorted(c["id"] for c in report["checks"] if c["status"] == "fail")


def test_installed_inspector(inspector, dumps, outside):
    r = run([inspector, "--version"], outside)
    R.ok("installed inspector --version", r.returncode == 0 and r.stdout.startswith("inspector "),
         r.stderr)
    for d in dumps:
        r = run([inspector, "check", d["core"], "--elf", d["kernel"], "--format", "json"], outside)
        try:
            got = failed_ids(json.loads(r.stdout))
        except ValueError:
            got = None
        want_rc = 1 if d["expect"] else 0
        R.ok("installed inspector check on %s, from outside the tree: exit %d, %s" %
             (d["name"], want_rc, " ".join(d["expect"]) or "no violation"),
             r.returncode == want_rc and got == d["expect"], "exit %d, %s %s" % (r.returncode, got, r.stderr))
    r = run([inspector, "diagram", "default/dump.elf"], outside)
    R.ok("installed inspector diagram on a relative path", r.returncode == 0 and "High addresses" in r.stdout,
         r.stderr)


def gdb_batch(args, cwd, env):
    return run([GDB, "-batch", "-nx", "-ex", "set pagination off"] + args, cwd, env=env)


def test_installed_gdb(gdbdir, dumps, outside):
    loader = os.path.join(gdbdir, "layout.gdb")
    for d in dumps:
        r = gdb_batch(["-ex", "source " + loader, d["kernel"], "-ex", "core-file " + d["core"],
                       "-ex", "klayout stacks", "-ex", "klayout check"], outside, clean_env())
        out = r.stdout + r.stderr
        if d["expect"]:
            good = r.returncode != 0 and all(i in out for i in d["expect"])
        else:
            good = r.returncode == 0 and "0 violations" in out and "kernel stack" in out
        R.ok("installed GDB scripts on the %s core, from outside the tree: klayout stacks, check" %
             d["name"], good, out)


def test_autoload(dumps_good):
    """The tree's own kernel: kernel.elf-gdb.py beside it, written by the build rule."""
    kernel = kbuild.kernel(GOOD)
    kdir = os.path.dirname(kernel)
    script = kernel + "-gdb.py"
    if not R.ok("the kernel build writes kernel.elf-gdb.py beside the ELF", os.path.isfile(script)):
        return
    core = dumps_good["core"]
    r = gdb_batch(["-iex", "add-auto-load-safe-path " + kdir, kernel, "-ex", "core-file " + core,
                   "-ex", "klayout check"], dumps_good["dir"], clean_env())
    out = r.stdout + r.stderr
    R.ok("auto-load: gdb KERNEL with the safe-path has `klayout` without a source",
         r.returncode == 0 and "0 violations" in out, out)
    r = gdb_batch([kernel, "-ex", "core-file " + core, "-ex", "klayout check"], dumps_good["dir"],
                  clean_env())
    out = r.stdout + r.stderr
    R.ok("auto-load: declined outside the safe-path (GDB's default), with its warning",
         r.returncode != 0 and "auto-load" in out and "declined" in out, out)


# ---- man pages ------------------------------------------------------------------------------
def test_man(inspector, outside):
    pages = [os.path.join(ROOT, "man", p) for p in ("inspector.1", "klayout-gdb.7")]
    for page in pages:
        name = os.path.basename(page)
        r = run(["mandoc", "-T", "lint", "-W", "all", page], outside)
        R.ok("man: mandoc -T lint -W all %s: clean" % name, r.returncode == 0 and not r.stdout + r.stderr,
             r.stdout + r.stderr)
        r = run(["groff", "-man", "-ww", "-z", page], outside)
        R.ok("man: groff -man -ww %s: no warning" % name, r.returncode == 0 and not r.stderr, r.stderr)
        r = run(["man", "-l", page], outside, env=dict(clean_env(), MANWIDTH="80", MANPAGER="cat",
                                                       PAGER="cat"))
        R.ok("man: man -l %s renders" % name, r.returncode == 0 and "NAME" in r.stdout and not r.stderr,
             r.stderr)
    text = open(pages[0]).read().replace("\\-", "-")
    top = run([inspector, "--help"], outside).stdout
    commands = [l.split()[0] for l in top.split("Commands:\n")[1].split("\n\n")[0].splitlines()]
    wanted = set(commands) | {"--help", "--version"}
    for c in commands:
        for line in run([inspector, c, "--help"], outside).stdout.splitlines():
            wanted.update(w.split("=")[0].rstrip(",") for w in line.split() if w.startswith("-"))
    for fmt in ("text", "json", "junit", "svg", "html"):
        wanted.add(fmt)
    missing = sorted(w for w in wanted if w not in text)
    R.ok("man: inspector(1) names every command, option and format of the real --help (%d)" %
         len(wanted), len(commands) >= 5 and not missing, "missing: %s" % missing)
    gdb_text = open(pages[1]).read()
    subs = []
    for f in os.listdir(os.path.join(ROOT, "gdb-scripts", "klayout")):
        for line in open(os.path.join(ROOT, "gdb-scripts", "klayout", f), errors="replace"):
            if 'super().__init__("klayout ' in line:
                subs.append(line.split('"')[1])
    missing = [s for s in subs if s not in gdb_text]
    R.ok("man: klayout-gdb(7) names every klayout command (%d)" % len(subs), subs and not missing,
         "missing: %s" % missing)


# ---- the JSON Schema ------------------------------------------------------------------------
def strict(schema):
    """The schema with every object closed: an output member the schema does not name fails."""
    s = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for v in node.values():
                close(v)
        elif isinstance(node, list):
            for v in node:
                close(v)
    close(s)
    return s


def test_schema(inspector, schema_path, dumps, outside):
    schema = json.load(open(schema_path))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        R.ok("schema: a valid draft 2020-12 schema", schema["$schema"].endswith("/2020-12/schema"))
    except jsonschema.SchemaError as e:
        R.ok("schema: a valid draft 2020-12 schema", False, e)
        return
    ids = [i for _n, i, _t in kbuild.constants().INVARIANTS]
    R.ok("schema: invariant ids are LR_INVARIANTS's, in order (%d)" % len(ids),
         schema["$defs"]["invariant_id"]["enum"] == ids
         and schema["$defs"]["check_output"]["properties"]["checks"]["minItems"] == len(ids))
    version = run([inspector, "--version"], outside).stdout
    R.ok("schema: its version is the one the inspector writes (--version: %s)" % schema["title"],
         "JSON schema %s)" % schema["title"] in version
         and schema["$defs"]["schema_id"]["const"] == schema["title"], version)
    loose = jsonschema.Draft202012Validator(schema)
    tight = jsonschema.Draft202012Validator(strict(schema))
    good = dumps[0]
    runs = [("check, good core, --elf", ["check", good["core"], "--elf", good["kernel"]]),
            ("check, good raw", ["check", os.path.join(good["dir"], "dump.bin")]),
            ("check, --min-headroom 99 (violations)", ["check", good["core"], "--min-headroom", "99"]),
            ("stacks, good core", ["stacks", good["core"]]),
            ("stacks, good raw", ["stacks", os.path.join(good["dir"], "dump.bin")]),
            ("stacks, good core, --elf (static bounds)", ["stacks", good["core"], "--elf", good["kernel"],
                                                          "--su-dir", good["objs"]]),
            ("budget, good kernel", ["budget", good["kernel"], "--su-dir", good["objs"]])]
    for d in dumps[1:]:
        runs.append(("check, %s core, --elf" % d["name"], ["check", d["core"], "--elf", d["kernel"]]))
        runs.append(("stacks, %s core" % d["name"], ["stacks", d["core"]]))
    outputs = []
    for name, args in runs:
        r = run([inspector] + args + ["--format", "json"], outside)
        try:
            doc = json.loads(r.stdout)
        except ValueError as e:
            R.ok("schema: %s is JSON" % name, False, "%s %s" % (e, r.stderr))
            continue
        outputs.append(doc)
        errors = [e.message for e in loose.iter_errors(doc)] + \
                 ["strict: " + e.message for e in tight.iter_errors(doc)]
        R.ok("schema: %s validates (undocumented members refused too)" % name, not errors, errors[:3])
    check = next(o for o in outputs if "checks" in o)
    # An input that cannot be used: an error report where the inspector writes one (exit 2).
    r = run([inspector, "check", os.path.join(outside, "no-such-dump"), "--format", "json"], outside)
    if r.stdout.strip():
        doc = json.loads(r.stdout)
        errors = [e.message for e in tight.iter_errors(doc)]
        R.ok("schema: check on a missing dump, exit 2: the error report validates",
             r.returncode == 2 and not errors, errors[:3])
    else:
        print("note schema: this inspector writes no JSON on exit 2 (error_output unused)")
    error_doc = {"schema": "klayout-inspector/3", "dump": "x", "error": "inspector: 'x': cannot open",
                 "checks": [], "summary": {"checks": 0, "violations": 0, "verdict": "error"}}
    R.ok("schema: an error report validates, and refuses checks in it",
         tight.is_valid(error_doc) and not loose.is_valid(dict(error_doc, checks=check["checks"])))
    R.ok("schema: the violation cases are among them",
         any(o.get("summary", {}).get("verdict") == "fail" for o in outputs))
    broken = {
        "another schema version": lambda o: o.update(schema="klayout-inspector/2"),
        "an address as a number": lambda o: o["ram"].update(lo=0x80000000),
        "no summary": lambda o: o.pop("summary"),
        "verdict pass with violations": lambda o: o["summary"].update(violations=3, verdict="pass"),
        "an unknown invariant id": lambda o: o["checks"][0].update(id="record.nosuch"),
        "a failed check without violations": lambda o: o["checks"][0].update(status="fail", violations=[]),
    }
    for name, breaks in broken.items():
        doc = copy.deepcopy(check)
        breaks(doc)
        R.ok("schema: refuses an output with %s" % name, not loose.is_valid(doc))
    doc = copy.deepcopy(check)
    doc["undocumented"] = 1
    R.ok("schema: the strict test refuses an undocumented member, the published one allows it",
         loose.is_valid(doc) and not tight.is_valid(doc))


# ---- the SVG and HTML diagrams --------------------------------------------------------------
def svg_texts(root):
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def test_svg(inspector, dumps, outside):
    for d in dumps:
        r = run([inspector, "check", d["core"], "--format", "json", "--elf", d["kernel"]], outside)
        report = json.loads(r.stdout)
        svg_path = os.path.join(d["dir"], "layout.svg")
        r = run([inspector, "diagram", d["core"], "--elf", d["kernel"], "--format", "svg"], outside)
        with open(svg_path, "w") as f:
            f.write(r.stdout)
        try:
            root = ET.fromstring(r.stdout.encode())
        except ET.ParseError as e:
            R.ok("svg: %s: well-formed SVG, exit 0" % d["name"], False, "%s %s" % (e, r.stderr))
            continue
        R.ok("svg: %s: well-formed SVG, exit 0" % d["name"], r.returncode == 0 and root.tag == SVG + "svg")
        texts = "\n".join(svg_texts(root))
        names = [g["name"] for g in report["regions"]]
        missing = [n for n in names if n not in texts]
        R.ok("svg: %s: every region's name is in the picture (%d)" % (d["name"], len(names)),
             len(names) >= 10 and not missing, "missing: %s" % missing)
        red = "\n".join("".join(t.itertext()) for t in root.iter(SVG + "text") if t.get("class") == "bad")
        ids = failed_ids(report)
        R.ok("svg: %s: the violations' ids in red: %s" % (d["name"], " ".join(ids) or "none"),
             all(i in red for i in ids) and (bool(red) == bool(ids)), red)
        png = os.path.join(d["dir"], "layout.png")
        r = run(["rsvg-convert", "-o", png, svg_path], outside)
        size = png_size(png) if r.returncode == 0 else None
        want = (int(root.get("width")), int(float(root.get("height"))))
        R.ok("svg: %s: rsvg-convert renders it, %s px" % (d["name"], "x".join(map(str, want))),
             size == want and want[0] >= 600 and want[1] >= 800 and os.path.getsize(png) > 20000,
             "%s %s, %s bytes" % (r.stderr, size, os.path.getsize(png) if os.path.exists(png) else 0))
    d = dumps[-1]
    r = run([inspector, "diagram", d["core"], "--format", "html"], outside)
    html = r.stdout
    fetches = [w for w in ("src=", "href=", "url(", "@import", "<script", "<link") if w in html]
    R.ok("html: one self-contained file: the SVG inline, nothing fetched",
         r.returncode == 0 and html.startswith("<!DOCTYPE html>") and "<svg" in html
         and html.count("http") == html.count('xmlns="http://www.w3.org/2000/svg"') and not fetches,
         fetches)


# ---- bash completion ------------------------------------------------------------------------
def test_completion(stage, outside):
    comp = os.path.join(stage + PREFIX, "share/bash-completion/completions/inspector")
    script = """
source /usr/share/bash-completion/bash_completion
source %s
PATH=%s:$PATH
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
      COMPREPLY=(); _inspector inspector "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
t inspector ""
t inspector diagram --format ""
t inspector check --m
""" % (comp, os.path.join(stage + PREFIX, "bin"))
    r = run(["bash", "-c", script], outside)
    lines = r.stdout.splitlines() + ["", "", ""]
    R.ok("bash completion: the commands", lines[0].split() == ["check", "diagram", "stacks", "budget",
                                                               "record", "sections", "gdbcore"], r.stdout + r.stderr)
    R.ok("bash completion: diagram --format gives text svg html", lines[1].split() == ["text", "svg", "html"],
         r.stdout)
    R.ok("bash completion: check --m gives --min-headroom=", lines[2].split() == ["--min-headroom="],
         r.stdout)


def main():
    tmp = tempfile.mkdtemp(prefix="klayout-install-")
    try:
        stage, outside = os.path.join(tmp, "stage"), os.path.join(tmp, "elsewhere")
        os.makedirs(outside)
        test_build_flags()
        if not test_install(stage):
            return 1
        inspector = os.path.join(stage + PREFIX, "bin", "inspector")
        dumps = [make_dump(c, outside) for c in (GOOD,) + BROKEN]
        test_installed_inspector(inspector, dumps, outside)
        test_installed_gdb(os.path.join(stage + PREFIX, "share/klayout/gdb"), dumps, outside)
        test_autoload(dumps[0])
        test_man(inspector, outside)
        test_schema(inspector, os.path.join(stage + PREFIX, "share/klayout/inspector.schema.json"),
                    dumps, outside)
        test_svg(inspector, dumps, outside)
        test_completion(stage, outside)
        test_libpath(stage, outside)
        test_uninstall(stage)
    except (RuntimeError, kqemu.QemuError, subprocess.TimeoutExpired, OSError) as e:
        R.ok("the test could run", False, e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
