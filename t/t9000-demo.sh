#!/bin/sh
# t9000: make demo's script: the suite on its embedded defaults under the
# supervisor (dev broker on 127.0.0.1:9092, dev node on 127.0.0.1:9944,
# file store) starts every built binary, shows serai-observation on
# stdout once the observer exists, and on SIGINT stops everything and
# exits 0, leaving no process behind.
. t/lib.sh
need_cmd ss "the test checks the demo's fixed ports are free"
for port in 9092 9944 30333; do
	if ss -ltn "sport = :$port" | grep -q LISTEN; then
		skip_all "port $port is in use (a demo running?)"
	fi
done

DEMO_DIR=$T/demo
export DEMO_DIR
sh conf/demo.sh >"$T/out" 2>"$T/err" &
pid=$!
track_pid $pid

wait_for 60 grep -q "supervisor: info: all services ready" "$T/err"
ok $? "every service started and is ready"
for p in observer connector signer archiver; do
	[ -x "$p/$p" ] || continue
	wait_for 30 "supervisor/supervisor" -r "$DEMO_DIR/run" -s
	"supervisor/supervisor" -r "$DEMO_DIR/run" -s >"$T/st" 2>&1
	like "$(grep "^$p " "$T/st")" "^$p +up" "$p is up (supervisor -s)"
done
if [ -x observer/observer ]; then
	wait_for 60 grep -q '"type":"BLOCK_UPDATE"' "$T/out"
	ok $? "block updates flow to serai-observation and on to stdout"
fi
! grep -q "fatal" "$T/err"
ok $? "no fatal error in the log"
pids=$(pgrep -s "$(ps -o sid= -p $pid | tr -d ' ')" 2>/dev/null | wc -l)

kill -INT $pid
wait $pid
is "$?" 0 "SIGINT: the demo exits 0"
like "$(tail -n 1 "$T/err")" "supervisor: info: exiting 0" "... after stopping all"
left=$(pgrep -f "$DEMO_DIR" | wc -l)
is "$left" 0 "no process of the demo left behind"
grep fatal "$T/err" | sed 's/^/# /'

done_testing
