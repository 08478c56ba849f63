#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the serial log of a `make bench` guest into results.

Usage: results.py SERIAL_LOG OUT_DIR [--wall SECONDS] [--readme README.md]
                  [--host-other-load CPUS] [--ab-ref "REV SUBJECT"]
                  [--ab-new "DESCRIPTION OF THIS TREE"]

Reads the lines the guest printed (bench/guest/bench.sh, hmap_bench.ko,
hmap-ubench):
  HMAP-BENCH {json}         one result: structure, n, phase, ns_per_op, ...
  HMAP-BENCH-SERIES {json}  per-insert latency, max and mean per window
  HMAP-BENCH-INFO {json}    facts about the run, and writers phases that
                            gave no figures: "timed_out" or "failed" (with
                            "error"): the phase, or <ctx>_w<W>_insert_lat
                            for a latency pass
  HMAP-PROF ...             profiler output (with hmap_bench_profile=1)
  Average test time: NS     from the kernel's test_rhashtable module
and writes into OUT_DIR:
  results.json   the list of result records (sorted), for scripts
  run.json       when, where and how the run was made
  results.md     the tables (Markdown), with the plot next to them
  latency.dat    the plot's data, for bench/latency.gp
  profile.txt    the profiles, if any
An A/B run (HMAP_BENCH_AB, with --ab-ref naming the reference core; its
records follow "ab_side" INFO lines) gets only its own table.
A run whose guest says "icount":1 (HMAP_BENCH_ICOUNT=1) has guest
instruction counts for figures (QEMU -icount: 1 ns per instruction, idle
time skipped): labelled so, and an A/B table does not normalise by
rhashtable.
With --readme, the tables also replace the part of README.md between the
lines "<!-- bench-results:begin -->" and "<!-- bench-results:end -->".

Exits 1 if the guest reported an error, a kernel splat is in the log or an
expected result is missing; the files are written anyway.
"""
import datetime
import json
import math
import os
import re
import sys

from bench_common import (Results, fmt_ns, fmt_x, host_cpu, pow10,
                          target_row, update_readme)

LINE = re.compile(r"(HMAP-BENCH(?:-SERIES|-INFO)?) (\{.*\})\s*$")
PROF = re.compile(r"HMAP-PROF (.*?)\s*$")
RHT_AVG = re.compile(r"Average test time: (\d+)")


def splat_patterns():
    """The kernel splats of scripts/kernel-splats.txt, as one expression."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        os.pardir, "scripts", "kernel-splats.txt")
    with open(path) as f:
        pats = [p.rstrip("\n") for p in f if p.strip() and p[0] != "#"]
    return re.compile("|".join(f"(?:{p})" for p in pats))


SPLAT = splat_patterns()
ERROR = re.compile(r"HMAP-BENCH-ERROR (.*?)\s*$|hmap_bench: ('.*' failed.*?)\s*$"
                   r"|HMAP-GUEST-FAIL: (.*?)\s*$")
BEGIN = "<!-- bench-results:begin -->"
END = "<!-- bench-results:end -->"

KERNEL_PHASES = [
    ("insert", "insert (into an empty map)"),
    ("lookup_hit", "lookup, hit"),
    ("lookup_miss", "lookup, miss"),
    ("delete", "delete (down to empty)"),
    ("lookup_hit_k32", "lookup, hit, 32-byte keys"),
    ("lookup_miss_k32", "lookup, miss, 32-byte keys"),
    ("insert_k32", "insert, 32-byte keys"),
    ("delete_k32", "delete, 32-byte keys"),
]
USER_PHASES = [
    ("insert", "insert"),
    ("lookup_hit", "lookup, hit"),
    ("lookup_miss", "lookup, miss"),
    ("delete", "delete"),
    ("batch_update", "batch update (256 per call)"),
    ("batch_lookup", "batch lookup (256 per call)"),
    ("batch_delete", "batch delete (256 per call)"),
    ("dump", "full dump (one call)"),
    ("dump_b256", "full dump (256 per call)"),
    ("dump_get_next_key", "full dump, get_next_key + lookup"),
]
LAT = [("insert_lat_p50", "p50"), ("insert_lat_p99", "p99"),
       ("insert_lat_p999", "p99.9"), ("insert_lat_max", "max")]
# Writes from several writers (hmap_bench "writers"): phase
# <ctx>_<op>_w<writers>, ctx sirq (softirq) or task (process context); each
# op's speed-up is against the one-writer row of the op named second.
WRITER_PHASES = [
    ("insert", "insert (growing from empty)", "insert"),
    ("update", "update (replace every value)", "update"),
    ("update_shared", "update, all keys from every writer", "update"),
    ("delete", "delete (shrinking to empty)", "delete"),
]
WRITERS = re.compile(r"(sirq|task)_(\w+)_w(\d+)$")
# The writers' insert-latency pass: <ctx>_w<writers>_insert_lat in a
# "timed_out" or "failed" line; its records add _p50 ... _max.
WLAT = re.compile(r"(sirq|task)_w(\d+)_insert_lat$")
WRITER_TIMEOUT_MSEC = 300000
MAPS = ("hmap", "rhashtable")


def writer_ops(w):
    """The phases of a writers round with @w writers, in the order they
    run (hmap_bench.c, bench_writers_round())."""
    return [op for op, _, _ in WRITER_PHASES
            if op != "update_shared" or w > 1]


def parse(path):
    recs, series, info, prof, errors, splats = [], [], [], [], [], []
    rht_avg = None
    # An A/B run's side and pass, for the records that follow its INFO line
    ab = None
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    for raw in text.splitlines():
        line = raw.replace("\r", "")
        m = LINE.search(line)
        if m:
            try:
                obj = json.loads(m.group(2))
            except ValueError:
                errors.append("unparsable line: " + line[:120])
                continue
            if m.group(1) == "HMAP-BENCH-INFO" and "ab_side" in obj:
                ab = (obj["ab_side"], obj.get("ab_pass"))
            elif m.group(1) == "HMAP-BENCH" and ab:
                obj["ab_side"], obj["ab_pass"] = ab
            {"HMAP-BENCH": recs, "HMAP-BENCH-SERIES": series,
             "HMAP-BENCH-INFO": info}[m.group(1)].append(obj)
            continue
        m = PROF.search(line)
        if m:
            prof.append(m.group(1))
            continue
        m = RHT_AVG.search(line)
        if m:
            rht_avg = int(m.group(1))
        m = ERROR.search(line)
        if m:
            errors.append(next(g for g in m.groups() if g))
        if SPLAT.search(line):
            splats.append(line.strip())
    return recs, series, info, prof, rht_avg, errors, splats


def fmt_ratio(a, b):
    return fmt_x(None if a is None or not b else a / b)


def dash(v):
    """@v, or a dash for None."""
    return "–" if v is None else v


def fmt_pct(v):
    return "–" if v is None else f"{v:.0f}%"


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


class GuestResults(Results):
    def __init__(self, recs, lost=()):
        super().__init__(recs)
        # {(structure, n, phase): "timed out" or "failed (error E)"}: the
        # writers phases and latency passes that gave no figures
        self.lost = {(s, n, p): why for s, n, p, why in lost}
        # hmap_bench's writer_timeout_ms, in seconds (set by main())
        self.writer_timeout_s = f"{WRITER_TIMEOUT_MSEC / 1000:g}"
        # hmap_bench's "stall" INFO records, one per CPU (set by main())
        self.stalls = []

    def why(self, structure, n, phase):
        """Why writers phase @phase (<ctx>_<op>_w<W>) or latency pass
        <ctx>_w<W>_insert_lat has no record: it timed out or failed, or
        "not run" after a phase of its map and number of writers that did
        (hmap_bench.c, bench_writers()); None if it has one, or if nothing
        says why."""
        if (structure, n, phase) in self.lost:
            return self.lost[(structure, n, phase)]
        m = WLAT.match(phase)
        if m:
            if self.get(structure, n, phase + "_max") is not None:
                return None
            first = f"{m.group(1)}_insert_w{m.group(2)}"
            return "not run" if (structure, n, first) in self.lost else None
        m = WRITERS.match(phase)
        if not m or self.get(structure, n, phase) is not None:
            return None
        ctx, op, w = m.group(1), m.group(2), int(m.group(3))
        ops = writer_ops(w)
        if op not in ops:
            return None
        for before in ops[:ops.index(op)]:
            if (structure, n, f"{ctx}_{before}_w{w}") in self.lost:
                return "not run"
        return None

    def cell(self, structure, n, phase):
        """ns_per_op of a writers phase, or why there is none."""
        v = self.get(structure, n, phase)
        if v is None:
            return self.why(structure, n, phase) or "–"
        return fmt_ns(v)

    def lost_by(self, structure, match):
        """(n, phase, why) of what @structure lost, for phases @match
        accepts, in order."""
        return sorted((n, p, why) for (s, n, p), why in self.lost.items()
                      if s == structure and match(p))

    def spread(self, structure, n, phase):
        """How far the median round is above the best one, in percent."""
        best = self.get(structure, n, phase)
        med = self.get(structure, n, phase, "median_ns_per_op")
        return None if not best or med is None else 100 * (med / best - 1)

    def fmt(self, a, b, n, phase):
        return fmt_x(self.ratio(a, b, n, phase))


def kernel_table(res, out):
    ns = sorted({n for (s, n, p) in res.by if s == "hmap" and
                 p in dict(KERNEL_PHASES)})
    if not ns:
        return
    out.append("### In the kernel: hmap vs rhashtable\n")
    out.append("Nanoseconds per operation, best of the rounds (the maps "
               "take turns; the median round is in results.json, and "
               "\"spread\" says how much slower it was than the best, hmap "
               "/ rhashtable); the ratio is hmap / rhashtable, below 1 when "
               "hmap is faster. 8-byte keys and values unless noted; "
               "lookups run under `rcu_read_lock()` and read the value; no "
               "size hint.\n")
    out.append("| operation | N | rounds | hmap | rhashtable | "
               "hmap / rhashtable | spread |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for phase, label in KERNEL_PHASES:
        for n in ns:
            h, r = res.get("hmap", n, phase), res.get("rhashtable", n, phase)
            if h is None and r is None:
                continue
            reps = res.get("hmap", n, phase, "reps")
            out.append(f"| {label} | {pow10(n)} | {reps} | {fmt_ns(h)} | "
                       f"{fmt_ns(r)} | "
                       f"{res.fmt('hmap', 'rhashtable', n, phase)} | "
                       f"{fmt_pct(res.spread('hmap', n, phase))} / "
                       f"{fmt_pct(res.spread('rhashtable', n, phase))} |")
    out.append("")


AB_LIMIT = 1.05


def ab_table(recs, ref, new, out, icount=False):
    """The A/B run's table (HMAP_BENCH_AB): per suite phase and N, the
    median of each core's rounds over its passes, and this tree's time
    over @ref's, normalised pass pair by pass pair: in passes p (ref) and
    q (new), run one after the other, (hmap_q / rht_q) / (hmap_p / rht_p)
    with each figure the median of that pass's rounds. rhashtable is the
    same code on both sides, so dividing by its ratio takes out what the
    host drifted between the two passes. The cell gives the median of the
    pairs' ratios and their range; the verdict compares the worst cell's
    with AB_LIMIT. Under @icount (HMAP_BENCH_ICOUNT=1) a figure is a
    count of guest instructions, which does not drift with the host: the
    pair's ratio is hmap_q / hmap_p, not divided by rhashtable's (whose
    own pass to pass variation, the other vCPU's and RCU's instructions
    interleaved with its loop, would only add noise); rhashtable's
    new / ref column stays, as a check of how repeatable the counts
    were. Return the problems found."""
    pm, side_of = {}, {}
    for r in recs:
        side = r.get("ab_side")
        if side not in ("ref", "new") or r.get("ns_per_op") is None:
            continue
        p = r.get("ab_pass")
        side_of[p] = side
        pm[(p, r["structure"], r["n"], r["phase"])] = median(
            r.get("rounds") or [r["ns_per_op"]])
    passes = sorted(p for p in side_of if p is not None)
    sides = [side_of[p] for p in passes]
    if set(sides) != {"ref", "new"}:
        return ["A/B run without records of both cores"]
    problems = []
    pairs = []
    # The guest runs pair k as passes 2k - 1 and 2k: a pass that left no
    # records loses its own pair only.
    groups = {}
    for p in passes:
        groups.setdefault((p - 1) // 2, []).append(p)
    for k, g in sorted(groups.items()):
        sides_g = sorted(side_of[p] for p in g)
        if sides_g != ["new", "ref"]:
            problems.append(f"A/B run: pair {k + 1} has passes "
                            f"{', '.join(map(str, g))} of "
                            f"{', '.join(sides_g)}: left out (a pass "
                            f"failed?)")
            continue
        pairs.append(tuple(sorted(g, key=lambda p: side_of[p] != "ref")))
    order = [p for p, _ in KERNEL_PHASES]
    cells = sorted({k[2:] for k in pm if k[1] == "hmap"},
                   key=lambda c: (order.index(c[1]) if c[1] in order
                                  else len(order), c[1], c[0]))
    for p in passes:
        for n, phase in cells:
            for s_ in ("hmap", "rhashtable"):
                if (p, s_, n, phase) not in pm:
                    problems.append(f"A/B run: {s_} {phase} at {pow10(n)} "
                                    f"missing from pass {p} "
                                    f"({side_of[p]} core)")
    out.append("### A/B in one boot: this tree's core against another's\n")
    unit = ("guest instructions per operation (HMAP_BENCH_ICOUNT=1: "
            "both vCPUs', the map's worker and RCU included)" if icount
            else "nanoseconds per operation")
    pair = ("hmap new / hmap ref of that pair's two passes, each figure "
            "the median of its pass's rounds (instruction counts do not "
            "drift with the host: no normalisation)" if icount else
            "(hmap new / rhashtable new) / (hmap ref / rhashtable ref) "
            "of that pair's two passes, each figure the median of its "
            "pass's rounds: rhashtable's code is the same on both sides, "
            "so this takes out how much the host drifted between the "
            "passes")
    out.append(f"Reference core: {ref}, built with this tree's bench; "
               f"this tree: {new}; the single-writer suites only, the "
               f"cores in turn, {len(pairs)} pairs of passes (ref new, new "
               f"ref, ...). hmap ref and new: {unit}, the median of each "
               f"core's rounds. new / ref, each pair: {pair}; the median "
               f"over the pairs, and their range. Below 1 when this tree "
               f"{'runs fewer' if icount else 'is faster'}.\n")
    out.append("| operation | N | hmap ref | hmap new | rhashtable new / "
               "ref | hmap new / ref, each pair (median) | range |")
    out.append("|---|---:|---:|---:|---:|---:|---|")

    def side_med(side, s_, n, phase):
        v = [pm[(p, s_, n, phase)] for p in passes
             if side_of[p] == side and (p, s_, n, phase) in pm]
        return median(v) if v else None

    labels = dict(KERNEL_PHASES)
    worst, logs, over, unsure, unmeasured = None, [], [], [], []
    for n, phase in cells:
        r = []
        for p, q in pairs:
            try:
                if icount:
                    r.append(pm[(q, "hmap", n, phase)] /
                             pm[(p, "hmap", n, phase)])
                    continue
                r.append((pm[(q, "hmap", n, phase)] /
                          pm[(q, "rhashtable", n, phase)]) /
                         (pm[(p, "hmap", n, phase)] /
                          pm[(p, "rhashtable", n, phase)]))
            except (KeyError, ZeroDivisionError):
                pass
        h = [side_med(side, "hmap", n, phase) for side in ("ref", "new")]
        rh = [side_med(side, "rhashtable", n, phase)
              for side in ("ref", "new")]
        label = labels.get(phase, phase)
        mid = median(r) if r else None
        rng = f"{min(r):.2f}–{max(r):.2f}" if r else "–"
        out.append(f"| {label} | {pow10(n)} | {fmt_ns(h[0])} | "
                   f"{fmt_ns(h[1])} | {fmt_ratio(rh[1], rh[0])} | "
                   f"{fmt_x(mid)} | {rng} |")
        if mid is not None and mid > 0:
            logs.append(math.log(mid))
            if worst is None or mid > worst[0]:
                worst = (mid, label, n, rng)
            # Over only if every pair says so, within only if every pair
            # says so; anything between is not decided by this run.
            if min(r) > AB_LIMIT:
                over.append(f"{label} at {pow10(n)}")
            elif max(r) > AB_LIMIT:
                unsure.append(f"{label} at {pow10(n)}")
        else:
            unmeasured.append(f"{label} at {pow10(n)}")
    pct = f"{round((AB_LIMIT - 1) * 100)}%"
    if not worst:
        out.append("\nVerdict: none, no pair of passes has both cores' "
                   "figures.")
    else:
        if over:
            verdict = (f"NOT within {pct} of the reference core: every "
                       f"pair above {AB_LIMIT} for " + ", ".join(over))
        elif unsure or unmeasured or problems:
            why = []
            if unsure:
                why.append(f"pairs on both sides of {AB_LIMIT} for " +
                           ", ".join(unsure))
            if unmeasured:
                why.append("no pair for " + ", ".join(unmeasured))
            if problems:
                why.append("passes missing or left out (see below)")
            verdict = ("not decided by this run: " + "; ".join(why) +
                       " (run more pairs)")
        else:
            verdict = (f"within {pct} of the reference core: every pair "
                       f"of every cell at or below {AB_LIMIT}")
        what = "instructions" if icount else "time"
        if icount:
            verdict += (" (in guest instructions, the other vCPU's "
                        "included: not the time a writer takes)")
        out.append(f"\nVerdict: {verdict}. The worst median is {worst[1]} "
                   f"at {pow10(worst[2])}, {worst[0]:.2f} x its {what} "
                   f"(pairs {worst[3]}); the geometric mean over all "
                   f"{len(logs)} cells is "
                   f"{math.exp(sum(logs) / len(logs)):.2f}.")
    out.append("")
    return problems


def latency_rows(res, out, n, prefix="", first=""):
    """The rows of one N of a latency table, phases @prefix + LAT; @first
    the cells before the map's name. A writers' latency pass without
    figures says why in its cells."""
    for s in ("hmap", "rhashtable"):
        cells = [fmt_ns(res.get(s, n, prefix + p)) for p, _ in LAT]
        mean = res.get(s, n, prefix + "insert_lat_p50", "mean_ns")
        over = res.get(s, n, prefix + "insert_lat_max", "over_1ms")
        why = res.why(s, n, prefix + "insert_lat") if prefix else None
        if why:
            cells = [why] * len(LAT)
        out.append(f"| {pow10(n)} | {first}{s} | " + " | ".join(cells) +
                   f" | {fmt_ns(mean)} | {dash(over)} |")
    cells = [fmt_ratio(res.get("hmap", n, prefix + p),
                       res.get("rhashtable", n, prefix + p)) for p, _ in LAT]
    mean = fmt_ratio(res.get("hmap", n, prefix + "insert_lat_p50", "mean_ns"),
                     res.get("rhashtable", n, prefix + "insert_lat_p50",
                             "mean_ns"))
    out.append(f"| {pow10(n)} | {first}hmap / rhashtable | " +
               " | ".join(cells) + f" | {mean} | – |")


def latency_table(res, out):
    ns = res.ns("hmap", "insert_lat_max")
    if not ns:
        return
    out.append("### Insert latency while growing from empty to N\n")
    out.append("Nanoseconds per insert, each timed with `ktime_get_ns()`; "
               "the percentiles for 10^4 and 10^5 are the first 10^4 and "
               "10^5 inserts of the run to 10^6. \"over 1 ms\" counts the "
               "inserts that took longer (see \"Stalls of the emulator\" "
               "below for what an empty loop loses).\n")
    out.append("| N | map | p50 | p99 | p99.9 | max | mean | over 1 ms |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        latency_rows(res, out, n)
    out.append("")


def writers_runs(res, ctx):
    """(n, writers) of the writers throughput phases in context @ctx there
    are records of, or that gave no figures, either map."""
    keys = list(res.by) + list(res.lost)
    return {(n, int(m.group(3))) for (s, n, p) in keys
            for m in [WRITERS.match(p)] if m and m.group(1) == ctx}


def rounds_cell(h, r):
    """The rounds of a writers row: hmap's, or both maps' where they
    differ (a phase that failed ends its map's rounds early)."""
    return dash(h) if h == r or r is None else f"{dash(h)}, {r}"


def lost_text(res):
    """What the writers tables say of the phases that gave no figures."""
    return (f"A phase still running after {res.writer_timeout_s} s is "
            "stopped and shown as \"timed out\", one that fails otherwise "
            "as \"failed\", with the error. That costs, for that map and "
            "number of writers only, the phase's figures (from every "
            "round) and the rounds after it, which are not run: the "
            "phases after it have only the rounds before (\"not run\" if "
            "none; rounds gives both maps' counts where they differ), and "
            "after a failed insert phase the latency pass below is not run "
            "either. The other map and the other number of writers are "
            "measured in full.")


def writers_table(res, out, ctx):
    runs = writers_runs(res, ctx)
    ws = sorted({w for _, w in runs})
    ns = sorted({n for n, _ in runs})
    if not ns or not ws:
        return
    if ctx == "task":
        out.append("### Writes from process context: one writer and one "
                   "per CPU\n")
        out.append(
            "As from softirq (above), but each writer is a kthread bound "
            "to its CPU (one writer: the first online CPU), woken to "
            "start, with `cond_resched()` every 128 writes, on maps for "
            "writers that may sleep: an hmap without `HMAP_F_ATOMIC`, "
            "rhashtable objects `kmalloc(GFP_KERNEL)`ed. A refused write "
            "is made again after the same back-off as from softirq, the "
            "kthread sleeping meanwhile. rhashtable's rehash shares the "
            "CPU of the writer that queued it with that writer's kthread, "
            "as the scheduler decides.\n")
        writers_rows(res, out, ctx, ns, ws)
        return
    out.append("### Writes from softirq: one writer and one per CPU\n")
    out.append(
        "Each writer is a tasklet on its own CPU that makes up to 128 "
        "writes a run and schedules itself again until its keys are done, "
        "so all writes run in softirq. Every writer starts the same way, "
        "whichever CPU the benchmark's thread is on: an IPI (on the "
        "thread's own CPU a call with interrupts off) arms a pinned "
        "softirq hrtimer on its CPU, for one moment shared by all writers, "
        "and the timer schedules the tasklet; one writer runs on the "
        "first online CPU, the first of several writers' CPUs. The hmap "
        "is created with `HMAP_F_ATOMIC`; rhashtable objects are "
        "`kmalloc(GFP_ATOMIC)`ed and inserted with "
        "`rhashtable_lookup_insert_fast()`, updated with "
        "`rhashtable_lookup()` + `rhashtable_replace_fast()` (a new "
        "object, as hmap puts a new element in the slot) and deleted with "
        "`rhashtable_lookup()` + `rhashtable_remove_fast()`, both maps "
        "freeing with `kfree_rcu()`. "
        "The N keys are split into one range per writer, except in the "
        "\"all keys\" rows: there every writer updates all N keys, in the "
        "same order, so that they contend for the same buckets. A write "
        "refused with -EBUSY (rhashtable: a rehash is due) or -ENOMEM ends "
        "the writer's run and is made again after a back-off, the same "
        "for both maps: 10 µs, doubled at each refusal in a row up to "
        "160 µs, an hrtimer re-arming the tasklet, so that the CPU is "
        "left to the map's worker meanwhile; \"retries\" counts the "
        f"refusals over all rounds. {lost_text(res)} ns/write is "
        "wall time, from the first writer's start to the last one's end, "
        "over all writes, best of the rounds; hmap / rhashtable is below 1 "
        "when hmap is faster. "
        "The speed-up is the throughput of the writers over one writer's "
        "in the same operation (one writer's update for \"all keys\"); 2 "
        "would be perfect on 2 CPUs. hmap's worker (array allocation and "
        "evacuation) is on an unbound workqueue: with one writer it has "
        "the other CPU. rhashtable's rehash is queued with "
        "`schedule_work()` on the kernel's per-CPU workqueue, so it runs "
        "on the CPU of the writer that queued it, and gets that CPU only "
        "while the writer backs off or once the softirq work has been "
        "handed to ksoftirqd. With more writers, hmap's worker shares "
        "their CPUs too. The map settles (finishes resizing) between "
        "phases.\n")
    writers_rows(res, out, ctx, ns, ws)


def writers_rows(res, out, ctx, ns, ws):
    """The writers table of context @ctx, and its latency table."""
    out.append("| operation | N | writers | rounds | hmap | rhashtable | "
               "hmap / rhashtable | speed-up hmap | speed-up rhashtable | "
               "retries hmap, rhashtable |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op, label, base in WRITER_PHASES:
        for n in ns:
            for w in ws:
                phase = f"{ctx}_{op}_w{w}"
                h = res.get("hmap", n, phase)
                r = res.get("rhashtable", n, phase)
                if h is None and r is None and not any(
                        res.why(s, n, phase) for s in MAPS):
                    continue
                one = f"{ctx}_{base}_w1"
                sh, sr = ("–", "–") if phase == one else (
                    fmt_ratio(res.get("hmap", n, one), h),
                    fmt_ratio(res.get("rhashtable", n, one), r))
                reps = [res.get(s, n, phase, "reps") for s in MAPS]
                out.append(
                    f"| {label} | {pow10(n)} | {w} | "
                    f"{rounds_cell(*reps)} | "
                    f"{res.cell('hmap', n, phase)} | "
                    f"{res.cell('rhashtable', n, phase)} | "
                    f"{res.fmt('hmap', 'rhashtable', n, phase)}"
                    f" | {sh} | {sr} | "
                    f"{dash(res.get('hmap', n, phase, 'retries'))}, "
                    f"{dash(res.get('rhashtable', n, phase, 'retries'))} |")
    out.append("")

    runs = [(n, w) for n in ns for w in ws
            if any(res.get(s, n, f"{ctx}_w{w}_insert_lat_max") is not None
                   or res.why(s, n, f"{ctx}_w{w}_insert_lat")
                   for s in MAPS)]
    if not runs:
        return
    out.append("#### Insert latency while growing, from " +
               ("softirq" if ctx == "sirq" else "process context") + "\n")
    out.append("The insert phase above once more with every insert timed "
               "with `ktime_get_ns()` (not in the throughput figures), "
               "nanoseconds per insert over all writers' inserts; a refused "
               "insert is timed from its first attempt to the one that "
               "succeeded, back-offs included.\n")
    out.append("| N | writers, map | p50 | p99 | p99.9 | max | mean | "
               "over 1 ms |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, w in runs:
        latency_rows(res, out, n, f"{ctx}_w{w}_", f"{w}, ")
    out.append("")


def stall_table(res, out, host_cpus):
    """What an empty loop lost on each CPU (hmap_bench's "stall"), with
    one CPU looping and with every one."""
    if not res.stalls:
        return
    secs = res.stalls[0]["msec"] / 1000
    out.append("### Stalls of the emulator\n")
    out.append(f"An empty loop for {secs:g} s (hmap_bench's `stall`: "
               "back-to-back `ktime_get_ns()` reads, preemption off, "
               "interrupts on), on the first CPU alone, then on every CPU "
               "at once: a gap between two reads is time any write on that "
               "CPU would have lost then, to interrupts, to QEMU and to the "
               f"host's scheduler (a {host_cpus}-core host running one "
               "thread per virtual CPU and QEMU's own). A maximum insert "
               "latency above shows something of the map only where it is "
               "well above the longest gap here with as many CPUs "
               "busy.\n")
    out.append("| CPUs looping | CPU | longest gap | gaps over 100 µs | "
               "gaps over 1 ms | over 1 ms per second |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for i in sorted(res.stalls, key=lambda i: (i.get("cpus", 0), i["cpu"])):
        rate = i["gaps_over_1ms"] / (i["msec"] / 1000)
        out.append(f"| {i.get('cpus', '–')} | {i['cpu']} | "
                   f"{fmt_ns(i['max_gap_ns'])} ns | "
                   f"{i['gaps_over_100us']} | {i['gaps_over_1ms']} | "
                   f"{rate:.2f} |")
    out.append("")


def mixed_table(res, out):
    ns = res.ns("hmap", "mixed_lookup")
    if not ns:
        return
    out.append("### Lookups while a writer resizes the map\n")
    out.append("A reader bound to each CPU looks up random keys of a set "
               "of N while a writer deletes the set down to N/8 and "
               "inserts it back, over and over, so that the map keeps "
               "growing and shrinking (3 threads on 2 CPUs; the two maps "
               "take turns in 6 slices). ns/lookup is reader CPU time per "
               "lookup; lookups/s is the readers' throughput, which also "
               "depends on how much CPU the writer (and, for rhashtable, "
               "its rehash worker) takes.\n")
    out.append("| N | ns/lookup hmap | ns/lookup rhashtable | hmap / "
               "rhashtable | lookups/s hmap | lookups/s rhashtable | "
               "resizes hmap, rhashtable | ns/write hmap, rhashtable |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        g = lambda s, k: res.get(s, n, "mixed_lookup", k)  # noqa: E731
        out.append(
            f"| {pow10(n)} | {fmt_ns(g('hmap', 'ns_per_op'))} "
            f"| {fmt_ns(g('rhashtable', 'ns_per_op'))} "
            f"| {fmt_ratio(g('hmap', 'ns_per_op'), g('rhashtable', 'ns_per_op'))} "
            f"| {g('hmap', 'lookups_per_sec') or 0:,} "
            f"| {g('rhashtable', 'lookups_per_sec') or 0:,} "
            f"| {g('hmap', 'resizes')}, {g('rhashtable', 'resizes')} "
            f"| {fmt_ns(g('hmap', 'writer_cpu_ns_per_op'))}, "
            f"{fmt_ns(g('rhashtable', 'writer_cpu_ns_per_op'))} |")
    out.append("")


def hash_table(res, out):
    ns = res.ns("hash", "siphash_8")
    if not ns:
        return
    n = ns[-1]
    out.append("### The hash functions alone\n")
    out.append("Nanoseconds per key, on the same keys, by the kernel's "
               "functions: SipHash-2-4 (`siphash_1u64()`, "
               "`siphash_4u64()`), jhash2 (rhashtable's default for these "
               "key sizes) and `hsiphash()` (on 64-bit, SipHash-1-3 "
               "rounds). `hmap_hash()` in hmap_core.c says which one hmap "
               "uses.\n")
    out.append("| key | SipHash-2-4 | jhash2 | hsiphash (1-3) | "
               "SipHash-2-4 / jhash2 | hsiphash / jhash2 |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for size in (8, 32):
        sip = res.get("hash", n, f"siphash_{size}")
        jh = res.get("hash", n, f"jhash2_{size}")
        hs = res.get("hash", n, f"hsiphash_{size}")
        out.append(f"| {size} bytes | {fmt_ns(sip)} | {fmt_ns(jh)} | "
                   f"{fmt_ns(hs)} | {fmt_ratio(sip, jh)} | "
                   f"{fmt_ratio(hs, jh)} |")
    out.append("")


def overhead_table(res, out):
    ns = res.ns("hmap", "overhead")
    if not ns:
        return
    out.append("### Memory overhead per entry at N\n")
    out.append("Bytes the map holds beyond the key and value bytes "
               "(16 per entry), from allocation sizes, after the map settled. "
               "hmap: its `bytes` counter; \"exact\" counts a bucket array "
               "above 4 MiB as the vmalloc() it is (the counter rounds it "
               "up to a power of two). rhashtable: bucket table plus one "
               "kmalloc()ed object per entry.\n")
    out.append("| N | hmap (counter) | hmap (exact) | hmap arrays held | "
               "rhashtable | hmap exact / rhashtable |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        h = res.get("hmap", n, "overhead", "bytes_per_entry")
        he = res.get("hmap", n, "overhead", "bytes_per_entry_exact")
        arrays = res.get("hmap", n, "overhead", "arrays")
        r = res.get("rhashtable", n, "overhead", "bytes_per_entry")
        held = "–" if arrays is None else (
            f"{arrays} (incl. the next, allocated ahead)" if arrays > 1
            else str(arrays))
        out.append(f"| {pow10(n)} | {fmt_ns(h)} | {fmt_ns(he)} | {held} "
                   f"| {fmt_ns(r)} | {fmt_ratio(he, r)} |")
    out.append("")


def rht_check(res, info, rht_avg, out):
    params = next((i["test_rhashtable"] for i in info
                   if "test_rhashtable" in i), None)
    if rht_avg is None or not params:
        return None
    n = params["parm_entries"]
    per_key = rht_avg / n
    out.append("### Cross-check: the kernel's test_rhashtable\n")
    text = (f"`test_rhashtable parm_entries={n} runs={params['runs']} "
            f"shrinking=1 tcount=0` reports \"Average test time: {rht_avg}\" "
            f"ns, {per_key:,.0f} ns per key. A run inserts every key, looks "
            f"up as many (half hits, half misses), walks the table twice and "
            f"deletes every key (lookup + remove), into a map with a size "
            f"hint of 8; its objects are preallocated.")
    parts = [res.get("rhashtable", n, p) for p in
             ("insert", "lookup_hit", "lookup_miss", "delete")]
    if None not in parts:
        ours = parts[0] + (parts[1] + parts[2]) / 2 + parts[3]
        text += (f" The same work from this benchmark's rhashtable figures "
                 f"at N = {pow10(n)}, insert + (hit + miss) / 2 + delete, is "
                 f"{ours:,.0f} ns per key, {ours / per_key:.2f} times the "
                 f"test's (ours also kmalloc()s and kfree_rcu()s every "
                 f"object and does not walk the table).")
    out.append(text + "\n")
    return per_key


def user_table(res, out):
    ns = res.ns("hmap_ioctl", "insert")
    if not ns:
        return
    for n in ns:
        out.append(f"### From user space: /dev/hmap vs bpf(2), N = {pow10(n)}"
                   "\n")
        out.append("Nanoseconds per key, best of the rounds (median in "
                   "results.json); 8-byte keys "
                   "and values; `BPF_MAP_TYPE_HASH` with `BPF_F_NO_PREALLOC` "
                   "(its bucket array is sized for max_entries = N) against "
                   "an anonymous hmap with no capacity hint (it grows). "
                   "bpf(2) has no lookup of a batch of given keys: its batch "
                   "lookup is `BPF_MAP_LOOKUP_BATCH`, a walk.\n")
        out.append("| operation | hmap_ioctl | bpf_htab | hmap / bpf |")
        out.append("|---|---:|---:|---:|")
        for phase, label in USER_PHASES:
            h = res.get("hmap_ioctl", n, phase)
            b = res.get("bpf_htab", n, phase)
            if h is None and b is None:
                continue
            out.append(f"| {label} | {fmt_ns(h)} | {fmt_ns(b)} | "
                       f"{res.fmt('hmap_ioctl', 'bpf_htab', n, phase)} |")
        out.append("")


def lost_row(goal, vals, ok, res, match):
    """target_row() for a target over writers phases, @match accepting
    the phases (and latency passes) it covers: a phase hmap lost to a
    timeout makes it **no**; any other phase lost, by either map, is named,
    and one hmap lost otherwise leaves it unknown unless what was measured
    already says no. None if there is nothing to say."""
    lost = {s: res.lost_by(s, match) for s in MAPS}
    if not vals and not any(lost.values()):
        return None
    worst = max(vals) if vals else None
    where = "–" if worst is None else \
        f"{worst[0]:.2f} ({worst[1]}, {pow10(worst[2])})"
    for s in MAPS:
        if lost[s]:
            where += f"; {s} " + ", ".join(
                f"{p} at {pow10(n)} {why}" for n, p, why in lost[s])
    if any(why == "timed out" for _, _, why in lost["hmap"]):
        met = "**no** (timed out)"
    elif worst is not None and not ok(worst[0]):
        met = "**no**"
    elif lost["hmap"] or worst is None:
        met = "**not known**"
    elif lost["rhashtable"]:
        met = "yes, where both have figures"
    else:
        met = "yes"
    return f"| {goal} | {met} | {where} |"


def goals(res, out):
    """The issue's targets, each checked against this run."""
    rows = []
    ns = res.ns("hmap", "insert")
    user_ns = res.ns("hmap_ioctl", "insert")

    def ratios(phases, a="hmap", b="rhashtable", nlist=None):
        return res.ratios(a, b, phases, nlist or ns)

    def row(goal, vals, ok):
        r = target_row(goal, vals, ok)
        if r:
            rows.append(r)

    row("hmap ahead of rhashtable on lookups, every N",
        ratios(["lookup_hit", "lookup_miss", "lookup_hit_k32",
                "lookup_miss_k32"]), lambda x: x < 1)
    row("hmap at least level on insert and delete (within 5%)",
        ratios(["insert", "delete"]), lambda x: x <= 1.05)
    row("ioctl no slower than bpf(2) per single operation (within 5%)",
        ratios(["insert", "lookup_hit", "lookup_miss", "delete"],
               "hmap_ioctl", "bpf_htab", user_ns),
        lambda x: x <= 1.05)
    row("ioctl faster than bpf(2) in batches",
        ratios(["batch_update", "batch_lookup", "batch_delete"],
               "hmap_ioctl", "bpf_htab", user_ns),
        lambda x: x < 1)
    lat = ratios(["insert_lat_max"], nlist=res.ns("hmap", "insert_lat_max"))
    for ctx, where in (("sirq", "softirq"), ("task", "process context")):
        runs = writers_runs(res, ctx)
        ws = sorted({w for _, w in runs})
        wn = sorted({n for n, _ in runs})
        if ws and ws[-1] > 1:
            # Any phase of the context, with any number of writers.
            def mine(p, ctx=ctx):
                m = WRITERS.match(p)
                return bool(m) and m.group(1) == ctx
            rows.append(lost_row(
                f"hmap's write throughput at least rhashtable's, {ws[-1]} "
                f"writers from {where}",
                ratios([f"{ctx}_{p}_w{ws[-1]}" for p in
                        ("insert", "update", "update_shared", "delete")],
                       nlist=wn), lambda x: x <= 1, res, mine))
        lat += ratios([f"{ctx}_w{w}_insert_lat_max" for w in ws],
                      nlist=wn)

    def lat_lost(p):
        # A latency pass, or an insert phase (after which it is not run).
        m = WRITERS.match(p)
        return bool(WLAT.match(p)) or bool(m) and m.group(2) == "insert"
    rows.append(lost_row("worst insert while growing below rhashtable's, "
                         "every N, every context and number of writers",
                         lat, lambda x: x < 1, res, lat_lost))
    rows[:] = [r for r in rows if r]
    big = max(res.ns("hmap", "insert_lat_max") or [0])
    if big:
        h = res.get("hmap", big, "insert_lat_max")
        r = res.get("rhashtable", big, "insert_lat_max")
        rows.append(f"| worst insert while growing to {pow10(big)} "
                    f"(hmap, rhashtable) | – | {fmt_ns(h)} ns, "
                    f"{fmt_ns(r)} ns |")
    for cpus in sorted({i.get("cpus", 0) for i in res.stalls}):
        st = [i for i in res.stalls if i.get("cpus", 0) == cpus]
        worst = max(i["max_gap_ns"] for i in st)
        over = sum(i["gaps_over_1ms"] for i in st)
        secs = sum(i["msec"] for i in st) / 1000
        rows.append(f"| longest stall of an empty loop, {cpus} CPU"
                    f"{'s' if cpus != 1 else ''} looping (the emulator's "
                    f"and the host's floor under any maximum) | – | "
                    f"{fmt_ns(worst)} ns ({over} gaps over 1 ms in "
                    f"{secs:g} CPU-seconds) |")
    if rows:
        out.append("### Targets\n")
        out.append("| target | met | worst hmap / reference ratio |")
        out.append("|---|---|---|")
        out.extend(rows)
        out.append("")


def lost_records(info):
    """(structure, n, phase, why) of each writers phase or latency pass
    the INFO lines say gave no figures."""
    for i in info:
        if "timed_out" in i:
            yield i["structure"], i["n"], i["timed_out"], "timed out"
        elif "failed" in i:
            yield (i["structure"], i["n"], i["failed"],
                   f"failed (error {i.get('error')})")


def lost_problems(res, info):
    """A line for "Problems in this run" per writers phase or latency pass
    without figures: what happened, and what else it cost."""
    lines = []
    for i in info:
        if "timed_out" in i:
            phase = i["timed_out"]
            what = f"timed out after {i['msec'] / 1000:g} s"
        elif "failed" in i:
            phase = i["failed"]
            what = f"failed with error {i.get('error')}"
        else:
            continue
        s, n, w = i["structure"], i["n"], i["writers"]
        line = (f"{s} {phase} at N = {pow10(n)} ({w} "
                f"writer{'' if w == 1 else 's'}) {what}: no figures")
        m = WRITERS.match(phase)
        if m:
            ctx, op = m.group(1), m.group(2)
            ops = writer_ops(w)
            after = []
            for later in ops[ops.index(op) + 1:] if op in ops else []:
                reps = res.get(s, n, f"{ctx}_{later}_w{w}", "reps")
                after.append(f"{later} not run" if reps is None else
                             f"{later} over {reps} round"
                             f"{'' if reps == 1 else 's'}")
            if op == "insert":
                after.append("latency pass not run")
            if after:
                line += (f"; {s} with {w} writer{'' if w == 1 else 's'} "
                         f"at that N: " + ", ".join(after))
        lines.append(line)
    return lines


def write_latency_dat(series, path):
    """Columns: entries, hmap max, hmap mean, rht max, rht mean (us)."""
    data = {}
    every = None
    for s in series:
        every = s["every"]
        for i, (mx, mean) in enumerate(zip(s["max"], s["mean"])):
            w = s["from"] + i
            data.setdefault(w, {})[s["structure"]] = (mx, mean)
    if not data:
        return False
    with open(path, "w") as f:
        f.write("# entries hmap_max_us hmap_mean_us rht_max_us rht_mean_us\n")
        for w in sorted(data):
            row = [str((w + 1) * every)]
            for s in ("hmap", "rhashtable"):
                mx, mean = data[w].get(s, (None, None))
                row += ["NaN" if mx is None else f"{mx / 1000:.3f}",
                        "NaN" if mean is None else f"{mean / 1000:.3f}"]
            f.write(" ".join(row) + "\n")
    return True


def main(argv):
    args = argv[1:]
    wall = readme = other_load = None
    if "--host-other-load" in args:
        i = args.index("--host-other-load")
        other_load = float(args[i + 1])
        del args[i:i + 2]
    if "--wall" in args:
        i = args.index("--wall")
        wall = int(args[i + 1])
        del args[i:i + 2]
    if "--readme" in args:
        i = args.index("--readme")
        readme = args[i + 1]
        del args[i:i + 2]
    ab_ref = ab_new = None
    if "--ab-ref" in args:
        i = args.index("--ab-ref")
        ab_ref = args[i + 1]
        del args[i:i + 2]
    if "--ab-new" in args:
        i = args.index("--ab-new")
        ab_new = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    log, outdir = args
    recs, series, info, prof, rht_avg, errors, splats = parse(log)
    os.makedirs(outdir, exist_ok=True)
    # Nothing of an earlier run may pass for this one's.
    for name in ("profile.txt", "latency.dat", "latency.png"):
        try:
            os.remove(os.path.join(outdir, name))
        except FileNotFoundError:
            pass

    recs.sort(key=lambda r: (r["structure"], r["phase"], r["n"]))
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(recs, f, indent=1)
        f.write("\n")
    res = GuestResults(recs, lost_records(info))
    limit = next((i["writer_timeout_msec"] for i in info
                  if "writer_timeout_msec" in i), WRITER_TIMEOUT_MSEC)
    res.writer_timeout_s = f"{limit / 1000:g}"
    res.stalls = [i for i in info if i.get("what") == "stall"]
    errors += lost_problems(res, info)
    guest = next((i for i in info if "kernel" in i), {})
    loops = [i for i in info if i.get("phase") == "profile_loop"]
    profile_only = bool(guest.get("profile_only"))
    ab_run = bool(guest.get("ab"))
    icount = bool(guest.get("icount"))
    if ab_run and not ab_ref:
        errors.append("A/B run without --ab-ref")
    if profile_only and not prof:
        errors.append("profile-only run without a profile")
    # What an A/B run does not measure is not missing.
    partial = profile_only or ab_run
    missing = [p for p in ("insert", "lookup_hit", "lookup_miss", "delete")
               if not res.ns("hmap", p) or not res.ns("rhashtable", p)]
    if missing and not profile_only:
        errors.append("missing in-kernel results: " + ", ".join(missing))
    if not partial and (not res.ns("hmap", "sirq_insert_w1") or
                             not res.ns("rhashtable", "sirq_insert_w1")):
        errors.append("missing softirq writers results")
    if not partial and not res.ns("hmap_ioctl", "insert"):
        errors.append("missing user-space results")
    if rht_avg is None and not partial:
        errors.append("no test_rhashtable \"Average test time\"")
    if readme and partial:
        errors.append("a profile-only or A/B run does not go into the "
                      "README")
    if readme and icount:
        errors.append("an instruction-counted run does not go into the "
                      "README")

    timer = next((i for i in info if i.get("what") == "ktime_get_ns"), {})
    now = datetime.datetime.now(datetime.timezone.utc)
    run = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "emulation": "QEMU TCG (software emulation, no KVM)",
        "guest_cpus": guest.get("cpus"),
        "guest_kernel": guest.get("kernel"),
        "clocksource": guest.get("clocksource"),
        "quick": bool(guest.get("quick")),
        "host_cpu": host_cpu(),
        "host_cpus": os.cpu_count(),
        "ktime_get_ns_cost_ns": timer.get("median_ns"),
        "test_rhashtable_avg_ns": rht_avg,
        "wall_seconds": wall,
        "host_other_load": other_load,
        "ab_ref": ab_ref,
        "ab_new": ab_new,
        "icount": icount,
        "errors": errors,
        "splats": splats[:20],
    }

    out = []
    out.append(f"Measured {run['date']} under **QEMU software emulation** "
               f"(TCG, no KVM) with {run['guest_cpus']} virtual CPUs, on "
               f"a {run['host_cpus']}-core {run['host_cpu']} host; guest "
               f"kernel {run['guest_kernel']} built without debug options "
               f"(`scripts/kernel-bench.config`), clocksource "
               f"{run['clocksource']}. Emulation runs kernel code tens of "
               f"times slower than hardware and not uniformly so: compare "
               f"the ratios, not the absolute figures.")
    if icount:
        out.append("\n**Instruction-counted run (HMAP_BENCH_ICOUNT=1, QEMU "
                   "-icount shift=0,sleep=off): the guest's clock advanced "
                   "1 ns per guest instruction of either vCPU and jumped "
                   "over idle time, so every \"ns\" figure below (and in "
                   "profile.txt) is a count of guest instructions (both "
                   "vCPUs', whatever ran meanwhile), not a time.**")
    elif other_load is not None and other_load > 0.1:
        out.append(f"\n**The host was busy with other work during the run "
                   f"({other_load:.2f} CPUs on average besides QEMU): the "
                   f"figures are noisier than usual.**")
    if run["quick"]:
        out.append("\n**Quick run (HMAP_BENCH_QUICK=1): small sizes, a "
                   "check of the pipeline, not a measurement.**")
    if profile_only and not ab_run:
        out.append("\n**Profile-only run (HMAP_BENCH_PROFILE=only): no "
                   "measurement but the profiled loops' (profile.txt).**")
    out.append("")
    if ab_run:
        errors += ab_table(recs, ab_ref, ab_new or "(not named)", out,
                           icount)
    else:
        goals(res, out)
        kernel_table(res, out)
        latency_table(res, out)
        if write_latency_dat(series, os.path.join(outdir, "latency.dat")):
            out.append("![Per-insert latency while growing to 10^6 "
                       "entries](latency.png)\n")
        writers_table(res, out, "sirq")
        writers_table(res, out, "task")
        stall_table(res, out, run["host_cpus"])
        mixed_table(res, out)
        overhead_table(res, out)
        hash_table(res, out)
        rht_check(res, info, rht_avg, out)
        user_table(res, out)
    if errors or splats:
        out.append("### Problems in this run\n")
        out.extend(f"- {e}" for e in errors)
        out.extend(f"- kernel: `{s}`" for s in splats[:20])
        out.append("")
    body = "\n".join(out).rstrip() + "\n"

    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("# hmap benchmarks (`make bench`)\n\n" + body)
    with open(os.path.join(outdir, "run.json"), "w") as f:
        json.dump(run, f, indent=1)
        f.write("\n")
    if prof:
        with open(os.path.join(outdir, "profile.txt"), "w") as f:
            f.write("# each profiled loop's time per operation, under "
                    "the profiler: map, key bytes, n, loop, ns/op\n")
            for i in loops:
                f.write(f"# {i.get('map', i.get('structure'))} "
                        f"{i.get('key_size')} {i.get('n')} {i.get('loop')} "
                        f"{i.get('ns_per_op')}\n")
            f.write("# cpu-clock samples (10 kHz, idle excluded) per "
                    "profiled loop: percent, samples, function\n")
            last = None
            for p in prof:
                label = p.split(" ", 1)[0]
                if label != last:
                    f.write("\n")
                    last = label
                f.write(p + "\n")

    if readme and not partial:
        update_readme(readme, BEGIN, END, "make bench",
                      body.replace("![Per-insert latency while growing to "
                                   "10^6 entries](latency.png)",
                                   "The plot of per-insert latency is "
                                   "`build/bench/latency.png`."),
                      "Benchmarks")

    for e in errors:
        print(f"results: {e}", file=sys.stderr)
    for s in splats[:10]:
        print(f"results: kernel: {s}", file=sys.stderr)
    return 1 if errors or splats else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
