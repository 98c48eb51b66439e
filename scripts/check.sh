#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, in the order that fails fastest.
#
#   1. userspace: the pool core under ASan+UBSan (unit, model, fuzz) and
#      checkpatch --strict over kernel/ and pool/          -> build/results/host.log
#   2. the test kernels the boots need (incremental, ccache), one after
#      the other: normal, then debug (scripts/guest-runs gives each boot
#      its kernel; DEBUG=1 only the debug one); the hooks without the pool
#      after the first
#   3. the guest image (upstream KVM selftests, gpool selftests, tools):
#      one for every kernel, since it holds only userspace built from the
#      source tree and its uAPI headers
#   4. the guest runs: KUnit at boot, then every selftest, one boot per
#      line of scripts/guest-runs
#
# The closing line counts all of them: "N passed, N failed, N skipped".
#
#   scripts/check.sh RUN-GUEST-COMMAND...
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/results
mkdir -p "$results"
t0=$(date +%s)
phase() { echo "== $* ($(($(date +%s) - t0)) s)"; }
fail() {
	echo "check: $*"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

# The kernels this run boots (run-guest.py reads scripts/guest-runs).
mapfile -t kernels < <("$@" --list-kernels)
[ ${#kernels[@]} -gt 0 ] || fail "no kernel to boot (see the error above)"

phase "userspace tests"
"$top/scripts/host-check.sh" 2>&1 | tee "$results/host.log" | grep -E '^(ok|not ok|host-check:|# Totals|# host-test:)'

# Sequentially: two kernel builds at once would only fight over the cores.
for k in "${kernels[@]}"; do
	phase "kernel ($k)"
	"$top/scripts/kernel.sh" build "$k" || fail "the $k kernel did not build"
	if [ "$k" = "${kernels[0]}" ]; then
		phase "hooks without the pool (CONFIG_GPOOL=n)"
		"$top/scripts/kernel.sh" hooks ||
			fail "the hooked kernel files do not build without CONFIG_GPOOL"
	fi
done

phase "guest image"
"$top/scripts/guest-image.sh" "${kernels[0]}" || fail "the guest image did not build"

phase "guest run"
"$@" --host-log "$results/host.log"
rc=$?
phase "done"
exit $rc
