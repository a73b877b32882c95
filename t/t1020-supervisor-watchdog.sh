#!/bin/sh
# supervisor: the watchdog.  A service with "watchdog = D" must write a line
# on its notify fd (ready = fd N) at least every D; a hung-but-alive one
# (sleeping forever, or SIGSTOPped) is killed and restarted, one that keeps
# beating is left alone.
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 13

cat >"$T/run.ini" <<EOF2
[supervisor]
backoff_base = 10ms
stop_timeout = 1s
crash_limit = 0

[hung]
command = sh -c 'echo \$\$ >> hung.pids; echo >&3; exec sleep 1000'
cwd = $T
ready = fd 3
watchdog = 500ms

[beat]
command = sh -c 'echo \$\$ >> beat.pids; while :; do echo >&3; echo . >> beats; sleep 0.1; done'
cwd = $T
ready = fd 3
watchdog = 2s
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "all services ready"
ok $? "both services ready"

# hung: ready once, then silent: killed and restarted, again and again
wait_for 10 lines_ge "$T/hung.pids" 3
ok $? "hung: restarted by the watchdog (3 runs)"
logged "hung: watchdog: no heartbeat for [0-9]+ ms: killing pid $(head -1 "$T/hung.pids")"
ok $? "hung: the watchdog kill is logged with its pid"
alive "$(head -1 "$T/hung.pids")"
ok $((!$?)) "hung: the first process is gone"
like "$(sv_field hung 6)" "signal:TERM" "hung: stopped with its stop signal"

# beat: 50 heartbeats at 100 ms cover 2.5 watchdog intervals: not killed
wait_for 30 lines_ge "$T/beats" 50
ok $? "beat: beating"
is "$(lines "$T/beat.pids")" 1 "beat: not killed while it beats"
logged "beat: watchdog"
ok $((!$?)) "beat: no watchdog kill logged"

# SIGSTOP: alive but hung
b1=$(sv_field beat 3)
kill -STOP "$b1"
wait_for 10 sv_pid_changed beat "$b1"
ok $? "beat: SIGSTOPped, killed and restarted by the watchdog"
wait_for 5 lines_ge "$T/beat.pids" 2
ok $? "beat: a second run"
wait_for 5 sh -c "! ps -p $b1 >/dev/null"
ok $? "beat: the stopped process is gone and reaped"
logged "beat: watchdog: no heartbeat for [0-9]+ ms: killing pid $b1"
ok $? "beat: watchdog kill logged"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
done_testing
