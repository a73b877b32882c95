#!/bin/sh
# t2260: health.  Processors' heartbeats on chain-health are judged: one
# that falls silent for stale_after is reported stale, one scanning more
# than max_lag behind its tip lagging, and a stale one that speaks again ok;
# each verdict is a log line, a HealthReport on chain-health, a line of the
# status file (-s) and gauges in the metrics file; "ok again" only of a
# service seen bad and heard from lately, never from heartbeats read back
# after a restart.  The observer's own scan
# status is judged the same way (lagging while it catches up, stale when the
# node stops answering) and goes out in its own heartbeats.  Both Kafka
# kinds.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
kafka_require
# 20 per broker kind
plan $(($(kafka_kinds | wc -w) * 20))

reports() {
	obs_dump "$D" chain_health | jq -r 'select(.type == "HEALTH_REPORT") |
	    .body | "\(.service) \(.state)"'
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	dn_start "$D/dn" -i 0 -n 300
	OBS_PROGS="procA procB" obs_conf "$D" alice \
	    "polling_interval = 100ms" "batch_blocks = 8" "rpc_timeout = 500ms" \
	    "[health]" "stale_after = 2s" "max_lag = 5"
	sed -i "s|^heartbeat_interval = 0|heartbeat_interval = 500ms\\
metrics_dir = $D/metrics|" "$D/coord.ini"
	mkdir -p "$D/metrics"
	obs_topics "$D"
	case $kind in mock) sess=4000 ;; *) sess=6000 ;; esac
	obs_start "$D" -X session.timeout.ms=$sess -X heartbeat.interval.ms=500
	wait_for 30 test -s "$D/ready"
	ok $? "$kind: ready"

	# procA speaks for a while then falls silent; procB lags
	obs_tool "$D" -k "$D/keys/procA.key" -I alice.procA hb 100 100 6 250 \
	    2>>"$D/tool.err" &
	hbA=$!
	obs_tool "$D" -k "$D/keys/procB.key" -I alice.procB hb 100 120 20 250 \
	    2>>"$D/tool.err" &
	hbB=$!
	wait_for 30 grep -q "health: alice.procB is lagging" "$D/err"
	ok $? "$kind: a lagging processor is logged"
	like "$(grep 'alice.procB is lagging' "$D/err" | head -1)" \
	    "warning: health: alice.procB is lagging: scanned [0-9]+, tip [0-9]+: 20 behind \(max_lag 5\)" \
	    "$kind: ... with its heights"
	wait "$hbA"
	wait_for 30 grep -q "health: alice.procA is stale" "$D/err"
	ok $? "$kind: a silent processor is logged stale"
	wait_for 10 grep -q "^service alice.procA .*state=stale" \
	    "$D/run/observer.status"
	ok $? "$kind: the status file says so"
	like "$("$OBSERVER" -f "$D/coord.ini" -s | grep alice.procB)" \
	    "state=lagging scanned=[0-9]+ tip=[0-9]+ lag=20" \
	    "$kind: -s shows the lagging one"
	wait_for 10 grep -q "^coord_health_stale{service=\"alice.observer\"} 1" \
	    "$D/metrics/alice.observer.prom"
	ok $? "$kind: the stale gauge"
	grep -q "^coord_health_lagging{service=\"alice.observer\"} 1" \
	    "$D/metrics/alice.observer.prom"
	ok $? "$kind: the lagging gauge"

	# procA speaks again
	obs_tool "$D" -k "$D/keys/procA.key" -I alice.procA hb 200 200 \
	    2>>"$D/tool.err"
	wait_for 10 grep -q "health: alice.procA is ok again" "$D/err"
	ok $? "$kind: a stale processor that speaks again is ok"
	is "$(grep -c 'health: alice.procA is ok again' "$D/err")" 1 \
	    "$kind: 'ok again' once, after it was stale"
	wait "$hbB"

	# the reports on chain-health
	reports >"$D/reports"
	grep -q "^alice.procB lagging" "$D/reports"
	ok $? "$kind: HealthReport: procB lagging"
	grep -q "^alice.procA stale" "$D/reports" &&
	    grep -q "^alice.procA ok" "$D/reports"
	ok $? "$kind: HealthReport: procA stale, then ok"
	grep -q "^alice.observer lagging" "$D/reports" &&
	    grep -q "^alice.observer ok" "$D/reports"
	ok $? "$kind: HealthReport: the observer itself lagging, then ok"
	obs_dump "$D" chain_health >"$D/ch.jsonl"
	like "$(jq -c 'select(.type == "HEARTBEAT" and .from ==
	    "alice.observer") | .body' "$D/ch.jsonl" | tail -1)" \
	    '"network":"serai","scanned_height":300,"tip_height":300' \
	    "$kind: the observer's heartbeat carries its scan status"

	# the node goes away: the observer's own scan goes stale
	kill "$(cat "$D/dn/dn.pid")"
	wait_for 30 grep -q "health: alice.observer is stale: " "$D/err"
	ok $? "$kind: the observer reports itself stale when the node is gone"
	wait_for 10 grep -q '^alice.observer stale' "$D/reports" ||
	    reports >"$D/reports"
	grep -q '^alice.observer stale' "$D/reports"
	ok $? "$kind: ... on chain-health too"
	kill -0 "$OBS_PID"
	ok $? "$kind: still running"
	obs_stop "$OBS_PID"
	is "$RC" 0 "$kind: SIGTERM: exit 0 (the node gone)"

	# Restarted on a new group, it reads every heartbeat back, all of
	# them old; with stale_after = 0 none is ever stale, yet the old
	# "ok" of procA is not news: not "ok again", not "ok" (a line was
	# logged for it before: "ok again" for a service down for minutes).
	mv "$D/err" "$D/err.1"
	dn_start "$D/dn2" -i 0 -n 300		# the same chain, again
	sed -i -e 's/^stale_after = .*/stale_after = 0/' \
	    -e "s|^rpc_endpoint = .*|rpc_endpoint = $URL|" "$D/coord.ini"
	obs_start "$D" -X group.id=alice.observer.again \
	    -X session.timeout.ms=$sess -X heartbeat.interval.ms=500
	wait_for 30 grep -q "health: alice.procB is lagging" "$D/err"
	ok $? "$kind: restarted on a new group, it read the heartbeats back"
	grep "alice.procA is ok" "$D/err"
	ok $((!$?)) "$kind: ... and procA's old ones are not 'ok again'"
	obs_stop "$OBS_PID"
	kafka_stop "$kind"
done
done_testing
