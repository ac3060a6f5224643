#!/usr/bin/python3
"""An HTTP/1.1 upstream for the http pool tests: answers with its own name, so a test sees which
server a request reached.

Usage: upstream.py PORT NAME

GET/HEAD/DELETE/OPTIONS /anything   200, body "NAME <method> <target>\\n"; headers X-Upstream: NAME and
                                    X-Seen-Headers: the request's field names and values, JSON
PUT/POST /anything                  reads the body as it comes (Content-Length or chunked) without
                                    keeping it: 200, body "NAME <bytes> <sha256>\\n"
GET /bytes/N                        N bytes (a pattern) with Content-Length, written in 1 MiB pieces
GET /chunked/N                      N bytes in chunks of 64 KiB (to an HTTP/1.0 request: until the close)
GET /until-close/N                  N bytes without a length, then the connection closes (HTTP/1.0 style)
GET /slow                           answers after 5 s (for the proxy's timeout)
GET /sleep/MS                       answers after MS milliseconds
GET /close/anything                 200 with Connection: close, then closes (a keep-alive limit reached)
GET|POST /vanish/anything           on a connection that served a request before: closed without a
                                    reply (the race of an idle timeout); on a new one: 200 as above
GET /health                         200, or 503 while the file NAME.sick exists in the cwd
"""

import hashlib
import http.server
import json
import os
import socketserver
import sys
import time

PATTERN = bytes(range(256)) * 4096  # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the proxy's connections to servers expect
    disable_nagle_algorithm = True  # the head and the body are two writes: no 40 ms wait between them

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.served = 0  # requests answered on this connection

    def handle_one_request(self):
        super().handle_one_request()
        self.served += 1

    def vanishes(self):
        if self.path.startswith("/vanish/") and self.served > 0:
            self.close_connection = True
            return True
        return False

    def reply(self, body, status=200, length=True):
        self.send_response(status)
        self.send_header("X-Upstream", NAME)
        if self.path.startswith("/close/"):
            self.send_header("Connection", "close")  # and BaseHTTPRequestHandler closes after it
        self.send_header("X-Seen-Headers", json.dumps(list(self.headers.items())))
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body_chunks(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, 1 << 20))
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    return
                left -= len(data)
                yield data

    def do_GET(self):
        if self.vanishes():
            return
        if self.path.startswith("/bytes/"):
            n = int(self.path[len("/bytes/"):])
            self.send_response(200)
            self.send_header("X-Upstream", NAME)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            while n:
                piece = PATTERN[:min(n, len(PATTERN))]
                self.wfile.write(piece)
                n -= len(piece)
            return
        # A body without a length: asked for, or chunked to an HTTP/1.0 request (which cannot read chunks)
        if self.path.startswith("/until-close/") or (self.path.startswith("/chunked/") and self.request_version == "HTTP/1.0"):
            n = int(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("X-Upstream", NAME)
            self.end_headers()
            self.close_connection = True
            while n:
                piece = PATTERN[:min(n, len(PATTERN))]
                self.wfile.write(piece)
                n -= len(piece)
            return
        if self.path.startswith("/chunked/"):
            n = int(self.path[len("/chunked/"):])
            self.send_response(200)
            self.send_header("X-Upstream", NAME)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while n:
                piece = PATTERN[:min(n, 65536)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                n -= len(piece)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/slow":
            time.sleep(5)
        if self.path.startswith("/sleep/"):
            time.sleep(int(self.path[len("/sleep/"):].split("?")[0]) / 1000)
        if self.path == "/health":
            sick = os.path.exists(NAME + ".sick")
            self.reply(b"sick\n" if sick else b"ok\n", 503 if sick else 200)
            return
        self.reply(f"{NAME} {self.command} {self.path}\n".encode())

    do_HEAD = do_DELETE = do_OPTIONS = do_GET

    def do_PUT(self):
        if self.vanishes():
            return
        digest = hashlib.sha256()
        size = 0
        for data in self.body_chunks():
            digest.update(data)
            size += len(data)
        self.reply(f"{NAME} {size} {digest.hexdigest()}\n".encode())

    do_POST = do_PUT


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    PORT, NAME = int(sys.argv[1]), sys.argv[2]
    Server(("127.0.0.1", PORT), Handler).serve_forever()
