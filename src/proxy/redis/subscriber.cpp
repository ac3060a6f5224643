// redis::Subscriber; see subscriber.hpp.
#include "proxy/redis/subscriber.hpp"

#include "proxy/pool_worker.hpp"
#include "proxy/redis/connection_commands.hpp"
#include "proxy/redis/reply_parser.hpp"
#include "proxy/redis/resp.hpp"

namespace ringleader::proxy::redis {
namespace {

bool confirms(std::string_view kind) {
  return kind == "subscribe" || kind == "unsubscribe" || kind == "psubscribe" || kind == "punsubscribe" ||
         kind == "ssubscribe" || kind == "sunsubscribe";
}

// A confirmation: [kind, channel (or none), count], as an array in RESP2 and a push in RESP3.
std::string confirmation(std::string_view kind, std::string_view header, std::string_view channel, std::size_t count) {
  std::string out(header);
  append_bulk(out, kind);
  out.append(channel);
  out.append(":").append(std::to_string(count)).append("\r\n");
  return out;
}

// The confirmations of one command, put back in the client's order.
class Confirmations final : public PendingReply {
 public:
  explicit Confirmations(std::uint32_t parts) : PendingReply(parts), parts_(parts) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool) override { parts_[part].assign(reply); }
  void on_all_parts() override {
    for (const auto& part : parts_) append(part);
    parts_.clear();
  }

 private:
  std::vector<std::string> parts_;
};

}  // namespace

std::set<std::string, std::less<>>& Subscriber::set_of(Kind kind) {
  return kind == Kind::pattern ? patterns_ : kind == Kind::shard ? shards_ : channels_;
}

void Subscriber::run(std::string_view name, std::span<const std::string_view> args, Dialect dialect) {
  const Kind kind = name.starts_with('P')                                  ? Kind::pattern
                    : name.starts_with("SS") || name.starts_with("SUNSUB") ? Kind::shard
                                                                           : Kind::channel;
  const bool subscribe = name.find("UNSUB") == std::string_view::npos;
  auto& set = set_of(kind);
  std::vector<std::string> targets(args.begin() + 1, args.end());
  const std::string kind_name = lower(name);
  const auto count = [&] { return kind == Kind::shard ? shards_.size() : channels_.size() + patterns_.size(); };
  if (targets.empty()) {
    if (subscribe) return enqueue_(PendingReply::local(wrong_arguments(name)));
    targets.assign(set.begin(), set.end());
    if (targets.empty())  // as Redis: one confirmation, without a channel
      return enqueue_(PendingReply::local(
          confirmation(kind_name, dialect != 0 ? ">3\r\n" : "*3\r\n", dialect != 0 ? "_\r\n" : "$-1\r\n", count())));
  }
  auto reply = std::make_shared<Confirmations>(static_cast<std::uint32_t>(targets.size()));
  enqueue_(reply);
  const std::size_t servers = pool_.layout()->pool.servers.size();
  for (std::uint32_t i = 0; i < targets.size(); ++i) {
    if (subscribe) {
      set.emplace(targets[i]);
    } else if (const auto found = set.find(targets[i]); found != set.end()) {
      set.erase(found);
    }
    if (kind == Kind::pattern) {  // on every server; the first one's confirmation is the client's
      bool linked = true;
      for (std::uint32_t s = 0; s < servers && linked; ++s) linked = link(s, dialect) != nullptr;
      if (!linked) {
        reply->complete(i, no_pinned_connection(pool_.pool()), true);
        continue;
      }
      for (std::uint32_t s = 0; s < servers; ++s) {
        Link& l = *link(s, dialect);
        l.expected.push_back({s == 0 ? reply : nullptr, i, count()});
        l.request.push_back(targets[i]);
      }
      continue;
    }
    std::uint32_t server = 0;
    const std::string_view key[] = {targets[i]};
    if (pool_.replicated()) {
      Copies copies;
      pool_.copies(key[0], copies);
      if (copies.count > 0) server = copies.server[0];
      servers_.assign(copies.count, server);
    } else if (!pool_.route(key, servers_)) {
      servers_.clear();
    }
    if (servers_.empty()) {
      reply->complete(i, "-ERR no server available\r\n", true);
      continue;
    }
    Link* l = link(servers_[0], dialect);
    if (l == nullptr) {
      reply->complete(i, no_pinned_connection(pool_.pool()), true);
      continue;
    }
    l->expected.push_back({reply, i, count()});
    l->request.push_back(targets[i]);
  }
  std::string request;
  for (auto& [server, l] : links_) {
    if (l.request.empty()) continue;
    l.request.insert(l.request.begin(), name);
    request.clear();
    append_command(request, l.request);
    l.connection->send_unanswered(request);
    l.request.clear();
  }
}

Subscriber::Link* Subscriber::link(std::uint32_t server, Dialect dialect) {
  if (const auto found = links_.find(server); found != links_.end()) return &found->second;
  auto connection = pool_.pinned_connection(server, dialect);
  if (!connection) return nullptr;
  if (links_.empty()) layout_watch_ = pool_.on_new_layout([this] { lost(); });
  connection->connect_once();  // its subscriptions would not be on a new one
  connection->on_message([this, server](std::string_view bytes) { message(server, bytes); }, [this] { lost(); });
  return &(links_[server] = Link{std::move(connection), {}, {}});
}

void Subscriber::message(std::uint32_t server, std::string_view bytes) {
  if (!split_array(bytes, elements_) || elements_.size() != 3 || !confirms(bulk_text(elements_[0]))) {
    enqueue_(PendingReply::local(bytes));  // something published, as the server sent it
    return;
  }
  Link& l = links_.at(server);
  if (l.expected.empty()) return;
  const Expected expected = std::move(l.expected.front());
  l.expected.pop_front();
  if (expected.reply) {
    const std::string_view header = bytes.substr(0, bytes.find("\r\n") + 2);
    expected.reply->complete(expected.part,
                             confirmation(bulk_text(elements_[0]), header, elements_[1], expected.count), false);
  }
  // Out of the subscribed context, with every confirmation in: the connections are not needed.
  const bool waiting = std::any_of(links_.begin(), links_.end(), [](const auto& l) { return !l.second.expected.empty(); });
  if (!subscribed() && !waiting) leave({});
}

void Subscriber::lost() {
  leave("-ERR connection to a server of this client's subscriptions lost\r\n");
  end_();
}

void Subscriber::leave(std::string_view error) {
  auto links = std::move(links_);
  links_.clear();
  layout_watch_.reset();
  channels_.clear();
  patterns_.clear();
  shards_.clear();
  for (auto& [server, l] : links) {
    l.connection->on_message({}, {});
    l.connection->abandon();
    for (const auto& expected : l.expected)
      if (expected.reply && !error.empty()) expected.reply->complete(expected.part, error, true);
  }
}

}  // namespace ringleader::proxy::redis
