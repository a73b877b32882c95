#!/bin/sh
# t3003: a man in the middle (t/p2p/relay.mjs) between js-libp2p and us
# flips one bit of a Noise transport frame, or replays one: the receiver's
# authentication fails and the connection is torn down, whichever side
# dialled.  A relay that changes nothing changes nothing (control).  In the
# tampered runs each side waits for a message the other never sends, so
# only the teardown (or the timeout, a failure) ends them.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_js
plan 14

C=$(p2p_key c)
S=$(js_seed)
J=$(js_id "$S")

# relay_to TARGETPORT MODE DIR NAME [FRAME]: start a relay; RPORT its port
relay_to() {
	node t/p2p/relay.mjs --target "127.0.0.1:$1" --mode "$2" --dir "$3" \
	    --frame "${5:-3}" >"$T/$4.out" 2>"$T/$4.err" &
	track_pid $!
	wait_for 10 grep -q '^relay ' "$T/$4.out"
	RPORT=$(awk '/^relay /{print $2}' "$T/$4.out")
}

bg_tool "$T/c.out" "$T/c.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 -a "$J"
wait_for 10 listening "$T/c.out"
CPORT=$(p2p_addr "$T/c.out" | cut -d/ -f5)

# control: through an honest relay all goes well
relay_to "$CPORT" none c2s r0
node t/p2p/peer.mjs --seed "$S" --dial "/ip4/127.0.0.1/tcp/$RPORT" --send 5 \
    --exit --timeout 20 >"$T/js0.out" 2>"$T/js0.err"
ok $? "through an honest relay: 5 messages acknowledged" ||
    show "$T/js0.out" "$T/js0.err" "$T/c.err"

# js dials us, a bit flipped on its way to us
relay_to "$CPORT" flip c2s r1
node t/p2p/peer.mjs --seed "$S" --dial "/ip4/127.0.0.1/tcp/$RPORT" --send 5 \
    --expect 1 --exit --timeout 20 >"$T/js1.out" 2>"$T/js1.err"
test $? -ne 0 && ! grep -q '^timeout' "$T/js1.out"
ok $? "js's session is torn down"
is "$(count "$T/r1.out" '^tampered c2s 3')" 1 "the relay flipped frame 3"
wait_for 5 grep -q 'fails authentication' "$T/c.err"
ok $? "we detected it and dropped the connection" || show "$T/c.err"
like "$(grep 'fails authentication' "$T/c.err")" \
    "peer $J: noise: frame [0-9]+ fails authentication .*dropping the connection" \
    "the log line names the peer and the cause"

# js dials us, a frame replayed on its way to us
relay_to "$CPORT" replay c2s r2
node t/p2p/peer.mjs --seed "$S" --dial "/ip4/127.0.0.1/tcp/$RPORT" --send 5 \
    --expect 1 --exit --timeout 20 >"$T/js2.out" 2>"$T/js2.err"
test $? -ne 0 && ! grep -q '^timeout' "$T/js2.out"
ok $? "js's session is torn down"
is "$(count "$T/r2.out" '^tampered c2s 3')" 1 "the relay replayed frame 3"
wait_for 5 sh -c "[ \$(grep -c 'fails authentication' '$T/c.err') -ge 2 ]"
ok $? "we rejected the replayed frame" || show "$T/c.err"

# we dial js, a bit flipped on its way to us
bg_js "$T/js3.out" "$T/js3.err" --seed "$S" --listen /ip4/127.0.0.1/tcp/0 \
    --timeout 60
wait_for 20 listening "$T/js3.out"
JPORT=$(p2p_addr "$T/js3.out" | cut -d/ -f5)
relay_to "$JPORT" flip s2c r3
"$P2PTOOL" -k "$T/c.key" -c "/ip4/127.0.0.1/tcp/$RPORT/p2p/$J" -a "$J" \
    -n 5 -p 1 -r 1 -x -t 10 >"$T/c3.out" 2>"$T/c3.err"
is $? 111 "our dial fails"
is "$(count "$T/r3.out" '^tampered s2c 3')" 1 "the relay flipped frame 3"
like "$(cat "$T/c3.err")" "peer $J: noise: frame [0-9]+ fails authentication" \
    "we detected it"
like "$(cat "$T/c3.err")" "connection lost" "and dropped the connection"

# we dial js, a bit flipped on its way to js: js tears it down
relay_to "$JPORT" flip c2s r4 2
"$P2PTOOL" -k "$T/c.key" -c "/ip4/127.0.0.1/tcp/$RPORT/p2p/$J" -a "$J" \
    -n 5 -p 1 -r 1 -x -t 10 >"$T/c4.out" 2>"$T/c4.err"
is $? 111 "our dial fails"
like "$(cat "$T/c4.err")" "connection lost" "js dropped the connection"
done_testing
