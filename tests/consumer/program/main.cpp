// A user's program: builds against an installed or vendored ringleader and places one key.
#include <cstdio>

#include <ringleader/distribution.hpp>
#include <ringleader/hash/xxh3.hpp>

int main() {
  auto nodes = ringleader::Membership::uniform(3);
  auto table = ringleader::make_distribution("maglev", nodes);
  std::printf("%s\n", nodes[table->lookup(ringleader::hash::xxh3("user:42"))].name.c_str());
  return 0;
}
