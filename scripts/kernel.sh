#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare and build the gpool test kernel.
#
#   scripts/kernel.sh source            unpack + patch + link the tree (idempotent)
#   scripts/kernel.sh config  VARIANT   (re)generate build/kernel-VARIANT/.config
#   scripts/kernel.sh build   VARIANT   source + config + bzImage (incremental)
#   scripts/kernel.sh headers VARIANT   make headers_install into build/headers
#
# VARIANT is "normal" (kernel/configs/gpool.config) or "debug" (that plus
# kernel/configs/gpool-debug.config).
#
# The source tree (build/src) is Debian's linux-source-6.12 tarball, made a
# git repository so that the patch series in kernel/patches/ can be
# re-applied (git am, commit messages and all) when it changes without touching the mtime of any other file
# (which would force a full rebuild).  The repository itself is linked into
# the tree as mm/gpool, and its uAPI headers into include/uapi/linux: the
# kernel builds the very files in this repository, never copies.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
src=$build/src
tarball=/usr/src/linux-source-6.12.tar.xz

mkvar() { sed -n "s/^$1[[:space:]]*:\?=[[:space:]]*//p" "$top/scripts/versions.mk"; }
linux_version=$(mkvar LINUX_VERSION)
linux_deb_version=$(mkvar LINUX_DEB_VERSION)

# ccache hashes absolute paths relative to the checkout, so that every
# clone on a machine (CI clones anew each time) shares one warm cache.
export CCACHE_BASEDIR=$top

die() { echo "kernel.sh: $*" >&2; exit 1; }
log() { echo "  KERNEL  $*"; }
g() { git -C "$src" -c user.name=gpool -c user.email=gpool@localhost "$@"; }

patches_hash() {
	cat "$top"/kernel/patches/*.patch 2>/dev/null | sha1sum | cut -c1-12
}

unpack() {
	local have
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	[ "$have" = "$linux_deb_version" ] ||
		die "linux-source-6.12 $linux_deb_version is not installed (have '$have'): run scripts/deps.sh"
	log "unpacking $tarball"
	rm -rf "$src" "$build/linux-source-6.12"
	mkdir -p "$build"
	tar -C "$build" -xf "$tarball"
	mv "$build/linux-source-6.12" "$src"
	local v
	v=$(make -s -C "$src" kernelversion)
	[ "$v" = "$linux_version" ] ||
		die "tarball has Linux $v, scripts/versions.mk expects $linux_version"
	log "git baseline of Linux $v (once per unpack)"
	g init -q
	g add -A -f .
	g commit -q -m "Linux $v (Debian linux-source-6.12 $linux_deb_version)"
	g tag base
	echo "$linux_deb_version" > "$src/.gpool-deb-version"
}

apply_patches() {
	local p
	log "applying kernel/patches on top of base"
	g reset -q --hard base
	g clean -q -fdx -e .gpool-deb-version
	for p in "$top"/kernel/patches/*.patch; do
		[ -e "$p" ] || continue
		if ! g am -q --no-3way "$p"; then
			g am --abort
			die "patch does not apply: ${p#"$top"/}"
		fi
	done
	patches_hash > "$src/.gpool-patches"
}

link_tree() {
	# Relative links, so the whole checkout can move.  The kernel-internal
	# header and the uAPI headers join their directories in the tree, and
	# the tests that need the KVM selftest library join it.
	ln -sfn ../../.. "$src/mm/gpool"
	local h dir
	for h in "$top"/include/linux/*.h "$top"/include/uapi/linux/*.h \
		 "$top"/selftests/kvm/*.[ch] "$top"/stress/kvm/*.[ch]; do
		[ -e "$h" ] || continue
		dir=${h#"$top"/}
		dir=${dir%/*}
		# selftests/kvm/X.c and stress/kvm/X.c build with the upstream
		# KVM selftest library.
		case "$dir" in
		selftests/kvm|stress/kvm) dir=tools/testing/selftests/kvm ;;
		esac
		ln -sfn "$(realpath --relative-to="$src/$dir" "$h")" "$src/$dir/${h##*/}"
	done
}

do_source() {
	if [ ! -d "$src/.git" ] ||
	   [ "$(cat "$src/.gpool-deb-version" 2>/dev/null)" != "$linux_deb_version" ]; then
		unpack
	fi
	if [ "$(cat "$src/.gpool-patches" 2>/dev/null)" != "$(patches_hash)" ]; then
		apply_patches
	fi
	link_tree
}

variant_dir() {
	case "$1" in
	normal) echo "$build/kernel" ;;
	debug) echo "$build/kernel-debug" ;;
	nogpool) echo "$build/kernel-nogpool" ;;
	*) die "unknown variant '$1' (normal, debug or nogpool)" ;;
	esac
}

# The nogpool variant is the normal configuration without CONFIG_GPOOL:
# the hooked files must build against the stubs of <linux/gpool.h>.
fragments() {
	if [ "$1" = nogpool ]; then
		mkdir -p "$build"
		grep -v '^CONFIG_GPOOL' "$top/kernel/configs/gpool.config" \
			> "$build/nogpool.config"
		echo '# CONFIG_GPOOL is not set' >> "$build/nogpool.config"
		echo "$build/nogpool.config"
		return 0
	fi
	echo "$top/kernel/configs/gpool.config"
	[ "$1" = debug ] && echo "$top/kernel/configs/gpool-debug.config"
	return 0
}

kmake() {
	local out=$1
	shift
	make -s -C "$src" O="$out" ARCH=x86_64 \
		KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00 UTC" KBUILD_BUILD_USER=gpool \
		KBUILD_BUILD_HOST=gpool CC="ccache gcc" "$@"
}

do_config() {
	local variant=$1 out frags stamp
	out=$(variant_dir "$variant")
	mapfile -t frags < <(fragments "$variant")
	stamp=$(cat "${frags[@]}" "$top/Kconfig" | sha1sum | cut -c1-12)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.gpool-config" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	log "configuring $variant kernel (tinyconfig + ${frags[*]##*/})"
	mkdir -p "$out"
	kmake "$out" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	kmake "$out" olddefconfig >/dev/null
	# merge_config.sh only warns when an option does not stick (an unmet
	# dependency): make that an error, or the tests silently lose coverage.
	local f line bad=0
	for f in "${frags[@]}"; do
		while read -r line; do
			case "$line" in CONFIG_*=*) ;; *) continue ;; esac
			if ! grep -qx "$line" "$out/.config"; then
				echo "kernel.sh: $line (from ${f##*/}) is not in the final .config" >&2
				bad=1
			fi
		done < "$f"
	done
	[ $bad -eq 0 ] || die "config fragments did not apply; check dependencies"
	echo "$stamp" > "$out/.gpool-config"
}

do_build() {
	local variant=$1 out start
	out=$(variant_dir "$variant")
	do_source
	do_config "$variant"
	log "building $variant bzImage in ${out#"$top"/}"
	start=$(date +%s)
	kmake "$out" -j"$(nproc)" bzImage
	log "$variant kernel ready ($(($(date +%s) - start)) s): ${out#"$top"/}/arch/x86/boot/bzImage"
}

# Compile what the hook patches touch with CONFIG_GPOOL=n: the KVM
# objects (guest_memfd.c, kvm_main.c), mm/memory-failure.c and the x86
# setup code.  Not linked: it only proves that the stubs are complete.
do_hooks() {
	local out=$build/kernel-nogpool start
	do_source
	do_config nogpool
	grep -qx '# CONFIG_GPOOL is not set' "$out/.config" ||
		die "nogpool: CONFIG_GPOOL is still set"
	log "compiling the hooked files with CONFIG_GPOOL=n"
	start=$(date +%s)
	kmake "$out" -j"$(nproc)" prepare
	kmake "$out" -j"$(nproc)" arch/x86/kvm/ mm/memory-failure.o \
		arch/x86/kernel/setup.o
	log "hooked files build without the pool ($(($(date +%s) - start)) s)"
}

do_headers() {
	local out
	out=$(variant_dir "$1")
	do_source
	kmake "$out" headers_install INSTALL_HDR_PATH="$build/headers" >/dev/null
}

case "${1:-}" in
source) do_source ;;
config) do_source; do_config "${2:-normal}" ;;
build) do_build "${2:-normal}" ;;
headers) do_headers "${2:-normal}" ;;
hooks) do_hooks ;;
*) die "usage: $0 source | config VARIANT | build VARIANT | headers VARIANT | hooks" ;;
esac
