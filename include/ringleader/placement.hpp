// Placement: which member of a pool of servers a key goes to, as the proxy decides it. No config
// file, no sockets: a list of members and a few settings in, a member's index out. The proxy
// (`ringleader serve`), `ringleader locate` and `import ringleader` all place keys through it, so a
// key lands on the same server whichever of them asks.
//
// Source of the facts for twemproxy's distributions (ketama, modula, random): twemproxy 0.5.0
// server_pool_idx() and server_pool_hash() (src/nc_server.c): apply hash_tag (hash only the text
// between the two tag characters when both are present and the text is non-empty), hash with the
// pool's hash function (an empty key, or a pool of one member, hashes to 0), then dispatch with the
// distribution built over the live members, sorted as conf_validate_server() sorts them (shorter
// names first, then bytewise). Verified against the real nutcracker by the golden vectors in
// tests/data/twemproxy/. ringleader's algorithms (ring, maglev, anchor, ...: algorithm_names()) are
// built over the members' identities in the order given; they want a full-width hash (xxh3, what
// nutcracker.yml pools of theirs default to), and a twemproxy hash is mixed to 64 bits for them.
//
// Guarantees:
// - deterministic across processes, platforms and languages: fixed hashes only (changing one is a
//   breaking change, because keys would move).
// - a Placement is an immutable snapshot: build a new one when the set of live members changes and
//   swap it in. Lookups are const, allocation-free and safe from any number of threads.
// - with Ejection::stable (every distribution but random), ejecting members moves exactly their
//   keys, to where the distribution without them puts them; Ejection::rebuild is twemproxy's
//   auto_eject_hosts, which may move other keys too.
// - stable slots: a member marked `removed` keeps its place in the list and takes no keys. jump,
//   anchor, memento and modulo number their slots by the list, so a removed member's slots stay
//   and its keys alone move (each re-drawn by salted re-lookups until a slot of a member that is
//   not removed comes up: the result depends on the set of removed members, never on the order they
//   left in). A new member written in place of a removed one of the same weight takes its slots and
//   only the keys it takes. The other distributions place by name, so for them a removed member is
//   simply absent.
// - NOT: `distribution: random` places a key on a member drawn at random for each call, as
//   twemproxy does.
//
//   ringleader::PlacementSettings settings;            // twemproxy's defaults: ketama, fnv1a_64
//   settings.hash = "xxh3";
//   settings.distribution = "maglev";
//   ringleader::Placement cache({{"cache-a", 1, "10.0.0.1:11211"}, {"cache-b", 1, "10.0.0.2:11211"}}, settings);
//   std::uint32_t i = cache.server_for("user:42");   // index into the members given
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringleader {

/// One server of a pool.
struct PlacementMember {
  /// Identity of the member: ringleader's algorithms place keys by it, so renaming a host whose
  /// entry has a name moves nothing. Empty: the address is the identity.
  std::string name;
  std::uint32_t weight = 1;
  /// "host:port" or a unix socket path.
  std::string address;
  /// Keeps its slots (its place in the list) and takes no keys: a server that left (the ` removed`
  /// form of a server line). server_for() never answers it, and members() does not list it.
  bool removed = false;

  /// The name ringleader's algorithms know the member by.
  const std::string& identity() const noexcept { return name.empty() ? address : name; }
  /// The name twemproxy knows the member by (its ketama points hash it, its order sorts by it): the
  /// name if there is one, else the host alone for port 11211 (libmemcached's convention), else
  /// "host:port"; a socket path becomes "path:" (twemproxy keeps the colon before the weight).
  std::string ketama_name() const;
};

/// What happens to keys when members are ejected (not live).
enum class Ejection {
  rebuild,  // twemproxy's auto_eject_hosts: the distribution is rebuilt over the live members
  stable,   // only the ejected members' keys move, to where the distribution without them puts them
            // (jump, anchor, memento, modulo: to where they go when the member is marked removed)
};

/// How keys are placed; the defaults are twemproxy's (nutcracker.yml without these keys).
struct PlacementSettings {
  /// A twemproxy hash name (hash::twemproxy::functions(): fnv1a_64, md5, murmur, ...) or "xxh3".
  std::string hash = "fnv1a_64";
  /// ketama, modula or random (twemproxy's), nginx (nginx's `hash $request_uri consistent`, which
  /// always hashes keys with CRC-32: `hash` is ignored), or a ringleader algorithm name
  /// (algorithm_names()): distributions() lists them.
  std::string distribution = "ketama";
  /// Empty, or two characters: only the text between them is hashed ("{}": "{user:42}:name").
  std::string hash_tag;
  /// How ejected members' keys move; `random` always rebuilds (it keeps no key in place).
  Ejection ejection = Ejection::rebuild;
  /// c >= 1: no member holds more than ceil(c x mean load); see server_for(key, loads). Only for
  /// ringleader's algorithms (twemproxy's have no bounded loads, and it is ignored there).
  std::optional<double> bounded_load;
};

/// A distribution, as the code around placement needs to know it: looked up once by its name
/// (find_distribution), then asked, so no caller compares distribution names.
struct DistributionInfo {
  enum class Family : std::uint8_t {
    ketama,     // twemproxy's
    modula,     // twemproxy's
    random,     // twemproxy's
    nginx,      // nginx's `hash ... consistent` (compat/nginx.hpp): a member's `server` text is its identity()
    algorithm,  // one of ringleader's (algorithm_names())
  };

  std::string_view name;
  Family family;
  /// Numbers its slots by the members' order (modulo, jump, anchor, memento): deleting or reordering
  /// lines moves other members' keys, and removed members keep their slots.
  bool by_position;
  /// Members added take keys from the others and never move a key between two of them (with equal
  /// weights): while a warm-up lasts, only the new members' keys have a previous owner elsewhere.
  bool monotone;

  /// twemproxy's own (ketama, modula, random): members named and sorted as twemproxy does, 32-bit
  /// hashes, no bounded loads.
  constexpr bool twemproxy() const noexcept { return family <= Family::random; }
  /// A key's owner follows from the key (all but random): copies can be found again, a warm-up has
  /// a previous owner to read from, and ejection can move only the ejected member's keys.
  constexpr bool keyed() const noexcept { return family != Family::random; }
  /// Can bound loads (bounded_load): ringleader's algorithms.
  constexpr bool bounds_loads() const noexcept { return family == Family::algorithm; }
};

/// Every distribution: twemproxy's, nginx, then ringleader's algorithms (algorithm_names() order).
std::span<const DistributionInfo> distributions() noexcept;
/// The distribution of that name, or null.
const DistributionInfo* find_distribution(std::string_view name) noexcept;

class Placement {
 public:
  /// server_for() when no member is live (twemproxy answers such requests with an error).
  static constexpr std::uint32_t kNoServer = std::numeric_limits<std::uint32_t>::max();

  /// `members`: every server line in order, removed ones included; server_for() answers indices into
  /// members(), the ones not removed. Every member live. Throws std::invalid_argument, saying why,
  /// for no member that is not removed, a member with
  /// neither name nor address, two members of the same name (ketama_name() for twemproxy's
  /// distributions, identity() for ringleader's), an unknown hash or distribution, a hash_tag that
  /// is not two characters, or bounded_load below 1.
  Placement(std::vector<PlacementMember> members, PlacementSettings settings);
  /// live[i] says whether members()[i] takes traffic; live.size() must equal members().size().
  /// Ejected members are handled as settings.ejection says.
  Placement(std::vector<PlacementMember> members, PlacementSettings settings, std::span<const bool> live);
  ~Placement();
  /// A moved-from Placement may only be assigned to or destroyed.
  Placement(Placement&&) noexcept;
  Placement& operator=(Placement&&) noexcept;

  /// Index into the members of the one that owns the key; kNoServer if no member is live.
  std::uint32_t server_for(std::string_view key) const noexcept;

  /// With bounded_load c (ringleader's distributions): the first member in the key's probe order
  /// (algo::probe_bounded: the owner, salted re-lookups, then the next live members) that has room,
  /// loads[s] + 1 <= ceil(c x (L + 1) x w_s / W), where loads[s] is what member s holds now (the
  /// proxy counts its requests in flight), L their sum over the live members and W the live
  /// members' weight. Without bounded_load: server_for(key). loads.size() must be server_count().
  std::uint32_t server_for(std::string_view key, std::span<const std::uint64_t> loads) const noexcept;
  /// Whether server_for(key, loads) looks at the loads.
  bool bounded() const noexcept;

  /// Replicas: the first out.size() distinct live members of the key's probe order, into out;
  /// returns how many were found (fewer when fewer members are live; 0 when none is). The probe
  /// order is the distribution's own over every member, live or not (ketama, nginx and ring walk the
  /// circle, modula the slots, ringleader's other algorithms use Distribution::lookup_n), and
  /// ejected members are skipped in it. So ejecting a member moves only the copies it held, each to
  /// the next live member of its key, and a key's reads fail over to where its copies are.
  /// While every member is live, out[0] == server_for(key); with members ejected under
  /// Ejection::rebuild (or Anchor/Memento's in-place removal) server_for may differ: a pool with
  /// replicas routes by servers_for alone. Ignores bounded_load. `distribution: random` has no
  /// probe order: out[0] is drawn at random and the rest follow it in member order.
  ///
  ///   std::uint32_t copies[2];
  ///   std::size_t n = cache.servers_for("user:42", copies);   // copies[0..n) hold the key
  std::size_t servers_for(std::string_view key, std::span<std::uint32_t> out) const;

  /// The hash the distribution receives for this key (after hash_tag): twemproxy's 32-bit value for
  /// ketama, modula and random; CRC-32 for nginx; for ringleader's algorithms xxh3, or a twemproxy hash mixed to 64 bits.
  std::uint64_t key_hash(std::string_view key) const noexcept;

  /// The members as given, without the removed ones: server_for() answers indices into them.
  const std::vector<PlacementMember>& members() const noexcept;
  std::size_t server_count() const noexcept;
  std::size_t live_count() const noexcept;

 private:
  class Impl;
  std::unique_ptr<const Impl> impl_;
};

}  // namespace ringleader
