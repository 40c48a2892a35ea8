"""klayout_budget.py: the reader's own static stack analysis, for stack.budget and stack.bound.

Shares nothing with engine/budget*.c: the code is read from binutils' disassembly
(riscv64-unknown-elf-objdump -d) rather than decoded here, compilation units come from the
DWARF aranges through pyelftools, and recursion is bounded by counting activations (a memo on
(function, activations left)) rather than by the engine's closed form. Inputs are the ones the
inspector reads: the ELF's .klayout.budget table, the .su/.ci files in obj/ beside the ELF
(docs/stack-budget.md).

    Budget(kernel).stacks(record)  ->  [{"name", "size", "reserve", "bound" (None: unbounded), "task"}]
"""
import os
import re
import subprocess
import sys

OBJDUMP = "riscv64-unknown-elf-objdump"
sys.setrecursionlimit(20000)


class NoBudget(Exception):
    """Nothing to analyse (no table, no .su/.ci): the checks are skipped."""


LINE = re.compile(r"^\s*([0-9a-f]+):\t(\S+)(?:\t(.*))?$")
HEAD = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
TARGET = re.compile(r"([0-9a-f]+) <([^>+]+)(\+0x[0-9a-f]+)?>")
NO_RD = {"sd", "sw", "sh", "sb", "fsd", "fsw", "j", "jr", "ret", "mret", "ecall", "ebreak", "wfi",
         "csrw", "csrs", "csrc", "csrwi", "fence", "fence.i", "nop", "beq", "bne", "blt", "bge",
         "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu",
         "bleu", "sfence.vma"}
CALLER_SAVED = {"ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a4",
                "a5", "a6", "a7"}


def imm(s):
    return int(s, 0)


class Func:
    def __init__(self, name, addr):
        self.name, self.addr = name, addr
        self.insns = []
        self.cu = None
        self.frame = None            # the .su's
        self.dynamic = False
        self.segments = [0]          # deepest sp of each segment (code after the n-th sp load)
        self.calls = []              # (segment, kind, target name or None, depth)


class Budget:
    def __init__(self, kernel):
        self.k = kernel
        sec = kernel.sections.get(".klayout.budget")
        if sec is None:
            raise NoBudget("the ELF declares no stacks")
        self.objs = os.path.join(os.path.dirname(kernel.path), "obj")
        if not os.path.isdir(self.objs):
            raise NoBudget("no .su and .ci files")
        self.table = sec.data().decode()
        self._cus()
        self._code()
        self._compiler()
        self._declared()

    # ---- the ELF: compilation units, code ------------------------------------------------------
    def _cus(self):
        self.cu_ranges = []
        dw = self.k.elf.get_dwarf_info()
        for cu in dw.iter_CUs():
            name = cu.get_top_DIE().attributes["DW_AT_name"].value.decode()
            for e in dw.get_aranges().entries if dw.get_aranges() else []:
                if e.info_offset == cu.cu_offset:
                    self.cu_ranges.append((e.begin_addr, e.begin_addr + e.length, name))

    def cu_of(self, addr):
        return next((n for lo, hi, n in self.cu_ranges if lo <= addr < hi), None)

    def _code(self):
        out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", self.k.path], stdout=subprocess.PIPE,
                             text=True, check=True).stdout
        self.funcs, cur = {}, None
        for line in out.splitlines():
            m = HEAD.match(line)
            if m:
                addr, name = int(m.group(1), 16), m.group(2)
                cur = Func(name, addr)
                cur.cu = self.cu_of(addr)
                self.funcs.setdefault(name, []).append(cur)
                continue
            m = LINE.match(line)
            if m and cur:
                cur.insns.append((int(m.group(1), 16), m.group(2), m.group(3) or ""))
        self.by_addr = {f.addr: f for fs in self.funcs.values() for f in fs}
        for fs in self.funcs.values():
            for f in fs:
                self._walk(f)

    def _walk(self, f):
        """sp from the function's entry, segment by segment; the calls and jumps leaving it."""
        seg, d, alias, fresh = 0, 0, {}, False
        for _pc, op, args in f.insns:
            a = [x.strip() for x in args.split("#")[0].split(",")] if args else []
            comment = args.split("#", 1)[1] if "#" in args else ""
            rd = a[0] if a and op not in NO_RD else None
            if fresh and rd == "sp" and (op in ("add", "addi") and a[1] == "sp" or op == "ld" and "(sp)" in a[-1]):
                continue              # the second half of `la sp` / `ld sp, sym`
            fresh = False
            if op in ("add", "addi") and rd == "sp" and a[1] == "sp":
                if re.match(r"^-?(0x)?[0-9a-f]+$", a[2]):
                    d += imm(a[2])
                    f.segments[seg] = min(f.segments[seg], d)
                else:
                    f.dynamic = True
                continue
            if op == "sub" and rd == "sp":
                f.dynamic = True
                continue
            if op == "mv" and rd == "sp":
                if a[1] in alias:
                    seg, d = alias[a[1]]
                    continue
            if rd == "sp":            # any other write: another stack from here
                f.segments.append(0)
                seg, d, fresh = len(f.segments) - 1, 0, True
                continue
            if op in ("mv", "addi") and rd and len(a) > 1 and a[1] == "sp":
                alias[rd] = (seg, d + (imm(a[2]) if op == "addi" else 0))
                continue
            t = TARGET.search(args)
            if op in ("jal", "jalr") or op in ("j", "jr") or op.startswith("b") and t:
                # A target is an address: the function starting there (or holding it).
                target = int(t.group(1), 16) if t else None
                inside = t is not None and t.group(2) == f.name
                if op in ("jal", "jalr"):
                    f.calls.append((seg, "call" if t else "icall", target, -d))
                    for r in CALLER_SAVED:
                        alias.pop(r, None)
                    continue
                if op == "jr" and not target:
                    f.calls.append((seg, "ijump", None, -d))
                elif target and not inside:
                    f.calls.append((seg, "tail", target, -d))
                if op in ("j", "jr"):
                    alias, d = {}, f.segments[seg]
                continue
            if op == "ret":
                alias, d = {}, f.segments[seg]
                continue
            if rd:
                alias.pop(rd, None)
        del comment

    # ---- the compiler's files ------------------------------------------------------------------
    def _compiler(self):
        self.frames = {}              # (cu, asm name) -> (bytes, dynamic)
        self.locs = {}                # (cu, asm name) -> (file, line)
        self.icalls = []              # (cu, caller asm name, file, line)
        for dirpath, _dirs, names in sorted(os.walk(self.objs)):
            for n in sorted(names):
                if not n.endswith(".ci"):
                    continue
                ci = os.path.join(dirpath, n)
                with open(ci) as f:
                    ci_text = f.read()
                with open(ci[:-3] + ".su") as f:
                    su = {}
                    for line in f:
                        key, size, qual = line.rstrip("\n").split("\t")
                        su[key] = (int(size), qual == "dynamic")
                cu = re.search(r'graph: \{ title: "([^"]+)"', ci_text).group(1)
                local = lambda t: t[len(cu) + 1:] if t.startswith(cu + ":") else t
                for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]+)"', ci_text):
                    parts = m.group(2).split("\\n")
                    if len(parts) > 2 and " bytes (" in parts[2]:
                        self.frames[(cu, local(m.group(1)))] = su[parts[1] + ":" + parts[0]]
                        file, line = parts[1].rsplit(":", 2)[:2]
                        self.locs[(cu, local(m.group(1)))] = (file, int(line))
                for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "__indirect_call" '
                                     r'label: "([^"]+)"', ci_text):
                    file, line = m.group(2).rsplit(":", 2)[:2]
                    self.icalls.append((cu, local(m.group(1)), file, int(line)))

    def frame_of(self, f):
        got = self.frames.get((f.cu, f.name))
        if got:
            return got
        return -min(f.segments[0], 0), f.dynamic      # assembly: its code is all there is

    # ---- the table -------------------------------------------------------------------------------
    def _declared(self):
        self.decl, self.calls_decl, self.config = [], {}, {"tasks": []}
        for line in self.table.splitlines():
            w = line.split("#", 1)[0].split()
            if not w:
                continue
            if w[0] == "stack":
                s = {"name": w[1], "entries": [], "bound": None, "code": None}
                i = 2
                while i < len(w):
                    if w[i] == "size":
                        s["size"], i = ("bytes", int(w[i + 1], 0)), i + 2
                    elif w[i] == "symbols":
                        s["size"], i = ("symbols", w[i + 1], w[i + 2]), i + 3
                    elif w[i] == "record":
                        s["size"], i = ("record", w[i + 1]), i + 2
                    elif w[i] == "entry":
                        s["entries"].append(w[i + 1])
                        i += 2
                    elif w[i] == "recursion":
                        s["bound"], i = (w[i + 1], w[i + 2]), i + 3
                    elif w[i] == "code":
                        s["code"], i = (w[i + 1], w[i + 2]), i + 3
                    else:
                        raise NoBudget("table: unknown clause %s" % w[i])
                self.decl.append(s)
            elif w[0] == "calls":
                self.calls_decl[w[1]] = w[2:]
            elif w[0] == "config" and w[1] == "kernel":
                self.config["kernel"] = int(w[2])
            elif w[0] == "config" and w[1] == "task":
                self.config["tasks"].append((w[2], int(w[3]), int(w[4])))

    def func(self, name):
        fs = self.funcs.get(name)
        return fs[0] if fs else None

    def at(self, addr):
        """The function holding addr (the last starting at or below it)."""
        starts = [a for a in self.by_addr if a <= addr]
        return self.by_addr[max(starts)] if starts else None

    def resolved(self, f):
        """The targets of f's indirect calls the table names: those written in a declared
        function's source lines (the .ci's sites), or in an assembly function it names."""
        out = []
        for fn, targets in self.calls_decl.items():
            g = self.func(fn)
            loc = self.locs.get((g.cu, g.name)) if g else None
            if fn == f.name:
                out += targets
            elif loc:
                file, line = loc
                end = min([l for (fl, l) in self.locs.values() if fl == file and l > line] + [1 << 30])
                if any(cu == f.cu and caller == f.name and fl == file and line <= l < end
                       for cu, caller, fl, l in self.icalls):
                    out += targets
        return out

    # ---- the worst case --------------------------------------------------------------------------
    def worst(self, entries, hub=None, n=0, code=None):
        """The deepest sp below the stack's hi, or None when unbounded."""
        memo, active = {}, set()

        class Unbounded(Exception):
            pass

        def cost(f, seg, left):
            key = (f.name, f.addr, seg, left)
            if key in memo:
                return memo[key]
            if key in active:
                raise Unbounded()     # a cycle without its bound
            active.add(key)
            frame, dynamic = self.frame_of(f) if seg == 0 else (-f.segments[seg], False)
            if dynamic:
                raise Unbounded()
            best = frame
            is_c = seg == 0 and (f.cu, f.name) in self.frames
            decoded_agrees = -min(f.segments[0], 0) == frame
            for s, kind, target, depth in f.calls:
                if s != seg:
                    continue
                if kind == "ijump" and is_c:
                    continue          # a switch's jump table: every call through a pointer is in the .ci
                # C calls with its frame in place; a tail jump where the code says, if the code's
                # frame is the compiler's; assembly where its code says.
                at = frame if is_c and (kind != "tail" or not decoded_agrees) else depth
                if kind in ("icall", "ijump"):
                    callees = [self.func(n) for n in self.resolved(f)]
                    if not callees:
                        raise Unbounded()
                else:
                    callees = [self.at(target)]
                for g in callees:
                    if g is None:
                        raise Unbounded()
                    if code and not code[0] <= g.addr < code[1]:
                        continue      # a fetch outside the stack's code faults first
                    nl = left
                    if hub and g.name == hub:
                        if left == 0:
                            continue
                        nl = left - 1
                    best = max(best, at + cost(g, 0, nl))
            active.discard(key)
            memo[key] = best
            return best

        try:
            worst = 0
            for e in entries:
                f = self.func(e)
                seg = 1 if len(f.segments) > 1 else 0
                worst = max(worst, cost(f, seg, n - 1 if hub == e else n))
            return worst
        except Unbounded:
            return None

    def stacks(self, record):
        """Each stack's size and worst case: the record's kernel stack and tasks, then the
        table's own (v2: kstack, tasks[].stack, tasks[].depth)."""
        out = []
        sym = self.k.symbols
        for s in self.decl:
            code = (sym[s["code"][0]], sym[s["code"][1]]) if s["code"] else None
            kind = s["size"][0]
            if kind == "record" and s["size"][1] == "kernel":
                lo, hi = record["kernel stack"]
                out.append({"name": "kernel stack", "size": hi - lo, "reserve": 8, "task": 0,
                            "bound": self.worst(s["entries"], code=code)})
            elif kind == "record":
                for t in record["tasks"]:
                    lo, hi = t["stack"]
                    hub, n = (s["bound"][0], t["depth"] if s["bound"][1] == "depth" else int(s["bound"][1])) \
                        if s["bound"] else (None, 0)
                    out.append({"name": "task %d '%s'" % (t["id"], t["name"]), "size": hi - lo,
                                "reserve": 8, "task": t["id"], "bound": self.worst(s["entries"], hub, n, code)})
            else:
                size = s["size"][1] if kind == "bytes" else sym[s["size"][2]] - sym[s["size"][1]]
                out.append({"name": s["name"] + " stack", "size": size, "reserve": 0, "task": None,
                            "bound": self.worst(s["entries"], code=code)})
        return out
