// What a change of a pool's servers does to the keys of the servers that stay, for the warning that
// reload, etcd changes and `serve --check --previous` give (docs/operations.md, "Stable slots").
//
// jump, anchor, memento and modulo number their slots by the order of the server lines, so deleting
// a line, or moving one, moves keys between servers that did not change. The share is measured, not
// derived: the same 20,000 sample keys are placed before and after, and a key counts as moved
// needlessly when both its old and its new owner are servers that stay (in both lists, with the same
// weight). Distributions that place by name move none that way, so they are not sampled.
#pragma once

#include <optional>
#include <string>

#include "proxy/config/config.hpp"

namespace ringleader::config {

/// The share (0..1) of the keys of servers that stay that move to another that stays, when a
/// pool that places by position (DistributionInfo::by_position) goes from `before` to `after`;
/// nullopt when none move, or when the distribution, hash or hash_tag changed (then every key may
/// move, and that is what the user asked for).
std::optional<double> needless_moves(const Pool& before, const Pool& after);

/// The warning for needless_moves(), naming the pool, the share and the ` removed` form.
std::string needless_moves_warning(const Pool& pool, double share);

}  // namespace ringleader::config
