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

// One server's confirmation of a pattern, once every server has confirmed it: a PUBLISH sent after the
// client's confirmation reaches no server that still counts the pattern otherwise. The first server's
// is the client's, or the first failure.
class AllConfirmed final : public PendingReply {
 public:
  explicit AllConfirmed(std::uint32_t servers) : PendingReply(servers) {}

 protected:
  void on_part(std::uint32_t part, std::string_view reply, bool failed) override {
    if (failed_) return;
    if (failed || part == 0) first_.assign(reply);
    failed_ = failed;
  }
  void on_all_parts() override { append(first_); }

 private:
  std::string first_;
  bool failed_ = false;
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
    if (kind == Kind::pattern) {  // on every server
      bool linked = true;
      for (std::uint32_t s = 0; s < servers && linked; ++s) linked = link(s, dialect) != nullptr;
      if (!linked) {
        reply->complete(i, no_pinned_connection(pool_.pool()), true);
        continue;
      }
      auto all = std::make_shared<AllConfirmed>(static_cast<std::uint32_t>(servers));
      all->answer_into(reply, i);
      for (std::uint32_t s = 0; s < servers; ++s) {
        Link& l = *link(s, dialect);
        l.expected.push_back({all, s, count()});
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
  Link& l = links_[server] = Link{std::move(connection), {}, {}};
  // A map's node stays where it is, also once extract()ed by reset(): the callback keeps its link.
  l.connection->on_message([this, &l](std::string_view bytes) { message(l, bytes); }, [this] { lost(); });
  return &l;
}

void Subscriber::message(Link& l, std::string_view bytes) {
  const bool confirmed =
      split_array(bytes, elements_) && elements_.size() == 3 && confirms(bulk_text(elements_[0]));
  const bool reset = !confirmed && !l.expected.empty() && l.expected.front().reset && bytes.starts_with("+RESET");
  if (!confirmed && !reset) {
    if (!l.resetting) enqueue_(PendingReply::local(bytes));  // something published, as the server sent it
    return;
  }
  if (l.expected.empty()) return;
  const Expected expected = std::move(l.expected.front());
  l.expected.pop_front();
  if (reset) {
    expected.reply->complete(expected.part, expected.part == 0 ? bytes : std::string_view(), false);
    const auto done = std::find_if(resetting_.begin(), resetting_.end(), [&](auto& n) { return &n.mapped() == &l; });
    const auto node = std::move(*done);  // closed when this returns
    resetting_.erase(done);
    hang_up(node.mapped());
    return;
  }
  const std::string_view header = bytes.substr(0, bytes.find("\r\n") + 2);
  expected.reply->complete(expected.part,
                           confirmation(bulk_text(elements_[0]), header, elements_[1], expected.count), false);
  // Out of the subscribed context, with every confirmation in: the connections are not needed.
  const bool waiting = std::any_of(links_.begin(), links_.end(), [](const auto& l) { return !l.second.expected.empty(); });
  if (!l.resetting && !subscribed() && !waiting) leave({});
}

void Subscriber::reset(std::string_view answer) {
  channels_.clear();
  patterns_.clear();
  shards_.clear();
  if (links_.empty()) return enqueue_(PendingReply::local(answer));
  auto reply = std::make_shared<AllConfirmed>(static_cast<std::uint32_t>(links_.size()));
  enqueue_(reply);
  // The links leave links_ (new subscriptions get new connections: RESET made these RESP2 and, with
  // a password, unauthenticated) and close at their server's +RESET.
  std::uint32_t part = 0;
  while (!links_.empty()) {
    auto node = links_.extract(links_.begin());
    Link& l = node.mapped();
    l.resetting = true;
    l.expected.push_back({reply, part++, 0, true});
    l.connection->send_unanswered("*1\r\n$5\r\nRESET\r\n");
    resetting_.push_back(std::move(node));
  }
  layout_watch_.reset();
}

void Subscriber::lost() {
  leave("-ERR connection to a server of this client's subscriptions lost\r\n");
  end_();
}

void Subscriber::leave(std::string_view error) {
  auto links = std::move(links_);
  links_.clear();
  auto resetting = std::move(resetting_);
  resetting_.clear();
  layout_watch_.reset();
  channels_.clear();
  patterns_.clear();
  shards_.clear();
  const auto close = [&](Link& l) {
    hang_up(l);
    for (const auto& expected : l.expected)
      if (!error.empty()) expected.reply->complete(expected.part, expected.reset ? "+RESET\r\n" : error, true);
  };
  for (auto& [server, l] : links) close(l);
  for (auto& node : resetting) close(node.mapped());
}

void Subscriber::hang_up(Link& link) {
  link.connection->on_message({}, {});  // what it still sends is nobody's
  link.connection->abandon();
}

}  // namespace ringleader::proxy::redis
