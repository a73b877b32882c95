#!/bin/sh
# t0120: the bus (libcommon/bus, svc) on Kafka, on the dev broker and on a
# real one: round trip, at-least-once across SIGKILL, transactions hidden
# from read_committed readers when aborted, duplicates by intent dropped,
# garbage to the dead-letter topic while the consumer goes on.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
kafka_require
# 24 per broker kind
plan $(($(kafka_kinds | wc -w) * 24))

C=$(coord_conf "$T/v" alice busprobe)
# A killed member holds its partitions until its session times out, and a
# rebalance waits up to max.poll.interval.ms for members to rejoin: keep
# both short (the brokers' minimum session is 6 s) so a restarted consumer
# gets its partitions back within the wait (-w 60, for loaded machines).
probe() {
	"$BUSPROBE" -f "$C" -X "bootstrap.servers=$BOOTSTRAP" -w 60 \
	    -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
	    -X max.poll.interval.ms=10000 "$@"
}
nofilter="mock 2.0.2 sends no aborted-transaction list in Fetch"
nocreate="mock 2.0.2 does not answer CreateTopics"
# check KIND GOT WANT NAME MOCKGAP: see t0054.
check() {
	if [ "$1" = mock ] && [ -n "$5" ]; then
		is_todo "$2" "$3" "$1: $4" "$5"
	else
		is "$2" "$3" "$1: $4"
	fi
}
seqs() { jq -r '.body.seq' | tr '\n' ' '; }

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	# Each kind gets its own topic names: [topics] in a copy of the file.
	K=$T/$kind.ini
	cp "$C" "$K"
	C0=$C
	C=$K

	probe -T signing send 3 rt 2>"$T/e1"
	ok $? "$kind: 3 envelopes sent"
	is "$(probe -g rt -c 3 recv 2>>"$T/e1" | seqs)" "1 2 3 " \
	    "$kind: received once each, in order (one key, one partition)"

	# At-least-once: killed before storing offsets -> redelivered.
	probe -T chain_observation send 3 kill 2>>"$T/e1"
	probe -t chain_observation -g kb -c 1 -H recv >"$T/kb1" 2>"$T/kb1e" &
	pid=$!
	track_pid $pid
	wait_for 30 grep -q held "$T/kb1e"
	ok $? "$kind: consumer got seq 1 and holds without storing"
	kill -KILL $pid
	wait $pid 2>/dev/null
	is "$(seqs <"$T/kb1")" "1 " "$kind: it saw seq 1"
	is "$(probe -t chain_observation -g kb -c 3 recv 2>>"$T/e1" | seqs)" \
	    "1 2 3 " "$kind: SIGKILL before storing: seq 1 redelivered"

	# ... and killed after storing and committing -> not redelivered.
	probe -t chain_observation -g ka -c 1 -S recv >"$T/ka1" 2>"$T/ka1e" &
	pid=$!
	track_pid $pid
	wait_for 30 grep -q committed "$T/ka1e"
	ok $? "$kind: consumer stored and committed seq 1"
	kill -KILL $pid
	wait $pid 2>/dev/null
	is "$(probe -t chain_observation -g ka -c 2 recv 2>>"$T/e1" | seqs)" \
	    "2 3 " "$kind: SIGKILL after commit: seq 1 not redelivered"

	# Transactions: an aborted one is invisible to read_committed.
	probe -T coordinator_state -A txn 3 aborted 2>"$T/tx"
	ok $? "$kind: a transaction of 3 aborted"
	probe -T coordinator_state txn 2 committed 2>>"$T/tx"
	ok $? "$kind: a transaction of 2 committed"
	check "$kind" "$(probe -t coordinator_state -g tc -c 2 recv \
	    2>>"$T/e1" | jq -r .body.text | tr '\n' ' ')" \
	    "committed committed " \
	    "read_committed sees only the committed records" "$nofilter"
	is "$(probe -t coordinator_state -g tu -U -c 5 recv 2>>"$T/e1" |
	    jq -r .body.text | sort | uniq -c | tr -s ' \n' '  ')" \
	    " 3 aborted 2 committed " \
	    "$kind: the aborted records were written (read_uncommitted)"

	# Replay (state rebuilt from a log): the topic from start to end.
	check "$kind" "$(probe -t coordinator_state replay 2>>"$T/e1" |
	    jq -r .body.text | tr '\n' ' ')" "committed committed " \
	    "replay reads a log to its end, committed records only" "$nofilter"
	is "$(probe -t signing replay 2>>"$T/e1" | jq -r .body.seq |
	    tr '\n' ' ')" "1 2 3 " "$kind: replay of signing: 1 2 3"
	is "$(probe -t chain_observation replay 2>>"$T/e1" | wc -l |
	    tr -d ' ')" 3 "$kind: replay ignores group offsets (all 3 again)"
	is "$(probe -t signer_nothing replay 2>&1 | grep -c fatal)" 1 \
	    "$kind: replay of an unknown topic key: refused"

	# Duplicates by intent are dropped (same text and seq, same intent).
	probe -T p2p_inbound send 3 dup 2>>"$T/e1"
	probe -T p2p_inbound send 3 dup 2>>"$T/e1"
	probe -T p2p_inbound send 1 last 2>>"$T/e1"
	is "$(probe -t p2p_inbound -g dd -c 4 recv 2>"$T/dd" |
	    jq -r '"\(.body.text)\(.body.seq)"' | tr '\n' ' ')" \
	    "dup1 dup2 dup3 last1 " "$kind: the second copies were dropped"

	# Garbage: to the dead-letter topic with a reason; the consumer goes on.
	printf 'garbage' | kcat -P -b "$BOOTSTRAP" -t p2p-outbound \
	    -k 'x>y' 2>>"$T/e1"
	probe -T p2p_outbound send 1 good 2>>"$T/e1"
	is "$(probe -t p2p_outbound -g gg -c 1 recv 2>"$T/gg" |
	    jq -r .body.text)" "good" "$kind: consumer went on past garbage"
	like "$(cat "$T/gg")" "rejected record p2p-outbound.*not an Envelope" \
	    "$kind: the rejection is logged with its reason"
	dl=$(probe -t coordinator_dlq -g dl -c 1 recv 2>>"$T/e1")
	is "$(echo "$dl" | jq -r .body.reason)" \
	    "not an Envelope (protobuf decode failed, 7 bytes)" \
	    "$kind: the dead letter says why"
	is "$(echo "$dl" | jq -r .body.value | sed 's/^0x//' | tr a-f A-F |
	    basenc --base16 -d)" "garbage" \
	    "$kind: the dead letter holds the record whole"
	is "$(echo "$dl" | jq -r '"\(.body.topic) \(.from)"')" \
	    "p2p-outbound alice.busprobe" "$kind: ... where it came from, who"

	# Topic creation for dev setups: every topic of [topics], 3 partitions.
	# (The mock cluster has no CreateTopics: it creates topics on first
	# use, with the dev broker's partition count.)
	probe topics 2>"$T/topics"
	check "$kind" "$?" 0 "create the suite's topics" "$nocreate"
	kcat -L -b "$BOOTSTRAP" -t serai-observation >"$T/md" 2>&1
	check "$kind" "$(grep -c 'topic "serai-observation" with 3 partitions' \
	    "$T/md")" 1 "serai-observation (unused so far) has 3 partitions" "$nocreate"
	probe topics 2>"$T/topics2"
	check "$kind" "$?" 0 "creating them again is harmless" "$nocreate"

	C=$C0
	kafka_stop "$kind"
done

done_testing
