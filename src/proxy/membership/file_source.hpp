// FileSource: pools from a nutcracker.yml file, read again on SIGHUP (nutcracker itself has no
// reload). One of the membership sources: it feeds the server's input (Server::set_config()), as
// etcd_source.hpp does. The file gives whole pools, not only their members, so a reload may also
// add, remove or re-set pools.
//
// SIGHUP only queues the reload: the file is read and parsed and its names resolved on the server's
// change thread, never on the signal path, so a slow DNS server delays the reload and nothing else.
//
//   proxy::Server server(config, threads);
//   proxy::membership::FileSource file(server, config_path);  // SIGHUP re-reads config_path
//   server.run();
#pragma once

#include <filesystem>
#include <functional>
#include <future>

#include "proxy/server.hpp"

namespace ringleader::proxy::membership {

class FileSource {
 public:
  /// Changes a config just read before it is applied (on the change thread).
  using Adjust = std::function<void(config::Config&)>;

  /// Re-reads `file` on every SIGHUP the server receives from now on. `adjust`: see Adjust; the etcd
  /// sources use it so that a reload keeps the members etcd gave, not the file's `servers:`.
  FileSource(Server& server, std::filesystem::path file, Adjust adjust = {});

  /// Re-reads the file now; returns at once (the future as for Server::set_config()).
  std::future<bool> reload();

 private:
  Server& server_;
  std::filesystem::path file_;
  Adjust adjust_;
};

}  // namespace ringleader::proxy::membership
