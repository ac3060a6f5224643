// Reused buffers with a bounded capacity.
//
// Connections reuse their buffers and request scratch vectors so the usual small request costs no
// allocation. But clear(), assign() and resize() never shrink a std::string or std::vector: one
// large value or one request with thousands of keys would otherwise pin its peak for as long as
// the connection (or, for a backend, the process) lives.
#pragma once

#include <cstddef>
#include <utility>

namespace ringleader::proxy {

/// Empties `container`, and frees its memory when it holds room for more than `keep` elements (in
/// the usual case the capacity stays, to be reused).
template <class Container>
void clear_and_trim(Container& container, std::size_t keep) noexcept {
  container.clear();
  if (container.capacity() > keep) Container().swap(container);
}

}  // namespace ringleader::proxy
