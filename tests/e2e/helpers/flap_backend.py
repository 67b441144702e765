#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
A flapping HTTP backend: serves for UP seconds, then refuses connections
(its port closed) for DOWN seconds, and again, for SECONDS in all.

    flap_backend.py NAME UP DOWN SECONDS
"""
import asyncio
import dualstack
import sys
import time

NAME, UP, DOWN, LIFETIME = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])


async def serve(reader, writer):
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        body = (NAME + "\n").encode()
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
    except Exception:
        pass
    writer.close()


async def main():
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end:
        server = await asyncio.start_server(serve, sock=dualstack.listen(80, 256))
        await asyncio.sleep(UP)
        server.close()
        await server.wait_closed()
        await asyncio.sleep(DOWN)

asyncio.run(main())
