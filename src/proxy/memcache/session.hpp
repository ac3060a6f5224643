// memcache::Session: a client speaking the memcached text protocol to a pool.
//
// Each request is routed by its key; a multi-key get/gets/gat/gats is split into one request per
// server and merged (ValuesReply). version and quit are answered here. noreply requests are sent
// without noreply and their replies dropped, so the backend's reply stream stays in step even when a
// backend rejects one. Unknown commands get ERROR and the connection stays open.
//
// A storage command whose data block is larger than kStreamAbove is not held whole: it goes to its
// server on a connection of its own as soon as its line is parsed, and its data follows as it
// arrives; reading from the client pauses while more than kStreamBuffer of it waits to be written,
// and, once it is all sent, until the server has answered (so a later request of this client
// cannot overtake it on the shared connection); it starts once the requests before it are answered,
// for the same reason.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "proxy/client_session.hpp"
#include "proxy/memcache/request_parser.hpp"
#include "proxy/memcache/route_command.hpp"
#include "proxy/route/router.hpp"
#include "proxy/streamed_request.hpp"

namespace ringleader::proxy {
class PoolWorker;
}

namespace ringleader::proxy::memcache {

class Session final : public ClientSession {
 public:
  Session(Socket socket, PoolWorker& pool);
  ~Session() override;

 protected:
  std::size_t consume(std::string_view input) override;
  void input_drained() override;
  bool input_paused() const override;
  bool input_cut_short() const override { return input_streaming(); }
  bool input_streaming() const override { return stream_.left > 0; }

 private:
  void handle(const Request& request);
  /// Sends a storage command whose data block will stream, to its key's owner (or every copy).
  void start_stream(const Request& request);
  /// Forwards what `input` holds of the streamed data block; returns the bytes used.
  std::size_t stream(std::string_view input);
  /// The streamed request is answered (its connection closed then): later requests go on.
  void end_stream();

  PoolWorker& pool_;
  Request request_;                  // reused: its key list keeps its capacity
  std::size_t swallow_ = 0;          // bytes of a rejected data block still to discard
  struct Stream {
    StreamedRequest request;
    std::size_t left = 0;  // bytes of the data block still to forward
  } stream_;
  bool stream_waits_ = false;  // a streamed request waits for the requests before it
  RouteCommand command_;       // the current request, described for router_
  route::Router router_;       // where each request goes (route/router.hpp)
  std::string request_bytes_;  // a streamed request's line (reused)
};

}  // namespace ringleader::proxy::memcache
