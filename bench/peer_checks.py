"""peer_checks.py: the inspector's checks, written once for the benchmark's peers.

bench/drgn_check.py and bench/gdb_check.py each read the dump through their own tool (drgn's
core-dump reader or GDB's core-file target, both with the kernel's debug info) and hand this
module a backend; the checks here are plain Python over a few small reads, so what the
benchmark compares is the cost of each tool's way in: opening the dump, loading debug info,
reading the record and the stacks.

A backend has:
    rec        the record as a dict of ints, decoded through the tool's debug info
               (ranges as (lo, hi); tasks: list of dicts; violations: list of dicts)
    raw        the record's bytes, sizeof(struct layout_record) of them from the debug info
    ram        (lo, hi) of the dump's RAM segment holding the record
    read(addr, n) -> bytes
    sym(name) -> int or None
    hart_sp    the hart's sp from the core's NT_PRSTATUS, or None when the tool cannot say
    elf_build_id  bytes, or None when the tool cannot say
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import kbuild  # noqa: E402

C = kbuild.constants()     # from the C headers, through the preprocessor

INVARIANTS = [inv_id for _name, inv_id, _text in C.INVARIANTS]
IMAGE = [("text", "_text_start", "_text_end"), ("rodata", "_rodata_start", "_rodata_end"),
         ("data", "_data_start", "_data_end"), ("bss", "_bss_start", "_bss_end"),
         ("boot_stack", "_boot_stack_start", "_boot_stack_end")]
ORDER = ["text", "rodata", "data", "bss", "boot_stack", "padding", "record", "task_code", "free"]


def run(b):
    """Every check; returns {id: "pass"|"fail"|"skip"}."""
    v = {}

    def res(inv, ok):
        v[inv] = "pass" if ok else "fail"

    r = b.rec
    res("record.magic", r["magic"] == C.LR_MAGIC)
    res("record.version", r["version"] == C.LR_VERSION)
    res("record.size", r["size"] == len(b.raw))
    if "fail" in v.values():
        return {i: v.get(i, "skip") for i in INVARIANTS}
    raw = b.raw
    if r["generation"] % 2 == 0:
        res("record.checksum", zlib.crc32(raw[:16] + b"\0" * 4 + raw[20:]) == r["checksum"])
    res("record.generation", r["generation"] % 2 == 0)

    res("layout.ram", tuple(r["ram"]) == tuple(b.ram))
    regions = [r[n] for n in ORDER] + [t["stack"] for t in reversed(r["tasks"])] + [r["kstack"]]
    ok, prev = True, r["ram"][0]
    for i, (lo, hi) in enumerate(regions):
        image = i < 5
        if lo > hi or lo < r["ram"][0] or hi > r["ram"][1]:
            ok = False
        elif i > len(ORDER):
            pass                               # stack after stack: layout.chain judges that
        elif lo != prev and not (image and prev <= lo < prev + 16):
            ok = False
        prev = hi
    res("layout.order", ok and prev == r["ram"][1])
    res("layout.kstack-top", r["kstack"][1] == r["ram"][1])
    above, ok = r["kstack"], True
    for t in r["tasks"]:
        ok = ok and t["stack"][1] == above[0]
        above = t["stack"]
    res("layout.chain", ok)
    res("layout.available", r["available"] == above[0])

    lo, hi = r["text"][0], r["rodata"][1]
    res("image.untouched", zlib.crc32(b.read(lo, hi - lo)) == r["image_crc"])

    stacks = [(0, r["kstack"], r["kernel_sp"], False)] + [
        (t["id"], t["stack"], t["saved_sp"], t["state"] == 2 and r["current"] == t["id"])
        for t in r["tasks"]]
    lo_ok = over_ok = sp_ok = True
    paint = struct.pack("<Q", r["paint"])
    for _id, (lo, hi), sp, running in stacks:
        mem = b.read(lo, hi - lo)              # the whole stack, as the high-water scan needs
        lo_word, next_word = struct.unpack_from("<QQ", mem, 0)
        off = 8
        while off + 8 <= len(mem) and mem[off:off + 8] == paint:
            off += 8
        broken = lo_word != r["sentinel"]
        lo_ok = lo_ok and not broken
        over_ok = over_ok and not (r["record"][1] <= sp <= lo or (broken and next_word != r["paint"]))
        if not running:
            sp_ok = sp_ok and lo < sp <= hi and sp % 16 == 0
    res("stack.lo-excluded", lo_ok)
    res("stack.overflow", over_ok)
    res("stack.sp", sp_ok)
    v["stack.headroom"] = "skip"
    res("stack.refused", True)
    if b.hart_sp is None:
        v["hart.sp"] = "skip"
    else:
        res("hart.sp", any(lo < b.hart_sp <= hi for _i, (lo, hi), _s, _r in stacks))
    if b.elf_build_id is None:
        v["elf.build-id"] = "skip"
    else:
        res("elf.build-id", bytes(r["build_id"][:r["build_id_size"]]) == b.elf_build_id)
    res("elf.regions", all((b.sym(s), b.sym(e)) == tuple(r[n]) for n, s, e in IMAGE))

    for k in r["violations"]:
        if k["invariant"] < len(INVARIANTS):
            v[INVARIANTS[k["invariant"]]] = "fail"
    return {i: v.get(i, "skip") for i in INVARIANTS}


def summary(tool, verdicts):
    failed = [i for i in INVARIANTS if verdicts[i] == "fail"]
    skipped = [i for i in INVARIANTS if verdicts[i] == "skip"]
    return "%s: %d checks, failed: %s; skipped: %s" % (
        tool, len(INVARIANTS) - len(skipped), " ".join(failed) or "none", " ".join(skipped) or "none")


def from_value(root, field, to_int):
    """The record as a dict, walked through the tool's typed value of `layout_record` (drgn's
    Object, GDB's Value): field(v, name) and v[i] step, to_int(v) reads a scalar, so both
    tools pay for typed access to every field they use."""
    import re
    step = re.compile(r"(\w+)(?:\[(\d+)\])?")

    def get(path):
        v = root
        for part in path.split("."):
            name, idx = step.fullmatch(part).groups()
            v = field(v, name)
            if idx is not None:
                v = v[int(idx)]
        return to_int(v)

    rec = {}
    for f in ("magic", "version", "size", "checksum", "generation", "flags", "build_id_size",
              "available", "kernel_sp", "sentinel", "paint", "image_crc", "current",
              "task_count", "violation_count"):
        rec[f] = get(f)
    rec["build_id"] = bytes(get("build_id[%d]" % i) for i in range(32))
    for f in ("ram", "dtb", "text", "rodata", "data", "bss", "boot_stack", "padding", "record",
              "task_code", "free", "kstack"):
        rec[f] = (get(f + ".lo"), get(f + ".hi"))
    rec["tasks"] = []
    for i in range(min(rec["task_count"], 64)):
        p = "tasks[%d]." % i
        rec["tasks"].append({"stack": (get(p + "stack.lo"), get(p + "stack.hi")),
                             "saved_sp": get(p + "saved_sp"), "id": get(p + "id"),
                             "state": get(p + "state")})
    rec["violations"] = [{"invariant": get("violations[%d].invariant" % i)}
                         for i in range(min(rec["violation_count"], 32))]
    return rec
