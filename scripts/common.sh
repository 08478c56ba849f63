# shellcheck shell=bash
# Shared settings for the hmap scripts. Sourced, not run.
#
# Environment overrides:
#   HMAP_SRC      module source dir (default: repo root)
#   HMAP_OUT      where generated files go (default: $HMAP_SRC/build)
#   HMAP_CACHE    kernel/source cache outside the tree (default: /var/cache/hmap)
#   HMAP_TARBALL  kernel source tarball (default: Debian's linux-source-6.1)

HMAP_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HMAP_ROOT=$(cd "$HMAP_SCRIPTS/.." && pwd)
HMAP_SRC=$(cd "${HMAP_SRC:-$HMAP_ROOT}" && pwd)
HMAP_OUT=${HMAP_OUT:-$HMAP_SRC/build}
HMAP_CACHE=${HMAP_CACHE:-/var/cache/hmap}
HMAP_TARBALL=${HMAP_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
export HMAP_SRC_PKG=linux-source-6.1
export HMAP_SRC HMAP_OUT HMAP_CACHE HMAP_TARBALL

# Messages go to stderr so that stdout can carry a script's result (a path).
msg() { printf '%s\n' "$*" >&2; }
die() { msg "error: $*"; exit 1; }
