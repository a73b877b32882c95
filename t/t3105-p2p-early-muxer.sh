#!/bin/sh
# t3105 (issue 12): Noise's early muxer negotiation.  We list /yamux/1.0.0
# in our handshake payload's extensions; a peer that lists it too needs no
# multistream-select round for the muxer: one negotiation per connection
# (the security protocol), not two.  Against go-libp2p and js-libp2p,
# both ways, and between two of ours.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
p2p_need_js
plan 12

C=$(p2p_key c)
D=$(p2p_key d)
S=$(js_seed)
SJ=$(js_seed)
G=$(go_id "$S")
J=$(js_id "$SJ")

# muxer OUT PEER: the muxer line p2ptool printed for that peer
muxer() {
	awk -v p="$2" '$1 == "muxer" && $2 == p {print $3, $4}' "$1"
}

bg_tool "$T/l.out" "$T/l.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 \
    -a "$G" -a "$J" -a "$D"
wait_for 10 listening "$T/l.out"
ok $? "we listen"
CA=$(p2p_addr "$T/l.out")

# Go dials us, we dial Go
"$GOPEER" --seed "$S" --dial "$CA" --send 3 --exit --quiet --timeout 20 \
    >"$T/g1.out" 2>"$T/g1.err"
ok $? "Go dialled us and had 3 acknowledged" || show "$T/g1.out" "$T/g1.err"
is "$(muxer "$T/l.out" "$G")" "/yamux/1.0.0 mss=1" \
    "Go dialling: yamux agreed in the handshake, one negotiation"
bg_go "$T/g2.out" "$T/g2.err" --seed "$S" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 30
wait_for 20 listening "$T/g2.out"
"$P2PTOOL" -k "$T/d.key" -c "$(p2p_addr "$T/g2.out")" -a "$G" -n 3 -x -t 20 \
    >"$T/d1.out" 2>"$T/d1.err"
ok $? "we dialled Go and had 3 acknowledged" || show "$T/d1.out" "$T/d1.err"
is "$(muxer "$T/d1.out" "$G")" "/yamux/1.0.0 mss=1" \
    "dialling Go: the same"

# js dials us, we dial js
node "$P2PDIR/peer.mjs" --seed "$SJ" --dial "$CA" --send 3 --exit --quiet \
    --timeout 20 >"$T/j1.out" 2>"$T/j1.err"
ok $? "js dialled us and had 3 acknowledged" || show "$T/j1.out" "$T/j1.err"
is "$(muxer "$T/l.out" "$J")" "/yamux/1.0.0 mss=1" \
    "js dialling: yamux agreed in the handshake, one negotiation"
bg_js "$T/j2.out" "$T/j2.err" --seed "$SJ" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 30
wait_for 20 listening "$T/j2.out"
"$P2PTOOL" -k "$T/d.key" -c "$(p2p_addr "$T/j2.out")" -a "$J" -n 3 -x -t 20 \
    >"$T/d2.out" 2>"$T/d2.err"
ok $? "we dialled js and had 3 acknowledged" || show "$T/d2.out" "$T/d2.err"
is "$(muxer "$T/d2.out" "$J")" "/yamux/1.0.0 mss=1" \
    "dialling js: the same"

# two of ours
"$P2PTOOL" -k "$T/d.key" -c "$CA" -a "$C" -n 3 -x -t 20 \
    >"$T/d3.out" 2>"$T/d3.err"
ok $? "we dialled ourselves and had 3 acknowledged" ||
    show "$T/d3.out" "$T/d3.err"
is "$(muxer "$T/d3.out" "$C")" "/yamux/1.0.0 mss=1" "dialling: early"
is "$(muxer "$T/l.out" "$D")" "/yamux/1.0.0 mss=1" "dialled: early"
done_testing
