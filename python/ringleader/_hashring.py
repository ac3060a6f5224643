"""HashRing: uhashring's API and placement, looked up in C++.

A drop-in for `uhashring.HashRing` (python3-uhashring 2.x, whose ring.py is the source of the
behaviour copied here): the same constructor, node configuration dicts and methods, and every key on
the node uhashring would choose, for both of its rings:

  - hash_fn='ketama': uhashring's ketama ring (vnodes defaults to 40, `replicas` points per vnode);
  - hash_fn=None: uhashring's default md5 ring (vnodes defaults to 160).

Differences, each deliberate: keys must be str or bytes (uhashring hashes str(key), which silently
turns b"k" into "b'k'"; bytes are hashed as they are here); a callable hash_fn is refused (keys are
hashed in C++; use ringleader.Ring, Maglev, ... for a fast xxh3 placement); range() returns a list
and always lists distinct nodes; get_points() lists a point once when two virtual nodes collide.

    >>> import ringleader
    >>> ring = ringleader.HashRing(nodes=["cache-a", "cache-b"], hash_fn="ketama")
    >>> ring.get_node("user:42") in ("cache-a", "cache-b")
    True
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterator, Mapping

from . import _native
from ._nodes import check_count

_NODE_KEYS = ("hostname", "instance", "nodename", "port", "vnodes", "weight")


class HashRing:
    """A consistent-hashing ring with uhashring's API and placement."""

    def __init__(
        self,
        nodes: Any = None,
        vnodes: int | None = None,
        hash_fn: str | None = None,
        replicas: int = 4,
        weight_fn: Callable[..., int] | None = None,
    ) -> None:
        if hash_fn == "ketama":
            self._hash_fn = "ketama"
            default_vnodes = 40
        elif hash_fn is None or hash_fn == "md5":
            self._hash_fn = "md5"
            default_vnodes = 160
        elif callable(hash_fn):
            raise TypeError(
                "ringleader hashes keys in C++ and cannot call a Python hash_fn: use hash_fn='ketama' or "
                "None (uhashring's rings), or ringleader.Ring/Maglev/... for xxh3 placement"
            )
        else:
            raise ValueError(f"hash_fn must be 'ketama' or None (uhashring's default md5 ring), got {hash_fn!r}")
        if weight_fn is not None and not callable(weight_fn):
            raise TypeError("weight_fn should be a callable function")
        self._default_vnodes = check_count("vnodes", default_vnodes if vnodes is None else vnodes, 1)
        self._replicas = check_count("replicas", replicas, 1)
        if replicas > 4:
            raise ValueError(f"replicas must be 1 to 4 (one md5 digest holds four points), got {replicas}")
        self._weight_fn = weight_fn
        self._nodes: dict[str, dict[str, Any]] = {}
        self._router: _native.Router | None = None
        self._configure(nodes if nodes is not None else [])
        self._rebuild()

    def _configure(self, nodes: Any) -> None:
        """uhashring's _configure_nodes: a name, a list of names, or name -> weight / conf dict."""
        if isinstance(nodes, str):
            nodes = [nodes]
        elif not isinstance(nodes, (dict, list)):
            raise ValueError(f"nodes configuration should be a list or a dict, got {type(nodes)}")
        for name in nodes:
            if not isinstance(name, str) or not name:
                raise ValueError(f"node names must be non-empty str, got {name!r}")
            conf: dict[str, Any] = {
                "hostname": name, "instance": None, "nodename": name,
                "port": None, "vnodes": self._default_vnodes, "weight": 1,
            }
            if isinstance(nodes, dict):
                node_conf = nodes[name]
                if isinstance(node_conf, int) and not isinstance(node_conf, bool):
                    conf["weight"] = node_conf
                elif isinstance(node_conf, Mapping):
                    conf.update((k, v) for k, v in node_conf.items() if k in _NODE_KEYS)
                else:
                    raise ValueError(f"node configuration should be a dict or an int, got {type(node_conf)}")
            if self._weight_fn is not None:
                conf["weight"] = self._weight_fn(**conf)
            check_count(f"node {name!r}: weight", conf["weight"], 0)
            check_count(f"node {name!r}: vnodes", conf["vnodes"], 1)
            self._nodes[name] = conf

    def _rebuild(self) -> None:
        if not self._nodes:
            self._router = None
            self.__dict__.pop("get_node", None)
            return
        self._router = _native.uhashring(
            [(name, conf["weight"], conf["vnodes"]) for name, conf in self._nodes.items()],
            self._hash_fn, self._replicas)
        # The Router's get_node bound on the instance: a call then skips one Python frame, a large
        # part of a per-key lookup's cost.
        self.get_node = self._router.get_node

    def get_node(self, key: str | bytes) -> str | None:
        """The name of the node the key lands on (None on an empty ring)."""
        return None if self._router is None else self._router.get_node(key)

    def get(self, key: str | bytes) -> dict[str, Any] | None:
        """The configuration dict of the node the key lands on."""
        name = self.get_node(key)
        return None if name is None else self._nodes[name]

    def _get(self, key: str | bytes, what: str) -> Any:
        conf = self.get(key)
        return None if conf is None else conf[what]

    def __getitem__(self, key: str | bytes) -> Any:
        """The `instance` of the node the key lands on."""
        return self._get(key, "instance")

    get_node_instance = __getitem__

    def get_node_hostname(self, key: str | bytes) -> Any:
        return self._get(key, "hostname")

    def get_node_port(self, key: str | bytes) -> Any:
        return self._get(key, "port")

    def get_node_weight(self, key: str | bytes) -> Any:
        return self._get(key, "weight")

    def lookup_many(self, keys: Any) -> list[str]:
        """get_node of every key, with the GIL released (a list/tuple/iterable of str or bytes, or a
        numpy array of dtype 'S', 'U' or object; with hash_fn='ketama' also uint64 from get_key)."""
        if self._router is None:
            return [None for _ in keys]
        return self._router.lookup_many(keys)

    def range(self, key: str | bytes, size: int | None = None) -> list[dict[str, Any]]:
        """Configuration dicts of up to `size` distinct nodes met walking the ring from the key
        (default: every node that has points), the key's own node first."""
        if self._router is None:
            return []
        reachable = sum(1 for count in self.distribution.values() if count > 0)
        size = reachable if size is None else min(check_count("size", size, 0), reachable)
        return [self._nodes[name] for name in self._router.range(key, size)]

    def iterate_nodes(self, key: str | bytes, distinct: bool = True) -> Iterator[str | None]:
        """hash_ring's iterate_nodes: the names range() gives (always distinct here)."""
        if self._router is None:
            yield None
            return
        for conf in self.range(key):
            yield conf["nodename"]

    def __setitem__(self, nodename: str, conf: Any = None) -> None:
        """Adds or reconfigures a node: conf is a weight or a dict like {"weight": 2, "instance": obj}."""
        self._configure({nodename: {"weight": 1} if conf is None else conf})
        self._rebuild()

    add_node = __setitem__

    def __delitem__(self, nodename: str) -> None:
        """Removes a node; KeyError if there is no such node."""
        if nodename not in self._nodes:
            raise KeyError(f"node '{nodename}' not found, available nodes: {self._nodes.keys()}")
        del self._nodes[nodename]
        self._rebuild()

    remove_node = __delitem__

    def regenerate(self) -> None:
        self._rebuild()

    def get_key(self, key: str | bytes) -> int:
        """The key's position on the ring (uhashring's hashi)."""
        return _native.uhashring_key(self._hash_fn, key)

    def get_points(self) -> list[tuple[int, str]]:
        """(position, node name) of every point, in ring order."""
        return [] if self._router is None else _native.uhashring_points(self._router)

    def get_nodes(self) -> Any:
        return self._nodes.keys()

    def get_instances(self) -> list[Any]:
        return [conf["instance"] for conf in self._nodes.values() if conf.get("instance")]

    @property
    def conf(self) -> dict[str, dict[str, Any]]:
        return self._nodes

    nodes = conf

    @property
    def distribution(self) -> Counter[str]:
        """Points per node, as uhashring counts them (collided points included)."""
        counts: Counter[str] = Counter()
        weight_sum = sum(conf["weight"] for conf in self._nodes.values())
        for name, conf in self._nodes.items():
            if self._hash_fn == "ketama":
                groups = conf["vnodes"] * len(self._nodes) * conf["weight"] // weight_sum if weight_sum else 0
                counts[name] = groups * self._replicas
            else:
                counts[name] = conf["vnodes"] * conf["weight"]
        return counts

    @property
    def ring(self) -> dict[int, str]:
        return dict(self.get_points())

    continuum = ring

    @property
    def size(self) -> int:
        return len(self.get_points())
