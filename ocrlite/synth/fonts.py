"""Font discovery and glyph-coverage checks for the generator.

Fonts ship in ``ocrlite/data/fonts/`` (training) and ``ocrlite/data/fonts/holdout/`` (families never used in
training, for the unseen-font validation set). A font is only asked to draw characters it
really has: coverage is measured by comparing each glyph's bitmap with the font's own
"missing glyph" box, so no tofu is ever rendered.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

from ocrlite.recognition.charset import CHARSET_V2, PRINTABLE_ASCII
from ocrlite.utils.resources import FONTS_DIR

FONT_DIR = FONTS_DIR  # ocrlite/data/fonts, or $OCRLITE_FONTS_DIR
HOLDOUT_FONT_DIR = FONT_DIR / "holdout"
FONT_EXTENSIONS = (".ttf", ".otf", ".ttc")
_CHARSET_V2_SET = frozenset(CHARSET_V2)
_PROBE_SIZE = 28
#: Typographic characters and the plain character a face may draw in their place. A face whose glyph for the
#: first is the very glyph of the second (same bitmap, same place) prints the plain character, so it is not
#: counted as drawing the first: the line is drawn in another face, or the plain character is written and
#: labelled (a typewriter face's straight ``"`` must not be labelled ``”``). Accented letters whose glyph is
#: the bare letter's are found the same way (:func:`look_alike_of`).
LOOK_ALIKE_PLAIN: dict[str, str] = {
    "“": '"', "”": '"', "„": '"', "″": '"', "‘": "'", "’": "'", "′": "'", "´": "'", "‚": ",",
    "–": "-", "—": "-", "‹": "<", "›": ">", "·": ".", "×": "x", "…": ".",
}


def look_alike_of(char: str) -> str | None:
    """The plain character a face may draw for ``char`` (``”`` → ``"``, ``ê`` → ``e``), or None."""
    if char in LOOK_ALIKE_PLAIN:
        return LOOK_ALIKE_PLAIN[char]
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0] if len(decomposed) > 1 and decomposed[0].isalpha() else None


# Code points no Latin font maps: their bitmap is the font's .notdef ("tofu") glyph.
_MISSING_PROBES = ("\uffff", "\U000f0000", "\ue000")


@dataclass(frozen=True)
class FontInfo:
    """A usable font file and the characters it can draw.

    Attributes:
        path: the font file.
        chars: the characters it draws with a real glyph.
        family: its design family (from ``FONTS.tsv`` when the library lists it, else the font's name table).
        style: ``regular``, ``bold``, ``italic`` or ``bold italic``.
        family_has_italic: whether any face of the family is italic (a synthetic slant is only
            applied to families without one).
        font_class: its design class from ``FONTS.tsv`` ("monospace", "old-style serif", …; "" unknown).
    """

    path: Path
    chars: frozenset[str]
    family: str = ""
    style: str = "regular"
    family_has_italic: bool = False
    font_class: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


def _style_of(style_name: str) -> str:
    name = style_name.lower()
    italic = any(w in name for w in ("italic", "oblique", "slanted"))
    bold = any(w in name for w in ("bold", "black", "heavy", "demi"))
    return {(False, False): "regular", (True, False): "bold", (False, True): "italic", (True, True): "bold italic"}[
        (bold, italic)]


def font_catalogue(directory: str | Path) -> dict[str, dict[str, str]]:
    """``FONTS.tsv`` rows for the files of ``directory``, by file name ({} when it is not listed).

    The library's ``FONTS.tsv`` sits in ``ocrlite/data/fonts`` and lists ``holdout/`` files with folder ``holdout``.
    """
    directory = Path(directory).resolve()
    for listing, prefix in ((directory / "FONTS.tsv", "."), (directory.parent / "FONTS.tsv", directory.name)):
        if listing.is_file():
            try:
                with open(listing, encoding="utf-8", newline="") as f:
                    rows = list(csv.DictReader(f, delimiter="\t"))
            except (OSError, UnicodeDecodeError, csv.Error):
                return {}
            if rows and {"folder", "file", "family", "style"} <= set(rows[0]):
                return {r["file"]: r for r in rows if r.get("folder") == prefix}
    return {}


def discover_fonts(directory: str | Path = FONT_DIR) -> list[Path]:
    """Font files directly inside ``directory`` (not recursive), sorted by name.

    Raises:
        FileNotFoundError: the folder does not exist or holds no font files.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: font folder not found")
    fonts = sorted(p for p in directory.iterdir() if p.suffix.lower() in FONT_EXTENSIONS and p.is_file())
    if not fonts:
        raise FileNotFoundError(f"{directory}: no .ttf/.otf font files")
    return fonts


@lru_cache(maxsize=4096)
def get_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType font at ``size`` px (basic layout: fast and identical everywhere)."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def _bitmap(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


#: Per font folder: which charset-v2 characters each file draws, measured once by :func:`write_coverage_table`
#: (file name → {"size": bytes, "chars": "…"}), so that loading 800 fonts does not render 170,000 glyphs.
COVERAGE_FILE = "coverage.json"


@lru_cache(maxsize=16)
def _coverage_table(directory: str) -> dict[str, tuple[int, frozenset[str]]]:
    path = Path(directory) / COVERAGE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: (int(v["size"]), frozenset(v["chars"])) for name, v in raw.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def write_coverage_table(directory: str | Path) -> Path:
    """Measure and write ``DIRECTORY/coverage.json`` for every font file there (run after changing the fonts)."""
    directory = Path(directory)
    table = {}
    for path in discover_fonts(directory):
        table[path.name] = {"size": path.stat().st_size, "chars": "".join(sorted(_measure_coverage(str(path), CHARSET_V2)))}
    out = directory / COVERAGE_FILE
    out.write_text(json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    _coverage_table.cache_clear()
    return out


@lru_cache(maxsize=256)
def font_coverage(path: str, chars: str) -> frozenset[str]:
    """The subset of ``chars`` that the font at ``path`` draws with a real glyph.

    Read from the folder's :data:`COVERAGE_FILE` when it lists this file at its size and ``chars`` are all
    charset-v2 characters; measured otherwise.
    """
    entry = _coverage_table(str(Path(path).parent)).get(Path(path).name)
    if entry is not None and set(chars) <= _CHARSET_V2_SET:
        try:
            if Path(path).stat().st_size == entry[0]:
                return entry[1] & frozenset(chars)
        except OSError:
            pass
    return _measure_coverage(path, chars)


def _measure_coverage(path: str, chars: str) -> frozenset[str]:
    font = get_font(path, _PROBE_SIZE)
    missing = set()
    for probe in _MISSING_PROBES:
        try:
            missing.add(_bitmap(font, probe))
        except (OSError, ValueError):
            pass
    ok = set()
    for c in chars:
        if c == " ":
            ok.add(c)  # space has no ink in any font
            continue
        try:
            size, data = _bitmap(font, c)
        except (OSError, ValueError):
            continue
        if size[0] == 0 or size[1] == 0 or not any(data) or (size, data) in missing:
            continue
        ok.add(c)
    for c in list(ok):  # a "typographic" glyph that is the plain one: the face prints the plain character
        plain = look_alike_of(c)
        if plain and plain in ok and _drawn_the_same(font, c, plain):
            ok.discard(c)
    return frozenset(ok)


#: Typographic signs that a face may draw so nearly like their plain look-alike that no reader could tell which
#: was meant: the same place and size at the probe size and bitmaps that correlate at least
#: :data:`NEAR_SAME_SIMILARITY`. Quotes (Junction's ``’``, Compagnon's ``”``, Mekanus's ``’``: 14 of the 1,257
#: quote pairs of the training faces; from 0.90 to 0.95 a slant or taper still shows), and the same for the other
#: pairs of :data:`LOOK_ALIKE_PLAIN`: ``‚`` drawn as the face's comma but for hinting (99 training faces, 20
#: held-out ones; a bit-identical one was already counted as the comma), ``–`` drawn as the hyphen, mostly in
#: monospace faces (17 / 5), primes drawn as straight quotes (11 / 3). Such a face prints the plain
#: sign, and a line of it is labelled so — issue 39: "a face that draws `"` for `”` must not be labelled `”`".
#: Letters are not in it: ``í`` against ``i`` can share a box and most of the ink, yet the accent shows.
NEAR_SAME_SIGNS = frozenset(LOOK_ALIKE_PLAIN)
NEAR_SAME_SIMILARITY = 0.95


def _similarity(a: bytes, b: bytes) -> float:
    """Pearson correlation of two equal-length 8-bit bitmaps (1.0 for two flat ones)."""
    x = np.frombuffer(a, np.uint8).astype(np.float64)
    y = np.frombuffer(b, np.uint8).astype(np.float64)
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y / norm) if norm else 1.0


def _drawn_the_same(font: ImageFont.FreeTypeFont, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` have the same bitmap at the same place (``…`` against ``.``: never the same) — or,
    for a typographic sign of :data:`NEAR_SAME_SIGNS`, nearly the same (:data:`NEAR_SAME_SIMILARITY`)."""
    try:
        if font.getbbox(a) != font.getbbox(b):
            return False
        (size_a, ink_a), (size_b, ink_b) = _bitmap(font, a), _bitmap(font, b)
    except (OSError, ValueError):
        return False
    if (size_a, ink_a) == (size_b, ink_b):
        return True
    return a in NEAR_SAME_SIGNS and size_a == size_b and _similarity(ink_a, ink_b) >= NEAR_SAME_SIMILARITY


def load_fonts(directory: str | Path, chars: str, min_coverage: float = 0.9) -> list[FontInfo]:
    """Fonts in ``directory`` that draw at least ``min_coverage`` of ``chars``' printable-ASCII part
    (of all ``chars`` for a charset without ASCII). A face with ASCII only still prints English and
    receipts; each line is drawn only in a face that has its characters (:class:`~ocrlite.synth.generator.LineGenerator`).

    Raises:
        FileNotFoundError: no usable font.
    """
    core = "".join(c for c in chars if c in PRINTABLE_ASCII) or chars
    catalogue = font_catalogue(directory)
    found = []
    for path in discover_fonts(directory):
        try:
            covered = font_coverage(str(path), chars)
            family, style_name = get_font(str(path), _PROBE_SIZE).getname()
        except OSError:
            continue  # unreadable font file
        if len(covered & set(core)) >= min_coverage * len(core):
            row = catalogue.get(path.name)
            if row:
                found.append((path, covered, row["family"], row["style"], row.get("class", "")))
            else:
                found.append((path, covered, (family or path.stem).removeprefix("ocrlite-subset "),
                              _style_of(style_name or ""), ""))
    if not found:
        raise FileNotFoundError(f"{directory}: no font covers {min_coverage:.0%} of the charset's core characters")
    italic_families = {family for _, _, family, style, _ in found if "italic" in style}
    return [FontInfo(path, covered, family, style, family in italic_families, font_class)
            for path, covered, family, style, font_class in found]


def by_family(fonts: list[FontInfo]) -> list[list[FontInfo]]:
    """Fonts grouped by design family (families in name order), for family-first sampling."""
    groups: dict[str, list[FontInfo]] = {}
    for font in fonts:
        groups.setdefault(font.family or font.name, []).append(font)
    return [groups[k] for k in sorted(groups)]
