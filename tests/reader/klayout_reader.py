#!/usr/bin/python3
"""klayout_reader.py: an independent second reader of kernel dumps, in Python with pyelftools.

    tests/reader/klayout_reader.py DUMP [--elf KERNEL] [--min-headroom PCT] [--base 0x80000000]

It shares no code with the C inspector: it decodes the layout record at RECORD_ADDR by the
offsets of docs/layout-record.md and evaluates the invariants itself, so tests/reader/
test_reader.py can hold the two readers against each other. stack.budget and stack.bound come
from its own static stack analysis (klayout_budget.py: binutils' disassembly, the .su/.ci files,
activations counted one by one). DUMP is a QEMU ELF core
(dump-guest-memory: PT_LOAD p_paddr, NT_PRSTATUS) or a raw RAM image (pmemsave) at --base;
the format is read from the content. Output, one JSON object on stdout:

    {"format": "elf-core"|"raw", "ram": {...}, "regions": [{name, lo, hi}], "stacks": [...],
     "verdicts": {id: "pass"|"fail"|"skip"}, "violations": [{id, source, ...}]}

Addresses are "0x%016x" strings, as the inspector writes them. Exit status: 0 every check holds,
1 a check failed, 2 the dump could not be used, 64 bad usage (the inspector's codes).
"""
import argparse
import json
import mmap
import os
import struct
import sys
import zlib

from elftools.elf.elffile import ELFFile
from elftools.common.exceptions import ELFError

import klayout_budget  # noqa: E402  (beside this file: the reader's own static stack analysis)

# ---- constants, as include/memlayout.h and include/layout_record.h define them --------------------
RAM_BASE = 0x80000000
RECORD_ADDR = 0x80100000
RECORD_SIZE = 0x4000
STACK_ALIGN = 16
LR_MAGIC = 0x44524F4359414C4B
LR_VERSION = 2
LR_MAX_TASKS = 64
LR_MAX_VIOLATIONS = 32
LR_NAME_LEN = 16
LR_SENTINEL = 0x57AC6E9D57AC6E9D
LR_PAINT = 0xAAAAAAAAAAAAAAAA
LR_TASK_RUNNING = 2
TASK_SIZE = 80
VIOLATION_SIZE = 48
TASKS_OFF = 320
VIOLATIONS_OFF = TASKS_OFF + LR_MAX_TASKS * TASK_SIZE          # 5440
RECORD_V2_SIZE = VIOLATIONS_OFF + LR_MAX_VIOLATIONS * VIOLATION_SIZE  # 6976
PUBLICATION_SIZE = 64      # the block at RECORD_ADDR; copy i at RECORD_ADDR + 64 + i * size

# LR_INVARIANTS, in order: the index is what record.violations[].invariant holds.
INVARIANTS = [
    "record.magic", "record.version", "record.size", "record.checksum", "record.generation",
    "layout.ram", "layout.order", "layout.kstack-top", "layout.chain", "layout.available",
    "image.untouched", "stack.lo-excluded", "stack.overflow", "stack.sp", "stack.headroom",
    "stack.refused", "task.access", "hart.sp", "elf.build-id", "elf.regions", "stack.budget",
    "stack.bound",
]

# The region fields of the record (docs/layout-record.md, "Regions"): offset, name as reported.
RANGE_FIELDS = [
    (64, "ram"), (80, "dtb"), (96, "text"), (112, "rodata"), (128, "data"), (144, "bss"),
    (160, "boot stack"), (176, "padding"), (192, "record"), (208, "task code"), (224, "free"),
    (240, "kernel stack"),
]
# The image regions as the ELF names them: record name, linker symbols, sections spanned.
ELF_REGIONS = [
    ("text", "_text_start", "_text_end", [".text"]),
    ("rodata", "_rodata_start", "_rodata_end", [".note.gnu.build-id", ".rodata"]),
    ("data", "_data_start", "_data_end", [".data"]),
    ("bss", "_bss_start", "_bss_end", [".bss"]),
    ("boot stack", "_boot_stack_start", "_boot_stack_end", [".bootstack"]),
]
IMAGE_REGIONS = ("text", "rodata", "data", "bss", "boot stack")

PRSTATUS_PR_REG = 112   # riscv64 elf_prstatus: pr_reg (pc, ra, sp, ...) at this offset
NT_PRSTATUS = 1


def hexa(v):
    return "0x%016x" % v


class Unusable(Exception):
    """The dump or the ELF cannot be used at all (exit 2)."""


# ---- the dump ----------------------------------------------------------------------------------
class Dump:
    """Physical memory from an ELF core or a raw image, read through one private mapping."""

    def __init__(self, path, base=RAM_BASE):
        self.path = path
        self.harts = []          # (pc, sp) per NT_PRSTATUS, ELF cores only
        self.segments = []       # (paddr, file offset, size)
        try:
            self.file = open(path, "rb")
            size = os.fstat(self.file.fileno()).st_size
        except OSError as e:
            raise Unusable("'%s': %s" % (path, e.strerror))
        if size == 0:
            raise Unusable("'%s': empty file" % path)
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        if self.map[:4] == b"\x7fELF":
            self.format = "elf-core"
            self._read_core()
        else:
            self.format = "raw"
            self.segments.append((base, 0, size))

    def _read_core(self):
        try:
            elf = ELFFile(self.file)
            if elf["e_type"] != "ET_CORE":
                raise Unusable("'%s': an ELF file, but not a core (%s)" % (self.path, elf["e_type"]))
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                    if seg["p_offset"] + seg["p_filesz"] > len(self.map):
                        raise Unusable("'%s': truncated PT_LOAD at offset 0x%x"
                                       % (self.path, seg["p_offset"]))
                    self.segments.append((seg["p_paddr"], seg["p_offset"], seg["p_filesz"]))
                elif seg["p_type"] == "PT_NOTE":
                    for note in seg.iter_notes():
                        if note["n_name"] == "CORE" and note["n_type"] in ("NT_PRSTATUS", NT_PRSTATUS):
                            self.harts.append(self._prstatus(note))
        except ELFError as e:
            raise Unusable("'%s': %s" % (self.path, e))

    def _prstatus(self, note):
        """(pc, sp) of one hart. pyelftools has no riscv prstatus layout, so the descriptor is
        read from the file at its offset: pr_reg at 112 holds pc, ra, sp."""
        desc_off = note["n_offset"] + 12 + ((note["n_namesz"] + 3) & ~3)
        pc, _ra, sp = struct.unpack_from("<3Q", self.map, desc_off + PRSTATUS_PR_REG)
        return pc, sp

    def segment_at(self, addr):
        for paddr, off, size in self.segments:
            if paddr <= addr < paddr + size:
                return paddr, off, size
        return None

    def read(self, addr, length):
        """The bytes [addr, addr + length), or None when not all of them are in the dump."""
        seg = self.segment_at(addr)
        if seg is None or addr + length > seg[0] + seg[2]:
            return None
        start = seg[1] + addr - seg[0]
        return self.map[start:start + length]

    def u64(self, addr):
        b = self.read(addr, 8)
        return None if b is None else struct.unpack("<Q", b)[0]


# ---- the kernel ELF ------------------------------------------------------------------------------
class Kernel:
    def __init__(self, path):
        self.path = path
        try:
            self.file = open(path, "rb")
            self.elf = ELFFile(self.file)
            self.sections = {s.name: s for s in self.elf.iter_sections()}
            symtab = self.elf.get_section_by_name(".symtab")
            self.symbols = {}
            if symtab is not None:
                for sym in symtab.iter_symbols():
                    if sym.name:
                        self.symbols.setdefault(sym.name, sym["st_value"])
            self.build_id = self._build_id()
        except OSError as e:
            raise Unusable("'%s': %s" % (path, e.strerror))
        except ELFError as e:
            raise Unusable("'%s': %s" % (path, e))

    def _build_id(self):
        sec = self.sections.get(".note.gnu.build-id")
        if sec is None:
            return None
        for note in sec.iter_notes():
            if note["n_type"] == "NT_GNU_BUILD_ID":
                return bytes.fromhex(note["n_desc"])
        return None

    def section_range(self, name):
        s = self.sections.get(name)
        return None if s is None else (s["sh_addr"], s["sh_addr"] + s["sh_size"])

    def section_bytes(self, name):
        s = self.sections.get(name)
        if s is None or s["sh_type"] == "SHT_NOBITS":
            return None
        return s.data()


# ---- the record ----------------------------------------------------------------------------------
def decode_record(raw):
    """The record's fields by the documented offsets (docs/layout-record.md)."""
    r = {}
    (r["magic"], r["version"], r["size"], r["checksum"], r["generation"], r["flags"],
     r["build_id_size"]) = struct.unpack_from("<QIIIIII", raw, 0)
    r["build_id"] = bytes(raw[32:64])
    for off, name in RANGE_FIELDS:
        r[name] = struct.unpack_from("<QQ", raw, off)
    (r["available"], r["kernel_sp"], r["sentinel"], r["paint"]) = struct.unpack_from("<4Q", raw, 256)
    (r["image_crc"], r["current"], r["task_count"], r["task_max"], r["violation_count"],
     r["violation_max"], r["tick_us"], r["pmp_entries"]) = struct.unpack_from("<8I", raw, 288)
    r["tasks"] = []
    for i in range(min(r["task_count"], LR_MAX_TASKS)):
        off = TASKS_OFF + i * TASK_SIZE
        (lo, hi, sp, _pc, _ctx, tid, state, depth, reached, switches,
         _preempted) = struct.unpack_from("<5Q6I", raw, off)
        name = bytes(raw[off + 64:off + 80]).split(b"\0", 1)[0].decode("ascii", "replace")
        r["tasks"].append({"stack": (lo, hi), "saved_sp": sp, "id": tid, "state": state,
                           "depth": depth, "depth_reached": reached, "switches": switches,
                           "name": name})
    r["violations"] = []
    for i in range(min(r["violation_count"], LR_MAX_VIOLATIONS)):
        inv, owner, addr, expected, found, pc, cause = struct.unpack_from(
            "<IIQQQQI", raw, VIOLATIONS_OFF + i * VIOLATION_SIZE)
        r["violations"].append({"invariant": inv, "owner": owner, "addr": addr,
                                "expected": expected, "found": found, "pc": pc, "cause": cause})
    return r


def task_owner(t):
    return "task %d '%s'" % (t["id"], t["name"])


def regions_of(r):
    """The record's regions from low to high, as the design document draws them."""
    out = [(name, r[name]) for _, name in RANGE_FIELDS
           if name not in ("ram", "dtb", "kernel stack")]
    # The record's area is followed by the task code, then free (docs/layout-record.md).
    out += [(task_owner(t), t["stack"]) for t in reversed(r["tasks"])]
    out.append(("kernel stack", r["kernel stack"]))
    return out


# ---- the checks ----------------------------------------------------------------------------------
class Checker:
    def __init__(self, dump, kernel=None, min_headroom=None):
        self.d, self.k, self.min_headroom = dump, kernel, min_headroom
        self.verdicts = {}
        self.skip_reasons = {}
        self.violations = []
        self.r = None
        self.stacks = []

    def passed(self, inv):
        self.verdicts.setdefault(inv, "pass")

    def skip(self, inv, why):
        self.verdicts.setdefault(inv, "skip")
        self.skip_reasons.setdefault(inv, why)

    def fail(self, inv, where, addr, expected, found, source="reader"):
        self.verdicts[inv] = "fail"
        self.violations.append({"id": inv, "region": where, "addr": hexa(addr),
                                "expected": expected, "found": found, "source": source})

    def run(self):
        # Version 2: the publication block names the complete copy (docs/layout-record.md).
        self.pub = self.d.read(RECORD_ADDR, PUBLICATION_SIZE)
        if self.pub is None:
            raise Unusable("'%s': no RAM at the record's address 0x%x" % (self.d.path, RECORD_ADDR))
        published = struct.unpack_from("<I", self.pub, 16)[0]
        self.copy_addr = RECORD_ADDR + PUBLICATION_SIZE + (published & 1) * RECORD_V2_SIZE
        raw = self.d.read(self.copy_addr, RECORD_V2_SIZE)
        if raw is None:
            raise Unusable("'%s': no RAM at the record's copy 0x%x" % (self.d.path, self.copy_addr))
        if not self.check_header(self.pub) or published > 1:
            if published > 1:
                self.fail("record.size", "record", RECORD_ADDR + 16, "a copy 0 or 1", str(published))
                for inv in INVARIANTS:
                    self.skip(inv, "record header unusable")
            for inv in INVARIANTS:
                self.skip(inv, "no usable record")
            return
        self.r = decode_record(raw)
        self.measure_stacks()
        self.check_record(raw)
        self.check_layout()
        self.check_image()
        self.check_stacks()
        self.check_hart()
        self.check_elf()
        self.check_budget()
        self.kernel_violations()

    # record.*
    def check_header(self, raw):
        magic, version, size = struct.unpack_from("<QII", raw, 0)
        ok = True
        if magic != LR_MAGIC:
            self.fail("record.magic", "record", RECORD_ADDR, hexa(LR_MAGIC), hexa(magic))
            return False
        self.passed("record.magic")
        if version != LR_VERSION:
            self.fail("record.version", "record", RECORD_ADDR + 8, str(LR_VERSION), str(version))
            ok = False
        else:
            self.passed("record.version")
        if size != RECORD_V2_SIZE:
            self.fail("record.size", "record", RECORD_ADDR + 12, str(RECORD_V2_SIZE), str(size))
            ok = False
        else:
            self.passed("record.size")
        if not ok:
            for inv in INVARIANTS:
                self.skip(inv, "record header unusable")
        return ok

    def check_record(self, raw):
        r = self.r
        want = zlib.crc32(bytes(raw[:16]) + b"\0\0\0\0" + bytes(raw[20:RECORD_V2_SIZE]))
        if r["generation"] & 1:
            # Mid-update the checksum is stale by design: record.generation says so.
            self.skip("record.checksum", "the record is being updated (odd generation)")
        elif want != r["checksum"]:
            self.fail("record.checksum", "record", self.copy_addr + 16, "0x%08x" % want,
                      "0x%08x" % r["checksum"])
        self.passed("record.checksum")
        # An update in progress began at the current heartbeat; one begun earlier was abandoned.
        generation, heartbeat, pending_since = struct.unpack_from("<IQQ", self.pub, 20)
        if r["generation"] & 1:
            self.fail("record.generation", "record", self.copy_addr + 20, "even",
                      str(r["generation"]))
        elif generation & 1 and heartbeat != pending_since:
            self.fail("record.generation", "record", RECORD_ADDR + 20, "an update within one tick",
                      "pending since tick %d, now tick %d" % (pending_since, heartbeat))
        self.passed("record.generation")

    # layout.*
    def check_layout(self):
        r = self.r
        seg = self.d.segment_at(RECORD_ADDR)
        ram = (seg[0], seg[0] + seg[2])
        if tuple(r["ram"]) != ram:
            self.fail("layout.ram", "ram", r["ram"][0], "[%s, %s)" % tuple(map(hexa, ram)),
                      "[%s, %s)" % tuple(map(hexa, r["ram"])))
        self.passed("layout.ram")

        # Order: each region inside RAM, not inverted, starting where the previous one ended.
        # Inside the image (text .. boot stack) the linker may leave alignment gaps (< 16 bytes).
        lo_ram, hi_ram = r["ram"]
        # Between two stacks the order is layout.chain's (docs/inspector.md): not judged twice.
        prev_name, prev_hi = "start of RAM", lo_ram
        is_stack = lambda n: n == "kernel stack" or n.startswith("task ")
        for name, (lo, hi) in regions_of(r):
            if lo > hi or lo < lo_ram or hi > hi_ram:
                self.fail("layout.order", name, lo, "inside [%s, %s)" % (hexa(lo_ram), hexa(hi_ram)),
                          "[%s, %s)" % (hexa(lo), hexa(hi)))
            elif is_stack(name) and is_stack(prev_name):
                pass
            elif lo != prev_hi and not (name in IMAGE_REGIONS and prev_hi <= lo < prev_hi + STACK_ALIGN):
                self.fail("layout.order", name, lo, "lo %s (%s hi)" % (hexa(prev_hi), prev_name),
                          hexa(lo))
            prev_name, prev_hi = name, hi
        if prev_hi != hi_ram:
            self.fail("layout.order", "kernel stack", prev_hi, hexa(hi_ram), hexa(prev_hi))
        self.passed("layout.order")

        ks = r["kernel stack"]
        if ks[1] != hi_ram:
            self.fail("layout.kstack-top", "kernel stack", ks[1], hexa(hi_ram), hexa(ks[1]))
        self.passed("layout.kstack-top")

        above = ("kernel stack", ks)
        for n, t in enumerate(r["tasks"], 1):
            if t["id"] != n:
                self.fail("layout.chain", task_owner(t), t["stack"][1], "id %d" % n, "id %d" % t["id"])
            if t["stack"][1] != above[1][0]:
                self.fail("layout.chain", task_owner(t), t["stack"][1],
                          "%s (%s lo)" % (hexa(above[1][0]), above[0]), hexa(t["stack"][1]))
            above = (task_owner(t), t["stack"])
        self.passed("layout.chain")

        if r["available"] != above[1][0]:
            self.fail("layout.available", above[0], r["available"], hexa(above[1][0]),
                      hexa(r["available"]))
        self.passed("layout.available")

    # image.untouched
    def check_image(self):
        r = self.r
        lo, hi = r["text"][0], r["rodata"][1]
        image = self.d.read(lo, hi - lo) if hi >= lo else None
        if image is None:
            self.skip("image.untouched", "the image is not in the dump")
            return
        crc = zlib.crc32(image)
        if crc != r["image_crc"]:
            self.fail("image.untouched", "text", lo, "0x%08x" % r["image_crc"], "0x%08x" % crc)
        if self.k:
            for name in (".text", ".note.gnu.build-id", ".rodata", ".srodata"):
                sec = self.k.sections.get(name)
                data = self.k.section_bytes(name)
                if sec is None or data is None or not data:
                    continue
                here = self.d.read(sec["sh_addr"], len(data))
                if here is None:
                    self.fail("image.untouched", name, sec["sh_addr"], "the ELF's bytes",
                              "not in the dump")
                elif here != data:
                    at = next(i for i in range(len(data)) if here[i] != data[i])
                    self.fail("image.untouched", name, sec["sh_addr"] + at,
                              "0x%02x (ELF)" % data[at], "0x%02x" % here[at])
        self.passed("image.untouched")

    # stack.*
    def measure_stacks(self):
        r = self.r
        ks = {"owner": "kernel stack", "id": 0, "name": "kernel", "range": r["kernel stack"],
              "saved_sp": r["kernel_sp"], "running": r["current"] == 0}
        self.stacks = [ks] + [
            {"owner": task_owner(t), "id": t["id"], "name": t["name"], "range": t["stack"],
             "saved_sp": t["saved_sp"], "running": t["state"] == LR_TASK_RUNNING and r["current"] == t["id"]}
            for t in r["tasks"]]
        for s in self.stacks:
            lo, hi = s["range"]
            s["lo_word"] = self.d.u64(lo)
            s["lo_next"] = self.d.u64(lo + 8)
            s["high_water"] = None
            mem = self.d.read(lo, hi - lo) if hi > lo else None
            if mem is not None:
                paint = struct.pack("<Q", r["paint"])
                off = 8
                # The first word above lo that is not paint: scan 8-byte words from lo + 8.
                while off + 8 <= len(mem) and mem[off:off + 8] == paint:
                    off += 8
                s["high_water"] = len(mem) - off

    def check_stacks(self):
        r = self.r
        sentinel = LR_SENTINEL
        if r["sentinel"] != LR_SENTINEL:
            self.fail("stack.lo-excluded", "record", self.copy_addr + 272, hexa(LR_SENTINEL),
                      hexa(r["sentinel"]))
        for s in self.stacks:
            lo, hi = s["range"]
            sp = s["saved_sp"]
            if s["lo_word"] is None:
                self.skip("stack.lo-excluded", "a stack is not in the dump")
                continue
            broken = s["lo_word"] != sentinel
            if broken:
                self.fail("stack.lo-excluded", s["owner"], lo, hexa(sentinel), hexa(s["lo_word"]))
            # Overflow: the saved sp went below lo (docs/inspector.md; at lo exactly, the frame
            # begins on the excluded word: stack.lo-excluded and stack.sp say so), or lo was
            # written and the word above it (the lowest usable one, painted at allocation) was used
            # too. An sp below lo but in the image or the record is foreign (stack.sp), not an overflow.
            if r["record"][1] <= sp < lo:
                self.fail("stack.overflow", s["owner"], sp, "sp above %s" % hexa(lo), hexa(sp))
            elif broken and s["lo_next"] is not None and s["lo_next"] != r["paint"]:
                self.fail("stack.overflow", s["owner"], lo + 8, hexa(r["paint"]), hexa(s["lo_next"]))
            # Saved sp: for every task not on the hart, and the kernel's sp saved at halt.
            if not s["running"] or s["id"] == 0:
                if not (lo < sp <= hi) or sp % STACK_ALIGN:
                    self.fail("stack.sp", s["owner"], sp,
                              "in (%s, %s], 16-aligned" % (hexa(lo), hexa(hi)), hexa(sp))
        for inv in ("stack.lo-excluded", "stack.overflow", "stack.sp"):
            self.passed(inv)
        if self.min_headroom is None:
            self.skip("stack.headroom", "no --min-headroom given")
        else:
            for s in self.stacks:
                size = s["range"][1] - s["range"][0]
                if s["high_water"] is None or size == 0:
                    continue
                pct = (size - s["high_water"]) * 100 // size
                if pct < self.min_headroom:
                    self.fail("stack.headroom", s["owner"], s["range"][0],
                              ">= %d%%" % self.min_headroom, "%d%%" % pct)
            self.passed("stack.headroom")
        # stack.refused is the kernel's to report (record.violations); none means it holds.
        self.passed("stack.refused")
        self.passed("task.access")

    # hart.sp
    def check_hart(self):
        if self.d.format != "elf-core" or not self.d.harts:
            self.skip("hart.sp", "raw dumps hold no registers")
            return
        for n, (pc, sp) in enumerate(self.d.harts):
            owner = next((s["owner"] for s in self.stacks
                          if s["range"][0] < sp <= s["range"][1]), None)
            if owner is None:
                self.fail("hart.sp", "hart %d" % n, sp, "in the kernel stack or a task stack",
                          hexa(sp))
        self.passed("hart.sp")

    # elf.*
    def check_elf(self):
        if self.k is None:
            self.skip("elf.build-id", "no --elf given")
            self.skip("elf.regions", "no --elf given")
            return
        r = self.r
        mine = r["build_id"][:min(r["build_id_size"], 32)]
        if self.k.build_id is None or mine != self.k.build_id:
            self.fail("elf.build-id", "rodata", self.copy_addr + 32,
                      self.k.build_id.hex() if self.k.build_id else "an ELF build ID",
                      mine.hex())
        self.passed("elf.build-id")
        for name, sym_lo, sym_hi, secs in ELF_REGIONS:
            rec = tuple(r[name])
            if sym_lo in self.k.symbols and sym_hi in self.k.symbols:
                by_sym = (self.k.symbols[sym_lo], self.k.symbols[sym_hi])
                if by_sym != rec:
                    self.fail("elf.regions", name, rec[0], "[%s, %s) (%s..%s)"
                              % (hexa(by_sym[0]), hexa(by_sym[1]), sym_lo, sym_hi),
                              "[%s, %s)" % (hexa(rec[0]), hexa(rec[1])))
            else:
                self.fail("elf.regions", name, rec[0], "symbols %s, %s" % (sym_lo, sym_hi), "absent")
            ranges = [self.k.section_range(s) for s in secs]
            ranges = [g for g in ranges if g is not None and g[1] > g[0]]
            if ranges:
                lo, hi = min(g[0] for g in ranges), max(g[1] for g in ranges)
                # Sections are the bytes; the symbols round up to 16: the record must cover them.
                if not (rec[0] <= lo and hi <= rec[1] and lo - rec[0] < STACK_ALIGN
                        and rec[1] - hi < STACK_ALIGN):
                    self.fail("elf.regions", name, rec[0], "[%s, %s) (%s)"
                              % (hexa(lo), hexa(hi), " ".join(secs)),
                              "[%s, %s)" % (hexa(rec[0]), hexa(rec[1])))
        for what, field, at, sym in (("padding.lo", "padding", 0, "_image_end"),
                                     ("record.lo", "record", 0, "_record_start"),
                                     ("record.hi", "record", 1, "_record_end"),
                                     ("task_code.lo", "task code", 0, "_task_code_start"),
                                     ("task_code.hi", "task code", 1, "_task_code_end")):
            if self.k.symbols.get(sym) != r[field][at]:
                self.fail("elf.regions", field, r[field][at], "%s (%s)" % (
                    hexa(self.k.symbols[sym]) if sym in self.k.symbols else "absent", sym),
                    hexa(r[field][at]))
        self.passed("elf.regions")

    # stack.budget, stack.bound: the reader's own analysis (klayout_budget.py) of the ELF
    def check_budget(self):
        if not self.k:
            for inv in ("stack.budget", "stack.bound"):
                self.skip(inv, "no --elf given")
            return
        try:
            stacks = klayout_budget.Budget(self.k).stacks(self.r)
        except klayout_budget.NoBudget as e:
            for inv in ("stack.budget", "stack.bound"):
                self.skip(inv, str(e))
            return
        for s in stacks:
            if s["bound"] is None or s["size"] < s["bound"] + s["reserve"]:
                self.fail("stack.budget", s["name"], 0, "a size of its static worst case and more",
                          "%d bytes, worst case %s" % (s["size"], s["bound"]))
        self.passed("stack.budget")
        judged = 0
        for s in stacks:
            m = next((x for x in self.stacks if s["task"] is not None and x["id"] == s["task"]), None)
            if m is None or s["bound"] is None or m["high_water"] is None:
                continue
            judged += 1
            if m["high_water"] > s["bound"]:
                lo, hi = m["range"]
                self.fail("stack.bound", m["owner"], hi - m["high_water"], "high-water <= %d" % s["bound"],
                          "high-water %d" % m["high_water"])
        if judged:
            self.passed("stack.bound")
        else:
            self.skip("stack.bound", "no stack with a static worst case and its paint")

    def kernel_violations(self):
        for v in self.r["violations"]:
            # An id this reader does not know means a newer record: record.version (as the inspector).
            inv = INVARIANTS[v["invariant"]] if v["invariant"] < len(INVARIANTS) else "record.version"
            owner = "kernel" if v["owner"] == 0 else next(
                (task_owner(t) for t in self.r["tasks"] if t["id"] == v["owner"]),
                "task %d" % v["owner"])
            self.fail(inv, owner, v["addr"], hexa(v["expected"]), hexa(v["found"]), source="kernel")

    def result(self):
        ram = self.d.segment_at(RECORD_ADDR)
        out = {
            "format": self.d.format,
            "ram": {"lo": hexa(ram[0]), "hi": hexa(ram[0] + ram[2])} if ram else None,
            "regions": [],
            "stacks": [],
            "verdicts": {inv: self.verdicts.get(inv, "skip") for inv in INVARIANTS},
            "violations": self.violations,
        }
        if self.r:
            out["regions"] = [{"name": n, "lo": hexa(lo), "hi": hexa(hi)}
                              for n, (lo, hi) in regions_of(self.r)]
            out["stacks"] = [{"owner": s["owner"], "id": s["id"], "name": s["name"],
                              "lo": hexa(s["range"][0]), "hi": hexa(s["range"][1]),
                              "saved_sp": hexa(s["saved_sp"]), "high_water": s["high_water"],
                              "sentinel_ok": s["lo_word"] == LR_SENTINEL}
                             for s in self.stacks]
            out["kernel_violations"] = {"seen": self.r["violation_count"],
                                        "kept": len(self.r["violations"])}
        if self.d.harts:
            out["harts"] = [{"pc": hexa(pc), "sp": hexa(sp)} for pc, sp in self.d.harts]
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump")
    ap.add_argument("--elf", help="the kernel ELF: build ID, sections and symbols, image bytes")
    ap.add_argument("--min-headroom", type=int, help="percent every stack must keep unused")
    ap.add_argument("--base", type=lambda s: int(s, 0), default=RAM_BASE,
                    help="physical address of a raw dump's first byte (default 0x80000000)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 64 if e.code else 0
    try:
        dump = Dump(a.dump, a.base)
        kernel = Kernel(a.elf) if a.elf else None
        c = Checker(dump, kernel, a.min_headroom)
        c.run()
    except Unusable as e:
        print("klayout_reader: %s" % e, file=sys.stderr)
        return 2
    res = c.result()
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if "fail" in res["verdicts"].values() else 0


if __name__ == "__main__":
    sys.exit(main())
