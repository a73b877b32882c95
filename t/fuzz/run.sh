#!/bin/sh
# run.sh SECONDS FUZZER...: run each libFuzzer target for SECONDS, starting
# from its committed seeds (t/fuzz/corpus/NAME) in a scratch corpus.  A
# crash, leak or sanitizer report fails the run, with the reproducer kept
# in t/tmp/fuzz/NAME.  UndefinedBehaviorSanitizer's reports do not stop
# the fuzzer; a "runtime error" line in its log fails the target too.
set -u
secs=$1
shift
fail=0
n=0
echo "1..$#"
for f in "$@"; do
	n=$((n + 1))
	name=$(basename "$f")
	work=t/tmp/fuzz/$name
	rm -rf "$work"
	mkdir -p "$work/corpus"
	[ -d "t/fuzz/corpus/$name" ] && cp "t/fuzz/corpus/$name"/* \
	    "$work/corpus/" 2>/dev/null
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
	    >"$work/log" 2>&1 && ! grep -q 'runtime error' "$work/log"; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$work/log")
		echo "ok $n - $name: ${runs:-?} inputs in ${secs}s, no crash"
	else
		echo "not ok $n - $name: see $work/log"
		tail -n 30 "$work/log" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
