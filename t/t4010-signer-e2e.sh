#!/bin/sh
# t4010: four validators' signers on one broker (each with its own topics),
# their processor simulators and the connector emulation (p2prelay): a new
# set asks for connections and runs its key generation with everyone;
# processors' requests and a Batch get parties that are identical on every
# coordinator and equal to the independent Python implementation's; only
# members hear of their party; every session completes once per
# coordinator with a result the processors verify.  On the dev broker and a
# real one.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
kafka_require
# 47 per broker kind
plan $(($(kafka_kinds | wc -w) * 47))

V="alice bob carol dave"
NREQ=3
SG_SIGNING="preprocess_timeout = 30s
share_timeout = 30s"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_net "$D" $V
	# alice's services say they are alive every second.
	sed -i 's/^heartbeat_interval = 0$/heartbeat_interval = 1s/' \
	    "$D/alice/coord.ini"
	sg_topics "$D" $V
	for n in $V; do
		sg_signer "$D" "$n"
		sg_procsim "$D" "$n" -N 1
	done
	sg_relay "$D" $V

	# A new set with all four: connections, then key generation.
	B=$(hex32)
	sg_chain "$D" newset 1 1 "$B" $V
	ok $? "$kind: NewSet published"
	wait_for 30 sh -c "[ \$(grep -c '^connect ' '$D/relay.out') -eq 4 ]"
	ok $? "$kind: each signer asked its connector for the set's links"
	like "$(grep '^connect alice ' "$D/relay.out")" \
	    '^connect alice 1/1 (bob|carol|dave),(bob|carol|dave),(bob|carol|dave)$' \
	    "$kind: alice's ConnectRequest names the three others"
	KG=$(sg_signid keygen 1 1)
	kg=$(echo "$KG" | cut -c1-16)
	for n in $V; do
		wait_for 60 sg_completed "$D" "$n" "$kg"
		ok $? "$kind: $n: key generation completed and verified"
	done
	like "$(grep "^completed $kg" "$D/alice/procsim.out")" \
	    "signers=([a-z]+,){3}[a-z]+ " \
	    "$kind: key generation signed by all four"

	# Processors' requests: each validator's processor asks for each.
	ids=
	for i in $(seq $NREQ); do
		id=$(hex32)
		ids="$ids $id"
		for n in $V; do
			sg_request "$D" "$n" 1 1 "$id" "$B" "payload $i"
		done
	done
	# And a Batch seen on chain.
	sg_chain "$D" -x 3 batch 1 5 "$B"
	BA=$(sg_signid batch 1 5)
	ids="$ids $BA"

	for id in $ids; do
		s=$(echo "$id" | cut -c1-16)
		all=0
		for n in $V; do
			wait_for 60 sg_completed "$D" "$n" "$s" || all=1
		done
		ok $all "$kind: session $s completed on all four coordinators"
		p_alice=$(sg_party "$D" alice "$id")
		same=0
		for n in bob carol dave; do
			[ "$(sg_party "$D" "$n" "$id")" = "$p_alice" ] || same=1
		done
		ok $same "$kind: session $s: the same party everywhere" \
		    "($p_alice)"
		is "$p_alice" "$(sg_pyparty "$D" 1 "$B" "$id" 0 0 $V)" \
		    "$kind: session $s: the party the Python implementation forms"
		# Only members were told; PartyFormed once each.
		told=$(for n in $V; do
			grep -q "^formed $s attempt=0" "$D/$n/procsim.out" &&
			    echo "$n"; done | sort | tr '\n' ',')
		want=$(echo "$p_alice" | tr ',' '\n' | sort | tr '\n' ',')
		is "$told" "$want" "$kind: session $s: only members got PartyFormed"
		hid=$(jhex "$id")
		for n in $V; do
			is "$(sg_count_type "$D" "$n" signing SIGN_COMPLETED "$hid")" \
			    1 "$kind: session $s: one SignCompleted on $n's signing"
		done
	done

	# Each result is t distinct members' signatures (the processor
	# checked them against [trust]; here, that they are the party).
	s=$(echo "$BA" | cut -c1-16)
	signers=$(grep "^completed $s" "$D/carol/procsim.out" |
	    sed 's/.*signers=\([^ ]*\).*/\1/' | tr ',' '\n' | sort |
	    tr '\n' ',')
	is "$signers" "$(sg_party "$D" carol "$BA" | tr ',' '\n' | sort |
	    tr '\n' ',')" "$kind: the batch's result is signed by its party"
	like "$(sg_status "$D" dave | grep "^session $BA")" \
	    "kind=batch set=1/1 attempt=0 .* state=completed attempt_done=0" \
	    "$kind: dave's status: the batch completed at attempt 0"

	# Heartbeats of the processor simulator on chain-health.
	sg_dump "$D" alice chain_health >"$T/$kind.health"
	like "$(jq -r 'select(.type == "HEARTBEAT") | .body.service + " " +
	    .body.network' "$T/$kind.health" | sort -u | tr '\n' ';')" \
	    "alice\\.procsim bitcoin" \
	    "$kind: the processor simulator's heartbeats on chain-health"

	# Nothing was rejected on the way.
	for n in $V; do
		is "$(sg_dump "$D" "$n" coordinator_dlq | wc -l | tr -d ' ')" 0 \
		    "$kind: $n: no dead letters"
	done
	kafka_stop "$kind"
done
done_testing
