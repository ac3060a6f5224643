"""How ringleader reads a list of nodes: the shapes uhashring accepts, checked with clear errors."""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

Nodes = Union[str, Sequence[str], Mapping[str, Union[int, Mapping[str, Any]]]]


def check_count(what: str, value: object, minimum: int) -> int:
    """value as an int >= minimum, or ValueError naming what it is (bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {value!r}")
    return value


def weighted(nodes: Nodes) -> list[tuple[str, int]]:
    """(name, weight) pairs in the given order from a name, a list of names, or a dict of
    name -> weight or name -> {"weight": w, ...}."""
    if isinstance(nodes, str):
        return [(nodes, 1)]
    if isinstance(nodes, Mapping):
        pairs = []
        for name, conf in nodes.items():
            weight = conf.get("weight", 1) if isinstance(conf, Mapping) else conf
            pairs.append((name, check_count(f"node {name!r}: weight", weight, 1)))
        return pairs
    if isinstance(nodes, (list, tuple)):
        for name in nodes:
            if not isinstance(name, str):
                raise ValueError(f"node names must be str, got {name!r}")
        return [(name, 1) for name in nodes]
    raise ValueError(f"nodes should be a list of names or a dict of name -> weight, got {type(nodes).__name__}")
