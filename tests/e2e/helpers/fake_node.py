#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
A fake xlbd control socket, for what xlbctl does with what it is sent.

    fake_node.py SOCKET fingerprints VIPS BACKENDS SECONDS
        answers every request with VIPS fingerprinted VIPs of BACKENDS
        backends each, as xlbd's 'fingerprints' would (the same for every
        node started alike)
    fake_node.py SOCKET endless - - SECONDS
        answers every request with bytes that never end (bounded by SECONDS)

It serves for at most SECONDS and then exits.
"""
import json, os, socket, sys, time

path, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[5])
deadline = time.monotonic() + seconds

if mode == "fingerprints":
    nv, nb = int(sys.argv[3]), int(sys.argv[4])
    vips = []
    for v in range(nv):
        backends = [{"address": "198.18.%d.%d" % (1 + b // 250, 1 + b % 250), "weight": 1}
                    for b in range(nb)]
        vips.append({"name": "vip%d" % v, "address": "198.19.%d.%d" % (v // 250, 1 + v % 250),
                     "port": 80, "protocol": "tcp", "table_size": 1021, "hash_source_port": True,
                     "backends": backends,
                     "fingerprint": {"digest": "d%d" % v, "config": "c%d" % v, "table": "t%d" % v}})
    answer = json.dumps({"ok": True, "result": {"node": "n", "vips": vips}}).encode()

try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
while time.monotonic() < deadline:
    srv.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        break
    conn.settimeout(2)
    try:
        while conn.recv(65536):
            pass
        if mode == "fingerprints":
            conn.sendall(answer)
        else:
            chunk = b"x" * (1 << 20)
            while time.monotonic() < deadline:
                conn.sendall(chunk)
    except (OSError, socket.timeout):
        pass
    conn.close()
os.unlink(path)
