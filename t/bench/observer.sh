#!/bin/sh
# observer.sh: the observer against polkadot-js, in the same run.
#
#  1. Catch-up: the same backlog of BENCH_BLOCKS (10000) dev node blocks
#     (devnode -n N -i 0).  Ours: observer from start until every block is
#     published to Kafka (the dev broker; BENCH_KAFKA=real for a real one),
#     events decoded, participants read, signed, in transactions.  Peer:
#     polkadot-js (@polkadot/api over HTTP, t/bench/observer/scan.mjs)
#     scanning the same blocks: hash, header, api.at, System.Events decoded,
#     Timestamp.Now, the events of interest to JSON, NewSet's participants.
#     Blocks per second; the target is at least 10x.
#  2. The tip: a block every BENCH_BLOCK_MS (1000) ms; block-to-Kafka latency
#     (dev_producedAt to an obstool watch receiving the BlockUpdate,
#     read_committed) p50 over BENCH_TIP (40) blocks after 10 to settle,
#     adaptive polling against fixed polling at the same polling_interval
#     (BENCH_POLL_MS, 250 ms); the p50 as a fraction of the block time
#     (target under 0.1); and JSON-RPC requests per block, adaptive against
#     fixed (never more).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/bench/lib.sh
need_cmd node "the polkadot-js peer"
need_cmd npm "the polkadot-js peer"
need_cmd jq "reads the results"
N=${BENCH_BLOCKS:-10000}
BMS=${BENCH_BLOCK_MS:-1000}
TIP=${BENCH_TIP:-40}
PMS=${BENCH_POLL_MS:-250}
kind=${BENCH_KAFKA:-mock}
KAFKA_KINDS=$kind kafka_require

PEERDIR=$TOP/t/bench/observer
if [ ! -d "$PEERDIR/node_modules/@polkadot/api" ] ||
    [ "$PEERDIR/package-lock.json" -nt "$PEERDIR/node_modules" ]; then
	(cd "$PEERDIR" && npm ci --no-audit --no-fund) >"$T/npm.log" 2>&1 || {
		tail -3 "$T/npm.log" >&2
		echo "bench observer: npm ci failed" >&2
		exit 1
	}
	touch "$PEERDIR/node_modules"
fi

kafka_start "$kind"
status() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2/run/observer.status" \
    2>/dev/null | head -1; }

# ---- 1. catch-up
D=$T/catchup
dn_start "$D/dn" -i 0 -n "$N" -s 5
obs_conf "$D" alice "polling_interval = 100ms"
obs_topics "$D"
obs_start "$D"
if ! wait_for 600 grep -q "caught up at block $N:" "$D/err"; then
	tail -5 "$D/err" >&2
	echo "bench observer: the observer did not catch up" >&2
	exit 1
fi
obs_stop "$OBS_PID"
# from its start (Kafka, the cursor, the node's metadata) to the last block
# committed
ms=$(sed -n "s/.*caught up at block $N: .* \([0-9]*\) ms after start/\1/p" \
    "$D/err")
ours=$(awk -v n=$((N + 1)) -v ms="$ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
diag "ours: $((N + 1)) blocks in $ms ms from start ($kind broker)," \
    "$(sed -n 's/^blocks .*events=\([0-9]*\).*/\1/p' "$D/run/observer.status") events of interest"
peer=$(cd "$PEERDIR" && node scan.mjs "$URL" 0 "$N") || {
	echo "bench observer: polkadot-js failed" >&2
	exit 1
}
diag "polkadot-js: $(echo "$peer" | jq -r '"\(.blocks) blocks in \(.seconds * 1000 | floor) ms, \(.events) events of interest"')"
prate=$(echo "$peer" | jq '.blocks / .seconds | floor')
bench_row observer "catch-up, $N-block backlog" "blocks/s" "$ours" \
    polkadot-js "$prate"

# ---- 2. the tip
# tip NAME ADAPTIVE: p50 latency (ms) and requests per block in $T/NAME.res
tip() {
	_d=$T/$1
	dn_start "$_d/dn" -i "${BMS}ms" -n 0 -s 5
	obs_conf "$_d" "$1" "polling_interval = ${PMS}ms" "adaptive = $2"
	obs_topics "$_d"
	obs_start "$_d"
	wait_for 30 test -s "$_d/ready" || exit 1
	# settle: 10 blocks, then measure TIP blocks
	wait_for 60 sh -c "[ \$(sed -n 's/.* next=\([0-9]*\).*/\1/p' \
	    '$_d/run/observer.status' | head -1) -ge 10 ]"
	obs_tool "$_d" -w $((TIP * BMS / 1000 + 30)) -c "$TIP" watch \
	    >"$_d/watch" 2>"$_d/watch.err" &
	_w=$!
	wait_for 10 grep -q watching "$_d/watch.err"
	_r0=$(status requests "$_d")
	_b0=$(status next "$_d")
	wait "$_w"
	_r1=$(status requests "$_d")
	_b1=$(status next "$_d")
	obs_stop "$OBS_PID"
	while read -r _n _t; do
		_p=$(rpc dev_producedAt "[$_n]")
		echo $((_t - _p))
	done <"$_d/watch" | sort -n >"$_d/lat"
	_p50=$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' \
	    "$_d/lat")
	_rpb=$(awk -v r=$((_r1 - _r0)) -v b=$((_b1 - _b0)) \
	    'BEGIN { printf "%.2f", (b > 0 ? r / b : 0) }')
	diag "$1: $(wc -l <"$_d/lat") blocks, latency ms p50 $_p50," \
	    "min $(head -1 "$_d/lat"), max $(tail -1 "$_d/lat");" \
	    "$((_r1 - _r0)) requests for $((_b1 - _b0)) blocks"
	echo "$_p50 $_rpb" >"$T/$1.res"
}
tip adaptive yes
tip fixed no
read -r a_p50 a_rpb <"$T/adaptive.res"
read -r f_p50 f_rpb <"$T/fixed.res"
bench_row observer "block-to-Kafka latency p50, ${BMS} ms blocks" ms \
    "$a_p50" "fixed polling ${PMS} ms" "$f_p50" lower
bench_row observer "latency p50 / block time" fraction \
    "$(awk -v a="$a_p50" -v b="$BMS" 'BEGIN { printf "%.3f", a / b }')" \
    target 0.1 lower
bench_row observer "JSON-RPC requests per block at the tip" requests \
    "$a_rpb" "fixed polling ${PMS} ms" "$f_rpb" lower
kafka_stop "$kind"
