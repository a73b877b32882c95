#!/usr/bin/env python3
"""linkproxy: a TCP proxy that makes a peer link misbehave, for tests.

    linkproxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE STATE_FILE

Listens on 127.0.0.1:LISTEN_PORT and forwards each connection to
127.0.0.1:TARGET_PORT.  CONTROL_FILE holds the mode, read again every
50 ms (a missing or empty file is "pass"):

    pass        forward as it comes
    delay MS    hold every chunk MS milliseconds before forwarding it
    cut         once: the next chunk from either side is forwarded in part
                (half of it: the connection ends in the middle of a
                frame), then both sides are reset (SO_LINGER 0); new
                connections pass
    blackhole   forward nothing, close nothing: no data, no FIN, no RST,
                in either direction; new connections are accepted and
                held, not forwarded, until the mode changes

STATE_FILE is rewritten on every change: "listening", then
"conns=N cuts=N forwarded=N" (bytes).  It exits on SIGTERM.
"""
import asyncio
import os
import signal
import socket
import struct
import sys

listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
control, state = sys.argv[3], sys.argv[4]
mode = ["pass", 0]      # name, delay ms
stats = {"conns": 0, "cuts": 0, "forwarded": 0}
cut_pending = False


def write_state():
    tmp = state + ".tmp"
    with open(tmp, "w") as f:
        f.write("conns=%d cuts=%d forwarded=%d\n" %
                (stats["conns"], stats["cuts"], stats["forwarded"]))
    os.replace(tmp, state)


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def watch_control():
    global cut_pending
    last = None
    while True:
        try:
            with open(control) as f:
                text = f.read().split()
        except OSError:
            text = []
        if text != last:
            last = text
            name = text[0] if text else "pass"
            if name == "delay":
                mode[:] = ["delay", int(text[1])]
            elif name == "cut":
                mode[:] = ["pass", 0]
                cut_pending = True
            elif name in ("pass", "blackhole"):
                mode[:] = [name, 0]
            else:
                print("linkproxy: unknown mode %r" % name, file=sys.stderr)
        await asyncio.sleep(0.05)


async def held():
    """Wait while the link is a black hole."""
    while mode[0] == "blackhole":
        await asyncio.sleep(0.05)


async def pump(src, dst, pair):
    global cut_pending
    while True:
        await held()
        try:
            data = await src.read(65536)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            break
        await held()    # read before the hole opened: held back too
        if mode[0] == "delay":
            await asyncio.sleep(mode[1] / 1000)
        if cut_pending and len(data) >= 2:
            cut_pending = False
            dst.write(data[:len(data) // 2])
            try:
                await dst.drain()
            except (ConnectionError, OSError):
                pass
            stats["cuts"] += 1
            stats["forwarded"] += len(data) // 2
            write_state()
            for w in pair:
                reset(w)
            return
        dst.write(data)
        stats["forwarded"] += len(data)
        try:
            await dst.drain()
        except (ConnectionError, OSError):
            break
    for w in pair:
        try:
            w.close()
        except OSError:
            pass


async def handle(creader, cwriter):
    await held()
    try:
        ureader, uwriter = await asyncio.open_connection("127.0.0.1",
                                                         target_port)
    except OSError:
        reset(cwriter)
        return
    stats["conns"] += 1
    write_state()
    pair = (cwriter, uwriter)
    await asyncio.gather(pump(creader, uwriter, pair),
                         pump(ureader, cwriter, pair))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port,
                                        reuse_address=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    asyncio.ensure_future(watch_control())
    with open(state + ".tmp", "w") as f:
        f.write("listening\n")
    os.replace(state + ".tmp", state)
    async with server:
        await stop


asyncio.run(main())
