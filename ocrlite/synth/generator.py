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
from ocrlite.synth.fonts import FONT_DIR, FontInfo, load_fonts
from ocrlite.synth.render import RenderConfig, render_line
from ocrlite.synth.text import TextSampler


@dataclass
class GeneratorConfig:
    """What the generator draws from and how hard it degrades lines.

    Attributes:
        fonts: folder of .ttf/.otf files (default ``data/fonts``; ``data/fonts/holdout`` holds unseen families).
        corpus: word list / phrase file (default ``data/corpus/words.txt``).
        augment: apply camera and scanner effects (albumentations) after rendering.
        render: rendering effect settings.
        augment_config: image-level effect settings.
        max_length: longest text line in characters.
    """

    fonts: str | Path = FONT_DIR
    corpus: str | Path | None = None
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
        self.sampler = TextSampler(charset, cfg.corpus, max_length=cfg.max_length)
        self.fonts: list[FontInfo] = load_fonts(cfg.fonts, charset.chars)
        self.augmenter = Augmenter(cfg.augment_config) if cfg.augment else None

    def generate(self, seed: int, index: int) -> tuple[np.ndarray, str]:
        """Sample ``index`` of ``seed``: ``((h, w) uint8 grayscale image, label)``."""
        rng = np.random.default_rng([seed, index])
        font = self.fonts[int(rng.integers(len(self.fonts)))]
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
