"""twemproxy pools from a nutcracker.yml, placing keys exactly as nutcracker (and `ringleader serve`)
does: the pool's hash, hash_tag and distribution, every server live.

    >>> pools = ringleader.load_pools("nutcracker.yml")
    >>> pools["alpha"].get_node("user:42")      # the server's name, or "host:port" without one
    'cache-1'
"""

from __future__ import annotations

import os
from typing import Any

from . import _native


class Pool:
    """One pool of a nutcracker.yml; built by load_pools() / parse_pools()."""

    def __init__(self, name: str, router: Any, servers: list[dict[str, Any]], options: dict[str, Any],
                 warnings: list[str]) -> None:
        self.name = name
        self.servers = servers
        self.options = options
        self.warnings = warnings
        self._router = router
        # Bound on the instance so a per-key call skips one Python frame.
        self.get_node = router.get_node
        self.lookup_many = router.lookup_many

    def get_node(self, key: str | bytes) -> str:
        """The name of the server the key goes to (its name in the config, else host:port)."""
        return self._router.get_node(key)

    def get(self, key: str | bytes) -> dict[str, Any]:
        """The server entry the key goes to: {"name", "address", "weight", "text"}."""
        return self.servers[int(self._router.lookup_many_indices([key])[0])]

    def range(self, key: str | bytes, size: int) -> list[str]:
        """The `size` servers a pool with `replicas: size` keeps the key on, its own server first."""
        return self._router.range(key, size)

    def lookup_many(self, keys: Any) -> list[str]:
        """get_node of every key (a list/iterable or numpy array of str/bytes), GIL released."""
        return self._router.lookup_many(keys)

    def lookup_many_indices(self, keys: Any) -> Any:
        """Positions in servers of every key's server, as a numpy uint32 array."""
        return self._router.lookup_many_indices(keys)

    def __repr__(self) -> str:
        return f"ringleader.Pool({self.name!r}, {[s['name'] for s in self.servers]!r})"


def _pools(entries: list[tuple[Any, ...]]) -> dict[str, Pool]:
    return {entry[0]: Pool(*entry) for entry in entries}


def load_pools(path: str | os.PathLike[str]) -> dict[str, Pool]:
    """Every pool of a nutcracker.yml by name, in file order. ConfigError (a ValueError) names the
    file, line, pool and key of a problem."""
    return _pools(_native.load_pools(os.fspath(path)))


def parse_pools(text: str) -> dict[str, Pool]:
    """Like load_pools, from YAML text."""
    return _pools(_native.parse_pools(text))
