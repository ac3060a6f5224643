"""`ringleader simulate`: the table, the JSON fields, the usage errors and the pictures."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pictures import assert_renders

RINGLEADER = sys.argv[1]
FIELDS = {"algorithm", "nodes", "keys", "moved_on_remove", "optimal_remove", "moved_on_add", "optimal_add",
          "peak_to_mean", "rel_stddev", "lookup_ns", "build_ms", "memory_bytes"}


def run(*args, check=True):
    return subprocess.run([RINGLEADER, "simulate", *args], capture_output=True, text=True, timeout=240,
                          check=check)


def test_json_has_exactly_the_fields_and_the_textbook_numbers():
    rows = json.loads(run("--json", "--keys", "200000").stdout)
    names = [r["algorithm"] for r in rows]
    assert names[0] == "modulo" and {"ring", "jump", "anchor", "memento", "maglev", "rendezvous",
                                     "multiprobe"} <= set(names)
    for r in rows:
        assert set(r) == FIELDS, r
        assert r["nodes"] == 4 and r["keys"] == 200000
        assert r["optimal_remove"] == 0.25 and r["optimal_add"] == 0.2
        for f in ("moved_on_remove", "moved_on_add", "optimal_remove", "optimal_add"):
            assert 0 <= r[f] <= 1
        if r["algorithm"] == "modulo":
            assert 0.70 < r["moved_on_remove"] < 0.80, r  # hash % N: ~3/4 of the keys move
        elif r["algorithm"] == "jump":
            # node-2 of 4 leaves (the default: a middle one): jump renumbers node-3's buckets.
            assert r["moved_on_remove"] > 0.4, r
            assert 0.18 < r["moved_on_add"] < 0.23, r
        else:
            assert 0.23 < r["moved_on_remove"] < 0.28, r  # consistent: ~1/4, the removed node's keys
            assert 0.18 < r["moved_on_add"] < 0.23, r


def test_weights_and_algorithm_list():
    rows = json.loads(run("--json", "--keys", "50000", "-a", "maglev,jump", "--nodes", "3",
                          "--weights", "1,1,2", "--leave", "node-2").stdout)
    assert [r["algorithm"] for r in rows] == ["maglev", "jump"]
    for r in rows:
        assert r["optimal_remove"] == 0.5  # the last node carries half the weight
        assert r["peak_to_mean"] < 1.05


# --leave names any node, by name or index; the last one leaving is jump's own minimal case.
def test_leave_names_any_node():
    for which in ("node-3", "3"):
        (row,) = json.loads(run("--json", "--keys", "50000", "-a", "jump", "--leave", which).stdout)
        assert 0.23 < row["moved_on_remove"] < 0.27, row
    (row,) = json.loads(run("--json", "--keys", "50000", "-a", "anchor", "--leave", "node-0").stdout)
    assert 0.23 < row["moved_on_remove"] < 0.27, row
    out = run("--keys", "2000", "-a", "ring").stdout
    assert "node-2 leaves" in out, out


def test_table_is_printed():
    out = run("--keys", "20000", "-a", "modulo,ring").stdout
    assert "moved on remove" in out and "modulo" in out and "ring" in out


def test_bad_options_are_usage_errors():
    for args in (["--nodes", "0"], ["-a", "nope"], ["--remove", "4"], ["--leave", "node-9"],
                 ["--leave", "1", "--remove", "1"], ["--weights", "1,x,1,1"],
                 ["--weights", "1,1"], ["--keys", "-5"], ["--frobnicate"]):
        r = run(*args, check=False)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.strip(), args


def test_svg_renders():
    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "sim.svg"
        run("--keys", "20000", "--svg", str(svg))
        text = svg.read_text()
        assert text.startswith("<svg") and text.rstrip().endswith("</svg>")
        for title in ("(a)", "(b)", "(c)"):
            assert title in text
        assert_renders(svg)


POOLS = """\
ring:
  listen: 127.0.0.1:22121
  hash: xxh3
  distribution: ring
  servers:
   - 10.0.0.1:11211:1 a
   - 10.0.0.2:11211:1 b
   - 10.0.0.3:11211:1 c
   - 10.0.0.4:11211:1 d
modula:
  listen: 127.0.0.1:22122
  distribution: modula
  servers:
   - 10.0.0.1:11211:1
   - 10.0.0.2:11211:1
   - 10.0.0.3:11211:1
   - 10.0.0.4:11211:1
jump:
  listen: 127.0.0.1:22123
  distribution: jump
  servers:
   - 10.0.0.1:11211:1 a
   - 10.0.0.2:11211:1 b
   - 10.0.0.3:11211:1 c
   - 10.0.0.4:11211:1 d
"""


def simulate_pool(tmp, pool, keys, *args, check=True):
    conf = Path(tmp) / "pools.yml"
    conf.write_text(POOLS)
    return subprocess.run([RINGLEADER, "simulate", "-c", str(conf), "--pool", pool, *args], input="\n".join(keys),
                          capture_output=True, text=True, timeout=120, check=check)


def test_a_pools_placement_over_your_keys_agrees_with_locate():
    keys = [f"user:{i}" for i in range(20000)]
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("ring", "modula"):
            report = json.loads(simulate_pool(tmp, pool, keys, "--json", "--join", "10.0.0.5:11211:1 e").stdout)
            located = subprocess.run([RINGLEADER, "locate", "-c", str(Path(tmp) / "pools.yml"), "--pool", pool],
                                     input="\n".join(keys), capture_output=True, text=True, timeout=60, check=True)
            per_server = {}
            for line in located.stdout.splitlines():
                per_server[line.split("\t")[1]] = per_server.get(line.split("\t")[1], 0) + 1
            assert {s["server"]: s["keys"] for s in report["servers"]} == per_server, pool
            assert report["keys"] == len(keys)
            for s in report["servers"]:
                if pool == "ring":  # consistent: a server's leaving moves its own keys and no other
                    assert s["others_moved"] == 0 and s["moved_if_it_leaves"] == s["keys"], s
                else:  # hash % N: most keys move
                    assert s["moved_if_it_leaves"] > 0.6 * len(keys), s
            join = report["join"]
            if pool == "ring":
                assert join["between_old"] == 0 and 0.16 < join["moved"] / len(keys) < 0.24, join
            else:
                assert join["between_old"] > 0.5 * len(keys), join
        # A server leaves as it should, its line marked ` removed`: jump moves only its keys too.
        report = json.loads(simulate_pool(tmp, "jump", keys, "--json").stdout)
        for s in report["servers"]:
            assert s["others_moved"] == 0 and s["moved_if_it_leaves"] == s["keys"], s
        table = simulate_pool(tmp, "ring", keys).stdout
        assert "moved if it leaves" in table and "10.0.0.4:11211:1 d" in table
        for args in (["--join", "not a server"], ["--frobnicate"]):
            r = simulate_pool(tmp, "ring", keys, *args, check=False)
            assert r.returncode == 2 and r.stderr.strip(), (args, r.stderr)
        r = subprocess.run([RINGLEADER, "simulate", "--pool", "ring"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "-c FILE" in r.stderr


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
            print("ok", name)
