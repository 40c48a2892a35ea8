#!/usr/bin/python3
"""kqemu.py: boot the kernel in QEMU, wait for its ready line, dump its memory, quit.

    tools/kqemu.py dump KERNEL.elf --mem 128M --sparse build/dump.elf   (what `make check` reads)
    tools/kqemu.py dump KERNEL.elf --mem 128M --elf build/dump.elf --raw build/dump.bin  (full)
    tools/kqemu.py boot KERNEL.elf --mem 128M            (console only, then quit)

--sparse writes an ELF core holding only what the inspector's checks read: the image and the
record (RAM base up to the record's end), every stack the record names and the registers
(NT_PRSTATUS), plus a KLAYOUT note giving the whole RAM range. GDB and the inspector open it like
a full core; its size and time do not grow with RAM. How: the guest is stopped, QEMU writes one
small core per range (dump-guest-memory with begin/length, so all of the same instant), the
stacks' ranges come from the record itself (`inspector record` on the first core), and the
pieces are merged into one core here. A full core (--elf) of more than FULL_PROGRESS bytes runs
detached and reports progress from query-dump on stderr. A sparse core, and a full one written
by this command (`make dump FULL=1`), also gets a KLAYOUT note with the hart's mepc and mscratch
(QEMU's NT_PRSTATUS has no CSRs): inside kernel/trap.S they say whose registers the hart holds
(inspector gdbcore). In a full core that note and QEMU's move to the end of the file; Python
callers ask for it (Qemu.dump(csrs=True)), and QEMU's own layout is kept otherwise.

Used by `make dump`, the tests and the benchmarks (import kqemu; with kqemu.Qemu(...) as q).
QEMU runs in its own process group and is killed on every way out: success, error, timeout,
Ctrl-C or SIGTERM. The console goes to --console (default: the dump's name with .console).
Exit status: 0 done, 1 the kernel never printed its ready line (the console's last lines are
shown), 2 QEMU could not be started or refused a command.
"""
import argparse
import ctypes
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

import kbuild  # noqa: E402  (beside this file: the constants of include/harness.h)

READY = kbuild.constants().KLAYOUT_READY.encode()
HALTED = kbuild.constants().KLAYOUT_HALTED.encode()   # panic: stopped before the ready line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSPECTOR = os.path.join(ROOT, "build", "inspector")
FULL_PROGRESS = 2 << 30   # a full core larger than this shows query-dump's progress
SPARSE_MAX = 1 << 30      # a sparse core's ranges beyond this come from a corrupt record


def _die_with_parent():
    """In the child before exec: QEMU gets SIGKILL if the harness itself is killed outright."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class QemuError(Exception):
    pass


class NotReady(QemuError):
    pass


class Qemu:
    """One QEMU virt machine running the kernel; a context manager that always reaps it."""

    def __init__(self, kernel, mem="128M", gdb=False, console=None, extra=()):
        if not os.path.isfile(kernel):
            raise QemuError("'%s': no such kernel (run `make`)" % kernel)
        # QMP over a socketpair QEMU inherits: no socket file, so no directory in /tmp that a
        # SIGKILL of the harness (or of `make check` around it) could leave behind.
        self.qmp_sock, qemu_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.console_path = console
        self.console = bytearray()
        cmd = ["qemu-system-riscv64", "-machine", "virt", "-bios", "none", "-m", mem,
               "-kernel", kernel, "-display", "none", "-monitor", "none", "-serial", "stdio",
               "-chardev", "socket,id=qmp,fd=%d" % qemu_end.fileno(), "-mon", "chardev=qmp,mode=control",
               "-nodefaults", *extra]
        if gdb:
            cmd += ["-S", "-gdb", "tcp:127.0.0.1:%d" % gdb]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent, pass_fds=[qemu_end.fileno()])
        except OSError as e:
            self.qmp_sock.close()
            raise QemuError("cannot start qemu-system-riscv64: %s (run `make deps`)" % e)
        finally:
            qemu_end.close()
        self.sock = None
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- console ----------------------------------------------------------------------------
    def wait_ready(self, timeout=30.0):
        """Reads the console until the ready line; NotReady with the last lines otherwise."""
        deadline = time.monotonic() + timeout
        while READY not in self.console:
            if HALTED in self.console:
                raise NotReady("the kernel halted before its ready line")
            left = deadline - time.monotonic()
            if left <= 0:
                raise NotReady("no ready line within %.0f s" % timeout)
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise self.exited()
                self.console += chunk
        # The line is complete once its newline is in: what follows it is nothing.
        while not self.console.rstrip(b"\r").endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not r:
                break
            self.console += os.read(self.proc.stdout.fileno(), 65536)
        return self.console.decode("utf-8", "replace")

    def exited(self):
        """The error for a QEMU that exited before it could be used (a bad -m, a missing
        kernel): its status and its own message, the same words whoever started it."""
        status = self.proc.wait()
        return QemuError("QEMU exited (status %d) before it could be used:\n%s"
                         % (status, self.drain_output()))

    def drain_output(self):
        """What an exited QEMU left on its stdout and stderr (its own error message)."""
        while True:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            chunk = os.read(self.proc.stdout.fileno(), 65536) if r else b""
            if not chunk:
                break
            self.console += chunk
        return self.console_tail()

    def console_tail(self, n=15):
        lines = self.console.decode("utf-8", "replace").replace("\r", "").splitlines()
        return "\n".join(lines[-n:])

    # ---- QMP --------------------------------------------------------------------------------
    def qmp(self, command, **arguments):
        if self.sock is None:
            self._qmp_connect()
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError:
            self._qmp_gone()
        while True:
            reply = self._qmp_read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QemuError("QEMU refused %s: %s" % (command, reply["error"].get("desc")))

    def _qmp_connect(self):
        self.sock, self.qmp_sock = self.qmp_sock, None
        self._qmp_read()                      # the greeting
        self.qmp("qmp_capabilities")

    def _qmp_gone(self):
        """QMP closed (a reset when QEMU exits with our command unread) or went silent: QEMU's
        own message when it exited, else a QemuError saying QMP stopped answering."""
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            raise QemuError("QMP connection closed or silent") from None
        raise self.exited()

    def _qmp_read(self):
        while b"\n" not in self.buf:
            r, _, _ = select.select([self.sock], [], [], 60)
            try:
                chunk = self.sock.recv(65536) if r else b""
            except OSError:                   # ECONNRESET: QEMU exited, our command unread
                chunk = b""
            if not chunk:
                self._qmp_gone()
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        return reply if "event" not in reply else self._qmp_read()

    # ---- dumps ------------------------------------------------------------------------------
    def csrs_note(self):
        """The KLAYOUT note of the stopped hart's mepc and mscratch (HMP `info registers`, the
        only place QMP shows CSRs), or b"" when QEMU does not print them."""
        text = self.qmp("human-monitor-command", **{"command-line": "info registers"})
        got = dict(re.findall(r"^ (mepc|mscratch) +([0-9a-fA-F]+)\r?$", text, re.M))
        if set(got) != {"mepc", "mscratch"}:
            return b""
        c = kbuild.constants()
        return _note(c.LR_NOTE_OWNER.encode(), c.LR_NOTE_CSRS,
                     struct.pack("<QQ", int(got["mepc"], 16), int(got["mscratch"], 16)))

    def ram_size(self):
        return self.qmp("query-memory-size-summary")["base-memory"]

    def ready_fields(self):
        """The ready line's key=value fields: record, available, ram (lo, hi), tasks, ..."""
        m = re.search(re.escape(READY) + rb" ([^\r\n]*)", self.console)
        if not m:
            raise QemuError("no ready line on the console")
        fields = dict(kv.split("=", 1) for kv in m.group(1).decode().split() if "=" in kv)
        if "ram" not in fields or "record" not in fields or "available" not in fields:
            raise QemuError("the ready line lacks record=, available= or ram=")
        lo, hi = fields["ram"].split("-")
        fields["ram"] = (int(lo, 16), int(hi, 16))
        fields["record"], fields["available"] = int(fields["record"], 16), int(fields["available"], 16)
        return fields

    def dump(self, elf=None, raw=None, csrs=False):
        """Stops the guest and writes an ELF core (dump-guest-memory) and/or raw RAM (pmemsave,
        from the RAM base the ready line names) of the same moment. QEMU creates them mode
        0400: old ones are removed first. csrs: the core gets the KLAYOUT note of the hart's
        CSRs, its notes moved to the end of the file (_add_notes)."""
        base = self.ready_fields()["ram"][0] if raw else None
        self.qmp("stop")
        for path in (elf, raw):
            if path and os.path.lexists(path):
                os.unlink(path)
        if elf:
            self.dump_full_core(elf)
            if csrs:
                _add_notes(elf, self.csrs_note())
        if raw:
            size = self.ram_size()
            if size > FULL_PROGRESS:
                print("kqemu: pmemsave: writing %.1f GiB of raw RAM (no progress reported)"
                      % (size / (1 << 30)), file=sys.stderr)
            self.qmp("pmemsave", val=base, size=size, filename=os.path.abspath(raw))

    def dump_full_core(self, path):
        """dump-guest-memory of all RAM. Above FULL_PROGRESS it is detached and polled with
        query-dump, one progress line on stderr every second, so 16 GiB is not silence."""
        total = self.ram_size()
        proto = "file:" + os.path.abspath(path)
        if total <= FULL_PROGRESS:
            self.qmp("dump-guest-memory", paging=False, protocol=proto)
            return
        self.qmp("dump-guest-memory", paging=False, protocol=proto, detach=True)
        last = 0.0
        while True:
            st = self.qmp("query-dump")
            if st["status"] == "completed":
                break
            if st["status"] == "failed":
                raise QemuError("dump-guest-memory to '%s' failed" % path)
            now = time.monotonic()
            if now - last >= 1.0 and st.get("total"):
                print("kqemu: dump-guest-memory: %.1f of %.1f GiB (%d%%)"
                      % (st["completed"] / (1 << 30), st["total"] / (1 << 30),
                         100 * st["completed"] // st["total"]), file=sys.stderr, flush=True)
                last = now
            time.sleep(0.2)
        print("kqemu: dump-guest-memory: %.1f GiB written to %s" % (total / (1 << 30), path),
              file=sys.stderr)

    def dump_sparse(self, path, inspector=INSPECTOR):
        """Writes the sparse ELF core described in this module's docstring: the image and the
        record, every stack the record names, the registers, and a KLAYOUT note with RAM's
        range. Returns the list of (lo, hi) physical ranges saved."""
        f = self.ready_fields()
        (base, end), record = f["ram"], f["record"]
        c = kbuild.constants()
        low = (base, max(record, c.RECORD_ADDR) + c.RECORD_SIZE)
        self.qmp("stop")
        self.sparse_notes = self.csrs_note()
        if os.path.lexists(path):
            os.unlink(path)
        # QEMU's small cores go beside the output (no directory in /tmp to leave behind) and
        # are removed once merged, or on any error.
        cores = [path + ".low.part"]
        try:
            self.qmp("dump-guest-memory", paging=False, protocol="file:" + cores[0],
                     begin=low[0], length=low[1] - low[0])
            return self._dump_sparse_parts(path, f, low, cores, inspector, c)
        finally:
            for core in cores:
                if os.path.lexists(core):
                    os.unlink(core)

    def _dump_sparse_parts(self, path, f, low, cores, inspector, c):
        (base, end) = f["ram"]
        stacks = _record_stacks(inspector, cores[0], f)
        page = lambda r: (r[0] & ~0xfff, (r[1] + 0xfff) & ~0xfff)
        ranges = _merge([low] + [page(r) for r in stacks], base, end)
        if sum(hi - lo for lo, hi in ranges) > SPARSE_MAX:
            # A record naming stacks over most of RAM is corrupt: the ready line's chain only
            # (the inspector then skips, with the reason, what the dump lacks).
            print("kqemu: the record names more than %d MiB of stacks: saving the ready line's "
                  "only" % (SPARSE_MAX >> 20), file=sys.stderr)
            ranges = _merge([low, page((f["available"], end))], base, end)
        for i, (lo, hi) in enumerate(ranges):
            if lo < low[1] and lo >= low[0]:
                lo = low[1]             # the low core holds this part already (the task code follows it)
            if lo >= hi:
                continue
            part = "%s.%d.part" % (path, i)
            cores.append(part)
            self.qmp("dump-guest-memory", paging=False, protocol="file:" + part,
                     begin=lo, length=hi - lo)
        _write_sparse_core(path, cores, (base, end), c, self.sparse_notes)
        return ranges

    def close(self):
        try:
            if self.proc.poll() is None and self.sock is not None:
                try:
                    self.sock.sendall(b'{"execute": "quit"}\n')
                    self.proc.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
            for sock in (self.sock, self.qmp_sock):
                if sock:
                    sock.close()
            if self.console_path:
                with open(self.console_path, "wb") as f:
                    f.write(self.console)


def _record_stacks(inspector, core, fields):
    """The stack ranges the record names at the dump's instant, as `inspector record` prints
    them (kstack, task[i].stack), and [available, RAM end): the chain the ready line names.
    Without an inspector or a record it can read, the ready line's chain alone."""
    ranges = [(fields["available"], fields["ram"][1])]
    try:
        r = subprocess.run([inspector, "record", core], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ranges
    v = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(": ")
        if value.startswith("0x"):
            v[key] = int(value.split()[0], 16)
    for key in v:
        if (key.endswith("stack.lo") or key == "task_code.lo") and key[:-3] + ".hi" in v:
            ranges.append((v[key], v[key[:-3] + ".hi"]))
    if "available" in v:
        ranges.append((v["available"], fields["ram"][1]))
    return ranges


def _merge(ranges, base, end):
    """Ranges clipped to RAM [base, end), sorted, touching ones merged."""
    out = []
    for lo, hi in sorted((max(lo, base), min(hi, end)) for lo, hi in ranges):
        if lo >= hi:
            continue
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _core_parts(path):
    """(ELF header bytes, note bytes, [(paddr, path, offset, size)]) of one QEMU ELF64 core:
    the segments' bytes stay in the file, copied later without holding them in memory."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or len(head) < 64 or head[4] != 2 or head[5] != 1:
            raise QemuError("'%s': QEMU wrote no ELF64 little-endian core" % path)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        notes, loads = b"", []
        for i in range(phnum):
            p_type, _, off, _, paddr, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
            if p_type == 4:
                f.seek(off)
                notes += f.read(filesz)
            elif p_type == 1:
                loads.append((paddr, path, off, filesz))
    return head, notes, loads


def _copy(out, path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        while size:
            chunk = f.read(min(size, 8 << 20))
            if not chunk:
                raise QemuError("'%s': QEMU's core is shorter than its program headers say" % path)
            out.write(chunk)
            size -= len(chunk)


def _note(owner, ntype, desc):
    name = owner + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def _write_sparse_core(path, cores, ram, c, extra_notes=b""):
    """One ELF core from QEMU's small ones: the first one's notes (NT_PRSTATUS per hart), a
    KLAYOUT note (RAM lo, hi: the inspector's layout.ram and its sparse mode read it) and
    extra_notes, then every core's PT_LOAD. Written to PATH.tmp and renamed: no half core under
    the real name."""
    ehdr, notes, loads = _core_parts(cores[0])
    for core in cores[1:]:
        loads += _core_parts(core)[2]
    loads.sort()
    notes += _note(c.LR_NOTE_OWNER.encode(), c.LR_NOTE_RAM, struct.pack("<QQ", *ram)) + extra_notes
    phnum = 1 + len(loads)
    offset = 64 + 56 * phnum
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, offset, 0, 0, len(notes), len(notes), 0)
    offset += len(notes)
    placed = []
    for paddr, src, src_off, size in loads:
        offset += -offset % 4096       # page-aligned data: GDB and mmap readers like it
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, offset, paddr, paddr, size, size, 0)
        placed.append((offset, src, src_off, size))
        offset += size
    # e_ident, e_type ET_CORE, e_machine and e_flags as QEMU wrote them; our phdrs, no sections.
    e_machine, = struct.unpack_from("<H", ehdr, 18)
    e_flags, = struct.unpack_from("<I", ehdr, 48)
    header = ehdr[:16] + struct.pack("<HHIQQQIHHHHHH", 4, e_machine, 1, 0, 64, 0, e_flags,
                                     64, 56, phnum, 0, 0, 0)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as out:
            out.write(header + phdrs + notes)
            for at, src, src_off, size in placed:
                out.seek(at)
                _copy(out, src, src_off, size)
        os.rename(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _add_notes(path, notes):
    """Notes added to the ELF core QEMU wrote, whatever its size: its notes and these go to the
    end of the file and its PT_NOTE header is pointed at them (its old notes stay, unreferenced).
    QEMU makes the file mode 0400: written through a descriptor opened before that is dropped."""
    if not notes:
        return
    mode = os.stat(path).st_mode
    os.chmod(path, mode | 0o200)
    try:
        with open(path, "r+b") as f:
            head = f.read(64)
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ph = bytearray(f.read(56))
                if struct.unpack_from("<I", ph, 0)[0] != 4:     # PT_NOTE
                    continue
                off, filesz = struct.unpack_from("<Q", ph, 8)[0], struct.unpack_from("<Q", ph, 32)[0]
                f.seek(off)
                old = f.read(filesz)
                end = f.seek(0, os.SEEK_END)
                at = end + (-end % 8)
                f.write(b"\0" * (at - end) + old + notes)
                struct.pack_into("<Q", ph, 8, at)                # p_offset
                struct.pack_into("<QQ", ph, 32, len(old) + len(notes), len(old) + len(notes))
                f.seek(phoff + i * phentsize)
                f.write(ph)
                return
        raise QemuError("'%s': QEMU wrote a core without a PT_NOTE" % path)
    finally:
        os.chmod(path, mode)


def _raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["dump", "boot"])
    ap.add_argument("kernel")
    ap.add_argument("--mem", default="128M", help="guest RAM, as QEMU's -m (default 128M)")
    ap.add_argument("--elf", help="write an ELF core here (dump-guest-memory)")
    ap.add_argument("--raw", help="write raw RAM here (pmemsave)")
    ap.add_argument("--sparse", help="write a sparse ELF core here: the image, the record, the "
                    "stacks and the registers (what `make check` reads)")
    ap.add_argument("--inspector", default=INSPECTOR,
                    help="the inspector --sparse asks for the record's stacks (default build/inspector)")
    ap.add_argument("--console", help="save the console here")
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for the ready line")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not echo the console")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    out = a.elf or a.raw or a.sparse
    console = a.console or (out + ".console" if out else None)
    try:
        with Qemu(a.kernel, a.mem, console=console) as q:
            try:
                text = q.wait_ready(a.timeout)
            except NotReady as e:
                print("kqemu: %s; the console's last lines:\n%s" % (e, q.console_tail()),
                      file=sys.stderr)
                return 1
            if not a.quiet:
                sys.stdout.write(text.replace("\r", ""))
            if a.action == "dump" and (a.elf or a.raw):
                q.dump(elf=a.elf, raw=a.raw, csrs=True)
            if a.action == "dump" and a.sparse:
                q.dump_sparse(a.sparse, a.inspector)
    except QemuError as e:
        print("kqemu: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kqemu: interrupted; QEMU stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
