#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build upstream Linux 7.2's KVM selftests, unmodified, from Debian
# unstable's linux-source-7.2, to run in the guest next to the 6.12 ones.
#
#   scripts/upstream-kvm.sh [TEST...]
#
# TEST is a program of 7.2's tools/testing/selftests/kvm, named as its
# Makefile names it (guest_memfd_test, x86/private_mem_conversions_test);
# scripts/guest-image.sh passes its kvm72_tests.  Without a TEST only the
# tree and its headers are made ready.  Each step is skipped when its
# output is already there, so a second run takes about a second:
#
#   fetch    linux-source-7.2 from unstable on the mirror the machine uses,
#            through a private apt configuration (build/up72/apt/): the
#            system's apt sources and lists are not touched.  The .deb is
#            kept in build/up72/deb/ and never downloaded again.
#   unpack   dpkg-deb -x, then only the parts of the tarball that
#            headers_install and the selftests need  -> build/up72/src
#   headers  the 7.2 tree's own make headers_install -> build/up72/headers
#   build    the 7.2 tree's own selftest Makefile and library, statically
#            linked                                  -> build/up72/kvm/TEST
#
# UP72_DEB_VERSION=V fetches that version of linux-source-7.2 instead of
# keeping whichever one is cached (unstable offers only its current one).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
up=$top/build/up72
pkg=linux-source-7.2
mirror=${UP72_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
log() { echo "  UP72    $*"; }
die() { echo "upstream-kvm.sh: $*" >&2; exit 1; }

# What headers_install (top Makefile, scripts/, the uAPI headers, x86's
# syscall tables) and the selftests (tools/: headers, lib/rbtree.c,
# build rules, selftests/kvm with lib.mk, rseq and cgroup/lib) read: 130 MB of
# the tarball's 1.6 GB.  A change here unpacks the tree again.
members=(Makefile scripts include arch/x86 usr
	 tools/include tools/arch/x86 tools/build tools/lib tools/testing/selftests)

apt_opts=(
	-q
	-o Dir::Etc::SourceList="$up/apt/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null
	-o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$up/apt/lists"
	-o Dir::Cache="$up/apt/cache"
	-o Acquire::Languages=none
)
# apt's download user (_apt) cannot write into root's build/: as root,
# download as root, as apt would anyway after a warning.
if [ "$(id -u)" -eq 0 ]; then
	apt_opts+=(-o APT::Sandbox::User=root)
fi

cached_deb() {
	local d
	for d in "$up/deb/${pkg}_"*_all.deb; do
		[ -e "$d" ] && echo "$d"
	done
	return 0
}

fetch() {
	local want=${UP72_DEB_VERSION:-} have
	have=$(cached_deb)
	if [ -n "$have" ] && { [ -z "$want" ] || [ "${have##*/}" = "${pkg}_${want}_all.deb" ]; }; then
		deb=$have
		return 0
	fi
	log "fetch $pkg${want:+=$want} from $mirror unstable"
	[ -r "$keyring" ] || die "$keyring missing: run scripts/deps.sh"
	mkdir -p "$up/apt/lists/partial" "$up/apt/cache/archives/partial"
	echo "deb [signed-by=$keyring] $mirror unstable main" > "$up/apt/sources.list"
	# --error-on=any: a mirror that cannot be reached is an error, not a
	# warning over the lists of last time.
	if ! apt-get "${apt_opts[@]}" update --error-on=any > "$up/apt/update.log" 2>&1; then
		cat "$up/apt/update.log" >&2
		die "apt-get update of unstable failed"
	fi
	rm -rf "$up/deb.tmp"
	mkdir -p "$up/deb.tmp"
	if ! (cd "$up/deb.tmp" && apt-get "${apt_opts[@]}" download "$pkg${want:+=$want}") \
			> "$up/apt/download.log" 2>&1; then
		cat "$up/apt/download.log" >&2
		rm -rf "$up/deb.tmp"
		die "cannot download $pkg${want:+=$want} from unstable"
	fi
	rm -rf "$up/deb"
	mv "$up/deb.tmp" "$up/deb"
	deb=$(cached_deb)
	[ -n "$deb" ] || die "apt-get download left no ${pkg}_*_all.deb"
	log "fetched ${deb##*/} ($(du -h "$deb" | cut -f1), $SECONDS s)"
}

unpack() {
	local stamp start=$SECONDS v
	stamp="${deb##*/} ${members[*]}"
	if [ -d "$up/src" ] && [ "$(cat "$up/src/.up72-stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	log "unpack ${deb##*/}"
	rm -rf "$up/src" "$up/src.tmp" "$up/pkg" "$up/headers" "$up/kvm"
	mkdir -p "$up/src.tmp"
	dpkg-deb -x "$deb" "$up/pkg"
	[ -f "$up/pkg/usr/src/$pkg.tar.xz" ] || die "${deb##*/} has no /usr/src/$pkg.tar.xz"
	# The tarball is xz in blocks: two threads decompress it in parallel.
	xz -T2 -dc "$up/pkg/usr/src/$pkg.tar.xz" |
		tar -C "$up/src.tmp" -x --strip-components=1 "${members[@]/#/$pkg/}"
	rm -rf "$up/pkg"
	v=$(make -s -C "$up/src.tmp" kernelversion)
	case "$v" in 7.2|7.2.*) ;; *) die "$pkg holds Linux $v, not 7.2" ;; esac
	echo "$stamp" > "$up/src.tmp/.up72-stamp"
	mv "$up/src.tmp" "$up/src"
	log "Linux $v in build/up72/src ($(du -sh "$up/src" | cut -f1), $((SECONDS - start)) s)"
}

headers() {
	local start=$SECONDS
	if [ "$(cat "$up/headers/.up72-stamp" 2>/dev/null)" = "$(cat "$up/src/.up72-stamp")" ]; then
		return 0
	fi
	log "headers_install"
	rm -rf "$up/headers" "$up/headers.tmp" "$up/obj"
	make -s -C "$up/src" O="$up/obj" ARCH=x86_64 -j"$(nproc)" \
		INSTALL_HDR_PATH="$up/headers.tmp" headers_install >/dev/null
	rm -rf "$up/obj"
	cp "$up/src/.up72-stamp" "$up/headers.tmp/.up72-stamp"
	mv "$up/headers.tmp" "$up/headers"
	log "headers in build/up72/headers ($((SECONDS - start)) s)"
}

build() {
	local start=$SECONDS stamp t targets=() vars
	for t in "$@"; do
		targets+=("$up/kvm/$t")
	done
	# As scripts/guest-image.sh builds 6.12's: naming the programs on the
	# command line (7.2's arch directory and variable are x86) replaces
	# the Makefile's long list; the uAPI headers are this tree's own.
	vars=(LDFLAGS=-static KHDR_INCLUDES="-isystem $up/headers/include"
	      OUTPUT="$up/kvm")
	# Objects of another tree or other flags are not reused.
	stamp="$(cat "$up/src/.up72-stamp") ${vars[*]}"
	vars+=(TEST_GEN_PROGS_x86="$*")
	if [ "$(cat "$up/kvm/.up72-stamp" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$up/kvm"
		mkdir -p "$up/kvm"
		echo "$stamp" > "$up/kvm/.up72-stamp"
	fi
	log "KVM selftests: $*"
	make -s -C "$up/src/tools/testing/selftests/kvm" -j"$(nproc)" \
		"${vars[@]}" "${targets[@]}" >/dev/null
	for t in "${targets[@]}"; do
		[ -x "$t" ] || die "${t#"$top"/} was not built"
	done
	log "ready: build/up72/kvm ($# programs, $((SECONDS - start)) s)"
}

fetch
unpack
headers
[ $# -eq 0 ] || build "$@"
