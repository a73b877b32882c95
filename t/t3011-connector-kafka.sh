#!/bin/sh
# t3011: two connectors on Kafka (the dev broker, and a real one in CI):
# P2pSend records on alice's p2p-outbound reach bob's p2p-inbound; alice
# stores a record's offset only once bob acknowledged it, so records she
# consumed while bob was down survive her SIGKILL: after a restart she
# consumes them again and bob gets them (a resent one may repeat on the
# bus: consumers drop duplicates by intent).
. t/lib.sh
. t/lib-kafka.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
need_cmd jq "jq reads the envelopes"
kafka_require
# 8 per broker kind
plan $(($(kafka_kinds | wc -w) * 8))
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
BUSPROBE=$TOP/t/busprobe/busprobe

KX="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
    -X max.poll.interval.ms=10000"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	rm -rf "$T/alice" "$T/bob"
	conn_setup alice "$(free_port)"
	conn_setup bob "$(free_port)"
	"$TOP/keygen/coord-keygen" -q -f "$T/bob/base.ini" busprobe \
	    >>"$T/bob/keys.txt"
	conn_config alice bob
	conn_config bob alice
	for v in alice bob; do
		printf '[topics]\np2p_outbound = %s-%s-out\np2p_inbound = %s-%s-in\n' \
		    "$kind" "$v" "$kind" "$v" >>"$T/$v/c.ini"
	done
	run() {
		# shellcheck disable=SC2086
		"$CONNECTOR" -f "$T/$1/c.ini" -X "bootstrap.servers=$BOOTSTRAP" \
		    $KX 2>>"$T/$1/err-$kind" &
		track_pid $!
		eval "PID_$1=\$!"
	}
	inbound() {
		"$BUSPROBE" -f "$T/bob/c.ini" -X "bootstrap.servers=$BOOTSTRAP" \
		    -t p2p_inbound -g "check$1" -c "$2" -w 60 recv 2>>"$T/probe-$kind"
	}
	run bob
	run alice
	"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 10 -t bob \
	    -b "$BOOTSTRAP" -T "$kind-alice-out"
	ok $? "$kind: 10 P2pSend records on alice's p2p-outbound"
	inbound 1 10 >"$T/in1-$kind.json"
	is "$(jq -r 'select(.type == "P2P_RECEIVED") | .body.validator' \
	    "$T/in1-$kind.json" | sort | uniq -c | tr -s ' ')" " 10 alice" \
	    "$kind: bob's p2p-inbound has 10 from validator alice"
	wait_for 10 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer bob .* queued=0 .*sent=10 acked=10'"
	ok $? "$kind: alice: 10 sent, 10 acknowledged" ||
	    "$CONNECTOR" -f "$T/alice/c.ini" -s | sed 's/^/# /'

	# bob down; alice consumes 10 more, cannot deliver, is killed
	kill -TERM "$PID_bob"
	wait "$PID_bob"
	"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 10 -f 100 \
	    -t bob -b "$BOOTSTRAP" -T "$kind-alice-out"
	wait_for 30 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer bob .* queued=10 '"
	ok $? "$kind: alice holds 10 for bob" ||
	    "$CONNECTOR" -f "$T/alice/c.ini" -s | sed 's/^/# /'
	kill -KILL "$PID_alice"
	wait "$PID_alice" 2>/dev/null
	run alice
	run bob
	inbound 2 20 >"$T/in2-$kind.json"
	is "$(jq -r 'select(.type == "P2P_RECEIVED") | .body.envelope' \
	    "$T/in2-$kind.json" | sort -u | wc -l | tr -d ' ')" 20 \
	    "$kind: after alice's SIGKILL and restart bob has all 20"
	diag "$kind: $(jq -r 'select(.type == "P2P_RECEIVED") | .body.envelope' \
	    "$T/in2-$kind.json" | wc -l | tr -d ' ') records for 20 envelopes" \
	    "(duplicates are dropped by intent downstream)"
	wait_for 30 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer bob .* queued=0 '"
	ok $? "$kind: alice's queue drained" ||
	    "$CONNECTOR" -f "$T/alice/c.ini" -s | sed 's/^/# /'
	kill -TERM "$PID_alice" "$PID_bob"
	wait "$PID_alice"
	ok $? "$kind: alice exits 0 on SIGTERM"
	! grep -q -E 'fatal|runtime error|Sanitizer' "$T/alice/err-$kind" \
	    "$T/bob/err-$kind"
	ok $? "$kind: nothing fatal" || show "$T/alice/err-$kind" "$T/bob/err-$kind"
	kafka_stop "$kind"
done
done_testing
