#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The call graph of the pool core between its files, and its layering.
#
# An edge X -> Y means that X.c refers to a function (or object) defined
# in Y.c, directly or through a static inline of a header it includes.
# The graph is read off the compiled objects with nm: what an object
# leaves undefined and another object of pool/ defines.  It fails if
#
#   - the graph has a cycle, or
#   - a file calls a file that is not in a lower layer, as written in
#     pool/README (between "Layers, lowest first" and the next blank line),
#     or a file of pool/ is missing from that list, or
#   - a file includes the header of a file not in a lower layer (X.h is X.c's
#     header): a static inline called from another file leaves no symbol, and
#     neither does a call through the policy table.
#
#   pool-layers.sh [-v] [OBJECT...]
#
# Without objects it compiles pool/*.c itself (against the userspace shim,
# into a temporary directory).  -v prints the graph even when it is fine.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# Names this part of build/results/host.log (scripts/test-manifest).
echo "# host-test: pool-layers"
verbose=0
if [ "${1:-}" = -v ]; then
	verbose=1
	shift
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

objs=("$@")
if [ ${#objs[@]} -eq 0 ]; then
	for src in "$top"/pool/*.c; do
		obj=$tmp/$(basename "$src" .c).o
		${CC:-cc} -std=gnu11 -O0 -w -I "$top/pool/tests/shim" \
			-I "$top/pool" -include "$top/pool/tests/shim/pool_internal.h" \
			-c "$src" -o "$obj" || exit 1
		objs+=("$obj")
	done
fi

# "module symbol" for every global definition and every undefined reference.
for obj in "${objs[@]}"; do
	mod=$(basename "$obj" .o)
	nm --defined-only -g "$obj" | awk -v m="$mod" 'NF == 3 { print m, $3 }'
done | sort -k2 > "$tmp/defs"
for obj in "${objs[@]}"; do
	mod=$(basename "$obj" .o)
	nm -u "$obj" | awk -v m="$mod" '{ print m, $NF }'
done | sort -k2 > "$tmp/uses"

# "caller callee function" for every reference across files.
join -1 2 -2 2 -o 1.1,2.1,0 "$tmp/uses" "$tmp/defs" |
	awk '$1 != $2' | sort -u > "$tmp/calls"
awk '{ print $1, $2 }' "$tmp/calls" | sort -u > "$tmp/edges"

print_graph() {
	echo "# pool/ call graph (caller -> callee: functions)"
	awk '{ k = $1 " -> " $2; f[k] = f[k] (f[k] ? " " : "") $3 }
	     END { for (k in f) print "#   " k ": " f[k] }' "$tmp/calls" | sort
}

fail=0

# A cycle: tsort wants "before after", i.e. callee first, lowest first.
{
	for obj in "${objs[@]}"; do
		m=$(basename "$obj" .o)
		echo "$m $m"
	done
	awk '{ print $2, $1 }' "$tmp/edges"
} > "$tmp/pairs"
if ! tsort "$tmp/pairs" > "$tmp/order" 2> "$tmp/loops"; then
	echo "pool-layers: the call graph of pool/ has a cycle:"
	grep -v 'input contains a loop' "$tmp/loops" | sed 's/^tsort: /  /'
	fail=1
fi

# The documented layering: every call must go down it.
awk '/^Layers, lowest first/ { on = 1; next }
     on && /^$/ { exit }
     on && $1 ~ /\.c$/ { sub(/\.c$/, "", $1); print $1 }' \
	"$top/pool/README" > "$tmp/layers"
for obj in "${objs[@]}"; do
	m=$(basename "$obj" .o)
	if ! grep -qx "$m" "$tmp/layers"; then
		echo "pool-layers: $m.c is not in the layering in pool/README"
		fail=1
	fi
done
awk 'NR == FNR { rank[$1] = FNR; next }
     ($1 in rank) && ($2 in rank) && rank[$2] >= rank[$1] {
	     print "pool-layers: " $1 ".c calls " $3 "() of " $2 \
		   ".c, which is not in a lower layer (pool/README)"
	     bad = 1
     }
     END { exit bad }' "$tmp/layers" "$tmp/calls" || fail=1

# Inline helpers leave no symbol to see: a file may also include only
# the headers of files below it (X.h belongs to X.c).
for f in "$top"/pool/*.[ch]; do
	m=$(basename "$f")
	m=${m%.?}
	sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f" |
		awk -v m="$m" -v f="${f#"$top"/}" '{ print m, $1, f }'
done > "$tmp/includes"
awk 'NR == FNR { rank[$1] = FNR; next }
     ($1 in rank) && ($2 in rank) && $1 != $2 && rank[$2] >= rank[$1] {
	     print "pool-layers: " $3 " includes " $2 ".h, but " $2 ".c is not in a layer below " \
		   $1 ".c (pool/README)"
	     bad = 1
     }
     END { exit bad }' "$tmp/layers" "$tmp/includes" || fail=1

if [ $fail -ne 0 ] || [ $verbose -eq 1 ]; then
	print_graph
fi
if [ $fail -ne 0 ]; then
	echo "not ok 1 pool-layers"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
echo "# layers, lowest first: $(tr '\n' ' ' < "$tmp/layers")"
echo "ok 1 pool-layers: no call cycle, every call goes down the layers"
echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
