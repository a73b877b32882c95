#!/bin/sh
# t2005: the dev node in network mode (-V FILE): every set is made of the
# file's validators (dev_participants, the NewSet events the observer
# publishes with ValidatorSets.Participants); no KeyGen but from an
# included ValidatorSets.set_keys, whose KeyGen is in the next block
# (dev_expected, and as the observer decodes it); every refusal of
# set_keys (1001, 1010 and why, stale, 1013, 1012, 1014); dev_pause stops
# and resumes block production; a bad line in the file is an error naming
# FILE:LINE, exit 100.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd curl "talks to the dev node"
need_cmd jq "JSON"
need_cmd b2sum "BLAKE2b of the extrinsics"
need_cmd basenc "hex to bytes"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
plan 57

b2() { printf '%s' "${1#0x}" | tr a-f A-F | basenc --base16 -d |
    b2sum -l 256 | cut -d' ' -f1; }
rep() { printf "$1%.0s" $(seq "$2"); }
err() {
	curl -s -m 10 -H 'Content-Type: application/json' -d \
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" \
	    "$URL" | jq -c '[.error.code, .error.message, .error.data]'
}
compact() {	# SCALE Compact<u32> of $1 (below 2^14), hex
	if [ "$1" -lt 64 ]; then
		printf '%02x' $(($1 << 2))
	else
		printf '%02x%02x' $((($1 << 2 | 1) & 255)) $((($1 << 2) >> 8))
	fi
}
# set_keys NET EXTKEY_HEX SIG_HEX [TRAILING_HEX]: the extrinsic, hex
set_keys() {
	_body=0403000$1$(rep ab 32)$(compact $((${#2} / 2)))$2$3${4:-}
	printf '0x%s%s' "$(compact $((${#_body} / 2)))" "$_body"
}
submit() { err author_submitExtrinsic "[\"$1\"]"; }
# devsig NET SESSION EXTKEY_HEX: the dev signature of set_keys(NET, (ab..,
# EXTKEY)) for set SESSION/NET (devnode.c)
devsig() {
	{ printf 'serai-devnode/set-keys/v1'; printf '%02x%02x000000%s%s' \
	    "$1" "$2" "$(rep ab 32)" "$3" | tr a-f A-F | basenc --base16 -d; } |
	    b2sum -l 512 | cut -d' ' -f1
}
head_ge() { [ "$(rpc dev_status | jq .head)" -ge "$1" ]; }
nblocks_ge() { [ "$(grep -c BLOCK_UPDATE "$T/o/out.jsonl")" -ge "$1" ]; }
keygens() {	# the KeyGen events dev_expected has for block $1
	rpc dev_expected "[$1]" | jq -c '[.[] | select(.name == "KeyGen") |
	    .fields]'
}

# -V: bad files
K1=$(rep 11 32)
K2=$(rep 22 32)
K3=$(rep 03 32)
K4=$(rep 44 32)
mkdir -p "$T/bad"
i=0
for line in "$K1" "$K1 0" "$K1 -3" "$(rep 1 63) 1" "$(rep zz 32) 1" \
    "$K1 1 alice extra" "$K1 1x"; do
	i=$((i + 1))
	printf '# validators\n%s 5 first\n\n%s\n' "$K2" "$line" \
	    >"$T/bad/v$i"
	"$DEVNODE" -a 127.0.0.1:0 -i 0 -V "$T/bad/v$i" \
	    >/dev/null 2>"$T/bad/err$i" </dev/null
	rc=$?
	is "$rc" 100 "-V, \"$line\": exit 100"
	grep -qF "$T/bad/v$i:4: " "$T/bad/err$i" &&
	    grep -qF "$line" "$T/bad/err$i"
	ok $? "... the error names the file, the line and says it" \
	    "($(cat "$T/bad/err$i"))"
done
printf '%s 1\n%s 2\n' "$K1" "$K1" >"$T/bad/dup"
"$DEVNODE" -a 127.0.0.1:0 -i 0 -V "$T/bad/dup" >/dev/null \
    2>"$T/bad/errdup" </dev/null
is "$?" 100 "-V: a key twice: exit 100"
grep -qF "$T/bad/dup:2: " "$T/bad/errdup"
ok $? "... naming its second line"

# a network: four validators, in no particular order
cat >"$T/v.txt" <<EOF
# the test network
$K1 1 alice
$K2 3 bob	# a comment
$K3 3
$K4 2 dave
EOF
dn_start "$T/dn" -i 0 -n 1 -V "$T/v.txt"
want='[{"key":"0x'$K3'","weight":3},{"key":"0x'$K2'","weight":3},{"key":"0x'$K4'","weight":2},{"key":"0x'$K1'","weight":1}]'
for net in 0 1 2 3; do
	is "$(rpc dev_participants "[1, $net]")" "$want" \
	    "dev_participants, network $net: the file's, by weight then key"
done
is "$(rpc dev_participants '[0, 1]')" null "none before the first NewSet"

# the observer, on a pipe, sees the sets and (later) the keys
obs_conf "$T/o" alice "polling_interval = 100ms"
"$OBSERVER" -f "$T/o/coord.ini" -o - -J >"$T/o/out.jsonl" 2>"$T/o/err" \
    </dev/null &
OPID=$!
track_pid $OPID

# set_keys refused
SIG=$(rep 55 64)
EXT=$(rep cd 32)
XT=$(set_keys 1 "$EXT" "$(devsig 1 1 "$EXT")")
is "$(submit "$(set_keys 1 "$EXT" "$(rep 55 63)")")" \
    '[1001,"Extrinsic has invalid format: Could not decode `Call::set_keys::signature`",null]' \
    "a short signature: 1001"
is "$(submit "$(set_keys 1 "$EXT" "$SIG" 00)")" \
    '[1001,"Extrinsic has invalid format: Input buffer has still data left after decoding!",null]' \
    "trailing bytes: 1001"
like "$(submit "$(set_keys 1 "$(rep cd 97)" "$SIG")")" \
    '^\[1001,"Extrinsic has invalid format: Could not decode `Call::set_keys::key_pair`' \
    "an external key over 96 bytes: 1001"
is "$(submit "$(set_keys 0 "$EXT" "$SIG")")" \
    '[1010,"Invalid Transaction","Custom error: network 0 is not an external network (1..3)"]' \
    "network 0 (Serai): 1010"
like "$(submit "$(set_keys 4 "$EXT" "$SIG")")" \
    '^\[1010,"Invalid Transaction","Custom error: network 4 ' "network 4: 1010"
is "$(submit "$(set_keys 1 "$EXT" "$(rep 00 64)")")" \
    '[1010,"Invalid Transaction","Transaction has a bad signature"]' \
    "an all-zero signature: 1010"

# no KeyGen from the generator: a session and more, none
rpc dev_produce '[25]' >/dev/null
n=0
for b in $(seq 1 26); do
	[ "$(keygens $b)" = "[]" ] || n=$((n + 1))
done
is "$n" 0 "no KeyGen in blocks 1..26 without set_keys"
ns=$(for b in 1 21; do rpc dev_expected "[$b]" | jq -r '.[] |
    select(.name == "NewSet") | "\(.fields.set.network)/\(.fields.set.session)"'; done |
    paste -sd' ')
is "$ns" "Serai/0 Bitcoin/0 Ethereum/0 Monero/0 Serai/1 Bitcoin/1 Ethereum/1 Monero/1" \
    "the generator's NewSets as before"
is "$(rpc dev_participants '[26, 2]')" "$want" "session 1's set: the same"

# the signature binds the set: keys made for session 0, or any other bytes
like "$(submit "$(set_keys 2 "$EXT" "$(devsig 2 0 "$EXT")")")" \
    '^\[1010,"Invalid Transaction","Transaction has a bad signature \(not the dev signature for set 1/Ethereum\)"\]$' \
    "keys signed for an earlier session: 1010, bad signature"
like "$(submit "$(set_keys 2 "$EXT" "$SIG")")" \
    '^\[1010,"Invalid Transaction","Transaction has a bad signature' \
    "a signature that is not the dev signature: 1010"

# accepted, then included: KeyGen for session 1 in the next block
is "$(rpc author_submitExtrinsic "[\"$XT\"]")" "\"0x$(b2 "$XT")\"" \
    "a valid set_keys: accepted, its hash"
is "$(submit "$XT")" '[1013,"Transaction Already Imported",null]' \
    "the same bytes while pending: 1013"
is "$(submit "$(set_keys 1 "$(rep ee 32)" "$(devsig 1 1 "$(rep ee 32)")")")" \
    '[1014,"Priority is too low: (0 vs 0)","The transaction has too low priority to replace another transaction already in the pool."]' \
    "another set_keys for Bitcoin while one is pending: 1014"
is "$(rpc dev_produce '[1]')" 27 "block 27 produced"
is "$(rpc dev_status | jq .pending)" 0 "... with the pending extrinsic"
is "$(keygens 27)" \
    '[{"set":{"session":1,"network":"Bitcoin"},"keyPair":["0x'"$(rep ab 32)"'","0x'"$EXT"'"]}]' \
    "KeyGen{set: (1, Bitcoin), key_pair} in block 27"
b27=$(rpc chain_getBlock "[$(rpc chain_getBlockHash '[27]')]")
xtn=$(($(echo "$b27" | jq '.block.extrinsics | length') - 1))
is "$(rpc dev_expected '[27]' | jq -r '. as $e |
    (map(.name) | index("KeyGen")) as $k | "\($e[$k].phase.applyExtrinsic) \($e[$k + 1].name) \($e[$k + 1].phase.applyExtrinsic)"')" \
    "$xtn ExtrinsicSuccess $xtn" \
    "... applied by the extrinsic, followed by its ExtrinsicSuccess"
is "$(echo "$b27" | jq -r '.block.extrinsics[-1]')" "$XT" \
    "the extrinsic is in block 27"
is "$(submit "$XT")" '[1012,"Transaction is temporarily banned",null]' \
    "the same bytes once included: 1012"
is "$(submit "$(set_keys 1 "$(rep ee 32)" "$SIG")")" \
    '[1010,"Invalid Transaction","Transaction is outdated"]' \
    "another key pair for the keyed set: stale"
XT2=$(set_keys 3 "$(rep 77 20)" "$(devsig 3 1 "$(rep 77 20)")")
is "$(rpc author_submitExtrinsic "[\"$XT2\"]")" "\"0x$(b2 "$XT2")\"" \
    "Monero's set is not keyed yet: accepted"
rpc dev_produce '[1]' >/dev/null
is "$(keygens 28 | jq -c '.[].set')" '{"session":1,"network":"Monero"}' \
    "its KeyGen in block 28"
for b in $(seq 29 30); do rpc dev_produce '[1]' >/dev/null; done
is "$(keygens 29)$(keygens 30)" "[][]" "then none again"

# the observer decodes the KeyGen as generated
wait_for 30 nblocks_ge 31
ok $? "the observer published blocks 0..30"
obs_stop $OPID
events "$T/o/out.jsonl" | grep ' ValidatorSets.KeyGen ' >"$T/o/got.ev"
expected 0 30 | grep ' ValidatorSets.KeyGen ' >"$T/o/want.ev"
is "$(wc -l <"$T/o/got.ev")" 2 "the observer: two KeyGen events"
cmp -s "$T/o/got.ev" "$T/o/want.ev"
ok $? "... as dev_expected says ($(cut -d' ' -f1-3 "$T/o/got.ev" | paste -sd,))"
jq -r 'select(.type == "SERAI_EVENT" and .body.new_set != null) |
    .body | "\(.new_set.set.network) \([.new_set.participants[] |
    "\(.key)/\(.weight)"] | join(","))"' "$T/o/out.jsonl" >"$T/o/ns.got"
pw=$(echo "$want" | jq -r '.[] | "\(.key) \(.weight)"' | while read -r k w; do
	printf '%s/%s\n' "$(jhex "$k")" "$w"; done | paste -sd,)
is "$(sort -u "$T/o/ns.got" | paste -sd' ')" \
    "0 $pw 1 $pw 2 $pw 3 $pw" \
    "the observer's NewSets: the file's validators (Participants storage)"
is "$(wc -l <"$T/o/ns.got")" 8 "... in each of the 8 NewSets"

# dev_pause: the interval timer stops and starts again
dn_start "$T/dn2" -i 50ms -V "$T/v.txt"
wait_for 20 head_ge 3
ok $? "-i 50ms: blocks come"
is "$(rpc dev_pause '[true]')" true "dev_pause true: paused"
h1=$(rpc dev_status | jq .head)
# a measurement over ten intervals: nothing may come while paused
sleep 0.5
is "$(rpc dev_status | jq -c '[.head, .paused]')" "[$h1,true]" \
    "no block while paused"
is "$(rpc dev_pause)" true "dev_pause without a parameter: the state"
like "$(err dev_pause '["yes"]')" '^\[-32602,' "dev_pause \"yes\": invalid"
is "$(rpc dev_pause '[false]')" false "dev_pause false: resumed"
wait_for 20 head_ge $((h1 + 1))
ok $? "blocks come again"
done_testing
