#!/bin/sh
# t2220: a second observer with the same identity (service id, hence
# transactional.id) fences the first: the first exits 111 saying it was
# fenced, the second carries on from the committed cursor, and a
# read_committed consumer sees every block once.  Both Kafka kinds; the dev
# broker fences nobody and shows aborted records: TODO there.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
kafka_require
# 8 per broker kind
plan $(($(kafka_kinds | wc -w) * 8))

check() {
	if [ "$1" = mock ] && [ -n "$5" ]; then
		is_todo "$2" "$3" "$1: $4" "$5"
	else
		is "$2" "$3" "$1: $4"
	fi
}
nofilter="mock 2.0.2 does not filter aborted records"
nofence="mock 2.0.2 does not fence an older producer of a transactional.id"
nextof() { sed -n 's/.* next=\([0-9]*\) .*/\1/p' "$1" 2>/dev/null; }

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	dn_start "$D/dn" -i 200ms -n 30 -s 5
	obs_conf "$D" alice "polling_interval = 50ms"
	obs_topics "$D"
	case $kind in mock) sess=4000 ;; *) sess=6000 ;; esac
	obs_start "$D" -X session.timeout.ms=$sess -X heartbeat.interval.ms=500
	pid1=$OBS_PID
	wait_for 30 sh -c "[ \"\$(sed -n 's/.* next=\([0-9]*\) .*/\1/p' \
	    '$D/run/observer.status')\" -gt 32 ]"
	ok $? "$kind: the first observer publishes at the tip"

	# the same identity, its own run_dir and stderr
	mkdir -p "$D/two"
	sed "s|^run_dir = .*|run_dir = $D/two/run|" "$D/coord.ini" \
	    >"$D/two/coord.ini"
	obs_start "$D/two" -X session.timeout.ms=$sess \
	    -X heartbeat.interval.ms=500
	pid2=$OBS_PID
	case $kind in mock) wt=5 ;; *) wt=30 ;; esac
	wait_for $wt sh -c "! kill -0 $pid1 || ps -o stat= -p $pid1 |
	    grep -q Z"
	stopped=$?
	[ $stopped = 0 ] || kill -KILL "$pid1"
	wait "$pid1" 2>/dev/null
	rc=$?
	check "$kind" "$stopped" 0 "the first observer stops once fenced" \
	    "$nofence"
	check "$kind" "$rc" 111 "... with exit code 111" "$nofence"
	check "$kind" "$(grep -c "fatal: fenced: another observer with transactional.id alice.observer" "$D/err")" \
	    1 "... saying it was fenced" "$nofence"
	n2=$(nextof "$D/two/run/observer.status")
	wait_for 30 sh -c "[ \"\$(sed -n 's/.* next=\([0-9]*\) .*/\1/p' \
	    '$D/two/run/observer.status')\" -gt $((${n2:-0} + 5)) ]"
	ok $? "$kind: the second carries on at the tip"
	like "$(cat "$D/two/err")" "resuming at block " \
	    "$kind: ... from the committed cursor"
	obs_stop "$pid2"
	is "$RC" 0 "$kind: the second stops on SIGTERM"
	last=$(nextof "$D/two/run/observer.status")
	obs_dump "$D" serai_observation >"$D/c.jsonl"
	check "$kind" "$(blocks "$D/c.jsonl" | md5sum)" \
	    "$(seq 0 $((last - 1)) | md5sum)" \
	    "read_committed: blocks 0..$((last - 1)) once each, in order" \
	    "$nofilter"
	kafka_stop "$kind"
done
done_testing
