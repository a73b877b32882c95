#!/bin/sh
# t0135: the -J mapping (issue 13).  The observer's JSON Lines on a pipe,
# read with jq: block numbers are JSON numbers (select(.body.number > N)
# compares numerically), block 0's number is 0, not null, and no field is
# null; hashes and signatures are 0x-hex, as the node and -s show them.
# Read back (busprobe -i - -J recv), the lines verify and print as they
# were; so do the same lines in the old mapping (bytes in base64, 64-bit
# integers as strings).  Bad values are rejected with the field named and
# the rest goes on.  No broker: the pipe needs none.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "the test reads JSON Lines with jq"
need_cmd python3 "the test writes the old mapping with Python"
need_cmd curl "the test asks the dev node for block hashes"
plan 16

D=$T/pipe
dn_start "$D/dn" -i 0 -n 40 -s 3
obs_conf "$D" alice "polling_interval = 100ms"
"$OBSERVER" -f "$D/coord.ini" -X bootstrap.servers=127.0.0.1:1 -o - -J \
    >"$D/out.jsonl" 2>"$D/err" &
pid=$!
track_pid $pid
wait_for 30 sh -c "[ \$(grep -c BLOCK_UPDATE '$D/out.jsonl') -ge 41 ]"
ok $? "the observer wrote blocks 0..40 as JSON Lines"
obs_stop $pid
is "$RC" 0 "... and stopped on SIGTERM"
J=$D/out.jsonl

# Numbers: jq compares them as numbers (as strings, all 41 would match).
is "$(jq -r 'select(.type == "BLOCK_UPDATE" and .body.number > 30) |
    .body.number' "$J" | tr '\n' ' ')" "31 32 33 34 35 36 37 38 39 40 " \
    "select(.body.number > 30) picks blocks 31..40"
is "$(jq -c 'select(.type == "BLOCK_UPDATE") | .body.number' "$J" |
    head -n 1)" 0 "block 0's number is 0, not null"
is "$(jq -r 'select(.type == "BLOCK_UPDATE") | [.created_ms, .version,
    .body.number, .body.time_ms] | map(type) | join(" ")' "$J" | sort -u)" \
    "number number number number" \
    "created_ms, version, number, time_ms: JSON numbers in every block"
is "$(jq -c '[paths(. == null)] | select(length > 0)' "$J" | wc -l |
    tr -d ' ')" 0 "no field of any line is null"

# Bytes: 0x-hex, lowercase, the node's own notation.
is "$(jq -r 'select(.type == "BLOCK_UPDATE" and .body.number == 7) |
    .body.hash' "$J")" "$(rpc chain_getBlockHash '[7]' | tr -d '"')" \
    "block 7's hash as the node writes it"
is "$(jq -r '.intent, .signature, (.body | .hash?, .parent_hash?,
    .block_hash?, .last_hash? | select(. != null))' "$J" |
    grep -cvE '^0x([0-9a-f]{2})*$')" 0 \
    "intents, signatures and hashes: 0x and lowercase hex"

# Read back: every line verifies and prints as it was.
probe() { "$BUSPROBE" -f "$D/coord.ini" -X bootstrap.servers=127.0.0.1:1 "$@"; }
probe -i - -J recv <"$J" >"$D/back.jsonl" 2>"$D/back.err"
ok $? "busprobe read the lines back"
cmp -s "$J" "$D/back.jsonl"
ok $? "... all $(wc -l <"$J" | tr -d ' ') verified, printed as they were"

# The old mapping still reads, to the same records.
python3 - "$J" >"$D/old.jsonl" <<'PY'
import base64, json, sys
def old(v):
    if isinstance(v, dict):
        return {k: old(x) for k, x in v.items()}
    if isinstance(v, list):
        return [old(x) for x in v]
    if isinstance(v, str) and v.startswith("0x"):
        return base64.b64encode(bytes.fromhex(v[2:])).decode()
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v
for l in open(sys.argv[1]):
    print(json.dumps(old(json.loads(l)), separators=(",", ":")))
PY
# (base64 may start with 0x too, 1 in 4096: padded 32 and 64 bytes are
# never all hex digits, so the hex rule reads them as base64.)
grep -q '"number":"40"' "$D/old.jsonl" && [ "$(jq -r '.intent, .signature' \
    "$D/old.jsonl" | grep -cE '^0x([0-9a-f]{2})*$')" -eq 0 ]
ok $? "the old mapping written (bytes base64, integers strings)"
probe -i - -J recv <"$D/old.jsonl" >"$D/old-back.jsonl" 2>"$D/old.err"
cmp -s "$J" "$D/old-back.jsonl"
ok $? "... reads to the same records, which verify"

# Bad values: refused with the field named, the other lines delivered.
{
	sed -n 1p "$J" | sed -E 's/"created_ms":[0-9]+/"created_ms":9007199254740993/'
	sed -n 2p "$J" | sed -E 's/"created_ms":[0-9]+/"created_ms":1.5/'
	sed -n 3p "$J" | sed -E 's/"intent":"0x[0-9a-f]+"/"intent":"0x01!"/'
	sed -n 4p "$J"
} >"$D/bad.jsonl"
is "$(probe -i - -J recv <"$D/bad.jsonl" 2>"$D/bad.err" | wc -l |
    tr -d ' ')" 1 "three bad lines rejected, the good one delivered"
like "$(cat "$D/bad.err")" \
    "rejected record .*created_ms: integer too large for a JSON number \\(quote it\\)" \
    "2^53 + 1 as a number: quote it"
like "$(cat "$D/bad.err")" "rejected record .*created_ms: expected integer" \
    "1.5: not an integer"
like "$(cat "$D/bad.err")" \
    "rejected record .*intent: invalid 0x-hex or base64" \
    "neither hex nor base64"
done_testing
