#!/bin/sh
# t3101 (issue 12): a graceful close loses nothing.  Go sends 20,000
# messages; we acknowledge each and go away once we have them all: every
# acknowledgement must reach Go first.  go-yamux ends its session on any
# go-away and drops what its streams had not read, so our stream queues
# drain, our streams are half-closed and the peer has read that (a ping
# answered) before the go-away; the connection ends only after that.
# go-libp2p then closes its end with SO_LINGER 0: that reset, after our
# go-away, is no warning.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
plan 6

C=$(p2p_key c)
S=$(js_seed)
G=$(go_id "$S")
N=20000

bg_tool "$T/c.out" "$T/c.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 \
    -a "$G" -r $N -x -q -q -v -v -t 60
TOOL=$BG_PID
wait_for 10 listening "$T/c.out"
ok $? "we listen"
CA=$(p2p_addr "$T/c.out")
"$GOPEER" --seed "$S" --dial "$CA" --send $N --read-delay 500 --exit \
    --quiet --timeout 60 \
    >"$T/g.out" 2>"$T/g.err"
ok $? "Go had all $N acknowledged before the connection ended" ||
    show "$T/g.out" "$T/g.err" "$T/c.err"
is "$(count "$T/g.out" '^lost ')" 0 "Go lost no acknowledgement" ||
    show "$T/g.out"
wait $TOOL
ok $? "we received $N and exited once gone away" || show "$T/c.out" "$T/c.err"
like "$(cat "$T/c.err")" "going away: shutting down" "we went away"
! grep -q -E 'warning|fatal' "$T/c.err"
ok $? "no warning on our side (Go's reset after our go-away is none)" ||
    show "$T/c.err"
done_testing
