#!/bin/sh
# t3010: two connectors (alice, bob) on the bus's stdio transport: what
# alice's services put on p2p-outbound (P2pSend) reaches bob's p2p-inbound
# (P2pReceived from validator alice), acknowledged end to end; messages
# queued while bob is down are delivered when he comes, once each; -s
# shows each peer; SIGHUP drops and re-adds a validator.
. t/lib.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
[ -x "$CONNECTOR" ] && [ -x "$MKP2P" ] || skip_all "connector or mkp2p not built"
plan 22

conn_setup alice "$(free_port)"
conn_setup bob "$(free_port)"
conn_config alice bob
conn_config bob alice

# bob writes JSON Lines (-J), one P2pReceived per line
received() {
	grep '"type": *"P2P_RECEIVED"' "$1"
}

# bob reads a FIFO that never ends (fd 3 keeps it open)
mkfifo "$T/bob/in"
exec 3<>"$T/bob/in"
start_bob() {
	"$CONNECTOR" -f "$T/bob/c.ini" -J -i "$T/bob/in" -o "$T/bob/out$1.json" \
	    2>>"$T/bob/err" &
	BOB=$!
	track_pid $BOB
}
start_bob 1

"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 5 -t bob \
    >"$T/alice/in1.bin"
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in1.bin" \
    -o "$T/alice/out1.bin" 2>"$T/alice/err1" &
APID=$!
wait_for 20 sh -c "! kill -0 $APID 2>/dev/null"
wait $APID
ok $? "alice delivered 5 messages and exited once all were acknowledged" ||
    show "$T/alice/err1" "$T/bob/err"
like "$(cat "$T/alice/err1")" "input ended and everything was acknowledged" \
    "she says so"
received "$T/bob/out1.json" >"$T/bob/got1.json"
is "$(grep -c '"validator": *"alice"' "$T/bob/got1.json")" 5 \
    "bob produced 5 P2pReceived from validator alice"
is "$(grep -c "\"peer_id\": *\"$(awk '/^connector alice/{print $3}' \
    "$T/alice/run/connector.status" 2>/dev/null || echo x)\"" \
    "$T/bob/got1.json")" 5 "with alice's PeerId"

# -s: bob's view
wait_for 5 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s | grep -q 'received=5'"
ok $? "connector -s shows bob received 5" ||
    "$CONNECTOR" -f "$T/bob/c.ini" -s | sed 's/^/# /'
like "$("$CONNECTOR" -f "$T/bob/c.ini" -s | grep '^peer alice')" \
    '^peer alice 12D3KooW[A-Za-z0-9]+ (connected|down|connecting) rtt=' \
    "one line per peer"

# An envelope signed by a service alice trusts but bob does not: bob's
# connector refuses it instead of producing it.
"$TOP/keygen/coord-keygen" -q -f "$T/alice/c.ini" \
    "$T/alice/keys/mallory.key" >>"$T/alice/c.ini"	# [trust] is last
"$MKP2P" -k "$T/alice/keys/mallory.key" -i alice.mallory -n 1 -f 900 -t bob \
    >"$T/alice/in-m.bin"
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in-m.bin" \
    -o "$T/alice/out-m.bin" 2>"$T/alice/err-m" &
APID=$!
wait_for 20 grep -q 'untrusted sender "alice.mallory"' "$T/bob/err"
ok $? "bob refuses an envelope from a service it does not trust" ||
    show "$T/bob/err"
kill -TERM $APID 2>/dev/null
wait $APID 2>/dev/null
is "$(grep -c 'message 900 from' "$T/bob/out1.json")" 0 \
    "... and does not produce it"

# bob goes away; alice queues 20; bob comes back and gets them all
kill -TERM $BOB
wait $BOB
ok $? "bob stops on SIGTERM with exit 0"
"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 20 -f 100 \
    >"$T/alice/in2.bin"
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in2.bin" \
    -o "$T/alice/out2.bin" 2>"$T/alice/err2" &
APID=$!
wait_for 10 grep -q 'connect: Connection refused' "$T/alice/err2"
ok $? "alice cannot reach bob"
kill -0 $APID
ok $? "and keeps the messages queued"
start_bob 2
wait_for 20 sh -c "! kill -0 $APID 2>/dev/null"
wait $APID
ok $? "bob back: alice delivered all 20 and exited" ||
    show "$T/alice/err2" "$T/bob/err"
received "$T/bob/out2.json" >"$T/bob/got2.json"
is "$(grep -c '"validator": *"alice"' "$T/bob/got2.json")" 20 \
    "bob produced 20"
is "$(grep -o '"envelope": *"[^"]*"' "$T/bob/got2.json" | sort -u | wc -l \
    | tr -d ' ')" 20 "20 different envelopes: none twice"

# SIGHUP: bob drops alice, then takes her back
conn_config bob
kill -HUP $BOB
wait_for 5 grep -q 'validator alice (12D3KooW[A-Za-z0-9]*) removed' \
    "$T/bob/err"
ok $? "reload without alice: removed"
"$CONNECTOR" -f "$T/bob/c.ini" -s >"$T/bob/s1"
wait_for 5 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s | grep -q 'peers=0'"
ok $? "-s shows no peers"
conn_config bob alice
kill -HUP $BOB
wait_for 5 grep -q 'validator alice (12D3KooW[A-Za-z0-9]*) added' \
    "$T/bob/err"
ok $? "reload with alice: added"
# a ConnectRequest: alice is asked to reach carol, who is not in her
# file, and dave, who does not exist
conn_setup carol "$(free_port)"
conn_config carol alice
mkfifo "$T/carol/in"
exec 4<>"$T/carol/in"
"$CONNECTOR" -f "$T/carol/c.ini" -J -i "$T/carol/in" -o "$T/carol/out.json" \
    2>"$T/carol/err" &
track_pid $!
"$MKP2P" -J -k "$T/alice/keys/signer.key" -i alice.signer \
    -C "carol=$(cat "$T/carol/p2p.pub")=/ip4/127.0.0.1/tcp/$(cat "$T/carol/port")" \
    -C "dave=$(echo "$(cat "$T/bob/p2p.pub")" | tr 0-9a-f 1-9a-f0)=/ip4/127.0.0.1/tcp/1" \
    >"$T/alice/in3.json"
"$CONNECTOR" -f "$T/alice/c.ini" -J -i "$T/alice/in3.json" \
    -o "$T/alice/out3.json" 2>"$T/alice/err3"
ok $? "alice answered the connect request and exited" || show "$T/alice/err3"
grep '"CONNECT_RESULT"' "$T/alice/out3.json" >"$T/alice/cr.json"
like "$(cat "$T/alice/cr.json")" '"name": *"carol", *"connected": *true' \
    "ConnectResult: carol connected"
like "$(cat "$T/alice/cr.json")" '"name": *"dave"[^}]*"error": *"[^"]+"' \
    "ConnectResult: dave not, with the error"
wait_for 5 grep -q 'validator alice connected' "$T/carol/err"
ok $? "carol saw alice"
! grep -q -E 'fatal|runtime error|Sanitizer' "$T/bob/err"
ok $? "nothing fatal on bob's side" || show "$T/bob/err"
done_testing
