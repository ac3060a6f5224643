"""HashRing's uhashring-shaped API: node configuration, the dict-like interface, keys and errors."""

import hashlib

import pytest
import uhashring

import ringleader


def test_node_conf_and_getters():
    # get() gives the conf dict; [] gives the instance; the other getters read one field.
    marker = object()
    ring = ringleader.HashRing({"only": {"instance": marker, "port": 11211, "hostname": "10.0.0.1"}})
    assert ring.get_node("k") == "only"
    assert ring["k"] is marker
    assert ring.get_node_instance("k") is marker
    assert ring.get("k") == {"hostname": "10.0.0.1", "instance": marker, "nodename": "only",
                             "port": 11211, "vnodes": 160, "weight": 1}
    assert ring.get_node_port("k") == 11211
    assert ring.get_node_hostname("k") == "10.0.0.1"
    assert ring.get_node_weight("k") == 1
    assert ring.get_instances() == [marker]
    assert list(ring.get_nodes()) == ["only"]


def test_setitem_delitem_and_empty_ring():
    # Nodes come and go through the dict interface; an empty ring answers None like uhashring.
    ring = ringleader.HashRing(hash_fn="ketama")
    assert ring.get_node("k") is None and ring.get("k") is None and ring.range("k") == []
    ring["a"] = {"weight": 2}
    ring.add_node("b")
    assert {ring.get_node(f"k{i}") for i in range(200)} == {"a", "b"}
    del ring["a"]
    ring.remove_node("b")
    assert ring.get_node("k") is None
    with pytest.raises(KeyError, match="node 'a' not found"):
        del ring["a"]


def test_str_and_bytes_keys_hash_the_same_bytes():
    # A str key is looked up by its UTF-8 bytes, so "é" and b"\xc3\xa9" land together.
    ring = ringleader.HashRing([f"n{i}" for i in range(20)], hash_fn="ketama")
    for i in range(500):
        key = f"clé-{i}"
        assert ring.get_node(key) == ring.get_node(key.encode("utf-8"))


def test_range_gives_distinct_nodes_key_owner_first():
    ring = ringleader.HashRing([f"n{i}" for i in range(5)])
    names = [conf["nodename"] for conf in ring.range("user:1", 3)]
    assert len(set(names)) == 3 and names[0] == ring.get_node("user:1")
    assert len(ring.range("user:1")) == 5
    assert list(ring.iterate_nodes("user:1")) == [conf["nodename"] for conf in ring.range("user:1")]


def test_weight_fn_sets_weights():
    ring = ringleader.HashRing({"a": {"port": 1}, "b": {"port": 3}}, weight_fn=lambda **conf: conf["port"])
    assert ring.conf["b"]["weight"] == 3


@pytest.mark.parametrize("key", [42, None, 1.5, ["k"]])
def test_keys_must_be_str_or_bytes(key):
    ring = ringleader.HashRing(["a", "b"])
    with pytest.raises(TypeError, match="key must be str or bytes"):
        ring.get_node(key)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"nodes": 42}, ValueError, "should be a list or a dict"),
        ({"nodes": {"a": "heavy"}}, ValueError, "should be a dict or an int"),
        ({"nodes": {"a": -1}}, ValueError, "weight must be an int >= 0"),
        ({"nodes": {"a": {"vnodes": 0}}}, ValueError, "vnodes must be an int >= 1"),
        ({"nodes": ["a"], "hash_fn": "sha1"}, ValueError, "hash_fn must be 'ketama' or None"),
        ({"nodes": ["a"], "hash_fn": lambda key: 0}, TypeError, "cannot call a Python hash_fn"),
        ({"nodes": ["a"], "weight_fn": 3}, TypeError, "weight_fn should be a callable"),
        ({"nodes": ["a"], "hash_fn": "ketama", "replicas": 5}, ValueError, "replicas must be 1 to 4"),
        ({"nodes": {"a": 0}, "hash_fn": "ketama"}, ValueError, "every weight is 0"),
    ],
)
def test_bad_configuration_raises_with_a_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        ringleader.HashRing(**kwargs)


def test_lookup_many_rejects_a_single_key():
    ring = ringleader.HashRing(["a", "b"])
    with pytest.raises(TypeError, match="not one key"):
        ring.lookup_many("user:1")


def test_default_ring_refuses_64_bit_hashes():
    # uhashring's default ring places by a 128-bit md5: a uint64 array cannot stand for its keys.
    np = pytest.importorskip("numpy")
    ring = ringleader.HashRing(["a", "b"])
    with pytest.raises(ValueError, match="takes keys, not 64-bit hashes"):
        ring.lookup_many(np.zeros(3, dtype=np.uint64))
    assert ring.get_key("user:1") == int(hashlib.md5(b"user:1").hexdigest(), 16)


def test_get_key_needs_no_nodes():
    # The key's position depends on the key alone, as in uhashring.
    for hash_fn in ("ketama", None):
        ours, theirs = ringleader.HashRing(hash_fn=hash_fn), uhashring.HashRing(hash_fn=hash_fn)
        assert ours.get_key("user:7") == theirs.get_key("user:7")
