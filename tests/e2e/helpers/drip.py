#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile slow client: N connections to a Unix socket (xlbd's control
socket) or a TCP port (/metrics), each sending one byte every INTERVAL
seconds, reconnecting whenever the server closes it, for DURATION seconds.
Bounded in connections and time; prints how many times it was cut off."""
import resource, socket, sys, time

kind, target, n, interval, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])
first = b'{"cmd": "status"' if kind == "unix" else b"GET /metrics HTTP/1.1\r\n"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))


def connect():
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(target)
    else:
        # Not waiting for the handshake: a full backlog must not slow the attack.
        host, port = target.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, int(port)))
    s.setblocking(False)
    try:
        s.send(first[:1])
    except OSError:
        pass
    return s


conns, cut, end = [], 0, time.time() + duration
for _ in range(n):
    try:
        conns.append(connect())
    except OSError:
        conns.append(None)
while time.time() < end:
    for i, s in enumerate(conns):
        try:
            if s is None:
                raise OSError
            s.send(b" ")
        except BlockingIOError:
            pass
        except OSError:
            cut += 1
            if s:
                s.close()
            try:
                conns[i] = connect()
            except OSError:
                conns[i] = None
    time.sleep(interval)
print(f"cut off {cut} times")
