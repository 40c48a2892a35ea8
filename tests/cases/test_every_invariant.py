#!/usr/bin/python3
"""test_every_invariant.py: every invariant in LR_INVARIANTS has a case that breaks it on purpose
(`make test-cases`, part of `make test`). A case is a violation kernel (examples/violations/
*.conf, through its `# expect:` line) or a named corruption of a real dump (tests/gdb/corrupt.py,
run by tests/gdb/run.py on cores and live). A new rule without a case fails here; an `expect:`
or a corruption naming an id that does not exist fails too. Exit 0, or 1 listing what is wrong.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "gdb"))
import corrupt  # noqa: E402
import kbuild  # noqa: E402


def cases():
    """{invariant id: [case names]} from both kinds of case."""
    found = {}
    vdir = os.path.join(ROOT, "examples", "violations")
    for conf in sorted(os.listdir(vdir)):
        if conf.endswith(".conf"):
            for inv in kbuild.directives(os.path.join(vdir, conf)).get("expect", []):
                found.setdefault(inv, []).append("examples/violations/" + conf)
    for name, ids, _edits, _sealed in corrupt.CASES:
        for inv in ids:
            found.setdefault(inv, []).append("tests/gdb/corrupt.py:" + name)
    return found


def main():
    ids = [inv_id for _name, inv_id, _text in kbuild.constants().INVARIANTS]
    found = cases()
    missing = [i for i in ids if i not in found]
    unknown = sorted(set(found) - set(ids))
    for i in ids:
        print("%-20s %s" % (i, ", ".join(found.get(i, ["NO CASE"]))))
    for i in missing:
        print("FAIL %s has no case that breaks it: add a kernel to examples/violations/ or a "
              "corruption to tests/gdb/corrupt.py (docs/adding-an-invariant.md)" % i)
    for i in unknown:
        print("FAIL %s is named by %s but is not in LR_INVARIANTS" % (i, ", ".join(found[i])))
    print("%d invariants, %d without a case, %d unknown ids" % (len(ids), len(missing), len(unknown)))
    return 1 if missing or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
