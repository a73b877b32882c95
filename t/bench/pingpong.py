# pingpong.py N: the floor under any round trip on this machine: plain
# TCP on loopback, 1 KiB one way and 40 bytes back, one at a time, no
# encryption, no framing.  Prints "floor p50 US p99 US".  Its p99 is the
# scheduler's tail (wakeups on a shared machine), which every stack pays.
import os
import socket
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
port = s.getsockname()[1]
if os.fork() == 0:
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(N):
        b = b""
        while len(b) < 1024:
            b += c.recv(1024 - len(b))
        c.sendall(b"a" * 40)
    os._exit(0)
c = socket.socket()
c.connect(("127.0.0.1", port))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
m = b"x" * 1024
for i in range(N):
    t = time.perf_counter_ns()
    c.sendall(m)
    b = b""
    while len(b) < 40:
        b += c.recv(40 - len(b))
    lat.append((time.perf_counter_ns() - t) // 1000)
os.wait()
lat.sort()
print("floor p50", lat[N // 2], "p99", lat[N * 99 // 100], "us")
