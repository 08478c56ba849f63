#!/bin/sh
# /init of the hmap test guest (busybox sh; packed by scripts/initramfs.sh).
#
# Mode, from the kernel command line (unknown key=value args reach /init
# as environment variables):
#   hmap_guest=check (default)  load kunit.ko, hmap.ko, hmap_kunit.ko (the
#       KUnit suites run and print KTAP to the console), unload the test
#       module, run /etc/hmap/tests.d/*.sh, unload hmap, print the end marker.
#   hmap_guest=shell            load kunit.ko and hmap.ko, start a shell.
#   hmap_guest=demo             load hmap.ko, run hmap-demo (make demo).
#   hmap_guest=scripts          load hmap.ko only, run /etc/hmap/tests.d/*.sh
#       (make bench packs its own there), unload hmap, print the end marker.
# The guest always ends with `reboot -f` (QEMU runs with -no-reboot).
#
# Lines for scripts/check.sh:
#   HMAP-GUEST-FAIL: <what>           a step that went wrong
#   HMAP-GUEST-TEST: ok|not ok <name> one result per tests.d script
#   HMAP-GUEST-DONE                   the run got to the end

/bin/busybox --install -s
export PATH=/opt/hmap/bin:/bin:/sbin:/usr/bin:/usr/sbin
mode=${hmap_guest:-check}
mods=/lib/hmap

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

fail() { echo "HMAP-GUEST-FAIL: $*"; }

load() {
	if [ ! -f "$mods/$1.ko" ]; then
		fail "$1.ko missing"
		return 1
	fi
	insmod "$mods/$1.ko" || { fail "insmod $1 (exit $?)"; return 1; }
}

unload() {
	rmmod "$1" || fail "rmmod $1 (exit $?)"
}

# Each tests.d script is one check; it may use the binaries in /opt/hmap/bin.
run_tests() {
	for t in /etc/hmap/tests.d/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "hmap-guest: running $name"
		if sh "$t"; then
			echo "HMAP-GUEST-TEST: ok $name"
		else
			echo "HMAP-GUEST-TEST: not ok $name (exit $?)"
		fi
	done
}

echo "hmap-guest: mode=$mode, $(uname -r), $(nproc) cpus"
case $mode in
demo)
	if load hmap; then
		if hmap-demo; then
			echo "HMAP-DEMO: ok"
		else
			echo "HMAP-DEMO: failed"
		fi
		unload hmap
	fi
	echo "HMAP-GUEST-DONE"
	;;
shell)
	load kunit && load hmap
	echo "hmap-guest: hmap loaded; exit the shell to power off"
	setsid cttyhack sh -l
	;;
scripts)
	if load hmap; then
		run_tests
		unload hmap
	fi
	echo "HMAP-GUEST-DONE"
	;;
*)
	if load kunit && load hmap; then
		# insmod waits in D state while each KUnit case runs, and the
		# scale cases take about two minutes under KASAN in QEMU: give
		# them KUnit's own 300 s before the hung-task detector speaks.
		echo 300 >/proc/sys/kernel/hung_task_timeout_secs
		load hmap_kunit && unload hmap_kunit
		echo 120 >/proc/sys/kernel/hung_task_timeout_secs
		run_tests
		unload hmap
	fi
	echo "HMAP-GUEST-DONE"
	;;
esac
sync
reboot -f
