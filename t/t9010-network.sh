#!/bin/sh
# t9010: the validator network end to end, on the dev broker and a real
# one.  Four validators (alice, bob, carol, dave), each with its own
# observer, connector, signer, archiver and processor simulator, config,
# keys and topics, under one supervisor, with a dev node whose sets are
# made of the four (devnode -V: their chain keys, which are not their
# libp2p identities).  The real connectors link over libp2p; the
# processors run key generation, batches and burns through them; each key
# generation's key pair goes back to the chain (procsim -K: an Instruction,
# submitted by the observer with author_submitExtrinsic) and comes back as
# a KeyGen event every observer publishes.  Checked, after the node stops
# producing and every session has finished:
#   - every finalized block and its events reached every validator's
#     topic exactly once, in order, as the node says they are;
#   - every party is the same on every validator, told to its members only,
#     and equal to the independent Python implementation's;
#   - every session completed once on every validator, with a result each
#     processor verified;
#   - every key generation's key pair is on chain (KeyGen on all four);
#   - no dead letters, no refused instruction;
#   - each archive holds every record of its validator's topics once.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
net_require
kafka_require
# 51 per broker kind
plan $(($(kafka_kinds | wc -w) * 51))

BLOCKS=${NET_BLOCKS:-45}
V="alice bob carol dave"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	NET_SIGNING="preprocess_timeout = 20s
share_timeout = 20s" net_make "$D" $V
	URL=http://$(cat "$D/rpc")/
	net_start "$D"
	ok 0 "$kind: the dev node and four validators' five services up"

	# The loop through the chain: the first sets' key generations (three
	# external networks) signed by all four and their key pairs on chain.
	net_wait 120 first_keygens "$D"
	ok $? "$kind: the key pairs of sets 1/0, 2/0, 3/0 reached the" \
	    "chain and every observer published their KeyGen"

	# Processors' own requests, as the chain goes on.
	reqs=
	for i in 1 2 3; do
		wait_for 60 head_at_least $((i * 12))
		r=$(net_request "$D" $((i % 3 + 1)))
		ok $? "$kind: every processor asked for signature $i (${r%${r#????????}})"
		reqs="$reqs $r"
	done
	wait_for 120 head_at_least "$BLOCKS"
	ok $? "$kind: the chain reached block $BLOCKS"
	is "$(net_rpc "$D" dev_pause '[true]')" true \
	    "$kind: the dev node stops producing"
	net_wait 180 all_done "$D"
	ok $? "$kind: every session started finished on all four" \
	    "$(unfinished "$D/signing.json" | head -n 3 | tr '\n' ' ')"
	# The last key pairs wait in the node's pool: one more block.
	nkg=$(jq -r 'select(.type == "PARTY_FORMED" and .body.kind ==
	    "SIGN_KEY_GEN") | .body.sign_id' "$D/signing.json" | sort -u |
	    wc -l)
	net_wait 60 results_at_least "$D" "$nkg"
	ok $? "$kind: every observer submitted its $nkg key pairs"
	net_rpc "$D" dev_produce '[1]' >/dev/null
	H=$(head_num)
	net_wait 120 caught_up "$D" "$H"
	ok $? "$kind: every observer published up to the head, block $H"
	net_wait 180 all_done "$D"
	ok $? "$kind: ... and every session its events started finished" \
	    "$(unfinished "$D/signing.json" | head -n 3 | tr '\n' ' ')"
	for r in $reqs; do
		hid=$(jhex "$r")
		is "$(jq -r --arg id "$hid" 'select(.type == "SIGN_COMPLETED"
		    and .body.sign_id == $id) | .v' "$D/signing.json" | sort |
		    tr '\n' ' ')" "alice bob carol dave " \
		    "$kind: processor request ${r%${r#????????}} completed on all four"
	done

	# Blocks and events: once each, in order, as the node says.
	expected 0 "$H" >"$D/expected"
	for n in $V; do
		net_dump "$D" "$n" serai_observation >"$D/$n.obs"
		is "$(blocks "$D/$n.obs" | tr '\n' ' ')" \
		    "$(seq 0 "$H" | tr '\n' ' ')" \
		    "$kind: $n: blocks 0..$H once each, in order"
		events "$D/$n.obs" >"$D/$n.events"
		if cmp -s "$D/$n.events" "$D/expected"; then r=0; else
			r=1; diff "$D/expected" "$D/$n.events" | head -n 5 |
			    sed 's/^/# /'; fi
		ok $r "$kind: $n: the events of interest, once each, in" \
		    "order, as the node made them ($(wc -l <"$D/expected") events)"
	done
	like "$(cut -d' ' -f3 "$D/expected" | sort -u | tr '\n' ' ')" \
	    "BurnWithInstruction.*Batch.*KeyGen.*NewSet" \
	    "$kind: the chain had new sets, key pairs, batches and burns"

	# Parties: the same everywhere, to members only, as in Python.
	python3 - "$D/validators" "$D/signing.json" >"$D/parties" <<'PY'
import json, sys
sys.path.insert(0, "t/vectors")
import party
vals = sorted((bytes.fromhex(l.split()[0]), int(l.split()[1]), l.split()[2])
              for l in open(sys.argv[1]) if l.strip())
keys = [v[0] for v in vals]
weights = [v[1] for v in vals]
formed = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r["type"] != "PARTY_FORMED":
        continue
    b = r["body"]
    k = (b["sign_id"], b["attempt"])
    names = [m["validator"] for m in b["party"]]
    formed.setdefault(k, []).append((r["v"], names, b))
bad = 0
for (sid, att), got in sorted(formed.items()):
    b = got[0][2]
    everyone = b["kind"] == "SIGN_KEY_GEN"
    p, t = party.form(keys, weights, 0, bytes.fromhex(b["block_hash"][2:]),
                      b["set"]["session"], bytes.fromhex(sid[2:]), att,
                      everyone)
    want = [vals[i][2] for i in p]
    told = sorted(g[0] for g in got)
    for v, names, _ in got:
        if names != want:
            bad += 1
            print("# %s/%d: %s formed %s, Python %s" % (sid, att, v, names,
                                                       want))
    if told != sorted(want):
        bad += 1
        print("# %s/%d: told %s, party %s" % (sid, att, told, want))
print("parties %d bad %d" % (len(formed), bad))
PY
	like "$(tail -n 1 "$D/parties")" "^parties [1-9][0-9]* bad 0$" \
	    "$kind: every party the same on every validator, told to its" \
	    "members only, equal to the Python implementation's"
	grep '^#' "$D/parties" | head -n 5

	# Sessions: one SignCompleted per validator each, results verified.
	dup=$(jq -r 'select(.type == "SIGN_COMPLETED") | .v + " " +
	    .body.sign_id' "$D/signing.json" | sort | uniq -d | wc -l)
	is "$dup" 0 "$kind: one SignCompleted per session on each validator"
	nses=$(jq -r 'select(.type == "PARTY_FORMED") | .body.sign_id' \
	    "$D/signing.json" | sort -u | wc -l)
	for n in $V; do
		ver=$(grep -E "^$n\\.procsim: completed .* verified=(yes|chain)" \
		    "$D/supervisor.log" | awk '{ print $3 }' | sort -u |
		    wc -l)
		is "$ver" "$nses" "$kind: $n's processor verified the" \
		    "result of all $nses sessions"
	done
	is "$(grep -c "^[a-z]*\\.procsim: completed .* verified=no" \
	    "$D/supervisor.log")" 0 "$kind: no result failed to verify"

	# Key generations: each on chain, on every validator.
	kg=$(jq -r 'select(.type == "PARTY_FORMED" and .body.kind ==
	    "SIGN_KEY_GEN") | .body.set | "\(.network)/\(.session)"' \
	    "$D/signing.json" | sort -u)
	for n in $V; do
		is "$(keygens "$D" "$n" | tr '\n' ' ')" "$(echo "$kg" |
		    tr '\n' ' ')" "$kind: $n: a KeyGen on chain for every key" \
		    "generation ($(echo "$kg" | wc -l))"
		is "$(jq -r 'select(.type == "INSTRUCTION_RESULT" and
		    (.body.ok | not))' "$D/$n.obs" | wc -l)" 0 \
		    "$kind: $n: the node refused no instruction"
		is "$(net_dump "$D" "$n" coordinator_dlq | wc -l)" 0 \
		    "$kind: $n: no dead letters"
	done

	# Archives: each holds every record of its validator's topics once
	# (compared when everything has stopped; what was written after the
	# stop began and after the archiver's last read is not expected).
	net_stop "$D"
	ok $? "$kind: the network stopped"
	for n in $V; do
		archive_check "$D" "$n" >"$D/$n.acheck"
		like "$(head -n 1 "$D/$n.acheck")" "^missing 0 extra 0 late [0-9]+$" \
		    "$kind: $n: the archive holds every record of its" \
		    "topics, none that is not, $(wc -l <"$D/$n.export") records"
		grep '^#' "$D/$n.acheck"
		jq -r 'select(.topic != null) |
		    "\(.topic) \(.partition) \(.offset)"' "$D/$n.export" |
		    sort | uniq -d >"$D/$n.dup"
		is "$(wc -l <"$D/$n.dup")" 0 "$kind: $n: no record archived twice"
	done
	kafka_stop "$kind"
done
done_testing
