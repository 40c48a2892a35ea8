"""corrupt.py: named corruptions of a real dump, for the invariants no kernel in
examples/violations/ can break (the record's header, what only a damaged dump shows) and for
the parts a reader must get right (sentinels, saved sps, chain links, the hart's sp).

CASES: (name, the invariant ids it must raise, the edits). An edit names a record field (its
offset comes from the kernel's debug info, through GDB: see record_offsets) or a stack's lo word
or the core's NT_PRSTATUS sp, and how to change it. `reseal`: the record's checksum is
recomputed afterwards, so the case breaks only what it names. tests/gdb/run.py applies each to
a copy of a real core and has `klayout check` and `inspector check` agree on it; tests/cases.py
counts them towards "every invariant has a case that breaks it".
"""
import struct
import zlib

# (record field, "set" | "add" | "xor", value) | ("lo-word", stack index, value) | ("hart-sp", "boot")
# | ("stack-word", stack index, offset from lo, value): stack 0 the kernel's, n task n
CASES = [
    ("magic", ["record.magic"], [("magic", "xor", 1)], False),
    ("version", ["record.version"], [("version", "set", 99)], False),
    ("size", ["record.size"], [("size", "set", 100)], False),
    ("checksum", ["record.checksum"], [("checksum", "xor", 1)], False),
    ("ram-hi", ["layout.ram"], [("ram.hi", "add", -0x1000)], True),
    ("padding-gap", ["layout.order"], [("padding.lo", "add", 0x100)], True),
    ("kstack-top", ["layout.kstack-top"], [("kstack.hi", "add", -0x10)], True),
    ("available", ["layout.available"], [("available", "add", -0x1000)], True),
    ("chain-link", ["layout.chain"], [("tasks[1].stack.hi", "add", 0x10)], True),
    ("build-id", ["elf.build-id"], [("build_id_size", "set", 0)], True),
    ("text-symbols", ["elf.regions"], [("text.hi", "add", -0x10)], True),
    ("sentinel", ["stack.lo-excluded"], [("lo-word", 0, 0)], False),
    # Every task's: the one running at the instant of a live case has a stale saved sp, not judged.
    ("saved-sp", ["stack.sp"], [("tasks[%d].saved_sp" % i, "add", 8) for i in range(3)], True),
    ("hart-sp", ["hart.sp"], [("hart-sp", "boot")], False),
    # A word written far below the deepest task 1's code can reach (not its lo word, nor the one
    # above it): its high-water exceeds its static worst case, which the analysis did not see.
    ("deep-write", ["stack.bound"], [("stack-word", 1, 16, 0x1234)], False),
]

# The scalar fields an edit may name, with their width (struct layout_record).
WIDTH = {"magic": 8, "version": 4, "size": 4, "checksum": 4, "generation": 4, "available": 8,
         "build_id": 1, "build_id_size": 4, "saved_sp": 8, "lo": 8, "hi": 8}

OFFSETS_PY = ("import gdb\n"
              "def _walk(t, base, name, out):\n"
              "    for f in t.fields():\n"
              "        n = (name + '.' if name else '') + f.name\n"
              "        out[n] = base + f.bitpos // 8\n"
              "        if f.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT:\n"
              "            _walk(f.type.strip_typedefs(), base + f.bitpos // 8, n, out)\n"
              "    return out\n"
              "o = _walk(gdb.lookup_type('struct layout_record'), 0, '', {})\n"
              "_walk(gdb.lookup_type('struct lr_task'), 0, 'task', o)\n"
              "o['task.size'] = gdb.lookup_type('struct lr_task').sizeof\n"
              "o['record.sizeof'] = gdb.lookup_type('struct layout_record').sizeof\n"
              "_walk(gdb.lookup_type('struct lr_publication'), 0, 'pub', o)\n"
              "o['pub.sizeof'] = gdb.lookup_type('struct lr_publication').sizeof\n"
              "print('OFFSETS ' + repr(o))\n")


def field_offset(offsets, name):
    """Offset in the record of "ram.hi" or "tasks[1].stack.hi"."""
    if name.startswith("tasks["):
        idx, rest = name[6:].split("]", 1)
        return offsets["tasks"] + int(idx) * offsets["task.size"] + offsets["task." + rest[1:]]
    return offsets[name]


def _segments(core):
    """(PT_LOAD: [(paddr, offset, filesz)], PT_NOTE: [(offset, filesz)]) of a 64-bit LE core."""
    phoff, = struct.unpack_from("<Q", core, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", core, 0x36)
    loads, notes = [], []
    for i in range(phnum):
        p_type, _flags, off, _vaddr, paddr, filesz = struct.unpack_from(
            "<IIQQQQ", core, phoff + i * phentsize)
        if p_type == 1:
            loads.append((paddr, off, filesz))
        elif p_type == 4:
            notes.append((off, filesz))
    return loads, notes


def file_offset(core, paddr):
    for lo, off, size in _segments(core)[0]:
        if lo <= paddr < lo + size:
            return off + paddr - lo
    raise ValueError("0x%x is not in the core" % paddr)


def prstatus_sp_offset(core, C):
    """File offset of the first NT_PRSTATUS's sp (include/harness.h: PRSTATUS_SP)."""
    for off, size in _segments(core)[1]:
        pos = off
        while pos + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", core, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            if ntype == C.CORE_NOTE_PRSTATUS and core[pos + 12:pos + 16] == b"CORE":
                return desc + C.PRSTATUS_SP
            pos = desc + ((descsz + 3) & ~3)
    raise ValueError("no NT_PRSTATUS in the core")


def reseal(core, rec_off, offsets):
    """The record's checksum recomputed as the kernel would (lr_checksum: CRC-32 of its size
    bytes, the checksum field read as 0)."""
    size, = struct.unpack_from("<I", core, rec_off + offsets["size"])
    at = offsets["checksum"]
    data = bytearray(core[rec_off:rec_off + size])
    data[at:at + 4] = bytes(4)
    struct.pack_into("<I", core, rec_off + at, zlib.crc32(bytes(data)) & 0xffffffff)


def published_copy(core, C, offsets):
    """File offset of the record copy the publication block at RECORD_ADDR names (version 2:
    docs/layout-record.md; copy 0 right after the block, copy 1 after it)."""
    published, = struct.unpack_from("<I", core, file_offset(core, C.RECORD_ADDR) + offsets["pub.published"])
    return file_offset(core, C.RECORD_ADDR + offsets["pub.sizeof"] + published * offsets["record.sizeof"])


def apply(core, case, offsets, C):
    """The case's edits on a bytearray holding a real core (C: the generated constants)."""
    _name, _ids, edits, sealed = case
    rec_off = published_copy(core, C, offsets)
    for e in edits:
        if e[0] in ("lo-word", "stack-word"):
            stack = "kstack.lo" if e[1] == 0 else "tasks[%d].stack.lo" % (e[1] - 1)
            lo, = struct.unpack_from("<Q", core, rec_off + field_offset(offsets, stack))
            at, value = (lo, e[2]) if e[0] == "lo-word" else (lo + e[2], e[3])
            struct.pack_into("<Q", core, file_offset(core, at), value)
            continue
        if e[0] == "hart-sp":
            boot_hi, = struct.unpack_from("<Q", core, rec_off + offsets["boot_stack.hi"])
            struct.pack_into("<Q", core, prstatus_sp_offset(core, C), boot_hi - 0x100)
            continue
        field, how, value = e
        at = rec_off + field_offset(offsets, field)
        width = WIDTH[field.rsplit(".", 1)[-1]]
        fmt = {1: "<B", 4: "<I", 8: "<Q"}[width]
        old, = struct.unpack_from(fmt, core, at)
        new = value if how == "set" else old + value if how == "add" else old ^ value
        struct.pack_into(fmt, core, at, new & ((1 << (8 * width)) - 1))
    if sealed:
        reseal(core, rec_off, offsets)


PUBLISHED = "record_area.copy[record_area.pub.published]"


def gdb_commands(case):
    """The case's edits as GDB commands on a live target (the published copy through the kernel's
    debug info). No reseal: live, record.checksum breaks as well, for the inspector and GDB alike."""
    out = []
    for e in case[2]:
        if e[0] in ("lo-word", "stack-word"):
            stack = PUBLISHED + (".kstack" if e[1] == 0 else ".tasks[%d].stack" % (e[1] - 1))
            off, value = (0, e[2]) if e[0] == "lo-word" else (e[2], e[3])
            out.append("set var *(unsigned long *)(%s.lo + %d) = %d" % (stack, off, value))
        elif e[0] == "hart-sp":
            out.append("set var $sp = %s.boot_stack.hi - 0x100" % PUBLISHED)
        else:
            field, how, value = e
            lv = PUBLISHED + "." + field + ("[0]" if field == "build_id" else "")
            op = {"set": "%s" % value, "add": "%s + (%d)" % (lv, value),
                  "xor": "%s ^ %d" % (lv, value)}[how]
            out.append("set var %s = %s" % (lv, op))
    return out
