# SPDX-License-Identifier: GPL-2.0
"""The test backends' listening socket: port on [::], IPv4 mapped in."""
import socket


def listen(port, backlog=1024):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(backlog)
    return s
