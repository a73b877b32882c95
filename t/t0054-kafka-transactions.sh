#!/bin/sh
# t0054: transactions as the observer uses them (a block's events and its
# cursor in one transaction): commit and abort, read_committed consumers,
# and consume-transform-produce with send_offsets_to_transaction.  The mock
# cluster of librdkafka 2.0.2 lacks parts of this: those checks are TAP TODO
# on the dev broker (see t/devbroker/README) and must pass on a real one.
. t/lib.sh
. t/lib-kafka.sh
kafka_require
# 12 per broker kind
plan $(($(kafka_kinds | wc -w) * 12))

# bt: bustest with a group session as short as the broker takes: a real one
# 6 s at least; the mock holds a group its last member left for
# session.timeout.ms - 1 s before a restarted member gets in, and a member
# with a 2 s session never gets into a new group (README).
bt() {
	case $kind in
	mock) _s=4000 ;;
	*) _s=6000 ;;
	esac
	"$BUSTEST" "$@" -X session.timeout.ms=$_s -X heartbeat.interval.ms=500
}

# check KIND GOT WANT NAME MOCKGAP: a real broker must pass; on the dev
# broker a check the mock cannot pass is a TODO naming the gap.
check() {
	if [ "$1" = mock ] && [ -n "$5" ]; then
		is_todo "$2" "$3" "$1: $4" "$5"
	else
		is "$2" "$3" "$1: $4"
	fi
}

nofilter="mock 2.0.2 sends no aborted-transaction list in Fetch"
nooffsets="mock 2.0.2 does not store TxnOffsetCommit offsets"
for kind in $(kafka_kinds); do
	kafka_start "$kind"
	B=$BOOTSTRAP
	bt produce -b "$B" -t tx -x tx1 -n 3 -V c 2>"$T/p1-$kind"
	ok $? "$kind: a transaction of 3 records commits"
	bt produce -b "$B" -t tx -x tx1 -n 3 -V a -A 2>"$T/p2-$kind"
	ok $? "$kind: a transaction of 3 records (flushed) aborts"
	bt produce -b "$B" -t tx -x tx1 -n 3 -V d 2>"$T/p3-$kind"
	ok $? "$kind: a third transaction commits"
	got=$(bt consume -b "$B" -t tx -n 100 2>"$T/c1-$kind")
	check "$kind" "$(echo $got)" "c0 c1 c2 a0 a1 a2 d0 d1 d2" \
	    "read_uncommitted sees every record" ""
	got=$(bt consume -b "$B" -t tx -n 100 -r 2>"$T/c2-$kind")
	check "$kind" "$(echo $got)" "c0 c1 c2 d0 d1 d2" \
	    "read_committed hides the aborted records" "$nofilter"

	# consume-transform-produce, offsets in the transaction
	bt produce -b "$B" -t in -n 5 -V r 2>"$T/p4-$kind"
	got=$(bt relay -b "$B" -t in -o out -g RG -x rl -n 2 -A \
	    2>"$T/r1-$kind")
	ok $? "$kind: relay: a transaction with send_offsets_to_transaction aborts"
	check "$kind" "$(bt committed -b "$B" -t in -g RG 2>&1)" -1001 \
	    "an aborted transaction commits no offset" ""
	got=$(bt relay -b "$B" -t in -o out -g RG -x rl -n 3 \
	    2>"$T/r2-$kind")
	ok $? "$kind: relay: the same work again, committed"
	is "$(echo $got)" "R:r0 R:r1 R:r2" \
	    "$kind: after the abort the relay starts over from r0"
	check "$kind" "$(bt committed -b "$B" -t in -g RG 2>&1)" 3 \
	    "the committed transaction committed the group's offset" \
	    "$nooffsets"
	got=$(bt consume -b "$B" -t out -n 100 -r 2>"$T/c3-$kind")
	check "$kind" "$(echo $got)" "R:r0 R:r1 R:r2" \
	    "read_committed sees the committed output only" "$nofilter"
	got=$(bt relay -b "$B" -t in -o out -g RG -x rl -n 5 \
	    2>"$T/r3-$kind")
	check "$kind" "$(echo $got)" "R:r3 R:r4" \
	    "a restarted relay resumes after the committed offset" \
	    "$nooffsets"
	kafka_stop "$kind"
done

done_testing
