"""The build step of `pip install .` (pyproject.toml): the extension ringleader._native is built by
the project's own CMake (python/CMakeLists.txt), for the interpreter pip runs under, and copied where
setuptools packs it beside the pure-Python files of python/ringleader/.

The CMake tree is build/pip in the checkout (RINGLEADER_PIP_BUILD_DIR picks another), kept between
runs so a second install rebuilds only what changed. It configures only what the module needs: no
tests, benchmarks or install rules.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent


def project_version():
    match = re.search(r"project\(ringleader VERSION ([\d.]+)", (SOURCE / "CMakeLists.txt").read_text())
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        tree = Path(os.environ.get("RINGLEADER_PIP_BUILD_DIR", SOURCE / "build" / "pip"))
        subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(tree), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                        f"-DPython_EXECUTABLE={sys.executable}", "-DRINGLEADER_TEST=OFF",
                        "-DRINGLEADER_BENCH=OFF", "-DRINGLEADER_INSTALL=OFF"], check=True)
        subprocess.run(["cmake", "--build", str(tree), "--target", "ringleader_python",
                        "--parallel", str(os.cpu_count() or 1)], check=True)
        built = list((tree / "python" / "ringleader").glob("_native.*so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _native extension in {tree}/python/ringleader, found {built}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(version=project_version(), ext_modules=[Extension("ringleader._native", sources=[])],
      cmdclass={"build_ext": CMakeBuild})
