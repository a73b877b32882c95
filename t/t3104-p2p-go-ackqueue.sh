#!/bin/sh
# t3104 (issue 12): acknowledgements queued for a peer that does not read
# them are bounded.  Go sends 20,000 messages and reads nothing back for
# 2 s; our queue of unsent acknowledgements to it stops at the bound (-Q,
# bytes; connector: CONN_ACKQ_MAX), and we stop reading from it meanwhile
# (yamux's window holds Go back) instead of dropping anything: once Go
# reads, every message is acknowledged.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
plan 6

C=$(p2p_key c)
S=$(js_seed)
G=$(go_id "$S")
N=20000
Q=65536

bg_tool "$T/c.out" "$T/c.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 \
    -a "$G" -r $N -x -q -q -t 60 -Q $Q
TOOL=$BG_PID
wait_for 10 listening "$T/c.out"
ok $? "we listen" || show "$T/c.err"
CA=$(p2p_addr "$T/c.out")
"$GOPEER" --seed "$S" --dial "$CA" --send $N --read-delay 2000 --exit \
    --quiet --timeout 60 >"$T/g.out" 2>"$T/g.err"
ok $? "Go had all $N acknowledged" || show "$T/g.out" "$T/g.err" "$T/c.err"
wait $TOOL
ok $? "we received $N" || show "$T/c.out" "$T/c.err"
max=$(awk '/^ackq /{print $3}' "$T/c.out" | sed 's/max=//')
like "$max" '^[0-9]+$' "the queue's high-water mark is shown" ||
    show "$T/c.out"
ok "$([ "${max:-0}" -le $((Q + 4096)) ] && echo 0 || echo 1)" \
    "the queue stayed within the bound: $max <= $Q + one frame"
paused=$(awk '/^ackq /{print $4}' "$T/c.out" | sed 's/paused=//')
ok "$([ "${paused:-0}" -ge 1 ] && echo 0 || echo 1)" \
    "we stopped reading from Go while it was full ($paused time(s))"
done_testing
