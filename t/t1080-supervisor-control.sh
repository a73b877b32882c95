#!/bin/sh
# supervisor: -s (status) and -c start|stop|restart NAME through the
# control socket in the run directory (-r, or [general] run_dir of -f).
# -s exits 0 when every service is up, 1 when one is not, 3 when no
# supervisor runs (the codes of every binary's -s).
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 31

"$SV" -r "$T/run" -s >"$T/out" 2>"$T/err"
is "$?" 3 "-s with no supervisor running: exit 3 (not running, as every -s)"
like "$(cat "$T/err")" "supervisor: warning: not running: unable to connect to .*/run/supervisor.sock" \
	"-s: says it cannot connect"

cat >"$T/run.ini" <<EOF2
[a]
command = sleep 1000
[b]
command = sleep 1000
after = a
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "all services ready"
ok $? "a and b up"

sv_status >"$T/st"
is "$?" 0 "-s exits 0"
is "$(head -1 "$T/st" | tr -s ' ')" "service state pid uptime restarts last" \
	"-s header"
like "$(awk '$1 == "a" { print $2, $4, $5, $6 }' "$T/st")" "^up [0-9]+s 0 -$" \
	"a: up, an uptime, no restart, no last status"
a1=$(sv_field a 3)
is "$(ps -o args= -p "$a1")" "sleep 1000" "a: the pid is its process"
is "$(ps -o sid= -p "$a1" | tr -d ' ')" "$a1" "a: leads its own session"

wait_for 5 sv_is a 4 1s
ok $? "a: uptime grows"

# a second supervisor on the same run directory is refused
"$SV" -r "$T/run" "$T/run.ini" 2>"$T/err2"
is "$?" 111 "a second supervisor on the same run dir: exit 111"
like "$(cat "$T/err2")" "another supervisor is running" "and says why"

# stop: a goes down (b, which runs after a, is not touched)
"$SV" -r "$T/run" -c stop a
is "$?" 0 "-c stop a: exit 0"
wait_for 5 sv_is a 2 down
ok $? "a: down"
is "$(sv_field a 6)" signal:TERM "a: stopped with SIGTERM"
wait_for 5 sh -c "! ps -p $a1 >/dev/null"
ok $? "a: its process is gone"
is "$(sv_field b 2)" up "b: still up"
sv_status >/dev/null
is "$?" 1 "-s with a service down: exit 1 (not every service up)"

# start
"$SV" -r "$T/run" -c start a
is "$?" 0 "-c start a: exit 0"
wait_for 5 sv_is a 2 up
ok $? "a: up again"
a2=$(sv_field a 3)

# restart
"$SV" -r "$T/run" -c restart a
is "$?" 0 "-c restart a: exit 0"
wait_for 5 sv_pid_changed a "$a2"
ok $? "a: restarted with a new pid"
wait_for 5 sv_is a 2 up
ok $? "a: up"
is "$(sv_field a 5)" 2 "a: 2 restarts counted (start, restart)"

# unknown service, bad usage
"$SV" -r "$T/run" -c restart nosuch 2>"$T/err3"
is "$?" 100 "-c restart nosuch: exit 100"
is "$(cat "$T/err3")" "supervisor: warning: no service nosuch" "-c: names the unknown service"
"$SV" -r "$T/run" -c restart 2>/dev/null
is "$?" 100 "-c without a name: usage, exit 100"
"$SV" -r "$T/run" -s extra 2>/dev/null
is "$?" 100 "-s with an operand: usage, exit 100"

# the run directory from the configuration file
cat >"$T/c.ini" <<EOF2
[general]
run_dir = $T/run
EOF2
"$SV" -f "$T/c.ini" -s >"$T/st2"
is "$?" 0 "-f with [general] run_dir: -s finds the socket"
like "$(cat "$T/st2")" "^b +up" "and reports b up"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
test -e "$T/run/supervisor.sock"
ok $((!$?)) "the socket is removed at exit"
done_testing
