// Lookup, end-to-end and build cost of every algorithm at n = 10, 1000 and 100000 nodes, with the
// memory of each table as a counter. Results and the machine they came from: docs/benchmarks.md.
//
//   lookup/<algo>/<n>   pre-hashed keys: one lookup per iteration, keys streamed from a 64 Ki array,
//                       lookups independent of each other (throughput, as the proxy issues them)
//   latency/<algo>/<n>  the same, but each key depends on the previous answer, so lookups cannot
//                       overlap: the cost of one lookup alone, cache misses fully exposed
//   e2e/<algo>/<n>      a 16-byte string key: xxh3 + lookup (independent, like lookup/)
//   build/<algo>/<n>    constructing the table from the membership
//
// Variants: anchor (default capacity = 2 x weight), anchor_full (capacity = weight: the paper's "no
// removals"), anchor_half_removed and memento_half_removed (every other node removed in place).
// Maglev uses its default table (65537) up to n = 1000 and the smallest prime >= 100 n beyond, as the
// paper recommends (section 5.3); the default is smaller than 100000 nodes.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ringleader/algo/anchor.hpp"
#include "ringleader/algo/bounded_load.hpp"
#include "ringleader/algo/jump.hpp"
#include "ringleader/algo/maglev.hpp"
#include "ringleader/algo/memento.hpp"
#include "ringleader/algo/modulo.hpp"
#include "ringleader/algo/multiprobe.hpp"
#include "ringleader/algo/rendezvous.hpp"
#include "ringleader/algo/ring.hpp"
#include "ringleader/distribution.hpp"
#include "ringleader/hash/xxh3.hpp"
#include "ringleader/testing/checker.hpp"

namespace {

using namespace ringleader;

constexpr std::size_t kKeys = 1 << 16;

const std::vector<std::uint64_t>& hashed_keys() {
  static const std::vector<std::uint64_t> keys = testing::sample_keys(kKeys, 2024);
  return keys;
}

// 16-byte keys "user:00000000042", back to back.
const std::vector<char>& string_keys() {
  static const std::vector<char> keys = [] {
    std::vector<char> k(kKeys * 16 + 1);
    for (std::size_t i = 0; i < kKeys; ++i) std::snprintf(&k[i * 16], 17, "user:%011zu", i * 7919);
    return k;
  }();
  return keys;
}

std::uint32_t prime_at_least(std::uint32_t m) {
  auto prime = [](std::uint32_t x) {
    for (std::uint32_t d = 2; d * d <= x; ++d)
      if (x % d == 0) return false;
    return x >= 2;
  };
  while (!prime(m)) ++m;
  return m;
}

std::vector<std::string> every_other_name(const Membership& m) {
  std::vector<std::string> names;
  for (BucketId id = 1; id < m.size(); id += 2) names.push_back(m[id].name);
  return names;
}

// One table alive at a time: the 100000-node ring alone is ~200 MB.
std::shared_ptr<void> g_table;
std::string g_table_key;

template <class Algo>
const Algo& table(const std::string& key, const std::function<Algo(std::size_t)>& make, std::size_t n) {
  if (g_table_key != key) {
    g_table.reset();
    g_table = std::make_shared<Algo>(make(n));
    g_table_key = key;
  }
  return *static_cast<const Algo*>(g_table.get());
}

template <class Algo>
void register_algorithm(const std::string& name, std::function<Algo(std::size_t)> make) {
  for (std::size_t n : {10u, 1000u, 100000u}) {
    const std::string key = name + "/" + std::to_string(n);
    benchmark::RegisterBenchmark(("lookup/" + key).c_str(), [=](benchmark::State& state) {
      const Algo& t = table<Algo>(key, make, n);
      const std::uint64_t* keys = hashed_keys().data();
      std::size_t i = 0;
      for (auto _ : state) {
        benchmark::DoNotOptimize(t.lookup(keys[i]));
        i = (i + 1) & (kKeys - 1);
      }
      state.counters["memory_bytes"] = static_cast<double>(t.memory_bytes());
    });
    benchmark::RegisterBenchmark(("latency/" + key).c_str(), [=](benchmark::State& state) {
      const Algo& t = table<Algo>(key, make, n);
      const std::uint64_t* keys = hashed_keys().data();
      std::size_t i = 0;
      BucketId previous = 0;
      for (auto _ : state) {
        previous = t.lookup(keys[i] ^ previous);  // each lookup waits for the one before
        i = (i + 1) & (kKeys - 1);
      }
      benchmark::DoNotOptimize(previous);
    });
    benchmark::RegisterBenchmark(("e2e/" + key).c_str(), [=](benchmark::State& state) {
      const Algo& t = table<Algo>(key, make, n);
      const char* keys = string_keys().data();
      std::size_t i = 0;
      for (auto _ : state) {
        benchmark::DoNotOptimize(t.lookup(hash::xxh3(std::string_view(keys + i * 16, 16))));
        i = (i + 1) & (kKeys - 1);
      }
    });
    benchmark::RegisterBenchmark(("build/" + key).c_str(), [=](benchmark::State& state) {
      g_table.reset();  // building needs the memory more than the cache does
      g_table_key.clear();
      std::size_t bytes = 0;
      for (auto _ : state) {
        const Algo t = make(n);
        bytes = t.memory_bytes();
        benchmark::DoNotOptimize(&t);
      }
      state.counters["memory_bytes"] = static_cast<double>(bytes);
    })->Unit(benchmark::kMillisecond);
  }
}

// The runtime interface (a virtual call), the bounded-load decorator over Maglev, and the ring
// searched with std::lower_bound (the reference point the ring's index is measured against).
void register_wrappers() {
  for (const bool dependent : {false, true}) {
    benchmark::RegisterBenchmark(dependent ? "latency/ring_lower_bound/1000" : "lookup/ring_lower_bound/1000",
                                 [dependent](benchmark::State& state) {
      const algo::Ring r(Membership::uniform(1000));
      const std::uint64_t* keys = hashed_keys().data();
      std::size_t i = 0;
      BucketId previous = 0;
      for (auto _ : state) {
        previous = r.lookup_by_binary_search(keys[i] ^ (dependent ? previous : 0));
        benchmark::DoNotOptimize(previous);
        i = (i + 1) & (kKeys - 1);
      }
    });
  }
  benchmark::RegisterBenchmark("lookup/distribution:maglev/1000", [](benchmark::State& state) {
    const auto d = make_distribution("maglev", Membership::uniform(1000));
    const std::uint64_t* keys = hashed_keys().data();
    std::size_t i = 0;
    for (auto _ : state) {
      benchmark::DoNotOptimize(d->lookup(keys[i]));
      i = (i + 1) & (kKeys - 1);
    }
  });
  benchmark::RegisterBenchmark("acquire_release/bounded_load:maglev/1000", [](benchmark::State& state) {
    algo::BoundedLoad bounded(std::make_shared<const algo::Maglev>(Membership::uniform(1000)), 1.25);
    const std::uint64_t* keys = hashed_keys().data();
    std::size_t i = 0;
    for (auto _ : state) {
      bounded.release(bounded.acquire(keys[i]));
      i = (i + 1) & (kKeys - 1);
    }
  });
}

const bool registered = [] {
  register_algorithm<algo::Modulo>("modulo", [](std::size_t n) { return algo::Modulo(Membership::uniform(n)); });
  register_algorithm<algo::Ring>("ring", [](std::size_t n) { return algo::Ring(Membership::uniform(n)); });
  register_algorithm<algo::Jump>("jump", [](std::size_t n) { return algo::Jump(Membership::uniform(n)); });
  register_algorithm<algo::Anchor>("anchor", [](std::size_t n) { return algo::Anchor(Membership::uniform(n)); });
  register_algorithm<algo::Anchor>("anchor_full", [](std::size_t n) {
    return algo::Anchor(Membership::uniform(n), {.capacity = static_cast<std::uint32_t>(n)});
  });
  register_algorithm<algo::Anchor>("anchor_half_removed", [](std::size_t n) {
    const Membership m = Membership::uniform(n);
    return algo::Anchor(m, {.capacity = static_cast<std::uint32_t>(n)}).without(every_other_name(m));
  });
  register_algorithm<algo::Memento>("memento", [](std::size_t n) { return algo::Memento(Membership::uniform(n)); });
  register_algorithm<algo::Memento>("memento_half_removed", [](std::size_t n) {
    const Membership m = Membership::uniform(n);
    return algo::Memento(m).without(every_other_name(m));
  });
  register_algorithm<algo::Maglev>("maglev", [](std::size_t n) {
    const auto size = n <= 1000 ? 65537u : prime_at_least(static_cast<std::uint32_t>(100 * n));
    return algo::Maglev(Membership::uniform(n), {.table_size = size});
  });
  register_algorithm<algo::Rendezvous>("rendezvous", [](std::size_t n) { return algo::Rendezvous(Membership::uniform(n)); });
  register_algorithm<algo::MultiProbe>("multiprobe", [](std::size_t n) { return algo::MultiProbe(Membership::uniform(n)); });
  register_wrappers();
  return true;
}();

}  // namespace
