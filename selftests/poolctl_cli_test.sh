#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # the cases and cleanup are called indirectly
#
# DESCRIPTION:
#	poolctl, gpool's administration CLI, reports what
#	/sys/kernel/mm/gpool/ reports, in its human, "name value" and JSON
#	forms, changes the pool through /dev/gpool, and exits 0 when it did
#	what was asked, 1 when the operation failed (nothing changed) and 2
#	for a usage error.
#
# STRATEGY:
#	1. Skip everything (exit 4) if there is no /sys/kernel/mm/gpool.
#	2. "show" succeeds and has a row for every node<N> directory of sysfs.
#	3. "stat" gives the same numbers as the sysfs files, for the counters
#	   that do not move while the system is idle (free, zero and zeroing
#	   do: the background zeroer moves units between them).
#	4. "--json" output of show, stat and files is one object: it starts
#	   with "{", ends with "}", its braces balance and it has the
#	   expected keys and one entry per node.
#	5. "files" and its alias "ps" succeed and list nr_files files.
#	5a. With a process holding two pool-backed guest_memfds open
#	   (gpool_hold_files), "files" lists both under its pid, and
#	   "--json files" is printed between "# json: begin poolctl-files"
#	   and "# json: end" lines for the host, which parses it with a
#	   real JSON parser and checks its fields (scripts/run-guest.py,
#	   JSON_CASES): busybox has none.
#	6. Without the control file (-d on a missing path) show and stat fall
#	   back to sysfs, say so, and agree with the control file.
#	7. "default-backing" prints the sysfs state, switches it both ways
#	   (sysfs follows) and ends with the original value.
#	7a. "zeroing" does the same with the background zeroer
#	   (background_zeroing).  Both print {"<sysfs name>": true|false}
#	   with --json.
#	8. Usage errors exit 2 and change nothing; --help, --version exit 0.
#	9. Default mode: "grow 0 1G" adds 1G to node0/nr_pages and
#	   "shrink 0 1G" takes it back.  nomap: both exit 1, saying why, and
#	   nr_pages does not move.
#	10. "shrink" of more than node 0 has exits 1 and changes nothing.
#
# Output is TAP: one line per case, "# " lines with the details of a
# failure.  Exit 0 if every case passed or skipped, 1 otherwise.
#
# Environment: POOLCTL (default poolctl), GPOOL_SYSFS (default
# /sys/kernel/mm/gpool), GPOOL_DEV (default /dev/gpool), so that the
# read-only cases can also run against a fake sysfs tree, and GPOOL_HOLD
# (default gpool_hold_files next to this script).

PC=${POOLCTL:-poolctl}
SYSFS=${GPOOL_SYSFS:-/sys/kernel/mm/gpool}
DEV=${GPOOL_DEV:-/dev/gpool}
KSFT_SKIP=4

HOLD=${GPOOL_HOLD:-$(dirname "$0")/gpool_hold_files}

CASES="case_show case_stat case_json case_files case_files_open case_fallback \
case_default_backing case_zeroing case_usage case_grow_shrink \
case_shrink_too_much"

tmp=$(mktemp -d /tmp/poolctl_cli_test.XXXXXX) || exit 1
out=$tmp/out
err=$tmp/err

# ---- ZTS-style helpers ----

log_note() { echo "# $*"; }

log_fail()
{
	echo "# FAIL: $*"
	case_failed=1
}

# Show the last command's output, indented, a few lines of each.
log_output()
{
	head -n 15 "$out" | sed 's/^/#   stdout: /'
	head -n 15 "$err" | sed 's/^/#   stderr: /'
}

# Run a command, its stdout in $out, its stderr in $err, its status in $rc.
run()
{
	"$@" > "$out" 2> "$err"
	rc=$?
}

# The command must succeed.
log_must()
{
	run "$@"
	[ "$rc" -eq 0 ] && return 0
	log_fail "'$*' exited $rc, expected 0"
	log_output
	return 1
}

# The command must fail (non-zero, not killed by a signal).
log_mustnot()
{
	run "$@"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && return 0
	log_fail "'$*' exited $rc, expected a failure"
	log_output
	return 1
}

# The command must exit with status $1.
log_mustexit()
{
	want=$1
	shift
	run "$@"
	[ "$rc" -eq "$want" ] && return 0
	log_fail "'$*' exited $rc, expected $want"
	log_output
	return 1
}

# $1 and $2 must be equal; $3 says what they are.
log_must_eq()
{
	[ "$1" = "$2" ] && return 0
	log_fail "$3: '$1', expected '$2'"
	return 1
}

# $1 (a file) must contain the fixed string $2.
log_must_grep()
{
	grep -qF -- "$2" "$1" && return 0
	log_fail "no '$2' in the output"
	log_output
	return 1
}

skip()
{
	skip_reason=$*
}

pc() { "$PC" -d "$DEV" -s "$SYSFS" "$@"; }

# The value of counter $1 in "stat" output file $2.
stat_val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# The node numbers of sysfs, one per line, ascending.
sysfs_nodes()
{
	for d in "$SYSFS"/node*; do
		[ -d "$d" ] || continue
		n=${d##*/node}
		case $n in ''|*[!0-9]*) continue ;; esac
		echo "$n"
	done | sort -n
}

# on or off, whatever the kernel wrote.
norm_bool()
{
	case $1 in
	1|on|yes|y|true|enable|enabled) echo on ;;
	0|off|no|n|false|disable|disabled) echo off ;;
	*) echo "unknown($1)" ;;
	esac
}

have_dev() { [ -c "$DEV" ] && [ "$(id -u)" -eq 0 ]; }

# Is process $1 alive: there, and not a zombie waiting for us?
running()
{
	state=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Balanced braces, and the first and last non-blank characters are { }.
json_object()
{
	first=$(tr -d ' \t\n' < "$1" | cut -c1)
	last=$(tr -d ' \t\n' < "$1" | sed 's/.*\(.\)$/\1/')
	opens=$(tr -cd '{' < "$1" | wc -c)
	closes=$(tr -cd '}' < "$1" | wc -c)
	[ "$first" = "{" ] && [ "$last" = "}" ] && [ "$opens" -eq "$closes" ]
}

# The stat lines that do not move on an idle system (see STRATEGY 3).
stable_stat()
{
	grep -v -e '\.free ' -e '\.zero ' -e '\.zeroing ' \
		-e '^metadata_bytes ' "$1"
}

# ---- cases ----

case_show()
{
	desc="show has a row for every sysfs node"
	log_must pc show || return
	grep -q "^mode  *$(cat "$SYSFS/mode")\$" "$out" ||
		log_fail "show does not say mode $(cat "$SYSFS/mode")"
	for n in $(sysfs_nodes); do
		grep -q "^$n  *[0-9]" "$out" || log_fail "no row for node $n"
		grep -q "^$n  *1G  " "$out" || log_fail "no 1G row for node $n"
	done
	[ -z "$(sysfs_nodes)" ] && log_fail "sysfs has no node directory"
	# With no argument, show is the default command.
	cp "$out" "$tmp/show"
	log_must pc || return
	log_must_eq "$(grep -c '' "$out")" "$(grep -c '' "$tmp/show")" \
		"lines of 'poolctl' and 'poolctl show'"
}

case_stat()
{
	desc="stat equals the sysfs files"
	log_must pc stat || return
	cp "$out" "$tmp/stat"
	sum=0
	for n in $(sysfs_nodes); do
		for f in nr_pages bad_pages poison_pending; do
			log_must_eq "$(stat_val "node$n.$f" "$tmp/stat")" \
				"$(cat "$SYSFS/node$n/$f")" "node$n.$f"
		done
		for s in 1G 2M 4K; do
			for f in total allocated reserved split; do
				log_must_eq "$(stat_val "node$n.$s.$f" \
					"$tmp/stat")" \
					"$(cat "$SYSFS/node$n/$s/$f")" \
					"node$n.$s.$f"
			done
		done
		sum=$((sum + $(cat "$SYSFS/node$n/nr_pages")))
	done
	log_must_eq "$(stat_val nr_pages "$tmp/stat")" "$sum" \
		"nr_pages (sum of the nodes)"
	if [ "$(cat "$SYSFS/mode")" = nomap ]; then nomap=1; else nomap=0; fi
	log_must_eq "$(stat_val nomap "$tmp/stat")" "$nomap" "nomap"
	if [ -f "$SYSFS/default_backing" ]; then
		log_must_eq "$(norm_bool "$(stat_val default_backing \
			"$tmp/stat")")" \
			"$(norm_bool "$(cat "$SYSFS/default_backing")")" \
			"default_backing"
	fi
	if [ -f "$SYSFS/background_zeroing" ]; then
		log_must_eq "$(norm_bool "$(stat_val background_zeroing \
			"$tmp/stat")")" \
			"$(norm_bool "$(cat "$SYSFS/background_zeroing")")" \
			"background_zeroing"
	fi
	# One node only.
	n=$(sysfs_nodes | tail -n 1)
	log_must pc stat "$n" || return
	grep -q "^node$n\." "$out" || log_fail "stat $n lacks node$n"
	grep -v "^node$n\." "$out" | grep -q '^node' &&
		log_fail "stat $n shows other nodes"
}

case_json()
{
	desc="--json output is one object with the expected keys"
	log_must pc --json show || return
	json_object "$out" || { log_fail "show --json: not one object"; log_output; }
	for k in '"mode":' '"nodes":' '"nr_pages":' '"metadata_bytes":' \
		 '"default_backing":' '"background_zeroing":' \
		 '"sizes":' '"1G":' '"2M":' '"4K":'; do
		log_must_grep "$out" "$k"
	done
	for n in $(sysfs_nodes); do
		log_must_grep "$out" "\"node\": $n,"
	done
	log_must pc stat -j || return
	json_object "$out" || { log_fail "stat -j: not one object"; log_output; }
	if have_dev; then
		log_must pc -j files || return
		json_object "$out" || { log_fail "files -j: not one object"; log_output; }
		log_must_grep "$out" '"files": ['
	fi
}

case_files()
{
	desc="files and ps list the open pool-backed guest_memfds"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	log_must pc files || return
	if grep -q '^ID ' "$out"; then
		rows=$(($(grep -c '' "$out") - 1))
	else
		log_must_grep "$out" "no pool-backed guest_memfd is open"
		rows=0
	fi
	if [ -f "$SYSFS/nr_files" ]; then
		log_must_eq "$rows" "$(cat "$SYSFS/nr_files")" "rows of files"
	fi
	cp "$out" "$tmp/files"
	log_must pc ps || return
	cmp -s "$out" "$tmp/files" || log_fail "ps differs from files"
}

case_files_open()
{
	desc="files lists the files a process holds open (the host parses the JSON)"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	nr0=$(cat "$SYSFS/nr_files")
	"$HOLD" "$tmp/ready" > "$tmp/hold.log" 2>&1 &
	holder=$!
	# Up to 30 s for the holder to get its files (not $i: main's).
	tenths=0
	while [ ! -e "$tmp/ready" ] && running "$holder" &&
	      [ "$tenths" -lt 300 ]; do
		sleep 0.1
		tenths=$((tenths + 1))
	done
	if [ ! -e "$tmp/ready" ]; then
		log_fail "$HOLD did not get its files open"
		sed 's/^/#   /' "$tmp/hold.log"
		return
	fi
	held=$(cat "$tmp/ready")
	log_must_eq "$(cat "$SYSFS/nr_files")" "$((nr0 + held))" \
		"nr_files with $held more held open"
	log_must pc files || return
	log_must_eq "$(awk -v p="$holder" '$2 == p' "$out" | grep -c '')" \
		"$held" "rows of files with pid $holder"
	log_must pc -j files || return
	echo "# json: begin poolctl-files pid=$holder files=$held"
	sed 's/^/# /' "$out"
	echo "# json: end"
	kill "$holder"
	wait "$holder" 2> /dev/null
	holder=
	log_must_eq "$(cat "$SYSFS/nr_files")" "$nr0" "nr_files after the holder"
}

case_fallback()
{
	desc="without the control file show and stat read sysfs and say so"
	log_must "$PC" -d "$tmp/no-such-device" -s "$SYSFS" show || return
	log_must_grep "$out" "read-only"
	log_must_grep "$out" "$tmp/no-such-device: No such file or directory"
	log_must "$PC" -d "$tmp/no-such-device" -s "$SYSFS" stat || return
	log_must_grep "$err" "note: read from $SYSFS"
	stable_stat "$out" | grep '^node' > "$tmp/stat-sysfs"
	if have_dev; then
		log_must pc stat || return
		stable_stat "$out" | grep '^node' > "$tmp/stat-dev"
		cmp -s "$tmp/stat-sysfs" "$tmp/stat-dev" ||
			log_fail "stat through sysfs and through $DEV differ"
	fi
}

# Switch $1 (the command: default-backing, zeroing), whose sysfs file and
# JSON key are $2 and whose change prints "$3: old -> new", to the other
# state and back, sysfs following; $4 names the variable that tells
# cleanup what to restore if a check fails half-way.
check_switch()
{
	cmd=$1 file=$2 name=$3 restore=$4
	log_must pc "$cmd" || return
	orig=$(cat "$out")
	case $orig in
	on) other=off json=true ;;
	off) other=on json=false ;;
	*) log_fail "$cmd printed '$orig'"; return ;;
	esac
	if [ -f "$SYSFS/$file" ]; then
		log_must_eq "$orig" "$(norm_bool "$(cat "$SYSFS/$file")")" \
			"$cmd vs sysfs"
	fi
	log_must pc -j "$cmd" || return
	log_must_grep "$out" "\"$file\": $json"
	eval "$restore=\$orig"
	log_must pc "$cmd" "$other" || return
	log_must_grep "$out" "$name: $orig -> $other"
	log_must pc "$cmd" && log_must_eq "$(cat "$out")" "$other" \
		"$cmd after switching"
	if [ -f "$SYSFS/$file" ]; then
		log_must_eq "$(norm_bool "$(cat "$SYSFS/$file")")" "$other" \
			"sysfs $file after switching"
	fi
	log_must pc "$cmd" "$orig" || return
	eval "$restore="
	log_must_grep "$out" "$name: $other -> $orig"
	log_must pc "$cmd" && log_must_eq "$(cat "$out")" "$orig" \
		"$cmd after restoring"
	if [ -f "$SYSFS/$file" ]; then
		log_must_eq "$(norm_bool "$(cat "$SYSFS/$file")")" "$orig" \
			"sysfs $file after restoring"
	fi
}

case_default_backing()
{
	desc="default-backing prints, switches and restores the state"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	check_switch default-backing default_backing "default backing" \
		restore_backing
}

case_zeroing()
{
	desc="zeroing prints, switches and restores the background zeroer"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	check_switch zeroing background_zeroing "background zeroing" \
		restore_zeroing
}

case_usage()
{
	desc="usage errors exit 2 and change nothing"
	n0=$(cat "$SYSFS/node0/nr_pages" 2>/dev/null)
	z0=$(cat "$SYSFS/background_zeroing" 2>/dev/null)
	log_mustexit 2 pc bogus
	log_mustexit 2 pc --bogus
	log_mustexit 2 pc -d
	log_mustexit 2 pc grow
	log_mustexit 2 pc grow 0
	log_mustexit 2 pc grow 0 1G extra
	log_mustexit 2 pc grow 0 1M
	log_mustexit 2 pc grow 0 0
	log_mustexit 2 pc grow 64 1G
	log_mustexit 2 pc grow 0 1.5G
	log_mustexit 2 pc grow 0 16E
	log_mustexit 2 pc shrink x 2M
	log_mustexit 2 pc shrink 0 1GB
	log_mustexit 2 pc stat 1-0
	log_mustexit 2 pc stat 64
	log_mustexit 2 pc show ""
	log_mustexit 2 pc files extra
	log_mustexit 2 pc zeroing maybe
	log_mustexit 2 pc zeroing off off
	log_mustexit 2 pc default-backing maybe
	log_mustexit 2 pc default-backing on off
	log_must_grep "$err" "Try 'poolctl --help'."
	log_must pc --help
	log_must_grep "$out" "default-backing"
	log_must_grep "$out" "zeroing [on|off]"
	log_must pc --version
	log_must pc help grow
	log_must_eq "$(cat "$SYSFS/node0/nr_pages" 2>/dev/null)" "$n0" \
		"node0/nr_pages after the usage errors"
	log_must_eq "$(cat "$SYSFS/background_zeroing" 2>/dev/null)" "$z0" \
		"background_zeroing after the usage errors"
}

case_grow_shrink()
{
	desc="grow 0 1G then shrink 0 1G restores node0 (nomap: both fail)"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	if [ ! -d "$SYSFS/node0" ]; then
		skip "node 0 has no pool memory"
		return
	fi
	before=$(cat "$SYSFS/node0/nr_pages")
	if [ "$(cat "$SYSFS/mode")" = nomap ]; then
		log_mustexit 1 pc grow 0 1G
		log_must_grep "$err" "nomap"
		log_mustexit 1 pc shrink 0 1G
		log_must_grep "$err" "nomap"
		log_must_eq "$(cat "$SYSFS/node0/nr_pages")" "$before" \
			"node0/nr_pages (nomap)"
		return
	fi
	log_must pc stat || return
	if [ "$(stat_val can_resize "$out")" != 1 ]; then
		# A kernel without CONFIG_CONTIG_ALLOC.
		log_mustexit 1 pc grow 0 1G
		log_must_grep "$err" "CONFIG_CONTIG_ALLOC"
		return
	fi
	size=1G pages=262144
	run pc grow 0 "$size"
	if [ "$rc" -eq 1 ] && grep -q "Cannot allocate memory" "$err"; then
		# The guest has no free, aligned GiB: the CLI still has to
		# work, with 2M.
		log_note "no free 1G block on node 0; growing by 2M instead"
		size=2M pages=512
		run pc grow 0 "$size"
	fi
	if [ "$rc" -ne 0 ]; then
		log_fail "'poolctl grow 0 $size' exited $rc"
		log_output
		return
	fi
	grown=$size
	log_must_grep "$out" "node 0: grew by"
	log_must_eq "$(cat "$SYSFS/node0/nr_pages")" "$((before + pages))" \
		"node0/nr_pages after grow 0 $size"
	log_must pc shrink 0 "$size" || return
	grown=
	log_must_grep "$out" "node 0: shrank by"
	log_must_eq "$(cat "$SYSFS/node0/nr_pages")" "$before" \
		"node0/nr_pages after shrink 0 $size"
}

case_shrink_too_much()
{
	desc="shrink of more than the pool exits 1 and changes nothing"
	if ! have_dev; then
		skip "no $DEV, or not root"
		return
	fi
	if [ ! -d "$SYSFS/node0" ]; then
		skip "node 0 has no pool memory"
		return
	fi
	log_must pc stat || return
	stable_stat "$out" > "$tmp/before"
	# nr_pages is a multiple of 512, so this is a multiple of 2M.
	mib=$(($(cat "$SYSFS/node0/nr_pages") / 256 + 1024))
	log_mustexit 1 pc shrink 0 "${mib}M"
	if [ "$(cat "$SYSFS/mode")" = nomap ]; then
		log_must_grep "$err" "nomap"
	else
		log_must_grep "$err" "memory in use or reserved"
	fi
	log_must pc stat || return
	stable_stat "$out" > "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after" || {
		log_fail "the counters changed"
		diff "$tmp/before" "$tmp/after" | head -n 10 | sed 's/^/#   /'
	}
}

# ---- main ----

restore_backing=
restore_zeroing=
grown=
holder=
cleanup()
{
	# Undo what a failed case left behind.
	[ -n "$holder" ] && kill "$holder" 2> /dev/null
	[ -n "$restore_backing" ] && pc default-backing "$restore_backing" \
		> /dev/null 2>&1
	[ -n "$restore_zeroing" ] && pc zeroing "$restore_zeroing" \
		> /dev/null 2>&1
	[ -n "$grown" ] && pc shrink 0 "$grown" > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

total=0
for c in $CASES; do total=$((total + 1)); done
echo "TAP version 13"
echo "1..$total"

if [ ! -d "$SYSFS" ]; then
	i=0
	for c in $CASES; do
		i=$((i + 1))
		echo "ok $i $c # SKIP no $SYSFS"
	done
	exit $KSFT_SKIP
fi
command -v "$PC" > /dev/null 2>&1 || {
	echo "# $PC not found"
	exit 1
}

i=0 failed=0
for c in $CASES; do
	i=$((i + 1))
	case_failed=0 skip_reason="" desc=$c
	$c
	if [ $case_failed -ne 0 ]; then
		echo "not ok $i - $desc"
		failed=$((failed + 1))
	elif [ -n "$skip_reason" ]; then
		echo "ok $i - $desc # SKIP $skip_reason"
	else
		echo "ok $i - $desc"
	fi
done
echo "# $((total - failed)) of $total passed or skipped"
[ $failed -eq 0 ] && exit 0
exit 1
