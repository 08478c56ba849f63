#!/bin/bash
# Build the static programs the guest runs into $HMAP_OUT/guest-bin, which
# scripts/initramfs.sh packs into /opt/hmap/bin (on the guest's PATH):
#   hmapctl     tools/hmapctl
#   *_test      the kselftests (selftests/*_test.c, one program each), which
#               scripts/guest-tests.d/20-kselftest.sh runs
#   hmap-demo   the scripted hmapctl session of `make demo` (scripts/demo.sh)
#   hmap_ioctl_fuzz
#               the ioctl fuzzer (tools/testing/fuzz), which
#               scripts/guest-tests.d/40-fuzz.sh runs (not *_test: it is no
#               kselftest)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

bin=${HMAP_GUEST_BIN:-$HMAP_OUT/guest-bin}
mkdir -p "$bin"
make -s -C "$HMAP_SRC/tools/hmapctl" O="$bin" >&2
rm -f "$bin"/*_test	# the guest runs every *_test: none of an old build
make -s -C "$HMAP_SRC/selftests" O="$HMAP_OUT/selftests" \
	INSTALL_PATH="$bin" install >&2
install -m 0755 "$HMAP_SCRIPTS/demo.sh" "$bin/hmap-demo"
make -s -C "$HMAP_SRC/tools/testing/fuzz" O="$bin" >&2
