// redis::warm_up_steps(); see warmup_steps.hpp.
#include "proxy/redis/warmup_steps.hpp"

#include <charconv>

#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

constexpr std::string_view kDumpWithTtl = "return {redis.call('PTTL', KEYS[1]), redis.call('DUMP', KEYS[1])}";
// Deletes the key only while it still holds the copy (a write since changed its DUMP).
constexpr std::string_view kDeleteCopy =
    "if redis.call('DUMP', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

class DumpRestoreSteps final : public WarmUpSteps {
 public:
  void read_previous(std::string_view key, bool, std::string& out) const override {
    const std::string_view args[] = {"EVAL", kDumpWithTtl, "1", key};
    append_command(out, args);
  }
  ReplyKind previous_kind() const noexcept override { return 0; }

  // "*2\r\n:<ms left>\r\n$<bytes>\r\n<payload>\r\n"; a key that is not there: ":-2" and a nil.
  std::optional<WarmValue> value_of(std::string_view reply) const noexcept override {
    if (!reply.starts_with("*2\r\n:")) return std::nullopt;
    reply.remove_prefix(5);
    WarmValue value;
    const auto ttl_end = reply.find("\r\n");
    if (std::from_chars(reply.data(), reply.data() + ttl_end, value.ttl).ec != std::errc{} || value.ttl == -2)
      return std::nullopt;
    reply.remove_prefix(ttl_end + 2);
    if (!reply.starts_with('$')) return std::nullopt;
    const auto head_end = reply.find("\r\n");
    std::size_t bytes = 0;
    if (std::from_chars(reply.data() + 1, reply.data() + head_end, bytes).ec != std::errc{}) return std::nullopt;
    if (reply.size() < head_end + 2 + bytes) return std::nullopt;
    value.data = reply.substr(head_end + 2, bytes);
    return value;
  }

  bool answer(std::string_view, const WarmValue&, bool, std::string&) const override { return false; }

  bool copy(std::string_view key, const WarmValue& value, std::string& out) const override {
    if (value.ttl == 0) return false;  // expires now: a copy could outlive it
    const std::string ttl = std::to_string(value.ttl < 0 ? 0 : value.ttl);  // 0: no TTL
    const std::string_view args[] = {"RESTORE", key, ttl, value.data};
    append_command(out, args);
    return true;
  }
  ReplyKind copy_kind() const noexcept override { return 0; }
  bool stored(std::string_view reply) const noexcept override { return reply == "+OK\r\n"; }
  void remove(std::string_view key, std::string_view data, std::string_view, std::string& out) const override {
    const std::string_view args[] = {"EVAL", kDeleteCopy, "1", key, data};
    append_command(out, args);
  }
  // DEL's count is the new owners': two owners' counts could not be told apart.
  bool deletes_answered_by_either() const noexcept override { return false; }
};

}  // namespace

const WarmUpSteps& warm_up_steps() {
  static const DumpRestoreSteps steps;
  return steps;
}

}  // namespace ringleader::proxy::redis
