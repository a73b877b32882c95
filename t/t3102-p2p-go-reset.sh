#!/bin/sh
# t3102 (issue 12): go-libp2p closes every connection with SO_LINGER 0,
# so a normal disconnect reaches us as a TCP reset.  A reset at the end of
# the byte stream (at a frame boundary) or after a go-away is an orderly
# close, logged as information; one in the middle of a frame stays a
# warning.
. t/lib.sh
. t/p2p/lib.sh
p2p_need_go
plan 6

C=$(p2p_key c)
S=$(js_seed)
G=$(go_id "$S")

bg_tool "$T/c.out" "$T/c.err" -k "$T/c.key" -l /ip4/127.0.0.1/tcp/0 -a "$G"
wait_for 10 listening "$T/c.out"
ok $? "we listen"
CA=$(p2p_addr "$T/c.out")
for i in 1 2 3; do
	"$GOPEER" --seed "$S" --dial "$CA" --send 5 --exit --quiet \
	    --timeout 20 >"$T/g$i.out" 2>"$T/g$i.err" ||
	    show "$T/g$i.out" "$T/g$i.err"
done
wait_for 10 sh -c "[ \$(grep -c '^closed ' '$T/c.out') -ge 3 ]"
ok $? "Go connected, sent 5, and closed, three times" || show "$T/c.out"
is "$(count "$T/c.out" "^recv $G ")" 15 "we received 15"
is "$(count "$T/c.err" "info: peer $G: connection reset by the peer")" 3 \
    "each reset said as information" || show "$T/c.err"
! grep -q -E 'warning|fatal' "$T/c.err"
ok $? "no warning" || show "$T/c.err"
# a reset in the middle of a frame is still one
python3 - "$CA" >"$T/py.out" 2>&1 <<'PY'
import socket, struct, sys
host, port = sys.argv[1].split('/')[2], int(sys.argv[1].split('/')[4])
s = socket.create_connection((host, port))
s.sendall(b'\x13/multistream/1.0.0\n\x07/noise\n')
s.recv(100)
s.sendall(b'\x00\x20' + b'\x00' * 5)	# 5 bytes of a 32-byte frame
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
PY
wait_for 10 grep -q 'warning: .*: connection reset by the peer during the handshake' "$T/c.err"
ok $? "a reset in the middle of a handshake frame is a warning" ||
    show "$T/c.err" "$T/py.out"
done_testing
