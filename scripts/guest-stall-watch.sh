#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /bin/gpool-stall-watch FILE SECONDS [OUT] in the guest: while FILE (a
# benchmark's or a soak's output) stops growing for SECONDS, say what the
# machine is doing, to OUT (default: the console, /dev/console), every
# SECONDS until it grows again:
#
#   - every task that is running (R), in uninterruptible sleep (D), or
#     used CPU in the last 2 s: its name, state, wait channel and the CPU
#     time it used in those 2 s;
#   - the KVM counters of every VM that moved in those 2 s (exits, page
#     faults, I/O and hypercall exits: a vCPU that keeps faulting without
#     progress shows as pf_taken climbing with nothing else);
#   - the pool's free, zero and zeroing units of every node.
#
# scripts/guest-init.sh starts it for `make bench` and `make soak`; it
# stops when its parent does.  The kernel has no /proc/PID/stack
# (CONFIG_STACKTRACE is off), so wait channels are what there is.

file=$1 limit=${2:-300} out=${3:-/dev/console}
parent=$PPID
kvm=/sys/kernel/debug/kvm
pool=/sys/kernel/mm/gpool
counters="exits pf_taken pf_fixed pf_spurious pf_emulate pf_guest io_exits hypercalls irq_exits halt_exits insn_emulation remote_tlb_flush"

# "tid comm state utime+stime" of every task, one a line.
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
		echo "$tid $comm $1 $(($12 + $13))"
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
	while read -r tid comm state cpu; do
		before=$(awk -v t="$tid" '$1 == t { print $NF }' /tmp/stall.t0)
		used=$((cpu - ${before:-$cpu}))
		case $state in
		R|D) ;;
		*) [ "$used" -gt 0 ] || continue ;;
		esac
		wchan=$(cat "/proc/$tid/wchan" 2>/dev/null)
		echo "# stall: task $tid $comm state $state wchan ${wchan:-?} cpu +${used} ticks in 2 s"
	done < /tmp/stall.t1
	while read -r vm c v; do
		before=$(awk -v m="$vm" -v k="$c" '$1 == m && $2 == k { print $3 }' /tmp/stall.k0)
		[ "$v" != "${before:-$v}" ] && echo "# stall: vm $vm $c $before -> $v"
	done < /tmp/stall.k1
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
