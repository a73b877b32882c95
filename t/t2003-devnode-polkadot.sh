#!/bin/sh
# The dev node checked with polkadot-js: its headers hash as polkadot-js
# hashes them, its V14 and V15 metadata parse (before and after a runtime
# upgrade), polkadot-js decodes every block's events exactly as the dev
# node's generator says it made them, and our decoder agrees with
# polkadot-js field by field.  @polkadot/api's ApiPromise reads it too.
. t/lib.sh
. t/scale/setup.sh
need_cmd jq "JSON"
DEVNODE=t/devnode/devnode
[ -x $DEVNODE ] && [ -x t/scale/evcheck ] || skip_all "build first: make"
plan 11

for m in 14 15; do
	$DEVNODE -a 127.0.0.1:0 -A "$T/url$m" -i 0 -n 60 -s $((m * 7)) \
	    -m $m -F upgrade=25 2>"$T/log$m" &
	track_pid $!
	wait_for 10 test -s "$T/url$m"
	ok $? "V$m: the dev node is up"
	api=
	[ $m = 14 ] && api=--api
	node t/scale/devnode-check.mjs "$(cat "$T/url$m")" 0 60 $api \
	    >"$T/check$m.jsonl" 2>"$T/check$m.err"
	ok $? "V$m: polkadot-js decodes 61 blocks as the generator made them"
	sum=$(tail -1 "$T/check$m.jsonl")
	[ "$(echo "$sum" | jq .nproblems)" = 0 ] ||
	    echo "$sum" | jq -r '.problems[]' | sed 's/^/#   /' | head -10
	tail -3 "$T/check$m.err" | sed 's/^/#   /'
	n=$(echo "$sum" | jq .events)
	diag "V$m: $n events"
	is "$(grep -c '"type":"metadata"' "$T/check$m.jsonl")" 2 \
	    "V$m: two runtimes (spec 1, then 2 after the upgrade)"
	t/scale/evcheck "$T/check$m.jsonl" >"$T/ev$m.out"
	ok $? "V$m: our decoder agrees with polkadot-js on all $n events"
	grep MISMATCH "$T/ev$m.out" | head -5
	t/scale/evcheck -m 5 "$T/check$m.jsonl" >/dev/null
	ok $? "V$m: an altered value is caught"
done
is "$(tail -1 "$T/check14.jsonl" | jq -c '[.api.specVersion, .api.chain]')" \
    '[2,"Serai Devnode"]' "@polkadot/api reads the dev node over HTTP"

done_testing
