#!/bin/bash
# `make vm`: boot the test kernel with kunit.ko and hmap.ko loaded and a
# shell on the serial console (the terminal). hmap_kunit.ko is in /lib/hmap
# for manual use. Quit with `exit` (the guest powers off) or Ctrl-A x.
# The console is also kept in build/vm/serial.log; if the kernel complained
# during the session (scripts/kernel-splats.txt), make vm says so and fails.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

out=$HMAP_OUT/vm
kobj=$(test_guest)
mods=("$kobj/lib/kunit/kunit.ko" "$HMAP_SRC/hmap.ko")
[ -f "$HMAP_SRC/hmap_kunit.ko" ] && mods+=("$HMAP_SRC/hmap_kunit.ko")
rc=0
"$HMAP_SCRIPTS/boot-guest.sh" shell "$kobj" "$out" "${mods[@]}" || rc=$?
if ! find_splats "$out/serial.log" "$out/splats.txt"; then
	msg "make vm: the kernel complained during the session (above)"
	[ "$rc" != 0 ] || rc=1
fi
exit "$rc"
