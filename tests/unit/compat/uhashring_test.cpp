// UhashringKetama agrees with the installed uhashring (python3-uhashring) on every key: the test runs
// /usr/bin/python3 with HashRing(nodes, hash_fn='ketama') and compares get_node() for each key.
#include "ringleader/compat/uhashring.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ringleader::compat {
namespace {

// Runs a Python program and returns its standard output.
std::string run_python(const std::string& program) {
  // One file per process: ctest -j runs each test of this program as its own process at once.
  const std::string path = ::testing::TempDir() + "uhashring_probe_" + std::to_string(::getpid()) + ".py";
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
    if (!f || std::fputs(program.c_str(), f.get()) < 0) throw std::runtime_error("cannot write " + path);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> p(popen((std::string(RINGLEADER_SYSTEM_PYTHON) + " " + path).c_str(), "r"), &pclose);
  if (!p) throw std::runtime_error("cannot run python3");
  std::string out;
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p.get())) > 0;) out.append(buffer, n);
  std::remove(path.c_str());
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) out.push_back(text.substr(start, nl - start));
  return out;
}

// `nodes_py` is the Python literal given to HashRing; `nodes` the same nodes for us.
void expect_agreement(const std::string& nodes_py, const std::vector<UhashringNode>& nodes, std::uint32_t replicas = 4) {
  constexpr int kKeys = 20000;
  const std::string program =
      "from uhashring import HashRing\n"
      "r = HashRing(" + nodes_py + ", hash_fn='ketama', replicas=" + std::to_string(replicas) + ")\n"
      "print('\\n'.join(r.get_node('key:%d' % i) for i in range(" + std::to_string(kKeys) + ")))\n"
      "print('\\n'.join(r.get_node('ü%dé' % i) for i in range(" + std::to_string(kKeys) + ")))\n";
  const auto theirs = lines(run_python(program));
  ASSERT_EQ(theirs.size(), 2u * kKeys) << "python3 with uhashring did not answer";
  const UhashringKetama ours(nodes, replicas);
  std::size_t wrong = 0;
  for (int i = 0; i < 2 * kKeys; ++i) {
    const std::string key = i < kKeys ? "key:" + std::to_string(i) : "\xC3\xBC" + std::to_string(i - kKeys) + "\xC3\xA9";
    const std::string& mine = ours.nodes()[ours.lookup(key)].name;
    if (mine != theirs[i] && ++wrong <= 3) ADD_FAILURE() << "key " << key << ": uhashring " << theirs[i] << ", ours " << mine;
  }
  EXPECT_EQ(wrong, 0u) << wrong << " of " << 2 * kKeys << " keys differ";
}

TEST(UhashringKetama, AgreesWithEqualNodes) {
  expect_agreement("['cache-a', 'cache-b', 'cache-c']", {{"cache-a"}, {"cache-b"}, {"cache-c"}});
}

// Weights (integer division of vnodes x nodes x weight by the total) and non-ASCII names.
TEST(UhashringKetama, AgreesWithWeightsAndUnicodeNames) {
  expect_agreement("{'a': 1, 'b': 3, 'nœud-ü': 2, 'd': 5}", {{"a", 1}, {"b", 3}, {"n\xC5\x93ud-\xC3\xBC", 2}, {"d", 5}});
}

// Per-node vnodes and fewer replicas per digest.
TEST(UhashringKetama, AgreesWithVnodesAndReplicas) {
  expect_agreement("{'x': {'vnodes': 10}, 'y': {'vnodes': 80, 'weight': 2}, 'z': {'weight': 1}}",
                   {{"x", 1, 10}, {"y", 2, 80}, {"z", 1, 40}}, 2);
}

// The bucket index finds what bisect_right over the whole circle finds.
TEST(UhashringKetama, IndexedLookupEqualsPlainBisectRight) {
  const UhashringKetama ring({{"a", 1}, {"b", 3}, {"c", 2}});
  const auto points = ring.points();
  std::uint32_t h = 12345;
  for (int i = 0; i < 100000; ++i) {
    h = h * 1664525u + 1013904223u;
    const std::uint32_t probe = i % 3 == 0 ? points[i % points.size()].value : h;  // exact hits too
    auto it = std::upper_bound(points.begin(), points.end(), probe,
                               [](std::uint32_t v, const ContinuumPoint& p) { return v < p.value; });
    if (it == points.end()) it = points.begin();
    ASSERT_EQ(ring.lookup_hash(probe), it->server) << probe;
  }
}

TEST(UhashringKetama, RejectsBadInput) {
  EXPECT_THROW(UhashringKetama({}), std::invalid_argument);
  EXPECT_THROW(UhashringKetama({{"a"}, {"a"}}), std::invalid_argument);
  EXPECT_THROW(UhashringKetama({{"a"}}, 5), std::invalid_argument);
  EXPECT_THROW(UhashringKetama({{"a", 1, 0}}), std::invalid_argument);
}

}  // namespace
}  // namespace ringleader::compat
