// PoolWorker; see pool_worker.hpp.
#include "proxy/pool_worker.hpp"

#include <algorithm>

#include "proxy/protocols.hpp"

namespace ringleader::proxy {

PoolWorker::PoolWorker(asio::io_context& io, const RouteTable& routes, Acceptor acceptor, stats::Registry& registry,
                       unsigned worker, std::size_t pool_index)
    : counters_(registry.pool(pool_index).worker(worker)),
      routes_table_(routes),
      routes_(routes),
      backends_(io, registry, worker, pool_index),
      listener_(io, std::move(acceptor), [this]() -> const config::Pool& { return pool(); }, registry.pool(pool_index),
                counters_) {
  adopt(routes_.get());
}

void PoolWorker::start() {
  backends_.start(pool());
  listener_.start([this](Socket socket, const Socket::endpoint_type& peer) {
    protocol_->start_session(std::move(socket), peer, *this, counters_);
  });
}

const Placement& PoolWorker::router() {
  // An ejection publishes a new placement of the same layout: used from this request on. A new
  // layout waits for refresh(), which the server posts to every worker after it publishes one, so a
  // request never pays for connecting to servers; until then, the layout adopted routes.
  const Routes& routes = routes_.get();
  if (routes.layout == layout_ && routes.placement != placement_) placement_ = routes.placement;
  return *placement_;
}

void PoolWorker::refresh() {
  const Routes& routes = routes_.get();
  if (routes.layout != layout_) adopt(routes);
}

void PoolWorker::adopt(const Routes& routes) {
  backends_.adopt(routes, layout_.get());
  const bool first = layout_ == nullptr;
  layout_ = routes.layout;
  placement_ = routes.placement;
  protocol_ = &protocol_of(layout_->pool);
  if (first) return;
  // Each watcher may end its client, and with it the watch: called from a copy.
  std::vector<std::shared_ptr<std::function<void()>>> watchers;
  for (const auto& weak : layout_watchers_) {
    if (auto watcher = weak.lock()) watchers.push_back(std::move(watcher));
  }
  for (const auto& watcher : watchers) (*watcher)();
}

std::shared_ptr<void> PoolWorker::on_new_layout(std::function<void()> changed) {
  std::erase_if(layout_watchers_, [](const auto& weak) { return weak.expired(); });
  auto watcher = std::make_shared<std::function<void()>>(std::move(changed));
  layout_watchers_.push_back(watcher);
  return watcher;
}

bool PoolWorker::route(std::span<const std::string_view> keys, std::vector<std::uint32_t>& servers) {
  const Placement& router = this->router();
  if (router.bounded()) {
    loads_.resize(backends_.size());
    for (std::uint32_t i = 0; i < backends_.size(); ++i) loads_[i] = backends_[i].in_flight();
  }
  servers.clear();
  for (const auto key : keys) {
    const std::uint32_t server = router.bounded() ? router.server_for(key, loads_) : router.server_for(key);
    if (server == Placement::kNoServer) return false;
    servers.push_back(server);
  }
  return true;
}

void PoolWorker::copies(std::string_view key, Copies& copies, std::size_t wanted) {
  const Placement& router = this->router();
  wanted = std::min<std::size_t>(wanted > 0 ? wanted : layout_->pool.replicas, kMaxReplicas);
  copies.count = router.servers_for(key, std::span(copies.server, wanted));
}

}  // namespace ringleader::proxy
