#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run each test binary, echo its TAP output, sum the kselftest "# Totals:"
# lines and fail if any binary failed or printed no totals.
#
#   run-tests.sh OBJDIR BIN... [-- MODEL_FLAGS]

dir=$1
shift
bins=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	bins="$bins $1"
	shift
done
[ "$1" = "--" ] && shift
model_flags="$*"

pass=0 fail=0 skip=0 bad=0
for b in $bins; do
	flags=
	[ "$b" = model_test ] && flags=$model_flags
	out=$("$dir/$b" $flags 2>&1)
	rc=$?
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
echo "# pool/tests: pass:$pass fail:$fail skip:$skip broken:$bad"
[ $fail -eq 0 ] && [ $bad -eq 0 ]
