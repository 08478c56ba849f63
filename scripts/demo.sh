#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A narrated hmapctl session, run inside the guest (busybox sh) with
# hmap.ko loaded: create a map, fill it until it grows, look at it, delete
# most of it so that it shrinks, and destroy it. Every step prints a header
# line ("==> hmapctl ...") and the script stops with a non-zero status at
# the first step that fails or does not show what it should.
#
# Environment:
#   HMAPCTL   the hmapctl binary (default: hmapctl from PATH)
#   MAP       the map's name (default: demo; an existing map of that
#             name is destroyed first)
set -eu

HMAPCTL=${HMAPCTL:-hmapctl}
MAP=${MAP:-demo}
FILL=5000		# keys key0..key4999
KEEP_FROM=4900		# delete-range keeps key4900..key4999
step=start
tmp=$(mktemp)

on_exit() {
	rc=$?
	rm -f "$tmp"
	if [ "$rc" -ne 0 ]; then
		echo "demo: FAILED (exit $rc) at: $step" >&2
		"$HMAPCTL" destroy "$MAP" >/dev/null 2>&1 || true
	fi
	exit "$rc"
}
trap on_exit EXIT

# hdr TEXT: the header of a step.
hdr() {
	step=$*
	printf '\n==> %s\n' "$*"
}

# run ARGS...: a step that is one hmapctl command.
run() {
	hdr "hmapctl $*"
	"$HMAPCTL" "$@"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

# field NAME: one number from `hmapctl stats` of the map.
field() {
	_s=$("$HMAPCTL" stats "$MAP")
	printf '%s\n' "$_s" | sed -n "s/^$1: \([0-9][0-9]*\).*/\1/p"
}

echo "hmap demo: a hmapctl session on /dev/hmap"
if "$HMAPCTL" stats "$MAP" >/dev/null 2>&1; then
	echo "demo: destroying the $MAP map left over from an earlier run"
	"$HMAPCTL" destroy "$MAP"
fi

run version

run create "$MAP" max_entries 100000
B0=$(field B)

run fill "$MAP" "$FILL"

run stats "$MAP"
B1=$(field B)
grows=$(field grows)
bytes1=$(field bytes)
[ "$B1" -gt "$B0" ] || die "B did not go up ($B0 -> $B1)"
[ "$grows" -gt 0 ] || die "no grows"
echo "-- grew: B $B0 -> $B1 ($((1 << B1)) buckets), $grows grows"

run get "$MAP" key42
run get "$MAP" key4999

run put "$MAP" blob hex de ad be ef 00
run get "$MAP" blob
run -j get "$MAP" blob

hdr "hmapctl get $MAP no-such-key   (exit 3: not found)"
if "$HMAPCTL" get "$MAP" no-such-key; then
	die "get of a missing key succeeded"
else
	rc=$?
fi
[ "$rc" -eq 3 ] || die "get of a missing key exited $rc, not 3"
echo "-- exit status $rc"

hdr "hmapctl dump $MAP | head -n 10"
"$HMAPCTL" dump "$MAP" | head -n 10

hdr "hmapctl dump $MAP | wc -l   (one line per entry)"
"$HMAPCTL" dump "$MAP" >"$tmp"
lines=$(grep -c '' "$tmp")
count=$(field count)
echo "$lines"
[ "$lines" -eq "$count" ] || die "dump printed $lines entries, stats count is $count"
[ "$count" -eq $((FILL + 1)) ] || die "count is $count, not $((FILL + 1))"
echo "-- $lines dumped = count $count"

run delete-range "$MAP" 0 "$KEEP_FROM"

hdr "sleep 1   (the background worker finishes the shrink)"
sleep 1
# Under slow emulation the worker may need longer: wait for it, up to 20s.
waited=1
while r=$(field resizing) && [ "$r" -ne 0 ]; do
	[ "$waited" -lt 20 ] || die "still resizing after ${waited}s"
	echo "-- still resizing, waiting"
	sleep 1
	waited=$((waited + 1))
done

run stats "$MAP"
B2=$(field B)
shrinks=$(field shrinks)
bytes2=$(field bytes)
count=$(field count)
[ "$count" -eq $((FILL - KEEP_FROM + 1)) ] || die "count is $count after delete-range"
[ "$B2" -lt "$B1" ] || die "B did not go down ($B1 -> $B2)"
[ "$shrinks" -gt 0 ] || die "no shrinks"
[ "$bytes2" -lt "$bytes1" ] || die "bytes did not go down ($bytes1 -> $bytes2)"
echo "-- shrank: B $B1 -> $B2, $shrinks shrinks, bytes $bytes1 -> $bytes2"

run list

run destroy "$MAP"

run list
if "$HMAPCTL" list | grep -q "^$MAP "; then
	die "$MAP still listed after destroy"
fi

step=finished
printf '\nhmap demo: done\n'
