#!/bin/sh
# t4005: the signer's configuration checks (-n, exit 100 with file:line)
# and its stdio mode: observer and processor messages piped in as JSON
# Lines give the ConnectRequest and the parties on stdout, no broker.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
plan 28

D=$T/net
sg_net "$D" alice bob carol
C=$D/alice/coord.ini

"$SIGNER" -f "$C" -n 2>"$T/err"
ok $? "a good configuration passes -n"
like "$(cat "$T/err")" "configuration ok" "and says so"

# check NAME EDIT REGEX: a copy of alice's file edited by sed EDIT fails -n
# with exit 100 and a message matching REGEX
check() {
	sed -e "$2" "$C" >"$T/bad.ini"
	"$SIGNER" -f "$T/bad.ini" -n 2>"$T/err"
	is "$?" 100 "$1: exit 100"
	like "$(cat "$T/err")" "$3" "$1: says why"
}
check "no section for ourselves" 's/^\[validator alice\]$/[validator zed]/' \
    "no \\[validator alice\\] section"
check "a public_key that is not hex" \
    "/^\\[validator bob\\]/,/^public_key/s/^public_key = .*/public_key = nothex/" \
    "bad\\.ini:[0-9]+: \\[validator bob\\] needs public_key = 64 hex digits"
check "two validators with one key" \
    "/^\\[validator carol\\]/,/^public_key/s/^public_key = .*/public_key = $(sg_key "$D" bob)/" \
    "\\[validator carol\\] has the public_key of \\[validator bob\\]"
check "a negative threshold" 's/^\[signing\]$/[signing]\nthreshold = -1/' \
    "threshold must be 0"
check "an unknown [signing] key" 's/^\[signing\]$/[signing]\nthreshhold = 3/' \
    "bad\\.ini:[0-9]+.*threshhold"
check "a zero stage timeout" 's/^\[signing\]$/[signing]\npreprocess_timeout = 0/' \
    "stage timeouts must be positive"
mv "$D/alice/keys/signer.key" "$T/signer.key"
"$SIGNER" -f "$C" -n 2>"$T/err"
is "$?" 100 "a missing service key: exit 100"
like "$(cat "$T/err")" "signer\\.key" "names the key file"
mv "$T/signer.key" "$D/alice/keys/signer.key"

# stdio: a NewSet and a processor's request in, the decisions out.
B=$(hex32)
ID=$(hex32)
{
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 1 1 "$B" \
	    alice bob carol
	"$PROCSIM" -q -f "$C" -o - -J -R 1 1 "$ID" "$B" hello
} >"$T/in.jsonl"
"$SIGNER" -q -f "$C" -i - -o - -J <"$T/in.jsonl" >"$T/out.jsonl"
ok $? "stdio: the signer ran to the end of its input"
is "$(jq -r .type "$T/out.jsonl" | tr '\n' ' ')" \
    "CONNECT_REQUEST PARTY_FORMED PARTY_FORMED " \
    "stdio: a ConnectRequest and two parties (key generation, request)"
is "$(jq -r 'select(.type == "CONNECT_REQUEST") | .body.validators[].name' \
    "$T/out.jsonl" | sort | tr '\n' ' ')" "bob carol " \
    "stdio: connections to the other two"
is "$(jq -r 'select(.type == "PARTY_FORMED") | .body.kind' "$T/out.jsonl" |
    tr '\n' ' ')" "SIGN_KEY_GEN SIGN_PROCESSOR " "stdio: the kinds"
is "$(jq -r 'select(.body.kind == "SIGN_PROCESSOR") |
    [.body.party[].validator] | join(",")' "$T/out.jsonl")" \
    "$(sg_pyparty "$D" 1 "$B" "$ID" 0 0 alice bob carol)" \
    "stdio: the party the Python implementation forms"
is "$(jq -r 'select(.body.kind == "SIGN_PROCESSOR") | .body.payload' \
    "$T/out.jsonl")" "0x68656c6c6f" \
    "stdio: the request's payload passed on (hello, in 0x-hex)"
is "$(jq -r 'select(.body.kind == "SIGN_PROCESSOR") |
    "\(.body.threshold) \(.body.total_weight) \(.body.our_validator)"' \
    "$T/out.jsonl")" "3 3 alice" "stdio: threshold, key shares, who we are"

# The rest of the chain's events: a Batch and a burn of Ether (network 2
# has no set: no session, and not an error), the key confirmed on chain,
# the set retired, then a request for it refused.
{
	cat "$T/in.jsonl"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J -x 4 batch 1 7 "$B"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J -x 5 burn 1 "$B"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J -x 6 burn 2 "$B"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J -x 7 keygen 1 1 "$B"
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J -x 8 retire 1 1 "$B"
	"$PROCSIM" -q -f "$C" -o - -J -R 1 1 "$(hex32)" "$B"
} >"$T/in2.jsonl"
# Without the static fallback: only the chain's sets.
sed 's/^static_set = yes$/static_set = no/' "$C" >"$T/nostatic.ini"
"$SIGNER" -q -f "$T/nostatic.ini" -i - -o - -J <"$T/in2.jsonl" \
    >"$T/out2.jsonl" 2>"$T/err2"
ok $? "stdio: the signer ran to the end of its longer input"
is "$(jq -r 'select(.type == "PARTY_FORMED") | .body.kind' \
    "$T/out2.jsonl" | tr '\n' ' ')" \
    "SIGN_KEY_GEN SIGN_PROCESSOR SIGN_BATCH SIGN_BURN " \
    "stdio: parties for the Batch and the Bitcoin burn"
is "$(jq -r 'select(.body.kind == "SIGN_BATCH") | .body.sign_id' \
    "$T/out2.jsonl")" "$(jhex "$(sg_signid batch 1 7)")" \
    "stdio: the Batch's sign id, computed independently"
is "$(jq -r 'select(.type == "SIGN_COMPLETED") |
    "\(.body.kind) \(.body.validator)"' "$T/out2.jsonl")" \
    "SIGN_KEY_GEN chain" "stdio: KeyGen on chain completes the key generation"
is "$(jq -r 'select(.type == "DEAD_LETTER") | .body.reason' \
    "$T/out2.jsonl" | sed -E 's/^session [0-9a-f]+( \([a-z]+\))?: //' |
    tr '\n' ';')" \
    "no current validator set of network 2;set 1/1 is retired;" \
    "stdio: dead letters: the burn on a network without a set, then the request for the retired set"
done_testing
