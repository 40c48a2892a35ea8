#!/usr/bin/python3
"""check_json.py INSPECTOR DIR: the inspector's JSON outputs on the fixture's dumps (DIR, written
by test_inspector_mkdump for golden.sh) against docs/inspector.schema.json, every object closed
so that a member the schema does not name fails; and `record --format json` against `record`:
the same fields with the same values, so the two listings cannot drift apart.
Part of `make test-inspector-golden`. Exit 0, or 1 listing what is wrong.
"""
import copy
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import kbuild  # noqa: E402
import jsonschema  # noqa: E402  (python3-jsonschema, tools/deps.sh)

# Members the JSON adds to a field `record` prints: names for numbers, the check flag of a cause.
DERIVED = {"flag_names", "state_name", "id", "seen_by_check"}


def strict(schema):
    """The schema with every object closed (as tests/install/test_install.py's)."""
    s = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for v in node.values():
                close(v)
        elif isinstance(node, list):
            for v in node:
                close(v)
    close(s)
    return s


def run(inspector, *args):
    p = subprocess.run([inspector, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout


def flatten(node, path, out):
    """{"ram.lo": "0x...", "tasks[0].stack.lo": ...} of a JSON record."""
    if isinstance(node, dict):
        for k, v in node.items():
            flatten(v, "%s.%s" % (path, k) if path else k, out)
    elif isinstance(node, list) and path not in ("flag_names",):
        for i, v in enumerate(node):
            flatten(v, "%s[%d]" % (path, i), out)
    else:
        out[path] = node
    return out


def text_fields(text):
    """{"ram.lo": "0x...", "tasks[0].stack.lo": ...} of `record`'s lines, JSON's names."""
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        name = re.sub(r"^task\[", "tasks[", name)
        name = re.sub(r"^violation\[", "violations[", name)
        out[name] = value
    return out


def same_value(text, js):
    """A text value ("0x1 ready", "2 (running)", "alpha") and the JSON one (1, "0x...", "alpha")."""
    if isinstance(js, bool):
        return False
    if isinstance(js, int):
        return int(text.split()[0], 0) == js
    if re.fullmatch(r"0x[0-9a-f]+", js):
        return int(text, 16) == int(js, 16)
    return text == js


def main():
    inspector, d = sys.argv[1], sys.argv[2]
    schema = json.load(open(os.path.join(ROOT, "docs", "inspector.schema.json")))
    C = kbuild.constants()
    tight = jsonschema.Draft202012Validator(strict(schema))
    problems = []
    rec = schema["$defs"]["record"]["properties"]
    if (rec["tasks"]["maxItems"], rec["violations"]["maxItems"]) != (int(C.LR_MAX_TASKS),
                                                                      int(C.LR_MAX_VIOLATIONS)):
        problems.append("schema: the record's tables are not LR_MAX_TASKS, LR_MAX_VIOLATIONS long")
    runs = [("check", "good.core"), ("check", "good.bin"), ("check", "overflow.core"),
            ("stacks", "good.core"), ("record", "good.bin"), ("record", "overflow.core")]
    docs = {}
    for cmd, dump in runs:
        rc, out = run(inspector, cmd, os.path.join(d, dump), "--format", "json")
        try:
            doc = docs[cmd, dump] = json.loads(out)
        except ValueError as e:
            problems.append("%s %s: not JSON (exit %d): %s" % (cmd, dump, rc, e))
            continue
        for e in tight.iter_errors(doc):
            problems.append("%s %s: %s at %s" % (cmd, dump, e.message, "/".join(map(str, e.path))))
    # A follow-on is among them, and it names a violation the report holds.
    report = docs.get(("check", "overflow.core"), {})
    found = [(c["id"], v) for c in report.get("checks", []) for v in c["violations"]]
    follows = [v["follows"] for _id, v in found if "follows" in v]
    if not follows or any((f["id"], f["region"]) not in {(i, v["region"]) for i, v in found}
                          for f in follows):
        problems.append("check overflow.core: no follow-on naming a violation of the report: %s" % follows)
    if report.get("summary", {}).get("follow_ons") != len(follows):
        problems.append("check overflow.core: summary.follow_ons is not the follow-ons listed")
    # record --format json and record: the same fields, the same values.
    for dump in ("good.bin", "overflow.core"):
        _rc, text = run(inspector, "record", os.path.join(d, dump))
        want = text_fields(text)
        got = flatten(docs.get(("record", dump), {}).get("record", {}), "", {})
        extra = sorted(k for k in got if k not in want and k.rsplit(".", 1)[-1] not in DERIVED)
        missing = sorted(k for k in want if k not in got)
        differ = sorted(k for k in want if k in got and not same_value(want[k], got[k]))
        if extra or missing or differ or len(want) < 40:
            problems.append("record %s: JSON and text differ: only in JSON %s, only in text %s, "
                            "different values %s" % (dump, extra, missing, differ))
    for p in problems:
        print("FAIL " + p)
    print("check_json: %d outputs against the schema and record's text, %d problems"
          % (len(runs), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
