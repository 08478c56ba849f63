#!/bin/bash
# Pack the guest initramfs (uncompressed newc cpio).
# Usage: initramfs.sh OUT.cpio KOBJ MODULE.ko...
#   KOBJ     test kernel build dir (provides usr/gen_init_cpio)
#   MODULE   modules for /lib/hmap (guest-init.sh loads them by name)
# Also packed:
#   scripts/guest-init.sh          as /init
#   $HMAP_GUEST_TESTS/*.sh         as /etc/hmap/tests.d/ (default scripts/guest-tests.d)
#   $HMAP_GUEST_BIN/*              as /opt/hmap/bin/, static test programs
#                                  (default $HMAP_OUT/guest-bin, if present)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || die "usage: $0 OUT.cpio KOBJ [MODULE.ko...]"
out=$1 kobj=$2
shift 2
tests=${HMAP_GUEST_TESTS:-$HMAP_SCRIPTS/guest-tests.d}
bin=${HMAP_GUEST_BIN:-$HMAP_OUT/guest-bin}
busybox=/bin/busybox
gen=$kobj/usr/gen_init_cpio

[ -x "$gen" ] || die "$gen missing (kernel not built?)"
case $(ldd "$busybox" 2>&1 || true) in
*"not a dynamic"*) ;;
*) die "$busybox is not static (install busybox-static)" ;;
esac

# gen_init_cpio spec: no root or real device nodes needed on the host.
spec() {
	local d f
	for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /root \
		/etc /etc/hmap /etc/hmap/tests.d /lib /lib/hmap /opt /opt/hmap \
		/opt/hmap/bin; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	echo "file /init $HMAP_SCRIPTS/guest-init.sh 0755 0 0"
	for f in "$@"; do
		[ -f "$f" ] || die "module $f missing"
		echo "file /lib/hmap/$(basename "$f") $(realpath "$f") 0644 0 0"
	done
	for f in "$tests"/*.sh; do
		[ -f "$f" ] && echo "file /etc/hmap/tests.d/$(basename "$f") $(realpath "$f") 0644 0 0"
	done
	if [ -d "$bin" ]; then
		for f in "$bin"/*; do
			[ -f "$f" ] && echo "file /opt/hmap/bin/$(basename "$f") $(realpath "$f") 0755 0 0"
		done
	fi
	return 0
}

mkdir -p "$(dirname "$out")"
spec "$@" >"$out.list"
"$gen" "$out.list" >"$out.tmp"
mv "$out.tmp" "$out"
