// make_distribution(): the one table of names, every algorithm's promises through the checker, and
// every bad input's error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "ringleader/distribution.hpp"
#include "ringleader/testing/checker.hpp"

namespace ringleader {
namespace {

using ::testing::HasSubstr;
using testing::Promises;

// The names, in their documented order, modulo first.
TEST(Distribution, NamesComeFromOneTableWithModuloFirst) {
  std::vector<std::string> names(algorithm_names().begin(), algorithm_names().end());
  EXPECT_THAT(names, ::testing::ElementsAre("modulo", "ring", "jump", "anchor", "memento", "maglev",
                                            "rendezvous", "multiprobe"));
  for (std::string_view name : algorithm_names())
    EXPECT_EQ(make_distribution(name, Membership::uniform(3))->algorithm(), name);
}

// An unknown name is an error whose message lists the known ones.
TEST(Distribution, UnknownNameListsTheKnownOnes) {
  try {
    make_distribution("ketama2", Membership::uniform(3));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("ketama2"));
    EXPECT_THAT(e.what(), HasSubstr("maglev"));
  }
}

// What each algorithm promises (its header), checked on equal and on unequal weights.
Promises promises_of(std::string_view name) {
  Promises p;
  p.max_peak_to_mean = 1.05;  // exact-in-expectation algorithms: sampling noise of 100k keys over 10 nodes
  if (name == "modulo") {
    p.minimal_removal = Promises::Removal::none;
    p.minimal_addition = false;
  } else if (name == "jump") {
    p.minimal_removal = Promises::Removal::last_node;
  } else if (name == "maglev") {
    p.max_extra_movement = 0.01;
  } else if (name == "ring") {
    p.max_peak_to_mean = 1.45;
  } else if (name == "multiprobe") {
    p.max_peak_to_mean = 1.25;
  }
  return p;
}

class EveryAlgorithm : public ::testing::TestWithParam<std::string_view> {};

// Removal, addition, balance and lookup_n on ten equal nodes.
TEST_P(EveryAlgorithm, KeepsItsPromisesOnEqualWeights) {
  const auto keys = testing::sample_keys(100'000);
  const auto d = make_distribution(GetParam(), Membership::uniform(10));
  const auto v = testing::verify_distribution(*d, promises_of(GetParam()), keys);
  EXPECT_TRUE(v) << v.message;
}

// The same with weights 1..5 (shares proportional to weight).
TEST_P(EveryAlgorithm, KeepsItsPromisesOnUnequalWeights) {
  const auto keys = testing::sample_keys(100'000);
  const Membership m({{"w1", 1}, {"w2", 2}, {"w3", 3}, {"w4", 4}, {"w5", 5}});
  const auto d = make_distribution(GetParam(), m);
  Promises p = promises_of(GetParam());
  if (GetParam() == "multiprobe") p.max_peak_to_mean = 1.2;  // peak only: see algo/multiprobe.hpp
  const auto v = testing::verify_distribution(*d, p, keys);
  EXPECT_TRUE(v) << v.message;
}

// A single node takes every key, and lookup_n of 1 works.
TEST_P(EveryAlgorithm, OneNodeTakesEverything) {
  const auto d = make_distribution(GetParam(), Membership::uniform(1));
  for (std::uint64_t h : testing::sample_keys(1000)) ASSERT_EQ(d->lookup(h), 0u);
  BucketId out[1];
  d->lookup_n(42, out);
  EXPECT_EQ(out[0], 0u);
}

// lookup_n for more replicas than nodes is an error, never a short or repeated answer.
TEST_P(EveryAlgorithm, LookupNBeyondTheNodeCountThrows) {
  const auto d = make_distribution(GetParam(), Membership::uniform(4));
  std::vector<BucketId> out(5);
  EXPECT_THROW(d->lookup_n(1, out), std::invalid_argument);
  d->lookup_n(1, std::span<BucketId>(out).first(0));  // zero replicas: nothing to do
}

// without(): unknown names and removing every node are errors; with(): duplicates, empty names and
// weight 0 are errors.
TEST_P(EveryAlgorithm, BadChangesThrow) {
  const auto d = make_distribution(GetParam(), Membership::uniform(3));
  const std::vector<std::string> unknown = {"nobody"};
  EXPECT_THROW(d->without(unknown), std::invalid_argument);
  const std::vector<std::string> all = {"node-0", "node-1", "node-2"};
  EXPECT_THROW(d->without(all), std::invalid_argument);
  EXPECT_THROW(d->with(Node{"node-1", 1}), std::invalid_argument);
  EXPECT_THROW(d->with(Node{"", 1}), std::invalid_argument);
  EXPECT_THROW(d->with(Node{"fresh", 0}), std::invalid_argument);
}

// The membership's own errors reach every caller before any algorithm runs.
TEST(Distribution, BadMembershipsThrow) {
  EXPECT_THROW(Membership({}), std::invalid_argument);
  EXPECT_THROW(Membership({{"a", 1}, {"a", 1}}), std::invalid_argument);
  EXPECT_THROW(Membership({{"", 1}}), std::invalid_argument);
  EXPECT_THROW(Membership({{"a", 0}}), std::invalid_argument);
}

// Bad options are errors naming the option.
TEST(Distribution, BadOptionsThrow) {
  const Membership m = Membership::uniform(5);
  auto expect_error = [&](std::string_view name, DistributionOptions o, std::string_view words) {
    try {
      make_distribution(name, m, o);
      ADD_FAILURE() << name << ": no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string(words))) << name;
    }
  };
  expect_error("ring", {.ring_points = 0}, "points_per_weight");
  expect_error("maglev", {.maglev_table_size = 65536}, "prime");
  expect_error("maglev", {.maglev_table_size = 3}, "smaller than");
  expect_error("multiprobe", {.multiprobe_probes = 0}, "probes");
  expect_error("anchor", {.anchor_capacity = 4}, "capacity");
  // Total weights beyond the slot tables' limit are refused, not silently rescaled.
  const Membership heavy({{"a", 4'000'000}, {"b", 1'000'000}});
  EXPECT_THROW(make_distribution("jump", heavy), std::invalid_argument);
  EXPECT_THROW(make_distribution("ring", heavy), std::invalid_argument);
}

// Anchor grows in place while it has free slots, and is rebuilt (still valid) once it has none.
TEST(Distribution, AnchorOutgrowsItsCapacityByRebuilding) {
  const auto d = make_distribution("anchor", Membership::uniform(2), {.anchor_capacity = 3});
  const auto three = d->with(Node{"n3", 1});
  const auto keys = testing::sample_keys(20'000);
  EXPECT_TRUE(testing::check_addition(*d, *three, std::vector<std::string>{"n3"}, keys));
  const auto four = three->with(Node{"n4", 1});  // beyond capacity 3
  EXPECT_EQ(four->membership().size(), 4u);
  EXPECT_TRUE(testing::check_balance(*four, keys, 1.1));
}

INSTANTIATE_TEST_SUITE_P(Names, EveryAlgorithm, ::testing::ValuesIn(algorithm_names()),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ringleader
