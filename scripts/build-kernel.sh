#!/bin/bash
# Build (or reuse) the hmap test kernel; print its O= build dir on stdout.
# Usage: build-kernel.sh [FRAGMENT...]
#   FRAGMENT  config fragments, applied in order, a later line for the same
#             option replacing an earlier one (default scripts/kernel.config,
#             the test kernel; make bench passes scripts/kernel-bench.config;
#             the KCSAN kernel is kernel.config + kernel-kcsan.config)
#
# The kernel is `make allnoconfig` + the merged fragment, built from the
# linux-source-6.1 tarball. It is cached in $HMAP_CACHE/kernel-<key>, where
# <key> hashes what the build depends on (merged fragment, the recipe
# version below, tarball, compiler), and is reused only once its .done
# stamp exists, so an
# interrupted build is never picked up. Out-of-tree modules build against it
# with `make -C <objdir> M=<dir>`.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

# Bump when a change to this script changes the kernel it builds.
recipe=2

[ $# -gt 0 ] || set -- "$HMAP_SCRIPTS/kernel.config"
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

key=$({ echo "$merged"; echo "recipe $recipe"; echo "$src"; gcc --version | head -n1; } |
	sha256sum | cut -c1-16)
dir=$HMAP_CACHE/kernel-$key
obj=$dir/obj
names=$(for f in "$@"; do basename "$f"; done | paste -sd+)

# Serialize concurrent builds of the same kernel.
exec 9>"$HMAP_CACHE/.lock-kernel-$key"
flock 9
if [ -f "$dir/.done" ]; then
	touch "$dir/.done"	# mark as recently used, for pruning
	echo "$obj"
	exit 0
fi

msg "build-kernel: building $names kernel in $dir (log: $dir/build.log)"
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
make -C "$src" O="$obj" KCONFIG_ALLCONFIG="$fragment" allnoconfig \
	>"$log" 2>&1 || fail "allnoconfig failed"

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

make -C "$src" O="$obj" -j"$(nproc)" >>"$log" 2>&1 || fail "kernel build failed"
[ -f "$obj/arch/x86/boot/bzImage" ] || fail "no bzImage"
if grep -qx 'CONFIG_KUNIT=m' "$fragment"; then
	[ -f "$obj/lib/kunit/kunit.ko" ] || fail "no lib/kunit/kunit.ko"
fi

touch "$dir/.done"
msg "build-kernel: done in $(($(date +%s) - start))s"

# Keep only the four most recently used kernels (test, KCSAN, bench, one more).
find "$HMAP_CACHE" -maxdepth 2 -path "$HMAP_CACHE/kernel-*/.done" -printf '%T@ %h\n' |
	sort -rn | tail -n +5 | cut -d' ' -f2- | while IFS= read -r old; do
	msg "build-kernel: pruning old kernel $old"
	rm -rf "$old"
done

echo "$obj"
