"""ringleader: consistent hashing at native speed, from the C++ library of the same name.

    >>> import ringleader
    >>> ring = ringleader.HashRing(nodes=["cache-a", "cache-b"], hash_fn="ketama")   # uhashring's API
    >>> ring.get_node("user:42") in ("cache-a", "cache-b")
    True
    >>> table = ringleader.Maglev({"cache-a": 1, "cache-b": 2})                     # any algorithm
    >>> len(table.lookup_many(["k1", "k2", "k3"]))
    3

- HashRing: uhashring's HashRing, same placement (hash_fn='ketama' or its default md5 ring).
- Modulo, Ring, Jump, Anchor, Memento, Maglev, Rendezvous, MultiProbe: the library's algorithms over
  xxh3 of the key, the placement the `ringleader` command and proxy use; BoundedLoad over any of them.
- load_pools / parse_pools: twemproxy pools from a nutcracker.yml, placed as nutcracker places them.

Keys are str (their UTF-8 bytes) or bytes. Bad input raises ValueError or TypeError with the
library's message; a bad nutcracker.yml raises ConfigError (a ValueError) naming file and line.
"""

from ._algorithms import Anchor, BoundedLoad, Distribution, Jump, Maglev, Memento, Modulo, MultiProbe, Rendezvous, Ring
from ._hashring import HashRing
from ._native import ConfigError, algorithm_names, xxh3
from ._pools import Pool, load_pools, parse_pools

__all__ = [
    "Anchor", "BoundedLoad", "ConfigError", "Distribution", "HashRing", "Jump", "Maglev", "Memento", "Modulo",
    "MultiProbe", "Pool", "Rendezvous", "Ring", "algorithm_names", "load_pools", "parse_pools", "xxh3",
]
