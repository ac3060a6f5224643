// FileSource; see file_source.hpp.
#include "proxy/membership/file_source.hpp"

namespace ringleader::proxy::membership {
namespace {

std::future<bool> read_again(Server& server, const std::filesystem::path& file, const FileSource::Adjust& adjust) {
  return server.set_config(file.string(), [file, adjust] {
    config::Config fresh = config::load_file(file);
    if (adjust) adjust(fresh);
    return fresh;
  });
}

}  // namespace

FileSource::FileSource(Server& server, std::filesystem::path file, Adjust adjust)
    : server_(server), file_(std::move(file)), adjust_(std::move(adjust)) {
  // By value, not `this`: the server may outlive this object.
  server_.on_reload([&server, file = file_, adjust = adjust_] { read_again(server, file, adjust); });
}

std::future<bool> FileSource::reload() { return read_again(server_, file_, adjust_); }

}  // namespace ringleader::proxy::membership
