#!/bin/bash
# Extract the kernel source tarball of KVER (scripts/common.sh: Debian's
# linux-source-$KVER, default 6.1) once into the cache; print the source dir.
# The tree is shared by every kernel config of that version and by the host
# checks (checkpatch.pl, kernel-doc), and is never built in (builds use O=).
# Its name hashes the package version and the tarball's size and mtime, so
# a new upload of the package is extracted beside the old one.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ -f "$HMAP_TARBALL" ] || die "$HMAP_TARBALL missing (run scripts/deps.sh)"

# Identity of the tarball: package version plus size and mtime.
ver=$(dpkg-query -W -f='${Version}' "$HMAP_SRC_PKG" 2>/dev/null || echo none)
id=$(printf '%s %s' "$ver" "$(stat -c '%s %Y' "$HMAP_TARBALL")" | sha256sum | cut -c1-12)
dir=$HMAP_CACHE/src-$id

mkdir -p "$HMAP_CACHE"
exec 9>"$HMAP_CACHE/.lock-src-$id"
flock 9
if [ ! -f "$dir/.done" ]; then
	msg "kernel-src: extracting $HMAP_TARBALL to $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xf "$HMAP_TARBALL" -C "$dir" --strip-components=1
	touch "$dir/.done"
fi
echo "$dir"
