#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Idle connections that must survive: opens N TCP connections to
HOST:80, says "open" when all are up, waits (at most WAIT seconds) for the
file GO to appear, then sends one HTTP/1.0 request on each and prints one
line per connection: its local port and the backend that answered, or
"reset" / "timeout" / "empty". Bounded in connections and time."""
import os, socket, sys, time

host, n, go, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
conns = []
for i in range(n):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((host, 80))
    conns.append(s)
print("open", flush=True)

end = time.time() + wait
while not os.path.exists(go) and time.time() < end:
    time.sleep(0.1)

for s in conns:
    port = s.getsockname()[1]
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        body = data.split(b"\r\n\r\n", 1)[-1].strip().decode() if data else ""
        print(port, body or "empty", flush=True)
    except ConnectionResetError:
        print(port, "reset", flush=True)
    except (socket.timeout, OSError) as e:
        print(port, "timeout" if isinstance(e, socket.timeout) else "error", flush=True)
    finally:
        s.close()
