#!/bin/sh
# t9005: the demo's timeline over four validators on the dev broker (their
# signers, processor simulators and the connector emulation, as in t4010):
# started before the topics exist, it tells the set, the links, each
# session's party (the one the signers formed) and its completion on all
# four, and a summary whose counts are what happened; -J gives the records
# as JSON Lines.  With one processor silent and a session whose party needs
# it, it exits 1 at its deadline and names the session and who lacks it.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
TIMELINE=${TIMELINE:-$TOP/t/timeline/timeline}
[ -x "$TIMELINE" ] || skip_all "$TIMELINE not built: run make"
KAFKA_KINDS=mock
kafka_require
plan 34

V="alice bob carol dave"
SG_SIGNING="preprocess_timeout = 60s
share_timeout = 60s"

# tl_start DIR NAME [OPTS]: a timeline of DIR's four validators in the
# background; stdout DIR/NAME.out, stderr DIR/NAME.log, pid DIR/NAME.pid
tl_start() {
	_tld=$1
	_tln=$2
	shift 2
	"$TIMELINE" -X "bootstrap.servers=$BOOTSTRAP" "$@" \
	    "$_tld/alice/coord.ini" "$_tld/bob/coord.ini" \
	    "$_tld/carol/coord.ini" "$_tld/dave/coord.ini" \
	    >"$_tld/$_tln.out" 2>"$_tld/$_tln.log" &
	echo $! >"$_tld/$_tln.pid"
	track_pid $!
}

# tl_count DIR NAME REGEX: lines of the timeline matching REGEX
tl_count() { grep -Ec -- "$3" "$1/$2.out"; }

# tl_has DIR NAME REGEX N: at least N such lines
tl_has() { [ "$(tl_count "$1" "$2" "$3")" -ge "$4" ]; }

# party_sp DIR SIGNID: the party the signers formed, space separated
party_sp() { sg_party "$1" alice "$2" | tr ',' ' '; }

kafka_start mock
D=$T/ok
sg_net "$D" $V
# Before any topic exists: it must find them when they appear.
tl_start "$D" tl
sg_topics "$D" $V
for n in $V; do
	sg_signer "$D" "$n"
	sg_procsim "$D" "$n" -N 1
done
sg_relay "$D" $V

B=$(hex32)
sg_chain "$D" newset 1 1 "$B" $V
ok $? "NewSet published"
for b in 9 10 11; do sg_chain "$D" block "$b" "$B"; done
ids=
for i in 1 2; do
	id=$(hex32)
	ids="$ids $id"
	for n in $V; do
		sg_request "$D" "$n" 1 1 "$id" "$B" "payload $i"
	done
done
sg_chain "$D" -x 3 batch 1 5 "$B"
BA=$(sg_signid batch 1 5)
KG=$(sg_signid keygen 1 1)
all="$KG $ids $BA"
nsess=0
for id in $all; do
	nsess=$((nsess + 1))
	s=$(echo "$id" | cut -c1-16)
	for n in $V; do
		wait_for 60 sg_completed "$D" "$n" "$s" ||
		    diag "session $s did not complete on $n"
	done
done
wait_for 30 tl_has "$D" tl ' signed on 4/4 validators in [0-9]+ ms$' $nsess
ok $? "one 'signed on 4/4' line per session ($nsess)"

like "$(cat "$D/tl.out")" '^demo: \+[0-9]+\.[0-9]s ' "lines read 'demo: +S.Ss ...'"
is "$(grep -c '^demo: +[0-9.]*s key gen 1/Bitcoin signed on 4/4' \
    "$D/tl.out")" 1 "the key generation is named key gen 1/Bitcoin, once"
is "$(grep -c '^demo: +[0-9.]*s batch Bitcoin #5 signed on 4/4' \
    "$D/tl.out")" 1 "the batch is named batch Bitcoin #5, once"
for id in $ids; do
	s=$(echo "$id" | cut -c1-16)
	is "$(grep -c "processor request $s signed on 4/4" "$D/tl.out")" 1 \
	    "processor request $s: signed on 4/4, once"
done
like "$(grep 'batch Bitcoin #5 attempt 0: party' "$D/tl.out")" \
    "batch Bitcoin #5 attempt 0: party $(party_sp "$D" "$BA") \\(threshold 3 of 4\\)\$" \
    "the batch's party line names the party the signers formed"
is "$(grep -c 'attempt 0: party ' "$D/tl.out")" $nsess \
    "one party line per session"
is "$(grep 'key gen 1/Bitcoin attempt 0: party' "$D/tl.out" |
    sed 's/.*: party //;s/ (.*//' | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "alice bob carol dave " "the key generation's party is everyone"
like "$(grep 'key gen 1/Bitcoin attempt 0: party' "$D/tl.out")" \
    ' \(threshold 3 of 4\)$' "the key generation's threshold"
like "$(grep 'batch Bitcoin #5 attempt 0: preprocesses' "$D/tl.out")" \
    'preprocesses from 3/3 party members$' "the batch's preprocesses counted"
is "$(grep ' set 1/Bitcoin: ' "$D/tl.out" | sed 's/.*set 1\/Bitcoin: //')" \
    "$(echo $V | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//'), weights 1 1 1 1" \
    "the set line names the participants by their keys in [validator]"
for n in $V; do
	others=$(echo $V | tr ' ' '\n' | grep -v "^$n\$" | tr '\n' ' ')
	got=$(grep " links: $n -> " "$D/tl.out" | sed "s/.*links: $n -> //;s/ up\$//" |
	    tr ' ' '\n' | sort | tr '\n' ' ')
	is "$got" "$others" "links: $n -> the three others up"
done
like "$(grep ' finalized: ' "$D/tl.out" | tr '\n' ';')" \
    'finalized: NewSet 1/Bitcoin[;,].*Batch Bitcoin #5;' \
    "the blocks' events, in order"
is "$(grep ' finalized' "$D/tl.out" | grep -v ' finalized: ' |
    sed 's/.*s block //')" "10 finalized" \
    "a block without events: every tenth only"

# -J: the same topics as JSON Lines.
tl_start "$D" json -J
wait_for 30 grep -q '"type":"SIGN_COMPLETED"' "$D/json.out"
ok $? "-J: records as JSON Lines"
kill -TERM "$(cat "$D/json.pid")"
wait "$(cat "$D/json.pid")"
is $? 0 "-J: exit 0 on SIGTERM"
is "$(grep -vc '^{' "$D/json.out")" 0 "-J: nothing but JSON objects on stdout"

# -t: at the deadline (-p: the dev node is asked to pause; there is none
# here, which is only logged), every session counted is already complete.
# No dev node here, and none on the default address either: make check
# runs tests side by side, and t9000's demo has one on 127.0.0.1:9944
# (this timeline paused it).  Port 1 refuses.
printf '[observation]\nrpc_endpoint = http://127.0.0.1:1\n' \
    >>"$D/alice/coord.ini"
tl_start "$D" dl -t 12 -g 30 -p
wait "$(cat "$D/dl.pid")"
is $? 0 "-t: exit 0 at the deadline, every session complete"
like "$(cat "$D/dl.log")" 'timeline: warn(ing)?: dev_pause: ' \
    "-p: no dev node, a warning"

kill -TERM "$(cat "$D/tl.pid")"
wait "$(cat "$D/tl.pid")"
is $? 0 "SIGTERM: exit 0, every session complete"
is "$(tail -n 1 "$D/dl.out" | sed 's/signing p50.*p99 [0-9]* ms, //')" \
    "$(tail -n 1 "$D/tl.out" | sed 's/signing p50.*p99 [0-9]* ms, //')" \
    "-t: the same summary as the timeline that watched it happen"
sum=$(tail -n 1 "$D/tl.out")
like "$sum" '^demo: summary: ' "the last line is the summary"
nblk=$(sg_dump "$D" alice serai_observation |
    jq -r 'select(.type == "BLOCK_UPDATE") | .body.number' | sort -u |
    wc -l | tr -d ' ')
like "$sum" "blocks $nblk, sets 1, sessions $nsess started $nsess completed on 4/4, signing p50 [0-9]+ ms p99 [0-9]+ ms, key pairs on chain 0, archived alice=n/a bob=n/a carol=n/a dave=n/a, dead letters 0\$" \
    "the summary's counts are what happened"
ndlq=0
for n in $V; do
	ndlq=$((ndlq + $(sg_dump "$D" "$n" coordinator_dlq | wc -l)))
done
is "$ndlq" 0 "(no dead letters indeed)"
for n in $V; do kill -TERM "$(cat "$D/$n/signer.pid")" "$(cat "$D/$n/procsim.pid")"; done
kill -TERM "$(cat "$D/relay.pid")"
kafka_stop mock

# dave's processor never answers; a request whose party has dave in it
# cannot complete.
kafka_start mock
D=$T/silent
sg_net "$D" $V
sg_topics "$D" $V
for n in $V; do
	sg_signer "$D" "$n"
	if [ "$n" = dave ]; then
		sg_procsim "$D" "$n" -N 1 -s
	else
		sg_procsim "$D" "$n" -N 1
	fi
done
sg_relay "$D" $V
B=$(hex32)
while :; do
	id=$(hex32)
	sg_pyparty "$D" 1 "$B" "$id" 0 0 $V | grep -q dave && break
done
s=$(echo "$id" | cut -c1-16)
tl_start "$D" tl -t 600 -g 2
for n in $V; do
	sg_request "$D" "$n" 1 1 "$id" "$B" "stuck"
done
wait_for 60 grep -q "processor request $s attempt 0: party .*dave" "$D/tl.out"
ok $? "the stuck session's party line (with dave)"
kill -TERM "$(cat "$D/tl.pid")"
wait "$(cat "$D/tl.pid")"
is $? 1 "exit 1: a session did not complete"
like "$(grep 'incomplete: ' "$D/tl.out")" \
    "incomplete: processor request $s: no SignCompleted from alice bob carol dave\$" \
    "the incomplete session named, with who lacks it"
is "$(grep -c "processor request $s attempt 0: preprocesses" "$D/tl.out")" 0 \
    "no preprocess line: dave's preprocess never came"
like "$(tail -n 1 "$D/tl.out")" \
    '^demo: summary: .*sessions 1 started 0 completed on 4/4, signing p50 n/a ms' \
    "the summary counts it started, not completed"
done_testing
