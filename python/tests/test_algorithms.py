"""ringleader.Maglev, Anchor, ...: the library's algorithms by name, keyed by xxh3 of the key."""

import threading

import numpy as np
import pytest

import ringleader

CLASSES = [ringleader.Modulo, ringleader.Ring, ringleader.Jump, ringleader.Anchor, ringleader.Memento,
           ringleader.Maglev, ringleader.Rendezvous, ringleader.MultiProbe]
NODES = {f"cache-{i}": 1 + i % 3 for i in range(9)}
KEYS = [f"user:{i}" for i in range(20_000)]


def test_every_algorithm_of_the_library_has_a_class():
    assert sorted(cls.algorithm for cls in CLASSES) == sorted(ringleader.algorithm_names())


def test_xxh3_is_the_reference_xxh3():
    # XXH3-64 of the empty input with seed 0 (xxHash's published test value).
    assert ringleader.xxh3(b"") == 0x2D06800538D394C2
    assert ringleader.xxh3("é") == ringleader.xxh3("é".encode("utf-8"))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_batch_forms_agree_with_get_node(cls):
    # list, tuple, numpy 'S', 'U', object and pre-hashed uint64 arrays all give get_node's answer.
    table = cls(NODES)
    expected = [table.get_node(key) for key in KEYS]
    assert set(expected) <= set(table.nodes)
    assert table.lookup_many(KEYS) == expected
    assert table.lookup_many(tuple(k.encode() for k in KEYS)) == expected
    assert table.lookup_many(iter(KEYS)) == expected
    assert table.lookup_many(np.array(KEYS, dtype="S")) == expected
    assert table.lookup_many(np.array(KEYS)) == expected
    assert table.lookup_many(np.array(KEYS, dtype=object)) == expected
    hashes = np.array([table.hash(k) for k in KEYS], dtype=np.uint64)
    assert hashes[0] == ringleader.xxh3(KEYS[0])
    assert table.lookup_many(hashes) == expected
    indices = table.lookup_many_indices(KEYS)
    assert indices.dtype == np.uint32
    assert [table.nodes[i] for i in indices] == expected


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_range_lists_distinct_nodes_owner_first(cls):
    table = cls(NODES)
    for key in KEYS[:300]:
        nodes = table.range(key, 4)
        assert len(set(nodes)) == 4 and nodes[0] == table.get_node(key)
    assert sorted(table.range("k", len(NODES))) == sorted(NODES)
    with pytest.raises(ValueError, match="10"):
        table.range("k", 10)


@pytest.mark.parametrize("cls", [ringleader.Anchor, ringleader.Memento, ringleader.Maglev, ringleader.Ring,
                                 ringleader.Rendezvous, ringleader.Jump],
                         ids=lambda cls: cls.__name__)
def test_remove_then_add_moves_few_keys(cls):
    # Consistent hashing: removing a node moves its keys and (near) nothing else.
    table = cls(list(NODES))
    before = table.lookup_many(KEYS)
    leaving = "cache-8" if cls is ringleader.Jump else "cache-3"  # jump's nodes leave last-in first-out
    table.remove_node(leaving)
    after = table.lookup_many(KEYS)
    assert leaving not in table and len(table) == len(NODES) - 1
    moved = sum(1 for b, a in zip(before, after) if b != a and b != leaving)
    assert moved <= len(KEYS) * 0.02
    assert all(a != leaving for a in after)
    table.add_node(leaving)
    assert leaving in table.nodes


def test_weights_shift_load():
    table = ringleader.Maglev({"small": 1, "big": 4})
    counts = {name: 0 for name in table.nodes}
    for name in table.lookup_many(KEYS):
        counts[name] += 1
    assert 3.5 < counts["big"] / counts["small"] < 4.5


def test_options_reach_the_library():
    small = ringleader.Maglev(NODES, maglev_table_size=101)
    large = ringleader.Maglev(NODES, maglev_table_size=65537)
    assert small.memory_bytes < large.memory_bytes


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ringleader.Maglev([]), ValueError, "no nodes"),
        (lambda: ringleader.Maglev(["a", "a"]), ValueError, "duplicate"),
        (lambda: ringleader.Maglev({"a": 0}), ValueError, "weight must be an int >= 1"),
        (lambda: ringleader.Maglev(["a"], maglev_table_size=100), ValueError, "prime"),
        (lambda: ringleader.Maglev(["a"], table_size=7), TypeError, "unknown option 'table_size'"),
        (lambda: ringleader.Maglev(42), ValueError, "list of names"),
        (lambda: ringleader.Maglev(["a"]).get_node(7), TypeError, "key must be str or bytes"),
        (lambda: ringleader.Maglev(["a"]).remove_node("b"), ValueError, "'b'"),
        (lambda: ringleader.Maglev(["a"]).remove_node("a"), ValueError, "no nodes"),
        (lambda: ringleader.Maglev(["a"]).add_node("a"), ValueError, "duplicate"),
        (lambda: ringleader.Maglev(["a"]).lookup_many([b"k", 3]), TypeError, "not int"),
        (lambda: ringleader.Maglev(["a"]).lookup_many(np.zeros((2, 2), dtype=np.uint64)), ValueError,
         "one-dimensional"),
        (lambda: ringleader.Maglev(["a"]).lookup_many(np.zeros(3, dtype=np.float64)), TypeError,
         "buffer format 'd'"),
        (lambda: ringleader.Maglev(["a"]).lookup_many(np.zeros(3, dtype=">u8")), TypeError,
         "native byte order"),
    ],
)
def test_errors_carry_the_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_lookup_many_from_threads():
    # lookup_many releases the GIL; concurrent batches from several threads give the same answers.
    table = ringleader.Anchor(NODES)
    expected = table.lookup_many(KEYS)
    results = []

    def work():
        results.append(table.lookup_many(KEYS))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_bounded_load_never_exceeds_the_bound():
    # 3000 requests on one hot key: with c = 1.25 no node holds more than ceil(1.25 x mean).
    bounded = ringleader.BoundedLoad(ringleader.Maglev([f"n{i}" for i in range(4)]), c=1.25)
    held = [bounded.acquire("hot-key") for _ in range(3000)]
    assert bounded.total_load == 3000 and bounded.factor == 1.25
    for node in bounded.table.nodes:
        assert bounded.load(node) <= bounded.capacity(node) == 938
    assert held[0] == bounded.table.get_node("hot-key")
    for node in held:
        bounded.release(node)
    assert bounded.total_load == 0
    with pytest.raises(ValueError, match="holds no request"):
        bounded.release("n0")
    with pytest.raises(ValueError, match="no node 'zz'"):
        bounded.load("zz")
    with pytest.raises(ValueError, match="c must be a finite number >= 1"):
        ringleader.BoundedLoad(ringleader.Maglev(["a"]), c=0.5)
    with pytest.raises(TypeError, match="wraps one of ringleader's algorithms"):
        ringleader.BoundedLoad(ringleader.HashRing(["a"]))


def test_lookup_many_reads_strided_arrays():
    # a[::3] and a[::-1] are views with a stride: they give the same answers as their copies.
    table = ringleader.Ring(NODES)
    hashes = np.array([table.hash(k) for k in KEYS], dtype=np.uint64)
    keys = np.array(KEYS, dtype="S")
    for view in (hashes[::3], hashes[::-1], keys[::3], keys[::-1]):
        assert table.lookup_many(view) == table.lookup_many(view.copy())
    assert table.lookup_many(keys[::-1]) == table.lookup_many(KEYS[::-1])
