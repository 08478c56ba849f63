#!/bin/bash
# Prepare (or reuse) an i386 kernel tree to build the modules against; print
# its O= dir on stdout. Build with:
#   make -C <objdir> ARCH=i386 M=<dir> KBUILD_MODPOST_WARN=1 modules
#
# Debian ships no i386 headers for an amd64 host, so the tree is made from
# the same linux-source-$KVER tarball as the test kernel: `make allnoconfig`
# for ARCH=i386 with scripts/kernel-i386.config forced in, then
# `make modules_prepare` (the amd64 gcc builds it with -m32). No vmlinux is
# built, so there is no Module.symvers: modpost can only warn about the
# symbols it cannot resolve (KBUILD_MODPOST_WARN=1), and the modules are for
# the compiler's eyes only.
#
# scripts/build-kernel.sh --i386 makes and caches it ($HMAP_CACHE/i386-<key>).
exec "$(dirname "$0")/build-kernel.sh" --i386 "$@"
