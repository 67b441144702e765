#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Live connections that must survive: opens N HTTP/1.1 keep-alive
connections to HOST:80 (the backends must keep connections open: 'python3
-m http.server -p HTTP/1.1'), sends one request on each every second and
checks that the same backend answers each time. Prints "conn PORT BACKEND"
per connection and "open" once all have answered their first request; then
runs until the file STOP appears (at most SECONDS in all) and prints one
line per connection:

  PORT BACKEND ok N after M              every request answered
  PORT BACKEND broken WHY at K after M   request K failed (reset, timeout,
                                         closed, another backend ...)

M counts the requests sent after the file MARK appeared. A broken
connection sends nothing more. Bounded in connections and time."""
import os, socket, sys, time

host, n, mark, stop, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    float(sys.argv[5])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
REQUEST = b"GET / HTTP/1.1\r\nHost: xlb-test\r\n\r\n"
end = time.time() + seconds


class Conn:
    def __init__(self):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(3)
        self.sock.connect((host, 80))
        self.port = self.sock.getsockname()[1]
        self.backend = None
        self.ok = self.after = self.sent = 0
        self.broken = None
        self.buf = b""

    def send(self, marked):
        self.sent += 1
        self.marked = marked
        try:
            self.sock.sendall(REQUEST)
        except OSError as e:
            self.broken = f"send failed ({e.__class__.__name__})"

    def reply(self):
        """One whole response: its body (the backend's name), or raises."""
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                if len(rest) >= length:
                    self.buf = rest[length:]
                    if not head.startswith(b"HTTP/1.1 200"):
                        raise ValueError("status " + head.split(b"\r\n")[0].decode(errors="replace"))
                    return rest[:length].strip().decode(errors="replace")
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def check(self):
        try:
            name = self.reply()
        except ConnectionResetError:
            self.broken = "reset"
        except socket.timeout:
            self.broken = "timeout"
        except EOFError:
            self.broken = "closed"
        except (OSError, ValueError) as e:
            self.broken = str(e) or e.__class__.__name__
        else:
            if self.backend is None:
                self.backend = name
            if name != self.backend:
                self.broken = f"answered by {name}"
                return
            self.ok += 1
            self.after += self.marked


conns = [Conn() for _ in range(n)]
rounds = 0
while time.time() < end:
    start = time.time()
    marked = os.path.exists(mark)
    live = [c for c in conns if not c.broken]
    for c in live:
        c.send(marked)
    for c in live:
        if not c.broken:
            c.check()
    if rounds == 0:
        for c in conns:
            print("conn", c.port, c.backend or "-", flush=True)
        print("open", flush=True)
    rounds += 1
    if os.path.exists(stop):
        break
    time.sleep(max(0.0, 1.0 - (time.time() - start)))

for c in conns:
    if c.broken:
        print(c.port, c.backend or "-", "broken", c.broken.replace(" ", "_"), "at", c.sent,
              "after", c.after, flush=True)
    else:
        print(c.port, c.backend, "ok", c.ok, "after", c.after, flush=True)
    c.sock.close()
