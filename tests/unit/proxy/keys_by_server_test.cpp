// KeysByServer groups a request's keys by server: parts in first-seen order, keys in request order.
#include <vector>

#include <gtest/gtest.h>

#include "proxy/keys_by_server.hpp"

namespace ringleader::proxy {
namespace {

std::vector<std::uint32_t> keys_of(const KeysByServer& split, std::uint32_t part) {
  const auto keys = split.keys(part);
  return {keys.begin(), keys.end()};
}

// Keys on servers 7, 2, 7, 5, 2: three parts, each listing its keys in the client's order.
TEST(KeysByServer, GroupsInFirstSeenOrderAndKeepsRequestOrder) {
  KeysByServer split;
  split.group(std::vector<std::uint32_t>{7, 2, 7, 5, 2});
  ASSERT_EQ(split.parts(), 3u);
  EXPECT_EQ(split.server(0), 7u);
  EXPECT_EQ(split.server(1), 2u);
  EXPECT_EQ(split.server(2), 5u);
  EXPECT_EQ(keys_of(split, 0), (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(keys_of(split, 1), (std::vector<std::uint32_t>{1, 4}));
  EXPECT_EQ(keys_of(split, 2), (std::vector<std::uint32_t>{3}));
}

// Reused for the next request (and after trim), nothing of the previous one remains.
TEST(KeysByServer, ReuseForgetsThePreviousRequest) {
  KeysByServer split;
  split.group(std::vector<std::uint32_t>{1, 2, 3, 1});
  split.trim(0);
  split.group(std::vector<std::uint32_t>{4, 4});
  ASSERT_EQ(split.parts(), 1u);
  EXPECT_EQ(split.server(0), 4u);
  EXPECT_EQ(keys_of(split, 0), (std::vector<std::uint32_t>{0, 1}));
}

}  // namespace
}  // namespace ringleader::proxy
