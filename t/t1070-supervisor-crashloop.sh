#!/bin/sh
# supervisor: the crash-loop cutoff.  crash_limit deaths within crash_window
# mark a service failed (no more restarts) while the others keep running;
# a critical one stops the whole suite, and the supervisor exits 111 (or
# 100 when the critical service exited 100).
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 17

cat >"$T/run.ini" <<EOF2
[supervisor]
backoff_base = 10ms
backoff_max = 20ms
crash_limit = 4
crash_window = 10s

[loop]
command = sh -c 'echo run >> loop.runs; exit 1'
cwd = $T

[other]
command = sleep 1000
EOF2
sv_start "$T/run.ini"
wait_for 10 sv_is loop 2 failed
ok $? "loop: failed after a crash loop"
is "$(lines "$T/loop.runs")" 4 "loop: ran crash_limit = 4 times, not restarted after"
is "$(sv_field loop 3)" - "loop: no pid"
is "$(sv_field loop 5)" 3 "loop: 3 restarts"
logged "loop: failed: exit:1; crash loop: 4 deaths within 10s"
ok $? "loop: the cutoff is logged"
is "$(sv_field other 2)" up "other: still up (loop is not critical)"
alive "$SV_PID"
ok $? "the supervisor keeps running"

# -c start clears the failure: the service runs (and loops) again
"$SV" -r "$T/run" -c start loop
is "$?" 0 "-c start loop"
wait_for 10 lines_ge "$T/loop.runs" 8
ok $? "loop: started again by -c start, 4 more runs"
wait_for 10 sv_is loop 2 failed
ok $? "loop: failed again"
"$SV" -r "$T/run" -c stop loop
is "$(sv_field loop 2)" down "loop: -c stop makes a failed service down"
sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"

# a critical service in a crash loop stops the suite: exit 111
cat >"$T/run2.ini" <<EOF2
[supervisor]
backoff_base = 10ms
backoff_max = 20ms
crash_limit = 3
crash_window = 10s

[other]
command = sh -c 'echo \$\$ > other.pid; echo >&3; exec sleep 1000'
cwd = $T
ready = fd 3

[core]
command = sh -c 'echo run >> core.runs; exit 1'
cwd = $T
critical = yes
after = other
EOF2
rm -f "$T/core.runs"
sv_start "$T/run2.ini"
wait "$SV_PID"
is "$?" 111 "critical service in a crash loop: the supervisor exits 111"
is "$(lines "$T/core.runs")" 3 "core ran 3 times"
[ -s "$T/other.pid" ] && ! alive "$(cat "$T/other.pid")"
ok $? "other was started, then stopped"
logged "core is critical: stopping every service"
ok $? "logged"

# a critical service exiting 100 stops the suite with exit 100
cat >"$T/run3.ini" <<EOF2
[core]
command = sh -c 'exit 100'
critical = yes
[other]
command = sleep 1000
EOF2
sv_start "$T/run3.ini"
wait "$SV_PID"
is "$?" 100 "critical service exits 100: the supervisor exits 100"
done_testing
