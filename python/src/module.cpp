// ringleader._native: the pybind11 module under `import ringleader`.
//
// It builds placements (the library's algorithms, uhashring's rings, twemproxy pools) and hands each
// back as a Router (router.hpp), the object keys are looked up in. The pure-Python package
// (python/ringleader/) turns these few functions into uhashring's HashRing and one class per
// algorithm. C++ errors become Python exceptions carrying the library's message: std::invalid_argument
// -> ValueError (pybind11's own translation), config errors -> ringleader.ConfigError.
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bounded_load_binding.hpp"
#include "distribution_placement.hpp"
#include "pool_placement.hpp"
#include "ringleader/distribution.hpp"
#include "router.hpp"
#include "uhashring_placement.hpp"

namespace py = pybind11;
using namespace ringleader;
using namespace ringleader::python;

namespace {

Membership membership(const std::vector<std::pair<std::string, std::uint32_t>>& nodes) {
  std::vector<Node> list;
  list.reserve(nodes.size());
  for (const auto& [name, weight] : nodes) list.push_back({name, weight});
  return Membership(std::move(list));
}

template <class P>
const P& placement_as(py::handle router, const char* what) {
  const P* placement = dynamic_cast<const P*>(placement_of(router).get());
  if (placement == nullptr) throw py::type_error(std::string("expected a Router over ") + what);
  return *placement;
}

// Python ints are unbounded; pybind11 converts at most 64 bits, so the halves are joined in Python.
py::int_ to_python(compat::Uint128 value) {
  const py::int_ high(static_cast<std::uint64_t>(value >> 64));
  const py::int_ low(static_cast<std::uint64_t>(value));
  return py::int_(high.attr("__lshift__")(64).attr("__or__")(low));
}

py::object distribution(const std::string& algorithm, const std::vector<std::pair<std::string, std::uint32_t>>& nodes,
                        std::optional<std::uint32_t> ring_points, std::optional<std::uint32_t> maglev_table_size,
                        std::optional<std::uint32_t> multiprobe_probes) {
  DistributionOptions options;
  if (ring_points) options.ring_points = *ring_points;
  if (maglev_table_size) options.maglev_table_size = *maglev_table_size;
  if (multiprobe_probes) options.multiprobe_probes = *multiprobe_probes;
  return make_router(std::make_shared<DistributionPlacement>(make_distribution(algorithm, membership(nodes), options)));
}

py::object uhashring(const std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>>& nodes,
                     const std::string& hash_fn, std::uint32_t replicas) {
  if (hash_fn == "ketama") {
    std::vector<compat::UhashringNode> list;
    for (const auto& [name, weight, vnodes] : nodes) list.push_back({name, weight, vnodes});
    return make_router(std::make_shared<UhashringKetamaPlacement>(std::move(list), replicas));
  }
  if (hash_fn == "md5") {
    std::vector<compat::UhashringMd5Node> list;
    for (const auto& [name, weight, vnodes] : nodes) list.push_back({name, weight, vnodes});
    return make_router(std::make_shared<UhashringMd5Placement>(std::move(list)));
  }
  throw py::value_error("uhashring's hash_fn is 'ketama' or 'md5' (its default), got '" + hash_fn + "'");
}

py::list uhashring_points(py::handle router) {
  py::list points;
  const Placement& placement = *placement_of(router);
  if (const auto* ketama = dynamic_cast<const UhashringKetamaPlacement*>(&placement)) {
    for (const compat::ContinuumPoint& p : ketama->ring().points())
      points.append(py::make_tuple(p.value, ketama->name(p.server)));
  } else {
    const auto& md5 = placement_as<UhashringMd5Placement>(router, "a uhashring ring").ring();
    for (std::size_t i = 0; i < md5.points().size(); ++i)
      points.append(py::make_tuple(to_python(md5.points()[i]), md5.nodes()[md5.owners()[i]].name));
  }
  return points;
}

py::int_ uhashring_key(const std::string& hash_fn, py::handle key) {
  if (hash_fn == "ketama") return py::int_(compat::UhashringKetama::hash(key_bytes(key)));
  if (hash_fn == "md5") return to_python(compat::UhashringMd5::hash(key_bytes(key)));
  throw py::value_error("uhashring's hash_fn is 'ketama' or 'md5' (its default), got '" + hash_fn + "'");
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "ringleader's native core; use the `ringleader` package, not this module.";
  add_router_type(m);

  m.def("algorithm_names", [] {
    std::vector<std::string> names;
    for (std::string_view name : algorithm_names()) names.emplace_back(name);
    return names;
  }, "Every algorithm name distribution() accepts, the baseline ('modulo') first.");

  m.def("xxh3", [](py::handle key) { return hash::xxh3(key_bytes(key)); }, py::arg("key"),
        "XXH3-64 (seed 0) of a str (its UTF-8) or bytes key: the hash the algorithms place keys by.");

  m.def("distribution", &distribution, py::arg("algorithm"), py::arg("nodes"), py::arg("ring_points") = py::none(),
        py::arg("maglev_table_size") = py::none(), py::arg("multiprobe_probes") = py::none(),
        "A Router over the named algorithm; nodes are (name, weight) pairs.");

  m.def("without", [](py::handle router, const std::vector<std::string>& names) {
    const auto& placement = placement_as<DistributionPlacement>(router, "an algorithm");
    return make_router(std::make_shared<DistributionPlacement>(placement.distribution().without(names)));
  }, py::arg("router"), py::arg("names"), "The Router after these nodes leave (in place where the algorithm can).");

  m.def("with_node", [](py::handle router, const std::string& name, std::uint32_t weight) {
    const auto& placement = placement_as<DistributionPlacement>(router, "an algorithm");
    return make_router(std::make_shared<DistributionPlacement>(placement.distribution().with(Node{name, weight})));
  }, py::arg("router"), py::arg("name"), py::arg("weight"), "The Router after one node joins.");

  m.def("memory_bytes", [](py::handle router) {
    return placement_as<DistributionPlacement>(router, "an algorithm").distribution().memory_bytes();
  }, py::arg("router"), "Bytes of the algorithm's lookup tables.");

  m.def("uhashring", &uhashring, py::arg("nodes"), py::arg("hash_fn"), py::arg("replicas") = 4,
        "A Router over uhashring's ring (hash_fn 'ketama' or 'md5', its default); nodes are (name, weight, vnodes)\n"
        "triples in insertion order.");

  m.def("uhashring_points", &uhashring_points, py::arg("router"), "uhashring's get_points(): (point, node) in ring order.");
  m.def("uhashring_key", &uhashring_key, py::arg("hash_fn"), py::arg("key"),
        "uhashring's get_key(): the key's position on the ring of that hash_fn ('ketama' or 'md5').");

  add_pool_functions(m);
  add_bounded_load(m);
}
