# SPDX-License-Identifier: GPL-2.0
#
# gpool top-level Makefile.  Two roles in one file:
#
#  - Kbuild: the repository is linked into the kernel tree as mm/gpool and
#    this file is what kbuild reads when it descends into it (KERNELRELEASE
#    is set then).
#  - The project's harness: `make check`, `make demo`, `make shell`, ...
#    (`make help` lists them).  Everything generated goes under build/.

ifneq ($(KERNELRELEASE),)

obj-$(CONFIG_GPOOL) += pool/ kernel/

else

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build
include $(TOP)/scripts/versions.mk

# DEBUG=1 selects the debug kernel (KASAN, lockdep, kmemleak, ...): for
# every boot of `make check`, and for demo, bench, soak and shell.  Without
# it `make check` boots each boot of scripts/guest-runs on the kernel the
# boot names (nomap on the debug kernel, the others on the normal one).
DEBUG ?= 0
ifeq ($(DEBUG),1)
VARIANT := debug
else
VARIANT := normal
endif
# Extra guest kernel parameters, e.g. CMDLINE="gpool=0:1G,1:1G": one boot
# with them instead of the boots of scripts/guest-runs.
CMDLINE ?=
# Run only the guest tests whose name matches this shell glob (T='kvm:*'),
# in each boot of scripts/guest-runs that runs any of them.
T ?=
# Make only the boots of scripts/guest-runs whose name matches (BOOT=nomap).
BOOT ?=
# The pool `make demo` boots with.
DEMO_CMDLINE ?= gpool=0:1G,1:2G
# make bench: one boot of a 20 GiB guest (10 GiB a node) for every
# benchmark of stress/ (stress/run-bench.sh).  5 GiB of pool a node, for
# the 1 to 8 GiB files of the lifecycle and NUMA benchmarks; hugetlbfs
# pages for the baselines: 2 GiB of 1G pages (one a node) and 1 GiB of 2M;
# and about 6 GiB the page allocator keeps free, so that the fragmentation
# benchmark's runtime 1 GiB allocations (hugetlb, GROW) can succeed at all
# before its churn (with 16 GiB, 2.6 GiB were free and none ever did).
# The whole suite takes about an hour under TCG: the limit is 90 minutes,
# three times that on the debug kernel.
BENCH_CMDLINE ?= gpool=0:5G,1:5G hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=512
BENCH_MEMORY_MB ?= 20480
BENCH_TIMEOUT ?= $(if $(filter debug,$(VARIANT)),16200,5400)
# make soak: how long, and the arguments (SOAK_ARGS="-s SEED -n STEPS"
# replays a run).
SOAK_SECONDS ?= 600
SOAK_ARGS ?= -t $(SOAK_SECONDS)
SOAK_CMDLINE ?= gpool=0:1G,1:2G

RUN_GUEST = $(TOP)/scripts/run-guest.py --variant $(VARIANT) \
	$(if $(CMDLINE),--cmdline "$(CMDLINE)") $(if $(T),--only '$(T)') \
	$(if $(BOOT),--boot '$(BOOT)')

# The kernels `make check` boots, normal first.
CHECK_KERNELS = $(shell $(RUN_GUEST) --list-kernels)

.PHONY: help check demo bench bench-plots soak shell kernel boot-kernel guest deps \
	host-check checkpatch bench-pool fuzz-pool clean distclean

help:
	@echo "gpool: dedicated hugepage pool for guest_memfd (Linux $(LINUX_VERSION))"
	@echo
	@echo "  make demo        boot the test kernel and run the demo VMM"
	@echo "  make check       every test: userspace pool tests, then KUnit and"
	@echo "                   selftests in the guest; ends with 'N passed, N failed'"
	@echo "  make bench       every benchmark (stress/) in one boot: one table of"
	@echo "                   the pool against 6.12, hugetlbfs and THP side by side,"
	@echo "                   build/results/bench.json and bench.md;"
	@echo "                   BENCH='name[:args,...] ...' runs only those"
	@echo "  make bench-plots PNG plots of build/results/bench.json (make bench"
	@echo "                   first) into docs/performance/, with gnuplot"
	@echo "  make soak        random create/convert/punch/refill/close/grow/shrink"
	@echo "                   across VMs with running vCPUs (SOAK_SECONDS=600,"
	@echo "                   SOAK_ARGS='-s SEED -n STEPS' to replay)"
	@echo "  make shell       interactive shell in the guest (exit with poweroff -f)"
	@echo "  make kernel      build the test kernels make check boots (normal and"
	@echo "                   debug; DEBUG=1: debug only), one after the other"
	@echo "  make guest       build the guest image (initramfs) only"
	@echo "  make host-check  userspace pool tests only"
	@echo "  make checkpatch  checkpatch --strict over kernel/ and pool/"
	@echo "  make bench-pool  pool core benchmark (instructions/op, metadata)"
	@echo "  make fuzz-pool   longer libFuzzer run over the pool core"
	@echo
	@echo "  DEBUG=1          use the debug kernel (KASAN, lockdep, kmemleak, UBSAN)"
	@echo "                   for every boot"
	@echo "  CMDLINE='...'    extra guest kernel parameters (one boot instead of"
	@echo "                   the matrix in scripts/guest-runs)"
	@echo "  T='glob'         run only matching guest tests, in each boot of"
	@echo "                   scripts/guest-runs that has any (gpool_env_test always)"
	@echo "  BOOT='glob'      make only the matching boots of scripts/guest-runs"
	@echo
	@echo "Outputs: build/results/ (TAP, summary), build/results/<kernel>/<boot>/"
	@echo "(each boot's console log and TAP)."

deps:
	@$(TOP)/scripts/deps.sh

kernel: deps
	@set -e; kernels='$(CHECK_KERNELS)'; [ -n "$$kernels" ]; \
	for v in $$kernels; do $(TOP)/scripts/kernel.sh build $$v; done

# The one kernel demo, bench, soak and shell boot.
boot-kernel: deps
	@$(TOP)/scripts/kernel.sh build $(VARIANT)

guest: deps
	@$(TOP)/scripts/guest-image.sh $(VARIANT)

host-check: deps
	@$(TOP)/scripts/host-check.sh

check: deps
	@$(TOP)/scripts/check.sh $(RUN_GUEST) --mode check

demo: boot-kernel guest
	@$(TOP)/scripts/run-guest.py --variant $(VARIANT) --mode demo \
		--cmdline "$(or $(CMDLINE),$(DEMO_CMDLINE))"

# The report is made even when the run failed (it says what is missing);
# the target fails if either does.
bench: boot-kernel guest
	@rc=0; $(TOP)/scripts/run-guest.py --variant $(VARIANT) --mode bench \
		--cmdline "$(or $(CMDLINE),$(BENCH_CMDLINE))" \
		--memory-mb $(BENCH_MEMORY_MB) --timeout $(BENCH_TIMEOUT) \
		--bench-only "$(BENCH)" || rc=1; \
	$(TOP)/scripts/bench-report.py $(BUILD)/results/$(VARIANT)/bench/tap.log \
		-o $(BUILD)/results/bench.json -m $(BUILD)/results/bench.md || rc=1; \
	exit $$rc

bench-plots: deps
	@[ -f $(BUILD)/results/bench.json ] || { echo "bench-plots:" \
		"$(BUILD)/results/bench.json is missing: run make bench first" >&2; exit 1; }
	@$(TOP)/scripts/bench-plots.py $(BUILD)/results/bench.json -o $(TOP)/docs/performance

soak: boot-kernel guest
	@$(TOP)/scripts/run-guest.py --variant $(VARIANT) --mode soak \
		--cmdline "$(or $(CMDLINE),$(SOAK_CMDLINE))" --soak-args "$(SOAK_ARGS)" \
		--timeout $$(( $(SOAK_SECONDS) * 2 + 300 ))

shell: boot-kernel guest
	@$(RUN_GUEST) --mode shell

checkpatch: deps
	@$(TOP)/scripts/checkpatch.sh

bench-pool: deps
	@$(MAKE) -s -C $(TOP)/pool/tests bench

fuzz-pool: deps
	@$(MAKE) -s -C $(TOP)/pool/tests fuzz

clean:
	@$(MAKE) -s -C $(TOP)/pool/tests clean
	rm -rf $(BUILD)/kernel $(BUILD)/kernel-debug $(BUILD)/guest $(BUILD)/results

distclean:
	rm -rf $(BUILD)

endif
