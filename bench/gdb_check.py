"""gdb_check.py: the benchmark's GDB peer: the inspector's checks in a GDB batch session.

    gdb-multiarch -batch -nx build/kernel.elf -ex 'core-file DUMP' -x bench/gdb_check.py

The record is read through the kernel's debug info (the published copy of record_area), the
image and every stack through Inferior.read_memory, the hart's sp from the core's NT_PRSTATUS
($sp), the build ID from the objfile. GDB has no target for a raw RAM image: ELF cores only.
Prints one summary line; `gdb -batch` exits 1 when a check fails (a gdb.GdbError at the end).
"""
import os
import re
import sys

import gdb

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:
    HERE = os.path.join(os.getcwd(), "bench")
sys.path.insert(0, HERE)
import peer_checks  # noqa: E402


class Backend:
    def __init__(self):
        self.inf = gdb.selected_inferior()
        lr = gdb.parse_and_eval("record_area.copy[record_area.pub.published]")  # record v2
        self.rec = peer_checks.from_value(lr, lambda v, n: v[n], int)
        addr = int(lr.address)
        self.raw = self.read(addr, lr.type.sizeof)
        self.ram = (0, 0)
        files = gdb.execute("info files", to_string=True)
        core = files.split("Local exec file:")[0]
        for lo, hi in re.findall(r"0x([0-9a-f]+) - 0x([0-9a-f]+) is load", core):
            lo, hi = int(lo, 16), int(hi, 16)
            if lo <= addr < hi:
                self.ram = (lo, hi)
        self.hart_sp = int(gdb.parse_and_eval("$sp").cast(gdb.lookup_type("unsigned long")))
        bid = gdb.objfiles()[0].build_id
        self.elf_build_id = bytes.fromhex(bid) if bid else None

    def read(self, addr, n):
        return bytes(self.inf.read_memory(addr, n))

    def sym(self, name):
        s = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
        if s is not None:
            return int(s.value().address)
        m = gdb.lookup_minimal_symbol(name) if hasattr(gdb, "lookup_minimal_symbol") else None
        if m is not None:
            return int(m.value().address)
        try:
            return int(gdb.parse_and_eval("(unsigned long)&%s" % name))
        except gdb.error:
            return None


v = peer_checks.run(Backend())
print(peer_checks.summary("gdb", v))
if "fail" in v.values():
    raise gdb.GdbError("a check failed")
