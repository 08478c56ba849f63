#!/bin/bash
# `make vm`: boot the test kernel with kunit.ko and hmap.ko loaded and a
# shell on the serial console (stdio). hmap_kunit.ko is in /lib/hmap for
# manual use. Quit with `exit` (the guest powers off) or Ctrl-A x.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

"$HMAP_SCRIPTS/deps.sh"
kobj=$("$HMAP_SCRIPTS/build-kernel.sh")
make -C "$kobj" M="$HMAP_SRC" -j"$(nproc)" modules
"$HMAP_SCRIPTS/guest-bin.sh"

mods=("$kobj/lib/kunit/kunit.ko" "$HMAP_SRC/hmap.ko")
[ -f "$HMAP_SRC/hmap_kunit.ko" ] && mods+=("$HMAP_SRC/hmap_kunit.ko")
"$HMAP_SCRIPTS/initramfs.sh" "$HMAP_OUT/vm/initramfs.cpio" "$kobj" "${mods[@]}"

export HMAP_TIMEOUT=${HMAP_TIMEOUT:-86400}
exec "$HMAP_SCRIPTS/run-qemu.sh" "$kobj/arch/x86/boot/bzImage" \
	"$HMAP_OUT/vm/initramfs.cpio" - hmap_guest=shell
