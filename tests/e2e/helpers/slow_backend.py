#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
An HTTP backend with a realistic overload model, for the diagnosis tests.

Each request waits base + k x (requests already in flight) milliseconds,
so latency grows with the backend's own request rate, as a real server's
does when it is overloaded; plus the milliseconds written in the shared
delay file (a slow dependency all backends share) and in this backend's
own delay file (a sick host). It answers with its name.

    slow_backend.py NAME BASE_MS K_MS SHARED_FILE OWN_FILE [SECONDS]
"""
import asyncio
import dualstack
import sys
import time

NAME, BASE, K = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
SHARED, OWN = sys.argv[4], sys.argv[5]
LIFETIME = float(sys.argv[6]) if len(sys.argv) > 6 else 3600
in_flight = 0
cache = {}


def delay_of(path):
    """The number in path, re-read at most every 100 ms; 0 if none."""
    now = time.monotonic()
    hit = cache.get(path)
    if hit and now - hit[0] < 0.1:
        return hit[1]
    try:
        with open(path) as f:
            v = float(f.read().strip() or 0)
    except (OSError, ValueError):
        v = 0.0
    cache[path] = (now, v)
    return v


async def serve(reader, writer):
    global in_flight
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    except Exception:
        writer.close()
        return
    wait = BASE + K * in_flight + delay_of(SHARED) + delay_of(OWN)
    in_flight += 1
    try:
        await asyncio.sleep(wait / 1000)
        body = (NAME + "\n").encode()
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        await writer.drain()
    except Exception:
        pass
    finally:
        in_flight -= 1
        writer.close()


async def main():
    server = await asyncio.start_server(serve, sock=dualstack.listen(80))
    async with server:
        await asyncio.sleep(LIFETIME)

asyncio.run(main())
