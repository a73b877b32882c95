#!/bin/sh
# t3100: the connector's libp2p stack against go-libp2p, the reference
# implementation (v0.51: TCP, Noise, yamux only; t/p2p/go): we dial Go and
# Go dials us; both exchange messages on /serai/coordinator/1.0.0 with
# acknowledgements, and pings; then 2 MB each way in 100 KB messages, past
# yamux's 256 KiB window, so flow control works both ways.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
plan 20

C=$(p2p_key c)
S=$(js_seed)
G=$(go_id "$S")
like "$G" '^12D3KooW' "Go PeerId for our seed"

# 1. Go listens, we dial: 5 messages and 2 pings from us
bg_go "$T/g1.out" "$T/g1.err" --seed "$S" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 60
wait_for 20 listening "$T/g1.out"
ok $? "Go node listening" || show "$T/g1.out" "$T/g1.err"
GA=$(p2p_addr "$T/g1.out")
"$P2PTOOL" -k "$T/c.key" -c "$GA" -a "$G" -n 5 -p 2 -x -t 20 \
    >"$T/c1.out" 2>"$T/c1.err"
ok $? "we dialled Go, sent 5, pinged twice, all answered" ||
    show "$T/c1.out" "$T/c1.err" "$T/g1.out"
is "$(count "$T/c1.out" "^connected $G out")" 1 "connected to the Go PeerId"
is "$(count "$T/c1.out" "^ack $G ")" 5 "5 acks from Go"
is "$(count "$T/c1.out" "^pong $G [0-9]+$")" 2 "2 pongs from Go"
wait_for 5 sh -c "[ \$(grep -c '^recv $C ' '$T/g1.out') -ge 5 ]"
is "$(count "$T/g1.out" "^recv $C [0-9a-f]{64} [0-9]+ message [0-4] from 12D3KooW")" \
    5 "Go received our 5 messages, from our PeerId"
awk '/^ack /{print $3}' "$T/c1.out" | sort >"$T/c1.acked"
awk '/^recv /{print $3}' "$T/g1.out" | sort >"$T/g1.got"
cmp -s "$T/c1.acked" "$T/g1.got"
ok $? "the intents Go acknowledged are the ones it received"

# 2. we listen, Go dials: 5 messages and 2 pings from Go, 3 from us
bg_tool "$T/c2.out" "$T/c2.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 \
    -a "$G" -n 3
wait_for 10 listening "$T/c2.out"
ok $? "we listen"
CA=$(p2p_addr "$T/c2.out")
"$GOPEER" --seed "$S" --dial "$CA" --send 5 --ping 2 --expect 3 \
    --exit --timeout 30 >"$T/g2.out" 2>"$T/g2.err"
ok $? "Go dialled us, sent 5, pinged twice, got 3, all answered" ||
    show "$T/g2.out" "$T/g2.err" "$T/c2.out" "$T/c2.err"
is "$(count "$T/g2.out" "^ack $C ")" 5 "5 acks from us"
is "$(count "$T/g2.out" "^pong $C [0-9]+$")" 2 "2 pongs from us"
is "$(count "$T/g2.out" "^recv $C [0-9a-f]{64} [0-9]+ message [0-2] from 12D3KooW")" \
    3 "Go received our 3 messages on the connection it dialled"
wait_for 5 sh -c "[ \$(grep -c '^recv $G ' '$T/c2.out') -ge 5 ]"
is "$(count "$T/c2.out" "^recv $G [0-9a-f]{64} [0-9]+ message [0-4] from go 12D3KooW")" \
    5 "we received Go's 5 messages"
is "$(count "$T/c2.out" "^ack $G ")" 3 "Go acknowledged our 3"
is "$(count "$T/c2.out" "^connected $G in")" 1 "inbound connection from Go"

# 3. bulk, both ways: 20 x 100000 bytes
"$P2PTOOL" -k "$T/c.key" -c "$GA" -a "$G" -n 20 -s 100000 -x -t 30 -q \
    >"$T/c3.out" 2>"$T/c3.err"
ok $? "we sent 2 MB to Go in 100 KB messages" || show "$T/c3.err"
wait_for 10 sh -c "[ \$(grep -c '^recv $C [0-9a-f]* 100000 ' '$T/g1.out') -ge 20 ]"
ok $? "Go received all 20, 100000 bytes each"
"$GOPEER" --seed "$S" --dial "$CA" --send 20 --size 100000 \
    --exit --timeout 30 --quiet >"$T/g3.out" 2>"$T/g3.err"
ok $? "Go sent 2 MB to us" || show "$T/g3.out" "$T/g3.err"
wait_for 10 sh -c "[ \$(grep -c '^recv $G [0-9a-f]* 100000 ' '$T/c2.out') -ge 20 ]"
ok $? "we received all 20, 100000 bytes each"
done_testing
