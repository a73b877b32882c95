#!/bin/sh
# The dev node's JSON-RPC over HTTP: the Substrate methods the observer
# uses, batches, JSON-RPC errors, extrinsic submission and rejection,
# keep-alive, fault injection (delay, errors, HTTP 500, drops, gap, hole,
# reorg, runtime upgrade), block production, readiness and SIGTERM.
. t/lib.sh
need_cmd curl "HTTP requests"
need_cmd jq "JSON"
need_cmd b2sum "BLAKE2b"

DEVNODE=t/devnode/devnode
[ -x $DEVNODE ] || skip_all "build first: make"
plan 73

# start: readiness on fd 3 (a fifo), URL in a file
mkfifo "$T/ready"
$DEVNODE -a 127.0.0.1:0 -A "$T/url" -d 3 -i 0 -n 10 -s 5 \
    3>"$T/ready" 2>"$T/log" &
pid=$!
track_pid $pid
read -r line <"$T/ready"
is "$line" "" "readiness: a newline on -d's fd"
U=$(cat "$T/url")
like "$U" '^http://127\.0\.0\.1:[0-9]+$' "-A writes the URL"

rpc() {	# rpc METHOD PARAMS-JSON
	curl -s -H 'Content-Type: application/json' \
	    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$U"
}
res() { rpc "$@" | jq -c .result; }
res_s() { rpc "$@" | jq -r .result; }
err() { rpc "$@" | jq -c '[.error.code, .error.message, .error.data]'; }

# chain queries
head=$(res_s chain_getFinalizedHead '[]')
like "$head" '^0x[0-9a-f]{64}$' "chain_getFinalizedHead"
is "$(res_s chain_getBlockHash '[10]')" "$head" "block 10 is the head"
is "$(res_s chain_getBlockHash '["0xa"]')" "$head" "a hex block number"
is "$(res chain_getBlockHash '[11]')" "null" "beyond the head: null"
h9=$(res_s chain_getBlockHash '[9]')
is "$(res chain_getBlockHash '[[9, 10, 99]]' | jq -c .)" \
    "[\"$h9\",\"$head\",null]" "a list of numbers"
hdr=$(res chain_getHeader "[\"${head#0x}\"]")
is "$(echo "$hdr" | jq -r .number)" "0xa" "header by a bare hash: number"
is "$(echo "$hdr" | jq -r .parentHash)" "$h9" "header: parent is block 9"
like "$(echo "$hdr" | jq -r '.digest.logs[0]')" '^0x0661757261' \
    "header: a PreRuntime aura digest"
is "$(res chain_getHeader '["0x'"$(printf '%064d' 7)"'"]')" "null" \
    "unknown block: null"
is "$(res chain_getHeader '[]' | jq -r .number)" "0xa" "no hash: the head"
like "$(res chain_getBlock "[\"$head\"]" | jq -r '.block.extrinsics[0]')" \
    '^0x[0-9a-f]+04010' "chain_getBlock: the timestamp extrinsic first"

# storage
EVENTS=0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7
NOW=0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb
like "$(res_s state_getStorage "[\"$EVENTS\", \"$head\"]")" '^0x[0-9a-f]{20,}' \
    "System.Events at a block"
now=$(res_s state_getStorage "[\"$NOW\", \"$h9\"]")
like "$now" '^0x[0-9a-f]{16}$' "Timestamp.Now is a u64"
is "$(res state_getStorage '["0x1234"]')" "null" "unknown key: null"
like "$(err state_getStorage "[\"$EVENTS\", \"0x$(printf '%064d' 1)\"]")" \
    '^\[4003,"Client error: UnknownBlock' "storage at an unknown block"
like "$(res_s state_getMetadata '[]')" '^0x6d6574610e' \
    "state_getMetadata: \"meta\", V14"
is "$(res state_getRuntimeVersion '[]' | jq .specVersion)" 1 "specVersion 1"
like "$(res_s state_call '["Metadata_metadata_at_version", "0x0f000000"]')" \
    '^0x01[0-9a-f]{4,8}6d6574610f' "state_call: V15 metadata"

# JSON-RPC framing
b=$(curl -s -H 'Content-Type: application/json' -d '[
 {"jsonrpc":"2.0","id":"a","method":"chain_getBlockHash","params":[9]},
 {"jsonrpc":"2.0","id":7,"method":"no_such_method","params":[]},
 {"jsonrpc":"2.0","method":"chain_getHead"},
 {"jsonrpc":"2.0","id":8,"method":"system_chain"}]' "$U")
is "$(echo "$b" | jq -c '[.[] | .id]')" '["a",7,8]' \
    "batch: one answer per call with an id, in order"
is "$(echo "$b" | jq -c '.[0].result, .[1].error.code')" \
    "\"$h9\"
-32601" "batch: results and errors"
is "$(curl -s -d '[{"jsonrpc":"2.0","method":"chain_getHead"}]' "$U")" "" \
    "a batch of notifications: no body"
is "$(curl -s -d 'not json' "$U" | jq -c '[.error.code, .id]')" \
    '[-32700,null]' "parse error"
is "$(curl -s -d '{"id":1,"method":"chain_getHead"}' "$U" | jq .error.code)" \
    -32600 "no jsonrpc member: invalid request"
is "$(curl -s -d '[]' "$U" | jq .error.code)" -32600 "empty batch"
is "$(rpc chain_getBlockHash '["ten"]' | jq .error.code)" -32602 \
    "invalid params"

# HTTP
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/")" 405 "GET: 405"
is "$(curl -s "$U/health" | jq -c .isSyncing)" false "GET /health"
curl -sv -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U" \
    -d '{"jsonrpc":"2.0","id":2,"method":"system_name"}' "$U" \
    >/dev/null 2>"$T/curl.log"
grep -qi 're-us' "$T/curl.log"
ok $? "keep-alive: a second request re-uses the connection"
is "$(curl -s --http1.0 -o /dev/null -w '%{num_connects}' \
    -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U")" 1 \
    "HTTP/1.0 is served"

# pipelined requests on one connection: all answered, in order, and
# "Connection: close" on the last closes it
if command -v python3 >/dev/null; then
	is "$(python3 - "${U##*:}" <<'EOP'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
def req(i, close=b''):
    b = b'{"jsonrpc":"2.0","id":%d,"method":"system_name"}' % i
    return b'POST / HTTP/1.1\r\nContent-Length: %d\r\n%s\r\n%s' % (len(b), close, b)
s.sendall(req(1) + req(2) + req(3, b'Connection: close\r\n'))
data = b''
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(' '.join(str(data.find(b'"id":%d' % i) > 0) for i in (1, 2, 3)),
    data.find(b'"id":1') < data.find(b'"id":2') < data.find(b'"id":3'))
EOP
)" "True True True True" "pipelined requests: three answers, in order, then closed"
else
	skip "pipelined requests: python3 not found"
fi

# author_submitExtrinsic: an unsigned extrinsic for Timestamp (pallet 1)
XT=0x1004010001
want=0x$(printf '\020\004\001\000\001' | b2sum -l 256 | cut -d' ' -f1)
is "$(res_s author_submitExtrinsic "[\"$XT\"]")" "$want" \
    "accepted: its hash is BLAKE2b-256 of the bytes"
is "$(err author_submitExtrinsic "[\"$XT\"]")" \
    '[1013,"Transaction Already Imported",null]' "a duplicate"
like "$(err author_submitExtrinsic '["0xzz"]')" '^\[-32602,' "bad hex"
like "$(err author_submitExtrinsic '["0x0c0401"]')" \
    '^\[1001,"Extrinsic has invalid format' "a wrong length prefix"
like "$(err author_submitExtrinsic '["0x1005010000"]')" \
    '^\[1001,.*version' "a wrong extrinsic version"
like "$(err author_submitExtrinsic '["0x0c040900"]')" \
    '^\[1001,.*RuntimeCall' "an unknown pallet"
is "$(err author_submitExtrinsic '["0x0c0401ff"]')" \
    '[1010,"Invalid Transaction","Transaction call is not expected"]' \
    "an invalid call"
sig0=$(printf '%0128d' 0)
body="8400$(printf '%064d' 0)01${sig0}0100"
len=$(( ${#body} / 2 ))
pre=$(printf '%04x' $(( len * 4 + 1 )) | sed 's/\(..\)\(..\)/\2\1/')
is "$(err author_submitExtrinsic "[\"0x$pre$body\"]")" \
    '[1010,"Invalid Transaction","Transaction has a bad signature"]' \
    "a signed extrinsic with a zero signature"
t0=$(( $(date +%s%N) / 1000000 ))
is "$(res dev_produce '[]')" 11 "dev_produce: block 11"
t1=$(( $(date +%s%N) / 1000000 ))
p=$(res dev_producedAt '[11]')
ok "$([ "$p" -ge "$t0" ] && [ "$p" -le "$t1" ]; echo $?)" \
    "dev_producedAt: the wall clock when block 11 was made"
h11=$(res_s chain_getBlockHash '[11]')
is "$(res chain_getBlock "[\"$h11\"]" | jq -r '.block.extrinsics[-1]')" "$XT" \
    "the submitted extrinsic is in block 11"
is "$(res dev_expected '[11]' | jq -r '.[-1] | .name + " " + (.phase.applyExtrinsic | tostring)')" \
    "ExtrinsicSuccess $(( $(res chain_getBlock "[\"$h11\"]" | jq '.block.extrinsics | length') - 1 ))" \
    "and its ExtrinsicSuccess closes the block's events"

python3 -c "
n = 200000
v = (n << 2) | 2
print('{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"author_submitExtrinsic\",'
    '\"params\":[\"0x' + v.to_bytes(4, 'little').hex() + '040100' + 'ab' * (n - 3) + '\"]}')
" >"$T/big.json"
like "$(curl -s -H 'Expect: 100-continue' -d @"$T/big.json" "$U" | jq -r .result)" \
    '^0x[0-9a-f]{64}$' "a 200 kB extrinsic, with Expect: 100-continue"

# faults
is "$(res dev_fault '["delay=400,1"]')" true "dev_fault delay"
t=$(curl -s -o /dev/null -w '%{time_total}' \
    -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U")
ok "$(awk "BEGIN{print !($t >= 0.39)}")" "a delayed answer took ${t}s"
t=$(curl -s -o /dev/null -w '%{time_total}' \
    -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U")
ok "$(awk "BEGIN{print !($t < 0.3)}")" "the next is not delayed (${t}s)"
res dev_fault '["error=2"]' >/dev/null
is "$(err system_name '[]')" '[-32603,"Internal error","injected by devnode"]' \
    "an injected error"
is "$(rpc system_name '[]' | jq .error.code)" -32603 "a second one"
is "$(res_s system_name '[]')" serai-devnode "then answers again"
res dev_fault '["http500=1"]' >/dev/null
is "$(curl -s -o /dev/null -w '%{http_code}' \
    -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U")" 500 "HTTP 500"
res dev_fault '["drop=1"]' >/dev/null
curl -s -d '{"jsonrpc":"2.0","id":1,"method":"system_name"}' "$U" >/dev/null
is $? 52 "a dropped connection: an empty reply"
is "$(res_s system_name '[]')" serai-devnode "then answers again"
like "$(err dev_fault '["bogus=1"]')" '^\[-32602,.*bad fault' "a bad fault"

res dev_fault '["gap"]' >/dev/null
res dev_produce '[]' >/dev/null
is "$(res chain_getHeader "[\"$(res_s chain_getBlockHash '[12]')\"]" |
    jq -r .parentHash | grep -c "$h11")" 0 "gap: block 12's parent is not 11"
res dev_fault '["hole=5"]' >/dev/null
is "$(res chain_getBlockHash '[5]')" null "hole: block 5 has no hash"
old=$(res_s chain_getFinalizedHead '[]')
res dev_fault '["reorg"]' >/dev/null
new=$(res_s chain_getFinalizedHead '[]')
ok "$([ "$old" != "$new" ] && [ "$(res chain_getHeader "[\"$new\"]" |
    jq -r .number)" = 0xc ]; echo $?)" "reorg: block 12 has a new hash"
is "$(res chain_getHeader "[\"$old\"]")" null "and the old one is gone"

res dev_fault '["upgrade"]' >/dev/null
res dev_produce '[2]' >/dev/null
h13=$(res_s chain_getBlockHash '[13]')
is "$(res state_getRuntimeVersion "[\"$h13\"]" | jq .specVersion)" 2 \
    "upgrade: specVersion 2 from block 13"
is "$(res state_getRuntimeVersion "[\"$new\"]" | jq .specVersion)" 1 \
    "block 12 still has 1"
ok "$([ "$(res_s state_getMetadata "[\"$h13\"]")" != \
    "$(res_s state_getMetadata "[\"$new\"]")" ]; echo $?)" \
    "the metadata changed"
is "$(res dev_expected '[13]' | jq -r '[.[].name] | index("CodeUpdated") != null')" \
    true "block 13 has System.CodeUpdated"
is "$(res dev_expected '[14]' | jq -r '[.[].name] | index("Slashed") != null')" \
    true "block 14 has the new event, ValidatorSets.Slashed"

# SIGTERM: exit 0, promptly
kill -TERM $pid
wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
ok $? "SIGTERM: the dev node exits promptly"
wait $pid
is $? 0 "with status 0"
like "$(cat "$T/log")" '^devnode: info: ' "log lines are \"devnode: level: ...\""

# block production on a timer, and a backlog
$DEVNODE -a 127.0.0.1:0 -A "$T/url2" -i 100ms -n 10000 -q 2>"$T/log2" &
pid=$!
track_pid $pid
wait_for 20 test -s "$T/url2"
ok $? "a 10000-block backlog is ready"
U=$(cat "$T/url2")
is "$(res chain_getBlockHash '[10000]' | jq -r 'length')" 66 "block 10000 exists"
wait_for 10 sh -c "[ \$(curl -s -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dev_status\"}' $U | jq .result.head) -ge 10003 ]"
ok $? "-i 100ms: new blocks keep coming"
kill -TERM $pid

# usage errors
$DEVNODE -i nonsense 2>"$T/err"
is $? 100 "a bad interval: exit 100"
like "$(cat "$T/err")" '^devnode: fatal: bad interval' "with a message"
$DEVNODE -F nope=1 -a 127.0.0.1:0 2>"$T/err"
is $? 100 "a bad fault: exit 100"

done_testing
