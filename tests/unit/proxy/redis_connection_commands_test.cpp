// A pool with redis_auth and users: what a client may do before it authenticates, AUTH and HELLO's
// AUTH option as Redis 7 answers them (the suite's integration test covers a pool without a password).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/redis/commands.hpp"
#include "proxy/redis/connection_commands.hpp"

namespace ringleader::proxy::redis {
namespace {

config::Pool with_password() {
  config::Pool pool;
  pool.redis_auth = "s3cret";
  // bob's password is "bob-pw": its SHA-256
  pool.redis_users = {{"alice", "alice-pw"},
                      {"bob", "sha256:a023c4e07c00f0beb6f452a7da3699d38b42c3527ff00d9a9c65a65f254e768f"}};
  return pool;
}

class ConnectionCommands : public ::testing::Test {
 protected:
  std::string send(std::vector<std::string_view> args) {
    return answer_connection_command(*find_command(args[0]), args, pool, state);
  }

  config::Pool pool = with_password();
  ConnectionState state{pool};
};

TEST_F(ConnectionCommands, HelloWithoutAuthIsRefusedUntilTheClientAuthenticates) {
  ASSERT_FALSE(state.authenticated);
  EXPECT_TRUE(send({"HELLO", "2"}).starts_with("-NOAUTH HELLO must be called with the client already authenticated"));
  EXPECT_EQ(send({"HELLO", "2", "AUTH", "default", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(state.authenticated);
  EXPECT_TRUE(send({"HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "worker-1"}).starts_with("*16\r\n"));
  EXPECT_TRUE(state.authenticated);
  EXPECT_EQ(state.name, "worker-1");
  EXPECT_TRUE(send({"HELLO"}).starts_with("*16\r\n"));  // authenticated now
}

// HELLO 3 switches the client to RESP3 (once authenticated): HELLO's map, a null for no name,
// INFO as a verbatim string; HELLO 2 and RESET switch back, and an unknown version changes nothing.
TEST_F(ConnectionCommands, Resp3) {
  EXPECT_TRUE(send({"HELLO", "3"}).starts_with("-NOAUTH"));
  EXPECT_EQ(state.resp, 2);
  EXPECT_TRUE(send({"HELLO", "3", "AUTH", "default", "s3cret"}).starts_with("%8\r\n$6\r\nserver\r\n"));
  EXPECT_EQ(state.resp, 3);
  EXPECT_EQ(send({"CLIENT", "GETNAME"}), "_\r\n");
  EXPECT_TRUE(send({"INFO"}).starts_with("="));
  EXPECT_NE(send({"HELLO"}).find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(send({"HELLO", "1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(state.resp, 3);
  EXPECT_TRUE(send({"HELLO", "2"}).starts_with("*16\r\n"));
  EXPECT_EQ(send({"CLIENT", "GETNAME"}), "$-1\r\n");
  send({"HELLO", "3"});
  EXPECT_EQ(send({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(state.resp, 2);
}

// A HELLO whose options are wrong changes nothing, the name included.
TEST_F(ConnectionCommands, AFailedHelloChangesNothing) {
  EXPECT_EQ(send({"HELLO", "2", "SETNAME", "n", "AUTH", "default", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_TRUE(state.name.empty());
  EXPECT_EQ(send({"HELLO", "2", "SETNAME", "bad name"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
}

TEST_F(ConnectionCommands, AuthTakesThePasswordOrTheDefaultUser) {
  EXPECT_EQ(send({"AUTH", "alice", "s3cret"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(send({"AUTH", "default", "s3cret"}), "+OK\r\n");
  EXPECT_TRUE(state.authenticated);
  EXPECT_EQ(send({"AUTH", "wrong"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_TRUE(state.authenticated);  // a refused AUTH changes nothing, as in Redis
  EXPECT_EQ(send({"AUTH", "s3cret"}), "+OK\r\n");
  EXPECT_EQ(send({"AUTH"}), "-ERR wrong number of arguments for 'auth' command\r\n");
}

// ACL users of the pool (redis_users): a password written out, or its SHA-256.
TEST_F(ConnectionCommands, UsersOfThePool) {
  EXPECT_EQ(send({"AUTH", "alice", "s3cret"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(state.authenticated);
  EXPECT_EQ(send({"AUTH", "alice", "alice-pw"}), "+OK\r\n");
  EXPECT_EQ(send({"AUTH", "bob", "bob-pw"}), "+OK\r\n");
  EXPECT_EQ(send({"AUTH", "bob", "a023c4e07c00f0beb6f452a7da3699d38b42c3527ff00d9a9c65a65f254e768f"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");  // the hash is no password
  EXPECT_TRUE(send({"HELLO", "2", "AUTH", "bob", "bob-pw"}).starts_with("*16\r\n"));
  EXPECT_TRUE(state.authenticated);
  EXPECT_EQ(send({"AUTH", "carol", "x"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
}

TEST_F(ConnectionCommands, SelectOfThePoolsDb) {
  pool.redis_db = 3;
  EXPECT_EQ(send({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(send({"select", "0"}), "-ERR SELECT 0 is not supported by proxy: the pool's servers use db 3\r\n");
  EXPECT_EQ(send({"SELECT", "-1"}), "-ERR value is not an integer or out of range\r\n");
}

// RESET forgets the name and the authentication (the pool has a password), and keeps the id.
TEST_F(ConnectionCommands, ResetReturnsToANewConnectionsState) {
  ASSERT_EQ(send({"AUTH", "s3cret"}), "+OK\r\n");
  ASSERT_EQ(send({"CLIENT", "SETNAME", "x"}), "+OK\r\n");
  const std::uint64_t id = state.id;
  EXPECT_EQ(send({"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(state.authenticated);
  EXPECT_TRUE(state.name.empty());
  EXPECT_EQ(state.id, id);
  EXPECT_EQ(send({"RESET", "now"}), "-ERR wrong number of arguments for 'reset' command\r\n");
}

// INFO answers the proxy's Server section, and an empty one for sections it does not have.
TEST_F(ConnectionCommands, InfoIsTheProxysServerSection) {
  const std::string all = send({"INFO"});
  EXPECT_TRUE(all.starts_with("$")) << all;
  EXPECT_NE(all.find("\r\n# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nproxy:ringleader\r\n"),
            std::string::npos) << all;
  EXPECT_EQ(send({"INFO", "SERVER"}), all);
  EXPECT_EQ(send({"INFO", "keyspace"}), "$0\r\n\r\n");
}

TEST_F(ConnectionCommands, EachConnectionHasItsOwnId) {
  const ConnectionState other(pool);
  EXPECT_NE(other.id, state.id);
  EXPECT_EQ(send({"CLIENT", "ID"}), ":" + std::to_string(state.id) + "\r\n");
}

}  // namespace
}  // namespace ringleader::proxy::redis
