#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest image: a busybox initramfs holding static test binaries.
#
#   scripts/guest-image.sh [VARIANT]
#
# VARIANT only picks the kernel build tree that runs headers_install: the
# uAPI headers come from the source tree whatever the configuration, so one
# image serves the normal and the debug kernel alike (make check builds it
# once for both).
#
# Contents:
#   /init                    scripts/guest-init.sh (runs tests, demo or a shell)
#   /tests/list              the test manifest: "name timeout-seconds path [args]"
#   /tests/kvm/...           upstream KVM selftests built from the same tree
#   /tests/kvm72/...         the same from Linux 7.2 (scripts/upstream-kvm.sh)
#   /tests/gpool/...         the project's selftests (selftests/)
#   /bin/gpool-demo, ...     tools
#
# The manifest is also written to build/guest/tests.list: the host runner
# checks that every test in it reported a result.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-normal}
build=$top/build
guest=$build/guest
root=$guest/root
hdr=$build/headers
log() { echo "  GUEST   $*"; }
die() { echo "guest-image.sh: $*" >&2; exit 1; }

# Upstream KVM selftests that any guest_memfd must pass (prior-art.md 1.4).
# 6.12's guest_memfd_test is not among them: it expects every flag to be
# invalid, which 6.18's GUEST_MEMFD_FLAG_MMAP changed (7.2's runs instead).
kvm_tests=(
	"set_memory_region_test 400"
	"x86_64/private_mem_conversions_test 300"
	"x86_64/private_mem_kvm_exits_test 120"
	"pre_fault_memory_test 180"
)

# The same tests from upstream Linux 7.2, unmodified (scripts/upstream-kvm.sh;
# 7.2's arch directory is x86/): "name timeout".  docs/testing.md,
# "Upstream 7.2 selftests".
# Two of the five are left out: they test KVM x86 fixes of 6.13 and later
# that have nothing to do with guest_memfd, which this 6.12 tree does not
# carry, and they hang on it (docs/testing.md, "Upstream 7.2 selftests"):
# set_memory_region_test's test_mmio_during_vectoring waits for a
# KVM_INTERNAL_ERROR_DELIVERY_EV exit 6.12 never makes, and
# pre_fault_memory_test deletes the memslot under a KVM_PRE_FAULT_MEMORY
# that 6.12 retries forever instead of failing with EAGAIN.
kvm72_tests=(
	"guest_memfd_test 120"
	"x86/private_mem_conversions_test 300"
	"x86/private_mem_kvm_exits_test 120"
)

# The same upstream tests again with arguments, under a name of their own:
# "program name timeout arguments".  private_mem_conversions_test with two
# vCPUs and two memslots, shared memory from 2M hugetlb pages (the boots
# reserve them: scripts/guest-runs).
kvm_variants=(
	"x86_64/private_mem_conversions_test private_mem_conversions_test.n2_m2_hugetlb 300 -n 2 -m 2 -s anonymous_hugetlb_2mb"
)

# gpool tests built with the upstream KVM selftest library
# (selftests/kvm/, linked into the tree by scripts/kernel.sh).
# "name timeout [arguments]".  A short run of the soak (`make soak` runs
# it for minutes) is one of them, without GROW/SHRINK (-R); the boots of
# scripts/guest-runs leave it out until its guests stop triple-faulting
# (docs/testing.md, "Soak").
gpool_kvm_tests=(
	"gpool_kvm_test 300"
	"gpool_race_test 300"
	"gpool_mmap_test 600"
	"gpool_mmap_race_test 400"
	"gpool_conv_test 600"
	"gpool_soak 240 -t 60 -R"
)
# Programs built the same way that are tools (stress/kvm/): `make bench`
# runs the benchmarks (stress/run-bench.sh), `make soak` runs gpool_soak.
gpool_kvm_tools=(gpool_bench gpool_memio_bench gpool_life_bench
		 gpool_numa_bench gpool_frag_bench gpool_soak)

"$top/scripts/kernel.sh" headers "$variant"

log "KVM selftests"
kvm_out=$guest/kvm
mkdir -p "$kvm_out"
targets=() names=()
for t in "${kvm_tests[@]}" "${gpool_kvm_tests[@]}" "${gpool_kvm_tools[@]}"; do
	case " ${names[*]} " in *" ${t%% *} "*) continue ;; esac
	targets+=("$kvm_out/${t%% *}")
	names+=("${t%% *}")
done
# Naming the programs on the command line replaces the Makefile's own
# (long) list, so that it has rules for ours too.  The gpool programs read
# the pool through libgpool (tools/lib/gpool): its archive is linked into
# every program (LDLIBS keeps the Makefile's -ldl, and adds libnuma for
# the NUMA benchmarks), its header found through EXTRA_CFLAGS.
make -s -C "$top/tools/lib/gpool" OUT="$kvm_out/libgpool" KHDR="$hdr/include"
make -s -C "$build/src/tools/testing/selftests/kvm" -j"$(nproc)" \
	LDFLAGS=-static KHDR_INCLUDES="-isystem $hdr/include" \
	EXTRA_CFLAGS="-I$top/tools/lib/gpool" \
	LDLIBS="$kvm_out/libgpool/libgpool.a -lnuma -ldl" \
	TEST_GEN_PROGS_x86_64="${names[*]}" \
	OUTPUT="$kvm_out" "${targets[@]}" >/dev/null

log "project selftests"
make -s -C "$top/selftests" OUTPUT="$guest/gpool" KHDR="$hdr/include" \
	KSRC="$build/src" all

log "tools"
mkdir -p "$guest/bin"
make -s -C "$top/tools/demo" OUT="$guest/bin" KHDR="$hdr/include"
make -s -C "$top/tools/poolctl" OUT="$guest/bin" KHDR="$hdr/include"

log "initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,tests/kvm,tests/gpool,etc}
cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
install -m 0755 "$top/scripts/guest-init.sh" "$root/init"
install -m 0755 "$top/stress/run-bench.sh" "$root/bin/gpool-bench-all"
install -m 0755 "$top/scripts/guest-stall-watch.sh" "$root/bin/gpool-stall-watch"
cp "$guest/bin/"* "$root/bin/"
for t in "${gpool_kvm_tools[@]}"; do
	cp "$kvm_out/$t" "$root/bin/$t"
done
# ---- fio over host mappings (stress/fio/, issue 13 item 2) ----
# Debian's fio with its loader and libraries (stubs for the I/O engines'
# libraries, which the mmap engine never calls: about 5 MiB, 2 MiB
# gzipped), gpool_fio_shim.so (pool memory as /gpool/1G, /gpool/2M; built
# against the uAPI headers), the job files in /usr/share/gpool/fio and
# /bin/gpool-fio-bench.  stress/fio/guest-install.sh says how.
log "fio"
"$top/stress/fio/guest-install.sh" "$root" "$hdr/include" "$guest/fio"
# ---- end of the fio block ----

manifest=$guest/tests.list
: > "$manifest"
for t in "${kvm_tests[@]}"; do
	name=${t%% *}
	timeout=${t##* }
	mkdir -p "$root/tests/kvm/$(dirname "$name")"
	cp "$kvm_out/$name" "$root/tests/kvm/$name"
	echo "kvm:$(basename "$name") $timeout /tests/kvm/$name" >> "$manifest"
done
for t in "${kvm_variants[@]}"; do
	read -r prog name timeout args <<< "$t"
	echo "kvm:$name $timeout /tests/kvm/$prog $args" >> "$manifest"
done
for t in "${gpool_kvm_tests[@]}"; do
	read -r name timeout args <<< "$t"
	cp "$kvm_out/$name" "$root/tests/gpool/$name"
	echo "gpool:$name $timeout /tests/gpool/$name${args:+ $args}" >> "$manifest"
done
# The project's selftests describe themselves: selftests/tests.list has
# "name timeout [args]" lines, in run order.
while read -r name timeout args; do
	case "$name" in ''|'#'*) continue ;; esac
	[ -x "$guest/gpool/$name" ] || die "selftests/tests.list names $name, which was not built"
	cp "$guest/gpool/$name" "$root/tests/gpool/$name"
	echo "gpool:$name $timeout /tests/gpool/$name${args:+ $args}" >> "$manifest"
done < "$top/selftests/tests.list"
# Helpers the project's selftests run (HELPERS in selftests/Makefile).
for name in gpool_hold_files; do
	cp "$guest/gpool/$name" "$root/tests/gpool/$name"
done
# ---- upstream Linux 7.2 KVM selftests (scripts/upstream-kvm.sh) ----
# kvm72_tests go to /tests/kvm72/, as "kvm72:" tests.  They are part of
# what make check proves: if they cannot be fetched or built, the image
# is not built either.
"$top/scripts/upstream-kvm.sh" "${kvm72_tests[@]%% *}"
for t in "${kvm72_tests[@]}"; do
	name=${t%% *}
	timeout=${t##* }
	mkdir -p "$root/tests/kvm72/$(dirname "$name")"
	cp "$build/up72/kvm/$name" "$root/tests/kvm72/$name"
	echo "kvm72:$(basename "$name") $timeout /tests/kvm72/$name" >> "$manifest"
done
# ---- end of the upstream Linux 7.2 block ----
cp "$manifest" "$root/tests/list"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
	gzip -1 > "$guest/initramfs.cpio.gz.tmp"
mv "$guest/initramfs.cpio.gz.tmp" "$guest/initramfs.cpio.gz"
log "ready: build/guest/initramfs.cpio.gz ($(du -h "$guest/initramfs.cpio.gz" | cut -f1)," \
	"$(wc -l < "$manifest") tests)"
