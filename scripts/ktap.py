#!/usr/bin/env python3
"""Count KUnit test cases in a serial console log (Linux 6.1 KTAP output).

Usage: ktap.py SERIAL_LOG [SUITE,...]

Every leaf result line counts once: a plain test case, or each parameter
of a parameterized case (the case's own line then only sums them up).
A suite whose plan ("1..N") promised more cases than it reported (the
guest crashed or hung) gets the missing ones counted as failed. Each
SUITE named that never started ("# Subtest: SUITE": its module was not
loaded or not built, a filter left it out) counts one failed case.

Prints each failed case with the diagnostic lines KUnit logged for it, then
a last line "KUNIT passed=P failed=F skipped=S".
"""
import re
import sys

STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")
RESULT = re.compile(r"^( *)(not ok|ok) (\d+)(?: -)? ([^#]*?)\s*(#\s*SKIP\b.*)?$")
SUBTEST = re.compile(r"^( *)# Subtest: (.*?)\s*$")
PLAN = re.compile(r"^( *)1\.\.(\d+)\s*$")


def main(path, expected):
    passed = failed = skipped = 0
    seen = set()
    # Open subtests by indent of their children: [name, plan, results seen].
    open_subtests = {}
    # Indented non-KTAP lines since the last result: a case's diagnostics.
    diag = []

    def close(indent, reason):
        nonlocal failed
        name, plan, seen = open_subtests.pop(indent)
        missing = (plan - seen) if plan is not None else (0 if seen else 1)
        if missing > 0:
            failed += missing
            print(f"not ok: {name}: {missing} case(s) never reported ({reason})")

    with open(path, errors="replace") as f:
        for raw in f:
            line = STAMP.sub("", raw.rstrip("\r\n").replace("\r", ""))
            m = SUBTEST.match(line)
            if m:
                indent = len(m.group(1))
                for deeper in [i for i in open_subtests if i >= indent]:
                    close(deeper, "output cut off")
                open_subtests[indent] = [m.group(2), None, 0]
                seen.add(m.group(2))
                continue
            m = PLAN.match(line)
            if m and len(m.group(1)) in open_subtests:
                open_subtests[len(m.group(1))][1] = int(m.group(2))
                continue
            m = RESULT.match(line)
            if not m:
                if line.startswith("    ") and not line.lstrip().startswith("KTAP version"):
                    diag.append(line)
                continue
            notes, diag = diag[-20:], []
            indent, status, name = len(m.group(1)), m.group(2), m.group(4)
            if indent in open_subtests:
                open_subtests[indent][2] += 1
            child = [i for i in open_subtests if i > indent]
            if child:
                # This line closes a suite or parameterized case.
                for i in sorted(child, reverse=True):
                    close(i, "crashed or hung?")
                continue
            parents = [open_subtests[i][0] for i in sorted(open_subtests)]
            full = ".".join(parents + [name])
            if m.group(5):
                skipped += 1
                print(f"skip: {full} {m.group(5)}")
            elif status == "ok":
                passed += 1
            else:
                failed += 1
                print(f"not ok: {full}")
                cut = min((len(n) - len(n.lstrip()) for n in notes), default=0)
                for note in notes:
                    print(f"    {note[cut:]}")
    for i in sorted(open_subtests, reverse=True):
        close(i, "log ended")
    for suite in expected:
        if suite not in seen:
            failed += 1
            print(f"not ok: {suite}: the suite never ran")
    print(f"KUNIT passed={passed} failed={failed} skipped={skipped}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], [s for s in (sys.argv[2:] or [""])[0].split(",") if s])
