#!/usr/bin/python3
"""Writes every ```cpp and ```python block of the given Markdown files into OUTDIR, one file each
(readme_1.cpp, readme_2.py, ...), so the build compiles and ctest runs them: an example that no
longer compiles or runs fails `make test` instead of the first user who copies it.

A C++ block without a main() is a fragment: its #include lines go first and the rest becomes the
body of main(). Python blocks run as they are.

Usage: extract_examples.py OUTDIR FILE.md...
"""
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```(cpp|python)\n(.*?)^```$", re.S | re.M)


def as_program(block):
    if re.search(r"\bint\s+main\s*\(", block):
        return block
    lines = block.splitlines()
    includes = [l for l in lines if l.startswith("#include")]
    body = [l for l in lines if not l.startswith("#include")]
    return "\n".join(includes + ["", "int main() {"] + ["  " + l if l else l for l in body] + ["}", ""])


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*_example_*"):
        old.unlink()
    for source in map(Path, sys.argv[2:]):
        for n, match in enumerate(FENCE.finditer(source.read_text()), 1):
            language, block = match.groups()
            name = f"{source.stem.lower()}_example_{n}"
            if language == "cpp":
                (out / f"{name}.cpp").write_text(f"// From {source.name}, block {n}.\n" + as_program(block))
            else:
                (out / f"{name}.py").write_text(f"# From {source.name}, block {n}.\n" + block)


if __name__ == "__main__":
    main()
