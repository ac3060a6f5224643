#include "ringleader/membership.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace ringleader {

Membership::Membership(std::vector<Node> nodes) : nodes_(std::move(nodes)) {
  if (nodes_.empty()) throw std::invalid_argument("membership: no nodes (at least one is required)");
  if (nodes_.size() > 0xFFFF'FFFEu) throw std::invalid_argument("membership: too many nodes");
  std::unordered_set<std::string_view> seen;
  for (const Node& n : nodes_) {
    if (n.name.empty()) throw std::invalid_argument("membership: a node has an empty name");
    if (n.weight == 0) throw std::invalid_argument("membership: node '" + n.name + "' has weight 0");
    if (!seen.insert(n.name).second)
      throw std::invalid_argument("membership: duplicate node name '" + n.name + "'");
    total_weight_ += n.weight;
  }
}

Membership Membership::uniform(std::size_t n, std::string_view prefix) {
  std::vector<Node> nodes;
  nodes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) nodes.push_back({std::string(prefix) + std::to_string(i), 1});
  return Membership(std::move(nodes));
}

bool Membership::uniform_weights() const noexcept {
  return std::all_of(nodes_.begin(), nodes_.end(),
                     [&](const Node& n) { return n.weight == nodes_.front().weight; });
}

std::optional<BucketId> Membership::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<BucketId>(i);
  return std::nullopt;
}

Membership Membership::without(std::string_view name) const {
  auto id = find(name);
  if (!id) throw std::invalid_argument("membership: no node named '" + std::string(name) + "'");
  std::vector<Node> rest = nodes_;
  rest.erase(rest.begin() + *id);
  return Membership(std::move(rest));
}

Membership Membership::with(Node node) const {
  std::vector<Node> more = nodes_;
  more.push_back(std::move(node));
  return Membership(std::move(more));
}

}  // namespace ringleader
