#!/bin/sh
# signer.sh: the signer's two figures, each against a peer in the same run.
#
#   party formation   150 key shares over 1,000 validators (key i =
#                     BLAKE2b("bench-key" || i), shares dealt to validators
#                     7s mod 1000): microseconds per formation by
#                     signer/party.c (t/procsim/partybench) against the
#                     independent Python implementation (t/vectors/party.py,
#                     hashlib.blake2b) of the same function; both must form
#                     the same parties (their sums of party sizes agree)
#   routing latency   one message processor -> signer -> connector
#                     (p2prelay) -> signer -> processor, one way: two
#                     validators in one key-generation party, alice's
#                     processor simulator sends timed messages one at a
#                     time, bob's times their arrival (same clock); median
#                     of BENCH_MSGS (default 50).  Four broker hops, two of
#                     them through the signers' transactions.  The peer: a
#                     plain kcat round trip through the same broker, two
#                     hops (kcat -P -> topic -> kcat -C), no transactions:
#                     twice the median of 2 x BENCH_MSGS single hops (kcat
#                     -P cannot echo a stream, see below).
#
# BENCH_KAFKA=real|mock (default real).  Rows "figure | ours | peer |
# ratio" (ratio = ours / peer, lower is better for both); JSON objects
# appended to t/bench/results.json.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/bench/lib.sh
. t/procsim/lib.sh
KIND=${BENCH_KAFKA:-real}
MSGS=${BENCH_MSGS:-50}
KAFKA_KINDS=$KIND
export KAFKA_KINDS
PARTYBENCH=$TOP/t/procsim/partybench
[ -x "$PARTYBENCH" ] || { echo "signer.sh: $PARTYBENCH not built" >&2; exit 100; }
for c in python3 kcat jq; do
	command -v $c >/dev/null 2>&1 ||
	    { echo "signer.sh: $c not found (make deps)" >&2; exit 100; }
done

median() { sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "nan"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- formation
set -- $("$PARTYBENCH" 1000 150 2000)
ours_us=$1
ours_sum=$2
set -- $(python3 t/vectors/party.py bench 1000 150 200)
peer_us=$1
peer_sum=$2
# Compare over the same 200 attempts.
set -- $("$PARTYBENCH" 1000 150 200)
[ "$2" = "$peer_sum" ] ||
    { echo "signer.sh: the implementations formed different parties ($2 vs $peer_sum)" >&2; exit 1; }
diag "party formation: C sum $ours_sum over 2000 attempts, the Python and C sums agree over 200 ($peer_sum)"
bench_row signer "party formation, 150 key shares over 1000 validators" \
    "us" "$ours_us" "Python hashlib (t/vectors/party.py)" "$peer_us" lower

# ---------------------------------------------------------------- routing
kafka_require
kafka_start "$KIND"
D=$T/net
SG_SIGNING="preprocess_timeout = 10m
share_timeout = 10m"
sg_net "$D" alice bob
sg_topics "$D" alice bob
sg_signer "$D" alice
sg_signer "$D" bob
sg_procsim "$D" alice -b "$MSGS"
sg_procsim "$D" bob -e
sg_relay "$D" alice bob
sg_chain "$D" newset 1 1 "$(hex32)" alice bob
if ! wait_for 300 sh -c "[ \$(grep -c '^rtt_us' '$D/alice/procsim.out') -ge $MSGS ]"; then
	echo "signer.sh: only $(grep -c '^rtt_us' "$D/alice/procsim.out") of $MSGS messages came back" >&2
	exit 1
fi
# The first message pays for the consumers' first fetches: leave it out.
ours_ms=$(awk '$1 == "oneway_us" { print $2 / 1000 }' "$D/bob/procsim.out" |
    tail -n +2 | median)
rtt_ms=$(awk '$1 == "rtt_us" { print $2 / 1000 }' "$D/alice/procsim.out" |
    tail -n +2 | median)
diag "routing: one way median $ours_ms ms, there and back $rtt_ms ms"

# kcat: single hops on the same broker (bench_kcat_hops); a round trip is
# two such hops: the median hop, twice.
bench_kcat_hops $((2 * MSGS)) "$T/kcat.lat" ||
    { echo "signer.sh: the kcat hops failed" >&2; exit 1; }
peer_ms=$(median <"$T/kcat.lat" | awk '{ printf "%.3f", 2 * $1 }')
bench_row signer "routing one way, processor-signer-connector-signer-processor ($KIND broker)" \
    "ms" "$ours_ms" "kcat round trip, same broker" "$peer_ms" lower
kafka_stop "$KIND"
_tap_fail=0
