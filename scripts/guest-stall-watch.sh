#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /bin/gpool-stall-watch FILE SECONDS [OUT] in the guest: while FILE (a
# test's, a benchmark's or a soak's output) stops growing for SECONDS, say
# what the machine is doing, to OUT (default: the console, /dev/console),
# every SECONDS until it grows again:
#
#   - every task that is running (R), in uninterruptible sleep (D), or
#     used CPU in the last 2 s: its name, state, wait channel, and the
#     user and system CPU time and the minor faults of those 2 s (a host
#     thread that faults again and again without progress shows as
#     faults climbing);
#   - the KVM counters of every VM that moved in those 2 s (exits, page
#     faults, I/O and hypercall exits: a vCPU that KVM keeps retrying
#     shows as pf_taken climbing with nothing else, one whose mapping KVM
#     finds present as pf_spurious climbing with it);
#   - the last KVM events of the trace buffer, if a test is tracing (the
#     race tests on the debug kernel);
#   - the pool's free, zero and zeroing units of every node.
#
# scripts/guest-init.sh starts it for every test of `make check`, for
# `make bench` and for `make soak`; it stops when its parent does or is
# killed.  The kernel has no /proc/PID/stack (CONFIG_STACKTRACE is off)
# and no SysRq, so wait channels are what there is.

file=$1 limit=${2:-300} out=${3:-/dev/console}
parent=$PPID
kvm=/sys/kernel/debug/kvm
pool=/sys/kernel/mm/gpool
trace=/sys/kernel/debug/tracing
counters="exits pf_taken pf_fixed pf_spurious pf_emulate pf_guest io_exits hypercalls irq_exits halt_exits insn_emulation remote_tlb_flush"

# "tid comm state utime stime minflt" of every task, one a line.
tasks() {
	for s in /proc/[0-9]*/task/[0-9]*/stat; do
		read -r line < "$s" 2>/dev/null || continue
		tid=${line%% *}
		comm=${line#*(}
		comm=${comm%)*}
		rest=${line##*) }
		set -- $rest
		# fields 3.. after the name: state ppid pgrp session tty tpgid
		# flags minflt cminflt majflt cmajflt utime stime
		echo "$tid $comm $1 $12 $13 $8"
	done
}

# "vm counter value" of every counter of every VM.
kvm_counters() {
	for d in "$kvm"/[0-9]*-[0-9]*; do
		[ -d "$d" ] || continue
		for c in $counters; do
			[ -r "$d/$c" ] && echo "${d##*/} $c $(cat "$d/$c")"
		done
	done
}

report() {
	tasks > /tmp/stall.t0
	kvm_counters > /tmp/stall.k0
	sleep 2
	tasks > /tmp/stall.t1
	kvm_counters > /tmp/stall.k1
	echo "# stall: $file has not grown for ${idle}s"
	while read -r tid comm state ut st flt; do
		set -- $(awk -v t="$tid" '$1 == t { print $4, $5, $6 }' /tmp/stall.t0)
		ut=$((ut - ${1:-$ut})) st=$((st - ${2:-$st})) flt=$((flt - ${3:-$flt}))
		# Not the watcher's own shell.
		[ "$comm" = gpool-stall-wat ] && continue
		case $state in
		R|D) ;;
		*) [ $((ut + st + flt)) -gt 0 ] || continue ;;
		esac
		wchan=$(cat "/proc/$tid/wchan" 2>/dev/null)
		echo "# stall: task $tid $comm state $state wchan ${wchan:-?} in 2 s: user +$ut system +$st ticks, +$flt faults"
	done < /tmp/stall.t1
	while read -r vm c v; do
		before=$(awk -v m="$vm" -v k="$c" '$1 == m && $2 == k { print $3 }' /tmp/stall.k0)
		[ "$v" != "${before:-$v}" ] && echo "# stall: vm $vm $c $before -> $v"
	done < /tmp/stall.k1
	if [ "$(cat "$trace/events/kvm/kvm_exit/enable" 2>/dev/null)" = 1 ] &&
	   [ "$(cat "$trace/tracing_on" 2>/dev/null)" = 1 ]; then
		echo "# stall: the last KVM events traced"
		grep -v '^#' "$trace/trace" | tail -n 40 | sed 's/^/# stall: trace: /'
	fi
	for n in "$pool"/node[0-9]*; do
		[ -d "$n" ] || continue
		for z in "$n"/*/; do
			[ -r "$z/free" ] || continue
			echo "# stall: ${n##*/} $(basename "$z") free $(cat "$z/free") zero $(cat "$z/zero" 2>/dev/null) zeroing $(cat "$z/zeroing" 2>/dev/null) allocated $(cat "$z/allocated" 2>/dev/null)"
		done
	done
	[ -r "$pool/background_zeroing" ] &&
		echo "# stall: background_zeroing $(cat "$pool/background_zeroing")"
}

size=-1 idle=0
while kill -0 "$parent" 2>/dev/null; do
	sleep 30
	now=$(wc -c < "$file" 2>/dev/null || echo 0)
	if [ "$now" != "$size" ]; then
		size=$now idle=0
		continue
	fi
	idle=$((idle + 30))
	[ $((idle % limit)) -eq 0 ] && report > "$out" 2>&1
done
