#!/bin/sh
# t0052: the bus's producers are idempotent with acks=all: every record is
# acknowledged and stored once, in order, on the dev broker and on a real one.
. t/lib.sh
. t/lib-kafka.sh
kafka_require
# 5 per broker kind
plan $(($(kafka_kinds | wc -w) * 5))

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	"$BUSTEST" produce -b "$BOOTSTRAP" -t idem -n 200 -V i 2>"$T/p-$kind"
	ok $? "$kind: 200 records acknowledged (enable.idempotence, acks=all)"
	"$BUSTEST" consume -b "$BOOTSTRAP" -t idem -n 1000 >"$T/c-$kind" \
	    2>"$T/ce-$kind"
	ok $? "$kind: read back to the end of the partition"
	seq 0 199 | sed 's/^/i/' >"$T/want"
	cmp -s "$T/c-$kind" "$T/want"
	ok $? "$kind: each record once, in order ($(wc -l <"$T/c-$kind") read)"
	# A second producer session appends after the first: the broker
	# gave it a new producer id, no sequence clash.
	"$BUSTEST" produce -b "$BOOTSTRAP" -t idem -n 5 -V j 2>>"$T/p-$kind"
	ok $? "$kind: a second idempotent producer session"
	is "$("$BUSTEST" consume -b "$BOOTSTRAP" -t idem -n 1000 2>/dev/null |
	    tail -n 6 | tr '\n' ' ')" "i199 j0 j1 j2 j3 j4 " \
	    "$kind: its records follow the first session's"
	kafka_stop "$kind"
done

done_testing
