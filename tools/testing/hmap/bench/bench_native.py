#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench-native: run the native benchmarks and write their results.

Usage: bench_native.py --out DIR --hmap HMAP_BENCH --go GOMAP
                       [--readme README.md] [-- ARGS...]

Runs hmap_bench (hmap and rculfhash, bench.c) and gomap (Go's map,
gomap.go) with ARGS (-q: up to 10^5 entries), one after the other, and
writes into DIR:
  native.json   one record per result, the shape of make bench's
                results.json (structure, n, phase, ns_per_op, ...) plus
                cpu and compiler
  native.md     the tables, printed too
With --readme, the tables also replace the part of README.md between
"<!-- bench-native:begin -->" and "<!-- bench-native:end -->".
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

# bench/bench_common.py, shared with make bench's bench/results.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                *[os.pardir] * 4, "bench"))
from bench_common import (Results, fmt_ns, fmt_x, host_cpu,  # noqa: E402
                          pow10, target_row, update_readme)

BEGIN = "<!-- bench-native:begin -->"
END = "<!-- bench-native:end -->"
MAPS = ["hmap", "gomap", "rculfhash"]
PHASES = [("insert", "insert (into an empty map)"), ("lookup_hit", "lookup, hit"),
          ("lookup_miss", "lookup, miss"), ("delete", "delete (down to empty)")]


def run(cmd):
    print("bench-native: " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(line) for line in p.stdout.splitlines()
            if line.startswith("{")]


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout
        return out.splitlines()[0].strip()
    except (OSError, IndexError):
        return "unknown"


def tables(res, info):
    ns = res.ns("hmap", "insert")
    out = []
    out.append("Measured %s on the **real CPU** (%s, %d online CPUs), "
               "%s; Go %s. hmap is the kernel core built by "
               "`tools/testing/hmap` (RCU from liburcu, no sanitizers); "
               "rculfhash is liburcu's, keyed with the kernel's hsiphash() "
               "(SipHash-1-3, as hmap); Go's map hashes with AES. Best of "
               "the rounds, nanoseconds per operation; 8-byte values; "
               "lookups take the RCU read lock (Go: none) and read the "
               "value."
               % (info["date"], info["cpu"], info["cpus"], info["compiler"],
                  info["go"]))
    out.append("")
    out.append("| operation | N | hmap | Go map | rculfhash | hmap / Go | "
               "hmap / rculfhash |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for suffix, what in [("", ""), ("_k32", ", 32-byte keys")]:
        for ph, name in PHASES:
            for n in ns:
                p = ph + suffix
                out.append("| %s%s | %s | %s | %s | %s | %s | %s |" % (
                    name, what, pow10(n), fmt_ns(res.get("hmap", n, p)),
                    fmt_ns(res.get("gomap", n, p)),
                    fmt_ns(res.get("rculfhash", n, p)),
                    fmt_x(res.ratio("hmap", "gomap", n, p)),
                    fmt_x(res.ratio("hmap", "rculfhash", n, p))))
    out.append("")
    out.append("Memory the map holds per entry beyond its key and value "
               "(bytes; heap in use after the map settled: glibc's for hmap "
               "and rculfhash, Go's after a GC; hmap's own counter in "
               "brackets). hmap settled means its resizes done and a spare "
               "array, allocated ahead of a grow that did not come, freed "
               "(its worker frees one once writes have been idle for a "
               "second)%s." % (
                   "" if all(r.get("one_array", True)
                             for k, r in res.by.items()
                             if k[0] == "hmap" and
                             k[2].startswith("overhead"))
                   else "; **a spare was still held after 5 s in some "
                   "rows**"))
    out.append("")
    out.append("| N | key | hmap | Go map | rculfhash |")
    out.append("|---:|---:|---:|---:|---:|")
    for ph, key in [("overhead", 8), ("overhead_k32", 32)]:
        for n in ns:
            out.append("| %s | %d | %s (%s) | %s | %s |" % (
                pow10(n), key,
                fmt_ns(res.get("hmap", n, ph, "bytes_per_entry")),
                fmt_ns(res.get("hmap", n, ph, "bytes_per_entry_counter")),
                fmt_ns(res.get("gomap", n, ph, "bytes_per_entry")),
                fmt_ns(res.get("rculfhash", n, ph, "bytes_per_entry"))))
    out.append("")
    out.append("Lookups against the machine's memory latency: a dependent "
               "pointer chase through a buffer as large as hmap at N, in "
               "random 64-byte lines (ns per step), and each map's lookup "
               "hit in units of it.")
    out.append("")
    out.append("| N | buffer | chase | hmap hit | Go hit | rculfhash hit |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        chase = res.get("memory", n, "pointer_chase")
        buf = res.get("memory", n, "pointer_chase", "bytes")
        cells = []
        for s in MAPS:
            hit = res.get(s, n, "lookup_hit")
            cells.append("–" if hit is None or not chase else
                         "%.2f" % (hit / chase))
        out.append("| %s | %s | %s | %s |" % (
            pow10(n), "–" if buf is None else "%.1f MiB" % (buf / 2 ** 20),
            fmt_ns(chase), " | ".join(cells)))
    mixed_n = sorted({k[1] for k in res.by if k[2] == "mixed_lookup"})
    if mixed_n:
        out.append("")
        out.append("Lookups while a writer resizes the map: a reader thread "
                   "per CPU looks up keys present throughout while a writer "
                   "deletes the other 7/8 of the N keys and inserts them "
                   "back, over and over (Go's map is not safe for this and "
                   "is not in the table). ns/lookup is reader CPU time.")
        out.append("")
        out.append("| N | ns/lookup hmap | ns/lookup rculfhash | hmap / "
                   "rculfhash | lookups/s hmap | lookups/s rculfhash | "
                   "writes/s hmap | writes/s rculfhash |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in mixed_n:
            g = lambda s, k="ns_per_op": res.get(s, n, "mixed_lookup", k)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                pow10(n), fmt_ns(g("hmap")), fmt_ns(g("rculfhash")),
                fmt_x(res.ratio("hmap", "rculfhash", n, "mixed_lookup")),
                fmt_ns(g("hmap", "lookups_per_s")),
                fmt_ns(g("rculfhash", "lookups_per_s")),
                fmt_ns(g("hmap", "writes_per_s")),
                fmt_ns(g("rculfhash", "writes_per_s"))))
    lat_n = sorted({k[1] for k in res.by if k[2] == "insert_lat_p50"})
    if lat_n:
        n = lat_n[-1]
        out.append("")
        out.append("Per-insert latency while growing from empty to %s "
                   "(8-byte keys; ns, each insert timed alone)." % pow10(n))
        out.append("")
        out.append("| map | p50 | p99 | p99.9 | max | mean |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for s in MAPS:
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                s, *[fmt_ns(res.get(s, n, "insert_lat_" + p))
                     for p in ["p50", "p99", "p999", "max"]],
                fmt_ns(res.get(s, n, "insert_lat_p50", "mean_ns"))))
    out.append("")
    out.append("Targets of issue 12 (worst ratio over N):")
    out.append("")
    out.append("| target | met | worst |")
    out.append("|---|---|---|")

    look_ins = ["lookup_hit", "lookup_miss", "insert", "lookup_hit_k32",
                "lookup_miss_k32", "insert_k32"]
    for goal, b, limit in [("lookups and inserts no slower than Go's map",
                            "gomap", 1.0),
                           ("lookups and inserts at most 0.7x rculfhash's",
                            "rculfhash", 0.7)]:
        out.append(target_row(goal, res.ratios("hmap", b, look_ins, ns),
                              lambda x: x <= limit) or
                   "| %s | – | – |" % goal)
    mem = target_row("memory per entry at most rculfhash's",
                     res.ratios("hmap", "rculfhash",
                                ["overhead", "overhead_k32"], ns,
                                "bytes_per_entry"), lambda x: x <= 1)
    if mem:
        out.append(mem)
    big = max(ns) if ns else None
    if big and res.get("memory", big, "pointer_chase"):
        u = res.get("hmap", big, "lookup_hit") / \
            res.get("memory", big, "pointer_chase")
        out.append("| lookup hits at %s within 2.5 memory latencies | %s | "
                   "%.2f |" % (pow10(big), "yes" if u <= 2.5 else "**no**", u))
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--hmap", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--readme")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    recs = run([a.hmap] + a.args) + run([a.go] + a.args)
    info = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": host_cpu(),
        "cpus": os.cpu_count() or 1,
        "compiler": tool_version(["clang", "--version"]),
        "go": tool_version([os.environ.get("GO", "go"), "version"]),
    }
    for r in recs:
        r["cpu"] = info["cpu"]
        r["compiler"] = info["go"] if r["structure"] == "gomap" \
            else info["compiler"]
    recs.sort(key=lambda r: (r["structure"], r["n"], r["phase"]))
    with open(os.path.join(a.out, "native.json"), "w") as fh:
        json.dump(recs, fh, indent=1)
    md = tables(Results(recs), info)
    with open(os.path.join(a.out, "native.md"), "w") as fh:
        fh.write(md)
    print(md)
    if a.readme:
        update_readme(a.readme, BEGIN, END, "make bench-native", md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
