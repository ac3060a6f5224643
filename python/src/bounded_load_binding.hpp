// ringleader._native.BoundedLoad: algo::BoundedLoad over one of the library's algorithms.
#pragma once

#include <pybind11/pybind11.h>

namespace ringleader::python {

/// Adds the BoundedLoad class to the module.
void add_bounded_load(pybind11::module_& module);

}  // namespace ringleader::python
