#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run each poolctl host test binary, echo its TAP output (with its own
# kselftest "# Totals:" line, which scripts/run-guest.py adds up), and fail
# if any binary failed or printed no totals.
#
#   run-tests.sh OBJDIR BIN...

dir=$1
shift
pass=0 fail=0 skip=0 bad=0
for b in "$@"; do
	out=$("$dir/$b" 2>&1)
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
	if [ $rc -ne 0 ]; then
		echo "# $b: exit $rc"
		bad=$((bad + 1))
	fi
done
echo "# tools/poolctl: pass:$pass fail:$fail skip:$skip broken:$bad"
[ $fail -eq 0 ] && [ $bad -eq 0 ]
