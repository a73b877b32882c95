#!/bin/sh
# t4055: a processor's SignRequest for a validator set its signer has not
# seen yet (the chaos run of issue 12: a signer or observer restarted,
# behind its processor) is held, not refused: in the decision log, so a
# SIGKILL and restart keep it; once, however often it comes; started when
# the set's NewSet arrives, and the session completes everywhere.  A
# request for an unknown set below the highest known one is still refused
# at once (that set will never come); one held early_ttl is refused with
# the reason.  At the end of a stdio input, what is still held is refused,
# not lost.  On the dev broker and a real one.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
kafka_require
# 17 per broker kind, 3 on stdio
plan $(($(kafka_kinds | wc -w) * 18 + 3))

V="alice bob carol dave"
# No static set: sets come from the chain (chainsim's NewSet) only.
SG_STATIC=no
SG_SIGNING="preprocess_timeout = 60s
share_timeout = 60s"

# held_is N: alice's decision log holds N requests
held_is() {
	[ "$(sg_status "$D" alice | awk '$1 == "held" && NF == 2 { print $2 }')" = "$1" ]
}
held_ids() {
	sg_status "$D" alice | awk '$1 == "held" && NF > 2 { print $2, $3 }'
}
reason_in() { sg_reasons "$D" "$1" | grep -Eq -- "$2"; }
status_held() {
	"$SIGNER" -f "$D/alice/coord.ini" -s >"$T/status" 2>&1
	grep -q "^sessions known=.* held=1 " "$T/status" &&
	    grep -q "^held $ID set=1/1 for_ms=[0-9]*\$" "$T/status"
}

# stdio first: no broker, no decision log.
D=$T/stdio
sg_net "$D" $V
C=$D/alice/coord.ini
B=$(hex32)
sg_id_with "$D" alice "$B" $V	# alice's processor is told
ID=$SG_ID
"$PROCSIM" -q -f "$C" -o - -J -R 1 1 "$ID" "$B" >"$T/req.jsonl"
"$SIGNER" -q -f "$C" -i - -o - -J <"$T/req.jsonl" >"$T/out.jsonl" 2>"$T/err"
is "$(jq -r 'select(.type == "DEAD_LETTER") | .body.reason' "$T/out.jsonl")" \
    "session $(echo "$ID" | cut -c1-16): validator set 1/1 still unknown at the end of the input" \
    "stdio: a request for a set never announced: refused at the end of the input"
{
	cat "$T/req.jsonl"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 1 1 "$B" $V
} >"$T/in.jsonl"
"$SIGNER" -q -f "$C" -i - -o - -J <"$T/in.jsonl" >"$T/out.jsonl" 2>"$T/err"
ok $? "stdio: the signer ran to the end of its input"
is "$(jq -r 'select(.type == "PARTY_FORMED" or .type == "DEAD_LETTER") |
    "\(.type) \(.body.kind)"' "$T/out.jsonl" | sort | tr '\n' ';')" \
    "PARTY_FORMED SIGN_KEY_GEN;PARTY_FORMED SIGN_PROCESSOR;" \
    "stdio: the request, then its set: held, then its party formed"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_up "$D" $V

	# A sign id whose first party (set 1/1) has alice in it.
	B=$(hex32)
	sg_id_with "$D" alice "$B" $V
	ID=$SG_ID
	s=$(echo "$ID" | cut -c1-16)

	# Every processor asks for set 1/1 before any signer has seen it.
	for n in $V; do
		sg_request "$D" "$n" 1 1 "$ID" "$B"
	done
	wait_for 60 held_is 1
	ok $? "$kind: alice holds the request for set 1/1 (in her decision log)"
	grep -q "session $s (processor): set 1/1 not seen yet: held (1 held)" \
	    "$D/alice/signer.log"
	ok $? "$kind: alice's log says so"
	wait_for 30 status_held
	ok $? "$kind: alice's status (-s) shows it held"
	is "$(grep -c "^formed $s" "$D/alice/procsim.out")" 0 \
	    "$kind: alice's processor knows of no party yet"

	# SIGKILL: the held request is in the log, read back at the start.
	kill -KILL "$(cat "$D/alice/signer.pid")"
	wait "$(cat "$D/alice/signer.pid")" 2>/dev/null
	sg_signer "$D" alice
	like "$(grep 'ready:' "$D/alice/signer.log" | tail -n 1)" \
	    ", 1 request\\(s\\) held\$" \
	    "$kind: alice's signer restarted after SIGKILL with the held request"
	# The same request again (the restarted signer's dedupe set is
	# empty), then one for network 2, which has no set: held once.
	sg_request "$D" alice 1 1 "$ID" "$B"
	ID2=$(hex32)
	sg_request "$D" alice 2 1 "$ID2" "$B"
	wait_for 60 held_is 2
	ok $? "$kind: the request for set 2/1 held too"
	is "$(held_ids | sort)" "$(printf '%s set=1/1\n%s set=2/1\n' "$ID" "$ID2" |
	    sort)" "$kind: the request for 1/1 held once, however often it came"
	is "$(grep -c "session $s (processor): set 1/1 not seen yet: held" \
	    "$D/alice/signer.log")" 1 "$kind: held once in alice's log"

	# The set comes: the request starts everywhere, the session completes.
	sg_chain "$D" newset 1 1 "$B" $V
	all=0
	for n in $V; do
		wait_for 60 sg_completed "$D" "$n" "$s" || all=1
	done
	ok $all "$kind: the session completed on all four"
	grep -q "session $s: set 1/1 seen: its request, held [0-9]* ms, starts" \
	    "$D/alice/signer.log"
	ok $? "$kind: alice's log says it started"
	is "$(sg_count_type "$D" alice signing PARTY_FORMED "$(jhex "$ID")")" 1 \
	    "$kind: alice's processor told of the party once"
	wait_for 30 held_is 1
	ok $? "$kind: only the request for set 2/1 still held"

	# Set 1/0 is below set 1/1 and unknown: it will never come.
	ID3=$(hex32)
	sg_request "$D" alice 1 0 "$ID3" "$B"
	wait_for 30 reason_in alice \
	    "^session $(echo "$ID3" | cut -c1-16) \\(processor\\): validator set 1/0 unknown\$"
	ok $? "$kind: a request for an unknown set below the newest refused at once"
	is "$(held_ids | awk '{ print $2 }')" "set=2/1" \
	    "$kind: and not held"

	# early_ttl: the request for set 2/1, held since before the restart,
	# goes to the dead letters with the reason.
	kill -TERM "$(cat "$D/alice/signer.pid")"
	wait "$(cat "$D/alice/signer.pid")" 2>/dev/null
	sed -i 's/^\[signing\]$/[signing]\nearly_ttl = 2s/' "$D/alice/coord.ini"
	sg_signer "$D" alice
	wait_for 30 reason_in alice \
	    "^session $(echo "$ID2" | cut -c1-16): validator set 2/1 still unknown after [0-9]+ ms\$"
	ok $? "$kind: held early_ttl (2s): refused, with the reason"
	wait_for 30 held_is 0
	ok $? "$kind: nothing held any more"
	is "$(for n in bob carol dave; do sg_reasons "$D" "$n"; done | wc -l |
	    tr -d ' ')" 0 "$kind: bob, carol and dave refused nothing"
	# (The dev broker keeps no offsets committed in a transaction: a
	# restarted signer reads its inputs again, and refuses again, or holds
	# again what it had dropped.)
	is "$(sg_dump "$D" alice coordinator_dlq | jq -r \
	    'select(.body.topic | startswith("chain-observation")) |
	    .body.reason' | sed -E 's/after [0-9]+ ms/after N ms/' | sort -u |
	    wc -l | tr -d ' ')" 2 \
	    "$kind: of the requests, alice refused those two only"
	kafka_stop "$kind"
done
done_testing
