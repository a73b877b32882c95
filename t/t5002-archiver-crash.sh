#!/bin/sh
# t5002: the archiver killed (SIGKILL) in the middle of a batch, through
# both backends: after a restart and a replay of the input (what Kafka
# redelivers when offsets were not committed), nothing is lost and
# nothing is doubled; a torn record in the file store is cut off on open.
. t/lib.sh
. t/lib-archiver.sh
arch_require
plan 20

M=CRASHMK3
arch_gen 10000 "$M" > "$T/in.jsonl"
arch_gen 40000 "$M" > "$T/big.jsonl"

for b in file postgres; do
	n=c_$b
	ARCH_BATCH=2000 arch_setup $n $b
	# Deterministic: killed half-way through writing batch 3.
	ARCHIVER_FAULT_KILL_BATCH=3 arch $n -x import "$T/in.jsonl"
	is $? 137 "$b: killed by SIGKILL in the middle of batch 3"
	like "$(cat "$T/$n.log")" "fault injection: killed in the middle of batch 3" \
		"$b: the kill came from inside the batch"
	cnt=$(arch $n -x count | jq .records)
	ok $(test "$cnt" -ge 4000 && test "$cnt" -lt 10000; echo $?) \
		"$b: after restart the two committed batches are there ($cnt records)"
	if [ $b = file ]; then
		like "$(cat "$T/$n.log")" "incomplete last record at offset [0-9]+ .* truncated" \
			"$b: the torn record was found and cut off on open"
	else
		is "$cnt" 4000 "$b: the interrupted transaction left nothing"
	fi
	arch $n -x import "$T/in.jsonl"
	ok $? "$b: the input is fed again (a replay)"
	is "$(arch $n -x count)" '{"records":10000,"kv":2}' \
		"$b: nothing lost, nothing doubled"
	arch_export $n > "$T/out_$n.jsonl"
	cmp -s "$T/in.jsonl" "$T/out_$n.jsonl"
	ok $? "$b: the store holds exactly the input"

	# From outside: SIGKILL while a batch of 20000 is being written.
	n=k_$b
	ARCH_BATCH=20000 arch_setup $n $b
	"$A" -f "$T/$n.ini" -x import "$T/big.jsonl" 2>>"$T/$n.log" &
	pid=$!
	track_pid $pid
	if [ $b = file ]; then
		wait_for 30 sh -c "test \$(cat $T/$n.store/seg-*.dat | wc -c) -gt 4096"
	else
		wait_for 30 sh -c ". t/pg.sh; test \"\$(pg_psql $T/pg -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'archiver' AND datname = '$n' AND state <> 'idle'\")\" -gt 0"
	fi
	kill -KILL $pid 2>/dev/null
	wait $pid
	st=$?
	diag "$b: the import exited with status $st (137: killed in the middle)"
	arch $n -x import "$T/big.jsonl"
	ok $? "$b: restart and feed the input again"
	is "$(arch $n -x count)" '{"records":40000,"kv":2}' \
		"$b: after SIGKILL from outside: nothing lost, nothing doubled"
	arch_export $n > "$T/out_$n.jsonl"
	cmp -s "$T/big.jsonl" "$T/out_$n.jsonl"
	ok $? "$b: the store holds exactly the input"
done
done_testing
