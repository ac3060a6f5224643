// PendingReply; see pending_reply.hpp.
#include "proxy/pending_reply.hpp"

#include "proxy/client_session.hpp"

namespace ringleader::proxy {
namespace {

class LocalReply final : public PendingReply {
 public:
  explicit LocalReply(std::string_view bytes) : PendingReply(0) { bytes_.assign(bytes); }

 protected:
  void on_part(std::uint32_t, std::string_view, bool) override {}
};

}  // namespace

std::shared_ptr<PendingReply> PendingReply::local(std::string_view bytes) {
  return std::make_shared<LocalReply>(bytes);
}

void PendingReply::complete(std::uint32_t part, std::string_view reply, bool failed) {
  if (waiting_ == 0) return;
  on_part(part, reply, failed);
  if (--waiting_ != 0) return;
  on_all_parts();
  if (auto session = session_.lock()) session->reply_ready();
}

}  // namespace ringleader::proxy
