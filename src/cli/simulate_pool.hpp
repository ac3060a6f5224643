// `ringleader simulate -c FILE`: a pool's own placement over keys read from standard input (see
// simulate_pool.cpp); `simulate` without -c compares the algorithms over generated keys.
#pragma once

#include <string>
#include <vector>

#include "cli/pool_input.hpp"

namespace ringleader::cli {

/// Prints, for the pool `pool_args` names and the keys on standard input, each server's load and
/// the keys that move if it leaves, and the keys that move if the servers `joining` join. Throws
/// CLI::RuntimeError or CLI::ValidationError.
void simulate_pool(const PoolArgs& pool_args, const std::vector<std::string>& joining, bool json);

}  // namespace ringleader::cli
