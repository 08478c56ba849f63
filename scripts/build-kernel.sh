#!/bin/bash
# Build (or reuse) a kernel tree for the modules to build against; print its
# O= dir on stdout.
# Usage: [KVER=6.1|6.12] build-kernel.sh [--i386 | --prepare] [FRAGMENT...]
#   FRAGMENT   config fragments, applied in order, a later line for the same
#              option replacing an earlier one (default scripts/kernel.config,
#              the test kernel; make bench passes scripts/kernel-bench.config;
#              the KCSAN kernel is kernel.config + kernel-kcsan.config)
#   --i386     an i386 tree (scripts/i386-tree.sh; default fragment
#              scripts/kernel-i386.config): `make modules_prepare` only
#   --prepare  an amd64 tree made with `make modules_prepare` only: enough
#              to compile the modules against (with KBUILD_MODPOST_WARN=1:
#              no vmlinux, no Module.symvers), not to boot
#   KVER       the source: Debian's linux-source-$KVER (scripts/common.sh;
#              default 6.1); scripts/kernel-$KVER.config, if there is one,
#              is applied after the fragments
#
# The tree is `make allnoconfig` + the merged fragment, from the
# linux-source-$KVER tarball. It is cached in $HMAP_CACHE/<kind>-<key>
# (kind: kernel, i386 or prep; <kind>-<KVER>-<key> for a KVER other than
# the default), where <key> hashes what the tree depends on (the merged
# fragment's options, the recipe version below, the extracted source,
# compiler) and not the text of this script, and is reused only once its
# .done stamp exists, so an interrupted build is never picked up.
# Out-of-tree modules build against it with `make -C <objdir> M=<dir>` (and
# ARCH=i386 for an i386 tree).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

# Bump when a change to this script changes the trees it builds.
recipe=2

# The kinds of tree: ARCH, make target, what the build must produce, how
# many trees of the kind (and KVER) the cache keeps.
case ${1:-} in
--i386)
	shift
	[ $# -gt 0 ] || set -- "$HMAP_SCRIPTS/kernel-i386.config"
	kind=i386 arch=(ARCH=i386) target=modules_prepare keep=2
	products=(scripts/mod/modpost) ;;
--prepare)
	shift
	[ $# -gt 0 ] || set -- "$HMAP_SCRIPTS/kernel.config"
	kind=prep arch=() target=modules_prepare keep=2
	products=(scripts/mod/modpost) ;;
*)
	[ $# -gt 0 ] || set -- "$HMAP_SCRIPTS/kernel.config"
	kind=kernel arch=() target=all keep=4	# test, KCSAN, bench, one more
	products=(arch/x86/boot/bzImage) ;;
esac
# What the fragments became in this KVER (scripts/kernel-6.12.config), last.
if [ -f "$HMAP_SCRIPTS/kernel-$HMAP_KVER.config" ]; then
	set -- "$@" "$HMAP_SCRIPTS/kernel-$HMAP_KVER.config"
fi
for f in "$@"; do
	[ -f "$f" ] || die "build-kernel: no config fragment $f"
done
src=$("$HMAP_SCRIPTS/kernel-src.sh")

# One fragment: the options of all, the last line for an option winning.
merged=$(awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { opt = $0; sub(/=.*/, "", opt) }
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { opt = $2 }
	opt != "" { if (!(opt in val)) order[n++] = opt; val[opt] = $0; opt = "" }
	END { for (i = 0; i < n; i++) print val[order[i]] }' "$@")
if [ "$kind" = kernel ] && grep -qx 'CONFIG_KUNIT=m' <<<"$merged"; then
	products+=(lib/kunit/kunit.ko)
fi

# The key of a 6.1 tree is what it was before KVER existed: the source
# directory already tells the versions apart. The name says the version.
key=$({ echo "$merged"; echo "recipe $recipe"; echo "$src"; gcc --version | head -n1; } |
	sha256sum | cut -c1-16)
prefix=$kind
[ "$HMAP_KVER" = "${HMAP_KVERS[0]}" ] || prefix=$kind-$HMAP_KVER
dir=$HMAP_CACHE/$prefix-$key
obj=$dir/obj
names=$(for f in "$@"; do basename "$f"; done | paste -sd+)

# Serialize concurrent builds of the same tree.
exec 9>"$HMAP_CACHE/.lock-$prefix-$key"
flock 9
if [ -f "$dir/.done" ]; then
	touch "$dir/.done"	# mark as recently used, for pruning
	echo "$obj"
	exit 0
fi

msg "build-kernel: building the $names $kind tree of $HMAP_KVER in $dir (log: $dir/build.log)"
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$obj"
log=$dir/build.log
fragment=$dir/fragment.config
echo "$merged" >"$fragment"

# On failure show the end of the log; the full one stays in the cache.
fail() {
	tail -n 40 "$log" >&2
	die "build-kernel: $1 (full log: $log)"
}

# allnoconfig with the fragment forced in (what merge_config.sh -n does).
make -C "$src" O="$obj" "${arch[@]}" KCONFIG_ALLCONFIG="$fragment" \
	allnoconfig >"$log" 2>&1 || fail "allnoconfig failed"

# allnoconfig silently drops options whose dependencies are missing:
# insist that every line of the fragment is in the final .config.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		opt=${line%%=*}
		grep -qxF -- "$line" "$obj/.config" && continue ;;
	"# CONFIG_"*" is not set")
		opt=${line#"# "}; opt=${opt%% *}
		grep -q "^$opt=" "$obj/.config" || continue ;;
	*) continue ;;
	esac
	have=$(grep -E "^(# )?${opt}[= ]" "$obj/.config" || echo "absent")
	msg "build-kernel: wanted '$line', got '$have'"
	missing=1
done <"$fragment"
[ "$missing" = 0 ] || die "build-kernel: $names options did not stick"

make -C "$src" O="$obj" "${arch[@]}" -j"$(nproc)" "$target" >>"$log" 2>&1 ||
	fail "make $target failed"
for p in "${products[@]}"; do
	[ -e "$obj/$p" ] || fail "no $p"
done

touch "$dir/.done"
msg "build-kernel: done in $(($(date +%s) - start))s"

# Keep only the most recently used trees of the kind and version
# (<prefix>-<16 hex digits>: kernel-6.12-* is not a 6.1 kernel-* tree).
find "$HMAP_CACHE" -maxdepth 2 -path "$HMAP_CACHE/$prefix-*/.done" -printf '%T@ %h\n' |
	{ grep -E "/${prefix//./\\.}-[0-9a-f]{16}\$" || true; } |
	sort -rn | tail -n +$((keep + 1)) | cut -d' ' -f2- | while IFS= read -r old; do
	msg "build-kernel: pruning old $kind tree of $HMAP_KVER $old"
	rm -rf "$old"
done

echo "$obj"
