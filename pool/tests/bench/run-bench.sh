#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the pool budgets: metadata per GiB, instructions per operation
# (callgrind, counting only inside bench_op_*()) on a 1 GiB and a 4 TiB
# simulated pool with their ratio, and ops/s.
#
#   run-bench.sh BENCH_BINARY

bench=$1
ops="alloc4k free4k alloc2m free2m alloc1g free1g split claim merge query"
n=4096

$bench meta || exit 1

if ! command -v valgrind >/dev/null; then
	echo "# SKIP instruction counts: valgrind not installed"
else
	echo "# instructions per operation (callgrind; budget 500, ratio 1.2)"
	echo "# total = everything under bench_op_*(); shim = the userspace"
	echo "# lock emulation in it (pthread locks + owner checks for"
	echo "# lockdep_assert_held(), self cost; a few atomics in a non-lockdep
# kernel);"
	echo "# core = total - shim"
	printf '%-8s %8s %8s %8s %8s %8s %6s\n' op total1G shim1G core1G \
		total4T core4T ratio
	for op in $ops; do
		line="$op"
		for gib in 1 4096; do
			out=$(mktemp)
			valgrind --tool=callgrind --callgrind-out-file="$out" \
				--toggle-collect="bench_op_$op" \
				$bench op $gib $op $n > "$out.log" 2>&1 || {
				cat "$out.log"; exit 1; }
			ops_run=$(sed -n 's/.*: \([0-9]*\) ops$/\1/p' "$out.log")
			ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
			shim=$(callgrind_annotate --auto=no "$out" 2>/dev/null |
				grep -E 'shim\.c:(spin_lock|spin_unlock|read_lock|read_unlock|lock_is_held|shim_map_acquire|shim_map_release) |:pthread_(mutex|rwlock|self|equal)|pthread_mutex_unlock_usercnt' |
				awk '{ gsub(",", "", $1); s += $1 } END { print s + 0 }')
			eval "ir_$gib=$((ir / ops_run))"
			eval "shim_$gib=$((shim / ops_run))"
			rm -f "$out" "$out.log"
		done
		printf '%-8s %8d %8d %8d %8d %8d %6s\n' $op $ir_1 $shim_1 \
			$((ir_1 - shim_1)) $ir_4096 $((ir_4096 - shim_4096)) \
			$(awk "BEGIN { printf \"%.2f\", $ir_4096 / $ir_1 }")
	done
fi

$bench time 1
$bench time 4096
