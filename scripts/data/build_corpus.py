"""Build ``ocrlite/data/corpus/prose.txt``: real English running text for the generator's prose lines.

Maintainer tool (needs ``apt-get`` and ``dpkg-deb``; its output is committed):

    python scripts/data/build_corpus.py --debs /tmp/textdebs --out ocrlite/data/corpus

Sources (all in Debian main, redistributable; licences copied to ``ocrlite/data/corpus/licenses/``):

- ``python3.11-doc``: the Python documentation (tutorial, library reference, HOWTOs, FAQ,
  what's new), reStructuredText sources — technical document prose (PSF License 2).
- ``debian-policy``: the Debian Policy Manual sources — specification prose (GPL-2+ and others).
- ``fortunes``: the BSD fortune collection — quotations from literature, science, law,
  politics and everyday speech, with attributions (BSD licence).

Each output line is one paragraph, markup removed, normalised to printable ASCII (curly quotes
to straight quotes, dashes to hyphens), prefixed with its source tag (``doc`` or ``book``) and
a tab. The generator takes runs of consecutive words from these paragraphs, so word
frequencies are those of the texts.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

PACKAGES = ("python3.11-doc", "debian-policy", "fortunes")
FORTUNE_FILES = ("literature", "wisdom", "people", "science", "education", "politics", "law", "work", "love",
                 "art", "humorists", "medicine", "platitudes", "miscellaneous", "definitions", "food", "sports",
                 "news", "pets", "kids", "men-women", "magic", "fortunes", "cookie", "goedel", "computers")
MAX_CHARS = {"doc": 3_500_000, "book": 1_500_000}

_ASCII_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u00b4": "'", "\u2022": "*",
    "\u00d7": "x", "\u00b7": ".", "\u2032": "'", "\u2033": '"',
}
_ROLE = re.compile(r":[a-zA-Z:+-]+:`!?~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_LITERAL = re.compile(r"``([^`]+)``")
_EMPH = re.compile(r"(\*\*?)([^*\s][^*]*?)\1")
_REF = re.compile(r"`([^`]+)`_*")
_FOOT = re.compile(r"\s*\[#?[a-z0-9_-]*\]_")


def to_ascii(text: str) -> str:
    """Printable ASCII: typographic quotes and dashes mapped, accents dropped, the rest removed."""
    text = "".join(_ASCII_MAP.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if 32 <= ord(c) < 127 or c in "\n\t")
    return re.sub(r"[ \t]+", " ", text).strip()


def rst_paragraphs(text: str) -> list[str]:
    """Prose paragraphs of a reStructuredText file: no directives, literal blocks, tables or titles."""
    paragraphs, current = [], []
    in_block = False
    block_indent = 0
    for line in text.splitlines() + [""]:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if in_block:
            if stripped and indent <= block_indent:
                in_block = False
            else:
                continue
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if stripped.startswith(("..", "+-", "|", "=", "-" * 3, "*" * 3, "~" * 3, ">>>", "^^^", "#" * 3)) or (
                set(stripped) <= set("=-~^*#+`:.'\"") and len(stripped) > 2):
            if current and set(stripped) <= set("=-~^*#"):
                current = []  # the previous line was a section title
            if stripped.startswith(".."):
                in_block, block_indent = True, indent
            continue
        if indent > 0 and not current:
            continue  # indented material outside a paragraph: quotes of code, option lists
        current.append(stripped)
        if stripped.endswith("::"):
            paragraphs.append(" ".join(current)[:-1])
            current = []
            in_block, block_indent = True, indent
    out = []
    for p in paragraphs:
        p = _ROLE.sub(r"\1", p)
        p = _LINK.sub(r"\1", p)
        p = _LITERAL.sub(r"\1", p)
        p = _FOOT.sub("", p)
        p = _REF.sub(r"\1", p)
        p = _EMPH.sub(r"\2", p)
        p = to_ascii(p)
        words = p.split()
        letters = sum(c.isalpha() for c in p)
        if len(words) >= 8 and letters > 0.6 * len(p) and not p.startswith((":", "*", "-")):
            out.append(p)
    return out


def fortune_paragraphs(text: str) -> list[str]:
    """Fortune cookies (``%``-separated) that read as prose: at least eight words, mostly letters."""
    out = []
    for entry in text.split("\n%\n"):
        lines = [ln.strip() for ln in entry.splitlines() if ln.strip()]
        if not lines or any(len(ln) > 0 and sum(c.isalpha() for c in ln) < 0.4 * len(ln) for ln in lines):
            continue  # ASCII art, tables
        p = to_ascii(" ".join(lines))
        p = re.sub(r"\s*--\s*", " -- ", p)
        if len(p.split()) >= 8 and sum(c.isalpha() for c in p) > 0.6 * len(p):
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debs", type=Path, default=Path("/tmp/textdebs"))
    parser.add_argument("--out", type=Path, default=Path("ocrlite/data/corpus"))
    args = parser.parse_args(argv)
    args.debs.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        if not list(args.debs.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=args.debs, check=True, capture_output=True)
    lines: dict[str, list[str]] = {"doc": [], "book": []}
    licences = args.out / "licenses"
    licences.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for package in PACKAGES:
            deb = sorted(args.debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root / package)], check=True)
            copyright_file = next((root / package / "usr/share/doc").glob("*/copyright"))
            shutil.copyfile(copyright_file, licences / f"{package}.copyright")
        sources = sorted((root / "python3.11-doc").rglob("*.rst.txt")) + sorted(
            (root / "debian-policy").rglob("*.rst.txt"))
        for path in sources:
            if "c-api" in path.parts or "whatsnew" in path.parts and "changelog" in path.name:
                continue
            lines["doc"] += rst_paragraphs(path.read_text(encoding="utf-8", errors="replace"))
        fortune_dir = root / "fortunes/usr/share/games/fortunes"
        for name in FORTUNE_FILES:
            path = fortune_dir / name
            if path.is_file():
                lines["book"] += fortune_paragraphs(path.read_text(encoding="latin-1"))
    seen: set[str] = set()
    total = 0
    with open(args.out / "prose.txt", "w", encoding="ascii") as f:
        for tag, paragraphs in lines.items():
            used = 0
            for p in paragraphs:
                if p in seen or used + len(p) > MAX_CHARS[tag]:
                    continue
                seen.add(p)
                used += len(p)
                f.write(f"{tag}\t{p}\n")
            print(f"{tag}: {used:,} characters")
            total += used
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
