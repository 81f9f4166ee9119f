#!/usr/bin/env python3
"""fake_http.py - a stand-in for the Telegram Bot API and webhook receivers.

Usage: fake_http.py DIR [PORT]
Listens on 127.0.0.1 on PORT or a free port, written to DIR/port once listening.
Every request is appended to DIR/requests.jsonl as one JSON object
(time, method, path, content_type, body, form). Replies follow DIR/plan:
one line per request, consumed in order ("500", "429 2" = retry_after 2,
"200", "400"); when the plan is empty the answer is 200. /getUpdates
answers with a message from chat DIR/chat_id (default -1001234).
"""
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

DIR = sys.argv[1]


def next_status():
    path = os.path.join(DIR, "plan")
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        return 200, 0
    if not lines:
        return 200, 0
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines[1:]) + ("\n" if lines[1:] else ""))
    os.replace(path + ".tmp", path)
    parts = lines[0].split()
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, body):
        ctype = self.headers.get("Content-Type", "")
        form = {}
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        entry = {"time": time.time(), "method": self.command,
                 "path": self.path, "content_type": ctype, "body": body,
                 "form": form}
        with open(os.path.join(DIR, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    def do_GET(self):
        self.record("")
        if "/getUpdates" in self.path:
            try:
                chat = open(os.path.join(DIR, "chat_id")).read().strip()
            except FileNotFoundError:
                chat = "-1001234"
            self.reply(200, {"ok": True, "result": [
                {"update_id": 1, "message": {"message_id": 7, "text": "hi",
                                             "chat": {"id": int(chat),
                                                      "type": "group"}}}]})
        elif "/getMe" in self.path:
            self.reply(200, {"ok": True, "result": {"id": 1, "is_bot": True,
                                                    "username": "test_bot"}})
        else:
            self.reply(404, {"ok": False, "error_code": 404,
                             "description": "Not Found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        self.record(body)
        status, retry_after = next_status()
        if status == 200:
            self.reply(200, {"ok": True, "result": {"message_id": 1}})
        elif status == 429:
            self.reply(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after %d" % retry_after,
                             "parameters": {"retry_after": retry_after}},
                       [("Retry-After", str(retry_after))])
        else:
            self.reply(status, {"ok": False, "error_code": status,
                                "description": "planned failure %d" % status})


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    HTTPServer.allow_reuse_address = True
    server = HTTPServer(("127.0.0.1", port), Handler)
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, os.path.join(DIR, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
