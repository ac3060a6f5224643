// StreamedRequest; see streamed_request.hpp.
#include "proxy/streamed_request.hpp"

#include <algorithm>

#include "proxy/backend.hpp"
#include "proxy/client_session.hpp"
#include "proxy/pending_reply.hpp"
#include "proxy/pool_worker.hpp"
#include "proxy/recycled.hpp"
#include "proxy/route/replicas.hpp"

namespace ringleader::proxy {

std::shared_ptr<PendingReply> StreamedRequest::write_reply(PoolWorker& pool, std::size_t copies, bool sends) {
  if (copies == 1) return make_recycled<PassThroughReply>(sends);
  return ReplicatedWrite::make(pool, static_cast<std::uint32_t>(copies), sends);
}

void StreamedRequest::start(PoolWorker& pool, std::shared_ptr<PendingReply> reply,
                            std::span<const std::uint32_t> servers, std::string_view head, ReplyKind kind,
                            const std::function<void()>& written, Dialect dialect) {
  reply_ = std::move(reply);
  for (std::uint32_t c = 0; c < servers.size(); ++c) {
    auto backend = pool.own_connection(servers[c], dialect);
    backend->on_written(written);
    backend->send({head}, reply_, c, kind);
    backends_.push_back(std::move(backend));
  }
}

void StreamedRequest::forward(std::string_view bytes) {
  for (const auto& backend : backends_) backend->send_more(bytes);
}

void StreamedRequest::sent() {
  sent_ = true;
  for (const auto& backend : backends_) backend->stream_sent();
}

void StreamedRequest::fail(std::string_view reply) {
  for (std::uint32_t c = 0; c < backends_.size(); ++c) {
    if (backends_[c]->in_flight() > 0) reply_->complete(c, reply, true);  // not answered yet
    backends_[c]->abandon();
  }
}

void StreamedRequest::abandon() {
  // A connection that took the whole request and has its reply is left open for the next stream;
  // one that has not may have a server waiting for the rest of it.
  for (const auto& backend : backends_) {
    if (!sent_ || !backend->idle()) backend->abandon();
  }
}

bool StreamedRequest::holds_reader(bool sending) const {
  // Each copy's connection bounds what waits for it, even after another copy answered
  // (replica_writes: one); one that failed or answered takes no more.
  if (sending)
    return std::any_of(backends_.begin(), backends_.end(), [](const auto& b) {
      return b->in_flight() > 0 && b->unwritten() > ClientSession::kStreamBuffer;
    });
  return !reply_->ready();
}

}  // namespace ringleader::proxy
