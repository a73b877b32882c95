#!/bin/sh
# supervisor: restarts back off exponentially with jitter (first restart
# immediate, delays drawn from [d/2, d] for d = base, 2 base, 4 base... up
# to backoff_max) and the backoff resets after stable_after of uptime.
# Each run of the service appends a CLOCK_REALTIME stamp in ms.
. t/lib.sh
. t/golden/supervisor/lib.sh

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
EOF2
sv_start "$T/run.ini"
wait_for 30 lines_ge "$T/stamps" 8
ok $? "crash: 8 runs"
sv_is crash 2 backoff || sv_is crash 2 up
ok $? "crash: still restarting (no crash-loop cutoff)"

# intervals between runs, in ms
set -- $(awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$T/stamps" | head -7)
diag "crash: intervals between runs (ms): $*"
[ "$1" -lt 150 ]
ok $? "first restart immediate ($1 ms)"
[ "$2" -ge 150 ] && [ "$2" -lt 450 ]
ok $? "second restart after 150..300 ms ($2 ms)"
[ "$3" -ge 300 ] && [ "$3" -lt 750 ]
ok $? "third after 300..600 ms ($3 ms)"
[ "$4" -ge 600 ] && [ "$4" -lt 1350 ]
ok $? "fourth after 600..1200 ms ($4 ms)"
[ "$3" -ge "$2" ] && [ "$4" -ge "$3" ]
ok $? "delays grow"
ok_cap=0
for i in "$5" "$6" "$7"; do
	[ "$i" -ge 600 ] && [ "$i" -lt 1350 ] || ok_cap=1
done
ok $ok_cap "then capped at backoff_max 1200 ms, with jitter ($5 $6 $7 ms)"
[ "$5" != "$6" ] || [ "$6" != "$7" ]
ok $? "jitter: capped delays are not all equal"
like "$(sv_field crash 6)" "exit:1" "crash: last status exit:1"

# steady: runs 1-3 crash at once (0, 150..300, 300..600 ms), run 4 lives
# 1.5 s (over stable_after = 1 s) and its death is restarted at once
wait_for 20 lines_ge "$T/steady" 6
ok $? "steady: 6 runs"
set -- $(awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$T/steady")
diag "steady: intervals between runs (ms): $*"
[ "$2" -ge 150 ] && [ "$3" -ge 300 ]
ok $? "steady: backing off before the stable run ($2, $3 ms)"
[ "$4" -ge 1500 ] && [ "$4" -lt 1800 ]
ok $? "steady: after 1.5 s of uptime, restarted at once ($4 ms)"
[ "$5" -ge 150 ] && [ "$5" -lt 450 ]
ok $? "steady: then the backoff starts over ($5 ms)"

sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
done_testing
