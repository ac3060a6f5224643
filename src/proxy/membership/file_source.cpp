// FileSource; see file_source.hpp.
#include "proxy/membership/file_source.hpp"

namespace ringleader::proxy::membership {
namespace {

std::future<bool> read_again(Server& server, const std::filesystem::path& file) {
  return server.set_config(file.string(), [file] { return config::load_file(file); });
}

}  // namespace

FileSource::FileSource(Server& server, std::filesystem::path file) : server_(server), file_(std::move(file)) {
  // By value, not `this`: the server may outlive this object.
  server_.on_reload([&server, file = file_] { read_again(server, file); });
}

std::future<bool> FileSource::reload() { return read_again(server_, file_); }

}  // namespace ringleader::proxy::membership
