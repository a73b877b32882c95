#!/bin/sh
# chaos.sh: the four-validator network (t/net/mknet.sh) under continuous
# work while a process of its twenty (each validator's archiver, observer,
# connector, signer and processor simulator) is SIGKILLed at random, the
# supervisor restarting it; then the killing stops, everything catches up,
# and the network is checked (t/chaos/check.py):
#   - every finalized block and its events reached every validator's
#     serai-observation topic exactly once, in order, as the node made them
#     (read back read_committed): lost, duplicated, reordered;
#   - every session completed exactly once on every validator (missing),
#     and no processor was asked to sign the same attempt twice: one
#     PartyFormed record per sign id and attempt on each signing topic, and
#     no processor told of it by two records (double-signed);
#   - each validator's archive holds every record of its topics exactly
#     once (archive);
#   - no service ended failed (a crash loop); no warning, error or fatal
#     line that is not the consequence of a kill (failed);
# and prints one line: kills survived and those counts; then each binary's
# recovery, the time from a kill to the replacement's readiness (the
# supervisor's "NAME: ready"), p50 and p99.  Exit 0 only when every count
# is 0.  Run from the top of the tree (make chaos).  Environment:
#   CHAOS_SECONDS   how long to kill (600)
#   CHAOS_KILLS     stop after this many kills (0: no limit)
#   CHAOS_INTERVAL  LO-HI: seconds between kills, uniform (0.5-3)
#   CHAOS_KAFKA     real (t/kafka.sh's KRaft broker) or mock (dev broker)
#   CHAOS_REQUEST   seconds between processors' sign requests (5)
#   CHAOS_REQUEST_MARGIN  a request names a set at least this many blocks
#                   old (0: from its first block on, as a processor may)
#   CHAOS_SETTLE    seconds the sessions get to finish once it stops (120)
#   CHAOS_CRASH_LIMIT  the runfile's crash_limit (t/net/mknet.sh: 10 in 1 m)
#   KEEP_TMP        keep the scratch directory (t/tmp/chaos.*) on success
. t/lib.sh
. t/lib-kafka.sh
. t/lib-observer.sh
. t/lib-net.sh

SECONDS_=${CHAOS_SECONDS:-600}
KILLS=${CHAOS_KILLS:-0}
IV=${CHAOS_INTERVAL:-0.5-3}
KAFKA_KINDS=${CHAOS_KAFKA:-real}
REQ=${CHAOS_REQUEST:-5}
MARGIN=${CHAOS_REQUEST_MARGIN:-0}
SETTLE=${CHAOS_SETTLE:-120}
export KAFKA_KINDS
case "$IV" in
*-*) LO=${IV%-*} HI=${IV#*-} ;;
*) echo "chaos: CHAOS_INTERVAL: expected LO-HI, as 0.5-3" >&2; exit 100 ;;
esac
net_require
kafka_require
need_cmd python3 "the driver is Python"

say() { echo "chaos: +$(( $(date +%s) - START ))s $*"; }
# failing: keep the scratch directory, exit 1
fail() { say "$*"; _tap_fail=1; exit 1; }
START=$(date +%s)

kafka_start "$KAFKA_KINDS"
D=$T/net
NET_SIGNING="preprocess_timeout = 20s
share_timeout = 20s" net_make "$D"
URL=http://$(cat "$D/rpc")/
export URL
# The processor simulators say when they are ready too (-d 3: after their
# consumer is open), so that each of the twenty has a recovery time.
awk '/^\[[a-z]+\.procsim\]$/ { p = 1 }
    p && /^command = / { $0 = $0 " -d 3"; print; print "ready = fd 3";
	p = 0; next }
    { print }' "$D/net.run" >"$D/net.run.new" && mv "$D/net.run.new" "$D/net.run"
# CHAOS_CRASH_LIMIT: the runfile's crash_limit (deaths within 1 m that
# mark a service failed), for kills faster than the default interval.
[ -n "${CHAOS_CRASH_LIMIT:-}" ] &&
    sed -i "s/^crash_limit = .*/crash_limit = $CHAOS_CRASH_LIMIT/" "$D/net.run"
# done_all DIR: all_done, in linear time (its jq is quadratic in the
# sessions: a minute per try after a 600 s run)
done_all() {
	signing "$1" >"$1/signing.json"
	python3 - "$1/signing.json" "$(wc -w <"$1/names")" <<'PY'
import collections, json, sys
started, done = set(), collections.defaultdict(set)
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "PARTY_FORMED":
        started.add(r["body"]["sign_id"])
    elif r["type"] == "SIGN_COMPLETED":
        done[r["body"]["sign_id"]].add(r["v"])
sys.exit(0 if started and all(len(done[s]) >= int(sys.argv[2])
                              for s in started) else 1)
PY
}
SVCS=
for n in $(net_names "$D"); do
	for p in archiver observer connector signer procsim; do
		SVCS="$SVCS $n.$p"
	done
done

# The supervisor, its standard error timestamped as it comes (stamp.py):
# supervisor.log as net_start writes it, supervisor.tlog with times.
mkfifo "$D/supervisor.fifo"
python3 t/chaos/stamp.py "$D/supervisor.log" "$D/supervisor.tlog" \
    <"$D/supervisor.fifo" &
track_pid $!
"$SUPERVISOR" -f "$D/supervisor.ini" -r "$D/run" "$D/net.run" \
    >>"$D/supervisor.out" 2>"$D/supervisor.fifo" &
echo $! >"$D/supervisor.pid"
track_pid $!
wait_for 120 net_up "$D" || fail "the network did not come up"
say "the dev node and four validators' five services up ($D)"
# The chain going (its first sets' key generations take a set's 20 blocks
# when the machine is not loaded; those are t9010's to check).
wait_for 120 head_at_least 20 || fail "the chain did not reach block 20"
say "block $(head_num), KeyGens on alice's topic: $(keygens "$D" alice |
    wc -l)"

# Work: the dev node makes a block every 500 ms with events (new sets and
# their key generations, batches, burns); every processor asks for a
# signature every $REQ s, by the newest set (net_request), once the set is
# $MARGIN blocks old (a set is new at block 20s+1).
(
	i=0
	while :; do
		sleep "$REQ"
		while [ $(( ($(head_num) - 1) % 20 )) -lt "$MARGIN" ]; do
			sleep 0.5
		done
		i=$((i + 1))
		r=$(net_request "$D" $((i % 3 + 1)) 2>>"$D/requests.err") &&
		    echo "$r" >>"$D/requests"
	done
) &
WORK=$!
track_pid $WORK

say "killing every $IV s for ${SECONDS_}s$([ "$KILLS" -gt 0 ] &&
    echo " (at most $KILLS kills)")"
python3 t/chaos/kill.py "$SUPERVISOR" "$D" "$SECONDS_" "$KILLS" "$LO" "$HI" \
    $SVCS >"$D/kills" &
KILLER=$!
track_pid $KILLER
wait $KILLER
kill -TERM $WORK 2>/dev/null
wait $WORK 2>/dev/null
say "stopped killing after $(wc -l <"$D/kills") kills, block $(head_num)"

# Catch up: every service up again; the chain stops, the sessions of
# its blocks finish, the last key pairs go in with one more block, and
# every observer publishes up to the head.
net_wait 120 net_up "$D" || say "not every service is up again"
[ "$(net_rpc "$D" dev_pause '[true]')" = true ] || say "the dev node did not stop"
net_wait "$SETTLE" done_all "$D" || say "sessions still unfinished after the stop"
nkg=$(jq -r 'select(.type == "PARTY_FORMED" and .body.kind ==
    "SIGN_KEY_GEN") | .body.sign_id' "$D/signing.json" | sort -u | wc -l)
net_wait 60 results_at_least "$D" "$nkg" ||
    say "not every observer submitted $nkg key pairs"
net_rpc "$D" dev_produce '[1]' >/dev/null
H=$(head_num)
net_wait 120 caught_up "$D" "$H" || say "not every observer is at block $H"
net_wait 60 done_all "$D" || say "sessions still unfinished at block $H"
say "caught up at block $H"

# What the topics hold, read back read_committed, and the services'
# states, before the stop.
expected 0 "$H" >"$D/expected"
# (the node's events of every block: none would make every event
# published look extra)
[ -s "$D/expected" ] || { say "the dev node gave no expected events"; exit 1; }
for n in $(net_names "$D"); do
	net_dump "$D" "$n" serai_observation >"$D/$n.obs"
	blocks "$D/$n.obs" >"$D/$n.blocks"
	events "$D/$n.obs" >"$D/$n.events"
done
"$SUPERVISOR" -f "$D/supervisor.ini" -r "$D/run" -s >"$D/status" 2>&1
net_stop "$D" || say "the network did not stop"
for n in $(net_names "$D"); do
	archive_check "$D" "$n" >"$D/$n.acheck"
	jq -r 'select(.topic != null) | "\(.topic) \(.partition) \(.offset)"' \
	    "$D/$n.export" | sort | uniq -d >"$D/$n.adup"
done
kafka_stop "$KAFKA_KINDS"

python3 t/chaos/check.py "$D" "$H" $SVCS
r=$?
[ $r -eq 0 ] || _tap_fail=1
exit $r
