// redis::find_command and command_keys: how each command is routed and where its keys are.
#include <gtest/gtest.h>

#include "proxy/redis/commands.hpp"

namespace ringleader::proxy::redis {
namespace {

std::vector<std::string_view> keys_of(std::vector<std::string_view> args) {
  std::vector<std::string_view> keys;
  const CommandSpec* spec = find_command(args[0]);
  EXPECT_NE(spec, nullptr) << args[0];
  if (spec == nullptr || !command_keys(*spec, args, keys)) return {"<error>"};
  return keys;
}

// Names are found in any case; unknown names are not.
TEST(RedisCommands, Lookup) {
  ASSERT_NE(find_command("get"), nullptr);
  EXPECT_EQ(find_command("GeT")->name, "GET");
  EXPECT_EQ(find_command("RANDOMKEY")->routing, Routing::unsupported);
  EXPECT_EQ(find_command("KEYS")->routing, Routing::fan_out);
  EXPECT_TRUE(find_command("BLPOP")->blocks);
  EXPECT_EQ(find_command("MULTI")->routing, Routing::transaction);
  EXPECT_EQ(find_command("MGET")->routing, Routing::split_values);
  EXPECT_EQ(find_command("nosuchcommand"), nullptr);
  EXPECT_EQ(find_command(std::string(100, 'A')), nullptr);
}

// Key positions follow Redis's key specs.
TEST(RedisCommands, Keys) {
  EXPECT_EQ(keys_of({"SET", "k", "v"}), (std::vector<std::string_view>{"k"}));
  EXPECT_EQ(keys_of({"MSET", "a", "1", "b", "2"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"MSET", "a", "1", "b"}), (std::vector<std::string_view>{"<error>"}));
  EXPECT_EQ(keys_of({"RENAME", "a", "b"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"EVAL", "return 1", "2", "x", "y", "arg"}), (std::vector<std::string_view>{"x", "y"}));
  EXPECT_EQ(keys_of({"EVAL", "return 1", "3", "x"}), (std::vector<std::string_view>{"<error>"}));
  EXPECT_EQ(keys_of({"ZUNIONSTORE", "d", "2", "a", "b"}), (std::vector<std::string_view>{"d", "a", "b"}));
  EXPECT_EQ(keys_of({"BITOP", "AND", "d", "a"}), (std::vector<std::string_view>{"d", "a"}));
  EXPECT_EQ(keys_of({"GET"}), (std::vector<std::string_view>{"<error>"}));
  // Blocking commands: the timeout is not a key; BLMPOP's count follows it.
  EXPECT_EQ(keys_of({"BLPOP", "a", "b", "0"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"BLPOP", "0"}), (std::vector<std::string_view>{"<error>"}));
  EXPECT_EQ(keys_of({"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"BLMPOP", "0", "2", "a", "b", "LEFT"}), (std::vector<std::string_view>{"a", "b"}));
  // Streams: the keys after STREAMS (as many IDs follow); BLOCK makes them blocking.
  EXPECT_EQ(keys_of({"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"XREADGROUP", "GROUP", "streams", "c", "STREAMS", "a", ">"}), (std::vector<std::string_view>{"a"}));
  EXPECT_EQ(keys_of({"XREAD", "STREAMS", "a", "b", "0"}), (std::vector<std::string_view>{"<error>"}));
  EXPECT_EQ(keys_of({"XREAD", "COUNT", "2"}), (std::vector<std::string_view>{"<error>"}));
  const std::string_view blocking[] = {"XREAD", "BLOCK", "0", "STREAMS", "a", "$"};
  const std::string_view plain[] = {"XREAD", "STREAMS", "block", "$"};
  EXPECT_TRUE(find_command("XREAD")->blocks_with(blocking));
  EXPECT_FALSE(find_command("XREAD")->blocks_with(plain));
  // Transactions: WATCH's keys; the others take no arguments.
  EXPECT_EQ(keys_of({"WATCH", "a", "b"}), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(keys_of({"WATCH"}), (std::vector<std::string_view>{"<error>"}));
  EXPECT_EQ(keys_of({"MULTI"}), (std::vector<std::string_view>{}));
  EXPECT_EQ(keys_of({"EXEC", "x"}), (std::vector<std::string_view>{"<error>"}));
}

}  // namespace
}  // namespace ringleader::proxy::redis
