"""Build the judge sets for charset v2 / generator v3 models, regenerable by this one command:

    python scripts/data/make_judge_sets.py --out judge            # ~3,100 lines × 2 (clean and degraded)

Every line is drawn in the held-out font families (``ocrlite/data/fonts/holdout``: no model trains on
them), family first then a face, so all four styles appear. Running text comes from the paragraphs
held out of training (``data/corpus_judge``: every tenth paragraph of each language's sources, and
English documentation the English corpus never used). Sets, each written clean (``--strength 0``)
and scan-degraded (the default damage):

========================  =====  ==========================================================
set                       lines  text
========================  =====  ==========================================================
``fr de es it pt nl``     300    the language's held-out running text, typeset in its quotes
``en_typeset``            300    held-out English documentation, typeset (curly quotes, dashes)
``signs``                 300    document and receipt lines with € ° ± × ½ § © ™ Nº ‰ • and locale money
``smallcaps``             150    headings, names and author lines in small capitals (labelled in capitals)
``chars``                 1500   every rare character of the charset drawn uniformly (``rare_chars`` source) in
                                 words of the held-out running text: the per-character set (issue 39), with
                                 about 50 or more occurrences of each accented letter, quote, dash and sign
========================  =====  ==========================================================

Output: ``OUT/{clean,degraded}/SET/`` (``labels.tsv``, ``images/``, ``fonts.tsv``, ``preview.png``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from ocrlite.recognition.charset import Charset
from ocrlite.synth.augment import AugmentConfig
from ocrlite.synth.fonts import HOLDOUT_FONT_DIR
from ocrlite.synth.generator import GeneratorConfig
from ocrlite.synth.render import RenderConfig
from ocrlite.synth.text import LANG_DIR, SOURCE_WEIGHTS
from ocrlite.synth.writer import write_synth_set

REPO = Path(__file__).resolve().parents[2]
JUDGE_TEXT = REPO / "data" / "corpus_judge"
LANGUAGES = ("fr", "de", "es", "it", "pt", "nl")
SEED = 20261201


def only(*sources: str) -> dict[str, float]:
    """Text weights drawing from ``sources`` alone (equal shares)."""
    return {name: (1.0 if name in sources else 0.0) for name in SOURCE_WEIGHTS}


def language_folder(root: Path, languages: tuple[str, ...], prose_only: bool = False) -> Path:
    """A languages folder with the held-out prose of ``languages`` and the shipped names and word lists
    (``prose_only``: the held-out prose alone, so every word drawn is from text no model was trained on)."""
    folder = root / ("_".join(languages) + ("_prose" if prose_only else ""))
    folder.mkdir(parents=True)
    for lang in languages:
        (folder / f"{lang}.prose.txt").symlink_to(JUDGE_TEXT / f"{lang}.prose.txt")
        for kind in () if prose_only else ("names", "words"):
            shipped = LANG_DIR / f"{lang}.{kind}.txt"
            if shipped.is_file():
                (folder / f"{lang}.{kind}.txt").symlink_to(shipped)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--force", action="store_true", help="replace existing sets")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        print(f"error: {args.out} is not empty; pass --force to rebuild it", file=sys.stderr)
        return 2
    charset = Charset.default()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sets: dict[str, tuple[int, dict]] = {}
        for lang in LANGUAGES:
            sets[lang] = (300, dict(text_weights=only("eu_prose"), languages=language_folder(root, (lang,))))
        sets["en_typeset"] = (300, dict(text_weights=only("prose"), prose=JUDGE_TEXT / "en.prose.txt", typeset_p=1.0))
        sets["signs"] = (300, dict(text_weights=only("signs", "locale_amount"), languages=LANG_DIR))
        sets["smallcaps"] = (150, dict(text_weights=only("smallcap_heading"), heading_small_caps_p=1.0,
                                       languages=language_folder(root, LANGUAGES)))
        sets["chars"] = (1500, dict(text_weights=only("rare_chars"), corpus=JUDGE_TEXT / "en.prose.txt",
                                    prose=JUDGE_TEXT / "en.prose.txt",
                                    languages=language_folder(root, LANGUAGES, prose_only=True)))
        for kind, strength in (("clean", 0.0), ("degraded", 1.0)):
            for k, (name, (n, options)) in enumerate(sets.items()):
                config = GeneratorConfig(fonts=HOLDOUT_FONT_DIR, augment=strength > 0,
                                         render=RenderConfig(strength=strength),
                                         augment_config=AugmentConfig(strength=strength), **options)
                out = args.out / kind / name
                if out.exists():
                    shutil.rmtree(out)
                write_synth_set(out, n, SEED + k, charset, config, height=None, workers=args.workers)
                print(f"wrote {out} ({n} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
