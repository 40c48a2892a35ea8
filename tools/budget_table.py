#!/usr/bin/python3
"""budget_table.py: the static stack analysis against the paint, for every good example.

    tools/budget_table.py            one line per stack: configured size, static worst case
                                     (`inspector budget`'s), high-water, slack = static/high-water

Each example is built (tools/kbuild.py), booted in QEMU to its ready line, dumped (a sparse
core) and read with `inspector stacks --elf --format json`: by the ready line every task has
reached its configured depth, so its high-water is the deepest it goes. `make docs` puts the
table in docs/stack-budget.md, `make bench` in bench/README.md. Dumps go to build/budget-table/
and are removed.
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import kqemu  # noqa: E402

INSPECTOR = os.path.join(ROOT, "build", "inspector")
OUT = os.path.join(ROOT, "build", "budget-table")


def stacks(conf):
    """[(owner, size, static bound, high-water)] of conf's kernel at its ready line."""
    kernel = kbuild.kernel(conf)
    name = os.path.splitext(os.path.basename(conf))[0]
    dump = os.path.join(OUT, name + ".elf")
    with kqemu.Qemu(kernel, kbuild.qemu_mem(conf), console=os.path.join(OUT, name + ".console")) as q:
        q.wait_ready(60)
        q.dump_sparse(dump, INSPECTOR)
    r = subprocess.run([INSPECTOR, "stacks", dump, "--elf", kernel, "--format", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.unlink(dump)
    if r.returncode:
        raise RuntimeError("inspector stacks %s: %s" % (dump, r.stderr.strip()))
    return [(s["owner"], s["size"], s["static_bound"], s["high_water"])
            for s in json.loads(r.stdout)["stacks"]]


def main():
    os.makedirs(OUT, exist_ok=True)
    confs = sorted(glob.glob(os.path.join(ROOT, "examples", "*.conf")))
    print("%-12s %-16s %9s %9s %11s %6s" % ("example", "stack", "size", "static", "high-water", "slack"))
    for conf in confs:
        name = os.path.splitext(os.path.basename(conf))[0]
        rows = stacks(conf)
        tasks = rows[1:]
        # many-tasks has 64: the first, the last and the extremes of the slack tell the story.
        if len(tasks) > 4:
            by_slack = sorted(tasks, key=lambda t: t[2] / t[3])
            keep = {tasks[0][0], tasks[-1][0], by_slack[0][0], by_slack[-1][0]}
            shown = [rows[0]] + [t for t in tasks if t[0] in keep]
        else:
            shown = rows
        for owner, size, bound, hw in shown:
            print("%-12s %-16s %9d %9d %11d %6.2f" % (name, owner, size, bound, hw, bound / hw))
        if len(shown) < len(rows):
            slack = [t[2] / t[3] for t in tasks]
            print("%-12s %-16s %9s %9s %11s %6s  (%d tasks: slack %.2f-%.2f)" % (
                name, "...", "", "", "", "", len(tasks), min(slack), max(slack)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
