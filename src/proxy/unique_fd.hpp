// UniqueFd for the proxy: the one in the support library (support/unique_fd.hpp).
#pragma once

#include "support/unique_fd.hpp"

namespace ringleader::proxy {

using support::UniqueFd;

}  // namespace ringleader::proxy
