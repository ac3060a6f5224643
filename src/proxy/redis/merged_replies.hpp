// Replies of the Redis commands the proxy splits over servers, merged back into what one Redis would
// have answered.
//
// - MGET: each server answers the keys it holds; the values are put back in the order of the
//   client's keys (ValuesInOrderReply).
// - DEL, UNLINK, TOUCH, EXISTS: each server counts its keys; the counts are summed (SumReply).
// - MSET: every server must answer +OK (AllOkReply).
// If any server answered an error (or could not be reached), the client gets that error: a partial
// answer would look like a valid one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/pending_reply.hpp"

namespace ringleader::proxy::redis {

/// Common part: keeps the first error seen.
class MergedReply : public PendingReply {
 public:
  explicit MergedReply(std::uint32_t parts) : PendingReply(parts) {}

 protected:
  /// Records `reply` as the error to send if it is one (or if `failed`); true if it was.
  bool keep_error(std::string_view reply, bool failed);
  std::string error_;
};

class ValuesInOrderReply final : public MergedReply {
 public:
  /// positions[p] lists the client's key positions sent to part p, in the order they were sent.
  ValuesInOrderReply(std::size_t keys, std::vector<std::vector<std::uint32_t>> positions);

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_all_parts() override;

 private:
  std::size_t keys_;
  std::vector<std::vector<std::uint32_t>> positions_;
  std::vector<std::string_view> parts_;  // each in a lent buffer kept, or in copies_
  std::vector<std::string> copies_;      // of the parts not lent (sized once: views stay valid)
};

class SumReply final : public MergedReply {
 public:
  explicit SumReply(std::uint32_t parts) : MergedReply(parts) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_all_parts() override;

 private:
  long long sum_ = 0;
};

class AllOkReply final : public MergedReply {
 public:
  explicit AllOkReply(std::uint32_t parts) : MergedReply(parts) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override;
  void on_all_parts() override;
};

}  // namespace ringleader::proxy::redis
