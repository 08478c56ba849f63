#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the hand-made seeds of the fuzz corpus (hmap_fuzz.c's format).

The corpus in corpus/ is these seeds plus what fuzz runs found, merged
down to the inputs that reach new edges, so that it stays small:

  hmap_fuzz -merge=1 -use_counters=0 -use_cmp=0 NEW corpus RUN_DIRS...

(the seeds and a 3-minute run from them: 115 inputs, 25 KiB, 94% of the
core's lines in a 10 s run). Usage: gen_seeds.py DIR
"""
import os
import sys

(ANY, NOEXIST, EXIST, DEL, LOOKUP, LOOKUP_RCU, BAD, CLEAR, SHRINK, BG,
 ITER_START, ITER_STEP, DUMP_STEP, CHECK, FAIL_NEXT, BULK_INS, BULK_DEL,
 HIST) = range(18)


def op(kind, key=0, arg=0):
    return bytes([kind, key & 0xff, key >> 8, arg & 0xff])


def seed(name, header, ops):
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(bytes(header) + b"".join(ops))


def grow_shrink(n, step, between):
    ops = []
    for k in range(0, n, step):
        ops += [op(BULK_INS, k, step)] + between
    ops.append(op(CHECK))
    for k in range(0, n, step):
        ops += [op(BULK_DEL, k, step)] + between
    return ops + [op(HIST), op(CHECK)]


os.makedirs(sys.argv[1], exist_ok=True)
# header: key size, value size, hashes (bit 7: keyed), max entries, ids, hint
seed("siphash-grow", [4, 2, 0x80, 8, 5, 0],
     [op(ITER_START)] + grow_shrink(4096, 200, [op(ITER_STEP, 0, 20),
                                                 op(DUMP_STEP, 0, 9)]))
seed("bucket0-chains", [6, 1, 4, 8, 3, 0],
     [op(ITER_START)] + grow_shrink(200, 40, [op(ITER_STEP, 0, 3),
                                               op(DUMP_STEP, 0, 2),
                                               op(SHRINK), op(HIST)]))
seed("equal-hashes", [8, 4, 0, 8, 2, 0],
     [op(NOEXIST, k) for k in range(64)] +
     [op(DUMP_STEP, 0, 0)] * 20 + [op(ITER_STEP, 0, 1)] * 70 +
     [op(DEL, k) for k in range(0, 64, 3)] + [op(CHECK)])
seed("max-entries", [0, 0, 0x80, 2, 3, 0],
     [op(ANY, k) for k in range(12)] + [op(EXIST, 3), op(NOEXIST, 3),
                                        op(DEL, 3), op(NOEXIST, 3),
                                        op(CHECK)])
seed("alloc-failures", [3, 3, 0x80, 8, 4, 0],
     sum([[op(FAIL_NEXT, 0, a), op(ANY, k)] for k, a in
          zip(range(300), range(0, 300 * 7, 7))], []) +
     [op(FAIL_NEXT, 0, 0), op(CLEAR), op(FAIL_NEXT, 0, 1), op(SHRINK),
      op(FAIL_NEXT, 0, 0), op(ITER_START), op(FAIL_NEXT, 0, 2), op(BG),
      op(CHECK)])
seed("hint-shrink", [4, 2, 0x80, 8, 4, 7],
     grow_shrink(1000, 100, [op(BG), op(LOOKUP_RCU, 5)]) + [op(SHRINK)])
# A grow's array fails (the element's allocation succeeds, the next one
# fails), the inserts of its hold-off go into chains: fitted above its load.
seed("fit-above-load", [4, 2, 0x80, 8, 5, 0],
     [op(BULK_INS, 0, 8), op(FAIL_NEXT, 0, 1), op(ANY, 8),
      op(BULK_INS, 9, 40), op(HIST), op(SHRINK), op(CHECK)])
# An HMAP_F_ATOMIC map (top bit of the hint byte), fitted while it grows.
seed("atomic-fit", [4, 2, 0x80, 8, 5, 0x80],
     [op(ITER_START)] + grow_shrink(4096, 300, [op(SHRINK),
                                                 op(ITER_STEP, 0, 20)]))
seed("bad-args", [2, 1, 0x80, 8, 2, 0],
     [op(BAD, k, k) for k in range(28)] + [op(CHECK)])
