#!/usr/bin/python3
"""kthreads.py: every task of the kernel as a GDB thread, live: a GDB remote-protocol proxy
between GDB and QEMU's gdbstub, as OpenOCD's rtos/ is for FreeRTOS and Zephyr.

    (gdb) target remote | gdb-scripts/kthreads.py 127.0.0.1:1234
    (gdb) klayout connect 1234                       (the same, from the klayout commands)

    (gdb) target remote | gdb-scripts/kthreads.py 127.0.0.1:1234 build/kernel.elf

GDB starts it on a pipe (its stdin and stdout), so nothing listens anywhere, and it exits when
GDB closes the pipe (disconnect, quit, GDB killed) or QEMU closes the socket. It answers the
thread queries (qfThreadInfo, qsThreadInfo, qXfer:threads:read, qThreadExtraInfo, T) and the
register reads of a task's thread (Hg then g or p) from the rules engine (libklayout.so through
ctypes: klayout/libklayout.py), which reads the layout record through the gdbstub and decides
whose registers each task has (kl_task_regs: its saved frame, the hart's, or while its trap is
being saved a mix only kernel/trap.S's labels in the kernel ELF explain); everything else, and
anything about the hart, passes through unchanged, so `continue` resumes the kernel with every
register and byte as it was.

Thread ids are those of `inspector gdbcore`: the hart keeps QEMU's (1), task N is 1000 + N.
A task thread cannot be written or stepped (E01): it is switched out; break where it runs and
`continue`. A task the hart runs (in the tasks' code) is the hart: its thread reads the hart's.
QEMU's replies are parsed in every form the remote protocol allows (thread ids with or without
a process, run-length encoding, binary escapes), and only a stop reply GDB asked for reaches it.
"""
import ctypes
import os
import re
import select
import signal
import socket
import sys
from xml.sax.saxutils import escape as xml_escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "klayout"))
import constants as C  # noqa: E402  (generated from the C headers; no gdb import)
import libklayout      # noqa: E402  (the rules engine through ctypes; no gdb import)

TASK_TID_BASE = C.GDBCORE_TASK_PID_BASE   # include/harness.h
REPLY_TIMEOUT = 30.0     # seconds QEMU may take to answer a packet while the guest is stopped
READ_CHUNK = 1024        # bytes per m packet (QEMU's PacketSize is 4096 hex digits)
# KTHREADS_LOG=FILE: every packet to GDB (<-) and to QEMU (-> qemu), for debugging the proxy.
LOG = open(os.environ["KTHREADS_LOG"], "a") if os.environ.get("KTHREADS_LOG") else None
# KTHREADS_CACHE=0: GDB's memory reads pass through uncached (bench/threads.py measures both).
CACHE = os.environ.get("KTHREADS_CACHE", "1") != "0"
RESUME = re.compile(r"^(c|s|C|S|vCont;|k|i|I)")
NREGS = 32               # NT_PRSTATUS pr_reg: pc, x1..x31; QEMU's g order is x0..x31, pc


# ---- the remote protocol ----------------------------------------------------------------------
def frame(payload):
    return b"$%s#%02x" % (payload, sum(payload) & 0xff)


def unrle(data):
    """A packet's payload with run-length encoding expanded ("0*\"" is "0" then 13 more: the
    count is the byte after '*' minus 29), as any reply may use it."""
    if b"*" not in data:
        return data
    out, i = bytearray(), 0
    while i < len(data):
        if data[i:i + 1] == b"*" and out and i + 1 < len(data):
            out += out[-1:] * (data[i + 1] - 29)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def unescape(data):
    """Binary data (qXfer replies): '}' then the byte XOR 0x20."""
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x7d and i + 1 < len(data):
            out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def escape(data):
    """The reverse, for the replies this proxy writes itself ('#', '$', '}' and '*' escaped)."""
    return b"".join(b"}" + bytes([c ^ 0x20]) if c in b"#$}*" else bytes([c]) for c in data)


def parse_tid(text):
    """A thread-id in any form the remote protocol allows: TID, pPID or pPID.TID, in hex, where
    -1 means all and 0 any. (pid or None, tid or None); ValueError when it is none of these."""
    text = text.decode() if isinstance(text, bytes) else text
    num = lambda s: -1 if s == "-1" else int(s, 16)  # noqa: E731  (int() alone takes "+5", "0x5")
    ok = re.compile(r"^(?:-1|[0-9a-fA-F]+)$")
    pid = None
    if text.startswith("p"):
        pid_text, _, text = text[1:].partition(".")
        if not ok.match(pid_text) or (text and not ok.match(text)):
            raise ValueError("bad thread-id")
        return num(pid_text), num(text) if text else None
    if not ok.match(text):
        raise ValueError("bad thread-id")
    return pid, num(text)


STOP_REPLY = re.compile(rb"^(?:[TSWX][0-9a-fA-F]{2}|N$)")


class Parser:
    """Splits a byte stream into '+', '-', interrupt (0x03) and packets ('$' or '%' with their
    payload bytes); a packet whose checksum is wrong is reported as kind b'!' (NAK it)."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while self.buf:
            c = self.buf[:1]
            if c in (b"+", b"-", b"\x03"):
                out.append((c, None))
                self.buf = self.buf[1:]
            elif c in (b"$", b"%"):
                end = self.buf.find(b"#")
                if end < 0 or len(self.buf) < end + 3:
                    break
                body, check = self.buf[1:end], self.buf[end + 1:end + 3]
                self.buf = self.buf[end + 3:]
                try:
                    good = int(check, 16) == sum(body) & 0xff
                except ValueError:
                    good = False
                out.append((c if good else b"!", body))
            else:
                self.buf = self.buf[1:]     # noise between packets
        return out


class Gone(Exception):
    """GDB or QEMU closed its end: the proxy's work is over."""


class Proxy:
    def __init__(self, qemu, lib, elf=None):
        self.q = qemu
        self.gp, self.qp = Parser(), Parser()
        self.pending = []                   # QEMU events read while waiting for a reply
        self.running = False                # a resume went to QEMU: its stop reply is due
        self.gthread = None                 # task thread selected by Hg, or None for QEMU's own
        self.tasks = None                   # {tid: (name, line)}, read on demand, dropped on resume
        self.regs = {}                      # {tid: (on the hart, pr_reg, known)}, likewise
        self.mem = {}                       # READ_CHUNK-aligned chunk address: bytes, while stopped
        self.csr_regnums = None             # (mepc, mscratch) as p packets number them, or ()
        self.lib, self.gone = lib, False
        self._read = libklayout.READ(self.engine_read)
        self.kl = lib.kl_new(b"live", self._read, None)
        lib.kl_set_live(self.kl, 1)
        if elf and lib.kl_open_elf(self.kl, elf.encode()) != 0:
            print("kthreads.py: %s: a task whose trap is being saved shows its last saved frame"
                  % lib.kl_last_error().decode(errors="replace"), file=sys.stderr)

    # ---- the two ends ----
    def to_gdb(self, data):
        if LOG:
            LOG.write("<- %r\n" % data[:200])
            LOG.flush()
        try:
            os.write(1, data)
        except OSError:
            raise Gone()

    def to_qemu(self, data):
        if LOG:
            LOG.write("-> qemu %r\n" % data[:200])
            LOG.flush()
        try:
            self.q.sendall(data)
        except OSError:
            raise Gone()

    def qemu_events(self, timeout):
        """What QEMU sent, parsed. None as timeout: only what is there now (nothing, when a
        reply read meanwhile took what made the socket readable); else wait that long for it."""
        r, _, _ = select.select([self.q], [], [], timeout or 0)
        if not r:
            if timeout is None:
                return []
            raise Gone()                    # QEMU stopped answering: give up, GDB sees EOF
        data = self.q.recv(65536)
        if not data:
            raise Gone()
        return self.qp.feed(data)

    def ask(self, payload, stop_reply=False):
        """One packet to QEMU and its reply, synchronously (the guest is stopped). A stop reply
        is the answer only to `?` (stop_reply): any other one is QEMU's own, unasked for (it
        sends one when a debugger attaches to a running guest), and dropped, never taken for the
        reply to the question. A monitor command's output (O packets) goes to GDB as it comes."""
        self.to_qemu(frame(payload))
        while True:
            while self.pending:
                kind, body = self.pending.pop(0)
                if kind == b"-":            # QEMU got it damaged: once more
                    self.to_qemu(frame(payload))
                    continue
                if kind not in (b"$", b"!"):
                    continue                # its '+', or a notification ('%'): not the reply
                self.to_qemu(b"+" if kind == b"$" else b"-")
                if kind == b"!":
                    continue                # it sends the reply again
                if STOP_REPLY.match(body) and not stop_reply:
                    self.log("dropped a stop reply nobody asked for: %r" % body[:80])
                    continue
                if payload.startswith(b"qRcmd,") and body[:1] == b"O" and body != b"OK":
                    self.to_gdb(frame(body))
                    continue
                return body
            self.pending += self.qemu_events(REPLY_TIMEOUT)

    def log(self, text):
        if LOG:
            LOG.write("== %s\n" % text)
            LOG.flush()

    def reply(self, payload):
        self.to_gdb(frame(payload))

    # ---- the record ----
    def read(self, addr, length):
        """Guest memory, in aligned chunks kept until the guest runs or memory is written: GDB's
        unwinding of 64 tasks is thousands of small reads, one gdbstub round trip each."""
        out = b""
        while len(out) < length:
            at = addr + len(out)
            base = at - at % READ_CHUNK
            if base not in self.mem:
                r = unrle(self.ask(b"m%x,%x" % (base, READ_CHUNK)))
                try:
                    chunk = bytes.fromhex(r.decode())
                except ValueError:          # an error reply (Enn), or unavailable bytes
                    chunk = b""
                self.mem[base] = chunk if len(chunk) == READ_CHUNK else None
            chunk = self.mem[base]
            if chunk is None:
                return None
            out += chunk[at - base:at - base + length - len(out)]
        return out

    def forget(self):
        """The guest ran or was written: the record, the tasks and memory may have changed."""
        self.tasks, self.regs, self.gthread, self.mem = None, {}, None, {}

    def engine_read(self, _ctx, addr, buf, length):
        """The engine's reads (libklayout's kl_read_fn): through the chunk cache."""
        try:
            data = self.read(addr, length)
        except Gone:
            self.gone = True                # raised again once the engine returns
            data = None
        except Exception as e:              # never into C: the engine sees "not readable"
            self.log("engine read 0x%x+%d: %r" % (addr, length, e))
            data = None
        if data is None:
            return -1
        ctypes.memmove(buf, data, length)
        return 0

    def engine(self, result):
        if self.gone:
            raise Gone()
        return result

    def hart_regs(self):
        """The hart's registers as pr_reg (QEMU's g reply: x0..x31 then pc), None if any is
        unavailable."""
        r = unrle(self.ask(b"g"))
        words = [r[16 * i:16 * i + 16] for i in range(NREGS + 1)]
        try:
            x = [int.from_bytes(bytes.fromhex(w.decode()), "little") for w in words]
        except ValueError:
            return None
        return [x[NREGS]] + x[1:NREGS] if len(x) == NREGS + 1 else None

    def tdesc(self, annex):
        """One file of QEMU's target description (qXfer:features:read), b"" when refused."""
        out = b""
        while True:
            r = self.ask(b"qXfer:features:read:%s:%x,%x" % (annex, len(out), 0xf00))
            if r[:1] not in (b"m", b"l"):
                return out
            out += unescape(unrle(r[1:]))
            if r[:1] == b"l" or len(r) == 1:
                return out

    def hart_csrs(self):
        """(mepc, mscratch) of the hart, or None when QEMU's target description lacks them; their
        register numbers are read once from that description (QEMU numbers its CSRs after the
        core and FPU registers)."""
        if self.csr_regnums is None:
            self.csr_regnums, found = (), {}
            target = self.tdesc(b"target.xml")
            for annex in [b"target.xml"] + re.findall(rb'<xi:include href="([^"]+)"', target):
                for reg in re.findall(rb"<reg\b[^>]*>", target if annex == b"target.xml"
                                      else self.tdesc(annex)):
                    a = dict(re.findall(rb'(\w+)="([^"]*)"', reg))
                    if a.get(b"name") in (b"mepc", b"mscratch") and a.get(b"regnum", b"").isdigit():
                        found[a[b"name"]] = int(a[b"regnum"])
            if len(found) == 2:
                self.csr_regnums = (found[b"mepc"], found[b"mscratch"])
        if not self.csr_regnums:
            return None
        try:
            return tuple(int.from_bytes(bytes.fromhex(unrle(self.ask(b"p%x" % n)).decode()),
                                        "little") for n in self.csr_regnums)
        except ValueError:
            return None

    def load_tasks(self):
        """{tid: (name, one line about the task)} from the engine, on the record read now; the
        hart's registers and CSRs handed to it first (kl_task_regs reads them)."""
        if self.tasks is not None:
            return self.tasks
        self.tasks, self.regs, lib = {}, {}, self.lib
        hart = self.hart_regs()
        if hart is not None:
            lib.kl_set_hart_regs(self.kl, (ctypes.c_uint64 * NREGS)(*hart))
        csrs = self.hart_csrs()
        if csrs is not None:
            lib.kl_set_hart_csrs(self.kl, *csrs)
        if self.engine(lib.kl_load(self.kl)) != 0 or not lib.kl_header_ok(self.kl):
            return self.tasks               # no record yet (at reset): the hart only
        ids = (ctypes.c_uint32 * C.LR_MAX_TASKS)()
        n = min(lib.kl_task_ids(self.kl, ids, C.LR_MAX_TASKS), C.LR_MAX_TASKS)
        name, line = ctypes.create_string_buffer(64), ctypes.create_string_buffer(256)
        for i in range(n):
            if lib.kl_task_line(self.kl, ids[i], name, len(name), line, len(line)) == 0:
                self.tasks[TASK_TID_BASE + ids[i]] = (name.value.decode(errors="replace"),
                                                      line.value.decode(errors="replace"))
        return self.tasks

    def task_regs(self, tid):
        """(whether they are the hart's own, pr_reg, known bits) of task thread tid, from the
        engine (kl_task_regs); a task whose frame cannot be read has none known."""
        if tid not in self.regs:
            reg, known = (ctypes.c_uint64 * NREGS)(), ctypes.c_uint32(0)
            lib = self.lib
            got = self.engine(lib.kl_task_regs(self.kl, tid - TASK_TID_BASE, reg, ctypes.byref(known)))
            on_hart = got >= 0 and self.engine(lib.kl_task_on_hart(self.kl, tid - TASK_TID_BASE)) == 1
            self.regs[tid] = (on_hart, list(reg), known.value if got >= 0 else 0)
        return self.regs[tid]

    def task_of(self, text):
        """The thread id of the task a thread-id (any form) names, or None (the hart, 0 = any,
        -1 = all, no such task)."""
        try:
            _, tid = parse_tid(text)
        except ValueError:
            return None
        if tid is None or tid <= TASK_TID_BASE:
            return None
        return tid if tid in self.load_tasks() else None

    def harts(self, with_pid=False):
        """QEMU's thread ids (one per hart), in whichever form QEMU writes them: after a
        debugger that asked for multiprocess ids, QEMU keeps writing pPID.TID to everyone.
        with_pid: [(pid or None, tid)]."""
        ids, r = [], unrle(self.ask(b"qfThreadInfo"))
        while r.startswith(b"m"):
            ids += r[1:].split(b",")
            r = unrle(self.ask(b"qsThreadInfo"))
        out = []
        for i in ids:
            try:
                pid, tid = parse_tid(i)
            except ValueError:
                continue
            if tid is not None and 0 < tid <= TASK_TID_BASE:
                out.append((pid, tid) if with_pid else tid)
        return out or [(None, 1) if with_pid else 1]

    def plain_ids(self, body):
        """A reply of QEMU's with its thread ids in the plain form GDB was promised (qSupported
        without multiprocess): thread:p01.01; in a stop reply, QCp01.01."""
        if body.startswith(b"QC"):
            try:
                return b"QC%x" % parse_tid(body[2:])[1]
            except (ValueError, TypeError):
                return body
        if STOP_REPLY.match(body):
            return re.sub(rb"thread:p[0-9a-fA-F]+\.([0-9a-fA-F]+);", rb"thread:\1;", body)
        return body

    # ---- packets from GDB ----
    def registers(self, tid, reply_len):
        """g for a task: pc and x1-x31 as the engine gives them, in QEMU's g order (x0-x31, pc),
        those not known as unavailable (x), as is the rest of QEMU's reply (FPU registers)."""
        _, reg, known = self.task_regs(tid)
        def word(i):
            return reg[i].to_bytes(8, "little").hex().encode() if known >> i & 1 else b"xx" * 8
        out = b"00" * 8 + b"".join(word(i) for i in range(1, NREGS)) + word(0)
        return out + b"x" * max(0, reply_len - len(out))

    def from_gdb(self, p):
        t = None
        if p.startswith(b"qSupported"):
            # No multiprocess ids and no no-ack mode: plain thread ids, one framing everywhere.
            p = p.replace(b"multiprocess+", b"multiprocess-")
            r = self.ask(p)
            feats = [f for f in r.split(b";") if f and not f.startswith((b"multiprocess",
                     b"QStartNoAckMode", b"qXfer:threads"))]
            return self.reply(b";".join(feats + [b"qXfer:threads:read+"]))
        if p == b"qfThreadInfo":
            ids = self.harts() + sorted(self.load_tasks())
            return self.reply(b"m" + b",".join(b"%x" % i for i in ids))
        if p == b"qsThreadInfo":
            return self.reply(b"l")
        if p.startswith(b"qXfer:threads:read::"):
            try:
                off, length = (int(x, 16) for x in p.split(b"::")[1].split(b","))
            except ValueError:
                return self.reply(b"E01")
            return self.reply(self.threads_xml(off, length))
        if p.startswith(b"qThreadExtraInfo,"):
            t = self.task_of(p.split(b",")[1])
            if t is not None:
                return self.reply(self.tasks[t][1].encode().hex().encode())
        elif p.startswith(b"Hg"):
            t = self.task_of(p[2:])
            self.gthread = t if t is not None and not self.task_regs(t)[0] else None
            if self.gthread is not None:
                return self.reply(b"OK")
            if t is not None:               # the task the hart runs: the hart's registers
                return self.reply(self.ask(b"Hg%x" % self.harts()[0]))
        elif p.startswith(b"Hc"):
            if self.task_of(p[2:]) is not None:
                return self.reply(b"OK")    # resumption is the hart's, whichever thread is shown
        elif p.startswith(b"T") and len(p) > 1:
            if self.task_of(p[1:]) is not None:
                return self.reply(b"OK")
        elif self.gthread is not None and p == b"g":
            return self.reply(self.registers(self.gthread, len(self.ask(b"g"))))
        elif self.gthread is not None and p.startswith(b"p"):
            try:
                n = int(p[1:], 16)
            except ValueError:
                return self.reply(b"E01")
            if n <= 32:
                return self.reply(self.registers(self.gthread, 0)[16 * n:16 * n + 16])
            r = self.ask(p)                 # fp and CSRs: not in a context, its size from QEMU
            return self.reply(r if r.startswith(b"E") else b"x" * len(r))
        elif self.gthread is not None and p[:1] in (b"G", b"P"):
            return self.reply(b"E01")       # a switched-out task's registers are its stack's
        elif p.startswith(b"vCont;"):
            hart = b"%x" % self.harts()[0]

            def thread(m):                  # the task the hart runs is the hart; no other can run
                t = self.task_of(m.group(1))
                if t is not None and not self.task_regs(t)[0]:
                    raise ValueError("a switched-out task")
                return b":" + (hart if t is not None else m.group(1))
            try:
                p = re.sub(rb":([-0-9a-fA-Fp.]+)", thread, p)
            except ValueError:
                return self.reply(b"E01")
        elif p.startswith(b"m"):
            try:
                addr, length = (int(x, 16) for x in p[1:].split(b","))
            except ValueError:
                addr, length = 0, 0
            # RAM only: a device's registers are read exactly as GDB asks (reads have effects).
            data = self.read(addr, length) if 0 < length <= 4 * READ_CHUNK and addr >= C.RAM_BASE \
                and CACHE else None
            if data is not None:
                return self.reply(data.hex().encode())
        elif p[:1] in (b"M", b"X", b"G", b"P"):
            # memory or the hart's registers change: so may the record and every task's registers
            self.mem, self.tasks, self.regs = {}, None, {}
        elif p == b"D":
            # QEMU in multiprocess mode (an earlier debugger asked for it) refuses a detach that
            # names no process: name the hart's, as GDB does when it uses that mode itself.
            pid = self.harts(with_pid=True)[0][0]
            if pid is not None:
                p = b"D;%x" % pid
        if RESUME.match(p.decode(errors="replace")):
            self.forget()
            self.running = True
            return self.to_qemu(frame(p))   # the stop reply comes when the guest stops
        return self.reply(self.plain_ids(self.ask(p, stop_reply=p == b"?")))

    def threads_xml(self, off, length):
        tasks = self.load_tasks()
        hart = ctypes.create_string_buffer(256)
        self.lib.kl_hart_line(self.kl, hart, len(hart))
        self.engine(None)
        rows = ['<thread id="%x" core="0" name="hart">the hart: %s</thread>' % (
                h, xml_escape(hart.value.decode(errors="replace"))) for h in self.harts()]
        for tid, (name, line) in sorted(tasks.items()):
            rows.append('<thread id="%x" core="0" name="%s">%s</thread>' % (
                tid, xml_escape(name, {'"': "&quot;"}), xml_escape(line)))
        xml = ('<?xml version="1.0"?>\n<threads>\n%s\n</threads>\n' % "\n".join(rows)).encode()
        chunk = xml[off:off + length]
        return (b"m" if off + length < len(xml) else b"l") + escape(chunk)

    # ---- the loop ----
    def run(self):
        while True:
            for kind, body in self.pending:
                self.from_qemu(kind, body)
            self.pending = []
            r, _, _ = select.select([0, self.q], [], [])
            if 0 in r:
                data = os.read(0, 65536)
                if not data:
                    raise Gone()
                for kind, body in self.gp.feed(data):
                    if kind == b"\x03":
                        self.to_qemu(b"\x03")
                    elif kind == b"!":
                        self.to_gdb(b"-")   # damaged: GDB sends it again
                    elif kind == b"$":
                        self.to_gdb(b"+")
                        self.from_gdb(body)
            if self.q in r:
                self.pending += self.qemu_events(None)

    def from_qemu(self, kind, body):
        """What QEMU sends while no question is asked: the stop reply of a resume (and, while
        the guest runs, console output), passed on; anything else (the stop reply QEMU sends by
        itself when a debugger attaches to a running guest) is dropped: GDB did not ask."""
        if kind == b"!":
            return self.to_qemu(b"-")
        if kind not in (b"$", b"%"):
            return
        if kind == b"$":
            self.to_qemu(b"+")
        if not self.running or not (STOP_REPLY.match(body) or body[:1] == b"O"):
            return self.log("dropped a packet nobody asked for: %r" % body[:80])
        if body[:1] != b"O":
            self.running = False
            self.forget()                   # a stop reply: the guest ran
        self.to_gdb(kind + frame(self.plain_ids(body))[1:])


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is GDB's: it sends 0x03 to us
    if len(sys.argv) not in (2, 3) or ":" not in sys.argv[1]:
        print("usage: kthreads.py HOST:PORT [KERNEL.elf] (QEMU's gdbstub; GDB runs it: target "
              "remote | ...)", file=sys.stderr)
        return 64
    try:
        lib = libklayout.load()
    except (LookupError, OSError, AttributeError) as e:
        print("kthreads.py: cannot load the rules engine: %s" % e, file=sys.stderr)
        return 2
    host, port = sys.argv[1].rsplit(":", 1)
    try:
        q = socket.create_connection((host, int(port)), timeout=10)
    except (OSError, ValueError) as e:
        print("kthreads.py: cannot reach QEMU's gdbstub at %s: %s" % (sys.argv[1], e),
              file=sys.stderr)
        return 2
    q.settimeout(None)
    # One small packet at a time, each waited for: Nagle's delay would cost ~40 ms per packet.
    q.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        Proxy(q, lib, sys.argv[2] if len(sys.argv) == 3 else None).run()
    except Gone:
        pass
    finally:
        q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
