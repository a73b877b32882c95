#!/bin/sh
# supervisor: SIGHUP re-reads the runfile.  Added services start, removed
# ones stop, changed ones restart, untouched ones keep running (also when
# only policy keys changed); a bad runfile is logged and ignored.
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 20

cat >"$T/run.ini" <<EOF2
[a]
command = sleep 1001
[b]
command = sleep 1002
[c]
command = sleep 1003
[p]
command = sleep 1004
stop_timeout = 10s
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "all services ready"
ok $? "a, b, c and p up"
a1=$(sv_field a 3); b1=$(sv_field b 3); c1=$(sv_field c 3); p1=$(sv_field p 3)

# a untouched, b changed, c removed, d added, p: a policy key changed
cat >"$T/run.ini" <<EOF2
[d]
command = sleep 1005
after = a
[a]
command = sleep 1001
[b]
command = sleep 1012
[p]
command = sleep 1004
stop_timeout = 3s
restart = on-failure
EOF2
kill -HUP "$SV_PID"
wait_for 10 sv_is d 2 up
ok $? "d: added and started"
wait_for 10 sv_pid_changed b "$b1"
ok $? "b: changed: restarted with a new pid"
wait_for 5 sv_is b 2 up
ok $? "b: up"
like "$(ps -o args= -p "$(sv_field b 3)")" "sleep 1012" "b: runs the new command"
wait_for 10 sh -c "! ps -p $c1 >/dev/null"
ok $? "c: removed: its process is gone"
wait_for 5 sh -c "! '$SV' -r '$T/run' -s | grep -q '^c '"
ok $? "c: no longer in the status"
is "$(sv_field a 3)" "$a1" "a: untouched: same pid"
is "$(sv_field p 3)" "$p1" "p: only policy changed: same pid"
alive "$a1"
ok $? "a: still running"
logged "b: changed"
ok $? "b: change logged"
logged "a: changed"
ok $((!$?)) "a: not reported changed"

# a broken runfile: logged, ignored, nothing restarted
d1=$(sv_field d 3); b2=$(sv_field b 3)
cat >"$T/run.ini" <<EOF2
[a]
command = sleep 1001
after = nosuch
EOF2
kill -HUP "$SV_PID"
wait_for 10 logged "reload: .*run.ini:3: after: unknown service \"nosuch\""
ok $? "bad runfile on reload: error logged with file:line"
logged "keeping the previous runfile"
ok $? "the previous runfile stays in force"
is "$(sv_field a 3)/$(sv_field b 3)/$(sv_field d 3)/$(sv_field p 3)" \
	"$a1/$b2/$d1/$p1" "every service kept its pid"
alive "$SV_PID"
ok $? "the supervisor is still running"

# reload the same file again with a service back: it starts again
cat >"$T/run.ini" <<EOF2
[a]
command = sleep 1001
[c]
command = sleep 1003
EOF2
kill -HUP "$SV_PID"
wait_for 10 sv_is c 2 up
ok $? "c: added back and started"
wait_for 10 sh -c "! ps -p $d1 >/dev/null && ! ps -p $b2 >/dev/null"
ok $? "b and d: removed and stopped"
is "$(sv_field a 3)" "$a1" "a: still the same pid"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
done_testing
