// The placements pinned by the golden vectors: fixed memberships and changes, fixed keys. Shared by
// generate.cpp (writes <algorithm>.txt) and tests/unit/algo/golden_test.cpp (compares), so the two
// cannot disagree about what was recorded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ringleader/distribution.hpp"
#include "ringleader/hash/xxh3.hpp"

namespace ringleader::golden {

struct Scenario {
  std::string name;
  std::unique_ptr<Distribution> distribution;
};

/// Keys "key:0" .. "key:99", hashed with the default xxh3.
inline std::vector<std::string> keys() {
  std::vector<std::string> k;
  for (int i = 0; i < 100; ++i) k.push_back("key:" + std::to_string(i));
  return k;
}

/// weighted: five weighted nodes; uniform: seven equal nodes; removed / added: the weighted set
/// after "cache-b" leaves / after "cache-f" (weight 2) joins, through without() / with(), so the
/// in-place paths of Anchor and Memento are pinned too. Maglev uses a small prime table (211) so a
/// change of the table builder shows in 100 keys.
inline std::vector<Scenario> scenarios(std::string_view algorithm) {
  DistributionOptions options;
  options.maglev_table_size = 211;
  const Membership weighted({{"cache-a", 1}, {"cache-b", 2}, {"cache-c", 1}, {"cache-d", 3}, {"cache-e", 1}});
  std::vector<Scenario> s;
  s.push_back({"weighted", make_distribution(algorithm, weighted, options)});
  s.push_back({"uniform", make_distribution(algorithm, Membership::uniform(7), options)});
  const std::vector<std::string> gone = {"cache-b"};
  s.push_back({"removed", s[0].distribution->without(gone)});
  s.push_back({"added", s[0].distribution->with(Node{"cache-f", 2})});
  return s;
}

}  // namespace ringleader::golden
