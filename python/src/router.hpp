// Router: the Python object every ringleader class looks keys up through (ringleader._native.Router).
//
// It is written against the CPython API directly rather than through pybind11 because a pybind11
// method call costs ~135 ns against ~36 ns for a METH_O function on the benchmark machine, and
// per-key get_node() is the call users make millions of times. Everything else in the module is
// pybind11. A Router is immutable: it holds one Placement and the node names as Python strings, so a
// lookup returns a shared str without building one.
//
// Keys are str (looked up by their UTF-8 bytes) or bytes (as they are). Batches (lookup_many) are a
// list, a tuple or any iterable of keys, or a 1-D buffer such as a numpy array (slices included): uint64
// items in native byte order are keys already hashed with Router.hash(), fixed-width bytes items
// (numpy dtype 'S') are keys without their trailing NULs (numpy's own rule), str arrays (dtype 'U',
// object) are read item by item; any other item type is a TypeError. The hashing and lookups of a
// batch run with the GIL released.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <pybind11/pybind11.h>

#include "placement.hpp"

namespace ringleader::python {

/// Creates the Router type and adds it to the module. Call once, from the module's init.
void add_router_type(pybind11::module_& module);

/// A new Router over the placement.
pybind11::object make_router(std::shared_ptr<const Placement> placement);

/// The bytes of a key (str as UTF-8, bytes as they are); throws pybind11::type_error for anything else.
/// The view lives as long as the key object.
std::string_view key_bytes(pybind11::handle key);

/// The placement behind a Router; throws pybind11::type_error if obj is not a Router.
const std::shared_ptr<const Placement>& placement_of(pybind11::handle obj);

}  // namespace ringleader::python
