#!/bin/sh
# /init of the hmap test guest (busybox sh; packed by scripts/initramfs.sh).
#
# Mode, from the kernel command line (unknown key=value args reach /init
# as environment variables):
#   hmap_guest=check (default)  load kunit.ko, hmap.ko and hmap_kunit.ko
#       (the KUnit suites run and print KTAP to the console), unload it, run
#       /etc/hmap/tests.d/*.sh, scan for leaks after each of the two parts,
#       print the injected-failure counts, destroy two maps with work
#       pending and unload hmap at once, scan again, load hmap again, then,
#       if hmap_kunit_scale.ko was packed, turn kmemleak off, load and
#       unload it (hmap_scale_shift=S passes shift=S: 2^-S of the
#       size); unload hmap, print the end marker. hmap_tests= and hmap_ksft= on the command line
#       choose guest tests and kselftests (the KCSAN run: see
#       scripts/check.sh). Without kmemleak, fault injection or KCSAN in
#       the kernel, the scans and counts are left out.
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
#   KMEMLEAK <part>: <line>           what kmemleak reported after <part>
#   HMAP-KMEMLEAK: <part> scanned     a scan ran (none: kmemleak is off)
#   HMAP-FAULT: <site> <count>        failures injected at each hmap site
#   HMAP-KCSAN: start|end <counter>: <value>  KCSAN's counters
#   HMAP-MODULE: <module> <section> <address>  where each code section of
#                                     an hmap module loaded (insmod) went

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
	m=$1
	shift
	if [ ! -f "$mods/$m.ko" ]; then
		fail "$m.ko missing"
		return 1
	fi
	insmod "$mods/$m.ko" "$@" || { fail "insmod $m (exit $?)"; return 1; }
	# Where its code went (scripts/check.sh tells hmap's frames in a
	# leak by it once the module is gone). One read(): a second one of
	# a section file fails with EINVAL.
	case $m in
	hmap*)
		for s in "/sys/module/$m"/sections/.*text*; do
			[ -r "$s" ] || continue
			echo "HMAP-MODULE: $m ${s##*/} $(dd if="$s" bs=64 count=1 2>/dev/null)"
		done
		;;
	esac
	return 0
}

unload() {
	rmmod "$1" || fail "rmmod $1 (exit $?)"
}

# Scan for leaks (two scans: kmemleak reports an object only once a scan
# has found it unreferenced and it is older than 5 s), print what it found
# prefixed with "KMEMLEAK <part>: ", then forget it, so that the next part
# reports only its own. scripts/check.sh counts the objects whose
# backtrace passes through hmap. A scan that fails is a failed step, and
# no "scanned" line.
leak_scan() {
	kml=/sys/kernel/debug/kmemleak
	[ -w $kml ] || return 0
	sleep 6
	if ! echo scan >$kml || ! echo scan >$kml; then
		fail "kmemleak scan after $1"
		return 1
	fi
	sed "s/^/KMEMLEAK $1: /" $kml
	echo clear >$kml
	echo "HMAP-KMEMLEAK: $1 scanned"
}

# Failures injected at each allocation site of hmap so far.
fault_counts() {
	f=/sys/kernel/debug/fail_hmap_alloc/injected
	[ -r $f ] && sed 's/^/HMAP-FAULT: /' $f
}

# KCSAN's counters (a KCSAN kernel only) at point $1 (start, end):
# watchpoints set up, races found.
kcsan_stats() {
	f=/sys/kernel/debug/kcsan
	[ -r $f ] && grep ': [0-9]*$' $f | sed "s/^/HMAP-KCSAN: $1 /"
}

# Maps destroyed with work pending, right before hmap's unload: a grow
# just started (B 14, 106497 entries: 256 turns of the worker) and the
# next array being allocated ahead (39936 entries: three quarters of the
# way to the grow at B 13), each destroyed as soon as its fill returns.
# Each insert costs about 250 us under KASAN in QEMU: the sizes of the
# lifetime kselftest (212993 and 319488) took 131 s here.
pending_work() {
	command -v hmapctl >/dev/null || return 0
	for m in 106497 39936; do
		if ! { hmapctl create hmap-unload-$m key_size 16 value_size 16 \
			max_entries 400000 >/dev/null &&
			hmapctl fill hmap-unload-$m $m >/dev/null &&
			hmapctl destroy hmap-unload-$m >/dev/null; }; then
			fail "a map of $m entries destroyed with work pending"
		fi
	done
}

# Each tests.d script is one check; it may use the binaries in /opt/hmap/bin.
# hmap_tests=A,B on the command line runs only the scripts named A.sh, B.sh.
run_tests() {
	for t in /etc/hmap/tests.d/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		case ",${hmap_tests:-$name}," in
		*",$name,"*) ;;
		*) continue ;;
		esac
		echo "hmap-guest: running $name"
		if sh "$t"; then
			echo "HMAP-GUEST-TEST: ok $name"
		else
			echo "HMAP-GUEST-TEST: not ok $name (exit $?)"
		fi
	done
}

echo "hmap-guest: mode=$mode, $(uname -r), $(nproc) cpus"
kcsan_stats start
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
		# insmod waits in D state while each KUnit case runs, and a case
		# may take minutes in QEMU (the scale suite below): give them
		# KUnit's own 300 s before the hung-task detector speaks.
		echo 300 >/proc/sys/kernel/hung_task_timeout_secs
		load hmap_kunit && unload hmap_kunit
		echo 120 >/proc/sys/kernel/hung_task_timeout_secs
		leak_scan kunit
		run_tests
		leak_scan tests
		fault_counts
		# Unloaded at once after maps went with work pending; what
		# hmap frees at its unload is scanned (a leak there has frames
		# in the module gone, unnamed: scripts/check.sh counts those
		# in hmap's code, the HMAP-MODULE lines).
		pending_work
		unload hmap
		leak_scan unload
		# Loaded again. The scale suite allocates millions of objects:
		# kmemleak tracking each costs it minutes, so it runs last,
		# with kmemleak off (it cannot be turned on again).
		if load hmap; then
			if [ -f $mods/hmap_kunit_scale.ko ]; then
				[ -w /sys/kernel/debug/kmemleak ] &&
					echo off >/sys/kernel/debug/kmemleak
				echo 600 >/proc/sys/kernel/hung_task_timeout_secs
				load hmap_kunit_scale "shift=${hmap_scale_shift:-0}" &&
					unload hmap_kunit_scale
			fi
			unload hmap
		fi
	fi
	kcsan_stats end
	echo "HMAP-GUEST-DONE"
	;;
esac
sync
reboot -f
