#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, in the order that fails fastest.
#
#   1. userspace: the pool core under ASan+UBSan (unit, model, fuzz) and
#      checkpatch --strict over kernel/ and pool/          -> build/results/host.log
#   2. the test kernel (incremental, ccache)
#   3. the guest image (upstream KVM selftests, gpool selftests, tools)
#   4. the guest run: KUnit at boot, then every selftest
#
# The closing line counts all of them: "N passed, N failed, N skipped".
#
#   scripts/check.sh VARIANT RUN-GUEST-COMMAND...
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
variant=$1
shift
results=$top/build/results
mkdir -p "$results"
t0=$(date +%s)
phase() { echo "== $* ($(($(date +%s) - t0)) s)"; }

phase "userspace tests"
"$top/scripts/host-check.sh" 2>&1 | tee "$results/host.log" | grep -E '^(ok|not ok|host-check:|# Totals|# host-test:)'

phase "kernel ($variant)"
if ! "$top/scripts/kernel.sh" build "$variant"; then
	echo "check: the kernel did not build"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

phase "hooks without the pool (CONFIG_GPOOL=n)"
if ! "$top/scripts/kernel.sh" hooks; then
	echo "check: the hooked kernel files do not build without CONFIG_GPOOL"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

phase "guest image"
if ! "$top/scripts/guest-image.sh" "$variant"; then
	echo "check: the guest image did not build"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

phase "guest run"
"$@" --host-log "$results/host.log"
rc=$?
phase "done"
exit $rc
