// A user's program: builds against an installed or vendored ringleader and places one key twice, by
// the algorithm alone (ringleader::core) and as a pool of servers (ringleader::placement); the two
// must agree.
#include <cstdio>
#include <vector>

#include <ringleader/distribution.hpp>
#include <ringleader/hash/xxh3.hpp>
#include <ringleader/placement.hpp>

int main() {
  auto nodes = ringleader::Membership::uniform(3);
  auto table = ringleader::make_distribution("maglev", nodes);
  const ringleader::BucketId owner = table->lookup(ringleader::hash::xxh3("user:42"));

  std::vector<ringleader::PlacementMember> members;
  for (const ringleader::Node& n : nodes.nodes()) members.push_back({n.name, n.weight, ""});
  ringleader::PlacementSettings settings;
  settings.hash = "xxh3";
  settings.distribution = "maglev";
  const ringleader::Placement pool(members, settings);
  if (pool.server_for("user:42") != owner) return 1;

  std::printf("%s\n", nodes[owner].name.c_str());
  return 0;
}
