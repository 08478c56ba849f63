#!/bin/bash
# `make check`: build the three test kernels (6.1 KASAN, 6.1 KCSAN, 6.12
# KASAN) and the modules, run the KUnit suites, kselftests and guest tests
# under QEMU on each, the core in user space, the host checks, and end
# with the line "N passed, N failed[, N skipped]". Exits non-zero if
# anything failed. `make quick` (HMAP_QUICK=1) leaves the KCSAN and the
# 6.12 guests out; HMAP_KCSAN=0 and HMAP_612=0 leave out one of them. A
# guest left out counts one skipped.
#
# Counted: every KUnit case and kselftest (on each kernel, named with it;
# a KUnit suite of the kernel's guest that did not run counts one failure),
# every guest test, every native test, and one check each for the module
# builds, each guest run, kernel splats in each serial log, kmemleak and
# fault injection at every allocation site (each KASAN kernel), KCSAN's
# watch, the native fuzz run and its coverage, a short run of the native
# benchmark build, W=1 (amd64 and i386 on 6.1,
# amd64 on 6.12), sparse, checkpatch and kernel-doc (6.1's and 6.12's),
# the DKMS build, make install and uninstall (against Debian's headers,
# and against the test kernel, whose KUnit must not bring the test modules
# along), and docutils over the .rst files with their kernel-doc
# directives expanded (each must render something).
# Everything generated goes to $HMAP_OUT/check (build/check).
set -Eeuo pipefail
# make check tests every kernel, each under its own label: a KVER from the
# command line (`make check KVER=6.12`) or the environment would turn what
# is labelled 6.1 into another kernel's run. The 6.1 steps take the
# default (scripts/common.sh), the 6.12 ones set KVER=6.12 themselves.
if [ -n "${KVER:-}" ]; then
	printf 'check: KVER=%s ignored: make check tests 6.1 and 6.12\n' "$KVER" >&2
fi
unset KVER

passed=0 failed=0 skipped=0
summary=()

# pass|fail NAME [DETAIL]: count one check and remember it for the summary.
pass() { passed=$((passed + 1)); summary+=("PASS  $1${2:+ ($2)}"); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); summary+=("FAIL  $1${2:+ ($2)}"); echo "FAIL: $1${2:+ ($2)}"; }
# skip NAME WHY: a guest left out on request (HMAP_KCSAN=0, HMAP_612=0,
# make quick), counted so that the summary line shows it; make check
# itself skips nothing.
skip() { skipped=$((skipped + 1)); summary+=("SKIP  $1 ($2)"); echo "SKIP: $1 ($2)"; }
section() { printf '\n=== %s\n' "$*"; }
# Print a file's lines indented, at most $2 of them.
show() { head -n "${2:-50}" "$1" | sed 's/^/    /'; }

finish() {
	section "summary"
	printf '%s\n' "${summary[@]}"
	local line="$passed passed, $failed failed"
	[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
	echo "$line"
	if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
		exit 0
	fi
	exit 1
}

# An unexpected error, in a function too (set -E above), still ends with
# the summary line, on make check's own stdout (a function's may go to a
# file). In a subshell ($(...), <(...), a pipeline's part) the trap does
# nothing: the subshell ends or goes on as it did without set -E, and the
# command it is part of fails in the main shell if it is to.
exec {check_stdout}>&1
# shellcheck disable=SC2317 # run by the ERR trap
on_error() {
	local rc=$? line=$1 in=
	[ "$BASHPID" = "$$" ] || return "$rc"
	trap - ERR
	exec 1>&"$check_stdout" 2>&1
	if [ "${FUNCNAME[1]:-main}" != main ]; then
		in=" (in ${FUNCNAME[1]})"
	fi
	fail "check.sh stopped at line $line$in" "exit status $rc"
	finish
}
trap 'on_error $LINENO' ERR

# After the trap: a setting common.sh refuses (HMAP_TARBALL, a bad KVER
# of its own) returns 1 from the source command, and make check ends
# with the summary line like any other error.
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

out=$HMAP_OUT/check
mkdir -p "$out"
serial=$out/serial.log

# One `make check` per tree at a time: they share the build outputs.
exec 8>"$out/.lock"
if ! flock -n 8; then
	msg "check: waiting for another make check in $HMAP_SRC"
	flock 8
fi

# make quick (HMAP_QUICK=1): the same checks but the KCSAN guest (and the
# scale suite it runs) and the 6.12 guest, with shorter fuzz runs; each
# HMAP_* variable below still wins when set. The guests run one after the
# other: each keeps both cores busy (under three guests side by side, each
# took three times as long, and kselftests hit their timeouts).
if [ "${HMAP_QUICK:-0}" = 1 ]; then
	: "${HMAP_KCSAN:=0}" "${HMAP_612:=0}" "${HMAP_FUZZ_SECONDS:=5}" "${HMAP_NATIVE_SCALE:=0.05}"
fi

# Source files to lint: every .c/.h outside build/, selftests/, .git and
# tools/testing/ (user space that imitates kernel APIs: its shims define
# NR_CPUS, BUG(), EXPORT_SYMBOL()), minus the *.mod.c files modpost makes.
lint_files() {
	find "$HMAP_SRC" \( -path "$HMAP_SRC/build" -o -path "$HMAP_SRC/.git" \
		-o -name selftests -o -path "$HMAP_SRC/tools/testing" \) -prune -o -type f \
		\( -name '*.c' -o -name '*.h' \) ! -name '*.mod.c' -print | sort
}

# Copy the module sources to $1, so that a build there cannot clash with the
# test-kernel build in the tree.
copy_sources() {
	mkdir -p "$1"
	rsync -a --delete --exclude=/build/ --exclude=/.git/ --include='*/' \
		--include='*.c' --include='*.h' --include='*.S' --include=Kbuild \
		--include=Makefile --include=/dkms.conf --exclude='*.mod.c' --exclude='*' \
		--prune-empty-dirs "$HMAP_SRC/" "$1/"
}

# ksft_results LABEL LOG PROGRAM...: count the kselftest results the guest
# printed (20-kselftest.sh), one TAP stream per program P: "KSFT: P: 1..N"
# (its plan), "KSFT: P: ok|not ok N name". Each program is counted against
# its own plan, so one that stops early counts its missing tests failed; a
# PROGRAM (path or name: the ones the guest was to run) that printed no
# plan counts one failure.
ksft_results() {
	local label=$1 log=$2 lines prog plan p f s line b exit_status took
	local tp=0 tf=0 ts=0
	local -a progs
	shift 2
	lines=$(tr -d '\r' <"$log" | grep -a '^KSFT: [A-Za-z0-9_-]*: ' || true)
	mapfile -t progs < <({
		sed -n 's/^KSFT: \([A-Za-z0-9_-]*\): .*/\1/p' <<<"$lines"
		for b in "$@"; do
			basename "$b"
		done
	} | sort -u)
	if [ ${#progs[@]} -eq 0 ]; then
		fail "${label}kselftests ran" "no KSFT lines in the serial log"
		return
	fi
	for prog in "${progs[@]}"; do
		p=0 f=0 s=0
		while IFS= read -r line; do
			case $line in
			# The guest has all the tests need (root, debugfs,
			# rmmod, fault injection): a skip there is a failure.
			"ok "*"# SKIP"*) f=$((f + 1)); echo "skipped: kselftest $prog: ${line#ok }" ;;
			"ok "*) p=$((p + 1)) ;;
			"not ok "*) f=$((f + 1)); echo "not ok: kselftest $prog: ${line#not ok }" ;;
			esac
		done < <(sed -n "s/^KSFT: $prog: \(\(not \)\{0,1\}ok [0-9].*\)\$/\1/p" <<<"$lines")
		plan=$(sed -n "s/^KSFT: $prog: 1\.\.\([0-9]*\)\$/\1/p" <<<"$lines" | head -n1)
		exit_status=$(sed -n "s/^KSFT: $prog: # exit status \([0-9]*\)\$/\1/p" <<<"$lines")
		took=$(sed -n "s/^KSFT: $prog: # took \([0-9]*\) s\$/, \1 s/p" <<<"$lines")
		if [ -z "$plan" ] || [ "$plan" = 0 ]; then
			echo "kselftests: $prog: no TAP plan (or 1..0) in the serial log"
			f=$((f + 1))
		elif [ $((p + f + s)) -lt "$plan" ]; then
			echo "kselftests: $prog: $((plan - p - f - s)) of $plan never reported"
			f=$((plan - p - s))
		elif [ $((p + f + s)) -gt "$plan" ]; then
			echo "kselftests: $prog: $((p + f + s)) results for a plan of $plan"
			f=$((f + 1))
		fi
		# A program that reported every test but exited non-zero (the
		# harness's own failure, a crash after its last test) fails once.
		if [ -n "$exit_status" ] && [ "$f" = 0 ]; then
			echo "kselftests: $prog: exit status $exit_status"
			f=1
		fi
		echo "kselftests: $prog: $p passed, $f failed, $s skipped$took"
		summary+=("KSFT  $label$prog: $p passed, $f failed, $s skipped")
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	done
	echo "${label}kselftests: $tp passed, $tf failed, $ts skipped (${#progs[@]} programs)"
	passed=$((passed + tp)) failed=$((failed + tf)) skipped=$((skipped + ts))
}

# kunit_suites [SUITE...]: the KUnit suites of kunit/*.c (each suite's
# .name), comma-separated, but the SUITEs named: what a guest must run.
# hmap_scale is hmap_kunit_scale.ko's (the KCSAN and 6.12 guests load
# it), hmap_fault is built only where the kernel has fault injection (not
# the KCSAN kernel).
kunit_suites() {
	sed -n 's/^[[:space:]]*\.name[[:space:]]*=[[:space:]]*"\(hmap_[a-z0-9_]*\)".*/\1/p' \
		"$HMAP_SRC"/kunit/*.c | { grep -vxF -f <(printf '%s\n' "$@") || true; } |
		sort -u | paste -sd,
}

# guest_results LABEL LOG RC DIR SUITES PROGRAM...: count what one guest
# run printed in its serial log LOG (QEMU's exit status RC, reports in
# DIR): every KUnit case, and one failure for each KUnit suite of SUITES
# (kunit_suites) that did not run, every kselftest of each PROGRAM (which
# must all have run), every guest test, the run itself and its kernel
# splats. LABEL prefixes every name ("6.1: ", "6.1 KCSAN: ", "6.12: ": the
# kernel of the run); the run fails unless the guest's kernel (the release
# guest-init.sh prints: "hmap-guest: mode=check, 6.12.117, 2 cpus") is
# LABEL's.
guest_results() {
	local label=$1 log=$2 rc=$3 dir=$4 suites=$5 kp=0 kf=0 ks=0 status name problems detail n
	local kver=${1%%[ :]*} release
	shift 5
	[ -n "$suites" ] || fail "${label}KUnit suites to run" "none found in kunit/*.c"
	# KUnit: one count per test case; a suite that never ran, one failure.
	if python3 "$HMAP_SCRIPTS/ktap.py" "$log" "$suites" >"$dir/kunit.txt"; then
		read -r kp kf ks < <(sed -n 's/^KUNIT passed=\([0-9]*\) failed=\([0-9]*\) skipped=\([0-9]*\)$/\1 \2 \3/p' "$dir/kunit.txt") || true
	fi
	grep -v '^KUNIT ' "$dir/kunit.txt" || true
	echo "${label}KUnit: $kp passed, $kf failed, $ks skipped"
	passed=$((passed + kp)) failed=$((failed + kf)) skipped=$((skipped + ks))
	summary+=("KUNIT ${label}$kp passed, $kf failed, $ks skipped")
	[ $((kp + kf + ks)) -gt 0 ] || fail "${label}KUnit cases ran" "no KTAP results in the serial log"
	[ "$ks" = 0 ] || fail "${label}KUnit: no case skipped" "$ks skipped: the guest kernel lacks what they need"

	# The largest map a KUnit suite says it filled ("N entries" of the
	# scale suite's kunit_info() lines).
	n=$(tr -d '\r' <"$log" | { grep -aoE '# [a-z0-9_]+: [0-9]+ entries' || true; } |
		awk '$3 > m { m = $3 } END { print m + 0 }')
	[ "$n" = 0 ] || echo "${label}largest map of the KUnit suites: $n entries"

	# kselftests: one count per test, from the "KSFT: " lines.
	ksft_results "$label" "$log" "$@"

	# Guest tests (scripts/guest-tests.d): one count each.
	while read -r _ status name; do
		case $status in
		ok) pass "${label}guest test $name" ;;
		*) fail "${label}guest test ${name#ok }" ;;
		esac
	done < <(tr -d '\r' <"$log" | grep -a '^HMAP-GUEST-TEST: ' || true)

	# The guest ran to the end: no timeout, the end marker, no failed step.
	problems=()
	case $rc in
	0) ;;
	124 | 137) problems+=("QEMU timed out") ;;
	*) problems+=("QEMU exit $rc") ;;
	esac
	grep -aq '^HMAP-GUEST-DONE' "$log" || problems+=("no HMAP-GUEST-DONE marker")
	release=$(tr -d '\r' <"$log" |
		sed -n 's/^hmap-guest: mode=[a-z]*, \([^ ,]*\), .*/\1/p' | head -n1)
	case $release in
	"$kver" | "$kver".* | "$kver"-*) ;;
	'') problems+=("no kernel release in the serial log (hmap-guest: mode=...)") ;;
	*) problems+=("ran on $release, not $kver") ;;
	esac
	if grep -a '^HMAP-GUEST-FAIL' "$log"; then
		problems+=("$(grep -ac '^HMAP-GUEST-FAIL' "$log") failed guest step(s)")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		pass "${label}guest run on $release (insmod, rmmod, end marker)"
	else
		echo "last lines of the serial log:"
		tail -n 30 "$log" | sed 's/^/    /'
		detail=$(printf '%s; ' "${problems[@]}")
		fail "${label}guest run" "${detail%; }"
	fi

	# Kernel splats anywhere in the log (scripts/kernel-splats.txt).
	n=0
	find_splats "$log" "$dir/splats.txt" 2>&1 || n=$?
	case $n in
	0) pass "${label}no kernel splats" ;;
	1) fail "${label}no kernel splats" "$(wc -l <"$dir/splats.txt") line(s)" ;;
	*) fail "${label}no kernel splats" "not scanned: the log or the patterns (kernel-splats.txt)" ;;
	esac
}

# fuzz_results LABEL LOG DIR: count the ioctl fuzzer's runs
# (guest-tests.d/40-fuzz.sh) in the serial log LOG: one check per run, with
# its figures (seed, calls, model ops that succeeded per kind, the share of
# bursts, the largest map, the share under fault injection). Beyond "ok",
# each run must reach its floors, checked here too: the table of them in
# the guest script (guest-tests.d/40-fuzz.sh), which gives them to the
# fuzzer: each run's calls; a number of successful model ops of each kind
# that reach a map (creates, updates, lookups, deletes, batches, dump
# walks); the fault runs a number of injected failures and of ENOMEMs, and
# of allocation sites failed. A failure shows what replays it. RUNS
# (default: all four) names the runs the guest made; each must have its
# row in the table, and every row must have its five fields (a short one
# would leave floors unchecked, here and in the fuzzer's options).
fuzz_results() {
	local label=$1 log=$2 dir=$3 runs=${4:-fixed,random,fault,fault-fixed}
	local run result rest calls min_ok min_inj min_sites problems largest=0 n k v floors bad
	local table=${HMAP_GUEST_TESTS:-$HMAP_SCRIPTS/guest-tests.d}/40-fuzz.sh
	# The lines between the markers, but the shell's quotes around them.
	floors=$(sed -n '/^# floors:$/,/^# :floors$/p' "$table" |
		grep -Ev "^(# floors:|# :floors|floors='|'|)\$" || true)
	bad=$(grep -Ev '^[a-z-]+( [0-9]+){4}$' <<<"$floors" || true)
	if [ -z "$floors" ]; then
		fail "${label}fuzz" "no table of floors in $table"
		return
	elif [ -n "$bad" ]; then
		fail "${label}fuzz" "rows of the floors in $table not LABEL and 4 numbers: $(paste -sd'|' <<<"$bad")"
		return
	fi
	for run in ${runs//,/ }; do
		n=$(grep -c "^$run " <<<"$floors" || true)
		[ "$n" = 1 ] || fail "${label}fuzz $run" "$n rows of floors for it in $table, not 1"
	done
	tr -d '\r' <"$log" | grep -a '^HMAP-FUZZ: ' >"$dir/fuzz.txt" || true
	# run  calls  min ok ops per kind  min injected/ENOMEM  min sites
	while read -r run calls min_ok min_inj min_sites; do
		case ",$runs," in
		*",$run,"*) ;;
		*) continue ;;
		esac
		read -r _ _ result rest < <(grep -m1 "^HMAP-FUZZ: $run " "$dir/fuzz.txt") ||
			result=
		problems=()
		[ "$result" = ok ] || problems+=("${result:-no result line in the serial log}")
		n=$(sed -n 's/.* calls=\([0-9]*\) .*/\1/p' <<<"$rest")
		[ "${n:-0}" -ge "$calls" ] || problems+=("${n:-no} calls, not $calls")
		for k in create update lookup delete batch dump; do
			v=$(sed -n "s/.*[=,]$k:\\([0-9]*\\).*/\\1/p" <<<"$rest")
			[ "${v:-0}" -ge "$min_ok" ] || problems+=("${v:-no} $k ops, not $min_ok")
		done
		if [ "$min_inj" -gt 0 ]; then
			for k in injected enomem; do
				v=$(sed -n "s/.* $k=\\([0-9]*\\).*/\\1/p" <<<"$rest")
				[ "${v:-0}" -ge "$min_inj" ] || problems+=("$k ${v:-none}, not $min_inj")
			done
			v=$(sed -n 's/.* sites=\([0-9]*\)\/.*/\1/p' <<<"$rest")
			[ "${v:-0}" -ge "$min_sites" ] || problems+=("${v:-no} sites failed, not $min_sites")
		fi
		v=$(sed -n 's/.* largest=\([0-9]*\).*/\1/p' <<<"$rest")
		[ "${v:-0}" -le "$largest" ] || largest=$v
		if [ ${#problems[@]} -eq 0 ]; then
			pass "${label}fuzz $run" "$rest"
		else
			fail "${label}fuzz $run" "$(printf '%s; ' "${problems[@]}")$rest"
		fi
	done <<<"$floors"
	echo "${label}largest map of the fuzzer: $largest entries"
	tr -d '\r' <"$log" | grep -a -A2 '^hmap_ioctl_fuzz: FAIL' | head -n 20 || true
}

# module_code LOG KODIR: where the guest of the serial log LOG had the
# code of hmap's modules, one range a line, "START END" (16 hex digits,
# END past the last byte): each section its HMAP-MODULE line names
# (scripts/guest-init.sh), whose size is that of the section in
# KODIR/MODULE.ko. A section at address 0 is left out, with a note on
# stderr: the guest's sysfs hid the address (kptr_restrict=2, no
# CAP_SYSLOG), and [0, size) would hold no frame of hmap's.
module_code() {
	local log=$1 kodir=$2 name sec addr size hidden=0
	tr -d '\r' <"$log" | sed -n 's/^HMAP-MODULE: //p' | {
		while read -r name sec addr; do
			size=$(readelf -SW "$kodir/$name.ko" 2>/dev/null |
				awk -v s="$sec" '{ sub(/^ *\[ *[0-9]+\] */, "") } $1 == s { print $5; exit }' ||
				true)
			[[ $addr =~ ^0x[0-9a-f]{1,16}$ && $size =~ ^[0-9a-f]{1,16}$ ]] || continue
			if [ "$((addr))" = 0 ]; then
				hidden=$((hidden + 1))
				continue
			fi
			printf '%016x %016x\n' "$((addr))" "$((addr + 0x$size))"
		done
		[ "$hidden" = 0 ] || msg "module_code: $hidden section(s) at address 0 (hidden by the guest): left out"
	}
}

# leak_fault_results LABEL LOG DIR KODIR: count what a KASAN-kernel guest
# run (kmemleak, fault injection) printed in its serial log LOG beyond
# guest_results: one check for kmemleak, one for fault injection. KODIR:
# the modules the guest loaded.
leak_fault_results() {
	local label=$1 log=$2 dir=$3 kodir=$4 scans leaks sites never injected
	# Leaks: kmemleak's reports after the KUnit part, after the guest
	# tests and after hmap's unload (scripts/guest-init.sh); an object
	# counts when its backtrace passes through hmap (hmap.ko or its test
	# modules), or through hmap's code no longer loaded: a frame kmemleak
	# cannot name ("[<...>] 0x..." on 6.1, "0x..." on 6.12) at an address
	# in a code section of one of hmap's modules (module_code), not any
	# frame it cannot name. In every part: hmap_kunit is unloaded before
	# the KUnit part's scan, so what its own code allocated and leaked
	# has such frames there, as hmap's have after the unload.
	module_code "$log" "$kodir" >"$dir/module-code.txt"
	echo "${label}code sections of hmap's modules in the guest: $(wc -l <"$dir/module-code.txt")"
	tr -d '\r' <"$log" | awk -v out="$dir/kmemleak.txt" -v code="$dir/module-code.txt" '
		BEGIN { while ((getline r < code) > 0) { nr++; split(r, f, " "); lo[nr] = f[1] ""; hi[nr] = f[2] "" } }
		# An unnamed frame in the code of an hmap module.
		function gone(  lines, i, j, a) {
			split(obj, lines, "\n")
			for (i = 1; i in lines; i++) {
				a = lines[i]
				sub(/^ +/, "", a)
				sub(/^\[<[^]]*>\] /, "", a)
				if (a !~ /^0x[0-9a-f]+$/)
					continue
				a = substr(a, 3)
				while (length(a) < 16)
					a = "0" a
				for (j = 1; j <= nr; j++)
					if (a >= lo[j] && a < hi[j])
						return 1
			}
			return 0
		}
		function ours() { return obj ~ /hmap/ || gone() }
		function flush() { if (obj != "" && ours()) { n[part]++; print obj >out } obj = "" }
		/^HMAP-KMEMLEAK: / { scans[$2] = 1; next }
		/^KMEMLEAK [a-z]+: / {
			p = $2; sub(/:$/, "", p); line = $0; sub(/^KMEMLEAK [a-z]+: /, "", line)
			if (line ~ /^unreferenced object/) { flush(); part = p }
			obj = obj line "\n"; next }
		END { flush(); for (p in scans) printf "%s %d\n", p, n[p] + 0 }' \
		>"$dir/kmemleak-counts.txt"
	scans=$(wc -l <"$dir/kmemleak-counts.txt")
	leaks=$(awk '{ s += $2 } END { print s + 0 }' "$dir/kmemleak-counts.txt")
	if [ "$scans" -lt 3 ]; then
		fail "${label}kmemleak" "$scans of 3 scans ran"
	elif [ ! -s "$dir/module-code.txt" ]; then
		fail "${label}kmemleak" "no code sections of hmap's modules (HMAP-MODULE lines) to tell its frames by"
	elif [ "$leaks" -gt 0 ]; then
		show "$dir/kmemleak.txt" 60
		fail "${label}kmemleak: no leaks through hmap" "$leaks object(s): $dir/kmemleak.txt"
	else
		pass "${label}kmemleak: no leaks through hmap ($(paste -sd, "$dir/kmemleak-counts.txt") scans)"
	fi

	# Fault injection: every allocation site of hmap failed at least once
	# (scripts/guest-init.sh prints /sys/kernel/debug/fail_hmap_alloc/injected).
	tr -d '\r' <"$log" | sed -n 's/^HMAP-FAULT: //p' >"$dir/fault-sites.txt"
	sites=$(wc -l <"$dir/fault-sites.txt")
	never=$(awk '$2 == 0 { print $1 }' "$dir/fault-sites.txt" | paste -sd' ')
	injected=$(awk '{ s += $2 } END { print s + 0 }' "$dir/fault-sites.txt")
	echo "${label}injected failures per site: $(paste -sd' ' "$dir/fault-sites.txt")"
	if [ "$sites" -eq 0 ]; then
		fail "${label}fault injection at every allocation site" "no counts in the serial log"
	elif [ -n "$never" ]; then
		fail "${label}fault injection at every allocation site" "never failed: $never"
	else
		pass "${label}fault injection at every allocation site ($sites sites, $injected failures)"
	fi
}

# kernel_guest LABEL KVER DIR KERNEL [FRAGMENT...] -- MODULE... [--
# KERNEL_ARG...]: what the KCSAN and the 6.12 guests share. Build the
# test kernel of KVER from FRAGMENT... (build-kernel.sh; none: its
# default), named KERNEL in the checks ("the KCSAN kernel"); copy the
# sources to DIR/src and build the modules there against it; boot the
# guest (boot-guest.sh check, the serial log DIR/serial.log) with KUnit
# and the modules MODULE... of DIR/src, KERNEL_ARG... on its command
# line. Counts the module build, and a kernel that did not build. Sets
# guest_ran (1 when the guest ran, empty when not) and guest_rc (QEMU's
# exit status). Called as a command, not as a condition: an unexpected
# failure in it ends make check with the summary (the ERR trap).
kernel_guest() {
	local label=$1 kver=$2 dir=$3 kernel=$4 t0 obj m
	local -a frags=() mods=()
	guest_ran='' guest_rc=''
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		frags+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		mods+=("$dir/src/$1")
		shift
	done
	[ $# -eq 0 ] || shift
	section "${label%: } kernel"
	t0=$(date +%s)
	if ! obj=$(KVER=$kver "$HMAP_SCRIPTS/build-kernel.sh" "${frags[@]}"); then
		fail "${label}build $kernel"
		return 0
	fi
	echo "$obj (ready after $(($(date +%s) - t0))s)"
	section "${label}modules and guest"
	copy_sources "$dir/src"
	if ! make -C "$obj" M="$dir/src" HMAP_TESTS=1 -j"$(nproc)" modules \
		>"$dir/modules.log" 2>&1; then
		tail -n 40 "$dir/modules.log"
		fail "${label}build modules against $kernel" "$dir/modules.log"
		return 0
	fi
	for m in "${mods[@]}"; do
		if [ ! -f "$m" ]; then
			fail "${label}build modules against $kernel" "not built: ${m##*/}"
			return 0
		fi
	done
	pass "${label}build modules against $kernel"
	t0=$(date +%s)
	guest_rc=0
	"$HMAP_SCRIPTS/boot-guest.sh" check "$obj" "$dir" "$obj/lib/kunit/kunit.ko" \
		"${mods[@]}" ${1:+--} "$@" || guest_rc=$?
	echo "QEMU exited with $guest_rc after $(($(date +%s) - t0))s; serial log: $dir/serial.log"
	touch "$dir/serial.log"
	guest_ran=1
}

section "dependencies"
if ! "$HMAP_SCRIPTS/deps.sh"; then
	fail "install dependencies"
	finish
fi

section "kernel source"
if ! ksrc=$("$HMAP_SCRIPTS/kernel-src.sh"); then
	fail "extract kernel source"
	finish
fi
echo "$ksrc"

section "test kernel"
t0=$(date +%s)
kobj=
if kobj=$("$HMAP_SCRIPTS/build-kernel.sh"); then
	echo "$kobj (ready after $(($(date +%s) - t0))s)"
else
	kobj=
	fail "build test kernel"
fi

# --- Modules against the test kernel -----------------------------------------
mods_ok=
if [ -n "$kobj" ]; then
	section "modules (test kernel)"
	log=$out/modules.log
	if make -C "$kobj" M="$HMAP_SRC" HMAP_TESTS=1 -j"$(nproc)" modules >"$log" 2>&1; then
		grep -E 'warning:' "$log" || true
		missing=
		for m in hmap hmap_kunit hmap_kunit_scale; do
			[ -f "$HMAP_SRC/$m.ko" ] || missing+=" $m.ko"
		done
		if [ -z "$missing" ]; then
			pass "build modules against test kernel"
			mods_ok=1
		else
			fail "build modules against test kernel" "not built:$missing"
		fi
	else
		tail -n 40 "$log"
		fail "build modules against test kernel" "log: $log"
	fi
fi

# --- Programs the guest runs: hmapctl, the kselftests, the demo ---------------
section "guest programs (hmapctl, kselftests)"
if "$HMAP_SCRIPTS/guest-bin.sh"; then
	pass "build guest programs (hmapctl, kselftests)"
else
	fail "build guest programs (hmapctl, kselftests)"
fi

# --- Guest: KUnit and guest tests under QEMU ----------------------------------
if [ -n "$mods_ok" ]; then
	section "guest (QEMU, KUnit, kselftests)"
	t0=$(date +%s)
	qemu_rc=0
	"$HMAP_SCRIPTS/boot-guest.sh" check "$kobj" "$out" "$kobj/lib/kunit/kunit.ko" \
		"$HMAP_SRC/hmap.ko" "$HMAP_SRC/hmap_kunit.ko" || qemu_rc=$?
	echo "QEMU exited with $qemu_rc after $(($(date +%s) - t0))s; serial log: $serial"
	touch "$serial"

	guest_results "6.1: " "$serial" "$qemu_rc" "$out" "$(kunit_suites hmap_scale)" \
		"${HMAP_GUEST_BIN:-$HMAP_OUT/guest-bin}"/*_test

	fuzz_results "6.1: " "$serial" "$out"
	leak_fault_results "6.1: " "$serial" "$out" "$HMAP_SRC"
elif [ -n "$kobj" ]; then
	fail "6.1: guest run" "not run: modules did not build"
fi

# --- Guest on the KCSAN kernel: data races -----------------------------------
# KCSAN and KASAN cannot share a kernel: a second test kernel
# (kernel.config + kernel-kcsan.config: KCSAN, lockdep, PROVE_RCU; no debug
# objects, no fault injection) runs the KUnit suites but hmap_fault (the stress suite among them), the scale
# suite (hmap_kunit_scale.ko: millions of entries, five times faster
# here than under KASAN, whose quarantine and shadow memory every
# allocation pays for) and the kselftests that race: concurrency, dumps across resizes, teardown
# (ops_test creates 4097 maps for the LIST limit: 3 minutes, no races),
# and the fuzzer's random run (guest-tests.d/40-fuzz.sh), whose episodes
# share fds with a thread and a forked child.
# Every KCSAN report through hmap is a splat ("BUG: KCSAN: data-race");
# one whose stacks do not pass through hmap (a race of the kernel's own,
# such as the tick code's) is printed and not counted (find_splats in
# scripts/common.sh). The guest also prints KCSAN's own counters, so that
# a run in which KCSAN watched nothing fails instead of passing.
kcsan_ksft=concurrency_test,batch_dump_test,lifetime_test
guest_ran=
if [ "${HMAP_KCSAN:-1}" != 1 ]; then
	skip "6.1 KCSAN: guest" "HMAP_KCSAN=$HMAP_KCSAN"
elif [ -z "$mods_ok" ]; then
	fail "6.1 KCSAN: guest" "not run: the modules did not build against the test kernel"
else
	kcsan_out=$out/kcsan
	kernel_guest "6.1 KCSAN: " 6.1 "$kcsan_out" "the KCSAN kernel" \
		"$HMAP_SCRIPTS/kernel.config" "$HMAP_SCRIPTS/kernel-kcsan.config" -- \
		hmap.ko hmap_kunit.ko hmap_kunit_scale.ko -- \
		hmap_tests=20-kselftest,40-fuzz hmap_fuzz_runs=random hmap_ksft=$kcsan_ksft
fi
if [ -n "$guest_ran" ]; then
	guest_results "6.1 KCSAN: " "$kcsan_out/serial.log" "$guest_rc" "$kcsan_out" \
		"$(kunit_suites hmap_fault)" ${kcsan_ksft//,/ }
	# The fuzzer's random run: its episodes race a thread and a child.
	fuzz_results "6.1 KCSAN: " "$kcsan_out/serial.log" "$kcsan_out" random
	# KCSAN watched hmap: the modules are instrumented (they call
	# __tsan_*), and KCSAN set up watchpoints between the guest's
	# start (after boot) and its end, while only hmap ran.
	tsan=$(nm -u "$kcsan_out/src/hmap.ko" | grep -c ' __tsan_' || true)
	tr -d '\r' <"$kcsan_out/serial.log" | sed -n 's/^HMAP-KCSAN: //p' \
		>"$kcsan_out/kcsan-stats.txt"
	watch=$(awk '$1 == "start" && $2 == "setup_watchpoints:" { s = $3 }
		$1 == "end" && $2 == "setup_watchpoints:" { e = $3 }
		END { if (s != "" && e != "") print e - s }' "$kcsan_out/kcsan-stats.txt")
	# KCSAN's own count has the kernel's races too: hmap's are the
	# reports find_splats (guest_results) kept, those through hmap.
	all=$(awk '$1 == "end" && $2 == "data_races:" { print $3 }' "$kcsan_out/kcsan-stats.txt")
	races=$(grep -c 'BUG: KCSAN:' "$kcsan_out/splats.txt" || true)
	echo "KCSAN counters: $(grep '^end' "$kcsan_out/kcsan-stats.txt" | paste -sd' ')"
	if [ "$tsan" -gt 0 ] && [ "${watch:-0}" -gt 0 ] && [ "$races" = 0 ]; then
		pass "6.1 KCSAN: watched, no data races through hmap" \
			"$watch watchpoints while hmap ran; hmap.ko calls $tsan __tsan_* functions; ${all:-?} races in all"
	else
		fail "6.1 KCSAN: watched, no data races through hmap" \
			"${watch:-no} watchpoints, $races races through hmap (${all:-?} in all), $tsan __tsan_* calls: $kcsan_out/serial.log"
	fi
fi

# --- Guest on 6.12 -----------------------------------------------------------
# The second kernel hmap supports, built from linux-source-6.12 with the
# test kernel's options (kernel.config; scripts/kernel-6.12.config says
# what 6.12 spells differently: KASAN, UBSAN, lockdep, PROVE_RCU, debug
# objects, kmemleak, fault injection): the same run as the 6.1 KASAN
# guest, every result labelled "6.12: ". HMAP_612=0 leaves it out. KCSAN
# runs on 6.1 only (the KCSAN guest above): 6.12's detector is 6.1's
# (kernel/kcsan differs only in the __data_racy qualifier, which hmap does
# not use, reciprocal_scale() in the watchpoint-skip PRNG, and KCSAN's own
# tests), so either kernel finds the same races, and 6.1's KCSAN kernel
# shares its source tree with the KASAN, i386 and native builds.
# The scale suite runs here too, at 1/16 of its size (hmap_scale_shift=4:
# 213,000 entries at most, B 12 to 16; the full size would take KUnit past
# 300 s a case under KASAN), after the other suites with kmemleak off. The
# fuzzer's fixed run of 10^6 calls is the 6.1 guest's; here the random
# and the two fault runs.
k612_fuzz=random,fault,fault-fixed
guest_ran=
if [ "${HMAP_612:-1}" != 1 ]; then
	skip "6.12: guest" "HMAP_612=$HMAP_612"
else
	k612_out=$out/6.12
	kernel_guest "6.12: " 6.12 "$k612_out" "the test kernel" -- hmap.ko hmap_kunit.ko \
		hmap_kunit_scale.ko -- hmap_scale_shift=4 hmap_fuzz_runs=$k612_fuzz
fi
if [ -n "$guest_ran" ]; then
	guest_results "6.12: " "$k612_out/serial.log" "$guest_rc" "$k612_out" "$(kunit_suites)" \
		"${HMAP_GUEST_BIN:-$HMAP_OUT/guest-bin}"/*_test
	fuzz_results "6.12: " "$k612_out/serial.log" "$k612_out" "$k612_fuzz"
	leak_fault_results "6.12: " "$k612_out/serial.log" "$k612_out" "$k612_out/src"
fi

# --- Native: the core in user space (tools/testing/hmap) ---------------------
# hmap_core.c and hmap_iter.c built unchanged against the harness's kernel
# shims, with ASan + UBSan: the native tests (one count each), then the
# fuzz target for HMAP_FUZZ_SECONDS from the corpus, and the core's line
# coverage by the fuzz run (a count: at least HMAP_FUZZ_MIN_COVERAGE %).
section "native: hmap core in user space (ASan + UBSan, libFuzzer)"
t0=$(date +%s)
nmake=(make -C "$HMAP_SRC/tools/testing/hmap" O="$HMAP_OUT/native" KSRC="$ksrc")
if "${nmake[@]}" -j"$(nproc)" all >"$out/native-build.log" 2>&1; then
	"$HMAP_OUT/native/hmap_test" -s "${HMAP_NATIVE_SCALE:-0.2}" \
		>"$out/native-test.txt" 2>&1 || true
	grep -E '^(not )?ok |WARNING|FAIL|ERROR|hmap_test:' "$out/native-test.txt" |
		cut -c1-300 || true
	ntests=0
	while read -r status name; do
		ntests=$((ntests + 1))
		if [ "$status" = ok ]; then
			pass "native $name"
		else
			fail "native $name" "$out/native-test.txt"
		fi
	done < <(sed -n 's/^\(ok\|not ok\) [0-9]* \([^ ]*\).*/\1 \2/p' "$out/native-test.txt" | sed 's/^not ok/not-ok/')
	grep -q '^hmap_test: [0-9]* passed, 0 failed$' "$out/native-test.txt" && [ "$ntests" -gt 0 ] ||
		fail "native tests ran to the end" "$out/native-test.txt"
	if "${nmake[@]}" fuzz FUZZ_SECONDS="${HMAP_FUZZ_SECONDS:-20}" \
		>"$out/native-fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/native-fuzz.log")
		pass "native fuzz (${runs:-?} inputs in ${HMAP_FUZZ_SECONDS:-20}s)"
	else
		grep -E -B2 -A12 'ERROR|FAIL|WARNING|BUG' "$out/native-fuzz.log" | head -n 40 || true
		fail "native fuzz" "$out/native-fuzz.log; the input: $HMAP_OUT/native/crash-*"
	fi
	if "${nmake[@]}" coverage >"$out/native-coverage.txt" 2>&1; then
		cov=$(awk '$1 == "TOTAL" { print $(NF - 3) }' "$out/native-coverage.txt")
		grep -E '^(Filename|TOTAL|hmap_(core|iter)\.c)' "$out/native-coverage.txt" | sed 's/^/    /' || true
		if awk -v c="${cov%\%}" -v m="${HMAP_FUZZ_MIN_COVERAGE:-85}" 'BEGIN { exit !(c + 0 >= m) }'; then
			pass "native fuzz coverage of the core" "lines $cov"
		else
			fail "native fuzz coverage of the core" "lines ${cov:-?}, want ${HMAP_FUZZ_MIN_COVERAGE:-85}%"
		fi
	else
		tail -n 5 "$out/native-coverage.txt"
		fail "native fuzz coverage of the core" "$out/native-coverage.txt"
	fi
	# The benchmark build (-O2, none of the shims' checks: a kernel
	# without lockdep) runs to the end, at 10^3 and 10^4 entries, and its
	# readers miss no key present: make bench runs it at full size, and
	# nothing else would run it at all.
	if "${nmake[@]}" "$HMAP_OUT/native/hmap_bench" >"$out/native-bench.log" 2>&1 &&
		"$HMAP_OUT/native/hmap_bench" -q -n 10000 >>"$out/native-bench.log" 2>&1 &&
		! grep -q 'missed present keys' "$out/native-bench.log"; then
		pass "native benchmark build runs to the end" "hmap_bench -q -n 10000"
	else
		tail -n 20 "$out/native-bench.log"
		fail "native benchmark build runs to the end" "$out/native-bench.log"
	fi
else
	grep -E 'error|warning' "$out/native-build.log" | head -n 30 || tail -n 20 "$out/native-build.log"
	fail "native build (tools/testing/hmap)" "$out/native-build.log"
fi
echo "native: $(($(date +%s) - t0))s"

# --- Host checks ---------------------------------------------------------------
# Debian's headers: those the installed linux-headers-amd64 metapackage
# depends on (deps.sh installs it), not whichever /usr/src directory sorts
# last; HMAP_HOST_KDIR overrides.
section "host: W=1 -Werror build against Debian's headers"
hdr=${HMAP_HOST_KDIR:-}
if [ -z "$hdr" ]; then
	hdrpkg=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^\(linux-headers-[^ ,]*\).*/\1/p' || true)
	[ -z "$hdrpkg" ] || hdr=/usr/src/$hdrpkg
fi
if [ -z "$hdr" ] || [ ! -d "$hdr" ]; then
	fail "W=1 build" "no headers of linux-headers-amd64 (${hdr:-not installed})"
else
	echo "$hdr"
	copy_sources "$HMAP_OUT/host"
	log=$out/host-w1.log
	if make -C "$hdr" M="$HMAP_OUT/host" HMAP_TESTS=1 W=1 KCFLAGS=-Werror -j"$(nproc)" \
		modules >"$log" 2>&1 && [ -f "$HMAP_OUT/host/hmap.ko" ]; then
		pass "W=1 -Werror build (Debian headers)"
	else
		grep -E 'warning:|error:' "$log" | head -n 40 || tail -n 20 "$log"
		fail "W=1 -Werror build (Debian headers)" "log: $log"
	fi
fi

# 32-bit size_t and pointers: sizes and user addresses that fit on amd64
# may wrap here. The tree (scripts/i386-tree.sh) has no Module.symvers, so
# modpost only warns about the symbols it cannot resolve.
section "host: W=1 -Werror build (i386)"
t0=$(date +%s)
if obj32=$("$HMAP_SCRIPTS/i386-tree.sh"); then
	t1=$(date +%s)
	echo "$obj32 (ready after $((t1 - t0))s)"
	copy_sources "$HMAP_OUT/i386"
	log=$out/i386-w1.log
	missing=
	if make -C "$obj32" ARCH=i386 M="$HMAP_OUT/i386" HMAP_TESTS=1 W=1 KCFLAGS=-Werror \
		KBUILD_MODPOST_WARN=1 -j"$(nproc)" modules >"$log" 2>&1; then
		for m in hmap hmap_kunit; do
			[ -f "$HMAP_OUT/i386/$m.ko" ] || missing+=" $m.ko"
		done
		echo "modules built in $(($(date +%s) - t1))s"
		if [ -z "$missing" ]; then
			pass "W=1 -Werror build (i386)"
		else
			fail "W=1 -Werror build (i386)" "not built:$missing"
		fi
	else
		grep -E 'warning:|error:' "$log" | head -n 40 || tail -n 20 "$log"
		fail "W=1 -Werror build (i386)" "log: $log"
	fi
else
	fail "W=1 -Werror build (i386)" "no i386 tree"
fi

# --- Host: the modules against 6.12 ------------------------------------------
# hmap builds on 6.1 and 6.12 (differences in hmap_compat.h). A 6.12 tree
# of Debian's linux-source-6.12, the test kernel's fragment and `make
# modules_prepare` (build-kernel.sh --prepare, cached like the others)
# compiles all three modules with W=1 -Werror and sparse in one build;
# without vmlinux there is no Module.symvers, so modpost only warns.
section "host: W=1 -Werror build and sparse (6.12)"
t0=$(date +%s)
if obj612=$(KVER=6.12 "$HMAP_SCRIPTS/build-kernel.sh" --prepare); then
	echo "$obj612 (ready after $(($(date +%s) - t0))s)"
	copy_sources "$HMAP_OUT/k612"
	log=$out/k612-w1.log
	missing=
	if make -C "$obj612" M="$HMAP_OUT/k612" HMAP_TESTS=1 W=1 KCFLAGS=-Werror C=2 \
		KBUILD_MODPOST_WARN=1 -j"$(nproc)" modules >"$log" 2>&1; then
		for m in hmap hmap_kunit hmap_kunit_scale; do
			[ -f "$HMAP_OUT/k612/$m.ko" ] || missing+=" $m.ko"
		done
		if [ -z "$missing" ]; then
			pass "W=1 -Werror build (6.12)"
		else
			fail "W=1 -Werror build (6.12)" "not built:$missing"
		fi
		# The compiler's warnings failed the build: what is left is sparse.
		if grep -E ': (warning|error):' "$log" >"$out/k612-sparse.txt"; then
			show "$out/k612-sparse.txt" 60
			fail "sparse (6.12)" "$(wc -l <"$out/k612-sparse.txt") finding(s)"
		else
			pass "sparse (6.12)"
		fi
	else
		grep -E 'warning:|error:' "$log" | head -n 40 || tail -n 20 "$log"
		fail "W=1 -Werror build (6.12)" "log: $log"
		fail "sparse (6.12)" "not run: the build failed"
	fi
else
	fail "W=1 -Werror build (6.12)" "no 6.12 tree"
fi

# --- Host: installing (DKMS, make install) -----------------------------------
# make install from a copy of the tree without build outputs, as a user
# would have it. DKMS gets its copy from make dkms-add (this tree, build/
# and .git there, which it must leave out) and builds hmap.ko against
# Debian's linux-headers-amd64 (`dkms build -k
# <release>`), with its source and build trees under build/ so that nothing
# is added to the host's /usr/src or /var/lib/dkms; its module-signing key
# is made there too (dkms reads the paths from the environment unless
# /etc/dkms/framework.conf sets them).
section "host: DKMS build and make install"
pkg=$HMAP_OUT/pkg
rm -rf "$pkg"
mkdir -p "$pkg/src" "$pkg/usrsrc" "$pkg/dkms"
rsync -a --filter=':- .gitignore' --exclude=/.git/ "$HMAP_SRC/" "$pkg/src/"
# hdr: linux-headers-amd64's headers (the W=1 build above).
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$hdr/include/generated/utsrelease.h" 2>/dev/null || true)
dver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$HMAP_SRC/dkms.conf")
dkms=(dkms --sourcetree "$pkg/usrsrc" --dkmstree "$pkg/dkms" --kernelsourcedir "$hdr")
if [ -z "$krel" ] || [ -z "$dver" ]; then
	fail "DKMS build" "no kernel release in ${hdr:-the headers of linux-headers-amd64} or no version in dkms.conf"
elif ! "$HMAP_SCRIPTS/deps.sh" dkms; then
	fail "DKMS build" "dkms not installed"
elif (export mok_signing_key=$pkg/mok.key mok_certificate=$pkg/mok.pub
	make -C "$HMAP_SRC" dkms-add DKMS_SRCTREE="$pkg/usrsrc" DKMS="${dkms[*]}" &&
	"${dkms[@]}" build -k "$krel" "hmap/$dver") \
	>"$out/dkms.log" 2>&1; then
	# hmap.ko, or hmap.ko.{gz,xz,zst} when the kernel compresses modules.
	ko=$pkg/dkms/hmap/$dver/$krel/$(uname -m)/module/hmap.ko
	for k in "$ko" "$ko".gz "$ko".xz "$ko".zst; do
		[ ! -f "$k" ] || { ko=$k; break; }
	done
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || true)
	# The module's version is dkms.conf's (Kbuild reads it there): DKMS
	# compares it with an installed hmap.ko's before replacing that.
	modver=$(modinfo -F version "$ko" 2>/dev/null || true)
	if [ -e "$pkg/usrsrc/hmap-$dver/build" ] || [ -e "$pkg/usrsrc/hmap-$dver/.git" ]; then
		fail "DKMS build" "make dkms-add copied build/ or .git to $pkg/usrsrc/hmap-$dver"
	elif [ "${vermagic%% *}" != "$krel" ]; then
		fail "DKMS build" "no hmap.ko for $krel in $pkg/dkms (vermagic '${vermagic:-none}')"
	elif [ "$modver" != "$dver" ]; then
		fail "DKMS build" "hmap.ko's version is '$modver', dkms.conf's PACKAGE_VERSION $dver"
	else
		size=$(du -sh "$pkg/usrsrc/hmap-$dver" | cut -f1)
		pass "DKMS build (make dkms-add: $size of sources; hmap/$dver for $krel, version $modver)"
	fi
else
	tail -n 20 "$out/dkms.log"
	find "$pkg/dkms" -name make.log -exec tail -n 20 {} \;
	fail "DKMS build" "log: $out/dkms.log"
fi

# install_check NAME SRC KDIR OTHER [DESTDIR]: in SRC (a copy of the tree
# without build outputs), make install fails before make and says so
# (it builds nothing: no files of root's in a user's tree); then make
# for KDIR; make install for the kernel OTHER (another kernel's build
# directory) fails and says what hmap.ko is built for, and after a
# header of hmap.ko's (the trace events', include/trace/events/hmap.h)
# changed, make install fails and names it (both installing nothing);
# make again, and make install into an empty SRC.dest, named DESTDIR on
# make's command line (default: its absolute path): no attempt to sign
# without a key, exactly the expected files,
# hmap.ko the only module even when KDIR has KUnit; make uninstall without
# a kernel (no KDIR, RUNNING_KERNEL without headers) fails but takes the
# user-space files away, and with KDIR takes the rest (directories too).
install_check() {
	local name=$1 src=$2 kdir=$3 other=$4 rel want got dest=$2.dest log=$out/install-${2##*/}.log
	local header=include/trace/events/hmap.h
	local -a imake nokdir
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null || true)
	if [ -z "$rel" ]; then
		fail "$name" "no kernel release in $kdir"
		return
	fi
	rm -rf "$dest"
	mkdir -p "$dest"
	want=$(printf '%s\n' "lib/modules/$rel/extra/hmap.ko" usr/bin/hmapctl \
		usr/include/linux/hmap.h usr/include/linux/hmap_stats.h usr/lib/udev/rules.d/60-hmap.rules \
		usr/share/man/man8/hmapctl.8)
	imake=(make -C "$src" KDIR="$kdir" DESTDIR="${5:-$dest}" PREFIX=/usr)
	nokdir=(make -C "$src" RUNNING_KERNEL=0.0-none DESTDIR="${5:-$dest}" PREFIX=/usr)
	if [ -z "$other" ] || [ "$other" = "$kdir" ]; then
		fail "$name" "no other kernel's build directory to refuse (${other:-none})"
	elif "${imake[@]}" install >"$log" 2>&1; then
		fail "$name" "make install before make succeeded, log: $log"
	elif ! grep -q 'build first' "$log" || [ -n "$(ls -A "$dest")" ]; then
		show "$log" 10
		fail "$name" "make install before make: not saying so, or installing, log: $log"
	elif ! make -C "$src" KDIR="$kdir" -j"$(nproc)" >>"$log" 2>&1; then
		tail -n 20 "$log"
		fail "$name" "make failed, log: $log"
	elif "${imake[@]}" KDIR="$other" install >"$log.other" 2>&1 ||
		! grep -qF "hmap.ko is built for '$rel'" "$log.other" || [ -n "$(ls -A "$dest")" ]; then
		show "$log.other" 10
		fail "$name" "make install for another kernel ($other): not refused, not saying so, or installing, log: $log.other"
	elif ! touch "$src/$header" || "${imake[@]}" install >"$log.stale" 2>&1 ||
		! grep -qF "$header changed since the build" "$log.stale" || [ -n "$(ls -A "$dest")" ]; then
		show "$log.stale" 10
		fail "$name" "make install after $header changed: not refused, not saying so, or installing, log: $log.stale"
	elif ! make -C "$src" KDIR="$kdir" -j"$(nproc)" >>"$log" 2>&1; then
		tail -n 20 "$log"
		fail "$name" "make after $header changed failed, log: $log"
	elif ! "${imake[@]}" install >>"$log" 2>&1; then
		tail -n 20 "$log"
		fail "$name" "install failed, log: $log"
	# Signing without the key (Debian's headers: MODULE_SIG_ALL, no key)
	# would print OpenSSL's errors; make install does not try.
	elif grep -E 'SSL error|sign-file' "$log"; then
		fail "$name" "modules_install tried to sign without a key, log: $log"
	# A kernel with CONFIG_MODULE_COMPRESS_* installs hmap.ko.{gz,xz,zst}.
	elif ! got=$(cd "$dest" && find . ! -type d | sed 's|^\./||; s/\.ko\.\(gz\|xz\|zst\)$/.ko/' | sort) ||
		[ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got") | sed 's/^/    /' || true
		fail "$name" "installed files differ from the list"
	elif "${nokdir[@]}" uninstall >>"$log" 2>&1; then
		fail "$name" "make uninstall without a kernel succeeded, log: $log"
	elif [ "$(cd "$dest" && find . ! -type d | sed 's|^\./||; s/\.ko\.\(gz\|xz\|zst\)$/.ko/')" != \
		"lib/modules/$rel/extra/hmap.ko" ]; then
		(cd "$dest" && find . ! -type d | sed 's/^/    left: /')
		fail "$name" "make uninstall without a kernel: not just the module left"
	elif ! "${imake[@]}" uninstall >>"$log" 2>&1; then
		tail -n 20 "$log"
		fail "$name" "uninstall failed, log: $log"
	elif [ -n "$(ls -A "$dest")" ]; then
		(cd "$dest" && find . | sed 's/^/    left: /')
		fail "$name" "uninstall left files in DESTDIR"
	else
		pass "$name ($(wc -l <<<"$want") files for $rel)"
	fi
}
install_check "make install and uninstall (Debian headers)" "$pkg/src" "$hdr" "${kobj:-${obj612:-}}"
# make clean takes away what make built: modules, objects, hmapctl.
if ! make -C "$pkg/src" clean >"$out/clean.log" 2>&1; then
	fail "make clean" "log: $out/clean.log"
elif left=$(cd "$pkg/src" && find . -type f \( -name '*.ko' -o -name '*.o' \
	-o -name '*.mod' -o -name '*.symvers' -o -path ./tools/hmapctl/hmapctl \) |
	paste -sd' ') && [ -n "$left" ]; then
	fail "make clean" "left: $left"
else
	pass "make clean"
fi
# Without KDIR, and without a build directory for the running kernel
# (RUNNING_KERNEL= pretends), make install fails and says why instead of
# installing for whichever headers are there.
if make -C "$pkg/src" RUNNING_KERNEL=0.0-none DESTDIR="$pkg/none" install \
	>"$out/install-nokdir.log" 2>&1; then
	fail "make install without the running kernel's headers fails" "it installed: $pkg/none"
elif [ -e "$pkg/none" ] || ! grep -q 'no build directory' "$out/install-nokdir.log"; then
	show "$out/install-nokdir.log" 10
	fail "make install without the running kernel's headers fails" "not before installing, or not saying why"
else
	pass "make install without the running kernel's headers fails"
fi
# The test kernel has KUnit: make install must still install hmap.ko only.
# A relative DESTDIR, which is relative to the tree, not to KDIR.
if [ -n "$mods_ok" ]; then
	rsync -a --filter=':- .gitignore' --exclude=/.git/ "$HMAP_SRC/" "$pkg/src-test/"
	install_check "make install and uninstall (test kernel, with KUnit; relative DESTDIR)" \
		"$pkg/src-test" "$kobj" "$hdr" ../src-test.dest
fi

mapfile -t files < <(lint_files)
echo
echo "lint files: ${files[*]/#"$HMAP_SRC/"/}"

# checkpatch KSRC: KSRC's checkpatch.pl --strict over the lint files and
# the kselftests (--strict as the kernel's are), one finding a line. hmap_compat.h is the one file that tests
# LINUX_VERSION_CODE, with macros that take an older kernel's arguments:
# it is let off the warnings about exactly that, which still stand in
# every other file. Run outside the git tree, so that checkpatch leaves
# no cache files there. Returns 0 when it ran: the script is there and
# each run exited 0 (clean) or 1 (findings); its other statuses are its
# own failures (perl's "Can't open perl script" is 2, a die 255).
# shellcheck disable=SC2317 # run by lint()
checkpatch() {
	local f rc=0 rest=() compat=()
	local cp=(perl "$1/scripts/checkpatch.pl" --strict --no-tree --terse
		--no-summary --show-types)
	if [ ! -f "$1/scripts/checkpatch.pl" ]; then
		echo "no $1/scripts/checkpatch.pl"
		return 1
	fi
	for f in "${files[@]}" "$HMAP_SRC"/selftests/*.[ch]; do
		case $f in
		"$HMAP_SRC/hmap_compat.h") compat+=("$f") ;;
		*) rest+=("$f") ;;
		esac
	done
	(cd "$out" && "${cp[@]}" -f "${rest[@]}") 2>&1 || rc=$?
	[ "$rc" -le 1 ] || return "$rc"
	if [ ${#compat[@]} -gt 0 ]; then
		(cd "$out" && "${cp[@]}" --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_UNUSED \
			-f "${compat[@]}") 2>&1 || rc=$?
	fi
	[ "$rc" -le 1 ] || return "$rc"
}

# kernel_doc KSRC OPTION...: KSRC's kernel-doc -none -v OPTION... over the
# lint files, its output to stdout. Returns its exit status (0 in -none
# mode, findings or not), or 1 when it is not there or did not get
# through every file: each file with a kernel-doc comment ("/**" at the
# start of a line) must be named in a line of -v's "info: Scanning doc
# for".
# shellcheck disable=SC2317 # run by lint()
kernel_doc() {
	local ksrc=$1 f rc=0 report
	shift
	if [ ! -f "$ksrc/scripts/kernel-doc" ]; then
		echo "no $ksrc/scripts/kernel-doc"
		return 1
	fi
	report=$(perl "$ksrc/scripts/kernel-doc" -none -v "$@" "${files[@]}" 2>&1) || rc=$?
	printf '%s\n' "$report"
	[ "$rc" = 0 ] || return "$rc"
	for f in "${files[@]}"; do
		if grep -q '^/\*\*' "$f" && ! grep -qF "$f:" <<<"$report"; then
			echo "kernel-doc did not get to $f"
			rc=1
		fi
	done
	return "$rc"
}

# lint NAME REPORT FINDINGS OTHER COMMAND...: count the check NAME of a
# lint tool: COMMAND (checkpatch or kernel_doc above: status 0 when the
# tool ran) with its output in REPORT, every line of which must be a
# finding (the ERE FINDINGS) or a line the tool prints besides (the ERE
# OTHER). It fails when there are no files to lint, when the tool did not
# run, printed something else (its own error: in REPORT.other), or found
# anything. No pipe here ends before its writer (grep -q, head): under
# pipefail the writer's SIGPIPE would make a test false (the tool's error
# passed over) or a plain command fail (make check stopped at lint).
lint() {
	local name=$1 report=$2 findings=$3 other=$4 rc=0 n
	shift 4
	if [ ${#files[@]} -eq 0 ]; then
		fail "$name" "no .c/.h files found"
		return
	fi
	"$@" >"$report" || rc=$?
	n=$(grep -Ec "$findings" "$report" || true)
	# grep's 1 (no line left) is fine; 2 (an error) stops make check.
	grep -Ev "$findings" "$report" | grep -Ev "$other" >"$report.other" || [ $? = 1 ]
	if [ "$rc" != 0 ]; then
		show "$report" 20
		fail "$name" "it did not run: exit status $rc, $report"
	elif [ -s "$report.other" ]; then
		show "$report.other" 20
		fail "$name" "output that is not a finding: $report.other"
	elif [ "$n" -gt 0 ]; then
		grep -E "$findings" "$report" | sed -n '1,60s/^/    /p'
		fail "$name" "$n finding(s)"
	else
		pass "$name"
	fi
}
cp_findings='^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):'
kd_findings='(warning|error):'
kd_other='^[^ ]+:[0-9]+: info: Scanning doc for |^[0-9]+ (warnings|errors)$'

section "host: checkpatch --strict"
lint "checkpatch --strict" "$out/checkpatch.txt" "$cp_findings" '^$' checkpatch "$ksrc"

section "host: sparse (C=2, test kernel)"
if [ -n "$mods_ok" ]; then
	log=$out/sparse.log
	if make -C "$kobj" M="$HMAP_SRC" HMAP_TESTS=1 C=2 -j"$(nproc)" modules >"$log" 2>&1; then
		if grep -E ': (warning|error):' "$log" >"$out/sparse.txt"; then
			show "$out/sparse.txt" 60
			fail "sparse" "$(wc -l <"$out/sparse.txt") finding(s)"
		else
			pass "sparse"
		fi
	else
		tail -n 20 "$log"
		fail "sparse" "build failed, log: $log"
	fi
else
	echo "skipped: no test-kernel module build"
	fail "sparse" "not run"
fi

section "host: kernel-doc"
# -v (kernel_doc) is 6.1's spelling of -Wall (return values, short
# descriptions).
lint "kernel-doc" "$out/kernel-doc.txt" "$kd_findings" "$kd_other" kernel_doc "$ksrc"

section "host: checkpatch --strict and kernel-doc of 6.12"
# The same files through 6.12's scripts, whose checks are newer.
if ! ksrc612=$(KVER=6.12 "$HMAP_SCRIPTS/kernel-src.sh"); then
	fail "checkpatch --strict (6.12)" "no 6.12 source"
	fail "kernel-doc (6.12)" "no 6.12 source"
else
	lint "checkpatch --strict (6.12)" "$out/checkpatch-6.12.txt" "$cp_findings" '^$' \
		checkpatch "$ksrc612"
	lint "kernel-doc (6.12)" "$out/kernel-doc-6.12.txt" "$kd_findings" "$kd_other" \
		kernel_doc "$ksrc612" -Wall
fi

section "host: reST (docutils)"
# Every .rst as Sphinx would read it, kernel-doc directives expanded
# (scripts/rst-check.py): a malformed table or bad markup, in the .rst or
# in a kernel-doc comment it pulls in, is a warning, and fails; so does a
# kernel-doc directive that renders nothing (a :doc: or :identifiers: name
# not in its file, an :export: or :internal: that selects nothing, a file
# without kernel-doc comments), which Sphinx would show as an empty
# section. Debian's python3, for whose docutils deps.sh answers.
mapfile -t rst < <(find "$HMAP_SRC" \( -path "$HMAP_SRC/build" -o -path "$HMAP_SRC/.git" \) \
	-prune -o -name '*.rst' -print | sort)
if [ ${#rst[@]} -eq 0 ]; then
	fail "reST without warnings (docutils)" "no .rst files"
elif /usr/bin/python3 "$HMAP_SCRIPTS/rst-check.py" --kernel-doc "$ksrc/scripts/kernel-doc" \
	--srctree "$HMAP_SRC" "${rst[@]}" >"$out/rst-check.txt" 2>&1; then
	pass "reST without warnings, kernel-doc directives render (docutils, ${#rst[@]} file(s))"
else
	show "$out/rst-check.txt" 60
	fail "reST without warnings, kernel-doc directives render (docutils)" \
		"$(tail -n 1 "$out/rst-check.txt")"
fi

finish
