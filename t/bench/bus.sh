#!/bin/sh
# bus.sh: messages per second through the bus's consume -> verify -> dedupe
# -> sign -> produce path (busprobe relay: svc_recv, env_seal, svc_send_raw)
# against kcat -C | kcat -P moving the same records between topics of the
# same broker, in the same run.  BENCH_KAFKA=mock|real (default real),
# BENCH_N records (default 100000).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/bench/lib.sh
N=${BENCH_N:-100000}
KIND=${BENCH_KAFKA:-real}
KAFKA_KINDS=$KIND
export KAFKA_KINDS
kafka_require
kafka_start "$KIND"

C=$(coord_conf "$T/v" alice busprobe)
cat >>"$C" <<EOC
[topics]
signing = bench-in
p2p_inbound = bench-out
[general]
EOC
# [general] may appear once: move our line into it instead.
sed -i '$d' "$C"
probe() { "$BUSPROBE" -f "$C" -X "bootstrap.servers=$BOOTSTRAP" -w 600 "$@"; }

probe -T signing send "$N" bench 2>"$T/send" ||
    { cat "$T/send" >&2; exit 1; }
size=$(kcat -C -b "$BOOTSTRAP" -t bench-in -c 1 -e -f '%S' 2>/dev/null)
diag "$N envelopes of $size bytes in bench-in ($KIND broker)"

t0=$(now_ns)
probe -t signing -T p2p_inbound -g bench-relay -c "$N" relay 2>"$T/relay" ||
    { cat "$T/relay" >&2; exit 1; }
t1=$(now_ns)
ours=$(awk -v n="$N" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (d / 1e9) }')

D='@@KCAT-BENCH-DELIM@@'
t0=$(now_ns)
kcat -C -b "$BOOTSTRAP" -t bench-in -o beginning -e -q -f "%s$D" 2>"$T/kc" |
    kcat -P -b "$BOOTSTRAP" -t bench-kcat -D "$D" 2>>"$T/kc"
t1=$(now_ns)
moved=$(kcat -C -b "$BOOTSTRAP" -t bench-kcat -o beginning -e -q -f 'x\n' |
    wc -l)
[ "$moved" -eq "$N" ] || diag "kcat moved $moved of $N records"
peer=$(awk -v n="$N" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (d / 1e9) }')

bench_row bus "relay msgs/s ($KIND broker, $size B)" "msg/s" "$ours" \
    "kcat -C | kcat -P" "$peer" higher
kafka_stop "$KIND"
_tap_fail=0
