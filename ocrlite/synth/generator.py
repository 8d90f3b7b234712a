"""The line generator: sample i of a seed is a pure function of (seed, i).

Identical pixels across runs, processes and DataLoader workers: every random choice is drawn
from ``numpy.random.default_rng([seed, index])`` (and albumentations is handed that state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocrlite.charset import Charset
from ocrlite.synth.augment import AugmentConfig, Augmenter
from ocrlite.synth.fonts import FONT_DIR, FontInfo, by_family, load_fonts
from ocrlite.synth.render import RenderConfig, render_line
from ocrlite.synth.text import TextSampler


@dataclass
class GeneratorConfig:
    """What the generator draws from and how hard it degrades lines.

    Attributes:
        fonts: folder of .ttf/.otf files (default ``data/fonts``; ``data/fonts/holdout`` holds unseen families).
        corpus: word list / phrase file (default ``data/corpus/words.txt``).
        prose: running text, one paragraph per line (default ``data/corpus/prose.txt``).
        text_weights: text source -> weight, overriding ``ocrlite.synth.text.SOURCE_WEIGHTS``.
        augment: apply camera and scanner effects (albumentations) after rendering.
        render: rendering effect settings.
        augment_config: image-level effect settings.
        max_length: longest text line in characters.
    """

    fonts: str | Path = FONT_DIR
    corpus: str | Path | None = None
    prose: str | Path | None = None
    text_weights: dict[str, float] | None = None
    augment: bool = True
    render: RenderConfig = field(default_factory=RenderConfig)
    augment_config: AugmentConfig = field(default_factory=AugmentConfig)
    max_length: int = 96


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
        self.sampler = TextSampler(charset, cfg.corpus, max_length=cfg.max_length, prose=cfg.prose,
                                   weights=cfg.text_weights)
        self.fonts: list[FontInfo] = load_fonts(cfg.fonts, charset.chars)
        self.families: list[list[FontInfo]] = by_family(self.fonts)
        self.augmenter = Augmenter(cfg.augment_config) if cfg.augment else None

    def font_for(self, seed: int, index: int) -> FontInfo:
        """The font sample ``index`` of ``seed`` is drawn in (the first two draws of its random state)."""
        rng = np.random.default_rng([seed, index])
        family = self.families[int(rng.integers(len(self.families)))]
        return family[int(rng.integers(len(family)))]

    def generate(self, seed: int, index: int) -> tuple[np.ndarray, str]:
        """Sample ``index`` of ``seed``: ``((h, w) uint8 grayscale image, label)``.

        The font is drawn family first, then a face of that family, so a family with many
        weights is no more frequent than one with a single face.
        """
        rng = np.random.default_rng([seed, index])
        family = self.families[int(rng.integers(len(self.families)))]
        font = family[int(rng.integers(len(family)))]
        text = "".join(c for c in self.sampler.sample(rng) if c in font.chars).strip()
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
        image = render_line(text, font, rng, render, neighbours)
        if self.augmenter is not None:
            image = self.augmenter(image, rng)
        return image, label_text(text)
