#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
An HTTP backend that fails one request in N on a schedule: for each peer
address on its own (xlbd probes a backend from one address per family, so
each VIP's probes keep their own count), the first request and every Nth
after it get a 503, the others a 200. N is read from FILE at each request;
when it changes, every count starts again (so the new schedule fails at
once). N of 0 (or no FILE) fails nothing.

    fail_every.py NAME FILE SECONDS
"""
import asyncio
import dualstack
import sys

NAME, FILE, LIFETIME = sys.argv[1], sys.argv[2], float(sys.argv[3])
counts = {}
every = [0]


def read_every():
    try:
        with open(FILE) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


async def serve(reader, writer):
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        n = read_every()
        if n != every[0]:
            every[0] = n
            counts.clear()
        peer = writer.get_extra_info("peername")[0]
        k = counts.get(peer, 0)
        counts[peer] = k + 1
        if n and k % n == 0:
            status, body = b"503 Service Unavailable", b"failing on schedule\n"
        else:
            status, body = b"200 OK", (NAME + "\n").encode()
        writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
    except Exception:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(serve, sock=dualstack.listen(80, 256))
    async with server:
        await asyncio.sleep(LIFETIME)

asyncio.run(main())
