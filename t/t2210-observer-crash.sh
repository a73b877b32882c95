#!/bin/sh
# t2210: the observer killed with SIGKILL at random instants while it
# catches up a backlog (small batches: many transactions), restarted each
# time: a read_committed consumer sees every block exactly once, in order,
# and every event of interest once.  The dev broker does not filter aborted
# records (README), so there the checks are TODO; on the real broker they
# must pass.
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

# check KIND GOT WANT NAME MOCKGAP (as t0054's)
check() {
	if [ "$1" = mock ] && [ -n "$5" ]; then
		is_todo "$2" "$3" "$1: $4" "$5"
	else
		is "$2" "$3" "$1: $4"
	fi
}
nofilter="mock 2.0.2 does not filter aborted records"

N=1500
KILLS=6		# at most
for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	dn_start "$D/dn" -i 0 -n $N -s 11
	obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 8"
	obs_topics "$D"
	case $kind in mock) sess=4000 ;; *) sess=6000 ;; esac
	# Each run is killed at a random instant after it made progress:
	# the randomness is the point here, so a random delay after the
	# condition decides when (seeded, reported).
	seed=$(date +%s)
	diag "$kind: kill delays from seed $seed"
	case $kind in mock) span=0.1 ;; *) span=0.4 ;; esac
	delays=$(awk -v s="$seed" -v n=$KILLS -v m=$span 'BEGIN { srand(s);
	    for (i = 0; i < n; i++) printf "%.3f ", rand() * m }')
	killed=0
	last=0
	for d in $delays; do
		[ "$last" -gt $N ] && break	# all done already
		obs_start "$D" -X session.timeout.ms=$sess \
		    -X heartbeat.interval.ms=500
		wait_for 30 sh -c "n=\$(sed -n 's/.* next=\([0-9]*\) .*/\1/p' \
		    '$D/run/observer.status' 2>/dev/null); [ \"\${n:-0}\" -gt $last ]"
		sleep "$d"
		kill -KILL "$OBS_PID" 2>/dev/null && killed=$((killed + 1))
		wait "$OBS_PID" 2>/dev/null
		last=$(sed -n 's/.* next=\([0-9]*\) .*/\1/p' \
		    "$D/run/observer.status")
		diag "$kind: killed after block ${last:-?} was committed"
	done
	[ "$killed" -ge 3 ]
	ok $? "$kind: killed $killed times with SIGKILL while catching up"
	obs_start "$D" -X session.timeout.ms=$sess -X heartbeat.interval.ms=500
	wait_for 120 grep -q "next=$((N + 1)) " "$D/run/observer.status"
	ok $? "$kind: then caught up (next block $((N + 1)))"
	obs_stop "$OBS_PID"
	is "$RC" 0 "$kind: stopped"
	resumes=$(grep -c "resuming at block" "$D/err")
	[ "$resumes" -ge "$killed" ]
	ok $? "$kind: restarts resumed from a committed cursor ($resumes)"

	obs_dump "$D" serai_observation >"$D/c.jsonl"
	obs_dump "$D" serai_observation -U >"$D/u.jsonl"
	diag "$kind: read_uncommitted sees $(blocks "$D/u.jsonl" | wc -l)" \
	    "BlockUpdates, read_committed $(blocks "$D/c.jsonl" | wc -l)"
	check "$kind" "$(blocks "$D/c.jsonl" | md5sum)" \
	    "$(seq 0 $N | md5sum)" \
	    "read_committed: every block exactly once, in order" "$nofilter"
	check "$kind" "$(blocks "$D/c.jsonl" | sort -n | uniq | wc -l)" \
	    $((N + 1)) "no block lost" ""
	events "$D/c.jsonl" >"$D/got.ev"
	expected 0 $N >"$D/want.ev"
	check "$kind" "$(md5sum <"$D/got.ev")" "$(md5sum <"$D/want.ev")" \
	    "read_committed: every event of interest exactly once" "$nofilter"
	obs_dump "$D" coordinator_state >"$D/s.jsonl"
	check "$kind" "$(jq -r 'select(.type == "OBSERVER_CURSOR") |
	    .body.next_block' "$D/s.jsonl" | awk 'p != "" && $1 <= p { bad++ }
	    { p = $1 } END { print bad + 0 }')" 0 \
	    "committed cursors only move forward" "$nofilter"
	kafka_stop "$kind"
done
done_testing
