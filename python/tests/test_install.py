"""`cmake --install <build> --component python` gives an importable package (run from ctest, which
sets RINGLEADER_BINARY_DIR to the build tree)."""

import os
import subprocess
import sys

import pytest

BUILD = os.environ.get("RINGLEADER_BINARY_DIR")


@pytest.mark.skipif(BUILD is None, reason="run by ctest, which names the build tree")
def test_cmake_install_gives_an_importable_package(tmp_path):
    # DESTDIR stages the install under tmp_path instead of the real site-packages.
    cmake = os.environ.get("RINGLEADER_CMAKE", "cmake")
    subprocess.run([cmake, "--install", BUILD, "--component", "python"], check=True, timeout=120,
                   env={**os.environ, "DESTDIR": str(tmp_path)}, stdout=subprocess.DEVNULL)
    packages = [root for root, dirs, _ in os.walk(tmp_path) if "ringleader" in dirs]
    assert len(packages) == 1
    probe = ("import ringleader, sys; "
             "assert ringleader.__file__.startswith(sys.argv[1]), ringleader.__file__; "
             "print(ringleader.HashRing(['a', 'b'], hash_fn='ketama').get_node('user:1'))")
    result = subprocess.run([sys.executable, "-c", probe, packages[0]], check=True, timeout=60, text=True,
                            capture_output=True, env={**os.environ, "PYTHONPATH": packages[0]}, cwd=tmp_path)
    assert result.stdout.strip() in ("a", "b")
