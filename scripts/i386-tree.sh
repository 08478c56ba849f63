#!/bin/bash
# Prepare (or reuse) an i386 kernel tree to build the modules against; print
# its O= dir on stdout. Build with:
#   make -C <objdir> ARCH=i386 M=<dir> KBUILD_MODPOST_WARN=1 modules
#
# Debian ships no i386 headers for an amd64 host, so the tree is made from
# the same linux-source-6.1 tarball as the test kernel: `make allnoconfig`
# for ARCH=i386 with scripts/kernel-i386.config forced in, then
# `make modules_prepare` (the amd64 gcc builds it with -m32). No vmlinux is
# built, so there is no Module.symvers: modpost can only warn about the
# symbols it cannot resolve (KBUILD_MODPOST_WARN=1), and the modules are for
# the compiler's eyes only.
#
# Cached in $HMAP_CACHE/i386-<key> like build-kernel.sh does (key: fragment,
# this script, tarball, compiler), reused once its .done stamp exists.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

fragment=$HMAP_SCRIPTS/kernel-i386.config
src=$("$HMAP_SCRIPTS/kernel-src.sh")

key=$({ cat "$fragment" "$0"; echo "$src"; gcc --version | head -n1; } |
	sha256sum | cut -c1-16)
dir=$HMAP_CACHE/i386-$key
obj=$dir/obj

# Serialize concurrent preparations of the same tree.
exec 9>"$HMAP_CACHE/.lock-i386-$key"
flock 9
if [ -f "$dir/.done" ]; then
	touch "$dir/.done"	# mark as recently used, for pruning
	echo "$obj"
	exit 0
fi

msg "i386-tree: preparing $dir (log: $dir/build.log)"
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$obj"
log=$dir/build.log

fail() {
	tail -n 40 "$log" >&2
	die "i386-tree: $1 (full log: $log)"
}

make -C "$src" O="$obj" ARCH=i386 KCONFIG_ALLCONFIG="$fragment" \
	allnoconfig >"$log" 2>&1 || fail "allnoconfig failed"

# Every line of the fragment must be in the final .config.
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
	msg "i386-tree: wanted '$line', got '$have'"
	missing=1
done <"$fragment"
[ "$missing" = 0 ] || die "i386-tree: kernel-i386.config options did not stick"

make -C "$src" O="$obj" ARCH=i386 -j"$(nproc)" modules_prepare \
	>>"$log" 2>&1 || fail "modules_prepare failed"
[ -x "$obj/scripts/mod/modpost" ] || fail "no scripts/mod/modpost"

touch "$dir/.done"
msg "i386-tree: done in $(($(date +%s) - start))s"

# Keep only the two most recently used trees.
find "$HMAP_CACHE" -maxdepth 2 -path "$HMAP_CACHE/i386-*/.done" -printf '%T@ %h\n' |
	sort -rn | tail -n +3 | cut -d' ' -f2- | while IFS= read -r old; do
	msg "i386-tree: pruning old tree $old"
	rm -rf "$old"
done

echo "$obj"
