// PendingReply; see pending_reply.hpp.
#include "proxy/pending_reply.hpp"

#include "proxy/client_session.hpp"

#include <utility>

namespace ringleader::proxy {
namespace {

class LocalReply final : public PendingReply {
 public:
  explicit LocalReply(std::string_view bytes) : PendingReply(0) { bytes_.assign(bytes); }

 protected:
  void on_part(std::uint32_t, std::string_view, bool) override {}
};

}  // namespace

std::shared_ptr<PendingReply> PendingReply::local(std::string_view bytes) {
  return std::make_shared<LocalReply>(bytes);
}

bool PendingReply::can_take_pieces() const {
  const auto session = session_.lock();
  return passes_through_ && sends_ && waiting_ == 1 && session && session->only_ready_before(*this);
}

void PendingReply::add_piece(std::string_view piece, std::function<void()> written) {
  const auto session = session_.lock();
  if (!session || session->closed()) {  // the client left: nobody will write it
    written();
    return;
  }
  const bool first = !in_pieces_;
  in_pieces_ = true;
  bytes_.assign(piece);
  if (first && head_filter_) head_filter_(bytes_);
  written_ = std::move(written);
  session->reply_ready();
}

void PendingReply::piece_written() {
  bytes_.clear();
  if (auto written = std::exchange(written_, nullptr)) written();
}

void PendingReply::complete(std::uint32_t part, std::string_view reply, bool failed) {
  if (waiting_ == 0) return;
  if (failed && in_pieces_) {
    cut_ = true;  // the client has part of a value: an error reply now would read as its data
    reply = {};
  }
  if (!in_pieces_ && retried(part, reply, failed)) return;
  on_part(part, reply, failed);
  if (waiting_ == 0 || --waiting_ != 0) return;  // (0: on_part answered early)
  finish();
}

void PendingReply::answer_early() {
  waiting_ = 0;
  finish();
}

void PendingReply::finish() {
  on_all_parts();
  if (!in_pieces_ && head_filter_ && !bytes_.empty()) head_filter_(bytes_);
  if (auto whole = std::move(whole_)) whole->complete(part_of_whole_, bytes_, false);
  if (auto session = session_.lock()) session->reply_ready();
}

bool PendingReply::client_waits() const {
  if (whole_) return whole_->client_waits();
  const auto session = session_.lock();
  return session && !session->closed();
}

}  // namespace ringleader::proxy
