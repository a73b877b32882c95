#!/bin/sh
# t0160: one -s contract (issue 13) and readiness that waits for the
# broker (issue 12).  -s exits 0 running, healthy and current; 1 running
# but not ready or unhealthy; 2 stale (stuck); 3 not running.  The
# connector and the archiver, started with their broker unreachable (a
# closed loopback port), say neither ready (-d) nor healthy (-s) until a
# broker answers there; then both follow.  Stopped (SIGSTOP) the status
# goes stale; SIGTERM: stopped; SIGKILL: the pid is gone.  -s needs no
# broker (the signer's read Kafka before).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-net.sh
kafka_require
net_require
PROGS="observer connector signer archiver"
plan $(( $(echo $(kafka_kinds) | wc -w) * 27 ))

# relay PORT HOST:PORT: a TCP relay from 127.0.0.1:PORT (the broker
# "comes" there); clients bootstrap through it, as through devbroker -p
relay() {
	exec python3 -c 'import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
host, port = sys.argv[2].rsplit(":", 1)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(64)
while True:
    c, _ = ls.accept()
    u = socket.create_connection((host, int(port)))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()' "$@"
}

# st P: P's -s exit code (its output in $D/P.st)
st() {
	"$TOP/$1/$1" -f "$CONF" -s >"$D/$1.st" 2>&1
	echo $?
}
st_is() { [ "$(st "$1")" = "$2" ]; }

for kind in $(kafka_kinds); do
	D=$T/$kind
	kafka_start "$kind"
	real=$BOOTSTRAP
	port=$(net_ports 1)
	BOOTSTRAP=127.0.0.1:$port NET_INTERVAL=1s net_make "$D/net" alice
	CONF=$D/net/alice/coord.ini
	# stale after 3 heartbeats: 3 s
	sed -i 's/^heartbeat_interval = .*/heartbeat_interval = 1s/' "$CONF"

	for p in $PROGS; do
		is "$(st $p)" 3 "$kind: $p -s, nothing ever ran: 3 (not running)"
	done
	like "$(head -1 "$D/signer.st")" "^signer not-running: no status file" \
	    "$kind: signer -s: says why, with no broker asked"

	for p in connector archiver; do
		"$TOP/$p/$p" -f "$CONF" -d 3 3>"$D/$p.ready" 2>"$D/$p.err" \
		    </dev/null &
		echo $! >"$D/$p.pid"
		track_pid $!
	done
	# Both tried the closed port and were refused, more than once.
	for p in connector archiver; do
		wait_for 20 sh -c "[ \$(grep -c 'Connection refused' \
		    '$D/$p.err') -ge 2 ]"
		ok $? "$kind: $p: the broker is unreachable"
	done
	# says_waits P: P's -s says it waits for the broker (the file says
	# only "starting" until P's loop first writes it, which a slow start
	# delays: it was still so in a CI run on the real broker)
	says_waits() {
		st "$1" >/dev/null
		head -1 "$D/$1.st" | grep -q "^$1 unhealthy: starting: waiting for the broker"
	}
	for p in connector archiver; do
		is "$(st $p)" 1 "$kind: $p -s with no broker: 1 (unhealthy)"
		wait_for 20 says_waits $p
		ok $? "$kind: $p -s: says it waits for the broker: $(head -1 "$D/$p.st")"
		is "$(wc -c <"$D/$p.ready")" 0 "$kind: $p: no readiness newline"
	done

	# the topics, as a deployment makes them (mknet's NAME.topics)
	"$PROCSIM" -q -f "$CONF" -X bootstrap.servers="$real" -C \
	    2>"$D/topics.err"
	ok $? "$kind: the topics made" || sed 's/^/# /' "$D/topics.err"
	relay "$port" "$real" 2>"$D/relay.err" &
	relay_pid=$!
	track_pid $!
	for p in connector archiver; do
		wait_for 60 test -s "$D/$p.ready"
		ok $? "$kind: $p: ready once the broker answers"
		wait_for 10 st_is $p 0
		ok $? "$kind: $p -s: 0 (ok)" || sed 's/^/# /' "$D/$p.st"
	done

	# stuck: the file is not rewritten
	kill -STOP "$(cat "$D/connector.pid")"
	wait_for 10 st_is connector 2
	ok $? "$kind: connector stopped (SIGSTOP): -s 2 (stale)"
	like "$(head -1 "$D/connector.st")" "^connector stale: written [0-9]+ s ago, stale after 3 s" \
	    "$kind: connector -s: says since when"
	kill -CONT "$(cat "$D/connector.pid")"
	wait_for 10 st_is connector 0
	ok $? "$kind: connector continued: -s 0 again"

	kill -TERM "$(cat "$D/connector.pid")"
	wait "$(cat "$D/connector.pid")"
	is "$(st connector)" 3 "$kind: connector exited: -s 3 (not running)"
	like "$(head -1 "$D/connector.st")" "^connector not-running: stopped" \
	    "$kind: connector -s: says it stopped"
	grep -q "^connector alice 12D3KooW.* peers=0 " "$D/connector.st"
	ok $? "$kind: ... and keeps its last lines"

	kill -KILL "$(cat "$D/archiver.pid")"
	wait "$(cat "$D/archiver.pid")" 2>/dev/null
	is "$(st archiver)" 3 "$kind: archiver killed: -s 3 (not running)"
	like "$(head -1 "$D/archiver.st")" "^archiver not-running: pid [0-9]+ is gone" \
	    "$kind: archiver -s: says its pid is gone"
	"$TOP/archiver/archiver" -f "$CONF" -s -J >"$D/a.json" 2>&1
	is "$(jq -r '[.verdict, .exit, (.lines | length > 0)] | @tsv' "$D/a.json")" \
	    "$(printf 'not-running\t3\ttrue')" "$kind: archiver -s -J: the same as JSON"

	kill -TERM "$relay_pid"
	kafka_stop "$kind"
done
