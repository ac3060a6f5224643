// Membership: the nodes a distribution places keys on, by stable name and integer weight.
//
// Nodes are identified by name, never by address, so that an address change moves no keys. Ring,
// Maglev, Rendezvous and MultiProbe place by name alone, so reordering the list moves nothing either;
// Modulo, Jump, Anchor and Memento number their buckets by list position, so for them the order of
// the list is part of the placement. Every algorithm is built from a Membership snapshot and refers
// to nodes by their dense BucketId (the index in nodes()).
//
//   ringleader::Membership m({{"cache-a", 1}, {"cache-b", 2}});
//   ringleader::Maglev table(m);
//   std::string_view owner = m[table.lookup(ringleader::hash::xxh3("user:42"))].name;
//
// Errors (std::invalid_argument with a message naming the node): an empty membership, an empty name,
// a duplicate name, weight 0.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader {

/// Dense index of a node inside one Membership snapshot: 0 .. size()-1.
using BucketId = std::uint32_t;

struct Node {
  std::string name;
  std::uint32_t weight = 1;

  friend bool operator==(const Node&, const Node&) = default;
};

class Membership {
 public:
  /// Validates the nodes; throws std::invalid_argument on an empty list, empty or duplicate name, weight 0.
  explicit Membership(std::vector<Node> nodes);

  /// n nodes named "<prefix>0" .. "<prefix>{n-1}", weight 1 each.
  static Membership uniform(std::size_t n, std::string_view prefix = "node-");

  std::size_t size() const noexcept { return nodes_.size(); }
  const Node& operator[](BucketId id) const noexcept { return nodes_[id]; }
  std::span<const Node> nodes() const noexcept { return nodes_; }
  std::uint64_t total_weight() const noexcept { return total_weight_; }
  bool uniform_weights() const noexcept;

  /// The bucket of a node by name, if present.
  std::optional<BucketId> find(std::string_view name) const noexcept;

  /// A copy without the named node (throws if absent or if it was the last one).
  Membership without(std::string_view name) const;
  /// A copy with one more node appended (validated like the constructor).
  Membership with(Node node) const;

  friend bool operator==(const Membership&, const Membership&) = default;

 private:
  std::vector<Node> nodes_;
  std::uint64_t total_weight_ = 0;
};

}  // namespace ringleader
