#!/bin/sh
# t3001: the connector's libp2p stack against js-libp2p 2.x (noise 16,
# yamux 7, tcp 10): we dial js and js dials us; both exchange messages on
# /serai/coordinator/1.0.0 with acknowledgements, and pings on
# /ipfs/ping/1.0.0; then 2 MB each way in 100 KB messages, past yamux's
# 256 KiB window, so flow control works both ways.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_js
plan 22

C=$(p2p_key c)
S=$(js_seed)
J=$(js_id "$S")
like "$J" '^12D3KooW' "js PeerId for our seed"

# 1. js listens, we dial: 5 messages and 2 pings from us
bg_js "$T/js1.out" "$T/js1.err" --seed "$S" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 60
wait_for 20 listening "$T/js1.out"
ok $? "js node listening"
JA=$(p2p_addr "$T/js1.out")
"$P2PTOOL" -k "$T/c.key" -c "$JA" -a "$J" -n 5 -p 2 -x -t 20 \
    >"$T/c1.out" 2>"$T/c1.err"
ok $? "we dialled js, sent 5, pinged twice, all answered" ||
    show "$T/c1.out" "$T/c1.err" "$T/js1.out"
is "$(count "$T/c1.out" "^connected $J out")" 1 "connected to the js PeerId"
is "$(count "$T/c1.out" "^ack $J ")" 5 "5 acks from js"
is "$(count "$T/c1.out" "^pong $J [0-9]+$")" 2 "2 pongs from js"
wait_for 5 sh -c "[ \$(grep -c '^recv $C ' '$T/js1.out') -ge 5 ]"
is "$(count "$T/js1.out" "^recv $C [0-9a-f]{64} [0-9]+ message [0-4] from 12D3KooW")" \
    5 "js received our 5 messages, from our PeerId"
awk '/^ack /{print $3}' "$T/c1.out" | sort >"$T/c1.acked"
awk '/^recv /{print $3}' "$T/js1.out" | sort >"$T/js1.got"
cmp -s "$T/c1.acked" "$T/js1.got"
ok $? "the intents js acknowledged are the ones it received"

# 2. we listen, js dials: 5 messages and 2 pings from js, 3 from us
bg_tool "$T/c2.out" "$T/c2.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 \
    -a "$J" -n 3
wait_for 10 listening "$T/c2.out"
ok $? "we listen"
CA=$(p2p_addr "$T/c2.out")
like "$CA" "^/ip4/127.0.0.1/tcp/[0-9]+/p2p/$C\$" "our address carries our PeerId"
node t/p2p/peer.mjs --seed "$S" --dial "$CA" --send 5 --ping 2 --expect 3 \
    --exit --timeout 30 >"$T/js2.out" 2>"$T/js2.err"
ok $? "js dialled us, sent 5, pinged twice, got 3, all answered" ||
    show "$T/js2.out" "$T/js2.err" "$T/c2.out" "$T/c2.err"
is "$(count "$T/js2.out" "^ack $C ")" 5 "5 acks from us"
is "$(count "$T/js2.out" "^pong $C [0-9]+$")" 2 "2 pongs from us"
is "$(count "$T/js2.out" "^recv $C [0-9a-f]{64} [0-9]+ message [0-2] from 12D3KooW")" \
    3 "js received our 3 messages on the connection it dialled"
wait_for 5 sh -c "[ \$(grep -c '^recv $J ' '$T/c2.out') -ge 5 ]"
is "$(count "$T/c2.out" "^recv $J [0-9a-f]{64} [0-9]+ message [0-4] from js 12D3KooW")" \
    5 "we received js's 5 messages"
is "$(count "$T/c2.out" "^ack $J ")" 3 "js acknowledged our 3"
is "$(count "$T/c2.out" "^connected $J in")" 1 "inbound connection from js"

# 3. bulk, both ways: 20 x 100000 bytes
"$P2PTOOL" -k "$T/c.key" -c "$JA" -a "$J" -n 20 -s 100000 -x -t 30 -q \
    >"$T/c3.out" 2>"$T/c3.err"
ok $? "we sent 2 MB to js in 100 KB messages" || show "$T/c3.err"
wait_for 10 sh -c "[ \$(grep -c '^recv $C [0-9a-f]* 100000 ' '$T/js1.out') -ge 20 ]"
ok $? "js received all 20, 100000 bytes each"
node t/p2p/peer.mjs --seed "$S" --dial "$CA" --send 20 --size 100000 \
    --exit --timeout 30 --quiet >"$T/js3.out" 2>"$T/js3.err"
ok $? "js sent 2 MB to us" || show "$T/js3.out" "$T/js3.err"
wait_for 10 sh -c "[ \$(grep -c '^recv $J [0-9a-f]* 100000 ' '$T/c2.out') -ge 20 ]"
ok $? "we received all 20, 100000 bytes each"
! grep -q -E 'warning|fatal' "$T/c2.err"
ok $? "no warnings on our side" || show "$T/c2.err"
done_testing
