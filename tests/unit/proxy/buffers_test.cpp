// clear_and_trim: reused buffers keep a small capacity and give a large one back.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/buffers.hpp"

namespace ringleader::proxy {
namespace {

TEST(ClearAndTrim, KeepsASmallCapacityForReuse) {
  std::string buffer(1000, 'x');
  const auto capacity = buffer.capacity();
  clear_and_trim(buffer, 4096);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity(), capacity);
}

TEST(ClearAndTrim, GivesALargeCapacityBack) {
  std::string buffer(1 << 20, 'x');  // a large value went through
  clear_and_trim(buffer, 4096);
  EXPECT_TRUE(buffer.empty());
  EXPECT_LE(buffer.capacity(), 4096u);

  std::vector<int> keys(100000);  // a request with many keys
  clear_and_trim(keys, 256);
  EXPECT_TRUE(keys.empty());
  EXPECT_LE(keys.capacity(), 256u);
}

}  // namespace
}  // namespace ringleader::proxy
