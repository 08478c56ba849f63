# SPDX-License-Identifier: GPL-2.0
#
# Top-level entry for hmap. The module itself is described in Kbuild; this
# file only wraps the kernel build and the test scripts.
#
#   make [KDIR=...]   build hmap.ko against KDIR (default: the running
#                     kernel's headers, else the newest Debian headers)
#   make check        test kernel + KUnit under QEMU + host checks
#                     (scripts/check.sh; output under build/); what CI runs
#   make quick        make check for between commits: no KCSAN guest (so
#                     no scale suite), shorter native runs (HMAP_QUICK=1);
#                     the same summary line
#   make demo         boot the test kernel and run a scripted hmapctl session
#   make vm           boot the test kernel with hmap.ko loaded, hmapctl on
#                     the PATH and a shell on the serial console (Ctrl-A x
#                     quits)
#   make bench        benchmark kernel (no debug options) under QEMU: hmap
#                     against rhashtable and bpf(2) hash maps (scripts/bench.sh;
#                     results in build/bench/)
#   make native       the core in user space (tools/testing/hmap): native
#                     tests under ASan + UBSan, a fuzz run, line coverage
#   make bench-native the core on the real CPU against Go's map and
#                     liburcu's rculfhash (build/bench/native.{json,md});
#                     also run by make bench
#   make clean        remove build outputs
#
# check, demo, vm and bench share their pieces: scripts/build-kernel.sh
# (the cached kernels), scripts/boot-guest.sh (initramfs and QEMU, one mode
# per target: memory, timeout, console) and scripts/kernel-splats.txt (the
# kernel complaints that fail any of them).

# Kbuild reads the Kbuild file, not this one; guard anyway.
ifeq ($(KERNELRELEASE),)

ifeq ($(origin KDIR),undefined)
KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1)
endif
endif

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

check:
	@scripts/check.sh

quick:
	@HMAP_QUICK=1 scripts/check.sh

vm:
	@scripts/vm.sh

demo:
	@scripts/run-demo.sh

bench:
	@scripts/bench.sh
	$(MAKE) bench-native

bench-native:
	$(MAKE) -C tools/testing/hmap bench

native:
	$(MAKE) -C tools/testing/hmap check

clean:
	find . \( -path ./.git -o -path ./build \) -prune -o -type f \
		\( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.o.d' -o -name '*.symvers' \
		-o -name 'modules.order' -o -name '*.dwo' \) -exec rm -f {} +
	rm -rf build .tmp_versions

.PHONY: all modules check quick vm demo bench bench-native native clean

endif
