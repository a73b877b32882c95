#!/bin/sh
# t3103 (issue 12): a reset of the stream the connector sends on.  Go
# resets it after the 3rd of 10 messages; what was sent on it and not
# acknowledged goes again at once on a new stream (one line in the log
# says so), not after a reconnect that never comes: the connection stays.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
need_cmd python3 "python3 finds free ports"
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
[ -x "$CONNECTOR" ] && [ -x "$MKP2P" ] || skip_all "connector or mkp2p not built"
plan 6

S=$(js_seed)
G=$(go_id "$S")
GP=$(free_port)
conn_setup alice "$(free_port)"
{
	cat "$T/alice/base.ini"
	printf '[connection]\nlisten = /ip4/127.0.0.1/tcp/%s\n' \
	    "$(cat "$T/alice/port")"
	printf 'dial_backoff = 100ms\ndial_backoff_max = 1s\n'
	printf '[validator alice]\npublic_key = %s\n' "$(cat "$T/alice/p2p.pub")"
	printf '[validator go]\npublic_key = %s\n' "$G"
	printf 'endpoint = /ip4/127.0.0.1/tcp/%s\n' "$GP"
	printf '[trust]\n'
	grep -v '\.p2p = ' "$T/alice/keys.txt"
} >"$T/alice/c.ini"

bg_go "$T/g.out" "$T/g.err" --seed "$S" --listen "/ip4/127.0.0.1/tcp/$GP" \
    --reset-after 3 --expect 10 --timeout 30
wait_for 20 listening "$T/g.out"
ok $? "Go listens" || show "$T/g.out" "$T/g.err"
"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 10 -t go \
    >"$T/alice/in.bin"
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in.bin" \
    -o "$T/alice/out.bin" 2>"$T/alice/err" &
APID=$!
track_pid $APID
if wait_for 20 sh -c "! kill -0 $APID 2>/dev/null"; then
	wait $APID
	r=$?
else
	kill -TERM $APID
	wait $APID
	r=1
fi
ok $r "alice had all 10 acknowledged and exited" ||
    show "$T/alice/err" "$T/g.out"
is "$(count "$T/g.out" '^reset ')" 1 "Go reset the stream once"
is "$(awk '/^recv /{print $3}' "$T/g.out" | sort -u | wc -l | tr -d ' ')" 10 \
    "Go received all 10"
is "$(count "$T/alice/err" "info: validator go: the stream we send on was reset; sending [0-9]+ unacknowledged message\(s\) again on a new stream")" \
    1 "one line says so" || show "$T/alice/err"
is "$(count "$T/alice/err" "validator go connected")" 1 \
    "on the one connection" || show "$T/alice/err"
done_testing
