#!/bin/sh
# t0056: a consumer killed (SIGKILL) and restarted is back at work at once.
# Every service consumes in a group of its own id with static membership
# (group.instance.id = the service id, libcommon/bus.c), so its successor
# takes the partitions back without waiting for the dead one's session to
# expire (session.timeout.ms, 45 s by default in librdkafka: without static
# membership the restarted consumer below gets nothing within its 20 s on a
# real broker).  The defaults are what is tested: no -X session.timeout.ms.
# The real broker only: the dev broker (librdkafka 2.0.2's mock cluster)
# ignores group.instance.id and, in a rebalance, waits max.poll.interval.ms
# (5 min by default) for a member that is gone, killed or cleanly closed
# alike (measured: no record within 70 s either way).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
kafka_require
BUSPROBE=$TOP/t/busprobe/busprobe
[ -x "$BUSPROBE" ] || skip_all "t/busprobe not built: run make"
case " $(kafka_kinds) " in
*" real "*) ;;
*) skip_chosen "KAFKA_KINDS=$(kafka_kinds) leaves out the real broker" ;;
esac
plan 5

C=$(coord_conf "$T/v" alice busprobe)
for kind in real; do
	kafka_start "$kind"
	X="-X bootstrap.servers=$BOOTSTRAP"
	[ "$kind" = real ] && "$BUSPROBE" -f "$C" $X topics 2>>"$T/$kind.log"

	# The first consumer: takes 3 records, commits, holds until killed.
	"$BUSPROBE" -f "$C" $X -w 60 recv -c 3 -S >"$T/$kind.a" \
	    2>"$T/$kind.a.err" &
	a=$!
	track_pid $a
	"$BUSPROBE" -f "$C" $X send 3 "first" 2>>"$T/$kind.log"
	wait_for 60 grep -q committed "$T/$kind.a.err"
	ok $? "$kind: the first consumer got 3 records and committed"
	is "$(grep -c first "$T/$kind.a")" 3 "$kind: the 3 first records"
	kill -KILL $a
	wait $a 2>/dev/null

	# Its successor, same service id: the 3 records sent after the kill,
	# within 20 s of its start (far below the 45 s session timeout).
	"$BUSPROBE" -f "$C" $X send 3 "second" 2>>"$T/$kind.log"
	t0=$(date +%s%N)
	"$BUSPROBE" -f "$C" $X -w 20 recv -c 3 >"$T/$kind.b" \
	    2>"$T/$kind.b.err"
	is $? 0 "$kind: the successor consumed within 20 s of its start"
	diag "$kind: the successor had its 3 records" \
	    "$(( ($(date +%s%N) - t0) / 1000000 )) ms after its start"
	is "$(grep -c second "$T/$kind.b")" 3 "$kind: the 3 records sent after the kill"
	is "$(grep -c first "$T/$kind.b")" 0 "$kind: none of the committed ones again"
	kafka_stop "$kind"
done
