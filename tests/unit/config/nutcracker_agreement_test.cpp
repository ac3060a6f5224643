// `ringleader serve -t` (the loader, then each pool checked against its protocol: check_protocols)
// accepts exactly the configs the real nutcracker accepts (`nutcracker -t`), on a table of valid and
// invalid nutcracker.yml files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "proxy/config/config.hpp"
#include "proxy/protocols.hpp"

namespace ringleader::config {
namespace {

bool nutcracker_accepts(const std::string& yaml) {
  const std::string path = ::testing::TempDir() + "nutcracker_agreement.yml";
  std::ofstream(path) << yaml;
  const std::string command = "/usr/sbin/nutcracker -t -c " + path + " -o /dev/null >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) throw std::runtime_error("cannot run nutcracker -t");
  return WEXITSTATUS(status) == 0;
}

bool we_accept(const std::string& yaml) {
  try {
    proxy::check_protocols(parse(yaml));
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}

TEST(NutcrackerAgrees, OnWhatIsAValidConfig) {
  const std::string servers = "  servers:\n   - 127.0.0.1:11211:1\n";
  const std::string cases[] = {
      "a:\n  listen: 127.0.0.1:22121\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  hash: fnv1a_64\n  hash_tag: \"{}\"\n  distribution: ketama\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  timeout: 400\n  backlog: 1024\n  preconnect: true\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  redis: true\n  redis_auth: pw\n  redis_db: 2\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  auto_eject_hosts: true\n  server_retry_timeout: 10\n  server_failure_limit: 3\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  server_connections: 2\n  client_connections: 9\n  tcpkeepalive: false\n" + servers,
      "a:\n  listen: /tmp/ringleader-agreement.sock 0666\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1 x:y\n   - /tmp/m.sock:2\n   - /tmp/n.sock:1 n\n",
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:0\n",
      "a:\n  listen: 127.0.0.1:22121\n  redis_auth: pw\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  redis: yes\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  timeout: -1\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  timeout: 1.5\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  hash_tag: \"{\"\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  hash: md5\n  hash: md5\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  sky: blue\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  server_connections: 0\n" + servers,
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1 x\n   - 127.0.0.2:11211:1 x\n",
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n   - 127.0.0.1:11211:2\n",
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:99999:1\n",
      "a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1 x y\n",
      "a:\n  listen: 127.0.0.1:22121\n  servers: []\n",
      "a:\n  servers:\n   - 127.0.0.1:11211:1\n",
      "a:\n  listen: 127.0.0.1:22121\n" + servers + "b:\n  listen: 127.0.0.1:22121\n" + servers,
  };
  for (const std::string& yaml : cases) EXPECT_EQ(we_accept(yaml), nutcracker_accepts(yaml)) << yaml;
}

}  // namespace
}  // namespace ringleader::config
