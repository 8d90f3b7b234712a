"""The line generator: sample i of a seed is a pure function of (seed, i).

Identical pixels across runs, processes and DataLoader workers: every random choice is drawn
from ``numpy.random.default_rng([seed, index])`` (and albumentations is handed that state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocrlite.recognition.charset import Charset
from ocrlite.synth.augment import AugmentConfig, Augmenter
from ocrlite.synth.fonts import FONT_DIR, FontInfo, by_family, load_fonts, look_alike_of
from ocrlite.synth.render import RenderConfig, render_line, small_caps_label
from ocrlite.synth.text import SMALL_CAPS_P, SMALL_CAPS_SOURCES, TextSampler


@dataclass
class GeneratorConfig:
    """What the generator draws from and how hard it degrades lines.

    Attributes:
        fonts: folder of .ttf/.otf files (default ``ocrlite/data/fonts``; its ``holdout/`` holds unseen families).
        corpus: word list / phrase file (default ``ocrlite/data/corpus/words.txt``).
        prose: running text, one paragraph per line (default ``ocrlite/data/corpus/prose.txt``).
        languages: folder of the European-language texts (default ``ocrlite/data/corpus/lang``).
        terms: receipt vocabulary, one term per line (default ``ocrlite/data/corpus/receipt_terms.txt``).
        typeset_p: chance that running text is typeset as printed (None: ``text.TYPESET_P``).
        heading_small_caps_p: chance that a ``smallcap_heading`` line prints in small capitals
            (None: ``text.SMALL_CAPS_P``).
        text_weights: text source -> weight, overriding ``ocrlite.synth.text.SOURCE_WEIGHTS``.
        augment: apply camera and scanner effects (albumentations) after rendering.
        render: rendering effect settings.
        augment_config: image-level effect settings.
        max_length: longest text line in characters.
    """

    fonts: str | Path = FONT_DIR
    corpus: str | Path | None = None
    prose: str | Path | None = None
    languages: str | Path | None = None
    terms: str | Path | None = None
    typeset_p: float | None = None
    heading_small_caps_p: float | None = None
    text_weights: dict[str, float] | None = None
    augment: bool = True
    render: RenderConfig = field(default_factory=RenderConfig)
    augment_config: AugmentConfig = field(default_factory=AugmentConfig)
    max_length: int = 96


#: Font classes that print receipts, tickets and forms (thermal and impact printers, POS fonts).
RECEIPT_FONT_CLASSES = frozenset({"monospace", "typewriter", "ocr", "dot matrix", "condensed sans"})
#: Text sources drawn from a receipt face with probability RECEIPT_FACE_P (else any family). Family-
#: first sampling over 128 families alone drew them too rarely: the generator-v2 A/B lost 0.5 points
#: on real receipts, mostly letterform confusions of receipt faces (0/O, M/H, Q/O, &/8).
RECEIPT_SOURCES = frozenset({"receipt_line", "number", "date_time", "code", "address"})
RECEIPT_FACE_P = 0.5


def drawable_text(text: str, chars: frozenset[str]) -> str:
    """``text`` as a face with ``chars`` prints it: a character it lacks becomes the plain character the face
    draws in its place (``”`` → ``"``, ``–`` → ``-``, ``ê`` → ``e``: :func:`~ocrlite.synth.fonts.look_alike_of`),
    or is left out when the face lacks that too."""
    out = []
    for c in text:
        if c not in chars:
            c = look_alike_of(c) or ""
        if c in chars:
            out.append(c)
    return "".join(out).strip()


def label_text(text: str) -> str:
    """The label of a rendered line: runs of spaces (visual gaps) collapse to one space."""
    return " ".join(text.split())


class LineGenerator:
    """Renders synthetic text lines.

    Args:
        charset: characters labels may use.
        config: sources, fonts and effect settings.
    """

    def __init__(self, charset: Charset, config: GeneratorConfig | None = None) -> None:
        self.charset = charset
        self.config = cfg = config or GeneratorConfig()
        self.sampler = TextSampler(charset, cfg.corpus, terms=cfg.terms, max_length=cfg.max_length, prose=cfg.prose,
                                   weights=cfg.text_weights, languages=cfg.languages, typeset_p=cfg.typeset_p)
        self.fonts: list[FontInfo] = load_fonts(cfg.fonts, charset.chars)
        self.families: list[list[FontInfo]] = by_family(self.fonts)
        self.receipt_families = [f for f in self.families if f[0].font_class in RECEIPT_FONT_CLASSES]
        self.by_class: dict[str, list[FontInfo]] = {}
        for font in self.fonts:
            self.by_class.setdefault(font.font_class, []).append(font)
        self.augmenter = Augmenter(cfg.augment_config) if cfg.augment else None

    def _text_and_font(self, rng: np.random.Generator) -> tuple[str, FontInfo, str]:
        """The first draws of a sample: its text (and source), then a family, then a face of it, then —
        when that face lacks some of the text's characters — a face of the same class that has them all."""
        raw, source = self.sampler.sample_with_source(rng)
        families = self.families
        if source in RECEIPT_SOURCES and self.receipt_families and rng.random() < RECEIPT_FACE_P:
            families = self.receipt_families
        family = families[int(rng.integers(len(families)))]
        font = family[int(rng.integers(len(family)))]
        needed = set(raw)
        if not needed <= font.chars:
            same_class = [f for f in self.by_class.get(font.font_class, ()) if needed <= f.chars]
            same_style = [f for f in same_class if f.style == font.style]
            candidates = same_style or same_class
            if candidates:
                font = candidates[int(rng.integers(len(candidates)))]
        return raw, font, source

    def generate(self, seed: int, index: int) -> tuple[np.ndarray, str]:
        """Sample ``index`` of ``seed``: ``((h, w) uint8 grayscale image, label)``."""
        image, label, _ = self.generate_with_font(seed, index)
        return image, label

    def generate_with_font(self, seed: int, index: int) -> tuple[np.ndarray, str, FontInfo]:
        """Sample ``index`` of ``seed``: ``((h, w) uint8 grayscale image, label, the font it is drawn in)``.

        The font is drawn family first, then a face of that family, so a family with many
        weights is no more frequent than one with a single face; receipt text is drawn in a
        receipt face (:data:`RECEIPT_FONT_CLASSES`) half of the time.
        """
        rng = np.random.default_rng([seed, index])
        raw, font, source = self._text_and_font(rng)
        text = drawable_text(raw, font.chars)  # no face of its class has them all: the plain look-alike, or dropped
        if not text:
            drawable = sorted(font.chars - {" "})
            text = drawable[int(rng.integers(len(drawable)))]
        neighbours = ("", "")
        render = self.config.render
        if rng.random() < render.p(render.neighbour_p):
            neighbours = tuple(  # type: ignore[assignment]
                "".join(c for c in self.sampler.sample(rng) if c in font.chars) if rng.random() < 0.7 else ""
                for _ in range(2)
            )
        heading_p = SMALL_CAPS_P if self.config.heading_small_caps_p is None else self.config.heading_small_caps_p
        # Headings are set in small capitals by design (not damage): their chance does not scale with --strength.
        small_caps_p = heading_p if source in SMALL_CAPS_SOURCES else render.p(render.small_caps_p)
        small_caps = any(c.islower() for c in text) and rng.random() < small_caps_p
        if source in SMALL_CAPS_SOURCES and not small_caps and rng.random() < 0.4:
            text = small_caps_label(text)  # headings and author lines in full capitals
        image = render_line(text, font, rng, render, neighbours, small_caps=small_caps)
        if self.augmenter is not None:
            image = self.augmenter(image, rng)
        label = small_caps_label(text) if small_caps else text
        return image, label_text(label), font
