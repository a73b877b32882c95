#!/bin/sh
# supervisor: SIGTERM stops every service in reverse start order, with
# SIGKILL after stop_timeout for one that ignores its stop signal, kills
# what is left of each process group, stops processes that left their
# group, exits 0, and leaves nothing running and no zombie.
. t/lib.sh
. t/golden/supervisor/lib.sh
need_cmd pgrep
need_cmd setsid
plan 15

cat >"$T/run.ini" <<EOF2
[first]
command = sleep 1000

[second]
command = sleep 1000
after = first

[deaf]
command = sh -c 'trap "" TERM; echo \$\$ > deaf.pid; while :; do sleep 0.1; done'
cwd = $T
stop_timeout = 500ms

[grand]
command = sh -c 'sleep 1000 & echo \$! > grand.child; exec sleep 1000'
cwd = $T

[escape]
command = sh -c '(setsid sleep 1000 & echo \$! > escape.child); (setsid sleep 1000 & echo \$! > escape.child2); exec sleep 1000'
cwd = $T
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "all services ready"
ok $? "every service up"
wait_for 5 test -s "$T/escape.child2" -a -s "$T/grand.child" -a -s "$T/deaf.pid"
ok $? "children recorded their pids"

# every process: the service leaders, everything in their sessions, and
# the processes that left their group
pids=
for s in first second deaf grand escape; do
	sid=$(sv_field $s 3)
	pids="$pids $(pgrep -s "$sid" | tr '\n' ' ')"
done
pids="$pids $(cat "$T/escape.child") $(cat "$T/escape.child2")"
n=0
for p in $pids; do n=$((n + 1)); done
[ "$n" -ge 8 ]
ok $? "found $n processes to watch"
grand_child=$(cat "$T/grand.child")
like " $(pgrep -s "$(sv_field grand 3)" | tr '\n' ' ')" " $grand_child " \
	"grand: its background child is in the service's session"

# An orphan that left its group is reparented to the supervisor (subreaper)
# and reaped when it dies: no zombie.
esc=$(cat "$T/escape.child")
is "$(ps -o ppid= -p "$esc" | tr -d ' ')" "$SV_PID" \
	"escape: the process that left its group was reparented to the supervisor"
kill -KILL "$esc"
wait_for 5 sh -c "! ps -p $esc >/dev/null"
ok $? "escape: the dead orphan was reaped (no zombie)"

# A killed leader takes its group with it.
g=$(sv_field grand 3)
kill -KILL "$g"
wait_for 5 sh -c "! ps -p $grand_child >/dev/null"
ok $? "grand: killing the leader kills (and reaps) its background child"
wait_for 10 sv_pid_changed grand "$g"
ok $? "grand: restarted"
wait_for 5 sh -c "! ps -o stat= --ppid $SV_PID | grep -q Z"
ok $? "no zombie child of the supervisor"
new_grand=$(sv_field grand 3)
pids="$pids $new_grand $(pgrep -s "$new_grand" | tr '\n' ' ')"

start=$(date +%s%N)
sv_stop
end=$(date +%s%N)
is "$SV_RC" 0 "SIGTERM: exit 0"
ms=$(( (end - start) / 1000000 ))
[ "$ms" -lt 5000 ]
ok $? "stopped within the timeouts (${ms} ms)"
left=
for p in $pids; do
	ps -p "$p" >/dev/null && left="$left $p:$(ps -o stat=,args= -p "$p")"
done
is "$left" "" "nothing left running, no zombie"

# reverse order: second stopped before first was asked to stop
l2=$(grep -n "second: stopped" "$T/log" | cut -d: -f1)
l1=$(grep -n "first: stopping" "$T/log" | cut -d: -f1)
[ "$l2" -lt "$l1" ]
ok $? "second (after first) stopped before first was stopped"
logged "deaf: pid [0-9]+ still there after stop_timeout: SIGKILL"
ok $? "deaf: SIGKILL after stop_timeout"
logged "stopping leftover processes: SIGTERM $(cat "$T/escape.child2")"
ok $? "the process that left its group got SIGTERM at exit"
done_testing
