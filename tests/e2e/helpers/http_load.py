#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
HTTP load through the VIP: new connections at RATE a second for DURATION s
(bounded: at most RATE x DURATION requests, each with a TIMEOUT), one GET
on each. Arrivals are a Poisson process (seeded), as independent clients
make them: evenly spaced ones would never queue at a backend. Prints one
line: requests, failures and latency quantiles in ms. SIGTERM ends the
arrivals early; the requests in flight finish and the line is printed.

SOURCE is the client address to connect from. The kernel hands a source
port back as soon as the server has closed, and a 5-tuple used before
meets the balancer's flow entry of the earlier connection, which keeps
its backend whatever the weights say now: callers that change weights
between loads give each load an address of its own.

    http_load.py URL RATE DURATION [TIMEOUT [SOURCE]]
"""
import asyncio
import random
import signal
import sys
import time
from urllib.parse import urlsplit

URL, RATE, DURATION = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
TIMEOUT = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
SOURCE = (sys.argv[5], 0) if len(sys.argv) > 5 else None
u = urlsplit(URL)
HOST, PORT, PATH = u.hostname, u.port or 80, u.path or "/"
times, failed = [], 0


async def one():
    global failed
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(HOST, PORT, local_addr=SOURCE),
                                      TIMEOUT)
        w.write(f"GET {PATH} HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
        data = await asyncio.wait_for(r.read(), TIMEOUT)
        w.close()
        if not data.startswith(b"HTTP/1.0 200") and not data.startswith(b"HTTP/1.1 200"):
            raise ValueError("status")
        times.append((time.monotonic() - t0) * 1000)
    except Exception:
        failed += 1


async def main():
    tasks, start, n, at = [], time.monotonic(), 0, 0.0
    total = int(RATE * DURATION)
    rng = random.Random(1)
    ended = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, ended.set)
    while n < total and at < DURATION and not ended.is_set():
        at += rng.expovariate(RATE)
        due = start + at
        now = time.monotonic()
        if due > now:
            try:
                await asyncio.wait_for(ended.wait(), due - now)
                break
            except asyncio.TimeoutError:
                pass
        tasks.append(asyncio.ensure_future(one()))
        n += 1
    await asyncio.gather(*tasks)
    times.sort()

    def q(p):
        return times[min(len(times) - 1, int(p * len(times)))] if times else 0
    print(f"requests {n} failed {failed} p50_ms {q(0.5):.1f} p99_ms {q(0.99):.1f}")

asyncio.run(main())
