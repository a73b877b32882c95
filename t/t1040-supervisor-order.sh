#!/bin/sh
# supervisor: start order and readiness.  A dependant starts only after its
# dependency wrote its readiness line; the supervisor's own readiness (-d)
# comes once every service is ready.  Every service records its start and
# its readiness in one file.
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 15

cat >"$T/run.ini" <<EOF2
[c]
command = sh -c 'echo start c >> order; echo ready c >> order; echo >&5; exec sleep 1000'
cwd = $T
after = b, x
ready = fd 5

[b]
command = sh -c 'echo start b >> order; sleep 0.3; echo ready b >> order; echo >&3; exec sleep 1000'
cwd = $T
after = a
ready = fd 3

[x]
command = sh -c 'echo start x >> order; exec sleep 1000'
cwd = $T

[a]
command = sh -c 'echo start a >> order; sleep 0.5; echo ready a >> order; echo >&3; exec sleep 1000'
cwd = $T
ready = fd 3
EOF2

"$SV" -n "$T/run.ini" 2>/dev/null | cut -d: -f1 | tr '\n' ' ' >"$T/plan"
is "$(cat "$T/plan")" "a b x c " "-n lists the start order: a b x c"

: >"$T/sready"
sv_start "$T/run.ini" -d 7 7>>"$T/sready"
wait_for 10 test -s "$T/sready"
ok $? "the supervisor wrote its readiness on fd 7"
# "ready c" is written before c's readiness line, which comes before ours
order=$(grep -v x "$T/order" | tr '\n' ' ')
is "$order" "start a ready a start b ready b start c ready c " \
	"a, b, c started in order, each after its dependency was ready"
grep -q "start x" "$T/order"
ok $? "x (no dependency, no readiness) started"
is "$(cat "$T/sready")" "" "the readiness line is a newline"
is "$(wc -c <"$T/sready" | tr -d ' ')" 1 "exactly one newline"
for s in a b c x; do
	is "$(sv_field $s 2)" up "$s is up"
done

# starting: a service not yet ready shows as "starting" and holds its
# dependants back
cat >"$T/run2.ini" <<EOF2
[slow]
command = sh -c 'read x < go; echo >&3; exec sleep 1000'
cwd = $T
ready = fd 3
[dep]
command = sleep 1000
after = slow
EOF2
mkfifo "$T/go"
kill -TERM "$SV_PID"; wait "$SV_PID"
sv_start "$T/run2.ini"
wait_for 10 sv_is slow 2 starting
ok $? "slow: starting (not ready yet)"
is "$(sv_field dep 2)" down "dep: waits, down"
echo go >"$T/go"
wait_for 10 sv_is dep 2 up
ok $? "dep: started once slow is ready"
is "$(sv_field slow 2)" up "slow: up"
sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
done_testing
