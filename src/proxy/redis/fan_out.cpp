// redis::fan_out; see fan_out.hpp.
#include "proxy/redis/fan_out.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "proxy/pool_worker.hpp"
#include "proxy/redis/connection_commands.hpp"
#include "proxy/redis/merged_replies.hpp"
#include "proxy/redis/reply_parser.hpp"
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

constexpr std::string_view kUnexpected = "-ERR unexpected reply from server\r\n";

// KEYS: every server's array, as one.
class KeysReply final : public MergedReply {
 public:
  explicit KeysReply(std::uint32_t parts) : MergedReply(parts), parts_(parts) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override {
    if (!keep_error(reply, failed)) parts_[part].assign(reply);
  }
  void on_all_parts() override {
    if (!error_.empty()) {
      bytes_.swap(error_);
      return;
    }
    std::vector<std::string_view> all;
    std::vector<std::string_view> elements;
    for (const auto& part : parts_) {
      if (!split_array(part, elements)) {
        bytes_.assign(kUnexpected);
        return;
      }
      all.insert(all.end(), elements.begin(), elements.end());
    }
    append("*" + std::to_string(all.size()) + "\r\n");
    for (const auto element : all) append(element);
    parts_.clear();
  }

 private:
  std::vector<std::string> parts_;
};

// SCAN on server `server` of `servers`: its cursor made the client's.
class ScanReply final : public PendingReply {
 public:
  ScanReply(std::uint64_t server, std::uint64_t servers) : server_(server), servers_(servers) {}

 protected:
  void on_part(std::uint32_t, std::string_view reply, bool) override {
    std::vector<std::string_view> elements;
    std::uint64_t cursor = 0;
    if (!split_array(reply, elements) || elements.size() != 2 || !elements[0].starts_with('$')) {
      bytes_.assign(reply.starts_with('-') ? reply : kUnexpected);
      return;
    }
    const std::string_view text = bulk_text(elements[0]);
    const auto end = text.data() + text.size();
    if (std::from_chars(text.data(), end, cursor).ptr != end || cursor >> (64 - kServerBits) != 0) {
      bytes_.assign("-ERR a server's SCAN cursor is too large for the proxy's\r\n");
      return;
    }
    // The server's next cursor; at its end, the next server's start (0 on it), or the scan's end.
    const std::uint64_t next = cursor != 0 ? (cursor << kServerBits) | server_
                               : server_ + 1 < servers_ ? server_ + 1
                                                        : 0;
    bytes_.assign(reply.substr(0, reply.find("\r\n") + 2));
    append_bulk(bytes_, std::to_string(next));
    bytes_.append(elements[1]);
  }

 private:
  std::uint64_t server_;
  std::uint64_t servers_;
};

}  // namespace

void fan_out(PoolWorker& pool, std::string_view name, std::span<const std::string_view> args, Dialect dialect,
             const std::function<void(std::shared_ptr<PendingReply>)>& enqueue) {
  const auto refuse = [&](std::string_view message) { enqueue(PendingReply::local(message)); };
  if (!pool.pool().redis_fan_out)
    return refuse(error_reply("command '" + std::string(name) + "' is not supported by proxy: the pool has redis_fan_out: false"));
  if (pool.replicated())
    return refuse(error_reply("command '" + std::string(name) + "' is not supported by proxy on a pool with replicas"));
  const auto servers = static_cast<std::uint32_t>(pool.layout()->pool.servers.size());
  std::string request;
  if (name == "SCAN") {
    std::uint64_t cursor = 0;
    const std::string_view text = args.size() >= 2 ? args[1] : std::string_view();
    if (text.empty() || std::from_chars(text.data(), text.data() + text.size(), cursor).ptr != text.data() + text.size())
      return refuse(args.size() < 2 ? wrong_arguments(args[0]) : error_reply("invalid cursor"));
    const std::uint64_t server = cursor & ((1u << kServerBits) - 1);
    if (server >= servers) return refuse(error_reply("invalid cursor"));
    std::vector<std::string_view> scan(args.begin(), args.end());
    const std::string own = std::to_string(cursor >> kServerBits);
    scan[1] = own;
    append_command(request, scan);
    auto reply = std::make_shared<ScanReply>(server, servers);
    enqueue(reply);
    pool.connection(static_cast<std::uint32_t>(server), dialect).send({request}, reply, 0);
    return;
  }
  if (args.size() != (name == "KEYS" ? 2u : 1u)) return refuse(wrong_arguments(args[0]));
  append_command(request, args);
  std::shared_ptr<PendingReply> reply;
  if (name == "KEYS") {
    reply = std::make_shared<KeysReply>(servers);
  } else {
    reply = std::make_shared<SumReply>(servers);
  }
  enqueue(reply);
  for (std::uint32_t s = 0; s < servers; ++s) pool.connection(s, dialect).send({request}, reply, s);
}

}  // namespace ringleader::proxy::redis
