#!/bin/sh
# t4015: procsim -K: four validators run a new set's key generation; once
# it completes and verifies, each one's processor simulator posts on its
# p2p-inbound a bare Instruction (sealed by NAME.procsim, origin NAME)
# whose extrinsic is ValidatorSets.set_keys for the set's network with
# keys derived from the result: the same bytes on every validator.  A
# procsim without -K posts nothing.  On the dev broker and a real one.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd b2sum "BLAKE2b of the result"
need_cmd basenc "the result, 0x-hex in JSON, as bytes"
kafka_require
# 23 per broker kind
plan $(($(kafka_kinds | wc -w) * 23))

V="alice bob carol dave"
SG_SIGNING="preprocess_timeout = 30s
share_timeout = 30s"
# h BITS DOMAIN: BLAKE2b-BITS(DOMAIN || the result in $T/result), hex
h() { { printf '%s' "$2"; cat "$T/result"; } | b2sum -l "$1" | cut -d' ' -f1; }
submitted() { grep -q "^submitted $kg " "$D/$1/procsim.out"; }
# devsig NET_HEX SESSION_LE_HEX KEYS_HEX: the dev node's set_keys signature
devsig() { { printf 'serai-devnode/set-keys/v1'; printf '%s%s%s' "$1" "$2" \
    "$3" | tr a-f A-F | basenc --base16 -d; } | b2sum -l 512 | cut -d' ' -f1; }

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_net "$D" $V
	sg_topics "$D" $V
	for n in $V; do
		sg_signer "$D" "$n"
		case $n in
		dave)	sg_procsim "$D" "$n" -N 2 ;;	# without -K
		*)	sg_procsim "$D" "$n" -N 2 -K ;;
		esac
	done
	sg_relay "$D" $V

	B=$(hex32)
	sg_chain "$D" newset 2 4 "$B" $V
	ok $? "$kind: NewSet (Ethereum, session 4) published"
	KG=$(sg_signid keygen 2 4)
	kg=$(echo "$KG" | cut -c1-16)
	for n in alice bob carol; do
		wait_for 60 submitted "$n"
		ok $? "$kind: $n: key generation completed, set_keys posted"
		is "$(grep "^submitted $kg" "$D/$n/procsim.out")" \
		    "submitted $kg network=2 session=4" "$kind: $n: ... says so"
	done
	wait_for 60 sg_completed "$D" dave "$kg"
	ok $? "$kind: dave: key generation completed"

	# the extrinsic, from the result as the signing topic has it
	sg_dump "$D" alice signing | jq -r 'select(.type == "SIGN_COMPLETED") |
	    .body.result' | head -1 | sed 's/^0x//' | tr a-f A-F |
	    basenc --base16 -d >"$T/result"
	[ -s "$T/result" ]
	ok $? "$kind: the key generation's result"
	sk=$(h 256 procsim/substrate-key/v1)
	nk=$(h 256 procsim/network-key/v1)
	want=$(printf '0x150204030002%s80%s%s' "$sk" "$nk" \
	    "$(devsig 02 04000000 "$sk$nk")")
	for n in alice bob carol; do
		sg_dump "$D" "$n" p2p_inbound | jq -r --arg n "$n" \
		    'select(.type == "INSTRUCTION") |
		    "\(.from) \(.body.origin) \(.body.extrinsic)"' >"$D/$n.ins"
		is "$(wc -l <"$D/$n.ins" | tr -d ' ')" 1 \
		    "$kind: $n: one Instruction on p2p-inbound"
		read -r from origin xt <"$D/$n.ins"
		is "$from $origin" "$n.procsim $n" \
		    "$kind: $n: sealed by $n.procsim, origin $n"
		is "$xt" "$want" \
		    "$kind: $n: set_keys(Ethereum, keys of the result)"
	done
	is "$(sg_dump "$D" dave p2p_inbound | jq -r 'select(.type ==
	    "INSTRUCTION") | .type' | wc -l | tr -d ' ')" 0 \
	    "$kind: dave (no -K): none"
	for n in $V; do
		is "$(sg_dump "$D" "$n" coordinator_dlq | wc -l | tr -d ' ')" 0 \
		    "$kind: $n: no dead letters"
	done
	kafka_stop "$kind"
done
done_testing
