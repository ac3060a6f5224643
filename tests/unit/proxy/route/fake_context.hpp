// A pool without sockets for the route nodes' tests: each server is a FakeConnection that keeps
// the requests it was sent, and the test answers them as the server would.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "proxy/client_session.hpp"
#include "proxy/memcache/protocol.hpp"
#include "proxy/memcache/values_reply.hpp"
#include "proxy/protocols.hpp"
#include "proxy/route/command.hpp"
#include "proxy/route/context.hpp"

namespace ringleader::proxy::testing {

class FakeConnection final : public Connection, public std::enable_shared_from_this<FakeConnection> {
 public:
  struct Sent {
    std::string bytes;
    std::shared_ptr<PendingReply> reply;
    std::uint32_t part;
    ReplyKind kind;
  };

  void send(std::initializer_list<std::string_view> request, std::shared_ptr<PendingReply> reply, std::uint32_t part,
            ReplyKind kind) override {
    std::string bytes;
    for (const std::string_view piece : request) bytes.append(piece);
    sent.push_back({std::move(bytes), std::move(reply), part, kind});
  }
  std::shared_ptr<Connection> shared() override { return shared_from_this(); }
  /// The requests sent, in order.
  std::vector<std::string> requests() const {
    std::vector<std::string> out;
    for (const Sent& s : sent) out.push_back(s.bytes);
    return out;
  }
  /// The server answers its oldest request not answered yet; `failed`: the proxy's own error reply
  /// (the server could not be reached, or timed out).
  void answer(std::string_view reply, bool failed = false) {
    Sent& s = sent.at(answered_++);
    // Let go of the reply as a server does once it is answered: a warm-up read holds the previous
    // owner's connection, which would otherwise hold the read back (a cycle LeakSanitizer reports).
    std::shared_ptr<PendingReply> r = std::move(s.reply);
    r->complete(s.part, reply, failed);
  }
  bool all_answered() const { return answered_ == sent.size(); }

  std::vector<Sent> sent;

 private:
  std::size_t answered_ = 0;
};

/// The client a reply goes to; it never reads (the tests look at the reply itself).
class FakeClient final : public ClientSession {
 public:
  explicit FakeClient(asio::io_context& io) : ClientSession(Socket(io)) {}

 protected:
  std::size_t consume(std::string_view) override { return 0; }
};

class FakeContext final : public RouteContext {
 public:
  /// A pool of `protocol` with `servers` servers and `pool`'s settings.
  FakeContext(std::string_view protocol, std::size_t servers, config::Pool pool = {})
      : layout_(std::make_shared<PoolLayout>()) {
    pool.protocol = protocol;
    pool_ = std::move(pool);
    protocol_ = &protocol_of(pool_);
    for (std::size_t i = 0; i < servers; ++i) servers_.push_back(std::make_shared<FakeConnection>());
  }

  FakeContext(const FakeContext&) = delete;
  FakeContext& operator=(const FakeContext&) = delete;
  /// Requests never answered hold their replies, and a warm-up's replies hold connections: let go.
  ~FakeContext() override {
    for (const auto& server : servers_) server->sent.clear();
    for (const auto& [key, server] : previous_of) server->sent.clear();
  }

  const config::Pool& pool() const noexcept override { return pool_; }
  const Protocol& protocol() const noexcept override { return *protocol_; }
  const std::shared_ptr<const PoolLayout>& layout() const noexcept override { return layout_; }
  stats::PoolCounters& counters() noexcept override { return counters_; }
  bool route(std::span<const std::string_view> keys, std::vector<std::uint32_t>& servers) override {
    servers.clear();
    for (const std::string_view key : keys) {
      const auto found = owner_of.find(std::string(key));
      if (found == owner_of.end()) return false;
      servers.push_back(found->second);
    }
    return true;
  }
  Connection& connection(std::uint32_t server, Dialect dialect) override {
    dialects.push_back(dialect);
    return *servers_.at(server);
  }
  void copies(std::string_view key, Copies& copies, std::size_t wanted) override {
    copies = copies_of.at(std::string(key));
    if (wanted > 0) copies.count = std::min(copies.count, wanted);
  }
  bool warming() const noexcept override { return !previous_of.empty(); }
  bool warm_reads() const noexcept override { return warm_reads_now; }
  std::shared_ptr<Connection> previous_owner(std::string_view key, std::uint32_t) override {
    const auto found = previous_of.find(std::string(key));
    return found == previous_of.end() ? nullptr : found->second;
  }
  RecentWrites& recent_writes() const noexcept override { return writes_; }

  FakeConnection& server(std::uint32_t i) { return *servers_.at(i); }
  /// A reload: server indices routed before refer to another layout now.
  void reload() { layout_ = std::make_shared<PoolLayout>(); }

  std::map<std::string, std::uint32_t> owner_of;  // by key; a key not here has no live server
  std::map<std::string, Copies> copies_of;        // by key
  std::map<std::string, std::shared_ptr<FakeConnection>> previous_of;  // moved keys' previous owners
  bool warm_reads_now = true;
  std::vector<Dialect> dialects;  // of every connection() asked for, in order

 private:
  config::Pool pool_;
  const Protocol* protocol_ = nullptr;
  std::shared_ptr<const PoolLayout> layout_;
  stats::PoolCounters counters_;
  std::vector<std::shared_ptr<FakeConnection>> servers_;
  mutable RecentWrites writes_;
};

/// A memcached get-like command: "<verb> <key>...\r\n", its parts merged as a memcached get's.
class FakeCommand final : public route::Command {
 public:
  FakeCommand(std::string verb, std::initializer_list<std::string> keys_in, Effect what = Effect::read)
      : verb_(std::move(verb)), names_(keys_in) {
    for (const std::string& k : names_) views_.push_back(k);
    whole_ = verb_;
    for (const std::string& k : names_) whole_.append(" ").append(k);
    whole_.append("\r\n");
    name = verb_;
    keys = views_;
    request = {whole_, {}, {}, {}};
    kind = memcache::Reply::values;
    effect = what;
    reads = splits = what == Effect::read;
  }
  FakeCommand(const FakeCommand&) = delete;
  FakeCommand& operator=(const FakeCommand&) = delete;

  void one_key(std::size_t k, std::string& out) const override {
    out.append(verb_).append(" ").append(keys[k]).append("\r\n");
  }
  std::shared_ptr<PendingReply> per_key_reply(std::size_t n) const override {
    return std::make_shared<memcache::ValuesReply>(static_cast<std::uint32_t>(n));
  }
  void split_request(std::span<const std::uint32_t> part, std::string& out) const override {
    out.append(verb_);
    for (const std::uint32_t k : part) out.append(" ").append(keys[k]);
    out.append("\r\n");
  }
  std::shared_ptr<PendingReply> split_reply(const KeysByServer& parts) const override {
    return std::make_shared<memcache::ValuesReply>(parts.parts());
  }

 private:
  std::string verb_;
  std::vector<std::string> names_;
  std::vector<std::string_view> views_;
  std::string whole_;
};

/// Copies on `servers`, in that order.
inline Copies copies_on(std::initializer_list<std::uint32_t> servers) {
  Copies c;
  for (const std::uint32_t s : servers) c.server[c.count++] = s;
  return c;
}

}  // namespace ringleader::proxy::testing
