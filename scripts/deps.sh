#!/bin/bash
# Install the Debian packages the hmap build and tests need, if missing.
# A no-op (one dpkg-query) when everything is already installed.
# Usage: deps.sh [PACKAGE...]   (extra packages a target needs, e.g. bench's
#                               gnuplot-nox, make check's dkms)
#        deps.sh --native [PACKAGE...]  (only what tools/testing/hmap needs,
#                               for its standalone make)
set -euo pipefail

# tools/testing/hmap: clang with its ASan/UBSan/libFuzzer runtimes, llvm's
# profdata and cov for the coverage, liburcu for RCU, and the kernel source
# (lib/siphash.c ...).
native=(clang llvm libclang-rt-dev liburcu-dev linux-source-6.1 xz-utils)

if [ "${1:-}" = --native ]; then
	shift
	pkgs=("${native[@]}" "$@")
else
	pkgs=(
		build-essential bc bison flex libelf-dev libssl-dev kmod cpio
		linux-source-6.1 linux-source-6.12 linux-headers-amd64
		sparse perl python3
		python3-docutils rsync
		xz-utils qemu-system-x86 busybox-static
		"${native[@]}"
		"$@"
	)
fi

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "$status" = "ii " ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
[ "$(id -u)" = 0 ] || { echo "deps: need root to install packages" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
