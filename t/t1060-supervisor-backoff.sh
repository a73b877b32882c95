#!/bin/sh
# supervisor: restarts back off exponentially with jitter (first restart
# immediate, delays drawn from [d/2, d] for d = base, 2 base, 4 base... up
# to backoff_max) and the backoff resets after stable_after of uptime, or
# once a service with readiness was ready.
# The delays are those the supervisor logs ("restart in N ms"), exact; the
# stamps (CLOCK_REALTIME, ms) each run appends show they were waited out.
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 22

cat >"$T/run.ini" <<EOF2
[supervisor]
crash_limit = 0

[crash]
command = sh -c 'echo \$((\$(date +%s%N) / 1000000)) >> stamps; exit 1'
cwd = $T
backoff_base = 300ms
backoff_max = 1200ms

[steady]
command = sh -c 'n=\$(cat n 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > n; echo \$((\$(date +%s%N) / 1000000)) >> steady; [ \$n -eq 4 ] && sleep 1.5; exit 1'
cwd = $T
backoff_base = 300ms
backoff_max = 10s
stable_after = 1s

[readied]
command = sh -c 'n=\$(cat rn 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > rn; [ \$n -eq 4 ] && { echo >&3; sleep 0.3; }; exit 1'
cwd = $T
ready = fd 3
backoff_base = 300ms
backoff_max = 10s
EOF2
sv_start "$T/run.ini"
wait_for 30 lines_ge "$T/stamps" 8
ok $? "crash: 8 runs"
sv_is crash 2 backoff || sv_is crash 2 up
ok $? "crash: still restarting (no crash-loop cutoff)"

# delays: what the supervisor chose; gaps: between two runs' stamps
delays() { sed -n "s/.*$1: died .* restart in \([0-9]*\) ms.*/\1/p" "$T/log"; }
gaps() { awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$1"; }
set -- $(delays crash | head -7)
diag "crash: delays (ms): $*"
is "$1" 0 "first restart immediate"
[ "$2" -ge 150 ] && [ "$2" -le 300 ]
ok $? "second restart after 150..300 ms ($2 ms)"
[ "$3" -ge 300 ] && [ "$3" -le 600 ]
ok $? "third after 300..600 ms ($3 ms)"
[ "$4" -ge 600 ] && [ "$4" -le 1200 ]
ok $? "fourth after 600..1200 ms ($4 ms)"
ok_cap=0
for i in "$5" "$6" "$7"; do
	[ "$i" -ge 600 ] && [ "$i" -le 1200 ] || ok_cap=1
done
ok $ok_cap "then capped at backoff_max 1200 ms, with jitter ($5 $6 $7 ms)"
[ "$5" != "$6" ] || [ "$6" != "$7" ]
ok $? "jitter: capped delays are not all equal"
d="$*"
set -- $(gaps "$T/stamps" | head -7)
diag "crash: gaps between runs (ms): $*"
short=0
for want in $d; do
	[ "$1" -ge "$want" ] || short=1
	shift
done
ok $short "each delay was waited out (every gap at least its delay)"
like "$(sv_field crash 6)" "exit:1" "crash: last status exit:1"

# steady: runs 1-3 crash at once (0, 150..300, 300..600 ms), run 4 lives
# 1.5 s (over stable_after = 1 s) and its death is restarted at once
wait_for 20 lines_ge "$T/steady" 6
ok $? "steady: 6 runs"
set -- $(delays steady | head -5)
diag "steady: delays (ms): $*"
[ "$1" -eq 0 ] && [ "$2" -ge 150 ] && [ "$3" -ge 300 ]
ok $? "steady: backing off before the stable run ($1, $2, $3 ms)"
is "$4" 0 "steady: after 1.5 s of uptime (over stable_after), restarted at once"
[ "$5" -ge 150 ] && [ "$5" -le 300 ]
ok $? "steady: then the backoff starts over ($5 ms)"
# what the supervisor measured and waited, not the fixture's sleep: it
# saw the stable run live over stable_after, and in wall-clock time
# restarted it at once and then waited the first delay again (without
# the reset, the fourth and fifth restarts would each wait 600 ms or more)
up4=$(sed -n 's/.*steady: died .* after \([0-9]*\) ms; restart in.*/\1/p' \
    "$T/log" | sed -n 4p)
[ "${up4:-0}" -ge 1000 ]
ok $? "steady: the supervisor saw the stable run live over stable_after" \
    "(${up4:-?} ms)"
d5=$5
set -- $(gaps "$T/steady")
[ "$4" -ge 1500 ] && [ "$4" -lt 2100 ]
ok $? "steady: the stable run lived 1.5 s and was restarted at once," \
    "by the clock: the run and its restart took 1500..2100 ms ($4 ms)"
[ "$5" -ge "$d5" ] && [ "$5" -lt 600 ]
ok $? "steady: the next restart waited its $d5 ms, under 600 ms ($5 ms)"

# readied: runs 1-3 die before they are ready (0, 150..300, 300..600
# ms), run 4 says it is ready and dies 0.3 s later (well under
# stable_after's default 10 s): restarted at once, and the backoff starts
# over
wait_for 20 grep -q "readied: died .*restart in" "$T/log" &&
    wait_for 20 sh -c '[ $(grep -c "readied: died .*restart in" "$1") -ge 5 ]' \
    _ "$T/log"
ok $? "readied: 5 deaths"
set -- $(delays readied | head -5)
diag "readied: delays (ms): $*"
[ "$1" -eq 0 ] && [ "$2" -ge 150 ] && [ "$3" -ge 300 ]
ok $? "readied: backing off before it is ready ($1, $2, $3 ms)"
is "$(grep -c 'readied: ready$' "$T/log")" 1 "readied: ready once"
[ "$4" -eq 0 ] && [ "$5" -ge 150 ] && [ "$5" -le 300 ]
ok $? "readied: after readiness, restarted at once ($4 ms); then the" \
    "backoff starts over ($5 ms)"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
done_testing
