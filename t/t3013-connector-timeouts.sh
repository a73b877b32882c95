#!/bin/sh
# t3013: the connector's guards against peers that stall or misbehave.
#  - A TCP connection that never starts its handshake is dropped after
#    connect_timeout (and not before).
#  - A connected peer that stops answering (SIGSTOPped: its TCP stays up)
#    is dropped after keepalive + keepalive_timeout, and reconnected once
#    it runs again.
#  - A validator that keeps sending what must be refused (oversize
#    messages, or messages it cannot vouch for) is disconnected after
#    abuse_limit refusals, and its next connection is refused.
. t/lib.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
need_cmd node "node opens a bare TCP connection"
CONNECTOR=$TOP/connector/connector
[ -x "$CONNECTOR" ] && [ -x "$P2PTOOL" ] || skip_all "connector not built"
plan 15

conn_setup alice "$(free_port)"
conn_setup bob "$(free_port)"
conn_config alice bob
conn_config bob alice
MALLORY=$(p2p_key mallory)
# bob: quick timeouts, small messages, three refusals tolerated
sed -i 's/^connect_timeout = 2s$/connect_timeout = 1s\nkeepalive = 300ms\nkeepalive_timeout = 1s\nabuse_limit = 3/' \
    "$T/bob/c.ini"
sed -i "s|^\[general\]\$|&\nmax_message_size = 4096\nmetrics_dir = $T/bob\nheartbeat_interval = 200ms|" \
    "$T/bob/c.ini"
sed -i "s/^dial_backoff_max = 1s$/dial_backoff_max = 30s/" "$T/bob/c.ini"
printf '[validator mallory]\npublic_key = %s\n' "$MALLORY" >>"$T/bob/c.ini"
# bob dials alice by name (resolved in the background), and a validator
# whose name does not resolve; alice does not dial bob
ALICEPORT=$(cat "$T/alice/port")
BOBPORT=$(cat "$T/bob/port")
sed -i "s|/ip4/127.0.0.1/tcp/$ALICEPORT\$|/dns4/localhost/tcp/$ALICEPORT|" \
    "$T/bob/c.ini"
printf '[validator ghost]\npublic_key = %s\nendpoint = /dns4/no-such-host.invalid/tcp/9\n' \
    "$(p2p_key ghost)" >>"$T/bob/c.ini"
sed -i "/^endpoint = .*tcp\/$BOBPORT\$/d" "$T/alice/c.ini"

# each reads a FIFO that never ends (fd 3, 4 keep them open)
mkfifo "$T/alice/in" "$T/bob/in"
exec 3<>"$T/alice/in" 4<>"$T/bob/in"
start() {
	"$CONNECTOR" -f "$T/$1/c.ini" -i "$T/$1/in" -o "$T/$1/out.bin" \
	    2>>"$T/$1/err" &
	track_pid $!
	eval "PID_$1=\$!"
}
st() {
	"$CONNECTOR" -f "$T/$1/c.ini" -s 2>/dev/null | grep "^peer $2 "
}
start bob
wait_for 10 grep -q 'listening on' "$T/bob/err"
BOBID=$(awk '/listening on/{sub(/.*\/p2p\//, ""); print; exit}' "$T/bob/err")

# 1. a bare TCP connection, silent
node -e '
const t = Date.now();
const s = require("net").connect(+process.argv[1], "127.0.0.1");
s.on("error", () => {});
s.on("close", () => { console.log("closed " + (Date.now() - t)); process.exit(0); });
setTimeout(() => { console.log("still open"); process.exit(1); }, 20000);
' "$BOBPORT" >"$T/bare.out"
ok $? "a silent TCP connection is closed by bob" || cat "$T/bare.out"
ms=$(awk '/^closed/{print $2}' "$T/bare.out")
[ "${ms:-0}" -ge 1000 ]
ok $? "not before connect_timeout (after ${ms:-?} ms)"
like "$(cat "$T/bob/err")" "handshake not finished after 1000 ms" \
    "bob says why"

# 2. alice connects, then stops answering
start alice
wait_for 20 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s | grep -q '^peer alice .* connected'"
ok $? "bob dialled alice at /dns4/localhost" ||
    show "$T/bob/err"
wait_for 10 grep -q '^coord_connector_peer_up{service="bob.connector",peer="alice"} 1$' \
    "$T/bob/bob.connector.prom"
ok $? "the metrics say so, per peer" || show "$T/bob/bob.connector.prom"
wait_for 20 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s |
    grep -q '^peer ghost .*last_error=resolve no-such-host.invalid: '"
ok $? "a name that does not resolve is the ghost's last error" ||
    st bob ghost | sed 's/^/# /'
kill -STOP "$PID_alice"
wait_for 20 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s | grep -q '^peer alice .* down'"
ok $? "bob drops alice once she stops answering pings" || st bob alice | sed 's/^/# /'
like "$(cat "$T/bob/err")" "keepalive: no pong within 1000 ms" \
    "because no pong came"
kill -CONT "$PID_alice"
wait_for 20 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s | grep -q '^peer alice .* connected'"
ok $? "reconnected when alice runs again"

# 3. mallory sends oversize messages one at a time (bob's limit is 4096
#    bytes, abuse_limit 3)
"$P2PTOOL" -k "$T/mallory.key" -c "/ip4/127.0.0.1/tcp/$BOBPORT/p2p/$BOBID" \
    -a "$BOBID" -n 10 -s 8192 -L -t 20 >"$T/m1.out" 2>"$T/m1.err"
is "$(grep -c '^reject ' "$T/m1.out")" 4 \
    "bob refused oversize messages one by one until the fourth, then ..."
like "$(grep '^closed ' "$T/m1.out")" "closed" "... hung up on mallory"
wait_for 10 sh -c "'$CONNECTOR' -f '$T/bob/c.ini' -s |
    grep -q '^peer mallory .* rejected=4 last_error=abusive: 4 refused messages'"
ok $? "bob's status says why" || st bob mallory | sed 's/^/# /'
# mallory at once again: refused at the handshake
"$P2PTOOL" -k "$T/mallory.key" -c "/ip4/127.0.0.1/tcp/$BOBPORT/p2p/$BOBID" \
    -a "$BOBID" -n 1 -t 10 >"$T/m2.out" 2>"$T/m2.err"
is "$(grep -c '^ack \|^reject ' "$T/m2.out")" 0 "mallory's next connection ..."
like "$(cat "$T/bob/err")" "validator mallory is refused for [0-9]+ s more" \
    "... is refused"

kill -TERM "$PID_alice" "$PID_bob"
! grep -q -E 'fatal|runtime error|Sanitizer' "$T/alice/err" "$T/bob/err"
ok $? "nothing fatal" || show "$T/bob/err"
done_testing
