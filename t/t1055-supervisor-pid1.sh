#!/bin/sh
# supervisor as PID 1 (in a new PID namespace, as in a container): every
# orphan of the namespace is reparented to it and reaped, and SIGTERM stops
# everything and exits 0.
. t/lib.sh
. t/golden/supervisor/lib.sh
need_cmd unshare

# root: a PID namespace; otherwise a user namespace too
ns="unshare --pid --fork --mount-proc"
[ "$(id -u)" = 0 ] || ns="unshare --user --map-root-user --pid --fork --mount-proc"
$ns true 2>/dev/null || skip_all "cannot create a PID namespace here ($ns)"
plan 8

# orphan: a short-lived process whose parent exits at once, reparented to
# PID 1; its exit must be reaped by the supervisor
cat >"$T/run.ini" <<EOF2
[orphans]
command = sh -c 'while :; do sh -c "sleep 0.05 &"; echo . >> made; sleep 0.1; done'
cwd = $T
[idle]
command = sh -c 'echo \$PPID > idle.ppid; exec sleep 1000'
cwd = $T
EOF2
$ns "$SV" -v -r "$T/run" "$T/run.ini" 2>"$T/log" &
NS_PID=$!
track_pid $NS_PID
wait_for 10 test -s "$T/idle.ppid"
ok $? "the supervisor runs its services in the namespace"
is "$(cat "$T/idle.ppid")" 1 "idle: its parent, the supervisor, is pid 1"
# the supervisor as seen from here: the child of unshare
wait_for 5 pgrep -P "$NS_PID"
SUP=$(pgrep -P "$NS_PID")
like "$(ps -o args= -p "$SUP")" "supervisor" "found the supervisor ($SUP)"

wait_for 10 lines_ge "$T/made" 10
ok $? "orphans made"
wait_for 10 logged "reaped orphan"
ok $? "the supervisor reaps orphans as PID 1"
wait_for 5 sh -c "! ps -o stat= --ppid $SUP | grep -q Z"
ok $? "no zombie under the supervisor"

kill -TERM "$SUP"
wait "$NS_PID"
is "$?" 0 "SIGTERM: PID 1 supervisor exits 0"
logged "exiting 0"
ok $? "it stopped every service and exited on its own"
done_testing
