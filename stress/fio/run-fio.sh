#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gpool-fio-bench (stress/fio/run-fio.sh; busybox sh in the guest): fio
# over host mappings of 1 GiB of memory, issue 13 item 2.
#
#   gpool-fio-bench [-t SECONDS] [-r ROUNDS] [-b "BACKINGS"] [-j "JOBS"]
#
# The backings:
#
#   pool-1g     "pool 1G"     /gpool/1G: a shared pool guest_memfd, 1G units
#   pool-2m     "pool 2M"     /gpool/2M: the same with 2M units
#   gmem-4k     "gmem 4K"     /gpool/gmem: the kernel's page-cache guest_memfd
#   hugetlb-1g  "hugetlb 1G"  a file on hugetlbfs, pagesize=1G
#   hugetlb-2m  "hugetlb 2M"  a file on hugetlbfs, pagesize=2M
#   shmem-4k    "shmem 4K"    a file on tmpfs, huge=never (the baseline)
#   shmem-thp   "shmem THP"   a file on tmpfs, huge=always, if the kernel
#                             mounts one (else left out, not a failure)
#
# For each round (-r, 1), each job (-j: seq-read seq-write rand-read
# rand-write, the job files in /usr/share/gpool/fio) and each backing (-b),
# in that order, so that the backings of a job run back to back and drift
# hits all alike, one fio process runs: `fio --output-format=json JOB`
# with FIO_FILE, FIO_SIZE (1g) and FIO_RUNTIME (-t, 5 s), pinned with
# taskset to the first CPU of node GPOOL_FIO_NODE (0).  One round is the
# default: each run is itself thousands of timed I/Os (its percentiles),
# and a round takes minutes under TCG; more rounds repeat the whole
# sequence.  Pool memory is bound to the node (gpool_fio_shim.so,
# GPOOL_NUMA_BIND), tmpfs memory too (mpol=bind), the page-cache
# guest_memfd's comes from fio's CPU's node (first touch); hugetlb pages
# come from the boot reservation, which the kernel spread over the nodes
# (a 1 GiB file of 2M pages takes half from each node of the bench boot).
# Each run gets a new, empty file; its job file's unmeasured prefault job
# writes it once, then the measured job runs for 1 s of ramp and
# FIO_RUNTIME s.  Before each run the pool's background zeroer is let
# finish (it would compete for the CPUs), and after each run the pool's
# allocated and reserved units and its files must be as before the first.
#
# Output: one "@section" line, then per run
#   @fio-begin {"job":"rand-read","backing":"pool 1G","cond":"...","round":1}
#   <fio's JSON, as fio printed it>
#   @fio-end
# and fio's stderr after it as "# " lines (the shim's notes, among them the
# host mappings each pool file's faults made).  The measured job is
# jobs[0] of the JSON, named as the job; fio 3.33 lists an empty entry
# after it for the prefault job (stats=0).  Page faults of the measured
# job, after its ramp, are jobs[0].minf.
#
# fio runs with gpool_fio_shim.so preloaded for every backing: it names
# pool memory, and it gives fio the System V shared memory segment it
# cannot start without on a kernel without CONFIG_SYSVIPC (the guest's).
#
# Time: about 5 to 15 s per run under TCG (the prefault pass of 1 GiB is
# most of it with 4K pages), 28 runs per round: 5 minutes or so with the
# defaults.  The exit status is non-zero if any run failed; the other
# runs go on.  Every file is removed and every mount undone at the end.
#
# For a run outside the image: FIO, FIO_JOBS_DIR, GPOOL_FIO_SHIM, FIO_MNT
# and GPOOL_SYSFS say where fio, the job files, the shim, the mounts and
# the pool's sysfs are, and GPOOL_FIO_SHIM_BACKING=memfd (passed to the
# shim) backs /gpool/... with memfds where there is no pool.

FIO=${FIO:-/usr/bin/fio}
JOBS_DIR=${FIO_JOBS_DIR:-/usr/share/gpool/fio}
SHIM=${GPOOL_FIO_SHIM:-/usr/lib/gpool/gpool_fio_shim.so}
MNT=${FIO_MNT:-/mnt/gpool-fio}
RUNTIME=${FIO_RUNTIME:-5}
SIZE=${FIO_SIZE:-1g}
NODE=${GPOOL_FIO_NODE:-0}
ROUNDS=1
BACKINGS="pool-1g pool-2m gmem-4k hugetlb-1g hugetlb-2m shmem-4k shmem-thp"
JOBS="seq-read seq-write rand-read rand-write"
POOL_SYSFS=${GPOOL_SYSFS:-/sys/kernel/mm/gpool}
OUT=${TMPDIR:-/tmp}/gpool-fio.$$

while getopts "t:r:b:j:h" opt; do
	case $opt in
	t) RUNTIME=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	b) BACKINGS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

rc=0
fail() {
	echo "# gpool-fio-bench: FAILED: $*"
	rc=1
}

# Bytes of a fio-style size: digits and an optional k, m, g or t (binary).
bytes() {
	n=${1%[kKmMgGtT]}
	case $n in ''|*[!0-9]*) echo 0; return ;; esac
	case $1 in
	*[kK]) echo $((n << 10)) ;;
	*[mM]) echo $((n << 20)) ;;
	*[gG]) echo $((n << 30)) ;;
	*[tT]) echo $((n << 40)) ;;
	*) echo "$n" ;;
	esac
}

SIZE_BYTES=$(bytes "$SIZE")
[ "$SIZE_BYTES" -gt 0 ] || { echo "gpool-fio-bench: bad FIO_SIZE $SIZE" >&2; exit 2; }
case $RUNTIME in ''|*[!0-9]*) echo "gpool-fio-bench: bad -t $RUNTIME" >&2; exit 2 ;; esac
case $ROUNDS in ''|*[!0-9]*|0) echo "gpool-fio-bench: bad -r $ROUNDS" >&2; exit 2 ;; esac

# The first CPU of the node: fio and the memory it touches first, local.
CPU=$(sed 's/[-,].*//' "/sys/devices/system/node/node$NODE/cpulist" 2>/dev/null)
CPU=${CPU:-0}

label() {
	case $1 in
	pool-1g) echo "pool 1G" ;;
	pool-2m) echo "pool 2M" ;;
	gmem-4k) echo "gmem 4K" ;;
	hugetlb-1g) echo "hugetlb 1G" ;;
	hugetlb-2m) echo "hugetlb 2M" ;;
	shmem-4k) echo "shmem 4K" ;;
	shmem-thp) echo "shmem THP" ;;
	*) return 1 ;;
	esac
}

for b in $BACKINGS; do
	label "$b" > /dev/null || { echo "gpool-fio-bench: unknown backing $b" >&2; exit 2; }
done
for j in $JOBS; do
	[ -f "$JOBS_DIR/$j.fio" ] || { echo "gpool-fio-bench: no $JOBS_DIR/$j.fio" >&2; exit 2; }
done

# ---- the pool: zeroer and accounting ----

# Sum of one counter over every node and size.
pool_sum() {
	cat "$POOL_SYSFS"/node*/*/"$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

pool_state() {
	[ -d "$POOL_SYSFS" ] || return 0
	echo "allocated $(pool_sum allocated) reserved $(pool_sum reserved)" \
		"files $(cat "$POOL_SYSFS/nr_files")"
}

# Until no unit is being zeroed and, if the background zeroer runs (it
# can be stopped: background_zeroing 0), every free 1G and 2M unit is
# known zero (as stress/kvm/gpool_bench.c's wait_for_zeroer()); 2 min at
# most.
wait_zeroer() {
	[ -d "$POOL_SYSFS" ] || return 0
	bg=$(cat "$POOL_SYSFS/background_zeroing" 2>/dev/null || echo 1)
	i=0
	while [ $i -lt 1200 ]; do
		busy=0
		for d in "$POOL_SYSFS"/node*/1G "$POOL_SYSFS"/node*/2M; do
			[ "$(cat "$d/zeroing")" = 0 ] || busy=1
			[ "$bg" = 0 ] || [ "$(cat "$d/zero")" = "$(cat "$d/free")" ] ||
				busy=1
		done
		[ $busy = 0 ] && return 0
		usleep 100000
		i=$((i + 1))
	done
	echo "# gpool-fio-bench: the zeroer did not finish in 2 min"
}

# ---- mounts ----

mounted=""
cleanup() {
	for d in $mounted; do
		rm -f "$d/fio"
		umount "$d" || fail "umount $d"
		rmdir "$d"
	done
	mounted=""
	rmdir "$MNT" 2>/dev/null
	rm -f "$OUT.json" "$OUT.err"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mnt DIR TYPE OPTIONS: mount, remember for cleanup; 0 if mounted.
mnt() {
	mkdir -p "$1" || return 1
	if mount -t "$2" -o "$3" none "$1" 2> "$OUT.err"; then
		mounted="$mounted $1"
		return 0
	fi
	echo "# gpool-fio-bench: mount -t $2 -o $3: $(cat "$OUT.err")"
	rmdir "$1"
	return 1
}

# Free pages of a hugetlb size (kB): enough for the file, a whole number
# of them?
huge_enough() {
	f=/sys/kernel/mm/hugepages/hugepages-$1kB/free_hugepages
	ps=$(($1 * 1024))
	if [ $((SIZE_BYTES % ps)) != 0 ]; then
		echo "# gpool-fio-bench: $SIZE is not a whole number of $1 kB pages"
		return 1
	fi
	need=$((SIZE_BYTES / ps))
	have=$(cat "$f" 2>/dev/null || echo 0)
	[ "$have" -ge "$need" ] && return 0
	echo "# gpool-fio-bench: $have free hugetlb pages of $1 kB, $need needed"
	return 1
}

THP_MODE=$(sed -n 's/.*\[\(.*\)\].*/\1/p' \
	   /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null)

# Set up each backing: its file's directory and its conditions.  The
# backings that cannot be set up are dropped (a failure, but shmem THP).
ok_backings=""
for b in $BACKINGS; do
	case $b in
	pool-1g|pool-2m)
		if [ "$GPOOL_FIO_SHIM_BACKING" != memfd ] && [ ! -d "$POOL_SYSFS" ]; then
			fail "$(label "$b"): no pool ($POOL_SYSFS)"
			continue
		fi ;;
	hugetlb-1g)
		huge_enough 1048576 && mnt "$MNT/$b" hugetlbfs pagesize=1G ||
			{ fail "hugetlb 1G: cannot set up"; continue; } ;;
	hugetlb-2m)
		huge_enough 2048 && mnt "$MNT/$b" hugetlbfs pagesize=2M ||
			{ fail "hugetlb 2M: cannot set up"; continue; } ;;
	shmem-4k)
		mnt "$MNT/$b" tmpfs "size=$((SIZE_BYTES + (2 << 20))),huge=never,mpol=bind:$NODE" ||
			{ fail "shmem 4K: cannot mount tmpfs"; continue; } ;;
	shmem-thp)
		if ! mnt "$MNT/$b" tmpfs "size=$((SIZE_BYTES + (2 << 20))),huge=always,mpol=bind:$NODE"; then
			echo "# gpool-fio-bench: shmem THP left out: no huge=always tmpfs"
			continue
		fi ;;
	esac
	ok_backings="$ok_backings $b"
done

cond_of() {
	case $1 in
	pool-*) echo "node $NODE (bind)" ;;
	gmem-4k) echo "page cache, node $NODE (first touch)" ;;
	hugetlb-*) echo "boot-reserved pages, any node" ;;
	shmem-4k) echo "tmpfs huge=never mpol=bind:$NODE" ;;
	shmem-thp) echo "tmpfs huge=always mpol=bind:$NODE, shmem_enabled ${THP_MODE:-?}" ;;
	esac
}

file_of() {
	case $1 in
	pool-1g) echo /gpool/1G ;;
	pool-2m) echo /gpool/2M ;;
	gmem-4k) echo /gpool/gmem ;;
	*) echo "$MNT/$1/fio" ;;
	esac
}

# The project's guest runs under QEMU TCG: its times are not hardware's.
emu=""
grep -qi qemu /sys/devices/virtual/dmi/id/sys_vendor 2>/dev/null &&
	emu=", times emulated (QEMU)"
if [ $((SIZE_BYTES & ((1 << 30) - 1))) = 0 ]; then
	human="$((SIZE_BYTES >> 30)) GiB"
else
	human="$((SIZE_BYTES >> 20)) MiB"
fi
note="ioengine=mmap, 1 thread on cpu $CPU, a new $human file per run written"
note="$note once first (prefault job, not measured), ${RUNTIME} s after 1 s of ramp$emu"
names=""
for b in $ok_backings; do names="$names${names:+, }$(label "$b")"; done
fmt='@section {"section":"fio","title":"fio over host mappings of %s: %s",'
printf "$fmt"'"baseline":"shmem 4K","note":"%s"}\n' "$human" "$names" "$note"

pool_before=$(pool_state)
echo "# pool before: ${pool_before:-no pool}"

run() {
	job=$1 b=$2 round=$3
	lb=$(label "$b")
	file=$(file_of "$b")
	case $b in
	pool-*|gmem-*) ;;
	*) truncate -s "$SIZE_BYTES" "$file" || { fail "$job/$lb: truncate $file"; return; } ;;
	esac
	wait_zeroer
	taskset -c "$CPU" env LD_PRELOAD="$SHIM" FIO_FILE="$file" FIO_SIZE="$SIZE" \
		FIO_RUNTIME="$RUNTIME" GPOOL_FIO_SIZE="$SIZE_BYTES" GPOOL_FIO_NODE="$NODE" \
		"$FIO" --output-format=json "$JOBS_DIR/$job.fio" > "$OUT.json" 2> "$OUT.err"
	r=$?
	case $b in pool-*|gmem-*) ;; *) rm -f "$file" ;; esac
	if [ $r -eq 0 ] && [ -s "$OUT.json" ]; then
		printf '@fio-begin {"job":"%s","backing":"%s","cond":"%s","round":%d}\n' \
			"$job" "$lb" "$(cond_of "$b")" "$round"
		cat "$OUT.json"
		echo "@fio-end"
	else
		fail "$job/$lb: fio exited with $r"
	fi
	sed 's/^/# /' "$OUT.err"
	now=$(pool_state)
	[ "$now" = "$pool_before" ] || fail "$job/$lb: pool $now after, $pool_before before"
}

round=1
while [ $round -le "$ROUNDS" ]; do
	for job in $JOBS; do
		for b in $ok_backings; do
			run "$job" "$b" "$round"
		done
	done
	round=$((round + 1))
done

cleanup
exit $rc
