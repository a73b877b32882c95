#!/bin/sh
# t3012: a peer that is down delays only itself.  alice keeps at most 5
# messages in memory per peer (max_queue = 5); carol is down while alice
# sends 30 messages to everyone.  bob gets all 30 at once; carol falls
# behind.  When carol comes up, alice reads carol's records back from the
# p2p-outbound log and carol gets all 30, in order, once.  Then carol is
# down again for 30 more, alice is SIGKILLed while carol is behind, and
# after the restart carol still gets everything: alice's stored offset
# never passed what carol still needed.  On the dev broker and a real one.
. t/lib.sh
. t/lib-kafka.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
need_cmd jq "jq reads the envelopes"
kafka_require
# 13 per broker kind
plan $(($(kafka_kinds | wc -w) * 13))
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
BUSPROBE=$TOP/t/busprobe/busprobe

KX="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
    -X max.poll.interval.ms=10000"

# seqs FILE: the message numbers of the P2P_RECEIVED records, in order
seqs() {
	jq -r 'select(.type == "P2P_RECEIVED") | .body.envelope' "$1" |
	    while read -r h; do
		printf '%s\n' "${h#0x}" | tr a-f A-F | basenc --base16 -d
		echo
	    done | grep -a -o 'message [0-9]* from' | awk '{print $2}'
}
# firsts: each number once, where it first came
firsts() {
	awk '!seen[$1]++'
}
status() {
	"$CONNECTOR" -f "$T/alice/c.ini" -s 2>/dev/null
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	rm -rf "$T/alice" "$T/bob" "$T/carol"
	conn_setup alice "$(free_port)"
	conn_setup bob "$(free_port)"
	conn_setup carol "$(free_port)"
	for v in bob carol; do
		"$TOP/keygen/coord-keygen" -q -f "$T/$v/base.ini" busprobe \
		    >>"$T/$v/keys.txt"
	done
	conn_config alice bob carol
	conn_config bob alice carol
	conn_config carol alice bob
	sed -i 's/^connect_timeout = 2s$/&\nmax_queue = 5/' "$T/alice/c.ini"
	for v in alice bob carol; do
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
	# inbound WHO GROUP COUNT: COUNT records of WHO's p2p-inbound
	# shellcheck disable=SC2086
	inbound() {
		"$BUSPROBE" -f "$T/$1/c.ini" -X "bootstrap.servers=$BOOTSTRAP" \
		    -X topic.metadata.refresh.interval.ms=500 $KX \
		    -t p2p_inbound -g "check$2" -c "$3" -w 90 recv \
		    2>>"$T/probe-$kind"
	}
	run bob
	run alice
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s 2>/dev/null |
	    grep -q 'peer bob .* connected'"
	"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 30 \
	    -b "$BOOTSTRAP" -T "$kind-alice-out"
	ok $? "$kind: 30 P2pSend records to everyone on alice's p2p-outbound"
	inbound bob 1 30 >"$T/bob1-$kind.json"
	is "$(seqs "$T/bob1-$kind.json" | firsts | tr '\n' ' ')" \
	    "$(seq 1 30 | tr '\n' ' ')" \
	    "$kind: bob got all 30 in order while carol is down"
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer bob .* queued=0 .*acked=30 '"
	ok $? "$kind: alice: bob acknowledged 30" || status | sed 's/^/# /'
	# carol's state goes between down and connecting (each redial) in
	# the status file rewritten every second: wait for a down turn.
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q '^peer carol .*down .* queued=5 behind=yes'"
	ok $? "$kind: carol: down, 5 in memory, the rest left in the log" ||
	    status | sed 's/^/# /'

	# carol comes up: alice reads the other 25 back for her
	run carol
	inbound carol 1 30 >"$T/carol1-$kind.json"
	is "$(seqs "$T/carol1-$kind.json" | firsts | tr '\n' ' ')" \
	    "$(seq 1 30 | tr '\n' ' ')" \
	    "$kind: carol got all 30, in order"
	is "$(seqs "$T/carol1-$kind.json" | wc -l | tr -d ' ')" 30 \
	    "$kind: carol got each once"
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer carol .* queued=0 behind=no .*acked=30 replayed=25 '"
	ok $? "$kind: alice: carol is live again, 25 read back from the log" ||
	    status | sed 's/^/# /'

	# carol down again; 30 more; alice killed while carol is behind
	kill -TERM "$PID_carol"
	wait "$PID_carol"
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer carol .* down'"
	"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 30 -f 31 \
	    -b "$BOOTSTRAP" -T "$kind-alice-out"
	inbound bob 2 60 >"$T/bob2-$kind.json"
	is "$(seqs "$T/bob2-$kind.json" | firsts | wc -l | tr -d ' ')" 60 \
	    "$kind: bob got the next 30 with carol down again"
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer carol .* queued=5 behind=yes'"
	ok $? "$kind: carol behind again" || status | sed 's/^/# /'
	# the offset alice stores must wait for carol
	wait_for 20 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer bob .* queued=0 .*acked=60 '"
	kill -KILL "$PID_alice"
	wait "$PID_alice" 2>/dev/null
	run alice
	run carol
	inbound carol 2 60 >"$T/carol2-$kind.json"
	is "$(seqs "$T/carol2-$kind.json" | firsts | tr '\n' ' ')" \
	    "$(seq 1 60 | tr '\n' ' ')" \
	    "$kind: after alice's SIGKILL carol still got all 60, in order"
	diag "$kind: carol's p2p-inbound: $(seqs "$T/carol2-$kind.json" |
	    wc -l | tr -d ' ') records for 60 messages (a resent one may" \
	    "repeat on the bus; consumers drop duplicates by intent)"
	wait_for 30 sh -c "'$CONNECTOR' -f '$T/alice/c.ini' -s |
	    grep -q 'peer carol .* queued=0 behind=no'"
	ok $? "$kind: alice: carol drained and live" || status | sed 's/^/# /'

	kill -TERM "$PID_alice" "$PID_bob" "$PID_carol"
	wait "$PID_alice"
	ok $? "$kind: alice exits 0 on SIGTERM"
	! grep -q -E 'fatal|runtime error|Sanitizer' "$T/alice/err-$kind" \
	    "$T/bob/err-$kind" "$T/carol/err-$kind"
	ok $? "$kind: nothing fatal" ||
	    show "$T/alice/err-$kind" "$T/bob/err-$kind" "$T/carol/err-$kind"
	kafka_stop "$kind"
done
done_testing
