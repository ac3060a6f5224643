// ChunkedBody: where a chunked message body (RFC 9112 §7.1) ends, read piece by piece.
//
// A body in chunked transfer coding is forwarded as it is, bytes unchanged: the proxy only needs to
// know where it ends, and to refuse a body whose framing is broken (a request that another parser
// would cut elsewhere is a smuggling vector). So this is a scanner, not a decoder. It keeps its state
// between calls, so a body of any size streams through it; a fresh one over a buffer frames a body
// that is all there.
//
// Strict where RFC 9112 allows leniency: every line ends in CRLF (a bare LF is malformed), a chunk
// size has at most 15 hex digits, a size line or trailer line longer than kMaxLine is malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringleader::proxy::http {

class ChunkedBody {
 public:
  enum class Status { need_more, complete, malformed };
  struct Scan {
    Status status = Status::need_more;
    std::size_t used = 0;  // bytes of the input that belong to the body (all of it unless complete)
  };

  static constexpr std::size_t kMaxLine = 4096;

  /// Scans the next bytes of the body; after complete or malformed, scans nothing more.
  Scan scan(std::string_view input);

  /// Bytes known to belong to the body beyond those scanned: the rest of the chunk being read, with
  /// its CRLF (so they end where a chunk-size line starts).
  std::uint64_t certain_ahead() const noexcept {
    return phase_ == Phase::data ? left_ + 2 : phase_ == Phase::data_end ? 2 : 0;
  }
  /// The last chunk was read; its trailer section is not whole yet.
  bool in_trailer() const noexcept { return phase_ == Phase::trailer; }
  /// The scanner stands at the start of a chunk-size line (so a fresh one may take over here).
  bool at_chunk_start() const noexcept { return phase_ == Phase::size_line; }

 private:
  enum class Phase { size_line, data, data_end, trailer, done, malformed };

  /// The length with its CRLF of the line `input` starts with; 0 if it is not whole yet (a partial
  /// line is not consumed: it is offered again with more bytes), npos if malformed.
  std::size_t line_end(std::string_view input);
  bool size_line(std::string_view line);

  Phase phase_ = Phase::size_line;
  std::uint64_t left_ = 0;  // data bytes of the current chunk not yet scanned
  std::size_t trailer_ = 0;  // bytes of trailer lines so far
};

}  // namespace ringleader::proxy::http
