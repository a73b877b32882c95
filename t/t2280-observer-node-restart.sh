#!/bin/sh
# t2280: the Serai node restarts under the observer and comes back behind
# it (a node restored from older state, or still syncing), then catches up.
# Over a pipe (-o - -J: what is published is what comes out).  The observer
# keeps retrying while the node is down, says plainly that the node's
# finalized head went back and is behind its cursor, publishes nothing
# while the node is behind (no block twice, none out of order), and goes
# on from its cursor once the node has caught up: every block 0..N once,
# in order, with the events the node says they hold.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
plan 10

D=$T/restart
dn_start "$D/dn" -i 0 -n 30
addr=${URL#http://}
addr=${addr%%/*}
obs_conf "$D" alice "polling_interval = 100ms"
"$OBSERVER" -f "$D/coord.ini" -o - -J >"$D/out.jsonl" 2>"$D/err" \
    </dev/null &
pid=$!
track_pid $pid
wait_for 30 sh -c "[ \"\$(jq -r 'select(.type == \"BLOCK_UPDATE\")
    | .body.number' '$D/out.jsonl' | tail -n 1)\" = 30 ]"
is "$(blocks "$D/out.jsonl" | tail -n 1)" 30 "blocks up to the head (30) published"

# The node goes away; the observer keeps trying.
kill -KILL "$(cat "$D/dn/dn.pid")"
wait "$(cat "$D/dn/dn.pid")" 2>/dev/null
before=$(wc -l < "$D/err")
wait_for 20 sh -c "[ \$(wc -l < '$D/err') -gt $before ]"
ok $? "the node killed: the observer says so"
kill -0 $pid
ok $? "and stays up"

# Back on the same address, with 10 blocks: behind the observer's cursor.
"$DEVNODE" -a "$addr" -i 0 -n 10 >"$D/dn/dn2.out" 2>"$D/dn/dn2.err" \
    </dev/null &
track_pid $!
wait_for 20 grep -q "finalized head went back from 30 to 10" "$D/err"
ok $? "the node back at block 10: 'the finalized head went back' logged"
wait_for 20 grep -q "finalized head 10 is behind our cursor (next block 31)" \
    "$D/err"
ok $? "and 'behind our cursor (next block 31)'"
# While the node is behind, nothing is published: produce up to block 30
# and look again once the observer has polled that head.
rpc dev_produce '[20]' >/dev/null
is "$(head_num)" 30 "the node produced up to block 30 again"
n30=$(blocks "$D/out.jsonl" | wc -l)
rpc dev_produce '[5]' >/dev/null
wait_for 30 sh -c "[ \"\$(jq -r 'select(.type == \"BLOCK_UPDATE\")
    | .body.number' '$D/out.jsonl' | tail -n 1)\" = 35 ]"
ok $? "caught up: blocks up to 35 published"
is "$n30" 31 "nothing published while the node was behind"
is "$(blocks "$D/out.jsonl" | tr '\n' ' ')" "$(seq 0 35 | tr '\n' ' ')" \
    "every block 0..35 once, in order"
is "$(events "$D/out.jsonl")" "$(expected 0 35)" \
    "and their events, as the node has them"
