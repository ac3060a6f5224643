// StreamedRequest: a request too large to hold (its value is over ClientSession::kStreamAbove),
// sent to each copy of its key on a connection of its own as its bytes arrive from the client.
//
// A connection of its own (Backend::stream_connection: one an earlier stream used, if idle), so
// other clients' requests never wait behind the value on a shared connection, nor land inside it;
// no buffer holds the whole value. The client's reader pauses while more than
// ClientSession::kStreamBuffer waits to be written to a copy, and, once the request is all sent,
// until its reply is in, so a later request on a shared connection cannot overtake it.
// Each protocol's session frames the request (which bytes belong to it); this is what they share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/protocol.hpp"

namespace ringleader::proxy {

class Backend;
class PendingReply;
class PoolWorker;

class StreamedRequest {
 public:
  /// The reply to a write sent to `copies` copies of its key: passed through from one, or merged
  /// from several per the pool's replica_writes (route/replicas.hpp).
  static std::shared_ptr<PendingReply> write_reply(PoolWorker& pool, std::size_t copies, bool sends);

  /// Sends `head` (the request up to where its value streams) to each of `servers` on a connection
  /// of its own, answered into part c of `reply` for server c; `written` is called each time one of
  /// them has written (the session's reader_waker()); `dialect`: the client's.
  void start(PoolWorker& pool, std::shared_ptr<PendingReply> reply, std::span<const std::uint32_t> servers,
             std::string_view head, ReplyKind kind, const std::function<void()>& written, Dialect dialect = 0);
  /// More of the request, to every copy (one that failed has answered already and takes no more).
  void forward(std::string_view bytes);
  /// The whole request is forwarded (Backend::stream_sent).
  void sent();
  /// The client's bytes cannot end well (malformed framing): the servers get no more and their
  /// connections close; the client gets `reply` (in its protocol's error format).
  void fail(std::string_view reply);
  /// The client left: the connections not done with the request close now.
  void abandon();

  bool active() const noexcept { return !backends_.empty(); }
  /// Whether the client's reader waits: while `sending`, for a copy to write what it holds; after,
  /// for the reply.
  bool holds_reader(bool sending) const;

 private:
  std::vector<std::shared_ptr<Backend>> backends_;  // its own connection to each copy (part c: backends_[c])
  std::shared_ptr<PendingReply> reply_;              // its slot in the client's reply queue
  bool sent_ = false;                                // sent(): all of the request was forwarded
};

}  // namespace ringleader::proxy
