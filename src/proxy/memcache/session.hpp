// memcache::Session: a client speaking the memcached text protocol to a pool.
//
// Each request is routed by its key; a multi-key get/gets/gat/gats is split into one request per
// server and merged (ValuesReply). version and quit are answered here. noreply requests are sent
// without noreply and their replies dropped, so the backend's reply stream stays in step even when a
// backend rejects one. Unknown commands get ERROR and the connection stays open.
#pragma once

#include <cstdint>
#include <vector>

#include "proxy/client_session.hpp"
#include "proxy/keys_by_server.hpp"
#include "proxy/memcache/request_parser.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::memcache {

class Session final : public ClientSession {
 public:
  Session(Socket socket, PoolWorker& pool);

 protected:
  std::size_t consume(std::string_view input) override;
  void input_drained() override;

 private:
  void handle(const Request& request);
  void split_retrieval(const Request& request);

  PoolWorker& pool_;
  Request request_;                  // reused: its key list keeps its capacity
  std::size_t swallow_ = 0;          // bytes of a rejected data block still to discard
  std::vector<std::uint32_t> servers_;   // server of each key of the current request
  KeysByServer parts_;                   // the current request's keys grouped by server, to split it
};

}  // namespace ringleader::proxy::memcache
