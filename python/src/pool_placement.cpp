// twemproxy pools as Python placements; see pool_placement.hpp.
#include "pool_placement.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "placement.hpp"
#include "proxy/config/config.hpp"
#include "ringleader/placement.hpp"
#include "router.hpp"

namespace py = pybind11;

namespace ringleader::python {
namespace {

// A pool's servers placed by ringleader::Placement; the config library only turned the file into
// members and settings.
class PoolPlacement final : public Placement {
 public:
  explicit PoolPlacement(ringleader::Placement placement) : placement_(std::move(placement)) {
    for (const PlacementMember& m : placement_.members()) names_.push_back(m.identity());
  }

  std::size_t size() const noexcept override { return names_.size(); }
  const std::string& name(BucketId bucket) const noexcept override { return names_[bucket]; }
  BucketId locate(std::string_view key) const noexcept override { return placement_.server_for(key); }
  // range(key, n): the servers a pool with `replicas: n` keeps the key on (Placement::servers_for;
  // every member is live here, so there are n of them).
  void locate_n(std::string_view key, std::span<BucketId> out) const override {
    std::vector<std::uint32_t> copies(out.size());
    if (placement_.servers_for(key, copies) != out.size())
      throw std::invalid_argument("a pool of " + std::to_string(names_.size()) + " servers has no " +
                                  std::to_string(out.size()) + " copies of a key");
    std::copy(copies.begin(), copies.end(), out.begin());
  }
  // twemproxy hashes with the pool's own function after hash_tag, and `random` ignores the hash.
  bool takes_hashes() const noexcept override { return false; }
  std::uint64_t hash(std::string_view key) const noexcept override { return placement_.key_hash(key); }
  BucketId locate_hash(std::uint64_t) const noexcept override { return 0; }

 private:
  ringleader::Placement placement_;
  std::vector<std::string> names_;
};

// (name, Router, servers, options, warnings) per pool, in file order, for the Python Pool class.
py::list pools(const config::Config& config) {
  py::list result;
  for (const config::Pool& pool : config.pools) {
    py::list servers;
    for (const config::Server& server : pool.servers)
      servers.append(py::dict(py::arg("name") = server.node_name(), py::arg("address") = server.address(),
                              py::arg("weight") = server.weight, py::arg("text") = server.text));
    py::dict options(py::arg("hash") = pool.hash, py::arg("hash_tag") = pool.hash_tag,
                     py::arg("distribution") = pool.distribution, py::arg("protocol") = pool.protocol,
                     py::arg("redis") = pool.protocol == "redis",
                     py::arg("listen") = pool.listen.text);
    py::list warnings;
    for (const std::string& warning : pool.warnings) warnings.append(warning);
    result.append(py::make_tuple(pool.name, make_router(std::make_shared<PoolPlacement>(config::make_placement(pool))), servers, options,
                                 warnings));
  }
  return result;
}

}  // namespace

void add_pool_functions(py::module_& module) {
  py::register_exception<config::ConfigError>(module, "ConfigError", PyExc_ValueError);
  module.def("load_pools", [](const std::string& path) { return pools(config::load_file(path)); }, py::arg("path"),
             "Every pool of a nutcracker.yml: (name, Router, servers, options, warnings) in file order.");
  module.def("parse_pools", [](const std::string& text) { return pools(config::parse(text)); }, py::arg("text"),
             "Like load_pools, from YAML text.");
}

}  // namespace ringleader::python
