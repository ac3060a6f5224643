// memcache::warm_up_steps(); see warmup_steps.hpp.
#include "proxy/memcache/warmup_steps.hpp"

#include <charconv>
#include <ctime>

#include "proxy/memcache/protocol.hpp"
#include "proxy/memcache/reply_parser.hpp"

namespace ringleader::proxy::memcache {
namespace {

// memcached reads an exptime above 30 days as a unix time, not as seconds from now.
constexpr long long kLongestRelative = 60 * 60 * 24 * 30;

class MetaSteps final : public WarmUpSteps {
 public:
  void read_previous(std::string_view key, bool with_cas, std::string& out) const override {
    out.append("mg ").append(key).append(with_cas ? " v f t c\r\n" : " v f t\r\n");
  }
  ReplyKind previous_kind() const noexcept override { return Reply::meta; }

  // "VA <bytes> f<flags> t<ttl> [c<cas>]\r\n<data>\r\n" (t-1: no TTL); "EN\r\n" is a miss.
  std::optional<WarmValue> value_of(std::string_view reply) const noexcept override {
    if (!reply.starts_with("VA ")) return std::nullopt;
    const auto line_end = reply.find("\r\n");
    std::string_view line = reply.substr(3, line_end - 3);
    WarmValue value;
    std::size_t bytes = 0;
    bool first = true;
    while (!line.empty()) {
      const auto end = std::min(line.find(' '), line.size());
      const std::string_view token = line.substr(0, end);
      line.remove_prefix(std::min(end + 1, line.size()));
      if (first) {
        if (std::from_chars(token.data(), token.data() + token.size(), bytes).ec != std::errc{}) return std::nullopt;
        first = false;
      } else if (token.starts_with('f')) {
        value.flags = token.substr(1);
      } else if (token.starts_with('c')) {
        value.cas = token.substr(1);
      } else if (token.starts_with('t')) {
        if (std::from_chars(token.data() + 1, token.data() + token.size(), value.ttl).ec != std::errc{})
          return std::nullopt;
      }
    }
    if (value.flags.empty() || reply.size() < line_end + 2 + bytes) return std::nullopt;
    value.data = reply.substr(line_end + 2, bytes);
    return value;
  }

  bool answer(std::string_view key, const WarmValue& value, bool with_cas, std::string& out) const override {
    out.append("VALUE ").append(key).append(" ").append(value.flags).append(" ").append(std::to_string(value.data.size()));
    if (with_cas) out.append(" ").append(value.cas);
    out.append("\r\n").append(value.data).append("\r\n").append(kEnd);
    return true;
  }

  bool copy(std::string_view key, const WarmValue& value, std::string& out) const override {
    long long ttl = value.ttl < 0 ? 0 : value.ttl;  // T0: never expires
    if (value.ttl == 0) return false;               // expires this second: a copy could outlive it
    if (ttl > kLongestRelative) ttl += static_cast<long long>(std::time(nullptr));
    out.append("ms ").append(key).append(" ").append(std::to_string(value.data.size()));
    out.append(" T").append(std::to_string(ttl)).append(" F").append(value.flags).append(" ME c\r\n");
    out.append(value.data).append("\r\n");
    return true;
  }
  ReplyKind copy_kind() const noexcept override { return Reply::one_line; }
  // "HD c<cas>": stored, with the copy's cas.
  bool stored(std::string_view reply) const noexcept override { return reply.starts_with("HD"); }
  // md with C<cas> deletes only while the item is the copy; a write since changed its cas.
  void remove(std::string_view key, std::string_view, std::string_view stored_reply, std::string& out) const override {
    const auto cas = stored_reply.find(" c");
    const auto end = stored_reply.find_first_of(" \r", cas + 2);
    out.append("md ").append(key);
    if (cas != std::string_view::npos) out.append(" C").append(stored_reply.substr(cas + 2, end - cas - 2));
    out.append("\r\n");
  }
  // DELETED from either owner: the key was on one of them.
  bool deletes_answered_by_either() const noexcept override { return true; }
};

}  // namespace

const WarmUpSteps& warm_up_steps() {
  static const MetaSteps steps;
  return steps;
}

}  // namespace ringleader::proxy::memcache
