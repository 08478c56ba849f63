#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ioctl fuzzer of /dev/hmap (tools/testing/fuzz/hmap_ioctl_fuzz.c), in
# four runs, each ending with one line that scripts/check.sh counts:
#   HMAP-FUZZ: LABEL ok|FAIL seed=S ops=N calls=N checks=N time=Ns rate=N
#              ok=create:N,update:N,lookup:N,delete:N,batch:N,dump:N
#              bursts=P% bad_args=P% largest=N ...
#   fixed        a fixed seed, at least 10^6 calls (two instances side by
#                side); most calls are bursts of cheap ones (at most one
#                burst per other op): lookups, updates and deletes checked
#                against the model, and (at most seven in ten) structs with
#                one fault each
#   random       a seed that changes every run, a few thousand calls
#   fault        another changing seed, a share of the calls with an
#                allocation of hmap's failed (fail-nth): ENOMEM where one
#                failed, the model checked for everything else
#   fault-fixed  the same with a fixed seed
# Each run has an episode (fds shared with a thread and an unprivileged
# child) and a batch killed by a signal. A failure prints what replays it
# (with max_maps_per_user=8, which this script sets for the runs); a run
# that does not end within its time limit fails (the fuzzer's own
# watchdog, then timeout(1)). Every run must also reach its floors (the
# fuzzer fails it otherwise; scripts/check.sh checks the same): model ops
# of each kind that reached a map and succeeded (--min-ok), and for the
# fault runs failures injected and ENOMEMs (--min-injected) and
# allocation sites failed (--min-sites). Kernel command line (HMAP_APPEND)
# overrides:
#   hmap_fuzz_runs=A,B      only these runs (the KCSAN guest: random)
#   hmap_fuzz_seed=S        the seed of the random run
#   hmap_fuzz_fault_seed=S  the seed of the fault run
#   hmap_fuzz_calls=N       the calls of the fixed run
status=0

# uptime in whole seconds
now() { cut -d. -f1 /proc/uptime; }

# run LABEL LIMIT ARGS...: one run of at most LIMIT seconds; one that
# ends without its result line (a crash, a kill) gets one here.
run() {
	label=$1 limit=$2
	shift 2
	case ",${hmap_fuzz_runs:-$label}," in
	*",$label,"*) ;;
	*) return 0 ;;
	esac
	t0=$(now)
	{
		timeout -s KILL $((limit + 60)) hmap_ioctl_fuzz --label "$label" \
			--timeout "$limit" --hang 60 "$@"
		echo $? >/tmp/fuzz.status
	} 2>&1 | tee /tmp/fuzz.out
	rc=$(cat /tmp/fuzz.status)
	echo "hmap-fuzz: $label: exit status $rc after $(($(now) - t0)) s"
	if ! grep -q "^HMAP-FUZZ: $label \(ok\|FAIL\) " /tmp/fuzz.out; then
		seed=$(sed -n "s/^hmap_ioctl_fuzz: $label: seed \([0-9a-fx]*\),.*/\1/p" /tmp/fuzz.out)
		echo "HMAP-FUZZ: $label FAIL seed=${seed:-?} exit status $rc, no result line"
		status=1
	elif [ "$rc" != 0 ]; then
		status=1
	fi
}

# The unprivileged child fills its quota of maps to the limit now and then:
# 8 maps instead of 32 makes that cheap (each map it frees waits for RCU).
param=/sys/module/hmap/parameters/max_maps_per_user
max_maps=$(cat $param)
echo 8 >$param

# The floors of each run: its calls, and what the fuzzer must reach. One
# table, read here and by scripts/check.sh (fuzz_results), between the
# two marker lines: LABEL CALLS MIN_OK MIN_INJECTED MIN_SITES (0: no
# fault injection).
# floors:
floors='
fixed 1000000 200 0 0
random 5000 10 0 0
fault 8000 10 50 7
fault-fixed 8000 10 50 7
'
# :floors
# floor_args LABEL: the fuzzer's options for LABEL's floors. No row for
# LABEL, or one without its five fields, gives an option the fuzzer
# rejects: the run fails instead of going without floors.
floor_args() {
	echo "$floors" | awk -v l="$1" '$1 == l {
		n++
		if (NF != 5) {
			printf "--bad-floors-row"
			exit
		}
		printf "--calls %s --min-ok %s", $2, $3
		if ($4 > 0)
			printf " --min-injected %s --min-sites %s", $4, $5 }
		END { if (!n) printf "--no-floors-row" }'
}

fault="--fault 40 --episode 1500 --episode-ops 200 --kill-every 1200"
# shellcheck disable=SC2046 # floor_args: options, split
run fixed 300 --seed 0x9e3779b97f4a7c15 $(floor_args fixed) \
	${hmap_fuzz_calls:+--calls "$hmap_fuzz_calls"} \
	--jobs 2 --burst 1000 --episode 6000 --episode-ops 400 --kill-every 5000
# shellcheck disable=SC2046
run random 120 ${hmap_fuzz_seed:+--seed "$hmap_fuzz_seed"} $(floor_args random) \
	--episode 600 --episode-ops 200 --kill-every 700
# shellcheck disable=SC2046,SC2086 # $fault, floor_args: options, split
run fault 120 ${hmap_fuzz_fault_seed:+--seed "$hmap_fuzz_fault_seed"} \
	$(floor_args fault) $fault
# shellcheck disable=SC2046,SC2086
run fault-fixed 120 --seed 0x2545f4914f6cdd1d $(floor_args fault-fixed) $fault
echo "$max_maps" >$param
rm -f /tmp/fuzz.out /tmp/fuzz.status
exit "$status"
