// Merged Redis replies; see merged_replies.hpp.
#include "proxy/redis/merged_replies.hpp"

#include "proxy/redis/reply_parser.hpp"

namespace ringleader::proxy::redis {
namespace {
constexpr std::string_view kUnexpected = "-ERR unexpected reply from server\r\n";
}

bool MergedReply::keep_error(std::string_view reply, bool failed) {
  if (!failed && !reply.starts_with('-') && !reply.starts_with('!')) return false;  // RESP3: '!'
  if (error_.empty()) error_.assign(reply);
  return true;
}

ValuesInOrderReply::ValuesInOrderReply(std::size_t keys, std::vector<std::vector<std::uint32_t>> positions)
    : MergedReply(static_cast<std::uint32_t>(positions.size())),
      keys_(keys),
      positions_(std::move(positions)),
      parts_(positions_.size()),
      copies_(positions_.size()) {}

void ValuesInOrderReply::on_part(std::uint32_t part, std::string_view reply, bool failed) {
  if (keep_error(reply, failed)) return;
  if (keep_reply_buffer()) {
    parts_[part] = reply;
  } else {
    parts_[part] = copies_[part].assign(reply);
  }
}

void ValuesInOrderReply::on_all_parts() {
  if (!error_.empty()) {
    bytes_.swap(error_);
    return;
  }
  std::vector<std::string_view> ordered(keys_);
  std::vector<std::string_view> elements;
  for (std::size_t p = 0; p < parts_.size(); ++p) {
    if (!split_array(parts_[p], elements) || elements.size() != positions_[p].size()) {
      bytes_.assign(kUnexpected);
      return;
    }
    for (std::size_t i = 0; i < elements.size(); ++i) ordered[positions_[p][i]] = elements[i];
  }
  append("*" + std::to_string(keys_) + "\r\n");
  for (auto element : ordered) append_kept(element);
}

void SumReply::on_part(std::uint32_t, std::string_view reply, bool failed) {
  if (keep_error(reply, failed)) return;
  long long count = 0;
  if (!integer_value(reply, count)) {
    keep_error(kUnexpected, true);
    return;
  }
  sum_ += count;
}

void SumReply::on_all_parts() {
  if (!error_.empty()) {
    bytes_.swap(error_);
  } else {
    bytes_ = ":" + std::to_string(sum_) + "\r\n";
  }
}

void AllOkReply::on_part(std::uint32_t, std::string_view reply, bool failed) {
  if (!keep_error(reply, failed) && reply != "+OK\r\n") keep_error(kUnexpected, true);
}

void AllOkReply::on_all_parts() {
  if (!error_.empty()) {
    bytes_.swap(error_);
  } else {
    bytes_ = "+OK\r\n";
  }
}

}  // namespace ringleader::proxy::redis
