#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tests that run on the development machine itself: the pool core's
# userspace harness (pool/tests), poolctl's parsing and output tests
# (tools/poolctl/tests) and checkpatch.  Each part prints kselftest
# "# Totals:" lines, which scripts/run-guest.py adds to the closing count.
# The last line is "host-check: exit N".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
# The harness uses the kernel tree's kselftest_harness.h and checkpatch.pl.
"$top/scripts/kernel.sh" source || { echo "host-check: exit 1"; exit 1; }
make -s -C "$top/pool/tests" KSRC="$top/build/src" check || rc=1
make -s -C "$top/tools/poolctl" KSRC="$top/build/src" check || rc=1
"$top/scripts/checkpatch.sh" || rc=1
echo "host-check: exit $rc"
exit $rc
