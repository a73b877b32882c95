#!/bin/sh
# run.sh: make bench.  Runs every t/bench/*.sh but this one (or those named
# in BENCH, e.g. BENCH="bus supervisor"), each printing rows
# "figure | ours | peer | ratio" and appending its figures to
# t/bench/results.json (a JSON array, started afresh here).  Absolute times
# drift on shared machines: read the ratios, measured in the same run.
set -u
cd "$(dirname "$0")/../.."
echo '[]' >t/bench/results.json
fail=0
if [ -n "${BENCH:-}" ]; then
	list=
	for b in $BENCH; do list="$list t/bench/$b.sh"; done
else
	list=$(ls t/bench/*.sh | grep -v '/run.sh$' | grep -v '/lib.sh$')
fi
for b in $list; do
	echo "== $(basename "$b" .sh)"
	sh "$b" || { echo "bench: $b failed (exit $?)" >&2; fail=1; }
done
echo "== results: t/bench/results.json"
exit $fail
