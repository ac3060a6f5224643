// What every fuzz target asserts beyond "no crash, no sanitizer report": a parser's answer stays
// inside the buffer it was given. A failed check aborts, which libFuzzer reports as a finding.
#pragma once

#include <cstdlib>
#include <string_view>

namespace ringleader::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

/// `part` is empty or lies entirely inside `whole`.
inline bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace ringleader::fuzz
