#!/bin/bash
# Boot the test kernel with an initramfs under QEMU.
# Usage: run-qemu.sh BZIMAGE INITRD SERIAL_LOG [EXTRA_CMDLINE...]
#        run-qemu.sh BZIMAGE INITRD -  [EXTRA_CMDLINE...]   (serial on stdio)
# With a log file the serial console is written there and stdin is unused;
# with "-" it is interactive (Ctrl-A x quits QEMU).
# Exit status is QEMU's, or 124 when the timeout hit.
#
# Environment:
#   HMAP_TIMEOUT  seconds before QEMU is killed (default 1200)
#   HMAP_KVM=1    use KVM instead of TCG (KVM hangs on some hosts)
#   HMAP_SMP, HMAP_MEM  guest CPUs and memory (default 2, 2G)
#   HMAP_APPEND   replaces the default kernel command line
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 BZIMAGE INITRD LOG|- [ARG...]" >&2; exit 2; }
kernel=$1 initrd=$2 log=$3
shift 3

timeout=${HMAP_TIMEOUT:-1200}
# panic=-1 + oops=panic: an oops ends the run at once (QEMU exits because
# of -no-reboot) instead of leaving a half-dead guest to hit the timeout.
append=${HMAP_APPEND:-console=ttyS0 loglevel=8 panic=-1 oops=panic}
append="$append $*"

accel=(-accel tcg -cpu max)
[ "${HMAP_KVM:-0}" = 1 ] && accel=(-accel kvm -cpu host)

args=(
	"${accel[@]}" -smp "${HMAP_SMP:-2}" -m "${HMAP_MEM:-2G}"
	-nodefaults -display none -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append"
)

if [ "$log" = - ]; then
	exec timeout -k 10 "$timeout" qemu-system-x86_64 "${args[@]}" -serial mon:stdio
fi
mkdir -p "$(dirname "$log")"
rc=0
timeout -k 10 "$timeout" qemu-system-x86_64 "${args[@]}" \
	-serial "file:$log" -monitor none </dev/null || rc=$?
exit "$rc"
