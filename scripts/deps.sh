#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything gpool needs from Debian's packages.  Idempotent: when
# every package is already installed at the pinned version it does nothing
# (and does not even need root).  Called by `make check` / `make demo` when
# something is missing; safe to run by hand.
#
# The kernel source is pinned: scripts/versions.mk holds LINUX_DEB_VERSION.
# To move to another 6.12 build, change it there (see docs/testing.md).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux_deb_version=$(sed -n 's/^LINUX_DEB_VERSION[[:space:]]*:\?=[[:space:]]*//p' \
	"$top/scripts/versions.mk")

packages=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod
	dwarves python3 rsync ccache git
	# guest
	qemu-system-x86 busybox-static
	# userspace tests: sanitizers, libFuzzer (pool/tests/Makefile uses
	# clang-14, else clang; its runtime is libclang-rt-14-dev), callgrind
	# and callgrind_annotate for the budget check; both are required
	clang clang-14 llvm lld libclang-rt-14-dev valgrind
	# benchmarks and NUMA tools used in the guest; gnuplot for the plots
	# of make bench-plots
	fio numactl libnuma-dev gnuplot-nox
	# upstream 7.2 selftests (scripts/upstream-kvm.sh): the keyring that
	# verifies unstable's lists, xz for its source tarball
	debian-archive-keyring xz-utils
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
have_src=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ "$have_src" = "$linux_deb_version" ] || missing+=("linux-source-6.12=$linux_deb_version")

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: installing: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: apt-get not found: this project expects Debian 12 (bookworm)." >&2
	echo "deps: install by hand: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install packages (try: sudo $0)" >&2
	echo "deps: missing: ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if ! apt-get install -y -q --no-install-recommends --allow-downgrades "${missing[@]}"; then
	echo "deps: apt-get install failed." >&2
	echo "deps: if linux-source-6.12=$linux_deb_version is no longer offered," \
		"pick a listed one (apt-cache policy linux-source-6.12) and set" \
		"LINUX_DEB_VERSION in scripts/versions.mk" >&2
	exit 1
fi
