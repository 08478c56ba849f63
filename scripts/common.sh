# shellcheck shell=bash
# Shared settings for the hmap scripts. Sourced, not run.
#
# Environment overrides:
#   HMAP_SRC      module source dir (default: repo root)
#   HMAP_OUT      where generated files go (default: $HMAP_SRC/build)
#   HMAP_CACHE    kernel/source cache outside the tree (default: /var/cache/hmap)
#   KVER          the kernel to build and test against: 6.1 (default) or
#                 6.12, from Debian's linux-source-$KVER (HMAP_KVER)
#   HMAP_TARBALL_6_1, HMAP_TARBALL_6_12
#                 the source tarball of each (default:
#                 /usr/src/linux-source-$KVER.tar.xz); one per version, as
#                 make check uses both. A plain HMAP_TARBALL from the
#                 environment is refused: it would apply to both.
# A setting refused makes the source command return 1 (it does not exit:
# make check, which sources this after setting its ERR trap, still ends
# with its summary line; the other scripts run under set -e and exit).

HMAP_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HMAP_ROOT=$(cd "$HMAP_SCRIPTS/.." && pwd)
HMAP_SRC=$(cd "${HMAP_SRC:-$HMAP_ROOT}" && pwd)
HMAP_OUT=${HMAP_OUT:-$HMAP_SRC/build}
HMAP_CACHE=${HMAP_CACHE:-/var/cache/hmap}
export HMAP_SRC HMAP_OUT HMAP_CACHE

# The kernel versions hmap is tested on; the first is the default. Not
# exported: a script that runs another for the other kernel sets KVER.
HMAP_KVERS=(6.1 6.12)
HMAP_KVER=${KVER:-${HMAP_KVERS[0]}}
case " ${HMAP_KVERS[*]} " in
*" $HMAP_KVER "*) ;;
*) printf 'error: KVER=%s: one of %s\n' "$HMAP_KVER" "${HMAP_KVERS[*]}" >&2; return 1 ;;
esac
HMAP_SRC_PKG=linux-source-$HMAP_KVER
if [ -n "${HMAP_TARBALL:-}" ]; then
	printf 'error: HMAP_TARBALL=%s: a tarball is of one version: set %s\n' "$HMAP_TARBALL" \
		"$(printf 'HMAP_TARBALL_%s or ' "${HMAP_KVERS[@]//./_}" | sed 's/ or $//')" >&2
	return 1
fi
HMAP_TARBALL_VAR=HMAP_TARBALL_${HMAP_KVER//./_}
HMAP_TARBALL=${!HMAP_TARBALL_VAR:-/usr/src/$HMAP_SRC_PKG.tar.xz}

# Messages go to stderr so that stdout can carry a script's result (a path).
msg() { printf '%s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }

# find_splats LOG REPORT: write the kernel splats in the serial log LOG (the
# lines that match a pattern of scripts/kernel-splats.txt, as "N:line") to
# REPORT. Returns 0 when there are none. Otherwise prints them (40 at most)
# and the first one in context, and returns 1; 2 when LOG cannot be read
# or kernel-splats.txt has no pattern (an empty list matches nothing).
# A KCSAN report (from "BUG: KCSAN:" to its closing line of '=') is hmap's
# when one of its lines names hmap (a frame in hmap.ko or a test module of
# it, "[hmap...]"); the others are a race of the kernel's own: printed
# (REPORT.others), not counted.
find_splats() {
	local log=$1 report=$2 rc=0 first pats
	: >"$report"
	[ -r "$log" ] || { msg "find_splats: cannot scan $log"; return 2; }
	pats=$(grep -Ev '^(#|$)' "$HMAP_SCRIPTS/kernel-splats.txt") || true
	if [ -z "$pats" ]; then
		msg "find_splats: no patterns in $HMAP_SCRIPTS/kernel-splats.txt"
		return 2
	fi
	: >"$report.others"
	awk -v others="$report.others" '
		function flush(  i) {
			if (!ours) {
				print "line " at ": " title >others
				sub(/BUG: KCSAN:/, "KCSAN (not hmap):", buf[1])
			}
			for (i = 1; i <= n; i++)
				print buf[i]
			n = 0
		}
		n == 0 && /BUG: KCSAN:/ { at = NR; title = $0; ours = 0 }
		at == NR || n > 0 {
			buf[++n] = $0
			if ($0 ~ /\[hmap/)
				ours = 1
			if (NR > at && $0 ~ /==========/)
				flush()
			next
		}
		{ print }
		END { if (n) flush() }' "$log" |
		grep -aEn -f <(printf '%s\n' "$pats") >"$report" || rc=$?
	if [ -s "$report.others" ]; then
		msg "KCSAN reports not through hmap (not counted): $(wc -l <"$report.others")"
		head -n 10 "$report.others" | sed 's/^/    /' >&2
	fi
	case $rc in
	1) return 0 ;;
	0) ;;
	*) msg "find_splats: cannot scan $log"; return 2 ;;
	esac
	msg "kernel splats in $log ($(wc -l <"$report") line(s)):"
	head -n 40 "$report" | sed 's/^/    /' >&2
	first=$(head -n1 "$report" | cut -d: -f1)
	msg "the first one in context (line $first on):"
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 30))p" "$log" |
		sed 's/^/    /' >&2
	return 1
}

# test_guest: what `make demo` and `make vm` boot, made ready: the packages
# (scripts/deps.sh), the test kernel (scripts/build-kernel.sh), hmap.ko and
# the KUnit modules (HMAP_TESTS=1) built in the tree against it, and the
# guest programs (scripts/guest-bin.sh). Prints the kernel's O= dir for scripts/boot-guest.sh.
test_guest() {
	local kobj
	# Each step checked: set -e does not reach into $(test_guest).
	"$HMAP_SCRIPTS/deps.sh" || return
	kobj=$("$HMAP_SCRIPTS/build-kernel.sh") || return
	make -s -C "$kobj" M="$HMAP_SRC" HMAP_TESTS=1 -j"$(nproc)" modules >&2 || return
	"$HMAP_SCRIPTS/guest-bin.sh" || return
	echo "$kobj"
}
