"""`pip install .` from the checkout, offline, with Debian's pip, setuptools and wheel: the extension is
built by the project's CMake (setup.py), the package lands in a temporary --target folder, and the
installed module places keys as uhashring does.

    pip_install_test.py SOURCE_DIR CMAKE_TREE
"""
import os
import subprocess
import sys
import tempfile

SOURCE, TREE = sys.argv[1], sys.argv[2]

with tempfile.TemporaryDirectory() as target:
    env = {**os.environ, "RINGLEADER_PIP_BUILD_DIR": TREE, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    r = subprocess.run(["/usr/bin/python3", "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                        "--target", target, SOURCE], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    package = os.path.join(target, "ringleader")
    natives = [f for f in os.listdir(package) if f.startswith("_native.") and f.endswith(".so")]
    assert len(natives) == 1 and os.path.exists(os.path.join(package, "py.typed")), os.listdir(package)
    probe = """
import sys, uhashring, ringleader
assert ringleader.__file__.startswith(sys.argv[1]), ringleader.__file__
nodes = ["cache-a", "cache-b", "cache-c"]
ours, theirs = ringleader.HashRing(nodes, hash_fn="ketama"), uhashring.HashRing(nodes, hash_fn="ketama")
keys = [f"user:{i}" for i in range(1000)]
assert ours.lookup_many(keys) == [theirs.get_node(k) for k in keys]
print(ours.get_node("user:42"))
"""
    r = subprocess.run(["/usr/bin/python3", "-c", probe, target], env={**env, "PYTHONPATH": target}, cwd="/",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() in ("cache-a", "cache-b", "cache-c"), r.stdout
    print("ok pip install --target, then HashRing places keys as uhashring:", r.stdout.strip())
