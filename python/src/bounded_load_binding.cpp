// BoundedLoad for Python: requests counted per node between acquire(key) and release(node), keys
// hashed with xxh3 like the algorithm classes. The bound and its guarantees are the library's
// (include/ringleader/algo/bounded_load.hpp); this file only maps names to nodes and back.
#include "bounded_load_binding.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include "distribution_placement.hpp"
#include "ringleader/algo/bounded_load.hpp"
#include "router.hpp"

namespace py = pybind11;

namespace ringleader::python {
namespace {

class BoundedLoadBinding {
 public:
  BoundedLoadBinding(py::handle router, double c) : bounded_(distribution_of(router), c) {}

  std::string acquire(py::handle key) {
    const std::uint64_t h = hash::xxh3(key_bytes(key));
    return membership()[bounded_.acquire(h)].name;
  }
  void release(const std::string& node) { bounded_.release(bucket(node)); }
  std::uint64_t load(const std::string& node) const { return bounded_.load(bucket(node)); }
  std::uint64_t total_load() const { return bounded_.total_load(); }
  double factor() const { return bounded_.factor(); }
  std::uint64_t capacity(const std::string& node) const { return bounded_.capacity(bucket(node), total_load()); }

 private:
  // The distribution inside a Router's placement, kept alive by sharing the placement's ownership.
  static std::shared_ptr<const Distribution> distribution_of(py::handle router) {
    const std::shared_ptr<const Placement>& placement = placement_of(router);
    const auto* table = dynamic_cast<const DistributionPlacement*>(placement.get());
    if (table == nullptr) throw py::type_error("BoundedLoad wraps one of the library's algorithms (Maglev, Ring, ...)");
    return std::shared_ptr<const Distribution>(placement, &table->distribution());
  }

  const Membership& membership() const { return bounded_.table().membership(); }

  BucketId bucket(const std::string& node) const {
    const auto b = membership().find(node);
    if (!b) throw std::invalid_argument("no node '" + node + "'");
    return *b;
  }

  algo::BoundedLoad<Distribution> bounded_;
};

}  // namespace

void add_bounded_load(py::module_& module) {
  py::class_<BoundedLoadBinding>(module, "BoundedLoad")
      .def(py::init<py::handle, double>(), py::arg("router"), py::arg("c"))
      .def("acquire", &BoundedLoadBinding::acquire, py::arg("key"))
      .def("release", &BoundedLoadBinding::release, py::arg("node"))
      .def("load", &BoundedLoadBinding::load, py::arg("node"))
      .def("capacity", &BoundedLoadBinding::capacity, py::arg("node"))
      .def_property_readonly("total_load", &BoundedLoadBinding::total_load)
      .def_property_readonly("factor", &BoundedLoadBinding::factor);
}

}  // namespace ringleader::python
