// status_reply; see status_reply.hpp.
#include "proxy/http/status_reply.hpp"

namespace ringleader::proxy::http {
namespace {

std::string_view phrase(unsigned code) {
  switch (code) {
    case 400: return "Bad Request";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

}  // namespace

std::string status_reply(unsigned code, std::string_view reason, bool close) {
  std::string body(reason);
  for (char& c : body) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  body += '\n';
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(phrase(code)) + "\r\n";
  out += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  return out + "\r\n" + body;
}

}  // namespace ringleader::proxy::http
