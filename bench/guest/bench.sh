#!/bin/sh
# make bench, inside the guest (busybox sh). scripts/bench.sh packs this
# file as the only guest script and boots with hmap_guest=scripts, so /init
# runs it with hmap.ko loaded. Results go to the console as lines
# "HMAP-BENCH {json}" (and -SERIES, -INFO, HMAP-PROF) for scripts/bench.sh.
#
# Environment (kernel command line, set by scripts/bench.sh):
#   hmap_bench_quick=1    small sizes: a check of the pipeline, not numbers
#   hmap_bench_profile=1  also sample where the time goes (HMAP-PROF lines)
#   hmap_bench_profile=only  only that: no measurement but the profiled
#                         loops' own ns per operation
#   hmap_bench_ab=K       only the single-writer suites, with two cores in
#                         turn: hmap-ref.ko and hmap_bench-ref.ko (another
#                         commit's core, built with this bench) and this
#                         tree's, in K pairs of passes: ref new, new ref,
#                         ref new, ...

mods=/lib/hmap
run=/sys/kernel/debug/hmap_bench/run
status=0

if [ "${hmap_bench_quick:-0}" = 1 ]; then
	suites="1000:3 10000:2"
	writers="10000:2"
	task_writers="10000:1"
	latency_n=10000 every=100
	mixed="10000"
	mixed_ms=500
	rht_entries=10000 rht_runs=1
	user_n=10000 user_reps=1
	prof_n=10000 prof_ms=500
	hash_n=10000
	stall_ms=1000
else
	# N:rounds (lookups repeat until 10^6 per round anyway)
	suites="10000:15 100000:9 1000000:5"
	# N:rounds of writes from one writer and one per CPU: from softirq,
	# from process context
	writers="100000:7 1000000:3"
	task_writers="100000:5 1000000:2"
	latency_n=1000000 every=1000
	mixed="10000 100000 1000000"
	mixed_ms=3000
	rht_entries=100000 rht_runs=4
	user_n=100000 user_reps=5
	prof_n=100000 prof_ms=4000
	hash_n=10000
	# The empty loop (hmap_bench's "stall"), on one CPU and on all:
	# together about as long as the latency passes.
	stall_ms=5000
fi

err() {
	echo "HMAP-BENCH-ERROR $*"
	status=1
}

# Kernel messages stay out of the console while something is measured
# (printing to a serial port is slow and would be timed); each step's
# messages, results included, are printed once it is done.
dmesg -n 1
flush() {
	dmesg -c
}

# Run one command of hmap_bench.ko.
step() {
	t0=$(date +%s)
	echo "hmap-bench: $*"
	echo "$*" >"$run" || err "hmap_bench '$*' failed"
	flush
	echo "hmap-bench: '$*' took $(($(date +%s) - t0))s"
}

cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
only=0
[ "${hmap_bench_profile:-0}" = only ] && only=1
ab=${hmap_bench_ab:-0}
case $ab in
'' | *[!0-9]*)
	err "hmap_bench_ab=$ab is not a number of pass pairs"
	ab=0
	;;
esac
# What else is measured: nothing in a profile-only or an A/B run.
skip=$only
[ "$ab" != 0 ] && skip=1
echo "HMAP-BENCH-INFO {\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),\"clocksource\":\"$(cat $cs)\",\"quick\":${hmap_bench_quick:-0},\"profile_only\":$only,\"ab\":$ab,\"icount\":${hmap_bench_icount:-0}}"

# Back the guest's memory with host memory before anything is timed.
hmap-ubench prefault 90 || err "hmap-ubench prefault"

# Load core @1 ("ref": hmap-ref.ko, or "new": hmap.ko) with its hmap_bench.
ab_load() {
	sfx=
	[ "$1" = ref ] && sfx=-ref
	if [ -d /sys/module/hmap_bench ]; then
		rmmod hmap_bench || { err "rmmod hmap_bench"; return 1; }
	fi
	if [ -d /sys/module/hmap ]; then
		rmmod hmap || { err "rmmod hmap"; return 1; }
	fi
	insmod $mods/hmap$sfx.ko || { err "insmod hmap$sfx"; return 1; }
	insmod $mods/hmap_bench$sfx.ko || { err "insmod hmap_bench$sfx"; return 1; }
}

if [ "$ab" != 0 ]; then
	pass=0
	# K pairs of passes: ref new, new ref, ref new, ... (each core
	# first as often as second, within one pass of it).
	sides=
	j=0
	while [ $j -lt "$ab" ]; do
		if [ $((j % 2)) = 0 ]; then
			sides="$sides ref new"
		else
			sides="$sides new ref"
		fi
		j=$((j + 1))
	done
	for side in $sides; do
		pass=$((pass + 1))
		ab_load "$side" || break
		echo "HMAP-BENCH-INFO {\"ab_side\":\"$side\",\"ab_pass\":$pass}"
		for s in $suites; do
			step suite "${s%:*}" "${s#*:}"
		done
	done
	if [ -d /sys/module/hmap_bench ]; then
		rmmod hmap_bench || err "rmmod hmap_bench"
	fi
	# Leave this tree's hmap.ko loaded, as /init expects: the last pass
	# may have been the reference core's, or a load may have failed.
	if [ -d /sys/module/hmap ]; then
		rmmod hmap || err "rmmod hmap"
	fi
	insmod $mods/hmap.ko || err "insmod hmap"
fi

if [ $skip = 1 ]; then
	:
elif insmod $mods/hmap_bench.ko; then
	for s in $suites; do
		step suite "${s%:*}" "${s#*:}"
	done
	step latency "$latency_n" "$every"
	for s in $writers; do
		step writers "${s%:*}" "${s#*:}"
	done
	for s in $task_writers; do
		step writers "${s%:*}" "${s#*:}" task
	done
	step stall "$stall_ms" 1
	step stall "$stall_ms"
	for n in $mixed; do
		step mixed "$n" "$mixed_ms"
	done
	step hash "$hash_n"
	rmmod hmap_bench || err "rmmod hmap_bench"
else
	err "insmod hmap_bench"
fi
flush

# The kernel's own rhashtable test, for a figure nobody here wrote: its
# "Average test time" (ns per run of insert, lookup, delete of all keys).
if [ $skip = 0 ]; then
	echo "HMAP-BENCH-INFO {\"test_rhashtable\":{\"parm_entries\":$rht_entries,\"runs\":$rht_runs,\"shrinking\":1,\"tcount\":0}}"
	if insmod $mods/test_rhashtable.ko parm_entries=$rht_entries runs=$rht_runs \
		shrinking=1 tcount=0; then
		rmmod test_rhashtable
	else
		err "insmod test_rhashtable"
	fi
	flush

	# From user space: /dev/hmap ioctls against bpf(2).
	t0=$(date +%s)
	hmap-ubench run "$user_n" "$user_reps" || err "hmap-ubench run"
	echo "hmap-bench: user space took $(($(date +%s) - t0))s"
	flush
fi

if [ "${hmap_bench_profile:-0}" = 0 ]; then
	:
elif ! insmod $mods/hmap_bench.ko; then
	err "insmod hmap_bench (profile)"
else
	for map in hmap hmap_jhash rhashtable hmap_k32 hmap_jhash_k32 \
		rhashtable_k32; do
		step fill $map "$prof_n"
		loops="lookup_hit lookup_miss churn grow"
		case $map in *_k32) ;; *) loops="$loops update" ;; esac
		for loop in $loops; do
			hmap-ubench prof "$map:$loop" \
				sh -c "echo loop $loop $prof_ms >$run" ||
				err "profile $map $loop"
			flush
		done
		step drop
	done
	for map in hmap rhashtable; do
		hmap-ubench prof "$map:mixed_10000" \
			sh -c "echo mixed 10000 $prof_ms $map >$run" ||
			err "profile $map mixed"
		flush
	done
	rmmod hmap_bench
	hmap-ubench prof "ioctl+bpf" \
		sh -c "hmap-ubench run $user_n 1 >/dev/null" ||
		err "profile of hmap-ubench"
	flush
fi

echo "HMAP-BENCH-END status=$status"
exit $status
