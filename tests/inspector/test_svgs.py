#!/usr/bin/python3
"""test_svgs.py: `inspector diagram --format svg` on every violation case, rendered as a person
sees it (`make test-inspector-svg`, part of `make test`). Each case of examples/violations/ is
booted and dumped as `make check` dumps it (a sparse core at the ready line), and its picture:

- renders with rsvg-convert (librsvg2-bin) at the size it declares;
- has all its text inside it: the picture rendered again over a band around it, outside the
  canvas, must leave that band transparent (a text cut at the edge draws pixels there);
- draws an excluded lo word red exactly when it no longer holds the sentinel (the legend's
  "red: overwritten"), as `inspector stacks` says of each stack;
- never draws a region shorter than a smaller one (a region cut short says "(not to scale)").

    test_svgs.py [FIXTURE.core...]   also the fixture's dumps (test_inspector_mkdump writes
                                     overflow.core: `make test-inspector-svg` passes it)

Exit 0, or 1 naming each case and what is wrong. INSPECTOR= runs another inspector build.
"""
import glob
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

INSPECTOR = os.environ.get("INSPECTOR", os.path.join(ROOT, "build", "inspector"))
SVG = "{http://www.w3.org/2000/svg}"
BAND = 400        # the band around the canvas that must stay empty, in px
REGION = re.compile(r"^(.*): \[0x([0-9a-f]+), 0x([0-9a-f]+)\), (\d+) bytes$")
LO_WORD = re.compile(r"^excluded lo word at 0x([0-9a-f]+): (sentinel|overwritten|not in the dump)$")


def png_size_and_empty(png):
    """((width, height), whether every pixel is 0) of an 8-bit PNG. Filtered scanlines of an
    image whose bytes are all 0 are all 0 whatever the filter, and only those are: each filter
    adds a prediction from bytes already decoded, which are 0 by then."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, data, size, bpp = 8, b"", None, None
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8, "bit depth %d" % depth
            size, bpp = (w, h), {6: 4, 2: 3, 0: 1, 4: 2}[color]
        elif kind == b"IDAT":
            data += body
        pos += 12 + n
    raw = zlib.decompress(data)
    row = 1 + size[0] * bpp
    assert len(raw) == row * size[1], "scanlines do not add up"
    empty = all(not any(raw[r * row + 1:(r + 1) * row]) for r in range(size[1]))
    return size, empty


def render(svg_text, view=None):
    """The picture as PNG bytes; view (x, y, w, h): only that part of its coordinates, at 1:1."""
    root = svg_text
    if view:
        x, y, w, h = view
        root = re.sub(r'<svg xmlns="http://www.w3.org/2000/svg" width="\d+" height="\d+" viewBox="[^"]*">',
                      '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="%d %d %d %d">'
                      % (w, h, x, y, w, h), svg_text, count=1)
        assert root != svg_text, "no <svg> element to re-frame"
    with tempfile.NamedTemporaryFile(suffix=".svg", mode="w") as f:
        f.write(root)
        f.flush()
        r = subprocess.run(["rsvg-convert", f.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, "rsvg-convert: %s" % r.stderr.decode(errors="replace").strip()
    return r.stdout


def check_picture(svg_text, stacks):
    """What is wrong with one picture, as a list of strings."""
    wrong = []
    root = ET.fromstring(svg_text.split("?>", 1)[1])
    w, h = int(root.get("width")), int(root.get("height"))
    size, empty = png_size_and_empty(render(svg_text))
    if size != (w, h):
        wrong.append("rendered %dx%d, declares %dx%d" % (size + (w, h)))
    if empty:
        wrong.append("renders as nothing")
    # Text past an edge: four bands just outside the canvas must render empty.
    for name, view in (("right", (w, -BAND, BAND, h + 2 * BAND)), ("bottom", (-BAND, h, w + 2 * BAND, BAND)),
                       ("left", (-BAND, -BAND, BAND, h + 2 * BAND)), ("top", (-BAND, -BAND, w + 2 * BAND, BAND))):
        if not png_size_and_empty(render(svg_text, view))[1]:
            wrong.append("something is drawn past its %s edge (%dx%d)" % (name, w, h))
    # The lo strips: red exactly when overwritten, as the stacks table says.
    sentinel = {int(s["lo"], 16): s["sentinel_ok"] for s in stacks}
    strips = 0
    for rect in root.iter(SVG + "rect"):
        title = rect.find(SVG + "title")
        m = LO_WORD.match(title.text) if title is not None else None
        if not m:
            continue
        strips += 1
        lo, says, red = int(m.group(1), 16), m.group(2), rect.get("class") == "lobad"
        if red != (says == "overwritten") or (lo in sentinel and sentinel[lo] != (says == "sentinel")):
            wrong.append("lo word at %#x: drawn %s, says %s, stacks say sentinel_ok %s"
                         % (lo, "red" if red else "plain", says, sentinel.get(lo)))
    if strips != len(stacks):
        wrong.append("%d lo strips for %d stacks" % (strips, len(stacks)))
    # Heights: a non-decreasing function of size.
    boxes = []
    for g in root.iter(SVG + "g"):
        title, rect = g.find(SVG + "title"), g.find(SVG + "rect")
        m = REGION.match(title.text) if title is not None else None
        if m and rect is not None:
            cut = any("(not to scale)" in (t.text or "") for t in g.iter(SVG + "text"))
            boxes.append((int(m.group(4)), float(rect.get("height")), m.group(1), cut))
    for size_a, h_a, name_a, _ in boxes:
        for size_b, h_b, name_b, _ in boxes:
            if size_a < size_b and h_a > h_b:
                wrong.append("%s (%d bytes) drawn %g px, taller than %s (%d bytes) at %g px"
                             % (name_a, size_a, h_a, name_b, size_b, h_b))
    if not boxes:
        wrong.append("no region boxes")
    return wrong


def case_dump(conf):
    """Boots the case's kernel and dumps it as `make check` does; (dump, kernel)."""
    kernel = kbuild.kernel(conf)
    dump = os.path.join(os.path.dirname(kernel), "svg-dump.elf")
    with kqemu.Qemu(kernel, kbuild.qemu_mem(conf)) as q:
        q.wait_ready(60)
        q.dump_sparse(dump, INSPECTOR)
    return dump, kernel


def picture(dump, kernel=None):
    elf = ["--elf", kernel] if kernel else []
    svg = subprocess.run([INSPECTOR, "diagram", dump, "--format", "svg"] + elf, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert svg.returncode == 0, "diagram --format svg: exit %d: %s" % (svg.returncode, svg.stderr)
    st = subprocess.run([INSPECTOR, "stacks", dump, "--format", "json"], stdout=subprocess.PIPE, text=True)
    return svg.stdout, json.loads(st.stdout)["stacks"]


def main():
    cases = sorted(glob.glob(os.path.join(ROOT, "examples", "violations", "*.conf")))
    failed = 0
    todo = [(os.path.relpath(c, ROOT), c) for c in cases] + [(f, None) for f in sys.argv[1:]]
    for name, conf in todo:
        try:
            dump, kernel = case_dump(conf) if conf else (name, None)
            wrong = check_picture(*picture(dump, kernel))
            if conf:
                os.unlink(dump)
        except (AssertionError, OSError, RuntimeError, ValueError, kqemu.QemuError) as e:
            wrong = ["%s: %s" % (type(e).__name__, e)]
        print("%s %s%s" % ("FAIL" if wrong else "ok  ", name, "".join("\n     " + w for w in wrong)))
        failed += bool(wrong)
    print("test_svgs: %d pictures, %d wrong" % (len(todo), failed))
    return 1 if failed or len(todo) < len(cases) else 0


if __name__ == "__main__":
    sys.exit(main())
