// PendingReply; see pending_reply.hpp.
#include "proxy/pending_reply.hpp"

#include "proxy/client_session.hpp"

#include <algorithm>
#include <cstring>
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

void PendingReply::append(std::string_view bytes) {
  if (blocks_.empty() && bytes_.size() + bytes.size() <= kBlock) {
    bytes_.append(bytes);
    return;
  }
  block_bytes_ += bytes.size();
  while (!bytes.empty()) {
    if (blocks_.empty() || blocks_.back().own.room() == 0) blocks_.push_back({Bytes(kBlock), {}});
    Bytes& block = blocks_.back().own;
    const std::size_t n = std::min(block.room(), bytes.size());
    std::memcpy(block.tail(), bytes.data(), n);
    block.filled(n);
    bytes.remove_prefix(n);
  }
}

bool PendingReply::keep_reply_buffer() {
  if (lent_ == nullptr || head_filter_) return false;
  kept_.push_back(std::move(*std::exchange(lent_, nullptr)));  // the bytes stay where they are
  return true;
}

void PendingReply::append_kept(std::string_view bytes) {
  constexpr std::size_t kCopyBelow = 1024;
  if (bytes.size() < kCopyBelow) return append(bytes);
  block_bytes_ += bytes.size();
  if (!blocks_.empty() && blocks_.back().kept.data() + blocks_.back().kept.size() == bytes.data()) {
    blocks_.back().kept = {blocks_.back().kept.data(), blocks_.back().kept.size() + bytes.size()};  // next to the last
    return;
  }
  blocks_.push_back({Bytes(), bytes});
}

void PendingReply::replace(std::string_view bytes) {
  blocks_.clear();
  block_bytes_ = 0;
  bytes_.assign(bytes);
}

bool PendingReply::can_take_pieces() const {
  const auto session = session_.lock();
  return passes_through_ && sends_ && waiting_ == 1 && session && !session->closed();
}


std::size_t PendingReply::push_piece(Bytes piece) {
  const std::size_t size = piece.size();
  pieces_.push_back(std::move(piece));
  return size;
}

void PendingReply::add_piece(Bytes piece) {
  const auto session = session_.lock();
  if (!session || session->closed()) return;  // the client left: nobody will write it
  std::size_t added = 0;
  if (!in_pieces_ && head_filter_) {
    bytes_.assign(piece.view());
    frames_ = head_filter_(bytes_);
    added = bytes_.size();
  } else if (frames_.before) {
    if (piece.empty()) return;  // an empty frame may end the body (an HTTP chunk of size 0 does)
    added = push_piece(Bytes::copy_of(frames_.before(piece.size())));
    added += push_piece(std::move(piece));
    added += push_piece(Bytes::copy_of(frames_.after));
  } else {
    added = push_piece(std::move(piece));
  }
  piece_bytes_ += added;
  session->keep(added);
  in_pieces_ = true;
  session->reply_ready();
}

void PendingReply::ended_by_close(std::uint32_t part) {
  if (!frames_.before || !in_pieces_) return complete(part, {}, true);
  const std::string_view last = std::exchange(frames_, {}).last;  // added as it is, not framed
  complete(part, last, false);
}

std::size_t PendingReply::gather(std::vector<asio::const_buffer>& out) {
  if (!sends_ || (!ready() && !in_pieces_)) return 0;
  std::size_t bytes = 0;
  head_gathered_ = in_pieces_ && !bytes_.empty();
  if (!bytes_.empty()) {
    out.push_back(asio::buffer(bytes_));
    bytes += bytes_.size();
  }
  for (const Block& block : blocks_) out.push_back(asio::buffer(block.view()));
  bytes += block_bytes_;
  for (const Bytes& piece : pieces_) {
    out.push_back(asio::buffer(piece.data(), piece.size()));
    bytes += piece.size();
  }
  gathered_ = pieces_.size();
  return bytes;
}

void PendingReply::gathered_written() {
  if (std::exchange(head_gathered_, false)) {
    piece_bytes_ -= bytes_.size();
    bytes_.clear();
  }
  const auto written = pieces_.begin() + static_cast<std::ptrdiff_t>(std::exchange(gathered_, 0));
  for (auto piece = pieces_.begin(); piece != written; ++piece) piece_bytes_ -= piece->size();
  pieces_.erase(pieces_.begin(), written);
  if (written_) written_();
}

void PendingReply::abandon() {
  pieces_.clear();
  piece_bytes_ = 0;
  if (auto written = std::exchange(written_, nullptr)) written();  // a server waiting on the client goes on
}

void PendingReply::complete(std::uint32_t part, std::string_view reply, bool failed, Bytes* buffer) {
  if (waiting_ == 0) return;
  if (failed && in_pieces_) {
    cut_ = true;  // the client has part of a value: an error reply now would read as its data
    reply = {};
  }
  if (in_pieces_) {  // the pieces were the reply, but for what followed them (a chunked body's end)
    if (!reply.empty()) add_piece(Bytes::copy_of(reply));
    waiting_ = 0;
    finish();
    return;
  }
  if (retried(part, reply, failed)) return;
  lent_ = buffer;
  on_part(part, reply, failed);
  lent_ = nullptr;
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
  if (auto whole = std::move(whole_)) {
    if (!blocks_.empty()) {  // a part of a whole: it takes one view of the reply
      for (const Block& block : blocks_) bytes_.append(block.view());
      blocks_.clear();
      block_bytes_ = 0;
    }
    whole->complete(part_of_whole_, bytes_, false);
  }
  if (auto session = session_.lock()) {
    if (sends_ && !in_pieces_) session->keep(size());
    session->reply_ready();
  }
}

bool PendingReply::client_waits() const {
  if (whole_) return whole_->client_waits();
  const auto session = session_.lock();
  return session && !session->closed();
}

}  // namespace ringleader::proxy
