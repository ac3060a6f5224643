"""One class per algorithm of the library: ringleader.Maglev(nodes), Anchor, Jump, ...

Every class places keys by xxh3 (seed 0) of the key's bytes, so Python, the `ringleader` command
and the proxy agree on every key. The tables are built in C++ and immutable; add_node/remove_node
swap in a new table (in place for the algorithms that support removal in place, so only the removed
node's keys move).

    >>> import ringleader
    >>> table = ringleader.Maglev({"cache-a": 1, "cache-b": 2})
    >>> table.get_node("user:42") in table.nodes
    True
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from . import _native
from ._nodes import Nodes, check_count, weighted


class Distribution:
    """Keys to nodes by one of the library's algorithms (the subclasses name it)."""

    algorithm: ClassVar[str]

    def __init__(self, nodes: Nodes, **options: int) -> None:
        if not hasattr(type(self), "algorithm"):
            raise TypeError("Distribution is the common base: use ringleader.Maglev, Ring, Anchor, ...")
        known = {"ring_points", "maglev_table_size", "multiprobe_probes"}
        for name, value in options.items():
            if name not in known:
                raise TypeError(f"unknown option {name!r}; options are {sorted(known)}")
            check_count(name, value, 1)
        self._use(_native.distribution(self.algorithm, weighted(nodes), **options))

    def _use(self, router: _native.Router) -> None:
        self._router = router
        # The Router's own methods, bound on the instance: a call then skips one Python frame, which
        # is a large part of a per-key lookup's cost.
        self.get_node = router.get_node
        self.lookup_many = router.lookup_many

    def get_node(self, key: str | bytes) -> str:
        """The node the key lands on."""
        return self._router.get_node(key)

    def range(self, key: str | bytes, size: int) -> list[str]:
        """size distinct nodes for the key (replicas, failover), get_node(key) first."""
        return self._router.range(key, size)

    def lookup_many(self, keys: Any) -> list[str]:
        """get_node of every key, with the GIL released: a list/tuple/iterable of str or bytes, or a
        1-D numpy array of dtype 'S' (bytes keys), 'U' or object (str keys), or uint64 (keys already
        hashed with hash())."""
        return self._router.lookup_many(keys)

    def lookup_many_indices(self, keys: Any) -> Any:
        """Like lookup_many, as a numpy uint32 array of positions in nodes."""
        return self._router.lookup_many_indices(keys)

    def hash(self, key: str | bytes) -> int:
        """xxh3 of the key: what lookup_many accepts in a uint64 array."""
        return self._router.hash(key)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names by position (lookup_many_indices gives positions in this tuple)."""
        return self._router.nodes

    @property
    def memory_bytes(self) -> int:
        """Bytes of the lookup tables."""
        return _native.memory_bytes(self._router)

    def add_node(self, name: str, weight: int = 1) -> None:
        """Adds a node (ValueError if the name is taken or the weight is below 1)."""
        self._use(_native.with_node(self._router, name, check_count("weight", weight, 1)))

    def remove_node(self, names: str | Sequence[str]) -> None:
        """Removes one node or several (ValueError if absent or if no node would be left)."""
        self._use(_native.without(self._router, [names] if isinstance(names, str) else list(names)))

    def __len__(self) -> int:
        return len(self._router.nodes)

    def __contains__(self, name: object) -> bool:
        return name in self._router.nodes

    def __repr__(self) -> str:
        return f"ringleader.{type(self).__name__}({list(self._router.nodes)!r})"


class Modulo(Distribution):
    """hash mod n: the baseline; almost every key moves when n changes."""

    algorithm = "modulo"


class Ring(Distribution):
    """A consistent-hash ring (Karger et al. 1997): ring_points points per unit of weight."""

    algorithm = "ring"


class Jump(Distribution):
    """Jump consistent hash (Lamping & Veach 2014): no table; nodes leave last-in first-out."""

    algorithm = "jump"


class Anchor(Distribution):
    """AnchorHash (Mendelson et al. 2020): any node leaves in place."""

    algorithm = "anchor"


class Memento(Distribution):
    """MementoHash (Coluzzi et al. 2023): jump hash with arbitrary removals."""

    algorithm = "memento"


class Maglev(Distribution):
    """Maglev (Eisenbud et al. 2016): a prime-sized lookup table (maglev_table_size)."""

    algorithm = "maglev"


class Rendezvous(Distribution):
    """Rendezvous, highest random weight (Thaler & Ravishankar 1998)."""

    algorithm = "rendezvous"


class MultiProbe(Distribution):
    """Multi-probe consistent hashing (Appleton & O'Reilly 2015): multiprobe_probes probes."""

    algorithm = "multiprobe"


class BoundedLoad:
    """Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam 2018) over any of
    the algorithms: acquire(key) gives the key's node unless that node already holds
    ceil(c x total load x weight / total weight) requests, then the key's next choices. Count each
    request from acquire() to release(). Built over the table's nodes at construction time; thread-safe.

        >>> bounded = ringleader.BoundedLoad(ringleader.Maglev(["a", "b", "c"]), c=1.25)
        >>> node = bounded.acquire("user:42")
        >>> bounded.release(node)
    """

    def __init__(self, table: Distribution, c: float = 1.25) -> None:
        if not isinstance(table, Distribution):
            raise TypeError(f"BoundedLoad wraps one of ringleader's algorithms, got {type(table).__name__}")
        self.table = table
        self._bounded = _native.BoundedLoad(table._router, float(c))

    def acquire(self, key: str | bytes) -> str:
        """The node that serves this request; counted there until release(node)."""
        return self._bounded.acquire(key)

    def release(self, node: str) -> None:
        """Ends one request on node (ValueError if node holds none)."""
        self._bounded.release(node)

    def load(self, node: str) -> int:
        """Requests node holds now."""
        return self._bounded.load(node)

    def capacity(self, node: str) -> int:
        """The most requests node may hold at the current total load."""
        return self._bounded.capacity(node)

    @property
    def total_load(self) -> int:
        return self._bounded.total_load

    @property
    def factor(self) -> float:
        return self._bounded.factor
