#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the gpool test guest (busybox).  The mode comes after "--" on the
# kernel command line:
#
#   -- check [SCALE [PATTERN...]]  run the tests of /tests/list that match
#                        every PATTERN, each with SCALE times its timeout
#                        (debug kernel); a PATTERN is a shell glob the name
#                        must match, or !GLOB, one it must not match
#   -- demo [ARGS...]    run /bin/gpool-demo ARGS
#   -- bench [NAMES...]  run every benchmark, or those named (stress/run-bench.sh,
#                        make bench BENCH=...)
#   -- soak [ARGS...]    run /bin/gpool_soak ARGS (make soak)
#   -- shell             interactive shell on the console
#
# ttyS0 carries the kernel log (and KUnit's KTAP); ttyS1 carries this
# runner's TAP stream, so neither can corrupt the other.  Like liburing's
# runtests.sh, a test fails when the kernel logs a splat while it runs, even
# if the test itself passed.  The host (scripts/run-guest.py) checks the
# whole console log again.

export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
hostname gpool-guest

out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
say() { echo "$*" > $out; }

# Patterns that turn a run red (kept in step with scripts/run-guest.py).
splat='WARNING:|BUG:|Oops|Call Trace|KASAN|new suspected memory leaks|'
splat="${splat}"'possible recursive locking|'
splat="${splat}"'possible circular locking|lockdep|UBSAN|general protection|Kernel panic|'
splat="${splat}"'blocked for more than|soft lockup'

run_one() {
	num=$1 name=$2 limit=$3
	shift 3
	say "# selftest: $name"
	echo "gpool-runner: begin $name" > /dev/kmsg
	dmesg -c > /dev/null
	start=$(date +%s)
	# A test whose output stops for 3 minutes (a freeze the runner will
	# kill at its limit) gets a stall report in its TAP stream.
	: > /tmp/test.out
	gpool-stall-watch /tmp/test.out 180 $out &
	watch=$!
	{ timeout -s KILL "$limit" "$@" 2>&1; echo $? > /tmp/rc; } |
		tee /tmp/test.out | sed 's/^/# /' > $out
	kill $watch 2>/dev/null
	wait $watch 2>/dev/null
	rc=$(cat /tmp/rc)
	secs=$(($(date +%s) - start))
	echo "gpool-runner: end $name rc=$rc" > /dev/kmsg
	dmesg > /tmp/klog
	if grep -Eq "$splat" /tmp/klog; then
		say "# kernel log while $name ran:"
		sed 's/^/#   /' /tmp/klog > $out
		say "not ok $num $name # kernel log has a splat (exit $rc, ${secs}s)"
		return
	fi
	case $rc in
	0) say "ok $num $name # ${secs}s" ;;
	4) say "ok $num $name # SKIP (${secs}s)" ;;
	137) say "not ok $num $name # TIMEOUT after ${limit}s" ;;
	*) say "not ok $num $name # exit $rc (${secs}s)" ;;
	esac
}

# The environment test runs first in every boot, whatever the patterns
# select: it checks that the guest, and the pool against the command line,
# are what the other tests assume (kept in step with scripts/run-guest.py).
first=gpool:gpool_env_test

# Does test $1 run: matching every glob of $patterns, and no !glob?
# Globbing is off while the patterns are split into words.
selected() {
	set -f
	for p in $patterns; do
		case $p in
		!*)
			case "$1" in ${p#!}) set +f; return 1 ;; esac
			;;
		*)
			case "$1" in $p) ;; *) set +f; return 1 ;; esac
			;;
		esac
	done
	set +f
	return 0
}

# Does test $1 run in the loop over /tests/list (the first test ran already)?
in_loop() {
	[ "$1" != "$first" ] && selected "$1"
}

run_tests() {
	scale=${1:-1}
	[ $# -gt 0 ] && shift
	# Tests that wait for the guest (gpool_soak) stretch their waits too.
	export GPOOL_TEST_SCALE=$scale
	patterns="$*"
	n=0
	while read -r name limit cmd; do
		if [ "$name" = "$first" ] || in_loop "$name"; then
			n=$((n + 1))
		fi
	done < /tests/list
	say "TAP version 13"
	say "1..$n"
	i=0
	while read -r name limit cmd; do
		[ "$name" = "$first" ] || continue
		i=$((i + 1))
		# shellcheck disable=SC2086 # cmd carries its arguments
		run_one $i "$name" $((limit * scale)) $cmd < /dev/null
	done < /tests/list
	while read -r name limit cmd; do
		in_loop "$name" || continue
		i=$((i + 1))
		# shellcheck disable=SC2086 # cmd carries its arguments
		run_one $i "$name" $((limit * scale)) $cmd < /dev/null
	done < /tests/list
	if [ -w /sys/kernel/debug/kmemleak ]; then
		# kmemleak only reports objects older than 5 s, after two scans.
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		if [ -s /sys/kernel/debug/kmemleak ]; then
			say "# kmemleak:"
			sed 's/^/#   /' /sys/kernel/debug/kmemleak > $out
			say "# gpool-runner: kmemleak found leaks"
		fi
	fi
	say "# gpool-runner: done"
}

mode=${1:-shell}
[ $# -gt 0 ] && shift
case $mode in
check)
	run_tests "$@"
	;;
demo)
	say "# gpool-demo $*"
	# Three times: a VM with private memory converted the 6.8 way
	# (attributes, punch, refill), the same converting in place
	# (KVM_SET_MEMORY_ATTRIBUTES2, -I), then an ordinary VM whose memory
	# is all shared guest_memfd mapped by the VMM (-O).
	{ gpool-demo "$@" 2>&1 && echo && gpool-demo -I "$@" 2>&1 && echo &&
	  gpool-demo -O "$@" 2>&1
	  echo $? > /tmp/rc; } > $out
	say "# gpool-runner: demo exit $(cat /tmp/rc)"
	;;
bench)
	# Every benchmark in one boot (stress/run-bench.sh).
	# A benchmark whose output stops for 3 minutes gets a stall report.
	gpool-stall-watch /tmp/bench.out 180 $out &
	{ /bin/gpool-bench-all "$@" 2>&1; echo $? > /tmp/rc; } | tee /tmp/bench.out > $out
	say "# gpool-runner: bench exit $(cat /tmp/rc)"
	;;
soak)
	say "# gpool_soak $*"
	gpool-stall-watch /tmp/soak.out 300 $out &
	{ /bin/gpool_soak "$@" 2>&1; echo $? > /tmp/rc; } | tee /tmp/soak.out > $out
	say "# gpool-runner: soak exit $(cat /tmp/rc)"
	;;
shell)
	echo "gpool guest shell: tests are in /tests (see /tests/list); 'poweroff -f' to leave."
	setsid cttyhack sh
	;;
*)
	say "# gpool-runner: unknown mode '$mode'"
	;;
esac
sync
poweroff -f
