"""Held-out digits as learners make them: typed in this machine's fonts, and drawn with a pen.

    python tools/real_digits.py [--per-digit 32] [--out tests/data/real_digits.npz]

Nothing made here is ever used to train a network: it measures how the shipped default network
reads the pictures a learner uploads or draws. It is deliberately made by other means than any
training data:

- typed: each digit rendered in one of the DejaVu and Liberation fonts (regular, bold, italic,
  condensed, mono), at a random size, slight tilt and place, in a random ink on a random
  background: white or tinted paper, unevenly lit paper, a dark screen, or a transparent
  background, as a screenshot or an exported picture would look;
- drawn: a stroke model of its own (cubic Bezier templates, none shared with the training
  strokes) traced by a round brush whose width follows the pen's pressure, on a 280x280 canvas
  like the app's drawing canvas: light or coloured ink on a transparent background (what the
  canvas hands back), white on black, or a dark pen on paper.

Every picture is stored as the PNG bytes a browser would upload (with a palette of 32 colours,
as many screenshot and drawing tools save them, which keeps the file small), so that the tests
read them through the app's real upload path. The output is seeded: the same arguments give the
same file.
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "real_digits.npz"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
SKIP_FONTS = ("Math",)  # DejaVu Math TeX Gyre: a mathematics font, not one a learner types in
CANVAS = 280  # the app's drawing canvas, in pixels
STORED_DRAWING = 64  # drawings are stored at this side (the preparation does not mind scale)
PALETTE = 32  # colours kept in each stored PNG

# Ink and paper colours, RGB.
DARK_INKS = ((0, 0, 0), (30, 30, 30), (60, 60, 70), (20, 40, 160), (0, 90, 200), (170, 20, 20))
LIGHT_INKS = ((255, 255, 255), (235, 235, 235), (255, 230, 80), (120, 220, 255))
PAPERS = ((255, 255, 255), (250, 248, 240), (235, 235, 235), (255, 252, 220), (225, 232, 240))
SCREENS = ((0, 0, 0), (30, 30, 30), (20, 30, 60), (45, 45, 45))


# ---------------------------------------------------------------------------------------------
# Typed


def font_files() -> list[Path]:
    """The DejaVu and Liberation font files of this machine, sorted."""
    files = [p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf")]
    files = [p for p in files if not any(s in p.name for s in SKIP_FONTS)]
    if not files:
        raise SystemExit("no DejaVu or Liberation fonts found (apt-get install fonts-dejavu ...)")
    return sorted(files)


def typed_digit(digit: int, rng: np.random.Generator, fonts: list[Path]) -> bytes:
    """One typed digit as PNG bytes."""
    font = ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), size=int(rng.integers(22, 60)))
    glyph = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(glyph).text((80, 80), str(digit), fill=255, font=font, anchor="mm")
    glyph = glyph.rotate(float(rng.uniform(-8, 8)), resample=Image.Resampling.BICUBIC)
    glyph = glyph.crop(glyph.getbbox())

    # A picture around the glyph: a tight crop, or a screenshot with space around it.
    margin = rng.uniform(0.05, 0.8, size=4) * max(glyph.size)
    width = int(glyph.width + margin[0] + margin[1])
    height = int(glyph.height + margin[2] + margin[3])
    place = (int(margin[0]), int(margin[2]))
    mask = Image.new("L", (width, height), 0)
    mask.paste(glyph, place)

    style = rng.choice(["paper", "paper", "uneven", "screen", "transparent"])
    if style == "transparent":
        ink = DARK_INKS[rng.integers(len(DARK_INKS))] if rng.random() < 0.6 else LIGHT_INKS[0]
        picture = Image.new("RGBA", (width, height), (*ink, 0))
        picture.putalpha(mask)
    else:
        if style == "screen":
            back, ink = _pick(rng, SCREENS), _pick(rng, LIGHT_INKS)
        else:
            back, ink = _pick(rng, PAPERS), _pick(rng, DARK_INKS)
        picture = Image.new("RGB", (width, height), back)
        picture.paste(Image.new("RGB", (width, height), ink), mask=mask)
        if style == "uneven":
            picture = _uneven_light(picture, rng)
    return _png(picture)


def _pick(rng: np.random.Generator, colours: tuple) -> tuple[int, int, int]:
    return colours[rng.integers(len(colours))]


def _uneven_light(picture: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A photo's light: brighter on one side, darker on the other."""
    w, h = picture.size
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = 1.0 - rng.uniform(0.15, 0.4) * (np.cos(angle) * xx + np.sin(angle) * yy)
    ramp = ramp / ramp.max()
    x = np.asarray(picture, dtype=np.float64) * ramp[..., None]
    return Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))


# ---------------------------------------------------------------------------------------------
# Drawn: Bezier templates in a unit box (x to the right, y down), one list per pen stroke.
# Each stroke is a chain of cubic pieces: p0, c, c, p1, c, c, p2, ...


def _circle_chain(cx: float, cy: float, rx: float, ry: float, start: float, turns: float):
    """A chain of cubic pieces along an ellipse, from angle `start` (radians) for `turns`."""
    pieces = max(1, math.ceil(abs(turns) * 4))
    step = turns * 2 * math.pi / pieces
    k = 4 / 3 * math.tan(step / 4)
    points = []
    for i in range(pieces):
        a0, a1 = start + i * step, start + (i + 1) * step
        p0 = (cx + rx * math.cos(a0), cy + ry * math.sin(a0))
        p1 = (cx + rx * math.cos(a1), cy + ry * math.sin(a1))
        c0 = (p0[0] - k * rx * math.sin(a0), p0[1] + k * ry * math.cos(a0))
        c1 = (p1[0] + k * rx * math.sin(a1), p1[1] - k * ry * math.cos(a1))
        points += ([p0] if i == 0 else []) + [c0, c1, p1]
    return points


def _line(p0, p1):
    (x0, y0), (x1, y1) = p0, p1
    return [
        p0,
        (x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3),
        (x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3),
        p1,
    ]


UP, DOWN = -math.pi / 2, math.pi / 2
PEN_DIGITS: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [
        [_circle_chain(0.5, 0.5, 0.3, 0.45, UP - 0.2, -1.05)],
        [_circle_chain(0.5, 0.5, 0.36, 0.46, UP + 0.3, 1.08)],
    ],
    1: [
        [_line((0.52, 0.05), (0.48, 0.95))],
        [
            [(0.3, 0.25), (0.38, 0.18), (0.47, 0.1), (0.55, 0.04)]
            + _line((0.55, 0.04), (0.55, 0.96))[1:]
        ],
        [
            [(0.28, 0.26), (0.38, 0.18), (0.46, 0.1), (0.54, 0.04)]
            + _line((0.54, 0.04), (0.54, 0.94))[1:],
            _line((0.3, 0.95), (0.78, 0.95)),
        ],
    ],
    2: [
        [
            [
                (0.2, 0.28),
                (0.25, 0.02),
                (0.8, 0.0),
                (0.78, 0.3),
                (0.76, 0.52),
                (0.35, 0.75),
                (0.16, 0.95),
            ]
            + _line((0.16, 0.95), (0.85, 0.94))[1:]
        ],
        [
            [
                (0.18, 0.22),
                (0.35, 0.0),
                (0.82, 0.05),
                (0.72, 0.38),
                (0.62, 0.65),
                (0.2, 0.8),
                (0.2, 0.92),
                (0.22, 1.0),
                (0.4, 0.82),
                (0.5, 0.9),
                (0.6, 0.98),
                (0.75, 0.92),
                (0.86, 0.88),
            ]
        ],
    ],
    3: [
        [
            [
                (0.2, 0.15),
                (0.4, -0.05),
                (0.85, 0.05),
                (0.78, 0.25),
                (0.72, 0.42),
                (0.5, 0.47),
                (0.4, 0.47),
                (0.9, 0.48),
                (0.9, 0.82),
                (0.7, 0.95),
                (0.5, 1.04),
                (0.25, 0.95),
                (0.15, 0.85),
            ]
        ],
        [
            _line((0.2, 0.05), (0.8, 0.05))[:4]
            + [
                (0.65, 0.2),
                (0.5, 0.35),
                (0.42, 0.42),
                (0.9, 0.38),
                (0.92, 0.85),
                (0.6, 0.97),
                (0.45, 1.0),
                (0.25, 0.95),
                (0.15, 0.85),
            ]
        ],
    ],
    4: [
        [
            _line((0.6, 0.03), (0.15, 0.65)) + _line((0.15, 0.65), (0.88, 0.65))[1:],
            _line((0.68, 0.3), (0.66, 0.98)),
        ],
        [
            _line((0.66, 0.97), (0.66, 0.02))
            + _line((0.66, 0.02), (0.12, 0.68))[1:]
            + _line((0.12, 0.68), (0.9, 0.68))[1:]
        ],
        [
            _line((0.3, 0.02), (0.2, 0.55)) + _line((0.2, 0.55), (0.85, 0.55))[1:],
            _line((0.7, 0.05), (0.7, 0.98)),
        ],
    ],
    5: [
        [
            _line((0.8, 0.04), (0.28, 0.05))
            + _line((0.28, 0.05), (0.22, 0.45))[1:]
            + [(0.45, 0.3), (0.85, 0.35), (0.85, 0.68), (0.85, 1.02), (0.35, 1.02), (0.15, 0.85)]
        ],
        [
            _line((0.26, 0.05), (0.22, 0.45))
            + [(0.45, 0.3), (0.85, 0.35), (0.85, 0.68), (0.85, 1.02), (0.35, 1.02), (0.15, 0.85)],
            _line((0.26, 0.05), (0.8, 0.03)),
        ],
    ],
    6: [
        [
            [
                (0.75, 0.05),
                (0.4, 0.1),
                (0.18, 0.4),
                (0.18, 0.7),
                (0.18, 1.02),
                (0.8, 1.02),
                (0.8, 0.7),
                (0.8, 0.42),
                (0.3, 0.42),
                (0.2, 0.68),
            ]
        ],
        [
            [
                (0.65, 0.0),
                (0.45, 0.2),
                (0.2, 0.45),
                (0.22, 0.72),
                (0.25, 1.0),
                (0.78, 1.0),
                (0.76, 0.72),
                (0.74, 0.48),
                (0.35, 0.45),
                (0.24, 0.62),
            ]
        ],
    ],
    7: [
        [_line((0.15, 0.05), (0.85, 0.05)) + _line((0.85, 0.05), (0.4, 0.97))[1:]],
        [
            _line((0.12, 0.15), (0.16, 0.04))
            + _line((0.16, 0.04), (0.86, 0.06))[1:]
            + [(0.7, 0.35), (0.55, 0.65), (0.48, 0.97)]
        ],
        [
            _line((0.15, 0.05), (0.85, 0.05)) + _line((0.85, 0.05), (0.42, 0.97))[1:],
            _line((0.4, 0.5), (0.82, 0.5)),
        ],
    ],
    8: [
        [
            [
                (0.78, 0.18),
                (0.7, -0.05),
                (0.22, -0.02),
                (0.25, 0.22),
                (0.3, 0.45),
                (0.8, 0.5),
                (0.82, 0.75),
                (0.85, 1.03),
                (0.15, 1.03),
                (0.18, 0.75),
                (0.2, 0.5),
                (0.75, 0.45),
                (0.78, 0.18),
            ]
        ],
        [
            _circle_chain(0.5, 0.26, 0.24, 0.22, DOWN, 1.0),
            _circle_chain(0.5, 0.72, 0.3, 0.25, UP, 1.0),
        ],
    ],
    9: [
        [_circle_chain(0.5, 0.3, 0.3, 0.26, 0.1, -1.0) + _line((0.8, 0.35), (0.76, 0.98))[1:]],
        [
            [
                (0.78, 0.25),
                (0.7, -0.05),
                (0.2, 0.0),
                (0.22, 0.3),
                (0.25, 0.58),
                (0.75, 0.55),
                (0.8, 0.22),
                (0.82, 0.6),
                (0.7, 0.9),
                (0.45, 0.98),
            ]
        ],
    ],
}


def _bezier(chain: list[tuple[float, float]], spacing: float) -> np.ndarray:
    """Points along a chain of cubic pieces, about `spacing` apart: (P, 2)."""
    pts = np.asarray(chain, dtype=np.float64)
    out = []
    for i in range(0, len(pts) - 3, 3):
        p0, c0, c1, p1 = pts[i : i + 4]
        length = np.linalg.norm(c0 - p0) + np.linalg.norm(c1 - c0) + np.linalg.norm(p1 - c1)
        t = np.linspace(0, 1, max(2, int(length / spacing)))[:, None]
        out.append(
            (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c0 + 3 * (1 - t) * t**2 * c1 + t**3 * p1
        )
    return np.concatenate(out)


def drawn_digit(digit: int, rng: np.random.Generator) -> bytes:
    """One digit drawn with the mouse on a canvas like the app's, as PNG bytes."""
    strokes = PEN_DIGITS[digit][rng.integers(len(PEN_DIGITS[digit]))]
    # The hand: a tilt, a slant, narrower or wider, a wobble of each control point.
    tilt, slant = rng.uniform(-0.2, 0.2), rng.uniform(-0.35, 0.15)
    aspect = rng.uniform(0.65, 1.2)
    c, s = math.cos(tilt), math.sin(tilt)
    turn = np.array([[c, -s], [s, c]]) @ np.array([[aspect, slant], [0.0, 1.0]])
    height = rng.uniform(0.35, 0.85) * CANVAS
    centre = rng.uniform(0.35, 0.65, size=2) * CANVAS
    wobble = rng.uniform(0.0, 0.035)
    width = rng.uniform(10, 30)  # the brush's width in canvas pixels, as the app's 22

    scale = 3  # drawn at 3x, then shrunk: smooth edges as a browser canvas gives
    mask = Image.new("L", (CANVAS * scale, CANVAS * scale), 0)
    draw = ImageDraw.Draw(mask)
    for stroke in strokes:
        chain = np.asarray(stroke) + rng.normal(0, wobble, size=(len(stroke), 2))
        path = _bezier(chain.tolist(), spacing=0.004)
        path = ((path - 0.5) @ turn.T) * height + centre  # canvas pixels
        # Pressure rises at the start of a stroke, wavers, and eases at its end.
        t = np.linspace(0, 1, len(path))
        pressure = np.minimum(1.0, 0.55 + 3 * t) * np.minimum(1.0, 0.7 + 2.5 * (1 - t))
        pressure *= 1 + 0.15 * np.sin(2 * np.pi * (t * rng.uniform(1, 3) + rng.uniform()))
        for (x, y), p in zip(path * scale, pressure * width * scale / 2, strict=True):
            draw.ellipse((x - p, y - p, x + p, y + p), fill=255)
    mask = mask.resize((STORED_DRAWING, STORED_DRAWING), Image.Resampling.LANCZOS)

    style = rng.choice(["transparent", "transparent", "canvas", "paper"])
    if style == "transparent":  # the canvas's drawing layer: ink only, the rest see-through
        ink = LIGHT_INKS[0] if rng.random() < 0.5 else _pick(rng, DARK_INKS + LIGHT_INKS)
        picture = Image.new("RGBA", mask.size, (*ink, 0))
        picture.putalpha(mask)
    elif style == "canvas":  # the app's canvas: white strokes on black
        picture = Image.new("RGB", mask.size, (0, 0, 0))
        picture.paste(Image.new("RGB", mask.size, _pick(rng, LIGHT_INKS)), mask=mask)
    else:  # a pen on paper, scanned
        picture = Image.new("RGB", mask.size, _pick(rng, PAPERS))
        picture.paste(Image.new("RGB", mask.size, _pick(rng, DARK_INKS)), mask=mask)
    return _png(picture)


def _png(picture: Image.Image) -> bytes:
    """PNG bytes with a palette of PALETTE colours: small files, as many tools export."""
    method = Image.Quantize.FASTOCTREE if picture.mode == "RGBA" else Image.Quantize.MEDIANCUT
    out = io.BytesIO()
    picture.quantize(PALETTE, method=method).save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------


def make(per_digit: int, seed: int = 2024) -> dict[str, np.ndarray]:
    """Arrays for the npz: for each kind, the PNG files joined, their ends, and their digits."""
    rng = np.random.default_rng(seed)
    fonts = font_files()
    arrays: dict[str, np.ndarray] = {}
    for kind, make_one in (
        ("typed", lambda d: typed_digit(d, rng, fonts)),
        ("drawn", lambda d: drawn_digit(d, rng)),
    ):
        labels = np.repeat(np.arange(10), per_digit)
        files = [make_one(int(d)) for d in labels]
        arrays[f"{kind}_png"] = np.frombuffer(b"".join(files), dtype=np.uint8)
        arrays[f"{kind}_ends"] = np.cumsum([len(f) for f in files]).astype(np.int64)
        arrays[f"{kind}_labels"] = labels.astype(np.int64)
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--per-digit", type=int, default=32, help="pictures of each digit, each kind"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    arrays = make(args.per_digit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
