// What each field of the twemproxy stats document means in ringleader (twemproxy_json.cpp), for
// `nutcracker -D` (nutcracker's stats_describe() prints its own the same way).
#pragma once

#include <string>

namespace ringleader::proxy::stats {

/// "pool stats:" and "server stats:", one `  name  "# what it counts"` line per field.
std::string describe_twemproxy_fields();

}  // namespace ringleader::proxy::stats
