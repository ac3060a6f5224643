// DnsResolver; see dns_resolver.hpp.
#include "proxy/membership/dns_resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

namespace ringleader::proxy::membership {
namespace {

DnsError error_of(int status, const std::string& what) {
  return DnsError(what + ": " + ares_strerror(status), status == ARES_ENOTFOUND || status == ARES_ENODATA);
}

// The smallest TTL of the answer records of `type` in a raw DNS message: c-ares 1.18's
// ares_parse_srv_reply() drops them. Names are skipped with c-ares' own ares_expand_name().
std::optional<std::uint32_t> min_ttl(const unsigned char* message, int length, int type) {
  if (length < HFIXEDSZ) return std::nullopt;
  const unsigned char* p = message + HFIXEDSZ;
  const unsigned char* const end = message + length;
  const auto skip_name = [&] {
    char* name = nullptr;
    long used = 0;
    if (p >= end || ares_expand_name(p, message, length, &name, &used) != ARES_SUCCESS) return false;
    ares_free_string(name);
    p += used;
    return true;
  };
  const auto u16 = [](const unsigned char* at) { return static_cast<unsigned>(at[0] << 8 | at[1]); };
  const auto u32 = [&](const unsigned char* at) { return static_cast<std::uint32_t>(u16(at)) << 16 | u16(at + 2); };
  const unsigned questions = u16(message + 4), answers = u16(message + 6);  // RFC 1035 4.1.1
  for (unsigned i = 0; i < questions; ++i) {
    if (!skip_name() || end - p < QFIXEDSZ) return std::nullopt;
    p += QFIXEDSZ;
  }
  std::optional<std::uint32_t> least;
  for (unsigned i = 0; i < answers; ++i) {  // RFC 1035 4.1.3: TYPE, CLASS, TTL, RDLENGTH, RDATA
    if (!skip_name() || end - p < RRFIXEDSZ) break;
    const std::uint32_t ttl = u32(p + 4) & 0x7FFFFFFF;  // RFC 2181 8: the top bit is 0
    if (u16(p) == static_cast<unsigned>(type)) least = std::min(least.value_or(ttl), ttl);
    p += RRFIXEDSZ + u16(p + 8);
  }
  return least;
}

std::string address_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* binary = address->sa_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr)
                                                     : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  ::inet_ntop(address->sa_family, binary, text, sizeof text);
  return text;
}

}  // namespace

// What the queries in flight fill in; lives on resolve()'s stack while run() drives them.
struct DnsResolver::Queries {
  struct Addresses {
    Queries* queries = nullptr;
    int status = ARES_SUCCESS;
    std::vector<std::string> addresses;
    std::uint32_t ttl = INT_MAX;
  };
  int pending = 0;
  int srv_status = ARES_SUCCESS;
  std::vector<unsigned char> srv_message;
  std::map<std::string, Addresses> by_name;  // node-based: the callbacks hold pointers into it
};

DnsResolver::DnsResolver(const config::Dns& settings) : settings_(settings) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  ares_options options{};
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  options.timeout = 1000;
  options.tries = 2;
  char lookups[] = "b";  // DNS only: not /etc/hosts
  if (!settings_.resolvers.empty()) {
    mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
    options.lookups = lookups;
    options.domains = nullptr;
    options.ndomains = 0;
  }
  if (const int status = ares_init_options(&channel_, &options, mask); status != ARES_SUCCESS) {
    ::close(wake_fd_);
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
  }
  if (!settings_.resolvers.empty()) {
    std::string csv;
    for (const auto& r : settings_.resolvers) csv += (csv.empty() ? "" : ",") + r;
    if (const int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS) {
      ares_destroy(channel_);
      ::close(wake_fd_);
      throw std::runtime_error("c-ares: dns_resolver '" + csv + "': " + ares_strerror(status));
    }
  }
}

DnsResolver::~DnsResolver() {
  ares_destroy(channel_);
  ::close(wake_fd_);
}

void DnsResolver::cancel() {
  cancelled_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

bool DnsResolver::wait(std::chrono::milliseconds how_long) {
  const auto deadline = std::chrono::steady_clock::now() + how_long;
  while (!cancelled_) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd wake{wake_fd_, POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX)));
  }
  return false;
}

void DnsResolver::run(const int& pending) {
  while (pending > 0) {
    if (cancelled_) {
      ares_cancel(channel_);  // the callbacks run now, with ARES_ECANCELLED
      throw DnsError("cancelled", false);
    }
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, sockets, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const short events = static_cast<short>((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
                                              (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
      if (events != 0) fds.push_back({sockets[i], events, 0});
    }
    timeval most{1, 0}, left{};
    const timeval* timeout = ares_timeout(channel_, &most, &left);
    const int ms = static_cast<int>(timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000);
    if (::poll(fds.data(), fds.size(), ms) < 0 && errno != EINTR)
      throw DnsError(std::string("poll: ") + std::strerror(errno), false);
    for (std::size_t i = 1; i < fds.size(); ++i) {
      const bool readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (fds[i].revents & POLLOUT) != 0;
      if (readable || writable)
        ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD, writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  }
}

void DnsResolver::ask_addresses(const std::string& name, Queries& queries) {
  auto [it, inserted] = queries.by_name.try_emplace(name);
  if (!inserted) return;
  it->second.queries = &queries;
  ++queries.pending;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;  // A and AAAA
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(channel_, name.c_str(), nullptr, &hints,
                   [](void* arg, int status, int, ares_addrinfo* result) {
                     auto& addresses = *static_cast<Queries::Addresses*>(arg);
                     addresses.status = status;
                     if (result != nullptr) {
                       for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
                         if (node->ai_family != AF_INET && node->ai_family != AF_INET6) continue;
                         addresses.addresses.push_back(address_text(node->ai_addr));
                         addresses.ttl = std::min(addresses.ttl, static_cast<std::uint32_t>(std::max(node->ai_ttl, 0)));
                       }
                       ares_freeaddrinfo(result);
                     }
                     if (status == ARES_SUCCESS && addresses.addresses.empty()) addresses.status = ARES_ENODATA;
                     --addresses.queries->pending;
                   },
                   &it->second);
}

DnsResolver::Answer DnsResolver::resolve() {
  Queries queries;
  Answer answer;
  std::uint32_t ttl = INT_MAX;
  if (settings_.srv.empty()) {
    ask_addresses(settings_.a, queries);
    run(queries.pending);
    const auto& addresses = queries.by_name.at(settings_.a);
    if (addresses.status != ARES_SUCCESS) throw error_of(addresses.status, "A/AAAA " + settings_.a);
    for (const auto& address : addresses.addresses) answer.records.push_back({"", address, settings_.a_port, 0});
    answer.ttl = std::chrono::seconds(addresses.ttl);
    return answer;
  }

  queries.pending = 1;
  ares_search(channel_, settings_.srv.c_str(), ns_c_in, ns_t_srv,
              [](void* arg, int status, int, unsigned char* message, int length) {
                auto& q = *static_cast<Queries*>(arg);
                q.srv_status = status;
                if (status == ARES_SUCCESS) q.srv_message.assign(message, message + length);
                --q.pending;
              },
              &queries);
  run(queries.pending);
  if (queries.srv_status != ARES_SUCCESS) throw error_of(queries.srv_status, "SRV " + settings_.srv);
  ares_srv_reply* parsed = nullptr;
  const int length = static_cast<int>(queries.srv_message.size());
  if (const int status = ares_parse_srv_reply(queries.srv_message.data(), length, &parsed); status != ARES_SUCCESS)
    throw error_of(status, "SRV " + settings_.srv);
  const std::unique_ptr<ares_srv_reply, void (*)(void*)> srv(parsed, ares_free_data);
  ttl = min_ttl(queries.srv_message.data(), length, ns_t_srv).value_or(0);

  for (const ares_srv_reply* r = srv.get(); r != nullptr; r = r->next) ask_addresses(r->host, queries);
  run(queries.pending);
  for (const ares_srv_reply* r = srv.get(); r != nullptr; r = r->next) {
    const auto& addresses = queries.by_name.at(r->host);
    if (addresses.status != ARES_SUCCESS) {
      answer.records.push_back({r->host, "", r->port, r->weight});
      answer.unresolved.push_back(std::string(r->host) + ": " + ares_strerror(addresses.status));
      continue;
    }
    ttl = std::min(ttl, addresses.ttl);
    for (const auto& address : addresses.addresses) answer.records.push_back({r->host, address, r->port, r->weight});
  }
  answer.ttl = std::chrono::seconds(ttl);
  return answer;
}

}  // namespace ringleader::proxy::membership
