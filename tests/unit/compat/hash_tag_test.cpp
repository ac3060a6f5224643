// twemproxy's hash_tag: the text between the first opening character and the next closing one, when
// it is non-empty; otherwise the whole key.
#include "ringleader/compat/hash_tag.hpp"

#include <gtest/gtest.h>

namespace ringleader::compat {
namespace {

TEST(HashTag, PartHashed) {
  struct Case {
    std::string_view key, tag, part;
  } cases[] = {
      {"user:{42}:name", "{}", "42"},   {"{42}", "{}", "42"},           {"user:{}:name", "{}", "user:{}:name"},
      {"user:{42", "{}", "user:{42"},   {"user:42}", "{}", "user:42}"}, {"}{a}", "{}", "a"},
      {"{{a}}", "{}", "{a"},            {"{a}{b}", "{}", "a"},          {"plain", "{}", "plain"},
      {"a:b:c", "::", "b"},             {"user:{42}", "", "user:{42}"}, {"", "{}", ""},
      {"x[y]z", "[]", "y"},             {"x{y}z", "[]", "x{y}z"},
  };
  for (const Case& c : cases) EXPECT_EQ(hash_tag_part(c.key, c.tag), c.part) << c.key << " tag " << c.tag;
}

}  // namespace
}  // namespace ringleader::compat
