// Fuzzes the nutcracker.yml loader: any text either loads or gives a ConfigError, nothing else.
#include <cstdint>
#include <string>

#include "check.hpp"
#include "proxy/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto config = ringleader::config::parse(text, "fuzz.yml");
    for (const auto& pool : config.pools) ringleader::fuzz::check(!pool.servers.empty());
  } catch (const ringleader::config::ConfigError&) {
  }
  return 0;
}
