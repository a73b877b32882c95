#!/bin/sh
# t3002: a peer whose PeerId is not in the allowed set is refused at the
# handshake, inbound and outbound, and so is a peer that is not the one
# the address named; the refusal happens after its Noise payload verified.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_js
plan 12

C=$(p2p_key c)
O=$(p2p_key other)
S=$(js_seed)
J=$(js_id "$S")

# inbound: js dials us, we allow only "other"
bg_tool "$T/c1.out" "$T/c1.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 -a "$O"
wait_for 10 listening "$T/c1.out"
ok $? "we listen, allowing only $O"
CA=$(p2p_addr "$T/c1.out")
node t/p2p/peer.mjs --seed "$S" --dial "$CA" --send 1 --exit --timeout 20 \
    >"$T/js1.out" 2>"$T/js1.err"
test $? -ne 0
ok $? "js's dial fails" || show "$T/js1.out" "$T/js1.err"
wait_for 5 grep -q "not in the allowed set" "$T/c1.err"
ok $? "we logged the refusal" || show "$T/c1.err"
like "$(grep 'not in the allowed set' "$T/c1.err")" \
    "warning: from 127.0.0.1:[0-9]+: peer $J is not in the allowed set; refused" \
    "naming the verified PeerId"
is "$(count "$T/c1.out" '^connected')" 0 "never connected"
is "$(count "$T/c1.out" '^recv')" 0 "nothing received"

# outbound: we dial js, allowing only "other"
bg_js "$T/js2.out" "$T/js2.err" --seed "$S" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 60
wait_for 20 listening "$T/js2.out"
JA=$(p2p_addr "$T/js2.out")
JA_BARE=${JA%/p2p/*}
"$P2PTOOL" -k "$T/c.key" -c "$JA_BARE" -a "$O" -n 1 -x -t 10 \
    >"$T/c2.out" 2>"$T/c2.err"
is $? 111 "dialling an unknown peer fails (exit 111)"
like "$(cat "$T/c2.err")" "to 127.0.0.1:[0-9]+: peer $J is not in the allowed set; refused" \
    "refused after its handshake payload"
is "$(count "$T/c2.out" '^connected')" 0 "never connected"
is "$(count "$T/js2.out" '^recv')" 0 "js received nothing"

# outbound: the address names "other" but js answers
"$P2PTOOL" -k "$T/c.key" -c "$JA_BARE/p2p/$O" -a "$O" -a "$J" -n 1 -x -t 10 \
    >"$T/c3.out" 2>"$T/c3.err"
is $? 111 "a different peer at the address fails the dial"
like "$(cat "$T/c3.err")" "dialled $O but the peer is $J; refused" \
    "says who answered"
done_testing
