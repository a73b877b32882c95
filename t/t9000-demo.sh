#!/bin/sh
# t9000: make demo's script, as a newcomer runs it: the four-validator
# network on the embedded defaults (dev broker on 127.0.0.1:9092, dev
# node on 127.0.0.1:9944, libp2p on 30333-30336, file stores) with the
# timeline on stdout.  Run with a short DEMO_SECONDS, it shows the flow
# (a set formed, links up, parties, signatures complete on 4/4, a key pair
# on chain), exits 0 with a summary as its last line that counts completed
# sessions, and leaves no process behind.  Then once more, stopped by
# SIGINT as ^C would: a summary, and nothing left running.
. t/lib.sh
need_cmd ss "the test checks the demo's fixed ports are free"
# a binary the demo runs, not built: the test fails (make builds them all;
# a skip here would pass without running the demo)
missing=
for b in supervisor/supervisor observer/observer connector/connector \
    signer/signer archiver/archiver t/timeline/timeline t/devnode/devnode \
    t/devbroker/devbroker t/procsim/procsim; do
	[ -x "$b" ] || missing="$missing $b"
done
if [ -n "$missing" ]; then
	echo "Bail out! not built:$missing (run make)"
	exit 1
fi
free_ports() {
	for port in 9092 9944 30333 30334 30335 30336; do
		ss -ltn "sport = :$port" | grep -q LISTEN && return 1
	done
	return 0
}
free_ports || skip_all "a port of the demo is in use (a demo running?)"
plan 22

DEMO_DIR=$T/demo
export DEMO_DIR
DEMO_SECONDS=${DEMO_TEST_SECONDS:-50} sh conf/demo.sh >"$T/out" 2>"$T/err"
is "$?" 0 "DEMO_SECONDS: the demo exits 0"
like "$(tail -n 1 "$T/out")" "^demo: summary: " \
    "the last line is the summary"
set=$(grep -E "^demo: [^ ]+ set [0-9]+/[A-Z][a-z]+: " "$T/out" | head -n 1)
for n in alice bob carol dave; do
	like "$set" " $n[ ,]" "the set formed names $n ($set)"
done
for step in "^demo: .*links: " "^demo: .*party " "^demo: .*signed on 4/4" \
    "^demo: .*KeyGen .* on chain"; do
	grep -Eq "$step" "$T/out"
	ok $? "the timeline shows /$step/"
done
sum=$(tail -n 1 "$T/out")
started=$(echo "$sum" | sed -n 's/.*sessions \([0-9]*\) started.*/\1/p')
done4=$(echo "$sum" | sed -n 's/.* \([0-9]*\) completed on 4\/4.*/\1/p')
like "$started" "^[1-9][0-9]*$" "the summary counts the sessions started" \
    "($started)"
is "$done4" "$started" "... and as many completed on all four"
is "$(grep -c '^demo: .*signed on 4/4' "$T/out")" "$started" \
    "one 'signed on 4/4' line per session"
! grep -q '"type"' "$T/out"
ok $? "no raw JSON on stdout (it is one option away: DEMO_JSON=1)"
wait_for 30 free_ports
ok $? "its ports are free again"
is "$(pgrep -f "$DEMO_DIR" | wc -l)" 0 "no process of the demo left behind"
grep -i 'fatal' "$DEMO_DIR/services.log" | head -n 5 | sed 's/^/# /'
is "$(grep -ci 'fatal' "$DEMO_DIR/services.log")" 0 \
    "no fatal error in the services' log"

# ^C: the whole process group gets SIGINT, as from a terminal.
rm -rf "$DEMO_DIR"
setsid sh conf/demo.sh >"$T/out2" 2>"$T/err2" &
pid=$!
track_pid $pid
wait_for 120 grep -q "signed on 4/4" "$T/out2"
ok $? "a second run signs"
kill -INT -"$pid"
wait $pid
rc=$?
like "$rc" "^[01]$" "SIGINT: the demo exits (0, or 1 if a session was" \
    "cut short: $rc)"
like "$(tail -n 1 "$T/out2")" "^demo: summary: " "... with a summary"
wait_for 30 free_ports
ok $? "its ports are free again"
is "$(pgrep -f "$DEMO_DIR" | wc -l)" 0 "no process of the demo left behind"

done_testing
