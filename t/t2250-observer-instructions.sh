#!/bin/sh
# t2250: instructions on p2p-inbound, bare or relayed by the connector
# (P2pReceived), go to the node with author_submitExtrinsic and their
# outcome is published (InstructionResult on serai-observation); one the
# node refuses is a dead letter carrying the node's error plus a failed
# result; the node's transient errors are retried; a duplicate is dropped.
# Both Kafka kinds.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
need_cmd b2sum "BLAKE2b of the extrinsics"
need_cmd basenc "hex to bytes"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
kafka_require
# 24 per broker kind, 6 of streams after them
plan $(($(kafka_kinds | wc -w) * 24 + 6))

b2() { printf '%s' "${1#0x}" | tr a-f A-F | basenc --base16 -d |
    b2sum -l 256 | cut -d' ' -f1; }
results() {
	obs_dump "$D" serai_observation >"$D/so.jsonl"
	jq -r 'select(.type == "INSTRUCTION_RESULT") | .body |
	    "\(.ok) \(.code) \(.tx_hash[2:]) \(.error)"' "$D/so.jsonl"
}
nresults() { results | wc -l; }
# handled OK FAILED: the status file's counters say so
handled() {
	wait_for 30 grep -q "^instructions queued=0 ok=$1 failed=$2 " \
	    "$D/run/observer.status"
}

XT1=0x0c040200				# unsigned, pallet 2, call 0
XT2=0x0c040301				# pallet 3, call 1 (not set_keys)
ZSIG=$(printf "%0128d" 0)			# an all-zero signature
XT_BADSIG=0x95018400$(printf '11%.0s' $(seq 32))01${ZSIG}0200
XT_BADFMT=0x00				# no body at all
# ValidatorSets.set_keys(Bitcoin, (key, 32-byte external key), signature):
# 133 bytes, Compact 0x1502
XT_SK=0x150204030001$(printf 'ab%.0s' $(seq 32))80$(printf 'cd%.0s' $(seq 32))$(printf '5%.0s' $(seq 128))

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	dn_start "$D/dn" -i 0 -n 3
	obs_conf "$D" alice "polling_interval = 60s"	# no poll eats the errors
	obs_topics "$D"
	case $kind in mock) sess=4000 ;; *) sess=6000 ;; esac
	obs_start "$D" -X session.timeout.ms=$sess -X heartbeat.interval.ms=500
	wait_for 30 test -s "$D/ready"
	ok $? "$kind: ready"

	obs_tool "$D" -x one instr $XT1 2>>"$D/tool.err"
	wait_for 30 sh -c "[ \$(curl -s -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dev_status\"}' $URL | jq .result.pending) -eq 1 ]"
	ok $? "$kind: a bare Instruction reaches the node's pool"
	handled 1 0
	is "$(results | head -1)" "true 0 $(b2 $XT1) " \
	    "$kind: InstructionResult ok, with the extrinsic's hash"

	obs_tool "$D" -r -x two instr $XT2 2>>"$D/tool.err"
	wait_for 30 sh -c "[ \$(curl -s -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dev_status\"}' $URL | jq .result.pending) -eq 2 ]"
	ok $? "$kind: one relayed by the connector (P2pReceived) too"
	handled 2 0
	is "$(results | sed -n 2p)" "true 0 $(b2 $XT2) " \
	    "$kind: ... and its result"

	# the node refuses these: dead letters and failed results
	obs_tool "$D" -x three instr $XT_BADSIG 2>>"$D/tool.err"
	obs_tool "$D" -r -x four instr $XT_BADFMT 2>>"$D/tool.err"
	handled 2 2
	ok $? "$kind: the node refused two"
	is "$(results | sed -n 3p | cut -d' ' -f1-2)" "false 1010" \
	    "$kind: a bad signature: not ok, code 1010"
	like "$(results | sed -n 3p)" "Invalid Transaction" \
	    "$kind: ... with the node's message"
	is "$(results | sed -n 4p | cut -d' ' -f1-2)" "false 1001" \
	    "$kind: a malformed extrinsic: not ok, code 1001"
	obs_dump "$D" coordinator_dlq >"$D/dlq.jsonl"
	like "$(jq -r 'select(.type == "DEAD_LETTER") | .body.reason' \
	    "$D/dlq.jsonl" | grep 1010)" \
	    "the node refused the instruction from alice.obstool: error 1010: Invalid Transaction" \
	    "$kind: a dead letter with the node's error (1010)"
	like "$(jq -r 'select(.type == "DEAD_LETTER") | .body.reason' \
	    "$D/dlq.jsonl" | grep 1001)" \
	    "the node refused the instruction from alice: error 1001: Extrinsic has invalid format" \
	    "$kind: ... and for the malformed one (1001), relayed from alice"
	is "$(jq -r 'select(.type == "DEAD_LETTER") | .body.topic' \
	    "$D/dlq.jsonl" | sort -u)" "p2p-inbound" \
	    "$kind: the dead letters carry the p2p-inbound records"

	# transient errors: retried until the node takes it
	rpc dev_fault '["error=2"]' >/dev/null
	obs_tool "$D" -x five instr 0x0c040400 2>>"$D/tool.err"
	handled 3 2
	is "$(results | sed -n 5p)" "true 0 $(b2 0x0c040400) " \
	    "$kind: after two node errors, submitted"
	like "$(cat "$D/err")" "instruction from alice.obstool: node error: Internal error .*attempt 1; again in" \
	    "$kind: the transient errors were logged and retried"

	# an envelope from a sender nobody trusts: a dead letter, and the
	# next instruction is handled all the same
	mkdir -p "$D/mallory"
	chmod 700 "$D/mallory"
	"$KEYGEN" -q -f "$D/coord.ini" "$D/mallory/m.key" >/dev/null 2>&1
	obs_tool "$D" -k "$D/mallory/m.key" -I mallory.obstool -x m \
	    instr 0x0c040000 2>>"$D/tool.err"
	wait_for 30 grep -q "rejected record p2p-inbound.*mallory.obstool" \
	    "$D/err"
	ok $? "$kind: an untrusted sender's record is rejected"

	# the same instruction again: a duplicate, dropped
	obs_tool "$D" -x one instr $XT1 2>>"$D/tool.err"
	obs_tool "$D" -x six instr 0x0c040100 2>>"$D/tool.err"
	handled 4 2
	is "$(results | sed -n 6p)" "true 0 $(b2 0x0c040100) " \
	    "$kind: a duplicate is dropped, the next one handled"
	is "$(nresults)" 6 "$kind: six results for six instructions"

	# set_keys submitted by two validators, the second after a block
	# included the first: the node says temporarily banned (1012), and
	# that is ok (session 1's set, not yet keyed: block 21)
	rpc dev_produce '[18]' >/dev/null
	obs_tool "$D" -x seven instr $XT_SK 2>>"$D/tool.err"
	handled 5 2
	is "$(results | sed -n 7p)" "true 0 $(b2 $XT_SK) " \
	    "$kind: a set_keys submitted"
	rpc dev_produce '[1]' >/dev/null
	is "$(rpc dev_expected '[22]' | jq -r '[.[] | select(.name == "KeyGen") | .fields.set.session] | tostring')" \
	    "[1]" "$kind: ... and included: KeyGen for session 1"
	obs_tool "$D" -x eight instr $XT_SK 2>>"$D/tool.err"
	handled 6 2
	is "$(results | sed -n 8p)" \
	    "true 1012 $(b2 $XT_SK) Transaction is temporarily banned" \
	    "$kind: the same set_keys again, after inclusion: ok (1012)"
	grep -q "instruction from alice.obstool: already in a block" "$D/err"
	ok $? "$kind: ... logged as already in a block"
	like "$("$OBSERVER" -f "$D/coord.ini" -s | grep ^instructions)" \
	    "queued=0 ok=6 failed=2 retries=2 " "$kind: -s counts them"
	kill -0 "$OBS_PID"
	ok $? "$kind: no crash"
	obs_stop "$OBS_PID"
	is "$RC" 0 "$kind: SIGTERM: exit 0"
	kafka_stop "$kind"
done

# Streams: instructions read from a file (-i), results on stdout (-o -).
D=$T/stream
dn_start "$D/dn" -i 0 -n 2
obs_conf "$D" bob "polling_interval = 100ms"
"$OBSTOOL" -f "$D/coord.ini" -o "$D/in.jsonl" -J -x s1 instr 0x0c040200 \
    2>>"$D/tool.err"
"$OBSTOOL" -f "$D/coord.ini" -o "$D/in.jsonl" -J -r -x s2 instr 0x00 \
    2>>"$D/tool.err"
is "$(jq -r .type "$D/in.jsonl" | tr '\n' ' ')" "INSTRUCTION P2P_RECEIVED " \
    "stream: obstool wrote two envelopes"
"$OBSERVER" -f "$D/coord.ini" -i "$D/in.jsonl" -o - -J >"$D/out.jsonl" \
    2>"$D/err" </dev/null &
pid=$!
track_pid $pid
wait_for 20 sh -c "[ \$(grep -c INSTRUCTION_RESULT '$D/out.jsonl') -ge 2 ]"
ok $? "stream: both results on stdout"
is "$(jq -r 'select(.type == "INSTRUCTION_RESULT") | "\(.body.ok)"' \
    "$D/out.jsonl" | tr '\n' ' ')" "true false " "stream: ok, then refused"
grep -q "input ended; scanning goes on" "$D/err"
ok $? "stream: the end of the input is noted"
# idle after the input ended: no busy loop (CPU time over 2 s: a
# measurement interval, not a wait for a condition)
t0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
sleep 2
t1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
[ $((t1 - t0)) -lt 50 ]
ok $? "stream: idle at the end of its input ($((t1 - t0)) ticks in 2 s)"
obs_stop $pid
is "$RC" 0 "stream: SIGTERM: exit 0"
done_testing
