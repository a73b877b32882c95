#!/bin/sh
# t4006: a validator's key in the chain's sets ([validator] chain_key) is
# not its libp2p identity (public_key).  With distinct keys, a NewSet
# naming the chain keys forms a set with the right names, the parties are
# the Python implementation's over the chain keys, and the ConnectRequest
# carries the libp2p keys and endpoints.  A malformed chain_key is refused
# by -n and at start (exit 100, file:line); duplicate keys are errors; a
# section without an endpoint is one warning; keys in no section are one
# warning per set, not per key, and not again when the set is seen again
# or read back from the decision log (dev broker).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
KAFKA_KINDS=mock
export KAFKA_KINDS
kafka_require
# 9 per broker kind, 40 of the configuration before them
plan $(($(kafka_kinds | wc -w) * 9 + 40))

D=$T/net
SG_CHAINKEYS=yes sg_net "$D" alice bob carol
C=$D/alice/coord.ini
# Validators the chain knows and alice does not.
for n in zed yan xu wu; do
	hex32 >"$D/$n.pub"
	hex32 >"$D/$n.chain"
	printf '[validator %s]\npublic_key = %s\nchain_key = %s\n' "$n" \
	    "$(sg_p2pkey "$D" "$n")" "$(sg_key "$D" "$n")" \
	    >>"$D/chain/coord.ini"
done

"$SIGNER" -f "$C" -n 2>"$T/err"
ok $? "distinct chain keys: -n passes"
is "$(grep -c warning "$T/err")" 0 "and warns of nothing"
[ "$(sg_key "$D" bob)" != "$(sg_p2pkey "$D" bob)" ]
ok $? "bob's chain_key is not his public_key"

# bad NAME EDIT REGEX: alice's file edited by sed EDIT is refused by -n and
# at start, exit 100 with a message matching REGEX
bad() {
	sed -e "$2" "$C" >"$T/bad.ini"
	"$SIGNER" -f "$T/bad.ini" -n 2>"$T/err"
	is "$?" 100 "$1: -n exits 100"
	like "$(cat "$T/err")" "$3" "$1: -n says why"
	"$SIGNER" -f "$T/bad.ini" -X bootstrap.servers=127.0.0.1:1 \
	    2>"$T/err" </dev/null
	is "$?" 100 "$1: start exits 100"
	like "$(cat "$T/err")" "$3" "$1: start says why"
}
line=$(grep -n "^chain_key = $(sg_key "$D" bob)\$" "$C" | cut -d: -f1)
bad "a chain_key of 4 hex digits" \
    "s/^chain_key = $(sg_key "$D" bob)\$/chain_key = 12ab/" \
    "bad\\.ini:$line: chain_key: not 32 bytes of hex"
bad "a chain_key that is not hex" \
    "s/^chain_key = $(sg_key "$D" bob)\$/chain_key = $(sg_key "$D" bob | tr 0-9 g-p)/" \
    "bad\\.ini:$line: chain_key: not 32 bytes of hex"
bad "two validators with one chain_key" \
    "s/^chain_key = $(sg_key "$D" carol)\$/chain_key = $(sg_key "$D" bob)/" \
    "bad\\.ini:[0-9]+: \\[validator carol\\] has the chain_key of \\[validator bob\\]\$"
bad "a public_key that is another's chain_key (no chain_key given)" \
    "/^chain_key = $(sg_key "$D" carol)\$/d; s/^public_key = $(sg_p2pkey "$D" carol)\$/public_key = $(sg_key "$D" bob)/" \
    "\\[validator carol\\] has the chain_key of \\[validator bob\\] \\(a chain_key not given is the public_key\\)"
bad "two validators with one public_key, distinct chain keys" \
    "s/^public_key = $(sg_p2pkey "$D" carol)\$/public_key = $(sg_p2pkey "$D" bob)/" \
    "bad\\.ini:[0-9]+: \\[validator carol\\] has the public_key of \\[validator bob\\]"

# No endpoint: a warning naming the section, once, in -n and at start; our
# own section needs none.
sed -e '/^\[validator bob\]$/,/^chain_key/{/^endpoint/d;}' \
    -e '/^\[validator alice\]$/,/^chain_key/{/^endpoint/d;}' "$C" \
    >"$T/noep.ini"
"$SIGNER" -f "$T/noep.ini" -n 2>"$T/err"
ok $? "a section without an endpoint: -n passes"
is "$(grep -c 'warning' "$T/err")" 1 "with one warning"
like "$(grep warning "$T/err")" \
    "noep\\.ini:[0-9]+: \\[validator bob\\] has no endpoint" \
    "naming bob's section"
"$SIGNER" -f "$T/noep.ini" -i /dev/null -o /dev/null 2>"$T/err"
ok $? "it starts"
is "$(grep -c 'has no endpoint' "$T/err")" 1 "with the warning, once"

# stdio: a NewSet naming the chain keys, a processor's request.
B=$(hex32)
ID=$(hex32)
{
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 1 1 "$B" \
	    alice bob carol
	"$PROCSIM" -q -f "$C" -o - -J -R 1 1 "$ID" "$B" hello
} >"$T/in.jsonl"
"$SIGNER" -q -f "$C" -i - -o - -J <"$T/in.jsonl" >"$T/out.jsonl" \
    2>"$T/err"
ok $? "stdio: the signer ran to the end of its input"
is "$(grep -c warning "$T/err")" 0 "stdio: every member known, no warning"
is "$(jq -r .type "$T/out.jsonl" | tr '\n' ' ')" \
    "CONNECT_REQUEST PARTY_FORMED PARTY_FORMED " \
    "stdio: a set including us: a ConnectRequest and two parties"
is "$(jq -r 'select(.type == "CONNECT_REQUEST") | .body.validators[] |
    "\(.name) \(.public_key) \(.endpoint)"' "$T/out.jsonl" | sort)" \
    "bob $(jhex "$(sg_p2pkey "$D" bob)") /ip4/127.0.0.1/tcp/1
carol $(jhex "$(sg_p2pkey "$D" carol)") /ip4/127.0.0.1/tcp/1" \
    "stdio: the ConnectRequest carries bob's and carol's libp2p keys and endpoints"
is "$(jq -r 'select(.body.kind == "SIGN_KEY_GEN") | .body.party[] |
    "\(.validator) \(.key)"' "$T/out.jsonl" | sort)" \
    "alice $(jhex "$(sg_key "$D" alice)")
bob $(jhex "$(sg_key "$D" bob)")
carol $(jhex "$(sg_key "$D" carol)")" \
    "stdio: the set's members named by their chain keys"
is "$(jq -r 'select(.body.kind == "SIGN_PROCESSOR") |
    [.body.party[].validator] | join(",")' "$T/out.jsonl")" \
    "$(sg_pyparty "$D" 1 "$B" "$ID" 0 0 alice bob carol)" \
    "stdio: the party the Python implementation forms over the chain keys"
is "$(jq -r 'select(.body.kind == "SIGN_PROCESSOR") | .body.our_validator' \
    "$T/out.jsonl")" "alice" "stdio: we are alice by our chain_key"

# Keys in no section: one warning per set, whatever the number of keys,
# none for the same NewSet again.
{
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 1 2 "$B" \
	    alice bob carol zed yan xu wu
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 1 2 "$B" \
	    alice bob carol zed yan xu wu
	"$CHAINSIM" -q -f "$D/chain/coord.ini" -o - -J newset 2 2 "$B" \
	    alice zed
} >"$T/in2.jsonl"
"$SIGNER" -f "$C" -i - -o - -J <"$T/in2.jsonl" >"$T/out2.jsonl" \
    2>"$T/err2"
ok $? "stdio: unknown keys: the signer ran to the end of its input"
is "$(grep -c 'in no \[validator\]' "$T/err2")" 2 \
    "stdio: one warning per set, not per key, none for the set seen again"
like "$(grep 'set 1/2' "$T/err2" | grep warning)" \
    "set 1/2: 4 of 7 keys in no \\[validator\\] section's chain_key \\([0-9a-f]{16}\\.\\.\\., [0-9a-f]{16}\\.\\.\\., [0-9a-f]{16}\\.\\.\\., \\.\\.\\.\\)" \
    "stdio: it counts them and shows the first three"
like "$(grep 'set 2/2' "$T/err2" | grep warning)" \
    "set 2/2: 1 of 2 keys in no \\[validator\\] section's chain_key \\($(sg_key "$D" zed | cut -c1-16)\\.\\.\\.\\); messages" \
    "stdio: zed's chain key prefix"
is "$(jq -r 'select(.type == "CONNECT_REQUEST" and .body.network == 1) |
    [.body.validators[].name] | sort | join(",")' "$T/out2.jsonl")" \
    "bob,carol" \
    "stdio: the ConnectRequest leaves out the members it has no identity for"

# On the dev broker: the decision log.  The warning once; alice's signer
# restarted reads the set back and does not warn again, nor when the
# NewSet comes again.
for kind in $(kafka_kinds); do
	kafka_start "$kind"
	sg_topics "$D" alice bob carol
	sg_signer "$D" alice
	sg_relay "$D" alice bob carol
	B=$(hex32)
	sg_chain "$D" newset 1 3 "$B" alice bob carol zed yan
	wait_for 30 grep -q '^connect alice 1/3 ' "$D/relay.out"
	ok $? "$kind: alice's signer asked for the set's links"
	like "$(grep '^connect alice 1/3 ' "$D/relay.out")" \
	    '^connect alice 1/3 (bob,carol|carol,bob)$' \
	    "$kind: for bob and carol"
	is "$(sg_dump "$D" alice p2p_outbound | jq -r \
	    'select(.type == "CONNECT_REQUEST" and .body.session == 3) |
	    .body.validators[] | "\(.name) \(.public_key)"' | sort)" \
	    "bob $(jhex "$(sg_p2pkey "$D" bob)")
carol $(jhex "$(sg_p2pkey "$D" carol)")" \
	    "$kind: on p2p-outbound, with their libp2p keys"
	is "$(grep -c 'set 1/3: 2 of 5 keys in no' "$D/alice/signer.log")" 1 \
	    "$kind: one warning for the set"
	kill -TERM "$(cat "$D/alice/signer.pid")"
	wait "$(cat "$D/alice/signer.pid")"
	ok $? "$kind: alice's signer stopped"
	sg_signer "$D" alice
	sg_chain "$D" newset 1 3 "$B" alice bob carol zed yan
	sg_chain "$D" newset 1 4 "$B" alice bob carol
	wait_for 30 grep -q '^connect alice 1/4 ' "$D/relay.out"
	ok $? "$kind: restarted, it formed the next set"
	is "$(grep -c 'set 1/3: 2 of 5 keys in no' "$D/alice/signer.log")" 1 \
	    "$kind: the set read back and seen again: no second warning"
	sg_status "$D" alice | awk '$1 == "set" && $2 == "1/3" {
	    for (i = 3; i <= NF; i++) if ($i ~ /^names=/) print substr($i, 7) }' |
	    tr , '\n' >"$T/names"
	is "$(grep -v '^[0-9a-f]\{64\}$' "$T/names" | sort | tr '\n' ' ')" \
	    "alice bob carol " "$kind: the set in the log: alice, bob, carol"
	is "$(sort "$T/names" | grep '^[0-9a-f]\{64\}$' | tr '\n' ' ')" \
	    "$(printf '%s\n' "$(sg_key "$D" zed)" "$(sg_key "$D" yan)" | sort |
	    tr '\n' ' ')" "$kind: and zed and yan by their chain keys"
	kafka_stop "$kind"
done
done_testing
