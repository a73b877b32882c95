#!/bin/sh
# t2200: the observer publishes every finalized block of the dev node, in
# order, each extending the one before, with exactly the events of interest
# the dev node's generator put in it (dev_expected), typed, and NewSet's
# participants as ValidatorSets.Participants holds them; its cursor goes to
# coordinator-state; at the tip each new block is published; SIGTERM exits 0
# promptly; a restart resumes after the last block, repeating none; -s shows
# the status.  On both Kafka kinds.  Then the same over a pipe (-o - -J),
# without Kafka, and a pipe closed by its reader ends it quietly.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
need_cmd basenc "compares bytes"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
kafka_require
# 24 per broker kind, 7 over a pipe after them
plan $(($(kafka_kinds | wc -w) * 24 + 7))

N=120		# the backlog: blocks 0..N
for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	dn_start "$D/dn" -i 0 -n $N -s 7
	obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 16"
	obs_start "$D"
	wait_for 30 test -s "$D/ready"
	ok $? "$kind: ready once the cursor is read and the node polled"
	wait_for 60 grep -q "next=$((N + 1)) " "$D/run/observer.status"
	ok $? "$kind: caught up with the backlog (next block $((N + 1)))"
	obs_dump "$D" serai_observation >"$D/obs1.jsonl"
	is "$(blocks "$D/obs1.jsonl" | tr '\n' ' ')" \
	    "$(seq 0 $N | tr '\n' ' ')" \
	    "$kind: a BlockUpdate for every block, in order, once each"

	# hashes and parents: the node's, and a chain
	want=$(jq -nc --argjson n $N '[range(0; $n + 1) | {jsonrpc: "2.0",
	    id: ., method: "chain_getBlockHash", params: [.]}]' |
	    curl -s -d @- -H 'Content-Type: application/json' "$URL" |
	    jq -r 'sort_by(.id) | .[].result')
	got=$(jq -r 'select(.type == "BLOCK_UPDATE") | .body.hash' \
	    "$D/obs1.jsonl")
	is "$got" "$want" "$kind: each BlockUpdate has the block's hash"
	bad=$(jq -rs '[.[] | select(.type == "BLOCK_UPDATE") | .body] |
	    [range(1; length) as $i | select(.[$i].parent_hash !=
	    .[$i - 1].hash) | .[$i].number] | length' "$D/obs1.jsonl")
	is "$bad" 0 "$kind: each block's parent is the block before"
	is "$(jq -r 'select(.type == "BLOCK_UPDATE" and .body.number == 5)
	    | "\(.body.time_ms) \(.body.spec_version)"' "$D/obs1.jsonl")" \
	    "1700000030000 1" "$kind: time from Timestamp.Now, spec_version"

	# events: exactly what the generator made, in the observer's JSON
	events "$D/obs1.jsonl" >"$D/got.ev"
	expected 0 $N >"$D/want.ev"
	is "$(wc -l <"$D/got.ev")" "$(wc -l <"$D/want.ev")" \
	    "$kind: as many SeraiEvents as events of interest"
	cmp -s "$D/got.ev" "$D/want.ev"
	ok $? "$kind: each one's block, index, name and fields as generated"
	[ "$(wc -l <"$D/want.ev")" -gt 100 ]
	ok $? "$kind: ... many of them ($(wc -l <"$D/want.ev"))"
	is "$(jq -r 'select(.type == "BLOCK_UPDATE") | .body.event_count' \
	    "$D/obs1.jsonl" | awk '{ s += $1 } END { print s }')" \
	    "$(wc -l <"$D/want.ev" | tr -d ' ')" \
	    "$kind: event_count of the BlockUpdates adds up"

	# typed fields agree with the generic ones
	is "$(jq -r 'select(.type == "SERAI_EVENT" and .body.batch != null) |
	    .body | (.fields_json | fromjson) as $f |
	    select($f.id != .batch.id or
	    ({"Bitcoin": 1, "Ethereum": 2, "Monero": 3}[$f.network]) !=
	    .batch.network) | .block_number' "$D/obs1.jsonl" | wc -l)" 0 \
	    "$kind: Batch typed: network and id as in the fields"
	is "$(jq -r 'select(.type == "SERAI_EVENT" and
	    .body.burn_with_instruction != null) | .body |
	    (.fields_json | fromjson) as $f |
	    select(($f.instruction.balance.amount | tostring) !=
	    (.burn_with_instruction.amount | tostring) or
	    ($f.instruction.instruction.data == null) ==
	    .burn_with_instruction.has_data) | .block_number' \
	    "$D/obs1.jsonl" | wc -l)" 0 \
	    "$kind: BurnWithInstruction typed: amount and data as in the fields"
	is "$(jq -r 'select(.type == "SERAI_EVENT" and .body.key_gen != null)
	    | .body.key_gen.network_key' "$D/obs1.jsonl" | head -1 |
	    sed 's/^0x//' | tr -d '\n' | wc -c)" 66 \
	    "$kind: KeyGen typed: the network key (33 bytes of 0x-hex)"

	# NewSet: participants as stored at that block
	jq -r 'select(.type == "SERAI_EVENT" and .body.new_set != null) |
	    .body | "\(.block_number) \(.new_set.set.network) \(.new_set.set.session) \([.new_set.participants[] |
	    "\(.key)/\(.weight)"] | join(","))"' "$D/obs1.jsonl" >"$D/ns.got"
	: >"$D/ns.want"
	while read -r n net sess _; do
		rpc dev_participants "[$n, $net]" | jq -r '.[] |
		    "\(.key) \(.weight)"' | while read -r k w; do
			printf '%s/%s\n' "$(jhex "$k")" "$w"
		done | paste -sd, | sed "s|^|$n $net $sess |" >>"$D/ns.want"
	done <"$D/ns.got"
	[ "$(wc -l <"$D/ns.got")" -ge 20 ] && cmp -s "$D/ns.got" "$D/ns.want"
	ok $? "$kind: NewSet participants as ValidatorSets.Participants" \
	    "holds them ($(wc -l <"$D/ns.got") sets)"

	obs_dump "$D" coordinator_state >"$D/state1.jsonl"
	is "$(jq -r 'select(.type == "OBSERVER_CURSOR") | .body.next_block' \
	    "$D/state1.jsonl" | tail -1)" $((N + 1)) \
	    "$kind: the last cursor names the next block"

	# the tip: new blocks one by one
	rpc dev_produce '[3]' >/dev/null
	wait_for 20 grep -q "next=$((N + 4)) " "$D/run/observer.status"
	ok $? "$kind: three new blocks at the tip published"
	like "$("$OBSERVER" -f "$D/coord.ini" -s)" "scan state=tip next=$((N + 4)) .*lag=0" \
	    "$kind: -s shows the scan at the tip"

	t0=$(date +%s%N)
	obs_stop "$OBS_PID"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	is "$RC" 0 "$kind: SIGTERM: exit 0"
	[ "$ms" -lt 5000 ]
	ok $? "$kind: ... promptly ($ms ms)"

	# a restart resumes after the last block
	rpc dev_produce '[2]' >/dev/null
	obs_start "$D"
	wait_for 30 grep -q "next=$((N + 6)) " "$D/run/observer.status"
	ok $? "$kind: restarted: the two blocks made meanwhile published"
	like "$(cat "$D/err")" "resuming at block $((N + 4)) " \
	    "$kind: it resumed from the committed cursor"
	obs_dump "$D" serai_observation >"$D/obs2.jsonl"
	is "$(blocks "$D/obs2.jsonl" | tr '\n' ' ')" \
	    "$(seq 0 $((N + 5)) | tr '\n' ' ')" \
	    "$kind: still every block once, in order"
	events "$D/obs2.jsonl" >"$D/got2.ev"
	expected 0 $((N + 5)) >"$D/want2.ev"
	cmp -s "$D/got2.ev" "$D/want2.ev"
	ok $? "$kind: and every event of interest once"
	obs_stop "$OBS_PID"
	is "$RC" 0 "$kind: stopped"
	kafka_stop "$kind"
done

# A pipe: no Kafka at all, JSON Lines on stdout.
D=$T/pipe
dn_start "$D/dn" -i 0 -n 40 -s 3
obs_conf "$D" bob "polling_interval = 100ms"
"$OBSERVER" -f "$D/coord.ini" -o - -J >"$D/out.jsonl" 2>"$D/err" &
pid=$!
track_pid $pid
wait_for 30 sh -c "[ \$(grep -c BLOCK_UPDATE '$D/out.jsonl') -ge 41 ]"
ok $? "pipe: 41 BlockUpdates on stdout"
obs_stop $pid
is "$RC" 0 "pipe: SIGTERM: exit 0"
is "$(blocks "$D/out.jsonl" | tr '\n' ' ')" "$(seq 0 40 | tr '\n' ' ')" \
    "pipe: every block, in order"
events "$D/out.jsonl" >"$D/got.ev"
expected 0 40 >"$D/want.ev"
cmp -s "$D/got.ev" "$D/want.ev"
ok $? "pipe: the events of interest as generated"
like "$(jq -r 'select(.type == "OBSERVER_CURSOR") | .topic' "$D/out.jsonl" |
    sort -u)" '^coordinator-state$' "pipe: the cursor is in the stream"
like "$(cat "$D/err")" "cursor lives in memory" "pipe: says so"
( "$OBSERVER" -f "$D/coord.ini" -o - -J 2>"$D/err2"; echo $? >"$D/rc" ) |
    head -n 2 >/dev/null
wait_for 10 test -s "$D/rc"
is "$(cat "$D/rc")" 0 "pipe: a reader that goes away ends it quietly"
done_testing
