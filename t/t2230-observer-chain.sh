#!/bin/sh
# t2230: the chain's own troubles, over a pipe (-o - -J: what is published
# is what comes out, no broker needed):
#   - a block whose parent is not the previous block (-F gap): a loud
#     error, the scan halts there, nothing past it is published, the
#     observer stays up and says "halted" (log, status, HealthReport);
#   - the finalized head replaced after it was published (reorg): the same;
#   - a block the node cannot name (hole): retried, nothing skipped;
#   - a runtime upgrade: the metadata is read again, the new event
#     (ValidatorSets.Slashed) decodes, spec_version follows, with V14 and
#     V15 metadata;
#   - node errors, HTTP 500s, dropped connections and slow answers: retried
#     with clear log lines, every block and event still published once.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
plan 43

# run DIR [observer args]: the observer writing JSON Lines to DIR/out.jsonl
run() {
	_rd=$1
	shift
	"$OBSERVER" -f "$_rd/coord.ini" -o - -J "$@" >"$_rd/out.jsonl" \
	    2>"$_rd/err" </dev/null &
	OBS_PID=$!
	track_pid $OBS_PID
}
nblocks() { grep -c '"BLOCK_UPDATE"' "$1/out.jsonl"; }
# st_num DIR LINE KEY: KEY's number on LINE of DIR's status file
st_num() {
	sed -n "s/^$2 \(.* \)*$3=\([0-9]*\).*/\2/p" "$1/run/observer.status"
}
# went_back DIR MS: true once the observer has been back to the node after
# wall-clock MS: a status file written after MS, then one with more RPC
# requests (the file is written between scan steps, so those requests are
# a whole step begun after MS)
went_back() {
	wait_for 10 sh -c "[ \"\$(sed -n 's/^observer .* updated_ms=\([0-9]*\).*/\1/p' \
	    '$1/run/observer.status')\" -gt $2 ]" || return 1
	_wb=$(st_num "$1" rpc requests)
	wait_for 10 sh -c "[ \"\$(sed -n 's/^rpc requests=\([0-9]*\) .*/\1/p' \
	    '$1/run/observer.status')\" -gt $_wb ]"
}

# --- a gap: block 20 does not extend block 19
D=$T/gap
dn_start "$D/dn" -i 0 -n 30 -F gap=20
obs_conf "$D" alice "polling_interval = 100ms"
run "$D"
wait_for 20 grep -q "HALTED at block 20" "$D/err"
ok $? "gap: a loud error at block 20"
like "$(grep HALTED "$D/err" | head -1)" \
    "observer: error: HALTED at block 20: parent mismatch: finalized block 20 names parent 0x[0-9a-f]{64}, but block 19 is 0x[0-9a-f]{64}" \
    "gap: it names both hashes"
is "$(blocks "$D/out.jsonl" | tr '\n' ' ')" "$(seq 0 19 | tr '\n' ' ')" \
    "gap: blocks 0..19 published, nothing past the break"
wait_for 10 grep -q "^scan state=halted" "$D/run/observer.status"
ok $? "gap: the status file says halted"
like "$(grep '^halted' "$D/run/observer.status")" "parent mismatch" \
    "gap: ... and why"
wait_for 10 grep -q '"state":"halted"' "$D/out.jsonl"
ok $? "gap: a HealthReport says halted"
kill -0 $OBS_PID
ok $? "gap: the observer stays up (re-checking)"
rpc dev_produce '[3]' >/dev/null
t_prod=$(date +%s%3N)
went_back "$D" "$t_prod"
ok $? "gap: three blocks more: the observer goes back to the node"
is "$(blocks "$D/out.jsonl" | tail -1)" 19 "gap: still nothing past 19"
obs_stop $OBS_PID
is "$RC" 0 "gap: SIGTERM: exit 0"

# --- the finalized head replaced after it was published
D=$T/reorg
dn_start "$D/dn" -i 0 -n 10
obs_conf "$D" alice "polling_interval = 100ms"
run "$D"
wait_for 20 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge 11 ]"
ok $? "reorg: blocks 0..10 published"
rpc dev_fault '["reorg"]' >/dev/null
wait_for 20 grep -q "HALTED at block 11: finalized block 10 was 0x[0-9a-f]* when published, the node now says 0x" "$D/err"
ok $? "reorg: the replaced head halts the scan at once"
rpc dev_produce '[1]' >/dev/null
wait_for 20 grep -q "HALTED at block 11: parent mismatch" "$D/err"
ok $? "reorg: the block after it does not extend what was published"
is "$(nblocks "$D")" 11 "reorg: nothing past block 10"
obs_stop $OBS_PID

# --- a hole: chain_getBlockHash(15) says null
D=$T/hole
dn_start "$D/dn" -i 0 -n 30 -F hole=15
obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 8"
run "$D"
wait_for 20 grep -q "block 15: chain_getBlockHash says null" "$D/err"
ok $? "hole: says the node cannot name block 15"
wait_for 5 grep -q '"number":14,' "$D/out.jsonl"
ok $? "hole: blocks up to 14 published"
# a retry of block 15 after 14 was published: a new line
n_hole=$(grep -c "block 15: chain_getBlockHash says null" "$D/err")
wait_for 10 sh -c "[ \$(grep -c 'block 15: chain_getBlockHash says null' \
    '$D/err') -gt $n_hole ]"
ok $? "hole: block 15 asked for again"
is "$(blocks "$D/out.jsonl" | tail -1)" 14 "hole: nothing skipped past it"
grep -q HALTED "$D/err"
ok $((! $?)) "hole: a transient failure, not a halt"
obs_stop $OBS_PID

# --- runtime upgrades, V14 and V15 metadata
for mv in 14 15; do
	D=$T/up$mv
	dn_start "$D/dn" -i 0 -n 100 -m $mv -F upgrade=50
	F='["ValidatorSets.NewSet","ValidatorSets.KeyGen","ValidatorSets.AcceptedHandover","ValidatorSets.SetRetired","InInstructions.Batch","Coins.BurnWithInstruction","ValidatorSets.Slashed","System.CodeUpdated"]'
	obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 16" \
	    "events = $(echo "$F" | jq -r 'join(", ")')"
	run "$D"
	wait_for 30 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge 101 ]"
	ok $? "V$mv upgrade: all 101 blocks published"
	like "$(cat "$D/err")" "runtime upgrade in block 50 \(0x[0-9a-f]+…\): spec_version 1 -> 2" \
	    "V$mv upgrade: noticed in block 50"
	like "$(cat "$D/err")" "runtime 2: metadata V$mv read" \
	    "V$mv upgrade: the new metadata read"
	like "$(cat "$D/err")" "events: runtime 1 has no event ValidatorSets.Slashed" \
	    "V$mv upgrade: an event the old runtime lacks is pointed out"
	is "$(jq -r 'select(.type == "BLOCK_UPDATE") |
	    "\(.body.number):\(.body.spec_version)"' "$D/out.jsonl" |
	    sed -n '50p;51p;52p' | tr '\n' ' ')" "49:1 50:2 51:2 " \
	    "V$mv upgrade: spec_version per block"
	events "$D/out.jsonl" >"$D/got.ev"
	expected 0 100 "$F" >"$D/want.ev"
	cmp -s "$D/got.ev" "$D/want.ev"
	ok $? "V$mv upgrade: every event as generated, old and new runtime"
	grep -q "ValidatorSets.Slashed" "$D/got.ev" &&
	    grep -q "^50 .* System.CodeUpdated" "$D/got.ev"
	ok $? "V$mv upgrade: CodeUpdated in 50, the new Slashed after it"
	obs_stop $OBS_PID
done

# --- a node in trouble: errors, 500s, drops, slow answers, while the
# observer catches up 200 blocks
D=$T/faults
dn_start "$D/dn" -i 0 -n 0
obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 16" \
    "rpc_timeout = 250ms"
run "$D"
wait_for 20 grep -q "ready" "$D/err"
ok $? "faults: started"
# one request each: the faults apply to every later request, dev_* too
curl -s -d '[{"jsonrpc":"2.0","id":1,"method":"dev_produce","params":[100]},
    {"jsonrpc":"2.0","id":2,"method":"dev_fault","params":["error=4",
    "http500=5"]}]' "$URL" >/dev/null
wait_for 60 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge 101 ]"
ok $? "faults: node errors and HTTP 500s: 101 blocks published in the end"
curl -s -d '[{"jsonrpc":"2.0","id":1,"method":"dev_produce","params":[100]},
    {"jsonrpc":"2.0","id":2,"method":"dev_fault","params":["drop=3",
    "delay=400,5"]}]' "$URL" >/dev/null
wait_for 60 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge 201 ]"
ok $? "faults: dropped connections, slow answers: all 201 in the end"
is "$(blocks "$D/out.jsonl" | tr '\n' ' ')" "$(seq 0 200 | tr '\n' ' ')" \
    "faults: in order, none twice"
events "$D/out.jsonl" >"$D/got.ev"
expected 0 200 >"$D/want.ev"
cmp -s "$D/got.ev" "$D/want.ev"
ok $? "faults: every event of interest once, as generated"
like "$(cat "$D/err")" "node error -32603: Internal error" \
    "faults: node errors logged"
like "$(cat "$D/err")" "HTTP status 500 \(4 attempts\)" \
    "faults: HTTP 500s retried, then logged"
like "$(cat "$D/err")" "(timed out|Timeout)" "faults: timeouts logged"
kill -0 $OBS_PID
ok $? "faults: no crash"
obs_stop $OBS_PID
is "$RC" 0 "faults: SIGTERM: exit 0"
done_testing
