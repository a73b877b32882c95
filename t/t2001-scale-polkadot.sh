#!/bin/sh
# The observer's event decoder against polkadot-js, the reference: random
# events of every pallet of real metadata (V14, V15, V16 fixtures shipped in
# @polkadot/types-support), encoded and decoded by polkadot-js, decoded by
# us, compared field by field.  SCALE_SEED=N reproduces a run.
. t/lib.sh
. t/scale/setup.sh

SEED=${SCALE_SEED:-20240611}
BLOCKS=${SCALE_BLOCKS:-30}
PER=${SCALE_PER_BLOCK:-20}
FIXTURES="v14/substrate v14/polkadot v14/kusama v14/substrate-contracts-node
v15/substrate v15/polkadot v15/kusama v15/asset-hub-polkadot
v15/asset-hub-kusama v16/substrate"
# three checks per fixture, seven others
plan $(($(echo $FIXTURES | wc -w) * 3 + 7))
diag "seed $SEED, $BLOCKS blocks of $PER events per fixture"

gen() {
	node t/scale/gen-events.mjs "$1" "$SEED" "$BLOCKS" "$PER" \
	    >"$T/$(echo "$1" | tr / -).jsonl" 2>"$T/$(echo "$1" | tr / -).err"
}

# two generators at a time: the machine has two cores
set -- $FIXTURES
while [ $# -gt 0 ]; do
	gen "$1" & p1=$!
	p2=
	if [ $# -gt 1 ]; then gen "$2" & p2=$!; fi
	wait $p1; echo $? >"$T/$(echo "$1" | tr / -).rc"
	if [ -n "$p2" ]; then wait $p2; echo $? >"$T/$(echo "$2" | tr / -).rc"; shift; fi
	shift
done

total=0
for f in $FIXTURES; do
	b=$T/$(echo "$f" | tr / -)
	is "$(cat "$b.rc")" 0 "$f: polkadot-js generated events"
	[ "$(cat "$b.rc")" = 0 ] || { diag "$(tail -5 "$b.err")"; continue; }
	t/scale/evcheck "$b.jsonl" >"$b.out"
	ok $? "$f: every event decodes as polkadot-js decodes it (seed $SEED)"
	sed -n 's/^# \(MISMATCH\)/#   \1/p' "$b.out" | head -20
	grep '^# evcheck:' "$b.out" | sed "s|^# |# $f: |"
	n=$(sed -n 's/^# evcheck: [0-9]* blocks, \([0-9]*\) events.*/\1/p' "$b.out")
	total=$((total + ${n:-0}))
	# every event variant of the metadata was used, none skipped
	sum=$(grep '^# polkadot-js:' "$b.out")
	nv=$(echo "$sum" | sed -n 's/.*"variants":\([0-9]*\).*/\1/p')
	[ "$nv" -gt $((BLOCKS * PER)) ] && nv=$((BLOCKS * PER))
	like "$sum" "\"variants_used\":$nv,\"skipped\":0," \
	    "$f: $nv event variants used, none skipped"
done
diag "$total events compared"
[ "$total" -ge 1000 ]; ok $? "at least 1000 events compared"

# Compact integers at the edges (mode boundaries, non-canonical forms,
# values beyond the declared width): decoded or refused as polkadot-js does.
node t/scale/compact-edges.mjs >"$T/compact.jsonl"
ok $? "polkadot-js decoded the compact edge cases"
t/scale/evcheck -c "$T/compact.jsonl" >"$T/compact.out"
ok $? "compacts: $(sed -n 's/^# evcheck: //p' "$T/compact.out")"
grep MISMATCH "$T/compact.out" | head -5
sed '5s/"value":"[0-9]*"/"value":"7"/' "$T/compact.jsonl" >"$T/compact2.jsonl"
! t/scale/evcheck -c "$T/compact2.jsonl" >/dev/null
ok $? "compacts: an altered value is caught"

# The comparison can fail: alter one expected value, it must be caught.
b=$T/v14-substrate
for m in 3 77 1234; do
	t/scale/evcheck -m $m "$b.jsonl" >"$T/mut.out"
	ok $? "an altered expected value is caught (mutation $m)"
done

done_testing
