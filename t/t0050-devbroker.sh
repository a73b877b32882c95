#!/bin/sh
# t0050: the dev broker (librdkafka's mock cluster) prints its address, writes
# it atomically, signals readiness after both, serves producers and group
# consumers through its fixed bootstrap relay, and stops cleanly on signals.
. t/lib.sh
. t/lib-kafka.sh
need_cmd kcat "kcat produces and consumes through the dev broker"
need_cmd python3 "python3 finds a free port"
[ -x "$DEVBROKER" ] || skip_all "t/devbroker not built: run make"
plan 34

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

stderr_is_clean() {
	# Every stderr line reads "devbroker: level: message".
	! grep -Ev '^devbroker: (debug|info|warning|error|fatal): ' "$1"
}

# --- usage errors are permanent (100), before anything starts
"$DEVBROKER" -b 0 2>"$T/e1"
is $? 100 "-b 0 is a usage error (exit 100)"
"$DEVBROKER" -p nocolon 2>"$T/e2"
is $? 100 "-p without a port is a usage error (exit 100)"
"$DEVBROKER" -t 'x:0' 2>"$T/e3"
is $? 100 "-t with 0 partitions is a usage error (exit 100)"
"$DEVBROKER" extra 2>"$T/e4"
is $? 100 "an operand is a usage error (exit 100)"
like "$(cat "$T/e1")" '^devbroker: fatal: -b 0' "usage errors say what is wrong"

# --- start on a fixed free port, with topics, address file and readiness
port=$(free_port)
addr=127.0.0.1:$port
: >"$T/ready"
"$DEVBROKER" -p "$addr" -a "$T/addr" -d 3 -P 2 -t three:3 -t two \
    >"$T/out" 2>"$T/err" 3>"$T/ready" </dev/null &
pid=$!
track_pid $pid
wait_for 10 test -s "$T/ready"
ok $? "readiness: a newline on fd 3"
is "$(od -An -c "$T/ready" | tr -d ' ')" '\n' "readiness is exactly one newline"
is "$(cat "$T/out")" "$addr" "stdout has the fixed bootstrap address"
is "$(cat "$T/addr")" "$addr" "-a file has it too, written before readiness"
ls "$T"/addr.tmp.* >/dev/null 2>&1
is $? 2 "no temporary address file is left behind"

kcat -L -b "$addr" >"$T/meta" 2>&1
ok $? "metadata through the fixed address"
broker=$(sed -n 's/^ *broker 1 at \([^ ]*\).*/\1/p' "$T/meta")
like "$broker" '^127\.0\.0\.1:[0-9]+$' "the mock broker advertises its own address"
[ -n "$broker" ] && [ "$broker" != "$addr" ]
ok $? "clients only bootstrap through the relay ($broker is not $addr)"
like "$(grep -c 'partition [0-9]*, leader' "$T/meta")" '^5$' \
    "-t three:3 and -t two (-P 2) make 5 partitions"
like "$(grep '"three" with' "$T/meta")" 'with 3 partitions' "three: 3 partitions"
like "$(grep '"two" with' "$T/meta")" 'with 2 partitions' "two: -P 2 partitions"

# --- produce and consume with kcat through the relay
printf 'hello\nworld\n' | kcat -P -b "$addr" -t two -p 1 2>"$T/kp"
ok $? "kcat produces through the relay"
got=$(kcat -C -b "$addr" -t two -p 1 -o beginning -e -q 2>"$T/kc")
is "$(echo $got)" "hello world" "kcat consumes what it produced"

# auto-created topic (the mock's default: 4 partitions)
echo auto | kcat -P -b "$addr" -t autocreated -p 0 2>"$T/ka"
ok $? "a producer auto-creates a topic"
is "$(kcat -C -b "$addr" -t autocreated -p 0 -e -q 2>/dev/null)" auto \
    "the auto-created topic holds the record"

# --- what the bus uses, through the relay: groups and transactions
"$BUSTEST" produce -b "$addr" -t three -n 3 -V g -x t0050 2>"$T/bp"
ok $? "a transactional producer commits through the relay"
got=$("$BUSTEST" consume -b "$addr" -t three -g t0050 -n 3 2>"$T/bc")
ok $? "a group consumer joins through the relay"
is "$(echo $got)" "g0 g1 g2" "the group consumer reads the records"
is "$("$BUSTEST" committed -b "$addr" -t three -g t0050 2>/dev/null)" 3 \
    "its offsets are committed"

# --- several brokers
"$DEVBROKER" -b 3 -p none -a "$T/addr3" 2>"$T/err3" >/dev/null </dev/null &
pid3=$!
track_pid $pid3
wait_for 10 test -s "$T/addr3"
like "$(cat "$T/addr3")" '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' \
    "-b 3 -p none: the address list of 3 brokers"
is "$(kcat -L -b "$(cat "$T/addr3")" 2>/dev/null | grep -c '^  broker ')" 3 \
    "metadata lists 3 brokers"

# --- the fixed port is taken: temporary failure
"$DEVBROKER" -p "$addr" >/dev/null 2>"$T/busy" </dev/null
is $? 111 "a busy fixed port is a temporary failure (exit 111)"
like "$(cat "$T/busy")" "^devbroker: fatal: listen on $addr: Address already in use" \
    "and says so"

# --- SIGTERM and SIGINT: prompt, clean exit 0
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
is $? 0 "SIGTERM: exit 0"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 3000 ]
ok $? "SIGTERM: stopped in $ms ms"
like "$(tail -n 1 "$T/err")" '^devbroker: info: stopping$' "it logs its stop"
stderr_is_clean "$T/err"
ok $? "stderr lines read devbroker: level: message"
kill -INT $pid3
wait $pid3
is $? 0 "SIGINT: exit 0"
kcat -L -b "$addr" -m 1 >/dev/null 2>&1
ok $(( ! $? )) "the fixed port is closed after exit"

done_testing
