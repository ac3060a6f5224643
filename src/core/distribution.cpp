// make_distribution(): every algorithm of algo/ behind the runtime Distribution interface, chosen by
// name from one table (kAlgorithms), so config names, docs and code cannot drift apart.
#include "ringleader/distribution.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "ringleader/algo/anchor.hpp"
#include "ringleader/algo/jump.hpp"
#include "ringleader/algo/maglev.hpp"
#include "ringleader/algo/memento.hpp"
#include "ringleader/algo/modulo.hpp"
#include "ringleader/algo/multiprobe.hpp"
#include "ringleader/algo/rendezvous.hpp"
#include "ringleader/algo/ring.hpp"

namespace ringleader {

namespace {

// How each algorithm is built from the shared options.
algo::Modulo build(std::type_identity<algo::Modulo>, const Membership& m, const DistributionOptions&) {
  return algo::Modulo(m);
}
algo::Ring build(std::type_identity<algo::Ring>, const Membership& m, const DistributionOptions& o) {
  return algo::Ring(m, {.points_per_weight = o.ring_points});
}
algo::Jump build(std::type_identity<algo::Jump>, const Membership& m, const DistributionOptions&) {
  return algo::Jump(m);
}
algo::Anchor build(std::type_identity<algo::Anchor>, const Membership& m, const DistributionOptions& o) {
  return algo::Anchor(m, {.capacity = o.anchor_capacity});
}
algo::Memento build(std::type_identity<algo::Memento>, const Membership& m, const DistributionOptions&) {
  return algo::Memento(m);
}
algo::Maglev build(std::type_identity<algo::Maglev>, const Membership& m, const DistributionOptions& o) {
  return algo::Maglev(m, {.table_size = o.maglev_table_size});
}
algo::Rendezvous build(std::type_identity<algo::Rendezvous>, const Membership& m, const DistributionOptions&) {
  return algo::Rendezvous(m);
}
algo::MultiProbe build(std::type_identity<algo::MultiProbe>, const Membership& m, const DistributionOptions& o) {
  return algo::MultiProbe(m, {.probes = o.multiprobe_probes});
}

// Anchor and Memento remove (and add) in place; every other algorithm rebuilds.
template <class Algo>
constexpr bool kInPlace = std::is_same_v<Algo, algo::Anchor> || std::is_same_v<Algo, algo::Memento>;

template <class Algo>
class Adapter final : public Distribution {
 public:
  Adapter(std::string_view name, Algo algo, const DistributionOptions& options)
      : name_(name), algo_(std::move(algo)), options_(options) {}

  std::string_view algorithm() const noexcept override { return name_; }
  const Membership& membership() const noexcept override { return algo_.membership(); }
  BucketId lookup(std::uint64_t key_hash) const noexcept override { return algo_.lookup(key_hash); }
  void lookup_n(std::uint64_t key_hash, std::span<BucketId> out) const override { algo_.lookup_n(key_hash, out); }
  std::size_t memory_bytes() const noexcept override { return algo_.memory_bytes(); }

  std::unique_ptr<Distribution> without(std::span<const std::string> names) const override {
    if constexpr (kInPlace<Algo>) {
      return std::make_unique<Adapter>(name_, algo_.without(names), options_);
    } else {
      Membership smaller = algo_.membership();
      for (const std::string& name : names) smaller = smaller.without(name);
      return rebuilt(smaller);
    }
  }

  std::unique_ptr<Distribution> with(const Node& node) const override {
    if constexpr (std::is_same_v<Algo, algo::Anchor>) {
      if (node.weight <= algo_.free_slots()) return std::make_unique<Adapter>(name_, algo_.with(node), options_);
      // Capacity exhausted: a bigger anchor has to be built from scratch, which moves keys.
      DistributionOptions bigger = options_;
      bigger.anchor_capacity = 0;
      const Membership more = algo_.membership().with(node);
      return std::make_unique<Adapter>(name_, build(std::type_identity<Algo>{}, more, bigger), bigger);
    } else if constexpr (kInPlace<Algo>) {
      return std::make_unique<Adapter>(name_, algo_.with(node), options_);
    } else {
      return rebuilt(algo_.membership().with(node));
    }
  }

 private:
  std::unique_ptr<Distribution> rebuilt(const Membership& nodes) const {
    return std::make_unique<Adapter>(name_, build(std::type_identity<Algo>{}, nodes, options_), options_);
  }

  std::string_view name_;
  Algo algo_;
  DistributionOptions options_;
};

template <class Algo>
std::unique_ptr<Distribution> make(std::string_view name, const Membership& nodes, const DistributionOptions& o) {
  return std::make_unique<Adapter<Algo>>(name, build(std::type_identity<Algo>{}, nodes, o), o);
}

struct Entry {
  std::string_view name;
  std::unique_ptr<Distribution> (*make)(std::string_view, const Membership&, const DistributionOptions&);
};

// The one table of names. "modulo" first: the baseline.
constexpr std::array kAlgorithms = {
    Entry{"modulo", &make<algo::Modulo>},     Entry{"ring", &make<algo::Ring>},
    Entry{"jump", &make<algo::Jump>},         Entry{"anchor", &make<algo::Anchor>},
    Entry{"memento", &make<algo::Memento>},   Entry{"maglev", &make<algo::Maglev>},
    Entry{"rendezvous", &make<algo::Rendezvous>}, Entry{"multiprobe", &make<algo::MultiProbe>},
};

constexpr auto kNames = [] {
  std::array<std::string_view, kAlgorithms.size()> names{};
  for (std::size_t i = 0; i < kAlgorithms.size(); ++i) names[i] = kAlgorithms[i].name;
  return names;
}();

}  // namespace

std::unique_ptr<Distribution> make_distribution(std::string_view algorithm, const Membership& nodes,
                                                const DistributionOptions& options) {
  for (const Entry& e : kAlgorithms)
    if (e.name == algorithm) return e.make(e.name, nodes, options);
  std::string known;
  for (std::string_view n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
  throw std::invalid_argument("unknown algorithm '" + std::string(algorithm) + "' (known: " + known + ")");
}

std::span<const std::string_view> algorithm_names() noexcept { return kNames; }

}  // namespace ringleader
