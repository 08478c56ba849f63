#!/bin/sh
# The ioctl fuzzer of /dev/hmap (tools/testing/fuzz/hmap_fuzz.c): a long
# run with a fixed seed, then a short one with a seed that changes every
# run. Each prints "HMAP-FUZZ: ok seed=... calls=..." (scripts/check.sh
# shows both) or "HMAP-FUZZ: FAIL ..." with the command that replays it
# (in `make vm`). Kernel command line overrides (HMAP_APPEND):
#   hmap_fuzz_seed=S  the seed of the second run
#   hmap_fuzz_ops=N   ops of the first run
# A run that hangs is killed by timeout(1) and fails.
fixed_seed=0x9e3779b97f4a7c15
fixed_ops=${hmap_fuzz_ops:-150000}
seed=${hmap_fuzz_seed:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')}
rc=0

echo "hmap-fuzz: fixed seed $fixed_seed, $fixed_ops ops"
timeout -s KILL 900 hmap_fuzz --seed "$fixed_seed" --ops "$fixed_ops" || rc=1

echo "hmap-fuzz: seed of this run $seed"
timeout -s KILL 300 hmap_fuzz --seed "$seed" --ops 5000 --episode 2500 \
	--episode-ops 500 --kill-every 2500 || rc=1
exit $rc
