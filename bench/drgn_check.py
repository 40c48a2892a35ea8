#!/usr/bin/python3
"""drgn_check.py DUMP KERNEL: the benchmark's drgn peer: the inspector's checks through drgn.

An ELF core is opened with drgn's own core-dump reader (Program.set_core_dump); a raw RAM image
(no ELF header) is given to drgn as one physical+virtual memory segment at 0x80000000 read from
the file (Program.add_memory_segment). The record is read through the kernel's debug info
(prog['record_area'], its published copy), the image and every stack through prog.read(). drgn cannot unwind
RISC-V cores, so the hart's sp comes from the thread's NT_PRSTATUS (pr_reg at 112: pc, ra, sp)
where drgn offers Thread.prstatus() (not in Debian's 0.0.22: hart.sp is skipped there).
The build ID is the note at _build_id_note as the dump holds it (drgn exposes no ELF section
data). Prints one summary line; exit 1 when a check fails.
"""
import mmap
import os
import struct
import sys

import drgn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_checks  # noqa: E402

RAM_BASE = peer_checks.C.RAM_BASE


class Backend:
    def __init__(self, dump, kernel):
        f = open(dump, "rb")
        self.is_core = f.read(4) == b"\x7fELF"
        if self.is_core:
            prog = drgn.Program()
            prog.set_core_dump(dump)
        else:
            prog = drgn.Program(drgn.Platform(drgn.Architecture.RISCV64,
                                              drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN))
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            size = len(m)
            reader = lambda addr, count, offset, physical: m[offset:offset + count]
            prog.add_memory_segment(RAM_BASE, size, reader, False)
            prog.add_memory_segment(RAM_BASE, size, reader, True)
        prog.load_debug_info([kernel])
        self.prog = prog
        area = prog["record_area"]            # record v2: the copy the block publishes
        lr = area.copy[area.pub.published.value_()]
        self.raw_addr = lr.address_
        self.rec = peer_checks.from_value(lr, lambda v, n: v.member_(n), lambda v: v.value_())
        self.raw = prog.read(lr.address_, drgn.sizeof(lr))
        self.ram = self._ram(dump)
        self.hart_sp = self._hart_sp()
        note = prog.symbol("_build_id_note").address
        namesz, descsz = struct.unpack("<II", prog.read(note, 8))
        self.elf_build_id = prog.read(note + 12 + ((namesz + 3) & ~3), descsz)

    def _hart_sp(self):
        # Thread.prstatus() came in a later drgn; 0.0.22 cannot unwind a RISC-V core either,
        # so hart.sp is skipped there.
        if not self.is_core:
            return None
        try:
            pr = self.prog.crashed_thread().prstatus()
        except (AttributeError, ValueError, LookupError):
            return None
        return struct.unpack_from("<Q", pr, 112 + 16)[0]

    def _ram(self, dump):
        # drgn says nothing about segment bounds: the RAM is what answers reads. A core's
        # PT_LOAD covering the record comes from its program headers, read here directly.
        if not self.is_core:
            return (RAM_BASE, RAM_BASE + os.path.getsize(dump))
        with open(dump, "rb") as f:
            h = f.read(64)
            phoff, = struct.unpack_from("<Q", h, 32)
            phentsize, phnum = struct.unpack_from("<HH", h, 54)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
        for i in range(phnum):
            p_type, _fl, _off, _va, pa, fsz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
            if p_type == 1 and pa <= self.raw_addr < pa + fsz:
                return (pa, pa + fsz)
        return (0, 0)

    def read(self, addr, n):
        return self.prog.read(addr, n)

    def sym(self, name):
        try:
            return self.prog.symbol(name).address
        except LookupError:
            return None


def main():
    if len(sys.argv) != 3:
        print("usage: drgn_check.py DUMP KERNEL", file=sys.stderr)
        return 64
    v = peer_checks.run(Backend(sys.argv[1], sys.argv[2]))
    print(peer_checks.summary("drgn", v))
    return 1 if "fail" in v.values() else 0


if __name__ == "__main__":
    sys.exit(main())
