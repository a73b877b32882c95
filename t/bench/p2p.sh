#!/bin/sh
# p2p.sh: the libp2p stack, ours (p2ptool to p2ptool) against js-libp2p
# (peer.mjs to peer.mjs) on loopback, in the same run: N messages on
# /serai/coordinator/1.0.0 from the dialer, each acknowledged by the
# listener; time from the first send to the last acknowledgement, for
# 1 KiB and 64 KiB messages.  Plus libsodium's ChaCha20-Poly1305 on one
# core (the Noise transport cipher): the ceiling of either.  Then the
# round trip (send to acknowledgement) of 1 KiB messages one at a time,
# p50 and p99, against js-libp2p's and against plain TCP ping-pong's (the
# floor, t/bench/pingpong.c).
# BENCH_N1K / BENCH_N64K: message counts (default 20000 / 10000: 655 MB,
# long enough that a scheduling stall on a shared machine is not the run).
. t/lib.sh
. t/p2p/lib.sh
. t/bench/lib.sh
p2p_need_js

ceiling=$("$P2PTOOL" -B | awk '{print $2}')
diag "ChaCha20-Poly1305 (libsodium, one core): $ceiling MB/s"

# run_ours N SIZE -> elapsed ms
run_ours() {
	A=$(p2p_key "a$2")
	B=$(p2p_key "b$2")
	"$P2PTOOL" -k "$T/a$2.key" -l /ip4/127.0.0.1/tcp/0 -a "$B" -qq -C \
	    -m 1048576 >"$T/ol$2" 2>&1 &
	_pid=$!
	wait_for 10 listening "$T/ol$2"
	"$P2PTOOL" -k "$T/b$2.key" -c "$(p2p_addr "$T/ol$2")" -a "$A" -n "$1" \
	    -s "$2" -x -qq -C -t 600 >"$T/od$2" 2>&1
	kill "$_pid"
	wait "$_pid"
	awk '/^done /{print $2}' "$T/od$2"
}
# cpu_ms FILE: user + system CPU milliseconds from p2ptool -C
cpu_ms() {
	awk '/^cpu /{print $2 + $3}' "$1"
}
run_js() {
	S1=$(js_seed)
	node "$P2PDIR/peer.mjs" --seed "$S1" --listen /ip4/127.0.0.1/tcp/0 \
	    --quiet --timeout 600 >"$T/jl$2" 2>&1 &
	_pid=$!
	wait_for 20 listening "$T/jl$2"
	node "$P2PDIR/peer.mjs" --seed "$(js_seed)" \
	    --dial "$(p2p_addr "$T/jl$2")" --send "$1" --size "$2" --exit \
	    --quiet --timeout 600 >"$T/jd$2" 2>&1
	kill "$_pid"
	awk '/^done /{print $2}' "$T/jd$2"
}

for spec in "${BENCH_N1K:-20000} 1024" "${BENCH_N64K:-10000} 65536"; do
	set -- $spec
	n=$1 size=$2
	ours=$(run_ours "$n" "$size")
	js=$(run_js "$n" "$size")
	[ -n "$ours" ] && [ -n "$js" ] || {
		echo "bench p2p: a run failed" >&2
		cat "$T/od$size" "$T/jd$size" >&2
		exit 1
	}
	om=$(awk -v n="$n" -v ms="$ours" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
	jm=$(awk -v n="$n" -v ms="$js" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
	ob=$(awk -v n="$n" -v s="$size" -v ms="$ours" \
	    'BEGIN { printf "%.1f", n * s / 1e6 / (ms / 1000) }')
	jb=$(awk -v n="$n" -v s="$size" -v ms="$js" \
	    'BEGIN { printf "%.1f", n * s / 1e6 / (ms / 1000) }')
	k=$((size / 1024))
	bench_row p2p "${k} KiB messages acknowledged" "msg/s" "$om" \
	    "js-libp2p" "$jm" higher
	bench_row p2p "${k} KiB throughput" "MB/s" "$ob" "js-libp2p" "$jb" higher
	# where our time went: each side's CPU against the wall clock, and
	# what the cipher alone would take for these bytes on one core
	diag "ours, ${k} KiB: ${ours} ms; sender CPU" \
	    "$(cpu_ms "$T/od$size") ms, receiver CPU $(cpu_ms "$T/ol$size")" \
	    "ms (process lifetime);" \
	    "ChaCha20-Poly1305 alone: $(awk -v n="$n" -v s="$size" \
	    -v c="$ceiling" 'BEGIN { printf "%.0f", n * s / 1e3 / c }') ms"
done
bench_row p2p "64 KiB throughput against the cipher" "MB/s" "$ob" \
    "ChaCha20-Poly1305 ceiling" "$ceiling" higher

# latency: 1 KiB messages one at a time, send to acknowledgement
n=${BENCH_NLAT:-2000}
A=$(p2p_key la)
B=$(p2p_key lb)
"$P2PTOOL" -k "$T/la.key" -l /ip4/127.0.0.1/tcp/0 -a "$B" -qq >"$T/oll" 2>&1 &
_pid=$!
wait_for 10 listening "$T/oll"
"$P2PTOOL" -k "$T/lb.key" -c "$(p2p_addr "$T/oll")" -a "$A" -n "$n" -s 1024 \
    -L -x -qq -t 600 >"$T/odl" 2>&1
kill "$_pid"
node "$P2PDIR/peer.mjs" --seed "$(js_seed)" --listen /ip4/127.0.0.1/tcp/0 \
    --quiet --timeout 600 >"$T/jll" 2>&1 &
_pid=$!
wait_for 20 listening "$T/jll"
node "$P2PDIR/peer.mjs" --seed "$(js_seed)" --dial "$(p2p_addr "$T/jll")" \
    --send "$n" --size 1024 --lockstep --exit --quiet --timeout 600 \
    >"$T/jdl" 2>&1
kill "$_pid"
o50=$(awk '/^latency/{print $3}' "$T/odl")
o99=$(awk '/^latency/{print $5}' "$T/odl")
j50=$(awk '/^latency/{print $3}' "$T/jdl")
j99=$(awk '/^latency/{print $5}' "$T/jdl")
[ -n "$o50" ] && [ -n "$j50" ] || { echo "bench p2p: latency run failed" >&2
	cat "$T/odl" "$T/jdl" >&2; exit 1; }
bench_row p2p "1 KiB round trip p50" "us" "$o50" "js-libp2p" "$j50" lower
bench_row p2p "1 KiB round trip p99" "us" "$o99" "js-libp2p" "$j99" lower
# The machine's own floor: plain TCP ping-pong in C (t/bench/pingpong),
# same sizes, TCP_NODELAY, one at a time, ranked as p2ptool -L ranks: no
# round trip here can beat it; a p99 near it is the scheduler's, not the
# stack's.
floor=$("$TOP/t/bench/pingpong" "$n")
f50=$(echo "$floor" | awk '/^floor/{print $3}')
f99=$(echo "$floor" | awk '/^floor/{print $5}')
[ -n "$f50" ] && [ -n "$f99" ] || { echo "bench p2p: pingpong failed" >&2
	exit 1; }
diag "plain loopback TCP ping-pong (C), 1 KiB there, 40 bytes back:" \
    "p50 $f50 us, p99 $f99 us"
bench_row p2p "1 KiB round trip p50 over plain TCP's" "us" "$o50" \
    "TCP ping-pong" "$f50" lower
bench_row p2p "1 KiB round trip p99 over plain TCP's" "us" "$o99" \
    "TCP ping-pong" "$f99" lower
_tap_fail=0
