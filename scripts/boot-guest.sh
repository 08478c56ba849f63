#!/bin/bash
# Boot a guest: the one boot sequence of make check, make demo, make vm and
# make bench. Packs DIR/initramfs.cpio (scripts/initramfs.sh) and boots the
# kernel of KOBJ with it under QEMU, the guest's /init (scripts/guest-init.sh)
# running in MODE.
#
# Usage: boot-guest.sh MODE KOBJ DIR [MODULE.ko...] [-- KERNEL_ARG...]
#   MODE        what /init does (hmap_guest=MODE): check, demo, shell, scripts
#   KOBJ        the kernel's O= dir (scripts/build-kernel.sh)
#   DIR         gets initramfs.cpio and serial.log
#   MODULE      modules for the guest's /lib/hmap
#   KERNEL_ARG  more of the kernel command line (key=value reaches /init)
#
# What differs per mode:
#   MODE     memory  timeout  serial console
#   check    3G      1200 s   serial.log (the largest KUnit map holds 3.4
#                             million entries under KASAN)
#   demo     2G      600 s    serial.log, warnings and worse only
#                             (loglevel=5), so that the session reads
#   shell    2G      1 day    the terminal (Ctrl-A x quits QEMU), and a
#                             copy in serial.log
#   scripts  2G      1200 s   serial.log
# The guest powers off at its end (QEMU runs with -no-reboot), and an oops
# ends the run at once (panic=-1 oops=panic) instead of leaving a half-dead
# guest to hit the timeout. Exit status is QEMU's, 124 when the timeout hit.
#
# Environment:
#   HMAP_TIMEOUT  seconds before QEMU is killed (default: the mode's)
#   HMAP_MEM      guest memory (default: the mode's)
#   HMAP_SMP      guest CPUs (default 2)
#   HMAP_KVM=1    use KVM instead of TCG (KVM hangs on some hosts)
#   HMAP_ICOUNT=1 instruction-counted TCG (QEMU -icount shift=0,sleep=off):
#                 the guest's clock advances 1 ns per guest instruction
#                 of either vCPU (one runs at a time, no MTTCG), and
#                 jumps over idle time, so that a busy interval measured
#                 in the guest is the instructions both vCPUs executed
#                 meanwhile, whatever the host does (make bench:
#                 HMAP_BENCH_ICOUNT)
#   HMAP_APPEND   replaces the default kernel command line (console, log
#                 level, panic); hmap_guest=MODE and KERNEL_ARG still follow
#   HMAP_GUEST_TESTS, HMAP_GUEST_BIN  what else to pack (scripts/initramfs.sh)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

usage="usage: $0 MODE KOBJ DIR [MODULE.ko...] [-- KERNEL_ARG...]"
[ $# -ge 3 ] || die "$usage"
mode=$1 kobj=$2 dir=$3
shift 3
mods=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	mods+=("$1")
	shift
done
[ $# -eq 0 ] || shift	# the --

case $mode in
check) mem=3G timeout=1200 loglevel=8 ;;
demo) mem=2G timeout=600 loglevel=5 ;;
shell) mem=2G timeout=86400 loglevel=8 ;;
scripts) mem=2G timeout=1200 loglevel=8 ;;
*) die "$usage (no mode $mode)" ;;
esac
timeout=${HMAP_TIMEOUT:-$timeout}
append=${HMAP_APPEND:-console=ttyS0 loglevel=$loglevel panic=-1 oops=panic}
append="$append hmap_guest=$mode $*"

case "${HMAP_ICOUNT:-0}" in
0 | 1) ;;
*) die "boot-guest: HMAP_ICOUNT=$HMAP_ICOUNT: 1 (instruction-counted TCG) or 0" ;;
esac
[ "${HMAP_KVM:-0}${HMAP_ICOUNT:-0}" = 11 ] &&
	die "boot-guest: HMAP_ICOUNT=1 counts TCG's instructions, HMAP_KVM=1 has none: one or the other"
mkdir -p "$dir"
log=$dir/serial.log
rm -f "$log"
"$HMAP_SCRIPTS/initramfs.sh" "$dir/initramfs.cpio" "$kobj" "${mods[@]}"

accel=(-accel tcg -cpu max)
[ "${HMAP_ICOUNT:-0}" = 1 ] &&
	accel=(-accel "tcg,thread=single" -icount "shift=0,sleep=off" -cpu max)
[ "${HMAP_KVM:-0}" = 1 ] && accel=(-accel kvm -cpu host)
args=(
	"${accel[@]}" -smp "${HMAP_SMP:-2}" -m "${HMAP_MEM:-$mem}"
	-nodefaults -display none -no-reboot
	-kernel "$kobj/arch/x86/boot/bzImage" -initrd "$dir/initramfs.cpio"
	-append "$append"
)
if [ "$mode" = shell ]; then
	# As -serial mon:stdio (console and monitor on the terminal, Ctrl-C
	# to the guest), plus a copy of the output in the log.
	args+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
		-serial chardev:con -mon chardev=con)
	in=/dev/stdin
else
	args+=(-serial "file:$log" -monitor none)
	in=/dev/null
fi

# --foreground: QEMU stays in the terminal's process group, so that it can
# read the terminal (shell) and a Ctrl-C of make stops it (the others).
rc=0
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 "${args[@]}" <"$in" ||
	rc=$?
[ "$rc" != 124 ] || msg "boot-guest: QEMU stopped after ${timeout}s (HMAP_TIMEOUT)"
exit "$rc"
