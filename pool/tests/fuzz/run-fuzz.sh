#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the libFuzzer target for SECONDS, or print a SKIP line if
# clang cannot link -fsanitize=fuzzer (Debian: clang, libclang-rt-14-dev).
#
#   run-fuzz.sh CLANG SECONDS MAKE

clang=$1 secs=$2 make=$3
obj=obj
probe=$obj/fuzz-probe.c

mkdir -p $obj/fuzz-corpus
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' > $probe
if [ -z "$clang" ] || ! $clang -fsanitize=fuzzer $probe -o $obj/fuzz-probe 2>/dev/null; then
	echo "# SKIP fuzz: clang with libFuzzer not available"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
fi
$make -s CLANG="$clang" $obj/fuzz_ops || exit 1
echo "# fuzz_ops: $secs s, corpus $obj/fuzz-corpus"
if ./$obj/fuzz_ops -max_total_time="$secs" -max_len=4096 -timeout=20 \
	-print_final_stats=0 $obj/fuzz-corpus > $obj/fuzz.log 2>&1; then
	tail -2 $obj/fuzz.log
	echo "ok 1 fuzz_ops"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	tail -40 $obj/fuzz.log
	echo "not ok 1 fuzz_ops (crash input saved by libFuzzer, see $obj/fuzz.log)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
