#!/bin/bash
# `make demo`: boot the test kernel, load hmap.ko and run the scripted
# hmapctl session (scripts/demo.sh) with the console on stdout.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

"$HMAP_SCRIPTS/deps.sh"
"$HMAP_SCRIPTS/kernel-src.sh" >/dev/null
kobj=$("$HMAP_SCRIPTS/build-kernel.sh")
make -s -C "$kobj" M="$HMAP_SRC" -j"$(nproc)" modules
"$HMAP_SCRIPTS/guest-bin.sh"
"$HMAP_SCRIPTS/initramfs.sh" "$HMAP_OUT/demo/initramfs.cpio" "$kobj" \
	"$HMAP_SRC/hmap.ko"

log=$HMAP_OUT/demo/serial.log
export HMAP_TIMEOUT=${HMAP_TIMEOUT:-600}
# quiet: only the demo's own output and warnings reach the console.
HMAP_APPEND="console=ttyS0 quiet panic=-1 oops=panic" \
	"$HMAP_SCRIPTS/run-qemu.sh" "$kobj/arch/x86/boot/bzImage" \
	"$HMAP_OUT/demo/initramfs.cpio" "$log" hmap_guest=demo || true
# Show the session, without the boot messages.
sed -n '/^hmap-guest: mode=demo/,$p' "$log" | tr -d '\r' | grep -v '^HMAP-GUEST-DONE'
grep -aq '^HMAP-DEMO: ok' "$log"
