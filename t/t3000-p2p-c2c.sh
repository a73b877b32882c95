#!/bin/sh
# t3000: p2ptool against p2ptool (no js needed): messages and pings both
# ways, an oversize message rejected without dropping the connection, and
# garbage from a raw TCP client (bad multistream lines, a truncated Noise
# frame, random bytes) logged and survived.
. t/lib.sh
. t/p2p/lib.sh
need_cmd python3 "python3 plays the raw TCP client"
plan 15

A=$(p2p_key a)
B=$(p2p_key b)

bg_tool "$T/a.out" "$T/a.err" -v -k "$T/a.key" -l /ip4/127.0.0.1/tcp/0 -a "$B" \
    -n 4 -m 1000
wait_for 10 listening "$T/a.out"
ok $? "a listens"
AA=$(p2p_addr "$T/a.out")
APORT=$(echo "$AA" | cut -d/ -f5)

"$P2PTOOL" -k "$T/b.key" -c "$AA" -a "$A" -n 6 -p 3 -r 4 -x -t 20 \
    >"$T/b.out" 2>"$T/b.err"
ok $? "b dialled a: 6 sent, 3 pings, 4 received" || show "$T/b.err" "$T/a.err"
is "$(count "$T/b.out" "^ack $A ")" 6 "6 acks"
is "$(count "$T/b.out" "^pong $A ")" 3 "3 pongs"
is "$(count "$T/b.out" "^recv $A ")" 4 "4 from a on b's own connection"
wait_for 5 sh -c "[ \$(grep -c '^recv $B ' '$T/a.out') -ge 6 ]"
is "$(count "$T/a.out" "^recv $B ")" 6 "a received 6"

# a accepts at most 1000 bytes: 5000 is rejected, the connection lives on
"$P2PTOOL" -k "$T/b.key" -c "$AA" -a "$A" -n 2 -s 5000 -r 4 -x -t 20 \
    >"$T/b2.out" 2>"$T/b2.err"
ok $? "oversize messages do not end the connection" || show "$T/b2.err"
is "$(count "$T/b2.out" "^reject $A [0-9a-f]{64} 1$")" 2 \
    "both rejected as too large (reason 1)"
is "$(count "$T/b2.out" "^recv $A ")" 4 "and a's messages still came"
like "$(cat "$T/a.err")" "message of 5000 bytes exceeds the maximum of 1000" \
    "a logged why (at debug level: the connector counts refusals per peer)"

# garbage
raw() {
	python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex(sys.argv[2]))
s.settimeout(0.5)
try:
    while s.recv(4096):
        pass
except socket.timeout:
    pass
except OSError:
    pass
s.close()' "$APORT" "$1"
}
raw 0668656c6c6f0a			# "hello" instead of the header
raw 132f6d756c746973747265616d2f312e302e300a
raw 132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a0040414243
raw ffffffffffffffffffffffffffffff
wait_for 5 grep -q 'truncated frame' "$T/a.err"
ok $? "a truncated Noise frame is logged" || show "$T/a.err"
like "$(cat "$T/a.err")" 'expected header /multistream/1.0.0, got "hello"' \
    "a bad multistream line is logged"
like "$(cat "$T/a.err")" 'multistream: bad length prefix' \
    "a bad length prefix is logged"
kill -0 "$BG_PID"
ok $? "a is still running"
"$P2PTOOL" -k "$T/b.key" -c "$AA" -a "$A" -n 1 -r 4 -x -t 20 \
    >"$T/b3.out" 2>"$T/b3.err"
ok $? "and still serves its peer" || show "$T/b3.err" "$T/a.err"
done_testing
