"""Build the shipped font library ``ocrlite/data/fonts/`` from Debian's font packages.

Maintainer tool (needs ``apt-get`` and ``dpkg-deb``; run once, its output is committed):

    python scripts/data/build_fonts.py --debs /tmp/fontdebs --out ocrlite/data/fonts --force

For every package in :data:`PACKAGES` it downloads the ``.deb`` (``apt-get download``) unless
it is already in ``--debs``, unpacks it, reads every ``.ttf``/``.otf`` with fontTools, keeps the
Latin text faces (>= 97 % of printable ASCII, no math/symbol/script/bitmap faces), names the
design family and the style (regular / bold / italic / bold italic, plus the subfamily as
published), subsets each file to charset v2 (``ocrlite.recognition.charset.CHARSET_V2``: ASCII, Latin-1, typographic
quotes, dashes and signs — whatever of it the face has; fontTools.subset: a few kB to a few tens of kB a file) and writes it to ``ocrlite/data/fonts/`` (training) or ``ocrlite/data/fonts/holdout/`` (the families
in :data:`HOLDOUT_FAMILIES`, never used in training). ``FONTS.tsv`` records family, style,
class, licence and source package of every file; each package's ``copyright`` file (the
licence text) is copied to ``licenses/``.

Subset files are modified versions: their internal family names are prefixed with
``ocrlite-subset`` so that no Reserved Font Name of an OFL font is used for them.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from ocrlite.recognition.charset import CHARSET_V2, PRINTABLE_ASCII as ASCII
from ocrlite.synth.fonts import font_coverage, write_coverage_table

# package -> typeface class (the class of most of its families; FAMILY_CLASS overrides per family).
PACKAGES: dict[str, str] = {
    # book and document serifs
    "fonts-adf-accanthis": "old-style serif", "fonts-adf-baskervald": "transitional serif",
    "fonts-adf-berenis": "old-style serif", "fonts-adf-ikarius": "old-style serif",
    "fonts-adf-irianis": "old-style serif", "fonts-adf-oldania": "old-style serif",
    "fonts-adf-romande": "transitional serif", "fonts-adf-tribun": "transitional serif",
    "fonts-cardo": "old-style serif", "fonts-crosextra-caladea": "transitional serif",
    "fonts-ebgaramond": "old-style serif", "fonts-goudybookletter": "old-style serif",
    "fonts-junicode": "old-style serif", "fonts-linuxlibertine": "old-style serif",
    "fonts-oldstandard": "modern serif", "fonts-vollkorn": "old-style serif", "fonts-stix": "transitional serif",
    "fonts-texgyre": "transitional serif", "fonts-urw-base35": "transitional serif",
    "fonts-sil-charis": "transitional serif", "fonts-sil-charis-compact": "transitional serif",
    "fonts-sil-gentiumplus": "old-style serif", "fonts-sil-gentium-basic": "old-style serif",
    "fonts-yrsa-rasa": "old-style serif", "fonts-century-catalogue": "transitional serif",
    "fonts-fanwood": "old-style serif", "fonts-lindenhill": "old-style serif", "fonts-prociono": "old-style serif",
    "fonts-quattrocento": "transitional serif", "fonts-paratype": "transitional serif",
    "fonts-noto-core": "humanist sans", "fonts-noto-mono": "monospace", "fonts-dejavu-core": "humanist sans",
    "fonts-dejavu-extra": "humanist sans", "fonts-liberation": "grotesque sans", "fonts-liberation2": "grotesque sans",
    "fonts-freefont-ttf": "grotesque sans", "fonts-elstob": "old-style serif", "fonts-cmu": "computer modern",
    "fonts-lmodern": "computer modern", "fonts-averia-serif-gwf": "transitional serif",
    "fonts-averia-sans-gwf": "humanist sans", "fonts-averia-gwf": "humanist sans", "fonts-levien-museum": "old-style serif",
    "fonts-gfs-didot": "modern serif", "fonts-gfs-bodoni-classic": "modern serif", "fonts-gfs-baskerville": "transitional serif",
    "fonts-gfs-neohellenic": "humanist sans",
    # sans
    "fonts-adf-gillius": "humanist sans", "fonts-adf-libris": "humanist sans", "fonts-adf-switzera": "grotesque sans",
    "fonts-adf-universalis": "grotesque sans", "fonts-adf-verana": "humanist sans", "fonts-adf-solothurn": "humanist sans",
    "fonts-cabin": "humanist sans", "fonts-cantarell": "humanist sans", "fonts-clear-sans": "humanist sans",
    "fonts-comic-neue": "informal sans", "fonts-crosextra-carlito": "humanist sans", "fonts-inter": "grotesque sans",
    "fonts-karla": "grotesque sans", "fonts-lato": "humanist sans", "fonts-manrope": "grotesque sans",
    "fonts-open-sans": "humanist sans", "fonts-opendin": "grotesque sans", "fonts-oxygen": "humanist sans",
    "fonts-quicksand": "geometric sans", "fonts-roboto-unhinted": "grotesque sans", "fonts-sora": "geometric sans",
    "fonts-tuffy": "humanist sans", "fonts-b612": "humanist sans", "fonts-dosis": "rounded sans",
    "fonts-jura": "humanist sans", "fonts-allerta": "humanist sans", "fonts-tiresias": "humanist sans",
    "fonts-routed-gothic": "technical sans", "fonts-league-spartan": "geometric sans", "fonts-sil-andika": "humanist sans",
    "fonts-play": "humanist sans", "fonts-opendyslexic": "informal sans", "fonts-humor-sans": "informal sans",
    "fonts-beteckna": "geometric sans",
    # slab
    "fonts-roboto-slab": "slab serif",
    # monospace and typewriter
    "fonts-3270": "monospace", "fonts-agave": "monospace", "fonts-anonymous-pro": "monospace",
    "fonts-courier-prime": "typewriter", "fonts-fantasque-sans": "monospace", "fonts-firacode": "monospace",
    "fonts-go": "humanist sans", "fonts-hack": "monospace", "fonts-hermit": "monospace", "fonts-inconsolata": "monospace",
    "fonts-jetbrains-mono": "monospace", "fonts-league-mono": "monospace", "fonts-monofur": "monospace",
    "fonts-monoid": "monospace", "fonts-mononoki": "monospace", "fonts-gnutypewriter": "typewriter",
    "fonts-ocr-a": "ocr", "fonts-ocr-b": "ocr", "fonts-dotgothic16": "dot matrix",
    "fonts-tlwg-typewriter-otf": "typewriter", "fonts-tlwg-typist-otf": "typewriter", "fonts-tlwg-mono-otf": "monospace",
    # legible display faces
    "fonts-bebas-neue": "display", "fonts-yanone-kaffeesatz": "condensed sans", "fonts-comfortaa": "display",
    "fonts-lemonada": "display", "fonts-adf-mekanus": "display", "fonts-arapey": "display", "fonts-compagnon": "typewriter",
    "fonts-karmilla": "display", "fonts-junction": "display", "fonts-klaudia-berenika": "display",
    "fonts-radisnoir": "display", "fonts-le-murmure": "display", "fonts-cherrybomb": "display",
}

FAMILY_CLASS: dict[str, str] = {
    "Noto Serif": "transitional serif", "DejaVu Serif": "transitional serif", "DejaVu Sans Mono": "monospace",
    "Liberation Serif": "transitional serif", "Liberation Mono": "monospace", "Liberation Sans Narrow": "condensed sans",
    "FreeSerif": "transitional serif", "FreeMono": "typewriter", "TeX Gyre Heros": "grotesque sans",
    "TeX Gyre Heros Cn": "condensed sans", "TeX Gyre Adventor": "geometric sans", "TeX Gyre Cursor": "typewriter",
    "Nimbus Sans": "grotesque sans", "Nimbus Sans Narrow": "condensed sans", "URW Gothic": "geometric sans",
    "Nimbus Mono PS": "typewriter", "PT Sans": "humanist sans", "PT Mono": "monospace", "Go Mono": "monospace",
    "Roboto Condensed": "condensed sans", "Open Sans Condensed": "condensed sans", "Oxygen Mono": "monospace",
    "Linux Biolinum": "humanist sans", "Linux Libertine Mono": "monospace", "B612 Mono": "monospace",
    "Latin Modern Mono": "typewriter", "CMU Typewriter Text": "typewriter", "Averia Serif GWF": "transitional serif",
}

# Design families rendered only in the unseen-typeface validation set (never in training).
HOLDOUT_FAMILIES = {
    "Carlito", "Caladea", "Charis SIL", "Andika", "B612", "B612 Mono", "Gentium", "PT Serif", "PT Sans", "PT Mono",
    "Vollkorn", "Go", "Go Mono", "Tuffy", "Clear Sans", "Averia Serif GWF", "Fantasque Sans Mono", "Baskervald ADF",
    "Universalis ADF", "Karla", "Junicode", "Linux Biolinum",
}

# Families whose name differs from their design family (so holdout and sampling see one design).
FAMILY_ALIASES = {
    "Gentium Plus": "Gentium", "Gentium Book Plus": "Gentium", "Gentium Basic": "Gentium",
    "Gentium Book Basic": "Gentium", "Charis SIL Compact": "Charis SIL", "PT Sans Caption": "PT Sans",
    "PT Sans Narrow": "PT Sans", "PT Serif Caption": "PT Serif", "Go Medium": "Go", "Go Smallcaps": "Go",
    "Junicode Two Beta": "Junicode", "Linux Biolinum O": "Linux Biolinum", "Linux Libertine O": "Linux Libertine",
    "Linux Libertine Display O": "Linux Libertine", "Linux Libertine Mono O": "Linux Libertine Mono",
    "Oxygen-Sans": "Oxygen", "Quicksand Light": "Quicksand", "Quicksand Medium": "Quicksand",
    "Clear Sans Light": "Clear Sans", "Clear Sans Medium": "Clear Sans", "Clear Sans Thin": "Clear Sans",
    "BetecknaGSCondensed": "BetecknaGS", "Fanwood Text": "Fanwood", "Inter Display": "Inter",
    "Noto Sans Display": "Noto Sans", "Noto Serif Display": "Noto Serif", "STIXGeneral": "STIX",
    "Anonymous Pro Minus": "Anonymous Pro", "Courier Prime Code": "Courier Prime", "Monoisome": "Monoid",
    "IBM 3270 Condensed": "IBM 3270", "IBM 3270 Semi-Condensed": "IBM 3270", "Verana Sans Demi": "Verana Sans",
    "Verana Sans Medium": "Verana Sans", "OpenDyslexicAlta": "OpenDyslexic", "OpenDyslexicMono": "OpenDyslexic",
    "Averia Serif GWF": "Averia Serif GWF", "Routed Gothic Half Italic": "Routed Gothic",
    "Routed Gothic Narrow": "Routed Gothic", "Routed Gothic Narrow Half Italic": "Routed Gothic",
    "Routed Gothic Wide": "Routed Gothic", "Routed Gothic Wide Half Italic": "Routed Gothic",
    "CMU Serif Extra": "CMU Serif", "CMU Serif Upright Italic": "CMU Serif", "CMU Classical Serif": "CMU Serif",
    "CMU Sans Serif Demi Condensed": "CMU Sans Serif", "CMU Typewriter Text Variable Width": "CMU Typewriter Text",
    "Libris ADF Std": "Libris ADF", "Baskervald ADF Std": "Baskervald ADF", "Universalis ADF Std": "Universalis ADF",
    "Ikarius ADF No2 Std": "Ikarius ADF", "Ikarius ADF Std": "Ikarius ADF", "Irianis ADF Std": "Irianis ADF",
    "Irianis ADF Style Std": "Irianis ADF", "Accanthis ADF Std": "Accanthis ADF", "Accanthis ADF Std No2": "Accanthis ADF",
    "Accanthis ADF Std No3": "Accanthis ADF", "Gillius ADF No2": "Gillius ADF", "Oldania ADF Std": "Oldania ADF",
    "Romande ADF Std": "Romande ADF", "Romande ADF No2 Std": "Romande ADF", "Romande ADF Style Std": "Romande ADF",
    "Tribun ADF Std": "Tribun ADF", "Mekanus ADF Std": "Mekanus ADF", "Mekanus ADF Titling Std": "Mekanus ADF",
    "Berenis ADF Pro": "Berenis ADF", "Tiresias Infofont Z": "Tiresias", "Tiresias Infofont": "Tiresias",
    "Tiresias PCfont": "Tiresias", "Tiresias PCfont Z": "Tiresias", "Tiresias LPfont": "Tiresias",
    "Tiresias Signfont": "Tiresias", "Tiresias Signfont Z": "Tiresias", "Tiresias Keyfont V2": "Tiresias",
    "Latin Modern Roman Caps": "Latin Modern Roman", "Latin Modern Roman Demi": "Latin Modern Roman",
    "Latin Modern Roman Dunhill": "Latin Modern Roman", "Latin Modern Roman Slanted": "Latin Modern Roman",
    "Latin Modern Roman Unslanted": "Latin Modern Roman", "Latin Modern Sans Demi Cond": "Latin Modern Sans",
    "Latin Modern Sans Quotation": "Latin Modern Sans", "Latin Modern Mono Caps": "Latin Modern Mono",
    "Latin Modern Mono Light": "Latin Modern Mono", "Latin Modern Mono Light Cond": "Latin Modern Mono",
    "Latin Modern Mono Prop": "Latin Modern Mono", "Latin Modern Mono Prop Light": "Latin Modern Mono",
    "Latin Modern Mono Slanted": "Latin Modern Mono", "ElstobD": "Elstob", "OCRA": "OCR-A", "OCRABold": "OCR-A",
    "OCRACondensed": "OCR-A", "OCRAItalic": "OCR-A", "OCR B": "OCR-B",
}

# Never taken: math, symbol, script/handwriting, pixel and 3-D faces (illegible as body text or not text at all).
EXCLUDE_FAMILY = re.compile(
    r"Math|Symbol|Dingbat|Chorus|Z003|D050000L|cmex|cmmi|cmsy|esint|msam|msbm|stmary|wasy|Keyboard|Uralic|"
    r"Ubuntu-Title|Rampart|StayPuft|Spleen|Atari|C-64|Glass TTY|Ferrite|Kristi|femkeklaver|Isabella|Dkg|"
    r"Blankenburg|Lobster|Romande ADF Script|Arimo|Tinos|Cousine",
    re.IGNORECASE,
)
# Packages that duplicate another one here (same designs): the first of each pair wins.
SKIP_PACKAGES_IF_FAMILY_SEEN = ("fonts-liberation",)
MAX_FILES_PER_FAMILY = 16
MIN_ASCII_COVERAGE = 0.97
_ITALIC = re.compile(r"italic|oblique|slanted|kursiv|\bit\b", re.IGNORECASE)
_BOLD = re.compile(r"bold|black|heavy|demi|semibold|extrabold|ultrabold", re.IGNORECASE)


@dataclass
class FontRecord:
    source: Path
    package: str
    family: str
    subfamily: str
    weight: int
    width: int
    italic: bool
    bold: bool

    @property
    def style(self) -> str:
        return {(False, False): "regular", (True, False): "bold", (False, True): "italic",
                (True, True): "bold italic"}[(self.bold, self.italic)]


def design_family(name: str) -> str:
    return FAMILY_ALIASES.get(name, name)


def read_record(path: Path, package: str) -> FontRecord | None:
    """Metadata of a Latin text face, or None if the file is not one we take."""
    try:
        font = TTFont(str(path), lazy=True, fontNumber=0)
    except Exception:  # noqa: BLE001 - a damaged or foreign file is simply not taken
        return None
    names = font["name"]
    family = names.getDebugName(16) or names.getDebugName(1) or path.stem
    subfamily = names.getDebugName(17) or names.getDebugName(2) or "Regular"
    if EXCLUDE_FAMILY.search(family) or "fvar" in font:
        return None
    if re.search(r"caps|capitals", f"{family} {subfamily} {path.stem}", re.IGNORECASE):
        return None  # a small-capitals face draws lower case as capitals: its labels would be wrong
    cmap = font.getBestCmap() or {}
    if sum(ord(c) in cmap for c in ASCII) < MIN_ASCII_COVERAGE * len(ASCII):
        return None
    os2 = font["OS/2"] if "OS/2" in font else None
    weight = int(os2.usWeightClass) if os2 else 400
    width = int(os2.usWidthClass) if os2 else 5
    words = f"{subfamily} {path.stem}"
    italic = bool(_ITALIC.search(words)) or bool(os2 and os2.fsSelection & 1) or abs(font["post"].italicAngle) > 1
    if "Upright" in subfamily or "Unslanted" in family:
        italic = False
    bold = weight >= 600 or bool(_BOLD.search(words))
    if re.search(r"light|thin", subfamily, re.IGNORECASE) and not _BOLD.search(subfamily):
        bold = weight >= 600
    return FontRecord(path, package, design_family(family), subfamily, weight, width, italic, bold)


def licence_names(copyright_file: Path) -> str:
    """The short licence names of a Debian copyright file ("OFL-1.1", "GPL-2+FE", ...)."""
    if not copyright_file.is_file():
        return "unknown"
    names = []
    for line in copyright_file.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("License:"):
            name = line.split(":", 1)[1].strip()
            if name and name not in names:
                names.append(name)
    return " / ".join(names[:3]) or "see copyright"


def subset_font(source: Path, target: Path) -> None:
    """Write ``source`` reduced to charset v2 (kerning and ligatures kept), family names marked as a subset."""
    options = subset.Options()
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    font = TTFont(str(source), fontNumber=0)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=CHARSET_V2)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16, 21):
            record.string = f"ocrlite-subset {record.toUnicode()}"
    font.save(str(target))


def choose(records: list[FontRecord]) -> list[FontRecord]:
    """At most MAX_FILES_PER_FAMILY faces of one family, taken round-robin over the four styles.

    Within a style, normal width and weights near 400/700 come first, so a capped family keeps
    its regular, bold, italic and bold italic before its light, black or extended cuts.
    """
    unique: dict[tuple, FontRecord] = {}
    for r in sorted(records, key=lambda r: r.source.name):
        unique.setdefault((r.subfamily.lower(), r.weight, r.width, r.italic), r)  # TTF and OTF copies: one
    by_style: dict[str, list[FontRecord]] = {}
    for r in unique.values():
        by_style.setdefault(r.style, []).append(r)
    for style, group in by_style.items():
        target = 700 if "bold" in style else 400
        group.sort(key=lambda r: (abs(r.width - 5), abs(r.weight - target), r.source.name))
    chosen: list[FontRecord] = []
    rank = 0
    while len(chosen) < min(MAX_FILES_PER_FAMILY, len(unique)):
        for style in ("regular", "bold", "italic", "bold italic"):
            group = by_style.get(style, [])
            if rank < len(group) and len(chosen) < MAX_FILES_PER_FAMILY:
                chosen.append(group[rank])
        rank += 1
    return chosen


def download(packages: list[str], debs: Path) -> None:
    debs.mkdir(parents=True, exist_ok=True)
    for package in packages:
        if not list(debs.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debs", type=Path, default=Path("/tmp/fontdebs"), help="folder of downloaded .deb files")
    parser.add_argument("--out", type=Path, default=Path("ocrlite/data/fonts"), help="library folder to write")
    parser.add_argument("--force", action="store_true", help="replace the font files already in --out")
    args = parser.parse_args(argv)
    if any(args.out.glob("*.[ot]tf")) and not args.force:
        print(f"error: {args.out} already holds fonts; pass --force to rebuild it", file=sys.stderr)
        return 2
    download(list(PACKAGES), args.debs)
    by_family: dict[str, list[FontRecord]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for package in PACKAGES:
            deb = sorted(args.debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root / package)], check=True)
        families_by_package: dict[str, set[str]] = {}
        for package in PACKAGES:
            for path in sorted((root / package).rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf") and path.is_file() and not path.is_symlink():
                    record = read_record(path, package)
                    if record is not None:
                        families_by_package.setdefault(package, set()).add(record.family)
                        by_family.setdefault(record.family, []).append(record)
        for package in SKIP_PACKAGES_IF_FAMILY_SEEN:  # older copies of families another package ships
            for family in families_by_package.get(package, set()):
                others = [r for r in by_family[family] if r.package != package]
                if others:
                    by_family[family] = others

        for folder in (args.out, args.out / "holdout"):
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.iterdir():
                if old.suffix.lower() in (".ttf", ".otf", ".ttc"):
                    old.unlink()
        licences = args.out / "licenses"
        if licences.exists():
            shutil.rmtree(licences)
        licences.mkdir()
        rows = []
        names_used: set[str] = set()
        for family in sorted(by_family):
            chosen = choose(by_family[family])
            has_italic = any(r.italic for r in chosen)
            holdout = family in HOLDOUT_FAMILIES
            for record in sorted(chosen, key=lambda r: r.source.name):
                folder = args.out / "holdout" if holdout else args.out
                name = record.source.name.replace(" ", "")
                if name.lower() in names_used:
                    name = f"{record.package.removeprefix('fonts-')}-{name}"
                names_used.add(name.lower())
                subset_font(record.source, folder / name)
                if len(font_coverage(str(folder / name), ASCII)) < MIN_ASCII_COVERAGE * len(ASCII):
                    (folder / name).unlink()  # mapped but empty or tofu glyphs: not a text face
                    continue
                doc = root / record.package / "usr/share/doc" / record.package / "copyright"
                if doc.is_file():
                    shutil.copyfile(doc, licences / f"{record.package}.copyright")
                rows.append({
                    "folder": "holdout" if holdout else ".", "file": name, "family": family, "style": record.style,
                    "subfamily": record.subfamily, "weight": record.weight, "width": record.width,
                    "class": FAMILY_CLASS.get(family, PACKAGES[record.package]),
                    "family_has_italic": int(has_italic), "license": licence_names(doc),
                    "debian_package": record.package,
                })
    with open(args.out / "FONTS.tsv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for folder in (args.out, args.out / "holdout"):
        write_coverage_table(folder)  # coverage.json: what each face draws, so loading the library renders nothing
    train = [r for r in rows if r["folder"] == "."]
    hold = [r for r in rows if r["folder"] == "holdout"]
    slanted = sum(r["style"] in ("italic", "bold italic") for r in train)
    print(f"training: {len(train)} files, {len({r['family'] for r in train})} families, "
          f"{slanted / len(train):.0%} italic or bold italic")
    print(f"holdout: {len(hold)} files, {len({r['family'] for r in hold})} families")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
