"""The soak's client side of the wire: self-describing values, one pipelined exchange over a raw
socket, and incremental parsers for memcached text replies, Redis RESP replies and HTTP/1.1 responses.

A value names its key and version ("KEY|VERSION|" then KEY repeated to a size that follows from both),
so any value read can be checked exactly: it must be a value written for the key that was asked for.
An HTTP response names the path it answers (tests/integration/http/upstream.py's body), or is
upstream.py's byte pattern of the length asked for.
"""

import select
import socket
import struct
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
    pipeline of large values cannot deadlock with a proxy that stops reading while we do not read.

    Given where each request ends in the pipeline, exchange() also times each reply: its wait is from
    the later of (the last byte of its request written, the reply before it read) to the reply read,
    which is how long this request was the one the client waited for. A pipeline's later replies
    queue behind the earlier ones, so this is what the proxy's timeout bounds, whatever the depth."""

    def __init__(self, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.waits = []  # seconds, one per reply read by the last exchange() given `ends`

    def exchange(self, request, parsers, ends=None):
        """Sends `request`, returns one parsed reply per parser. Raises TimeoutError (no progress for
        `timeout` seconds), ConnectionError (closed by the proxy) or ReplyError, with the replies
        parsed before it in the exception's `replies` (they are still checked) and, with `ends` (the
        offset in `request` where each request ends), in `head_wait` how long the first request
        without a reply had waited."""
        replies = []
        self.waits = []
        self._started = time.monotonic()
        self._sent_at = [None] * len(ends) if ends is not None else None
        try:
            return self._exchange(request, parsers, replies, ends)
        except (TimeoutError, ConnectionError, ReplyError) as e:
            e.replies = replies
            e.head_wait = self._head_wait(len(replies)) if ends is not None else None
            raise

    def _head_wait(self, answered):
        """How long the first request without a reply has been the one waited for."""
        if answered >= len(self._sent_at):
            return 0.0
        since = self._sent_at[answered] or self._started
        return time.monotonic() - max(since, self._last_reply)

    def _exchange(self, request, parsers, replies, ends):
        out = memoryview(request)
        written = 0
        next_end = 0  # the first request not yet written whole
        pos = 0
        last_progress = self._last_reply = time.monotonic()
        while len(replies) < len(parsers):
            while len(replies) < len(parsers) and (parsed := parsers[len(replies)](self.buf, pos)):
                reply, pos = parsed
                if ends is not None:
                    now = time.monotonic()
                    sent = self._sent_at[len(replies)] or now
                    self.waits.append(now - max(sent, self._last_reply))
                    self._last_reply = now
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
                written += sent
                while ends is not None and next_end < len(ends) and ends[next_end] <= written:
                    self._sent_at[next_end] = last_progress
                    next_end += 1
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
    try:
        return _resp(buf, pos)
    except ValueError as e:  # a length or number that is not one
        raise ReplyError(f"not RESP: {e}"[:120]) from None


def _resp(buf, pos):
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
            parsed = _resp(buf, after)
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


# HTTP/1.1 ---------------------------------------------------------------------------------------

PATTERN = bytes(range(256)) * 4096  # upstream.py's body of GET /bytes/N: PATTERN[:N], N <= 1 MiB


def http_get(path):
    return b"GET %s HTTP/1.1\r\nHost: soak\r\n\r\n" % path


def http_response(buf, pos):
    """One response: (status, {lower-case field: value}, body), its body framed by Content-Length or
    chunked (the proxy passes on no other framing)."""
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        if len(buf) - pos > 1 << 16:
            raise ReplyError("no end of the response head in 64 KiB")
        return None
    lines = bytes(buf[pos:end]).split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1.") or not status[1].isdigit():
        raise ReplyError(f"not a status line: {lines[0][:80]!r}")
    fields = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ReplyError(f"not a header field: {line[:80]!r}")
        fields[name.strip().lower()] = value.strip()
    after = end + 4
    try:
        return _http_body(buf, int(status[1]), fields, after)
    except ValueError as e:  # a chunk size that is not one
        raise ReplyError(f"bad chunk: {e}"[:120]) from None


def _http_body(buf, status, fields, after):
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = bytearray()
        while True:
            parsed = _line(buf, after)
            if parsed is None:
                return None
            size_line, data = parsed
            size = int(size_line.split(b";")[0], 16)
            if len(buf) < data + size + 2:
                return None
            if size == 0:  # no trailer fields: the proxy and upstream.py send none
                return (status, fields, bytes(body)), data + 2
            body += buf[data:data + size]
            after = data + size + 2
    length = fields.get(b"content-length")
    if length is None or not length.isdigit():
        raise ReplyError(f"a {status} response without a length")
    if len(buf) < after + int(length):
        return None
    return (status, fields, bytes(buf[after:after + int(length)])), after + int(length)


# Leaving rudely ---------------------------------------------------------------------------------

def reset(sock):
    """Closes `sock` with an RST instead of a FIN (SO_LINGER on with a zero time)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()
