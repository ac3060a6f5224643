"""HashRing puts every key where uhashring (python3-uhashring) puts it, for both of its rings."""

import random

import pytest
import uhashring

import ringleader

KEYS = [f"user:{i}" for i in range(100_000)]

NODE_SETS = {
    "list": [f"cache-{i}" for i in range(10)],
    "weights": {"cache-a": 1, "cache-b": 2, "cache-c": 5, "cache-d": 1, "cache-e": 3},
    "conf dicts": {"a": {"weight": 2, "vnodes": 10}, "b": {"weight": 1}, "c": {"vnodes": 80, "port": 11211}},
    "unicode names": ["café", "naïve", "日本", "x"],
}


@pytest.mark.parametrize("hash_fn", ["ketama", None])
@pytest.mark.parametrize("nodes", NODE_SETS.values(), ids=NODE_SETS.keys())
def test_get_node_agrees_on_100000_keys(nodes, hash_fn):
    # The compatibility promise: same nodes, same key -> same node, key for key.
    ours = ringleader.HashRing(nodes=nodes, hash_fn=hash_fn)
    theirs = uhashring.HashRing(nodes=nodes, hash_fn=hash_fn)
    expected = [theirs.get_node(key) for key in KEYS]
    assert [ours.get_node(key) for key in KEYS] == expected
    assert ours.lookup_many(KEYS) == expected


def test_ketama_lookup_many_agrees_across_the_batched_md5():
    # lookup_many hashes eight keys at a time (one MD5 block: keys of up to 55 bytes) and longer keys
    # one by one: every length around that limit, non-ASCII keys, and long keys between short ones.
    import numpy as np
    rng = random.Random(16)
    keys = ["".join(rng.choice("abcé日:0123456789") for _ in range(rng.randrange(0, 120))) for _ in range(5000)]
    nodes = [f"cache-{i}" for i in range(7)]
    ours, theirs = ringleader.HashRing(nodes, hash_fn="ketama"), uhashring.HashRing(nodes, hash_fn="ketama")
    expected = [theirs.get_node(key) for key in keys]
    assert ours.lookup_many(keys) == expected
    encoded = [key.encode() for key in keys]
    assert ours.lookup_many(encoded) == expected
    ascii_keys = [key for key in encoded if key.isascii() and not key.endswith(b"\0")]
    assert ours.lookup_many(np.array(ascii_keys, dtype="S")) == [theirs.get_node(k.decode()) for k in ascii_keys]


@pytest.mark.parametrize("hash_fn", ["ketama", None])
def test_vnodes_and_replicas_agree(hash_fn):
    # Non-default vnodes (and replicas for ketama) change the points the same way in both.
    extra = {"replicas": 3} if hash_fn == "ketama" else {}
    nodes = [f"n{i}" for i in range(7)]
    ours = ringleader.HashRing(nodes=nodes, vnodes=17, hash_fn=hash_fn, **extra)
    theirs = uhashring.HashRing(nodes=nodes, vnodes=17, hash_fn=hash_fn, **extra)
    assert [ours.get_node(k) for k in KEYS[:20_000]] == [theirs.get_node(k) for k in KEYS[:20_000]]


@pytest.mark.parametrize("hash_fn", ["ketama", None])
def test_points_keys_distribution_and_range_agree(hash_fn):
    # The ring itself is uhashring's: points, key positions, point counts and failover order.
    nodes = {"a": 1, "b": 3, "c": 2}
    ours = ringleader.HashRing(nodes=nodes, hash_fn=hash_fn)
    theirs = uhashring.HashRing(nodes=nodes, hash_fn=hash_fn)
    assert ours.get_points() == theirs.get_points()
    assert ours.size == theirs.size
    assert ours.distribution == theirs.distribution
    for key in KEYS[:2000]:
        assert ours.get_key(key) == theirs.get_key(key)
        assert ours.range(key) == list(theirs.range(key))
        assert ours.range(key, 2) == list(theirs.range(key, 2))


@pytest.mark.parametrize("hash_fn", ["ketama", None])
def test_adding_and_removing_nodes_agree(hash_fn):
    # Membership changes through the dict-like API keep the two rings identical.
    rng = random.Random(7)
    ours = ringleader.HashRing(nodes=["a", "b", "c"], hash_fn=hash_fn)
    theirs = uhashring.HashRing(nodes=["a", "b", "c"], hash_fn=hash_fn)
    for step in range(6):
        name = f"extra-{step}"
        weight = rng.randint(1, 4)
        ours[name] = {"weight": weight}
        theirs[name] = {"weight": weight}
        if step % 2:
            del ours["a" if step == 1 else f"extra-{step - 1}"]
            del theirs["a" if step == 1 else f"extra-{step - 1}"]
        sample = KEYS[:5000]
        assert [ours.get_node(k) for k in sample] == [theirs.get_node(k) for k in sample]


def test_ketama_hashes_accepted_as_uint64():
    # get_key() gives uhashring's 32-bit position; lookup_many takes those in a uint64 array.
    np = pytest.importorskip("numpy")
    ring = ringleader.HashRing(nodes=NODE_SETS["weights"], hash_fn="ketama")
    hashes = np.array([ring.get_key(k) for k in KEYS[:5000]], dtype=np.uint64)
    assert ring.lookup_many(hashes) == ring.lookup_many(KEYS[:5000])
