#!/bin/sh
# t0053: consumer groups with manual offset storing
# (enable.auto.offset.store=false): only the offsets a consumer stored are
# committed, and a restarted consumer resumes there; on the dev broker and on
# a real one.
. t/lib.sh
. t/lib-kafka.sh
kafka_require
# 8 per broker kind
plan $(($(kafka_kinds | wc -w) * 8))

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

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	bt produce -b "$BOOTSTRAP" -t grp -n 10 2>"$T/p-$kind"
	ok $? "$kind: 10 records produced"
	got=$(bt consume -b "$BOOTSTRAP" -t grp -g G -s 4 \
	    2>"$T/c1-$kind")
	ok $? "$kind: a group consumer reads to the end"
	is "$(echo $got)" "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9" \
	    "$kind: it saw every record"
	is "$(bt committed -b "$BOOTSTRAP" -t grp -g G 2>&1)" 4 \
	    "$kind: only the 4 stored offsets are committed"
	# Restart: the new member resumes after the last stored offset.
	got=$(bt consume -b "$BOOTSTRAP" -t grp -g G -n 3 \
	    2>"$T/c2-$kind")
	ok $? "$kind: a restarted consumer joins the group"
	is "$(echo $got)" "m4 m5 m6" "$kind: it resumes at the first unstored record"
	is "$(bt committed -b "$BOOTSTRAP" -t grp -g G 2>&1)" 7 \
	    "$kind: its stored offsets are committed in turn"
	got=$(bt consume -b "$BOOTSTRAP" -t grp -g H -n 1 \
	    2>"$T/c3-$kind")
	is "$(echo $got)" "m0" "$kind: another group has offsets of its own"
	kafka_stop "$kind"
done

done_testing
