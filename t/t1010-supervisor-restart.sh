#!/bin/sh
# supervisor: a child killed with SIGKILL or exiting 1 is restarted; exit
# 100 is permanent (never restarted); restart = on-failure / never.
. t/lib.sh
. t/golden/supervisor/lib.sh
need_cmd mkfifo
plan 28

# Each service but k blocks reading its fifo, then exits with the number
# written to it.
for s in e p o n; do mkfifo "$T/$s.fifo"; done
cat >"$T/run.ini" <<EOF2
[supervisor]
backoff_base = 10ms
backoff_max = 50ms
crash_limit = 0

[k]
command = sleep 1000

[e]
command = sh -c 'read x < e.fifo; exit \$x'
cwd = $T

[p]
command = sh -c 'read x < p.fifo; exit \$x'
cwd = $T

[o]
command = sh -c 'read x < o.fifo; exit \$x'
cwd = $T
restart = on-failure

[n]
command = sh -c 'read x < n.fifo; exit \$x'
cwd = $T
restart = never
EOF2
sv_start "$T/run.ini"
wait_for 10 logged "all services ready"
ok $? "every service started"
for s in k e p o n; do
	is "$(sv_field $s 2)" up "$s is up"
done

# SIGKILL
k1=$(sv_field k 3)
kill -KILL "$k1"
wait_for 10 sv_pid_changed k "$k1"
ok $? "k: killed with SIGKILL, restarted with a new pid"
wait_for 5 sv_is k 2 up
ok $? "k: up again"
is "$(sv_field k 5)" 1 "k: 1 restart counted"
is "$(sv_field k 6)" signal:KILL "k: last status signal:KILL"
alive "$k1"
ok $((!$?)) "k: the old process is gone (reaped, no zombie)"

# exit 1
e1=$(sv_field e 3)
echo 1 >"$T/e.fifo"
wait_for 10 sv_pid_changed e "$e1"
ok $? "e: exit 1, restarted with a new pid"
is "$(sv_field e 6)" exit:1 "e: last status exit:1"
# and again: exit 0 under restart = always is restarted too
e2=$(sv_field e 3)
echo 0 >"$T/e.fifo"
wait_for 10 sv_pid_changed e "$e2"
ok $? "e: exit 0 under restart = always, restarted"
is "$(sv_field e 5)" 2 "e: 2 restarts counted"

# exit 100: permanent
p1=$(sv_field p 3)
echo 100 >"$T/p.fifo"
wait_for 10 sv_is p 2 failed
ok $? "p: exit 100, marked failed"
is "$(sv_field p 3)" - "p: no pid: not restarted"
is "$(sv_field p 5)" 0 "p: no restart counted"
is "$(sv_field p 6)" exit:100 "p: last status exit:100"
logged "p: failed: exit 100: permanent"
ok $? "p: logged as permanent"

# restart = on-failure: exit 3 restarts, exit 0 finishes
o1=$(sv_field o 3)
echo 3 >"$T/o.fifo"
wait_for 10 sv_pid_changed o "$o1"
ok $? "o: on-failure, exit 3: restarted"
echo 0 >"$T/o.fifo"
wait_for 10 sv_is o 2 finished
ok $? "o: on-failure, exit 0: finished"
is "$(sv_field o 3)" - "o: not restarted"

# restart = never: exit 2 fails
echo 2 >"$T/n.fifo"
wait_for 10 sv_is n 2 failed
ok $? "n: never, exit 2: failed, not restarted"
is "$(sv_field n 6)" exit:2 "n: last status exit:2"

# the failed and finished services did not come back meanwhile, the others
# are up
is "$(sv_field p 2)/$(sv_field o 2)/$(sv_field n 2)" failed/finished/failed \
	"p, o, n stay down"
is "$(sv_field k 2)/$(sv_field e 2)" up/up "k and e still up"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0 (no critical service failed)"
done_testing
