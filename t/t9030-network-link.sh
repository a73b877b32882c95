#!/bin/sh
# t9030: a bad link between two validators.  In the four-validator network
# (t9010), alice's and bob's connectors reach each other only through a
# TCP proxy each way (t/net/linkproxy.py), which in turn
#   - delays every chunk by 300 ms,
#   - cuts the connection in the middle of a frame (reset, no close),
#   - blackholes the link (no data, no FIN, no RST) for longer than the
#     keepalive timeout (here 2 s and 4 s),
# while the chain goes on making sessions.  Alice's connector says bob is
# down, and why, while he is (status line, coord_connector_peer_up); the
# sessions of that time complete on all four (re-attempted without him or
# resent from the log); nothing is delivered twice to any processor.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
net_require
kafka_require
# 17 per broker kind
plan $(($(kafka_kinds | wc -w) * 17))

V="alice bob carol dave"

# peer_line DIR NAME PEER: PEER's line in NAME's connector status file
# (rewritten every second; the metrics, every heartbeat)
peer_line() {
	grep "^peer $3 " "$1/$2/run/connector.status"
}
# peer_state DIR NAME PEER STATE: PEER's state there is STATE
peer_state() {
	peer_line "$1" "$2" "$3" | grep -q "^peer $3 [^ ]* $4 "
}
# not_connected DIR NAME PEER FILE: PEER's line there says another state
# than connected; the line in FILE
not_connected() {
	peer_line "$1" "$2" "$3" >"$4" &&
	    ! grep -q "^peer $3 [^ ]* connected " "$4"
}
# mode DIR MODE...: both proxies' mode
mode() {
	_md=$1
	shift
	echo "$*" >"$_md/ab.ctl"
	echo "$*" >"$_md/ba.ctl"
}
# endpoint_port DIR NAME PEER: the port NAME's config dials PEER at
endpoint_port() {
	awk -v s="[validator $3]" '$0 == s { on = 1; next } /^\[/ { on = 0 }
	    on && $1 == "endpoint" { n = split($3, a, "/"); print a[n] }' \
	    "$1/$2/coord.ini"
}
# set_endpoint DIR NAME PEER PORT: NAME dials PEER at PORT
set_endpoint() {
	awk -v s="[validator $3]" -v p="$4" '$0 == s { on = 1 }
	    /^\[/ && $0 != s { on = 0 }
	    on && $1 == "endpoint" { $0 = "endpoint = /ip4/127.0.0.1/tcp/" p }
	    { print }' "$1/$2/coord.ini" >"$1/$2/coord.ini.new" &&
	mv "$1/$2/coord.ini.new" "$1/$2/coord.ini"
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	NET_SIGNING="preprocess_timeout = 8s
share_timeout = 8s" net_make "$D" $V
	URL=http://$(cat "$D/rpc")/
	# Short keepalives, so the black hole outlasts them quickly.
	for n in $V; do
		sed -i 's|^\[connection\]$|[connection]\nkeepalive = 2s\nkeepalive_timeout = 4s|' \
		    "$D/$n/coord.ini"
	done
	# alice -> bob through proxy ab, bob -> alice through proxy ba.
	set -- $(net_ports 2)
	pab=$1 pba=$2
	: >"$D/ab.ctl"
	: >"$D/ba.ctl"
	python3 "$TOP/t/net/linkproxy.py" "$pab" \
	    "$(endpoint_port "$D" alice bob)" "$D/ab.ctl" "$D/ab.state" \
	    2>"$D/ab.log" &
	track_pid $!
	python3 "$TOP/t/net/linkproxy.py" "$pba" \
	    "$(endpoint_port "$D" bob alice)" "$D/ba.ctl" "$D/ba.state" \
	    2>"$D/ba.log" &
	track_pid $!
	wait_for 20 grep -q listening "$D/ab.state"
	wait_for 20 grep -q listening "$D/ba.state"
	set_endpoint "$D" alice bob "$pab"
	set_endpoint "$D" bob alice "$pba"
	is "$(endpoint_port "$D" alice bob) $(endpoint_port "$D" bob alice)" \
	    "$pab $pba" "$kind: alice and bob dial each other through the proxies"

	net_start "$D"
	net_wait 120 first_keygens "$D"
	ok $? "$kind: the network works (first key pairs on chain)"
	wait_for 30 peer_is "$D" alice bob 1
	ok $? "$kind: alice has bob, through the proxy"

	# 300 ms more each way: sessions go on.
	signing "$D" >"$D/signing.json"
	before=$(started "$D/signing.json" | wc -l)
	mode "$D" delay 300
	net_wait 90 more_sessions "$D" $((before + 2))
	ok $? "$kind: sessions start with 300 ms more on the link"

	# Cut in the middle of a frame.
	mode "$D" cut
	wait_for 30 sh -c "grep -q 'cuts=[1-9]' '$D/ab.state' ||
	    grep -q 'cuts=[1-9]' '$D/ba.state'"
	ok $? "$kind: the link cut in the middle of a frame"
	wait_for 30 sh -c "grep -q 'conns=2' '$D/ab.state' ||
	    grep -q 'conns=2' '$D/ba.state'"
	ok $? "$kind: a new connection through the proxy after the cut"
	wait_for 30 peer_state "$D" alice bob connected
	ok $? "$kind: alice has bob again after the cut"

	# A black hole for longer than the keepalive timeout.
	signing "$D" >"$D/signing.json"
	before=$(started "$D/signing.json" | wc -l)
	mode "$D" blackhole
	: >"$D/down.line"
	wait_for 30 not_connected "$D" alice bob "$D/down.line"
	ok $? "$kind: black hole: alice's status says bob is not connected"
	line=$(cat "$D/down.line")
	like "$line" "last_error=[^-]" "$kind: ... and why: $line"
	wait_for 30 peer_is "$D" alice bob 0
	ok $? "$kind: ... and so do its metrics (coord_connector_peer_up 0)"
	net_wait 120 more_sessions "$D" $((before + 3))
	ok $? "$kind: sessions went on starting during the black hole"
	mode "$D" pass
	wait_for 60 peer_is "$D" alice bob 1
	ok $? "$kind: the link back, alice has bob again"

	H=$(($(head_num) + 6))
	wait_for 60 head_at_least "$H"
	is "$(net_rpc "$D" dev_pause '[true]')" true \
	    "$kind: the dev node stops producing"
	net_wait 240 all_done "$D"
	ok $? "$kind: every session finished on all four," \
	    "$(started "$D/signing.json" | wc -l) sessions" \
	    "$(unfinished "$D/signing.json" | head -n 3 | tr '\n' ' ')"
	once_checks "$D" "$kind"
	ra=$(jq -r 'select(.type == "PARTY_FORMED" and .body.attempt
	    > 0) | .body.sign_id' "$D/signing.json" | sort -u | wc -l)
	diag "$kind: $ra sessions re-attempted; proxies: $(cat "$D/ab.state") / $(cat "$D/ba.state")"
	for n in $V; do
		ver=$(grep -E "^$n\\.procsim: completed .* verified=(yes|chain)" \
		    "$D/supervisor.log" | awk '{ print $3 }' | sort -u |
		    wc -l)
		[ "$n" = alice ] || continue
		is "$ver" "$(started "$D/signing.json" | wc -l)" \
		    "$kind: $n's processor verified every session's result"
	done
	net_stop "$D"
	kafka_stop "$kind"
done
done_testing
