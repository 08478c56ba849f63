#!/bin/bash
# `make demo`: boot the test kernel, load hmap.ko and run the scripted
# hmapctl session (scripts/demo.sh) in the guest; print the session and end
# with "make demo: ok", or fail when the session failed, QEMU did not end
# cleanly or the kernel complained (scripts/kernel-splats.txt).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

out=$HMAP_OUT/demo
log=$out/serial.log
kobj=$(test_guest)
rc=0
"$HMAP_SCRIPTS/boot-guest.sh" demo "$kobj" "$out" "$HMAP_SRC/hmap.ko" || rc=$?
touch "$log"

# The session, without the boot messages.
sed -n '/^hmap-guest: mode=demo/,$p' "$log" | tr -d '\r' |
	grep -v '^HMAP-GUEST-DONE' || true

problems=()
[ "$rc" = 0 ] || problems+=("QEMU exit $rc")
grep -aq '^HMAP-DEMO: ok' "$log" || problems+=("the session did not end with HMAP-DEMO: ok")
find_splats "$log" "$out/splats.txt" || problems+=("kernel splats")
if [ ${#problems[@]} -gt 0 ]; then
	detail=$(printf '%s; ' "${problems[@]}")
	die "make demo: ${detail%; } (serial log: $log)"
fi
echo "make demo: ok"
