// Real servers for integration tests; see servers.hpp.
#include "harness/servers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <system_error>

namespace ringleader::test {
namespace {

constexpr int kAttempts = 3;  // a free port can be taken between free_port() and bind()

// Starts the process and waits for every port; retried with fresh ports by the callers when it exits.
Server wait_for(Process process, std::uint16_t port, const std::vector<std::uint16_t>& ports) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (auto p : ports) {
    while (!accepting(p)) {
      if (!process.running()) throw std::runtime_error("exited at start: " + process.log());
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("not accepting on port " + std::to_string(p) + ": " + process.log());
      }
      ::usleep(10'000);
    }
  }
  return {std::move(process), port};
}

template <typename Start>
Server with_retries(Start start) {
  for (int attempt = 1;; ++attempt) {
    try {
      return start(free_port());
    } catch (const std::runtime_error&) {
      if (attempt == kAttempts) throw;
    }
  }
}

std::string unique_name(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(counter++) + ".log";
}

// Where the kernel takes no port for outgoing connections (ip_local_port_range is their range).
std::pair<int, int> ports_to_reserve() {
  int low = 32768;
  int high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  if (low > 12000) return {10000, low - 1};
  return {high + 1, 65535};
}

bool bindable(std::uint16_t port) {
  const support::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

}  // namespace

std::uint16_t free_port() {
  static const std::string locks = "/tmp/ringleader-test-ports";
  static std::vector<support::UniqueFd> reserved;  // held until this process exits
  static std::mt19937 random(std::random_device{}());
  static std::mutex mutex;
  const std::lock_guard hold(mutex);
  std::error_code ignored;  // another user's directory: its mode is theirs to set
  std::filesystem::create_directories(locks);
  std::filesystem::permissions(locks, std::filesystem::perms::all, std::filesystem::perm_options::add, ignored);
  const auto [first, last] = ports_to_reserve();
  std::uniform_int_distribution<int> pick(first, last);
  for (;;) {
    const auto port = static_cast<std::uint16_t>(pick(random));
    support::UniqueFd lock(::open((locks + "/" + std::to_string(port)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
    if (!lock) throw std::system_error(errno, std::generic_category(), "cannot open a port lock in " + locks);
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0 || !bindable(port)) continue;
    reserved.push_back(std::move(lock));
    return port;
  }
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("ringleader-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  const auto file = path_ / name;
  std::ofstream(file) << text;
  return file;
}

Server start_memcached_on(const TempDir& dir, std::uint16_t port, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{"memcached", "-l", "127.0.0.1", "-p", std::to_string(port), "-U", "0"};
  if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "root"});  // memcached refuses root otherwise
  argv.insert(argv.end(), extra.begin(), extra.end());
  // SIGKILL: with clients connected memcached takes a second to exit on SIGTERM, and its contents
  // are disposable.
  return wait_for(Process(argv, dir.path() / unique_name("memcached"), SIGKILL), port, {port});
}

Server start_memcached(const TempDir& dir, const std::vector<std::string>& extra) {
  return with_retries([&](std::uint16_t port) { return start_memcached_on(dir, port, extra); });
}

Server start_redis(const TempDir& dir, const std::vector<std::string>& extra) {
  return with_retries([&](std::uint16_t port) {
    std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", dir.path().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return wait_for(Process(argv, dir.path() / unique_name("redis")), port, {port});
  });
}

Server start_nutcracker(const TempDir& dir, const std::filesystem::path& config_file,
                        const std::vector<std::uint16_t>& ports) {
  // Its stats port (default 22222) must not collide with other tests running at the same time.
  return with_retries([&](std::uint16_t stats_port) {
    // Debian's nutcracker is in /usr/sbin, which a user's PATH often lacks.
    std::vector<std::string> argv{"/usr/sbin/nutcracker", "-c", config_file.string(), "-s", std::to_string(stats_port),
                                  "-a", "127.0.0.1", "-v", "4"};
    return wait_for(Process(argv, dir.path() / unique_name("nutcracker")), ports.at(0), ports);
  });
}

std::string ringleader_executable() { return std::string(RINGLEADER_BINARY_DIR) + "/src/cli/ringleader"; }

Server start_ringleader(const TempDir& dir, const std::filesystem::path& config_file,
                        const std::vector<std::uint16_t>& ports, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{ringleader_executable(), "serve", "-c", config_file.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return wait_for(Process(argv, dir.path() / unique_name("ringleader")), ports.at(0), ports);
}

std::pair<int, std::string> run_shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  char chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
  return {::pclose(pipe), output};
}

void stop(const Process& process) {
  process.signal(SIGSTOP);
  const auto stopped = [&] {  // the state of every thread, from /proc/PID/task/TID/stat: 'T' stopped
    const std::filesystem::path tasks = "/proc/" + std::to_string(process.pid()) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto name_end = line.rfind(')');
      if (name_end == std::string::npos || name_end + 2 >= line.size() || line[name_end + 2] != 'T') return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!stopped()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("SIGSTOP did not stop the process");
    ::usleep(1'000);
  }
}

}  // namespace ringleader::test
