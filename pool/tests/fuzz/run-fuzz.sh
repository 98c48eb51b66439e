#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the libFuzzer target for SECONDS.  libFuzzer first runs
# every input of the seed corpus kept in the tree (fuzz/corpus/, read
# only), then mutates them; the new inputs it finds go to a scratch
# corpus under obj/, never into the tree.  A crash input is saved under
# obj/ as well.
#
# The short run (make check) starts every time from the seed corpus alone,
# in an emptied obj/fuzz-short, so that it costs the same each time; the
# long run (make fuzz) keeps what earlier long runs found in
# obj/fuzz-corpus and reads it again.
#
# A missing compiler is a failure, not a skip: install clang and
# libclang-rt-14-dev (scripts/deps.sh does).
#
#   run-fuzz.sh CLANG SECONDS MAKE [short]

clang=$1 secs=$2 make=$3 mode=${4:-long}
# Names this part of build/results/host.log (scripts/test-manifest).
echo "# host-test: pool/tests/fuzz_ops"
obj=obj
seeds=fuzz/corpus
probe=$obj/fuzz-probe.c
scratch=$obj/fuzz-corpus

fail() {
	echo "not ok 1 fuzz_ops: $*"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
}

if [ "$mode" = short ]; then
	scratch=$obj/fuzz-short
	rm -rf $scratch
fi
mkdir -p $scratch
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' > $probe
if [ -z "$clang" ]; then
	fail "no clang-14 or clang in PATH (scripts/deps.sh installs clang and libclang-rt-14-dev)"
fi
if ! $clang -fsanitize=fuzzer $probe -o $obj/fuzz-probe > $obj/fuzz-probe.log 2>&1; then
	sed 's/^/# /' $obj/fuzz-probe.log
	fail "$clang cannot link -fsanitize=fuzzer (scripts/deps.sh installs libclang-rt-14-dev)"
fi
nr_seeds=$(find $seeds -type f | wc -l)
[ "$nr_seeds" -gt 0 ] || fail "seed corpus $seeds is empty"
$make -s CLANG="$clang" $obj/fuzz_ops || fail "build of $obj/fuzz_ops failed"
echo "# fuzz_ops: $secs s, seeds $seeds ($nr_seeds), new inputs $scratch"
if ./$obj/fuzz_ops -max_total_time="$secs" -max_len=4096 -timeout=20 \
	-print_final_stats=0 -artifact_prefix=$obj/ \
	$scratch $seeds > $obj/fuzz.log 2>&1; then
	grep -m1 'INITED' $obj/fuzz.log | sed 's/^/# /'
	tail -2 $obj/fuzz.log | sed 's/^/# /'
	echo "ok 1 fuzz_ops"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	tail -40 $obj/fuzz.log | sed 's/^/# /'
	fail "crash (input saved under $obj/ by libFuzzer, see $obj/fuzz.log)"
fi
