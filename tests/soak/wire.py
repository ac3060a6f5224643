"""The soak's client side of the wire: self-describing values, one pipelined exchange over a raw
socket, and incremental parsers for memcached text replies and Redis RESP replies.

A value names its key and version ("KEY|VERSION|" then KEY repeated to a size that follows from both),
so any value read can be checked exactly: it must be a value written for the key that was asked for.
"""

import select
import socket
import time
import zlib

LARGE_MIN = 64 << 10
LARGE_MAX = 1 << 20


def value_size(key, version, large):
    spread = zlib.crc32(b"%s|%d" % (key, version))
    return LARGE_MIN + spread % (LARGE_MAX - LARGE_MIN) if large else 16 + spread % 240


def make_value(key, version, large=False):
    head = b"%s|%d|" % (key, version)
    size = max(value_size(key, version, large), len(head))
    filler = key + b"."
    return (head + filler * ((size - len(head)) // len(filler) + 1))[:size]


def written_version(key, data, issued):
    """The version `data` is a value of, if it is exactly a value written for `key` (a version up to
    issued[key]); else None. Older versions are fine: a server restarted or a key moved by a reload
    can give back an earlier write."""
    parts = data.split(b"|", 2)
    if len(parts) < 3 or parts[0] != key or not parts[1].isdigit():
        return None
    version = int(parts[1])
    if not 1 <= version <= issued.get(key, 0):
        return None
    large = len(data) >= LARGE_MIN
    return version if data == make_value(key, version, large) else None


class ReplyError(Exception):
    """The bytes on the wire are not a reply of the protocol (the stream cannot be trusted)."""


class Connection:
    """One client connection. exchange() writes a whole pipeline while reading its replies, so a deep
    pipeline of large values cannot deadlock with a proxy that stops reading while we do not read."""

    def __init__(self, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()

    def exchange(self, request, parsers):
        """Sends `request`, returns one parsed reply per parser. Raises TimeoutError (no progress for
        `timeout` seconds), ConnectionError (closed by the proxy) or ReplyError, with the replies
        parsed before it in the exception's `replies` (they are still checked)."""
        replies = []
        try:
            return self._exchange(request, parsers, replies)
        except (TimeoutError, ConnectionError, ReplyError) as e:
            e.replies = replies
            raise

    def _exchange(self, request, parsers, replies):
        out = memoryview(request)
        pos = 0
        last_progress = time.monotonic()
        while len(replies) < len(parsers):
            while len(replies) < len(parsers) and (parsed := parsers[len(replies)](self.buf, pos)):
                reply, pos = parsed
                replies.append(reply)
            if len(replies) == len(parsers):
                break
            left = self.timeout - (time.monotonic() - last_progress)
            if left <= 0:
                raise TimeoutError("no reply")
            poller = select.poll()  # not select(): it fails on descriptors past 1024
            poller.register(self.sock, select.POLLIN | (select.POLLOUT if out else 0))
            ready = poller.poll(left * 1000)
            events = ready[0][1] if ready else 0
            readable = events & (select.POLLIN | select.POLLHUP | select.POLLERR)
            writable = events & select.POLLOUT
            if writable:
                try:
                    sent = self.sock.send(out[:1 << 20])
                except BlockingIOError:
                    sent = 0
                except OSError as e:
                    raise ConnectionError(str(e)) from e
                out = out[sent:]
                last_progress = time.monotonic()
            if readable:
                try:
                    chunk = self.sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                except OSError as e:
                    raise ConnectionError(str(e)) from e
                if not chunk:
                    raise ConnectionError("closed by the proxy")
                self.buf += chunk
                last_progress = time.monotonic()
        del self.buf[:pos]
        return replies

    def close(self):
        self.sock.close()


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    return None if end < 0 else (bytes(buf[pos:end]), end + 2)


# memcached text protocol ------------------------------------------------------------------------

def mc_line(buf, pos):
    """The one-line reply of a storage command: STORED, NOT_STORED, SERVER_ERROR ..."""
    return _line(buf, pos)


def mc_values(buf, pos):
    """A get's reply: ("values", [(key, data), ...]) up to END, or ("error", line) for an error line."""
    values = []
    while (parsed := _line(buf, pos)) is not None:
        line, after = parsed
        if line == b"END":
            return ("values", values), after
        if not line.startswith(b"VALUE "):
            if line.startswith((b"SERVER_ERROR", b"CLIENT_ERROR", b"ERROR")):
                return ("error", line), after
            raise ReplyError(f"in a get reply: {line[:80]!r}")
        fields = line.split()
        if len(fields) < 4 or not fields[3].isdigit():
            raise ReplyError(f"bad VALUE line: {line[:80]!r}")
        size = int(fields[3])
        if len(buf) < after + size + 2:
            return None
        if buf[after + size:after + size + 2] != b"\r\n":
            raise ReplyError("value not followed by CRLF")
        values.append((fields[1], bytes(buf[after:after + size])))
        pos = after + size + 2
    return None


def mc_set(key, data):
    return b"set %s 0 0 %d\r\n%s\r\n" % (key, len(data), data)


# Redis RESP -------------------------------------------------------------------------------------

class RedisError(str):
    """A -ERR reply."""


def resp(buf, pos):
    """One RESP reply: str (+), RedisError (-), int (:), bytes or None ($), list (*)."""
    parsed = _line(buf, pos)
    if parsed is None:
        return None
    line, after = parsed
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode(errors="replace"), after
    if kind == b"-":
        return RedisError(rest.decode(errors="replace")), after
    if kind == b":":
        return int(rest), after
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None, after  # a nil bulk string: a miss (a tuple, so not 'incomplete')
        if len(buf) < after + size + 2:
            return None
        return bytes(buf[after:after + size]), after + size + 2
    if kind == b"*":
        items = []
        for _ in range(int(rest)):
            parsed = resp(buf, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        return items, after
    raise ReplyError(f"not RESP: {line[:80]!r}")


def redis_command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
