// A nutcracker.yml pool with `hash: md5` and `distribution: ketama` over unnamed servers places keys
// exactly as libmemcached with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED does over the same servers, so the
// placement (and `ringleader locate`) can stand in for libmemcached clients too. Checked live against
// libmemcached's memcached_generate_hash(); no server is contacted.
#include <libmemcached/memcached.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.hpp"

namespace ringleader::config {
namespace {

struct MemcachedDeleter {
  void operator()(memcached_st* m) const { memcached_free(m); }
};

TEST(LibmemcachedPlacement, Md5KetamaPoolAgreesWithLibmemcached) {
  const Config config = parse(R"(fleet:
  listen: 127.0.0.1:22121
  hash: md5
  distribution: ketama
  servers:
   - 10.0.0.1:11211:1
   - 10.0.0.2:11211:3
   - 10.0.0.3:11212:2
   - cache-d.example:11211:1
   - cache-e.example:21211:5
)");
  const Pool& pool = config.pool("fleet");
  const Placement placement = make_placement(pool);

  std::unique_ptr<memcached_st, MemcachedDeleter> memc(memcached_create(nullptr));
  ASSERT_TRUE(memc);
  ASSERT_EQ(memcached_behavior_set(memc.get(), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1), MEMCACHED_SUCCESS);
  for (const Server& s : pool.servers)
    ASSERT_EQ(memcached_server_add_with_weight(memc.get(), s.host.c_str(), s.port, s.weight), MEMCACHED_SUCCESS);

  std::size_t wrong = 0;
  constexpr int kKeys = 50000;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "session:" + std::to_string(i * 7919);
    const std::uint32_t theirs = memcached_generate_hash(memc.get(), key.data(), key.size());
    if (placement.server_for(key) != theirs && ++wrong <= 3)
      ADD_FAILURE() << key << ": libmemcached " << theirs << ", placement " << placement.server_for(key);
  }
  EXPECT_EQ(wrong, 0u) << wrong << " of " << kKeys << " keys differ";
}

}  // namespace
}  // namespace ringleader::config
