#!/usr/bin/python3
"""kqemu.py: boot the kernel in QEMU, wait for its ready line, dump its memory, quit.

    tools/kqemu.py dump KERNEL.elf --mem 128M --elf build/dump.elf --raw build/dump.bin
    tools/kqemu.py boot KERNEL.elf --mem 128M            (console only, then quit)

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
import subprocess
import sys
import time

READY = b"KLAYOUT READY"
HALTED = b"KLAYOUT HALTED"   # panic: the kernel stopped before its ready line


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
                    raise NotReady("QEMU exited (status %s)" % self.proc.wait())
                self.console += chunk
        # The line is complete once its newline is in: what follows it is nothing.
        while not self.console.rstrip(b"\r").endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not r:
                break
            self.console += os.read(self.proc.stdout.fileno(), 65536)
        return self.console.decode("utf-8", "replace")

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
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
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

    def _qmp_read(self):
        while b"\n" not in self.buf:
            r, _, _ = select.select([self.sock], [], [], 60)
            chunk = self.sock.recv(65536) if r else b""
            if not chunk:
                raise QemuError("QMP connection closed or silent")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        return reply if "event" not in reply else self._qmp_read()

    # ---- dumps ------------------------------------------------------------------------------
    def ram_size(self):
        return self.qmp("query-memory-size-summary")["base-memory"]

    def ready_fields(self):
        """The ready line's key=value fields: record, available, ram (lo, hi), tasks, ..."""
        m = re.search(rb"KLAYOUT READY ([^\r\n]*)", self.console)
        if not m:
            raise QemuError("no ready line on the console")
        fields = dict(kv.split("=", 1) for kv in m.group(1).decode().split() if "=" in kv)
        if "ram" not in fields or "record" not in fields or "available" not in fields:
            raise QemuError("the ready line lacks record=, available= or ram=")
        lo, hi = fields["ram"].split("-")
        fields["ram"] = (int(lo, 16), int(hi, 16))
        fields["record"], fields["available"] = int(fields["record"], 16), int(fields["available"], 16)
        return fields

    def dump(self, elf=None, raw=None):
        """Stops the guest and writes an ELF core (dump-guest-memory) and/or raw RAM (pmemsave,
        from the RAM base the ready line names) of the same moment. QEMU creates them mode
        0400: old ones are removed first."""
        base = self.ready_fields()["ram"][0] if raw else None
        self.qmp("stop")
        for path in (elf, raw):
            if path and os.path.lexists(path):
                os.unlink(path)
        if elf:
            self.qmp("dump-guest-memory", paging=False, protocol="file:" + os.path.abspath(elf))
        if raw:
            self.qmp("pmemsave", val=base, size=self.ram_size(), filename=os.path.abspath(raw))

    def dump_sparse(self, path):
        """Writes raw RAM holding only what the inspector reads: the image and record at the
        bottom and the stacks at the top (from the ready line); the rest of the file is a hole.
        A 5G guest then costs a few MiB of disk instead of 5 GiB."""
        f = self.ready_fields()
        (base, end), available = f["ram"], f["available"]
        low_end = f["record"] + 0x10000        # the record's page and what follows it
        size = end - base
        self.qmp("stop")
        if os.path.lexists(path):
            os.unlink(path)
        part = path + ".part"
        with open(path, "wb") as out:
            out.truncate(size)
            for lo, hi in ((base, low_end), (available & ~0xfff, base + size)):
                if os.path.lexists(part):
                    os.unlink(part)
                self.qmp("pmemsave", val=lo, size=hi - lo, filename=os.path.abspath(part))
                with open(part, "rb") as f:
                    out.seek(lo - base)
                    out.write(f.read())
                os.unlink(part)

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


def _raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["dump", "boot"])
    ap.add_argument("kernel")
    ap.add_argument("--mem", default="128M", help="guest RAM, as QEMU's -m (default 128M)")
    ap.add_argument("--elf", help="write an ELF core here (dump-guest-memory)")
    ap.add_argument("--raw", help="write raw RAM here (pmemsave)")
    ap.add_argument("--sparse", help="write raw RAM here, only the image and the stacks")
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
                q.dump(elf=a.elf, raw=a.raw)
            if a.action == "dump" and a.sparse:
                q.dump_sparse(a.sparse)
    except QemuError as e:
        print("kqemu: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kqemu: interrupted; QEMU stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
