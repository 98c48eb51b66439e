#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch --strict over every C file and header of kernel/ and pool/ (the
# userspace harness under pool/tests/ included) and over the patch series.
# One TAP line per file, then a kselftest "# Totals:" line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cp=$top/build/src/scripts/checkpatch.pl
[ -f "$cp" ] || "$top/scripts/kernel.sh" source >/dev/null || exit 1
cd "$top"
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
	'kernel/*.[ch]' 'pool/*.[ch]' | sort)
mapfile -t patches < <(ls kernel/patches/*.patch 2>/dev/null)
pass=0 fail=0 n=0
# Names this part of build/results/host.log (scripts/test-manifest).
echo "# host-test: checkpatch"
echo "TAP version 13"
echo "1..$((${#files[@]} + ${#patches[@]}))"
for f in "${files[@]}" "${patches[@]}"; do
	n=$((n + 1))
	# A patch is checked from outside any git tree: inside one,
	# checkpatch misreads the context lines of a Kconfig hunk.
	case "$f" in
	*.patch) mode=() dir=/ arg=$top/$f ;;
	*) mode=(-f) dir=$top arg=$f ;;
	esac
	ignore=SPDX_LICENSE_TAG,FILE_PATH_CHANGES
	# The userspace shim must define the kernel's own typedef names
	# (spinlock_t, rwlock_t) and attribute macros (__always_unused) that
	# pool/*.c use: the one exception.
	[ "$f" = pool/tests/shim/pool_internal.h ] &&
		ignore=$ignore,NEW_TYPEDEFS,PREFER_DEFINED_ATTRIBUTE_MACRO
	if out=$(cd "$dir" && perl "$cp" --no-tree --strict --quiet --show-types \
		 --ignore "$ignore" "${mode[@]}" "$arg" 2>&1); then
		echo "ok $n checkpatch: $f"
		pass=$((pass + 1))
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $n checkpatch: $f"
		fail=$((fail + 1))
	fi
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
