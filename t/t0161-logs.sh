#!/bin/sh
# t0161: log noise (issue 13).  The supervisor's log = prefix names a
# line once: a line that carries its program's name already is not
# prefixed again ("observer: observer: info:" before), the service's name
# takes its place; other lines are prefixed as before.  The observer,
# started far behind the chain, catches up: that first "lagging" is
# information (-q hides it; it was a warning that -q kept), and its
# per-block line is debug (one line per poll at the tip before).  The
# dev broker only: nothing here depends on the broker.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/golden/supervisor/lib.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
KAFKA_KINDS=mock
export KAFKA_KINDS
kafka_require
plan 11

# --- the supervisor's prefix
cat >"$T/run.ini" <<'EOF2'
[observer]
command = sh -c 'echo "observer: info: ready"; echo "plain line"; exec sleep 1000'
log = prefix

[alice.observer]
command = sh -c 'echo "observer: warning: lagging"; echo "signer: info: not mine"; exec sleep 1000'
log = prefix
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "^alice.observer: signer: info: not mine$"
ok $? "a line naming another program is prefixed"
logged "^observer: info: ready$"
ok $? "[observer]: its program's line is not prefixed again"
logged "observer: observer:"
ok $((!$?)) "no doubled name anywhere"
logged "^observer: plain line$"
ok $? "[observer]: a plain line is prefixed"
logged "^alice.observer: warning: lagging$"
ok $? "[alice.observer]: the service's name takes the program's place"
sv_stop

# --- the observer: catching up at start, -q, per-block lines
kind=mock
D=$T/obs
dn_start "$D/dn" -i 0 -n 200
obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 4" \
    "[health]" "max_lag = 5"
sed -i "s|^heartbeat_interval = 0|heartbeat_interval = 500ms|" \
    "$D/coord.ini"

# events: the events the observer published (its status file)
events() {
	sed -n 's/^blocks .* events=\([0-9]*\) .*/\1/p' "$D/run/observer.status"
}
# next_is N: the observer's next block is N
next_is() { grep -q "^scan state=tip next=$1 " "$D/run/observer.status"; }

# run NAME [args]: an observer on a fresh dev broker (no cursor: from
# block 0) to the tip of the chain; its stderr in $D/NAME.err
run() {
	_n=$1
	shift
	kafka_start mock
	obs_start "$D" "$@"
	wait_for 60 grep -q "^scan state=tip " "$D/run/observer.status"
}
# stop NAME
stop() {
	obs_stop "$OBS_PID"
	kafka_stop mock
	mv "$D/err" "$D/$1.err"
}

run default
ok $? "an observer caught up with the 200 blocks"
# at the tip, blocks one by one (a poll each), with events
e0=$(events)
n=$(head_num)
for i in 1 2 3 4 5 6 7 8 9 10; do
	rpc dev_produce >/dev/null
	n=$((n + 1))
	wait_for 10 next_is $((n + 1)) || break
done
next_is $((n + 1)) && [ "$(events)" -gt "$e0" ]
ok $? "it published 10 more blocks, one at a time, with events"
stop default
like "$(grep 'alice.observer is lagging' "$D/default.err")" \
    "^observer: info: health: alice.observer is lagging: " \
    "... and said it was lagging at first, as information"
grep -q "event(s) of interest" "$D/default.err"
ok $((!$?)) "... and no line per block at the default level"

run quiet -q
ok $? "an observer with -q caught up too"
stop quiet
grep -q "lagging" "$D/quiet.err"
ok $((!$?)) "... and -q hid its catching up"
