# SPDX-License-Identifier: GPL-2.0
#
# Top-level entry for hmap. The module itself is described in Kbuild; this
# file only wraps the kernel build and the test scripts.
#
#   make [KDIR=...]   build hmap.ko against KDIR (default: the running
#                     kernel's headers, else the newest Debian headers)
#                     and hmapctl (tools/hmapctl); `make modules` builds
#                     hmap.ko only; HMAP_TESTS=1 also builds the KUnit
#                     modules (hmap_kunit.ko, hmap_kunit_scale.ko) when
#                     KDIR's kernel has KUnit, as check, vm and demo do
#   make check        test kernel + KUnit under QEMU + host checks
#                     (scripts/check.sh; output under build/); what CI runs
#   make quick        make check for between commits: the 6.1 KASAN guest
#                     only (no KCSAN guest, so no scale suite; no 6.12
#                     guest), shorter native runs (HMAP_QUICK=1);
#                     the same summary line, ", 2 skipped" for the two
#                     guests left out
#   make demo         boot the test kernel and run a scripted hmapctl session
#   make vm           boot the test kernel with hmap.ko loaded, hmapctl on
#                     the PATH and a shell on the serial console (Ctrl-A x
#                     quits)
#   make bench [KVER=6.1|6.12]
#                     benchmark kernel (no debug options) under QEMU: hmap
#                     against rhashtable and bpf(2) hash maps (scripts/bench.sh;
#                     results in build/bench/); KVER: the kernel, default
#                     the newest (6.12)
#   make native       the core in user space (tools/testing/hmap): native
#                     tests under ASan + UBSan, a fuzz run, line coverage
#   make bench-native the core on the real CPU against Go's map and
#                     liburcu's rculfhash (build/bench/native.{json,md});
#                     also run by make bench, but for its partial runs
#                     (HMAP_BENCH_PROFILE=only, HMAP_BENCH_AB=REV: see
#                     scripts/bench.sh)
#   make install      what make built (it builds nothing: `make`, then
#                     `sudo make install`): hmap.ko through the kernel's
#                     modules_install (/lib/modules/<release>/extra) for
#                     the running kernel (its build directory must exist)
#                     or KDIR's, hmapctl and hmapctl(8),
#                     the UAPI headers (include/linux/hmap*.h) and the udev
#                     rule for /dev/hmap's mode, under DESTDIR and PREFIX
#                     (default /usr/local); depmod when DESTDIR is empty
#   make uninstall    remove what make install installed (same DESTDIR,
#                     PREFIX and KDIR)
#   make clean        remove build outputs
#   make dkms-add     copy the sources (not build/ or .git) to
#                     /usr/src/hmap-<version> and `dkms add` them; then
#                     `dkms install hmap/<version>` (dkms.conf)
#
# check, demo, vm and bench share their pieces: scripts/build-kernel.sh
# (the cached kernels), scripts/boot-guest.sh (initramfs and QEMU, one mode
# per target: memory, timeout, console) and scripts/kernel-splats.txt (the
# kernel complaints that fail any of them).

# Kbuild reads the Kbuild file, not this one; guard anyway.
ifeq ($(KERNELRELEASE),)

# The running kernel's release (set only to test what happens without its
# build directory).
RUNNING_KERNEL ?= $(shell uname -r)
ifeq ($(origin KDIR),undefined)
KDIR := /lib/modules/$(RUNNING_KERNEL)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
# Good enough to build against; install and uninstall refuse it (KDIR_NONE).
KDIR_NONE := $(KDIR)
KDIR := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1)
endif
endif

all: modules hmapctl

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

hmapctl:
	$(MAKE) -C tools/hmapctl

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
	@if [ "$${HMAP_BENCH_PROFILE:-0}" != only ] && \
	    { [ -z "$${HMAP_BENCH_AB:-}" ] || [ "$${HMAP_BENCH_AB}" = 0 ]; }; then $(MAKE) bench-native; fi

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
	$(MAKE) -C tools/hmapctl clean

# --- make install / make uninstall --------------------------------------------
# The module goes where the kernel's modules_install puts external modules,
# for the release of KDIR. Its depmod needs a System.map that distribution
# headers lack, so it is skipped (DEPMOD=true) and depmod runs here, on the
# live system only: with DESTDIR, a package's postinst runs it.
PREFIX ?= /usr/local
INSTALL_MOD_DIR ?= extra
# Absolute: modules_install runs in KDIR, where a relative INSTALL_MOD_PATH
# would land.
override DESTDIR := $(abspath $(DESTDIR))
# The release modules_install uses (and uname -r prints): UTS_RELEASE, not
# include/config/kernel.release, which Debian's headers fill with the
# upstream version.
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)
# modules_install signs the module when the kernel has MODULE_SIG_ALL, with
# CONFIG_MODULE_SIG_KEY (a path from KDIR, an absolute one, or pkcs11:).
# Distribution headers have the option but not the key (Debian's
# output/signing_key.pem): sign-file would print OpenSSL errors and leave
# the module unsigned. Without the key it is not tried (NO_SIGN).
HMAP_KCONFIG := $(KDIR)/include/config/auto.conf
SIG_ALL = $(shell grep -qx 'CONFIG_MODULE_SIG_ALL=y' $(HMAP_KCONFIG) 2>/dev/null && echo y)
SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' \
	$(HMAP_KCONFIG) 2>/dev/null)
SIG_KEY_FOUND = $(or $(filter pkcs11:%,$(SIG_KEY)),$(wildcard \
	$(if $(filter /%,$(SIG_KEY)),$(SIG_KEY),$(KDIR)/$(SIG_KEY))))
NO_SIGN = $(if $(SIG_ALL),$(if $(SIG_KEY_FOUND),,CONFIG_MODULE_SIG_ALL=))

# The kernel install and uninstall are for: the running kernel's, whose
# build directory must exist, or KDIR's; never the newest headers that
# happen to be there. $(1): what to do then (default: for install).
comma := ,
KDIR_HINT := install its headers$(comma) or name the kernel's with KDIR=
define check-kdir
	@if [ -n "$(KDIR_NONE)" ]; then \
		echo "make $@: the running kernel has no build directory ($(KDIR_NONE)):" \
			"$(or $(1),$(KDIR_HINT))" >&2; \
		exit 1; \
	elif [ -z "$(KRELEASE)" ]; then \
		echo "make $@: no UTS_RELEASE in $(KDIR)/include/generated/utsrelease.h:" \
			"KDIR=$(KDIR) is not a kernel build directory" >&2; \
		exit 1; \
	fi
endef
# What install puts under $(DESTDIR)$(PREFIX): source, then destination.
INSTALL_FILES := \
	tools/hmapctl/hmapctl:bin/hmapctl \
	tools/hmapctl/hmapctl.8:share/man/man8/hmapctl.8 \
	include/uapi/linux/hmap.h:include/linux/hmap.h \
	include/uapi/linux/hmap_stats.h:include/linux/hmap_stats.h \
	tools/udev/60-hmap.rules:lib/udev/rules.d/60-hmap.rules

# What install installs must have been built by `make` (as the user: a
# build under sudo would leave files of root's in the tree), for the
# kernel install is for, and after the last change to its sources (every
# header under include/: the trace events' too, which hmap_core.c
# includes).
MODINFO := PATH="$$PATH:/sbin:/usr/sbin" modinfo
MODULE_SRCS := $(filter-out %.mod.c,$(wildcard *.c *.h Kbuild dkms.conf) \
	$(shell find include -name '*.h' 2>/dev/null))
MAKE_AGAIN = make$(if $(filter command line environment,$(origin KDIR)), KDIR=$(KDIR))
define check-built
	@if [ ! -f hmap.ko ] || [ ! -f tools/hmapctl/hmapctl ]; then \
		echo "make $@: build first, as yourself: $(MAKE_AGAIN); then make $@" >&2; \
		exit 1; \
	fi; \
	built=$$($(MODINFO) -F vermagic hmap.ko | cut -d' ' -f1); \
	if [ "$$built" != "$(KRELEASE)" ]; then \
		echo "make $@: hmap.ko is built for '$$built', not $(KRELEASE) ($(KDIR)):" \
			"make clean; $(MAKE_AGAIN)" >&2; \
		exit 1; \
	fi; \
	newer=$$(find $(MODULE_SRCS) -newer hmap.ko | head -n1); \
	if [ -n "$$newer" ] || ! $(MAKE) -s -q -C tools/hmapctl; then \
		echo "make $@: $${newer:-hmapctl's sources} changed since the build: $(MAKE_AGAIN)" >&2; \
		exit 1; \
	fi
endef

install:
	$(call check-kdir)
	$(check-built)
	$(if $(NO_SIGN),@echo "  hmap.ko stays unsigned: no signing key $(SIG_KEY) in $(KDIR)")
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true $(NO_SIGN) modules_install
	@set -e; for f in $(INSTALL_FILES); do \
		src=$${f%%:*} dst=$(DESTDIR)$(PREFIX)/$${f#*:}; \
		case $$src in */hmapctl) mode=0755 ;; *) mode=0644 ;; esac; \
		echo "  INSTALL $$dst"; install -D -m $$mode $$src $$dst; \
	done
	$(if $(DESTDIR),,depmod -a $(KRELEASE))
	$(if $(DESTDIR),,$(udev-reload))

# On the live system, udev reads the rule now, and gives a /dev/hmap that
# is already there its mode (where udev runs: not in every container).
define udev-reload
	@if command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null; then \
		udevadm trigger --subsystem-match=misc --sysname-match=hmap || true; \
	fi
endef

# rmdir-up DIR...: under a DESTDIR only, DIR and its parents up to
# DESTDIR while they are empty, so that a staging directory ends as it
# began.
rmdir-up = $(if $(DESTDIR),@for d in $(1); do d=$${d%/}; \
	while [ "$$d" != "$(DESTDIR)" ] && rmdir "$$d" 2>/dev/null; do d=$${d%/*}; done; done)
INSTALLED := $(foreach f,$(INSTALL_FILES),$(DESTDIR)$(PREFIX)/$(lastword $(subst :, ,$(f))))

# The user-space files first, which need no kernel, then the module (and
# the KUnit modules an older make install put there), compressed or not,
# for the kernel check-kdir accepts.
uninstall:
	rm -f $(INSTALLED)
	$(call rmdir-up,$(dir $(INSTALLED)))
	$(call check-kdir,the user-space files are removed; for hmap.ko name its kernel's with KDIR=)
	rm -f $(addprefix $(MODDIR)/,$(addsuffix .ko*,hmap hmap_kunit hmap_kunit_scale))
	$(call rmdir-up,$(MODDIR))
	$(if $(DESTDIR),,depmod -a $(KRELEASE))

# --- make dkms-add ------------------------------------------------------------
# `dkms add .` copies the whole directory to /usr/src/hmap-<version>,
# make check's build/ (about 90 MB) and .git included, and dkms.conf cannot
# exclude anything. This copies the sources only: the files git tracks or
# would track (not ignored), or, outside git, all but build/ and .git;
# then `dkms add` registers the copy. DKMS_SRCTREE and DKMS (the command)
# are for make check, which adds to a DKMS tree of its own.
DKMS ?= dkms
DKMS_SRCTREE ?= /usr/src
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_COPY = $(DKMS_SRCTREE)/hmap-$(DKMS_VERSION)

dkms-add:
	@test -n "$(DKMS_VERSION)" || { echo "make $@: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@test ! -e $(DKMS_COPY) || { echo "make $@: $(DKMS_COPY) exists:" \
		"sudo dkms remove hmap/$(DKMS_VERSION) --all; sudo rm -r $(DKMS_COPY)" >&2; exit 1; }
	mkdir -p $(DKMS_COPY)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard; \
	else \
		find . \( -path ./build -o -path ./.git \) -prune -o -type f -print0; \
	fi | tar --null --ignore-failed-read -T - -cf - | tar -x -C $(DKMS_COPY)
	$(DKMS) add -m hmap -v $(DKMS_VERSION)

.PHONY: all modules hmapctl check quick vm demo bench bench-native native clean \
	install uninstall dkms-add

endif
