#!/bin/sh
# t9020: a peer down and back.  In the four-validator network (t9010),
# bob's connector is stopped while the chain goes on making sessions, and
# started again: the other connectors say bob is down while he is; the
# sessions of that time complete on all four once he is back (the signer
# re-attempts without him, or his messages are resent from the log);
# nothing is delivered twice to any processor: each protocol message
# reaches it once, each session completes once per validator.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
net_require
kafka_require
# 14 per broker kind
plan $(($(kafka_kinds | wc -w) * 14))

V="alice bob carol dave"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	NET_SIGNING="preprocess_timeout = 8s
share_timeout = 8s" net_make "$D" $V
	URL=http://$(cat "$D/rpc")/
	net_start "$D"
	net_wait 120 first_keygens "$D"
	ok $? "$kind: the network works (first key pairs on chain)"
	signing "$D" >"$D/signing.json"
	before=$(started "$D/signing.json" | wc -l)

	net_ctl "$D" stop bob.connector >/dev/null
	ok $? "$kind: bob's connector stopped"
	wait_for 30 peer_is "$D" alice bob 0
	ok $? "$kind: alice's connector says bob is down (coord_connector_peer_up)"
	net_wait 120 more_sessions "$D" $((before + 4))
	ok $? "$kind: sessions went on starting while bob was away"
	during=$(started "$D/signing.json")
	net_ctl "$D" start bob.connector >/dev/null
	ok $? "$kind: bob's connector started again"
	wait_for 60 peer_is "$D" alice bob 1
	ok $? "$kind: alice's connector has bob back"

	H=$(($(head_num) + 6))
	wait_for 60 head_at_least "$H"
	is "$(net_rpc "$D" dev_pause '[true]')" true \
	    "$kind: the dev node stops producing"
	net_wait 240 all_done "$D"
	ok $? "$kind: every session finished on all four," \
	    "$(started "$D/signing.json" | wc -l) sessions," \
	    "$(echo "$during" | wc -l) started before bob came back" \
	    "$(unfinished "$D/signing.json" | head -n 3 | tr '\n' ' ')"
	once_checks "$D" "$kind"
	ra=$(jq -r 'select(.type == "PARTY_FORMED" and .body.attempt
	    > 0) | .body.sign_id' "$D/signing.json" | sort -u | wc -l)
	diag "$kind: $ra sessions re-attempted"
	for n in $V; do
		ver=$(grep -E "^$n\\.procsim: completed .* verified=(yes|chain)" \
		    "$D/supervisor.log" | awk '{ print $3 }' | sort -u |
		    wc -l)
		is "$ver" "$(started "$D/signing.json" | wc -l)" \
		    "$kind: $n's processor verified every session's result"
	done
	net_stop "$D"
	kafka_stop "$kind"
done
done_testing
