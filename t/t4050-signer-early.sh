#!/bin/sh
# t4050: messages for a session a coordinator has not formed yet are held
# (in its decision log, so a restart keeps them) and delivered to its
# processor once the session forms; the session then completes.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
KAFKA_KINDS=${KAFKA_KINDS:-mock}
kafka_require
# 11 per broker kind
plan $(($(kafka_kinds | wc -w) * 11))

V="alice bob carol dave"
SG_SIGNING="preprocess_timeout = 60s
share_timeout = 60s"

early_is() { [ "$(sg_status "$D" alice | awk '$1 == "early" { print $2 }')" = "$1" ]; }

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_up "$D" $V

	B=$(hex32)
	sg_id_with "$D" alice "$B" $V
	ID=$SG_ID p0=$SG_PARTY
	s=$(echo "$ID" | cut -c1-16)
	others=$(echo "$p0" | tr ',' '\n' | grep -v '^alice$' | tr '\n' ' ')
	# Everyone's processor asks but alice's.
	for n in bob carol dave; do
		sg_request "$D" "$n" 1 1 "$ID" "$B"
	done
	wait_for 60 early_is 2
	ok $? "$kind: alice holds the preprocesses of $others"
	for n in $others; do
		grep -q "session $s attempt 0: preprocess from $n held until the session forms" \
		    "$D/alice/signer.log"
		ok $? "$kind: alice's log: $n's preprocess held"
	done
	is "$(grep -c "^formed $s" "$D/alice/procsim.out")" 0 \
	    "$kind: alice's processor knows nothing yet"

	# A restart keeps them.
	kill -TERM "$(cat "$D/alice/signer.pid")"
	wait "$(cat "$D/alice/signer.pid")"
	ok $? "$kind: alice's signer stopped cleanly"
	sg_signer "$D" alice
	like "$(grep 'ready:' "$D/alice/signer.log" | tail -n 1)" \
	    ", 2 early message\\(s\\) from the log" \
	    "$kind: restarted with the two held messages"

	# Now alice's processor asks too: delivered, signed, completed.
	sg_request "$D" alice 1 1 "$ID" "$B"
	all=0
	for n in $V; do
		wait_for 60 sg_completed "$D" "$n" "$s" || all=1
	done
	ok $all "$kind: the session completed everywhere"
	like "$(grep "^completed $s" "$D/alice/procsim.out")" "attempt=0 " \
	    "$kind: at its first attempt"
	grep -q "^share $s attempt=0" "$D/alice/procsim.out"
	ok $? "$kind: alice's processor got the held preprocesses and shared"
	wait_for 30 early_is 0
	ok $? "$kind: nothing held any more"
	is "$(sg_reasons "$D" alice | wc -l | tr -d ' ')" 0 \
	    "$kind: nothing refused"
	kafka_stop "$kind"
done
done_testing
