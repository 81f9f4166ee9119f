#!/usr/bin/env python3
"""hang_tcp.py - accepts TCP connections on 127.0.0.1 and never answers:
a dead endpoint that still takes the connection.

Usage: hang_tcp.py DIR; the port is written to DIR/hang-port once listening.
"""
import os
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(os.path.join(sys.argv[1], "hang-port.tmp"), "w") as f:
    f.write(str(s.getsockname()[1]))
os.replace(os.path.join(sys.argv[1], "hang-port.tmp"),
           os.path.join(sys.argv[1], "hang-port"))
held = []
while True:
    held.append(s.accept())
