// HTTP message framing: request heads with the smuggling shapes refused, chunked bodies, where a
// server's response ends.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "proxy/http/chunked.hpp"
#include "proxy/http/message_head.hpp"
#include "proxy/http/response_frame.hpp"
#include "proxy/http/response_head.hpp"

namespace ringleader::proxy::http {
namespace {

HeadParse request(const std::string& text, MessageHead& head, std::size_t max = 64 * 1024) {
  return parse_request_head(text, max, head);
}

// A GET with its fields as views, the head's size, and keep-alive by default in HTTP/1.1.
TEST(HttpRequestHead, ParsesAGet) {
  MessageHead head;
  const std::string text = "GET /a/b?c=1 HTTP/1.1\r\nHost: x\r\nCookie: u=42\r\n\r\nNEXT";
  ASSERT_EQ(request(text, head).status, HeadStatus::complete);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/a/b?c=1");
  EXPECT_EQ(head.size, text.size() - 4);
  ASSERT_EQ(head.fields.size(), 2u);
  EXPECT_EQ(head.fields[1].value, "u=42");
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.content_length.has_value());
}

// Every prefix of a head needs more bytes.
TEST(HttpRequestHead, Prefixes) {
  const std::string text = "PUT /k HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    MessageHead head;
    EXPECT_EQ(request(text.substr(0, n), head).status, HeadStatus::need_more) << n;
  }
  MessageHead head;
  ASSERT_EQ(request(text, head).status, HeadStatus::complete);
  EXPECT_EQ(head.content_length, 3u);
}

// RFC 9112 §6.3 and §11.2: each shape that two parsers could frame differently is refused.
TEST(HttpRequestHead, RefusesSmugglingShapes) {
  const char* shapes[] = {
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n",
      "GET / HTTP/1.1\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
  };
  for (const char* shape : shapes) {
    MessageHead head;
    const HeadParse parse = request(shape, head);
    EXPECT_EQ(parse.status, HeadStatus::bad) << shape;
    EXPECT_FALSE(parse.reason.empty()) << shape;
  }
}

// Field names and tokens compare ignoring ASCII case, and only letters fold: bytes that differ in
// the case bit alone but are not letters ('[' and '{', '-' and CR) stay different.
TEST(HttpFieldNames, CompareIgnoringTheCaseOfLettersOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals("content-length", "content-lengtx"));
  EXPECT_FALSE(iequals("host", "hos"));
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("x-a", "x\ra"));
  EXPECT_TRUE(list_has("keep-alive, Upgrade", "upgrade"));
  EXPECT_FALSE(list_has("keep-alive", "keep"));
}

// An obs-fold line, which Beast accepts, is refused by name (Beast itself refuses a bare CR or LF).
TEST(HttpRequestHead, NamesTheAmbiguousLine) {
  const std::pair<const char*, const char*> shapes[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "obs-fold"},
      {"GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n", "obs-fold"},
      {"GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", "obs-fold"},
  };
  for (const auto& [shape, reason] : shapes) {
    MessageHead head;
    const HeadParse parse = request(shape, head);
    EXPECT_EQ(parse.status, HeadStatus::bad) << shape;
    EXPECT_NE(parse.reason.find(reason), std::string::npos) << shape << ": " << parse.reason;
  }
}

// A head over the limit is too_large (431), whole or still arriving.
TEST(HttpRequestHead, TooLarge) {
  MessageHead head;
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(request(big, head, 1024).status, HeadStatus::too_large);
  EXPECT_EQ(request(big.substr(0, 1500), head, 1024).status, HeadStatus::too_large);
  EXPECT_EQ(request(big, head, 4096).status, HeadStatus::complete);
}

// Connection: close and HTTP/1.0 without keep-alive end the connection after the response.
TEST(HttpRequestHead, KeepAlive) {
  MessageHead head;
  ASSERT_EQ(request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", head).status, HeadStatus::complete);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(request("GET / HTTP/1.0\r\n\r\n", head).status, HeadStatus::complete);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", head).status, HeadStatus::complete);
  EXPECT_TRUE(head.keep_alive);
}

// A chunked body ends after its last chunk and trailers, scanned whole or a byte at a time.
TEST(HttpChunkedBody, EndsAfterTheLastChunk) {
  const std::string body = "5;ext=1\r\nhello\r\n1A\r\n" + std::string(26, 'x') + "\r\n0\r\nT: v\r\n\r\n";
  ChunkedBody whole;
  const auto scan = whole.scan(body + "NEXT");
  EXPECT_EQ(scan.status, ChunkedBody::Status::complete);
  EXPECT_EQ(scan.used, body.size());
  ChunkedBody bytewise;
  std::string pending;
  std::size_t used = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    pending += body[i];
    const auto step = bytewise.scan(pending);
    used += step.used;
    pending.erase(0, step.used);
    ASSERT_NE(step.status, ChunkedBody::Status::malformed) << i;
    EXPECT_EQ(step.status == ChunkedBody::Status::complete, i + 1 == body.size()) << i;
  }
  EXPECT_EQ(used, body.size());
}

// Broken chunk framing is malformed, never guessed at.
TEST(HttpChunkedBody, Malformed) {
  for (const char* body : {"x\r\n", "5\r\nhelloXY", "5\nhello\r\n", "-1\r\n", "10000000000000000\r\n0\r\n\r\n",
                           "5 x\r\nhello\r\n", "0\r\n folded\r\n\r\n", "0\r\nnocolon\r\n\r\n"}) {
    ChunkedBody scanner;
    EXPECT_EQ(scanner.scan(body).status, ChunkedBody::Status::malformed) << body;
  }
  ChunkedBody endless;
  EXPECT_EQ(endless.scan(std::string(ChunkedBody::kMaxLine + 10, '1')).status, ChunkedBody::Status::malformed);
}

// A response ends at its Content-Length; before that its length is certain and ends it.
TEST(HttpResponseFrame, ContentLength) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  const auto whole = frame_response(head + "0123456789HTTP", Reply::response, 65536);
  EXPECT_EQ(whole.status, ResponseFrame::Status::complete);
  EXPECT_EQ(whole.size, head.size() + 10);
  const auto part = frame_response(head + "0123", Reply::response, 65536);
  EXPECT_EQ(part.status, ResponseFrame::Status::need_more);
  EXPECT_EQ(part.certain, head.size() + 10);
  EXPECT_TRUE(part.certain_ends);
}

// HEAD, 204 and 304 responses have no body; 1xx responses go with the final one.
TEST(HttpResponseFrame, NoBodyAndInterim) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  EXPECT_EQ(frame_response(head, Reply::response_to_head, 65536).size, head.size());
  const std::string no_content = "HTTP/1.1 204 No Content\r\n\r\n";
  EXPECT_EQ(frame_response(no_content + "X", Reply::response, 65536).size, no_content.size());
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(frame_response(interim, Reply::response, 65536).size, interim.size());
}

// A chunked response is certain to the end of the chunk being read, then framed as chunks.
TEST(HttpResponseFrame, Chunked) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "4\r\nabcd\r\n0\r\n\r\n";
  EXPECT_EQ(frame_response(head + body, Reply::response, 65536).size, head.size() + body.size());
  const auto part = frame_response(head + "100\r\nab", Reply::response, 65536);
  EXPECT_EQ(part.status, ResponseFrame::Status::need_more);
  EXPECT_EQ(part.certain, head.size() + 5 + 256 + 2);
  EXPECT_TRUE(part.then_chunks);
  EXPECT_EQ(frame_response(body, Reply::chunks, 65536).size, body.size());
}

// A response after which its server closes the connection says so, whole or in part; a kept-alive
// one does not.
TEST(HttpResponseFrame, ServerCloses) {
  const std::string body = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_FALSE(frame_response(body, Reply::response, 65536).closes);
  const std::string close = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_TRUE(frame_response(close, Reply::response, 65536).closes);
  EXPECT_TRUE(frame_response(close.substr(0, close.size() - 1), Reply::response, 65536).closes);  // in part
  EXPECT_TRUE(frame_response("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Reply::response, 65536).closes);
  EXPECT_FALSE(frame_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
                              Reply::response, 65536).closes);
  const std::string chunked = "HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_TRUE(frame_response(chunked + "0\r\n\r\n", Reply::response, 65536).closes);
  EXPECT_TRUE(frame_response(chunked + "100\r\nab", Reply::response, 65536).closes);
}

// A body that ends only when the server closes is certain to its end, which is the close.
TEST(HttpResponseFrame, EndsAtClose) {
  const auto frame = frame_response("HTTP/1.1 200 OK\r\n\r\nbody", Reply::response, 65536);
  EXPECT_EQ(frame.status, ResponseFrame::Status::need_more);
  EXPECT_TRUE(frame.ends_at_close);
  EXPECT_TRUE(frame.closes);
  EXPECT_EQ(frame.certain, kUntilClose);
  EXPECT_FALSE(frame_response("HTTP/1.0 200 OK\r\n\r\n", Reply::response_to_head, 65536).ends_at_close);
  EXPECT_FALSE(frame_response("HTTP/1.0 204 No Content\r\n\r\n", Reply::response, 65536).ends_at_close);
}

// A 101 to a WebSocket handshake: the tunnel's bytes follow, to the close. To anything else: malformed.
TEST(HttpResponseFrame, SwitchingProtocols) {
  const std::string switched = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const auto frame = frame_response(switched + "\x81\x02hi", Reply::upgrade, 65536);
  EXPECT_EQ(frame.status, ResponseFrame::Status::need_more);
  EXPECT_TRUE(frame.ends_at_close);
  EXPECT_EQ(frame.certain, kUntilClose);
  EXPECT_EQ(frame_response("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n", Reply::upgrade, 65536).status,
            ResponseFrame::Status::complete);  // refused: an ordinary response
  std::string head = switched;
  rewrite_response_heads(head, AfterResponse::closes, false);
  EXPECT_EQ(head, switched);  // Connection and Upgrade kept, nothing added
}

// An Upgrade that was not asked for, or garbage: malformed.
TEST(HttpResponseFrame, Malformed) {
  EXPECT_EQ(frame_response("HTTP/1.1 101 Switching Protocols\r\n\r\n", Reply::response, 65536).status,
            ResponseFrame::Status::malformed);
  EXPECT_EQ(frame_response("VALUE x 0 1\r\n", Reply::response, 65536).status, ResponseFrame::Status::malformed);
}

// What the client sees of a server's response: the proxy's version, no field about the server's
// connection (the standard ones and those Connection names), Transfer-Encoding kept (the body keeps
// its framing), Connection: close when the proxy closes after it, interim responses rewritten too,
// and the body untouched.
TEST(HttpResponseHead, IsRewrittenForTheClient) {
  const auto rewritten = [](std::string bytes, AfterResponse after, bool to_head = false) {
    rewrite_response_heads(bytes, after, to_head);
    return bytes;
  };
  EXPECT_EQ(rewritten("HTTP/1.1 100 Continue\r\nConnection: keep-alive\r\n\r\n"
                      "HTTP/1.0 200 OK\r\nConnection: X-Private, keep-alive\r\nX-Private: 1\r\nKeep-Alive: timeout=5\r\n"
                      "Transfer-Encoding: chunked\r\nProxy-Connection: x\r\nETag: \"a\"\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                      AfterResponse::closes),
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"a\"\r\nConnection: close\r\n\r\n"
            "3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(rewritten("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", AfterResponse::stays_open),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
  // An HTTP/1.0 client that asked for keep-alive is told it is kept (ab -k waits for it).
  EXPECT_EQ(rewritten("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", AfterResponse::kept_alive),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
  // A body without a length ends at the close: to an HTTP/1.0 client (or one that asked to close)
  // the client's connection closes too, and is told so; to an HTTP/1.1 client it goes in chunks, the
  // bytes after the head the first, and its connection stays (RFC 9112 §7.1, as nginx does). Not a
  // response to HEAD, nor one that has no body.
  EXPECT_EQ(rewritten("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nbody", AfterResponse::kept_alive),
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\nbody");
  EXPECT_EQ(rewritten("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nbody", AfterResponse::closes),
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\nbody");
  std::string unframed = "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n0123456789abcdefg";
  EXPECT_TRUE(rewrite_response_heads(unframed, AfterResponse::stays_open, false));
  EXPECT_EQ(unframed, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n0123456789abcdefg\r\n");
  unframed = "HTTP/1.0 200 OK\r\n\r\n";  // no body bytes yet: no chunk (an empty one would end it)
  EXPECT_TRUE(rewrite_response_heads(unframed, AfterResponse::stays_open, false));
  EXPECT_EQ(unframed, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(chunk_size_line(0x12345), "12345\r\n");
  std::string framed = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_FALSE(rewrite_response_heads(framed, AfterResponse::stays_open, false));
  EXPECT_EQ(rewritten("HTTP/1.1 200 OK\r\n\r\n", AfterResponse::stays_open, true), "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(rewritten("HTTP/1.1 204 No Content\r\n\r\n", AfterResponse::stays_open),
            "HTTP/1.1 204 No Content\r\n\r\n");
  // No whole head: left alone.
  EXPECT_EQ(rewritten("HTTP/1.1 200 OK\r\nConnection: close\r\n", AfterResponse::stays_open),
            "HTTP/1.1 200 OK\r\nConnection: close\r\n");
}

// RFC 9112 §3.2: one Host for HTTP/1.1, at most one for HTTP/1.0.
TEST(HttpRequestHead, HostRules) {
  const auto problem = [](const std::string& text) -> std::string {
    MessageHead head;
    EXPECT_EQ(parse_request_head(text, 8192, head).status, HeadStatus::complete) << text;
    const char* reason = host_problem(head);
    return reason == nullptr ? "fine" : reason;
  };
  EXPECT_EQ(problem("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), "fine");
  EXPECT_EQ(problem("GET / HTTP/1.0\r\n\r\n"), "fine");
  EXPECT_EQ(problem("GET / HTTP/1.1\r\n\r\n"), "an HTTP/1.1 request without Host");
  EXPECT_EQ(problem("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), "more than one Host");
  EXPECT_EQ(problem("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), "more than one Host");
}

}  // namespace
}  // namespace ringleader::proxy::http
