#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The pool budgets (docs/pool-benchmark.md):
#
#   metadata          at most BUDGET_META bytes per GiB managed, also with
#                     every 2M block split into 4K frames (the worst case)
#   instructions      at most BUDGET_IR per operation in the core (callgrind,
#                     counting only inside bench_op_*(), less the userspace
#                     lock emulation), on a 1 GiB and on a 4 TiB pool
#   scaling           core instructions on 4 TiB at most BUDGET_RATIO times
#                     those on 1 GiB
#
#   run-bench.sh BENCH_BINARY          print the tables, then ops/s
#   run-bench.sh --check BENCH_BINARY  check the budgets: one TAP line each,
#                                      a kselftest "# Totals:" line, exit 1
#                                      if one is exceeded or valgrind is
#                                      missing
#
# The check uses only what is deterministic (metadata and instruction
# counts), never ops/s.  The budgets can be lowered from the environment to
# see the check fail, e.g. BUDGET_IR=300.

check=0
if [ "$1" = --check ]; then
	check=1
	shift
fi
bench=$1
ops="alloc4k free4k alloc2m free2m alloc1g free1g split claim merge query"
n=${BENCH_OPS:-4096}
budget_ir=${BUDGET_IR:-500}
budget_ratio=${BUDGET_RATIO:-1.2}
budget_meta=${BUDGET_META:-102400}
pass=0 fail=0 nr=0

# One TAP line for a budget: result NAME VALUE LIMIT (awk numbers).
result() {
	nr=$((nr + 1))
	if awk "BEGIN { exit !($2 <= $3) }"; then
		pass=$((pass + 1))
		[ $check -eq 0 ] || echo "ok $nr budget.$1: $2 <= $3"
	else
		fail=$((fail + 1))
		echo "not ok $nr budget.$1: $2 exceeds the budget $3"
	fi
}

totals() {
	echo "# budgets: $pass met, $fail exceeded"
	[ $check -eq 0 ] && return
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ $fail -eq 0 ] || exit 1
	exit 0
}

# Names this part of build/results/host.log (scripts/test-manifest).
[ $check -eq 0 ] || echo "# host-test: pool/tests/bench-check"
[ $check -eq 0 ] || echo "TAP version 13"
meta=$("$bench" meta) || { echo "not ok 1 budget.meta: $bench meta failed"; exit 1; }
echo "$meta" | sed "s/^/$([ $check -eq 0 ] || echo '# ')/"
# "    1 GiB          13848          79384"; 0: not built (too large).
# shellcheck disable=SC2086 # word splitting of the table on purpose
for gib_row in $(echo "$meta" | awk '$2 == "GiB" { print $1 "," $3 "," $4 }'); do
	IFS=, read -r gib unsplit split <<-EOF2
	$gib_row
	EOF2
	result "meta_${gib}g_unsplit" "$unsplit" "$budget_meta"
	[ "$split" = 0 ] || result "meta_${gib}g_split" "$split" "$budget_meta"
done

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	if [ $check -eq 1 ]; then
		echo "not ok $((nr + 1)) budget.instructions: valgrind not installed (scripts/deps.sh installs it)"
		fail=$((fail + 1))
		totals
	fi
	echo "# SKIP instruction counts: valgrind not installed"
else
	echo "# instructions per operation (callgrind; budget $budget_ir, ratio $budget_ratio)"
	echo "# total = everything under bench_op_*(); shim = the userspace"
	echo "# lock emulation in it (pthread locks + owner checks for"
	echo "# lockdep_assert_held(), self cost; a few atomics in a non-lockdep"
	echo "# kernel); core = total - shim"
	printf '# %-8s %8s %8s %8s %8s %8s %6s\n' op total1G shim1G core1G \
		total4T core4T ratio
	for op in $ops; do
		for gib in 1 4096; do
			out=$(mktemp)
			valgrind --tool=callgrind --callgrind-out-file="$out" \
				--toggle-collect="bench_op_$op" \
				"$bench" op "$gib" "$op" "$n" > "$out.log" 2>&1 || {
				sed 's/^/# /' "$out.log"
				echo "not ok $((nr + 1)) budget.$op: $bench op $gib $op failed"
				rm -f "$out" "$out.log"
				exit 1; }
			ops_run=$(sed -n 's/.*: \([0-9]*\) ops$/\1/p' "$out.log")
			ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
			shim=$(callgrind_annotate --auto=no "$out" 2>/dev/null |
				grep -E 'shim\.c:(spin_lock|spin_unlock|read_lock|read_unlock|lock_is_held|shim_map_acquire|shim_map_release) |:pthread_(mutex|rwlock|self|equal)|pthread_mutex_unlock_usercnt' |
				awk '{ gsub(",", "", $1); s += $1 } END { print s + 0 }')
			if [ -z "$ops_run" ] || [ "$ops_run" = 0 ] || [ -z "$ir" ]; then
				echo "not ok $((nr + 1)) budget.$op: no callgrind counts for $op on $gib GiB"
				rm -f "$out" "$out.log"
				exit 1
			fi
			if [ "$gib" = 1 ]; then
				ir_1=$((ir / ops_run)) shim_1=$((shim / ops_run))
			else
				ir_4t=$((ir / ops_run)) shim_4t=$((shim / ops_run))
			fi
			rm -f "$out" "$out.log"
		done
		core_1=$((ir_1 - shim_1)) core_4t=$((ir_4t - shim_4t))
		ratio=$(awk "BEGIN { printf \"%.2f\", $core_4t / $core_1 }")
		printf '# %-8s %8d %8d %8d %8d %8d %6s\n' "$op" "$ir_1" "$shim_1" \
			"$core_1" "$ir_4t" "$core_4t" "$ratio"
		result "${op}_1g" "$core_1" "$budget_ir"
		result "${op}_4t" "$core_4t" "$budget_ir"
		result "${op}_ratio" "$ratio" "$budget_ratio"
	done
fi
totals

"$bench" time 1
"$bench" time 4096
