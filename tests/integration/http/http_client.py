"""A small HTTP/1.1 client over a raw socket, for the http pool tests: it writes any bytes (pipelined
requests, smuggling shapes) and reads responses one by one, so a test sees exactly what the proxy
sent and whether it closed the connection."""

import socket


class Connection:
    def __init__(self, port, timeout=20.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed by the proxy")
        self.buf += chunk

    def _line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return line

    def _take(self, n, sink):
        while n:
            if not self.buf:
                self._fill()
            piece = self.buf[:n]
            sink(bytes(piece))
            del self.buf[:len(piece)]
            n -= len(piece)

    def response(self, head=False, sink=None):
        """The next response: (status, {lowercased name: value}, body). With `sink`, the body is
        handed to it piece by piece instead of kept (large bodies)."""
        parts = []
        sink = sink or parts.append
        status = int(self._line().split()[1])
        headers = {}
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:
            return status, headers, b""
        if head or status in (204, 304):
            return status, headers, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while (size := int(self._line().split(b";")[0], 16)) != 0:
                self._take(size, sink)
                assert self._line() == b""
            while self._line():
                pass
        elif "content-length" in headers:
            self._take(int(headers["content-length"]), sink)
        else:  # the body ends at the close (RFC 9112 §6.3, item 8)
            while True:
                if self.buf:
                    sink(bytes(self.buf))
                    self.buf.clear()
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                self.buf += chunk
        return status, headers, b"".join(parts)

    def closed(self):
        """True if the proxy closed the connection (after what was read)."""
        try:
            return self.sock.recv(1) == b"" and not self.buf
        except ConnectionResetError:
            return True


def get(port, target, headers=b""):
    with Connection(port) as c:
        c.send(b"GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (target, headers))
        return c.response()
