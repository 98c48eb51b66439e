#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run host test binaries, echo their TAP output, add up their kselftest
# "# Totals:" lines (scripts/run-guest.py counts each binary's own), and
# fail if any binary failed, exited badly or printed no totals.  Exit 4
# is kselftest's "skipped".  Used by pool/tests and tools/poolctl.  Each
# binary's output starts with "# host-test: LABEL/BIN", the name
# scripts/test-manifest gives it.
#
#   [ARGS_<bin>="..."] run-ksft.sh LABEL DIR BIN...
#
# ARGS_<bin> gives one binary its arguments (pool/tests: the model test's
# seed and length).

label=$1 dir=$2
shift 2
pass=0 fail=0 skip=0 bad=0
for b in "$@"; do
	eval "args=\${ARGS_$b:-}"
	# shellcheck disable=SC2086 # args are words on purpose
	out=$("$dir/$b" $args 2>&1)
	rc=$?
	echo "# host-test: $label/$b"
	echo "$out"
	totals=$(echo "$out" | grep '^# Totals:' | tail -1)
	if [ -z "$totals" ]; then
		echo "# $b: no totals line (exit $rc)"
		bad=$((bad + 1))
		continue
	fi
	p=$(echo "$totals" | sed 's/.* pass:\([0-9]*\).*/\1/')
	f=$(echo "$totals" | sed 's/.* fail:\([0-9]*\).*/\1/')
	s=$(echo "$totals" | sed 's/.* skip:\([0-9]*\).*/\1/')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ $rc -ne 0 ] && [ $rc -ne 4 ]; then
		echo "# $b: exit $rc"
		bad=$((bad + 1))
	fi
done
echo "# $label: pass:$pass fail:$fail skip:$skip broken:$bad"
[ $fail -eq 0 ] && [ $bad -eq 0 ]
