#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench` in the guest (/bin/gpool-bench-all): every benchmark of
# stress/, one after the other, in one boot.  Each prints its tables and
# the "@result" lines scripts/bench-report.py gathers into one report
# (stress/kvm/gpool_bench_util.h).  The exit status is the first failure's;
# a failing benchmark does not stop the others.
#
# The KVM programs are run by path: the KVM selftest library reads the
# guest code from argv[0].

# Arguments name the benchmarks to run (make bench BENCH='gpool_life_bench
# gpool-fio-bench'); none runs them all.  NAME:ARGS gives one its own
# arguments, commas for spaces (BENCH='gpool_life_bench:-p,storm,-r,3').
only="$*"
rc=0
run() {
	if [ -n "$only" ]; then
		found=
		for o in $only; do
			case $o in
			"${1#/bin/}") found=1 ;;
			"${1#/bin/}":*)
				found=1
				set -- "$1" $(echo "${o#*:}" | tr , ' ')
				;;
			esac
		done
		[ -n "$found" ] || return 0
	fi
	echo "@bench-begin $1"
	"$@"
	r=$?
	echo "@bench-end $1 $r"
	[ $r -eq 0 ] || [ $rc -ne 0 ] || rc=$r
}

echo "@host {\"kernel\":\"$(uname -r)\",\"cmdline\":\"$(cat /proc/cmdline)\",\"cpus\":$(nproc),\"memtotal_kb\":$(awk '/MemTotal/ {print $2}' /proc/meminfo)}"
# The fragmentation benchmark comes last: it churns the page cache and
# unmovable allocations on purpose, and THP after it would pay for that.
run /bin/gpool_numa_bench
run /bin/gpool-fio-bench
run /bin/gpool_bench
run /bin/gpool_memio_bench
run /bin/gpool_life_bench
run /bin/gpool_frag_bench
exit $rc
