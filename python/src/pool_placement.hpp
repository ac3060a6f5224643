// Pools from a nutcracker.yml, placed exactly as twemproxy places them (ringleader::Placement, the
// same placement as the proxy's; the config library only reads the file).
//
// A key goes to one server of a pool: twemproxy has no replicas, so range() of a pool gives one node.
// Servers are named as ringleader's proxy names them: the name after the address if the entry has
// one, else "host:port" (or the unix socket path).
#pragma once

#include <pybind11/pybind11.h>

namespace ringleader::python {

/// Adds load_pools(path), parse_pools(text) and the ConfigError exception to the module.
void add_pool_functions(pybind11::module_& module);

}  // namespace ringleader::python
