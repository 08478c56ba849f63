#!/bin/bash
# `make bench`: hmap against rhashtable (in the kernel) and against bpf(2)
# hash maps (from user space), under QEMU.
#
# Same setup as `make check`: scripts/deps.sh (plus gnuplot-nox), the kernel
# source tarball, a kernel cached in $HMAP_CACHE by scripts/build-kernel.sh
# (here from scripts/kernel-bench.config: the test kernel's base without the
# debug options), and scripts/boot-guest.sh (2 CPUs).
# hmap.ko and bench/hmap_bench.ko are built against that kernel in a copy of
# the sources (build/bench/src), so they never clash with make check's
# build in the tree; bench/hmap_ubench.c is built static for the guest.
# The guest runs bench/guest/bench.sh (hmap_guest=scripts); the serial log
# becomes build/bench/results.{json,md} and latency.png (bench/results.py,
# bench/latency.gp), and the tables are printed at the end. A kernel splat
# in the log (scripts/kernel-splats.txt) fails the run.
#
# Environment:
#   KVER                  the kernel: 6.1 or 6.12 (scripts/common.sh);
#                         default the newest, unlike the other scripts
#   HMAP_BENCH_QUICK=1    small sizes: checks the pipeline in a few minutes
#   HMAP_BENCH_PROFILE=1  also profile the hot loops (build/bench/profile.txt)
#   HMAP_BENCH_PROFILE=only  profile only, measure nothing else (a few
#                         minutes: for a before/after of a change)
#   HMAP_BENCH_AB=REV     an A/B of the single-writer suites in one boot:
#                         the core of commit REV (this tree's bench/ built
#                         against it) and this tree's, in turn, measured
#                         nothing else; the table gives this tree's time
#                         over REV's, each pass pair's normalised by
#                         rhashtable's in the same passes (the host's
#                         drift), and a verdict against 5%. Empty or 0: off
#   HMAP_BENCH_AB_PAIRS=K pairs of passes of an A/B run, 1..20 (default 2:
#                         ref, new, new, ref); about 4 minutes a pair
#   HMAP_BENCH_ICOUNT=1   count instructions instead of time, for an A/B
#                         (HMAP_BENCH_AB) or a profile-only run only: the
#                         guest runs under QEMU -icount (boot-guest.sh's
#                         HMAP_ICOUNT), its clock 1 ns per guest
#                         instruction of either vCPU (one runs at a time)
#                         and idle time skipped forward, so a timed loop's
#                         "ns" are the instructions both vCPUs ran
#                         meanwhile: repeatable to a few percent, where
#                         wall-clock pairs spread tens of percent
#   HMAP_BENCH_README=1   also put the tables into README.md
#   HMAP_TIMEOUT          QEMU time limit in seconds (scripts/boot-guest.sh;
#                         here 2400 unless set, an A/B run at least
#                         that and 600 + 330 a pair)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"
# The newest kernel unless KVER says otherwise (common.sh checked it): what
# users run. Exported for build-kernel.sh.
export KVER=${KVER:-${HMAP_KVERS[-1]}}
HMAP_KVER=$KVER

# Settings checked before minutes of builds.
case ${HMAP_BENCH_PROFILE:-0} in
0 | 1) ;;
only)
	[ "${HMAP_BENCH_README:-0}" = 1 ] &&
		die "bench: a profile-only run (HMAP_BENCH_PROFILE=only) does not go into the README"
	;;
*) die "bench: HMAP_BENCH_PROFILE is 0, 1 or only, not '$HMAP_BENCH_PROFILE'" ;;
esac
ab_rev=${HMAP_BENCH_AB:-}
[ "$ab_rev" = 0 ] && ab_rev=
case ${HMAP_BENCH_ICOUNT:-0} in
0) unset HMAP_ICOUNT ;;
1)
	# The full run's tables compare times (parallel writers, stalls,
	# latencies in microseconds): instruction counts are for a change's
	# before and after.
	[ -n "$ab_rev" ] || [ "${HMAP_BENCH_PROFILE:-0}" = only ] ||
		die "bench: HMAP_BENCH_ICOUNT=1 is for an A/B (HMAP_BENCH_AB=REV) or a profile-only run (HMAP_BENCH_PROFILE=only)"
	[ "${HMAP_KVM:-0}" = 1 ] &&
		die "bench: HMAP_BENCH_ICOUNT=1 counts TCG's instructions, HMAP_KVM=1 has none: one or the other"
	export HMAP_ICOUNT=1
	;;
*) die "bench: HMAP_BENCH_ICOUNT is 0 or 1, not '$HMAP_BENCH_ICOUNT'" ;;
esac
ab_pairs=${HMAP_BENCH_AB_PAIRS:-2}
if [ -n "$ab_rev" ]; then
	[ "$ab_rev" = 1 ] &&
		die "bench: HMAP_BENCH_AB names the commit to compare against (HMAP_BENCH_AB=HEAD~1, a hash, a tag), not 1"
	if ! [[ $ab_pairs =~ ^[1-9][0-9]?$ ]] || [ "$ab_pairs" -gt 20 ]; then
		die "bench: HMAP_BENCH_AB_PAIRS is a number of pass pairs, 1..20, not '$ab_pairs'"
	fi
	[ $((ab_pairs % 2)) = 1 ] &&
		msg "bench: HMAP_BENCH_AB_PAIRS=$ab_pairs is odd: the reference runs first in one pair more than this tree does, so the order's own effect is not cancelled; an even number is better"
	[ "${HMAP_BENCH_README:-0}" = 1 ] &&
		die "bench: an A/B run (HMAP_BENCH_AB) does not go into the README"
	[ "${HMAP_BENCH_PROFILE:-0}" = 0 ] ||
		die "bench: HMAP_BENCH_AB and HMAP_BENCH_PROFILE do not go together"
	git -C "$HMAP_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "bench: HMAP_BENCH_AB needs $HMAP_SRC to be a git checkout"
	ab_rev=$(git -C "$HMAP_SRC" rev-parse --verify --quiet "$ab_rev^{commit}") ||
		die "bench: HMAP_BENCH_AB=$HMAP_BENCH_AB is not a commit of $HMAP_SRC"
fi

[ -z "$ab_rev" ] && [ -n "${HMAP_BENCH_AB_PAIRS:-}" ] &&
	msg "bench: HMAP_BENCH_AB_PAIRS without HMAP_BENCH_AB: no A/B run, ignored"
# The guest's whole run, writers from softirq included, takes longer than
# boot-guest.sh's default for its mode; an A/B run about 2 minutes a pass
# (5.5 a pair, with room for a slow host).
if [ -n "$ab_rev" ]; then
	ab_limit=$((600 + 330 * ab_pairs))
	[ "$ab_limit" -lt 2400 ] && ab_limit=2400
	export HMAP_TIMEOUT=${HMAP_TIMEOUT:-$ab_limit}
else
	export HMAP_TIMEOUT=${HMAP_TIMEOUT:-2400}
fi

out=$HMAP_OUT/bench
mkdir -p "$out"
exec 8>"$out/.lock"
if ! flock -n 8; then
	msg "bench: waiting for another make bench in $HMAP_SRC"
	flock 8
fi
start=$(date +%s)
section() { printf '\n=== %s\n' "$*"; }
# CPU time of the whole host, and of this script's finished children, in
# clock ticks: their difference over the QEMU run is what else ran.
host_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
child_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }

section "dependencies"
"$HMAP_SCRIPTS/deps.sh" gnuplot-nox

section "benchmark kernel ($HMAP_KVER)"
t0=$(date +%s)
kobj=$("$HMAP_SCRIPTS/build-kernel.sh" "$HMAP_SCRIPTS/kernel-bench.config")
echo "$kobj (ready after $(($(date +%s) - t0))s)"
[ -f "$kobj/lib/test_rhashtable.ko" ] ||
	die "bench: $kobj/lib/test_rhashtable.ko missing"

section "modules and guest program"
src=$out/src
# What is copied is what is measured: its name is taken now, not after
# the run (the tree may change meanwhile).
ab_new=$(git -C "$HMAP_SRC" describe --always --dirty 2>/dev/null || echo "(not a git checkout)")
rsync -a --delete --exclude=/build/ --exclude=/.git/ --exclude='*.mod.c' \
	--include='*/' --include='*.c' --include='*.h' --include=Kbuild \
	--include=Makefile --include=/dkms.conf --exclude='*' --prune-empty-dirs \
	"$HMAP_SRC/" "$src/"
log=$out/modules.log
if ! { make -C "$kobj" M="$src" -j"$(nproc)" modules &&
	make -C "$kobj" M="$src/bench" -j"$(nproc)" \
		KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" modules; } >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "bench: module build failed (log: $log)"
fi
grep -E 'warning:' "$log" || true
ab_mods=()
if [ -n "$ab_rev" ]; then
	# REV's core with this tree's bench/, so that both sides run the same
	# benchmark code; the copies are renamed for the guest's /lib/hmap.
	ref=$out/ab-src
	rm -rf "$ref"
	mkdir -p "$ref"
	git -C "$HMAP_SRC" archive "$ab_rev" | tar -x -C "$ref"
	rm -rf "$ref/bench"
	rsync -a --exclude='*.mod.c' --include='*.c' --include='*.h' \
		--include=Kbuild --exclude='*' "$HMAP_SRC/bench/" "$ref/bench/"
	if ! { make -C "$kobj" M="$ref" -j"$(nproc)" modules &&
		make -C "$kobj" M="$ref/bench" -j"$(nproc)" \
			KBUILD_EXTRA_SYMBOLS="$ref/Module.symvers" modules; } \
		>>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "bench: the module build of $ab_rev failed (log: $log)"
	fi
	mkdir -p "$out/ab"
	cp "$ref/hmap.ko" "$out/ab/hmap-ref.ko"
	cp "$ref/bench/hmap_bench.ko" "$out/ab/hmap_bench-ref.ko"
	ab_mods=("$out/ab/hmap-ref.ko" "$out/ab/hmap_bench-ref.ko")
	echo "built: hmap-ref.ko, hmap_bench-ref.ko (core of $ab_rev)"
fi
bin=$out/guest-bin
rm -rf "$bin"
mkdir -p "$bin"
gcc -std=gnu11 -O2 -Wall -Wextra -static -I"$HMAP_SRC/include/uapi" \
	-o "$bin/hmap-ubench" "$HMAP_SRC/bench/hmap_ubench.c"
echo "built: hmap.ko, hmap_bench.ko, hmap-ubench"

section "guest (QEMU, ${HMAP_SMP:-2} CPUs)"
serial=$out/serial.log
args=(log_buf_len=4M)
[ "${HMAP_BENCH_QUICK:-0}" = 1 ] && args+=(hmap_bench_quick=1)
[ "${HMAP_BENCH_PROFILE:-0}" = 0 ] ||
	args+=("hmap_bench_profile=$HMAP_BENCH_PROFILE")
[ -n "$ab_rev" ] && args+=("hmap_bench_ab=$ab_pairs")
[ "${HMAP_ICOUNT:-0}" = 1 ] && args+=(hmap_bench_icount=1)
t0=$(date +%s)
h0=$(host_ticks) c0=$(child_ticks)
qemu_rc=0
# The guest runs bench/guest/bench.sh (the only guest script) with
# hmap-ubench (bench/hmap_ubench.c) on its PATH.
HMAP_GUEST_TESTS=$HMAP_SRC/bench/guest HMAP_GUEST_BIN=$bin \
	"$HMAP_SCRIPTS/boot-guest.sh" scripts "$kobj" "$out" "$src/hmap.ko" \
	"$src/bench/hmap_bench.ko" "$kobj/lib/test_rhashtable.ko" \
	${ab_mods[@]+"${ab_mods[@]}"} -- \
	"${args[@]}" || qemu_rc=$?
qemu_s=$(($(date +%s) - t0))
other=$(awk -v h="$(($(host_ticks) - h0))" -v c="$(($(child_ticks) - c0))" \
	-v hz="$(getconf CLK_TCK)" -v s="$qemu_s" \
	'BEGIN { l = s > 0 ? (h - c) / hz / s : 0; printf "%.2f", l < 0 ? 0 : l }')
echo "QEMU exited with $qemu_rc after ${qemu_s}s; serial log: $serial"
echo "other load on the host meanwhile: $other CPUs"
touch "$serial"
grep -a '^hmap-bench: .* took ' "$serial" | tr -d '\r' || true

section "results"
readme=()
[ "${HMAP_BENCH_README:-0}" = 1 ] && readme=(--readme "$HMAP_SRC/README.md")
rc=0
ab_args=()
[ -n "$ab_rev" ] && ab_args=(
	--ab-ref "$(git -C "$HMAP_SRC" log -1 --format='%h %s' "$ab_rev")"
	--ab-new "$ab_new")
python3 "$HMAP_SRC/bench/results.py" "$serial" "$out" \
	--wall $(($(date +%s) - start)) --host-other-load "$other" \
	${ab_args[@]+"${ab_args[@]}"} \
	"${readme[@]}" || rc=$?
if [ -f "$out/latency.dat" ]; then
	every=$(sed -n 's/.*"every":\([0-9]*\).*/\1/p' "$serial" | head -n1)
	gnuplot -e "data='$out/latency.dat'; out='$out/latency.png'; every=${every:-1000}" \
		"$HMAP_SRC/bench/latency.gp" || rc=1
fi
grep -aq '^HMAP-BENCH-END status=0' "$serial" || rc=1
[ "$qemu_rc" = 0 ] || rc=1
find_splats "$serial" "$out/splats.txt" || rc=1

cat "$out/results.md"
echo
echo "results: $out/results.md, $out/results.json"
[ -f "$out/latency.png" ] && echo "plot: $out/latency.png"
[ -f "$out/profile.txt" ] && echo "profile: $out/profile.txt"
echo "make bench: $(($(date +%s) - start))s in all, exit status $rc"
exit "$rc"
