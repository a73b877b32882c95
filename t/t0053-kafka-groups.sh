#!/bin/sh
# t0053: consumer groups with manual offset storing
# (enable.auto.offset.store=false): only the offsets a consumer stored are
# committed, and a restarted consumer resumes there; on the dev broker and on
# a real one.
. t/lib.sh
. t/lib-kafka.sh
kafka_require

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	"$BUSTEST" produce -b "$BOOTSTRAP" -t grp -n 10 2>"$T/p-$kind"
	ok $? "$kind: 10 records produced"
	got=$("$BUSTEST" consume -b "$BOOTSTRAP" -t grp -g G -s 4 \
	    2>"$T/c1-$kind")
	ok $? "$kind: a group consumer reads to the end"
	is "$(echo $got)" "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9" \
	    "$kind: it saw every record"
	is "$("$BUSTEST" committed -b "$BOOTSTRAP" -t grp -g G 2>&1)" 4 \
	    "$kind: only the 4 stored offsets are committed"
	# Restart: the new member resumes after the last stored offset.
	got=$("$BUSTEST" consume -b "$BOOTSTRAP" -t grp -g G -n 3 \
	    2>"$T/c2-$kind")
	ok $? "$kind: a restarted consumer joins the group"
	is "$(echo $got)" "m4 m5 m6" "$kind: it resumes at the first unstored record"
	is "$("$BUSTEST" committed -b "$BOOTSTRAP" -t grp -g G 2>&1)" 7 \
	    "$kind: its stored offsets are committed in turn"
	got=$("$BUSTEST" consume -b "$BOOTSTRAP" -t grp -g H -n 1 \
	    2>"$T/c3-$kind")
	is "$(echo $got)" "m0" "$kind: another group has offsets of its own"
	kafka_stop "$kind"
done

done_testing
