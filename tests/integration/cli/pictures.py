"""Checks that an SVG renders to a real picture: rsvg-convert must turn it into a valid PNG that is
not blank (many colours, a good share of non-white pixels)."""
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def assert_renders(svg: Path, min_colours: int = 6, min_ink: float = 0.03) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "picture.png"
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True, timeout=60)
        with Image.open(png) as image:
            image.verify()  # a valid PNG, or an exception
        with Image.open(png) as image:
            rgb = image.convert("RGB")
            width, height = rgb.size
            assert width >= 400 and height >= 400, f"{svg}: only {width}x{height} pixels"
            colours = rgb.getcolors(maxcolors=1 << 20) or []
            assert len(colours) >= min_colours, f"{svg}: {len(colours)} colours, looks blank"
            white = sum(count for count, colour in colours if colour == (255, 255, 255))
            ink = 1 - white / (width * height)
            assert ink >= min_ink, f"{svg}: only {ink:.1%} of the pixels are not white"
