#!/bin/sh
# t5003: PostgreSQL goes away under the archiver: stopped for 30 s under
# an import, restarted, its backend killed.  The archiver reports the lost connection, retries the
# batch, reconnects, and loses nothing.
. t/lib.sh
. t/lib-archiver.sh
arch_require
plan 17

M=PGRSTMK
arch_gen 3000 "$M" 0 > "$T/in.jsonl"
ARCH_BATCH=500 arch_setup q postgres
sed -n 1,3000p "$T/in.jsonl" > "$T/recs.jsonl"	# the records only

mkfifo "$T/feed"
"$A" -f "$T/q.ini" -x import "$T/feed" 2>>"$T/q.log" &
pid=$!
track_pid $pid
exec 3>"$T/feed"

sed -n 1,1000p "$T/recs.jsonl" >&3
wait_for 30 sh -c "test \"\$(\"$A\" -f $T/q.ini -x count 2>/dev/null | jq .records)\" = 1000"
ok $? "two batches stored"

pg_stop "$T/pg"
ok $? "PostgreSQL stopped (fast shutdown)"
t_stop=$(date +%s)
# In the background: the pipe fills up while the archiver is retrying.
sed -n 1001,2000p "$T/recs.jsonl" >&3 &
feeder=$!
wait_for 30 grep -q "will retry" "$T/q.log"
ok $? "the archiver sees the failure and will retry"
like "$(cat "$T/q.log")" "connection lost|cannot connect" "and says the database went away"
# The outage lasts 30 s (a restart for an upgrade, a failover): the
# archiver keeps retrying (backoff up to 5 s) and loses nothing.  This
# sleep is the outage itself, not a wait for a condition.
left=$((t_stop + 30 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
kill -0 $pid
ok $? "30 s later the archiver is still there, retrying"
arch_pg_start_again 3>&-	# the server must not hold the pipe open
ok $? "PostgreSQL started again"
wait_for 60 sh -c "test \"\$(\"$A\" -f $T/q.ini -x count 2>/dev/null | jq .records)\" = 2000"
ok $? "the retried batches are stored once the server is back"
wait $feeder
like "$(cat "$T/q.log")" "stored after [0-9]+ retries" "the log says the batch was retried"

pg_psql "$T/pg" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE application_name = 'archiver' AND datname = 'q'" >/dev/null
ok $? "the archiver's backend is terminated"
sed -n 2001,3000p "$T/recs.jsonl" >&3 &
feeder=$!
exec 3>&-
wait $feeder
wait $pid
is $? 0 "the import finishes"
like "$(cat "$T/q.log")" "reconnected" "the archiver reconnected"
is "$(arch_count q)" 3000 "all 3000 records stored"
arch_export q > "$T/out.jsonl"
cmp -s "$T/recs.jsonl" "$T/out.jsonl"
ok $? "exactly the input: nothing lost, nothing doubled"

# Under load: a restart while a long import runs.
arch_gen 40000 "$M" 100000 > "$T/big.jsonl"
ARCH_BATCH=1000 arch_setup l postgres
"$A" -f "$T/l.ini" -x import "$T/big.jsonl" 2>>"$T/l.log" &
pid=$!
track_pid $pid
wait_for 30 sh -c "test \"\$(\"$A\" -f $T/l.ini -x count 2>/dev/null | jq .records)\" -gt 0"
arch_pg_restart
ok $? "PostgreSQL restarted during the import"
wait $pid
is $? 0 "the import finishes"
grep -Eq "connection lost|will retry" "$T/l.log" &&
	diag "the restart hit the import: $(grep -c 'will retry' "$T/l.log") retries" ||
	diag "the import did not notice the restart (it was between batches)"
is "$(arch_count l)" 40000 "all 40000 records stored"
arch_export l > "$T/out_l.jsonl"
cmp -s "$T/big.jsonl" "$T/out_l.jsonl"
ok $? "exactly the input"
done_testing
