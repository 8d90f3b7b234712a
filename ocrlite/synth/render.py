"""Render a text line the way scanners and phone cameras see print.

All randomness comes from the ``rng`` argument. Work happens on an ink mask (1 = ink) so that
print defects (dot-matrix heads, thermal fading, broken strokes, bold/thin ink) act on the
glyphs themselves, before colours, paper and camera effects are applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocrlite.recognition.charset import CHARSET_V2
from ocrlite.synth.fonts import FontInfo, get_font


Rng = np.random.Generator


@dataclass
class RenderConfig:
    """Probabilities and ranges of the rendering effects; ``strength`` scales every probability.

    Attributes:
        sizes: font sizes (px) lines are drawn at before the resize to the model height (see
            :data:`RENDER_SIZES`: few sizes keep the glyph cache small).
        letter_spacing_p: chance of extra (or negative) letter spacing, in ems ``letter_spacing``.
        neighbour_p: chance of fragments of the lines above / below entering the crop.
        tight_crop_p: chance of a crop that clips the tops of ascenders / bottoms of descenders.
        rule_p: chance of a table rule or underline.
        dot_matrix_p: chance of dot-matrix glyphs.
        thermal_p: chance of thermal-printer fading and broken thin strokes.
        weight_p: chance of bolder or thinner ink (morphological dilate / erode).
        low_contrast_p: chance of ink close to the paper colour.
        inverted_p: chance of light text on a dark background.
        texture_p: chance of paper texture and shading gradients.
        justify_p: chance of a justified line: word spaces stretched by up to 1.5 ems.
        kerning_jitter_p: chance of per-glyph spacing jitter (tracking and kerning variation).
        small_caps_p: chance of small capitals for lower-case letters (labelled as capitals).
        typewriter_p: chance of a typewriter look: per-glyph baseline jitter and ink density.
        slant_p: chance of a synthetic slant (8-14 degrees) — only for families without an italic.
        print_look_p: chance of a laser (toner scatter) or inkjet (ink bleed) look; otherwise offset (crisp).
        scan_resolution_p: chance of scanning at 150-300 dpi: the ink is sampled down and back up,
            then thresholded, so hairlines break or serifs fill in.
        strength: multiplies every probability above (0 = clean black-on-white text).
    """

    sizes: tuple[int, ...] = (16, 20, 25, 31, 38)
    letter_spacing_p: float = 0.2
    letter_spacing: tuple[float, float] = (-0.04, 0.35)
    neighbour_p: float = 0.3
    tight_crop_p: float = 0.25
    rule_p: float = 0.12
    dot_matrix_p: float = 0.12
    thermal_p: float = 0.2
    weight_p: float = 0.2
    low_contrast_p: float = 0.1
    inverted_p: float = 0.06
    texture_p: float = 0.4
    justify_p: float = 0.15
    kerning_jitter_p: float = 0.1
    small_caps_p: float = 0.02
    typewriter_p: float = 0.05
    slant_p: float = 0.2
    print_look_p: float = 0.35
    scan_resolution_p: float = 0.3
    strength: float = 1.0

    def p(self, value: float) -> float:
        return min(1.0, value * self.strength)


@dataclass
class Layout:
    """Per-line placement choices: extra space after each glyph, baseline offsets, ink density."""

    tracking: float = 0.0
    word_space: float = 0.0
    jitter: float = 0.0
    baseline_jitter: float = 0.0
    density_range: tuple[float, float] = (1.0, 1.0)

    @property
    def plain(self) -> bool:
        return (self.tracking == 0 and self.word_space == 0 and self.jitter == 0 and self.baseline_jitter == 0
                and self.density_range == (1.0, 1.0))


#: Font sizes (px) glyphs are rasterised at. A few sizes, not every size in between, so that the
#: glyph cache covers the library after a few thousand lines: FreeType takes ~30 µs per glyph,
#: pasting a cached one ~3 µs. Scale variety still comes from crops, padding and the resize.
RENDER_SIZES = RenderConfig.sizes
#: Cached glyphs per process (~1.7 kB each, ~200 MB full). The training library at RENDER_SIZES has
#: ~300 k glyphs; after ~20 k lines the cache answers ~95 % of lookups, a miss costs ~60 µs.
GLYPH_CACHE_SIZE = 120_000


@lru_cache(maxsize=GLYPH_CACHE_SIZE)
def glyph_bitmap(font: ImageFont.FreeTypeFont, char: str) -> tuple[np.ndarray, int, int, float]:
    """One glyph drawn once: ``((h, w) uint8 coverage, left, top, advance)``, offsets from the pen on the baseline.

    Cached per (font object, character): :func:`get_font` returns one object per (file, size).
    """
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    advance = float(font.getlength(char))
    if right <= left or bottom <= top:
        return np.zeros((0, 0), np.uint8), 0, 0, advance
    tile = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(tile).text((-left, -top), char, font=font, fill=255, anchor="ls")
    return np.asarray(tile), int(left), int(top), advance


def has_small_capital(ch: str) -> bool:
    """Whether ``ch`` is a lower-case letter whose capital is one charset-v2 character (not ß, µ, ª, º)."""
    upper = ch.upper()
    return ch.islower() and upper != ch and len(upper) == 1 and upper in CHARSET_V2


def small_caps_label(text: str) -> str:
    """The label of ``text`` drawn in small capitals: capitals, as document ground truth transcribes them.
    Also how a line is set in full capitals without changing a letter's width (ß stays ß)."""
    return "".join(c.upper() if has_small_capital(c) else c for c in text)


def _glyph_source(ch: str, font: ImageFont.FreeTypeFont, small_caps: ImageFont.FreeTypeFont | None
                  ) -> tuple[ImageFont.FreeTypeFont, str]:
    return (small_caps, ch.upper()) if (small_caps is not None and has_small_capital(ch)) else (font, ch)


def draw_text(canvas: np.ndarray, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
              layout: Layout, rng: Rng, small_caps: ImageFont.FreeTypeFont | None = None) -> float:
    """Paste ``text``'s glyphs into ``canvas`` (``(H, W)`` uint8, 255 = ink) with the pen starting at baseline ``xy``.

    Glyphs come from the :func:`glyph_bitmap` cache and land on whole pixels; where two overlap the
    stronger ink wins. The layout adds tracking, stretched word spaces, spacing and baseline jitter
    and per-glyph ink density. Returns the width from the pen start to the last glyph's advance.
    """
    height, width = canvas.shape
    x, y = xy
    x_start = x
    jitter, baseline_jitter = layout.jitter, layout.baseline_jitter
    varied_density = layout.density_range != (1.0, 1.0)
    for ch in text:
        tile, left, top, advance = glyph_bitmap(*_glyph_source(ch, font, small_caps))
        dy = rng.normal(0, baseline_jitter) if baseline_jitter else 0.0
        if tile.size:
            if varied_density:
                tile = (tile * rng.uniform(*layout.density_range)).astype(np.uint8)
            gx, gy = int(round(x)) + left, int(round(y + dy)) + top
            x0, y0 = max(gx, 0), max(gy, 0)
            x1, y1 = min(gx + tile.shape[1], width), min(gy + tile.shape[0], height)
            if x1 > x0 and y1 > y0:
                region = canvas[y0:y1, x0:x1]
                np.maximum(region, tile[y0 - gy:y1 - gy, x0 - gx:x1 - gx], out=region)
        step = advance + layout.tracking + (layout.word_space if ch == " " else 0.0)
        if jitter:
            step += rng.normal(0, jitter)
        x += max(step, 0.0)
    return x - x_start - layout.tracking if text else 0.0


def _text_width(text: str, font: ImageFont.FreeTypeFont, layout: Layout,
                small_caps: ImageFont.FreeTypeFont | None = None) -> float:
    """Drawn width without jitter (the canvas margin absorbs jitter)."""
    width = sum(glyph_bitmap(*_glyph_source(c, font, small_caps))[3] for c in text)
    return width + layout.tracking * max(len(text) - 1, 0) + layout.word_space * text.count(" ")


def _layout(rng: Rng, cfg: RenderConfig, size: int, text: str) -> Layout:
    layout = Layout()
    if rng.random() < cfg.p(cfg.letter_spacing_p):
        layout.tracking = size * rng.uniform(*cfg.letter_spacing)
    if " " in text and rng.random() < cfg.p(cfg.justify_p):
        layout.word_space = size * rng.uniform(0.1, 1.5) * rng.random()
    if rng.random() < cfg.p(cfg.kerning_jitter_p):
        layout.jitter = size * rng.uniform(0.01, 0.04)
    if rng.random() < cfg.p(cfg.typewriter_p):
        layout.baseline_jitter = size * rng.uniform(0.01, 0.04)
        layout.density_range = (rng.uniform(0.45, 0.8), 1.0)
    return layout


def smooth_noise(rng: Rng, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Low-frequency noise in [0, 1] of ``shape``: a random grid upsampled with bicubic interpolation."""
    h, w = shape
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.random((gh, gw), dtype=np.float32)
    return np.clip(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)


#: Dot-matrix print keeps at least this share of the grid cells the glyphs touch: a thin face (a hairline
#: covers a tenth of a cell) would otherwise lose nearly every dot and leave a labelled line with no text.
DOT_MATRIX_MIN_KEPT = 0.6
#: …and a face whose mean stroke is thinner than this share of its size (a Thin or hairline face: 0.01–0.03;
#: Regular ≈ 0.09) is not printed as dots at all: its dots, however chosen, do not make letters.
DOT_MATRIX_MIN_STROKE = 0.03


def dot_matrix(mask: np.ndarray, rng: Rng, em: float) -> np.ndarray:
    """Re-draw the ink as dots on a grid, like a 7×9 dot-matrix or low-res thermal print head.

    A cell gets a dot when the ink covers more than a drawn share of it (0.3–0.5), lowered where need be so
    that at least :data:`DOT_MATRIX_MIN_KEPT` of the cells the ink touches keep theirs (the print head draws
    every dot of a glyph's design, whatever the face's weight). A hairline face (mean stroke under
    :data:`DOT_MATRIX_MIN_STROKE` of ``em``) is returned as it is.
    """
    pitch = max(2, int(round(em * rng.uniform(0.085, 0.14))))
    h, w = mask.shape
    contours, _ = cv2.findContours((mask > 0.2).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    stroke = 2.0 * float(mask.sum()) / perimeter if perimeter > 0 else 0.0  # mean stroke width (area / half outline)
    if stroke < DOT_MATRIX_MIN_STROKE * em:  # a hairline face: its dots would not make letters
        return mask
    gh, gw = -(-h // pitch), -(-w // pitch)
    padded = np.zeros((gh * pitch, gw * pitch), np.float32)
    padded[:h, :w] = mask
    coverage = padded.reshape(gh, pitch, gw, pitch).mean(axis=(1, 3))
    threshold = rng.uniform(0.3, 0.5)
    inked = coverage[coverage > 0.05]
    if inked.size:
        threshold = min(threshold, float(np.quantile(inked, 1.0 - DOT_MATRIX_MIN_KEPT)))
    cells = coverage > threshold
    yy, xx = np.mgrid[:pitch, :pitch] + 0.5 - pitch / 2
    radius = pitch * rng.uniform(0.38, 0.6)
    dot = (np.sqrt(yy**2 + xx**2) <= radius).astype(np.float32)
    return np.kron(cells.astype(np.float32), dot)[:h, :w]


def render_line(
    text: str,
    font: FontInfo,
    rng: Rng,
    config: RenderConfig | None = None,
    neighbours: tuple[str, str] = ("", ""),
    small_caps: bool | None = None,
) -> np.ndarray:
    """Render ``text`` with ``font`` as a degraded grayscale line crop.

    Args:
        text: the line (characters the font lacks must already be removed).
        font: the font to draw with.
        rng: the only source of randomness.
        config: effect probabilities and ranges.
        neighbours: text of the lines above and below ("" = none), drawn partly into the crop.
        small_caps: draw lower-case letters as small capitals (True / False), or None: with
            ``config.small_caps_p``. The caller labels small capitals as capitals (:func:`small_caps_label`).

    Returns:
        ``(h, w)`` uint8 image, h ≈ the font's line height (resized to the model height later).
    """
    cfg = config or RenderConfig()
    size = cfg.sizes[int(rng.integers(len(cfg.sizes)))]
    pil_font = get_font(str(font.path), size)
    ascent, descent = pil_font.getmetrics()
    line_h = ascent + descent
    layout = _layout(rng, cfg, size, text)
    small_font = None
    if small_caps is None:
        small_caps = any(c.islower() for c in text) and rng.random() < cfg.p(cfg.small_caps_p)
    if small_caps:
        smaller = [s for s in cfg.sizes if s < size]  # a cached size ~0.8 of the line's
        small_font = get_font(str(font.path), smaller[-1] if smaller else max(6, int(size * 0.75)))
    width = _text_width(text, pil_font, layout, small_font)

    # Canvas: one line height of margin above and below for neighbours and loose crops.
    margin_x = int(size * 0.8) + 2 + int(6 * layout.jitter * max(len(text), 1) ** 0.5)
    canvas_w = int(width) + 2 * margin_x
    baseline = 2 * line_h
    canvas_h = 4 * line_h
    canvas = np.zeros((canvas_h, canvas_w), np.uint8)
    width = draw_text(canvas, (margin_x, baseline), text, pil_font, layout, rng, small_font)
    columns, rows = np.flatnonzero(canvas.any(axis=0)), np.flatnonzero(canvas.any(axis=1))
    if columns.size:
        left, top, right, bottom = int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1
    else:  # only spaces or invisible glyphs: use the nominal box
        left, top, right, bottom = margin_x, baseline - ascent, margin_x + max(int(width), 1), baseline + descent
    right = max(right, int(margin_x + width))  # keep trailing advance (e.g. letter spacing)

    if any(neighbours):
        pitch = line_h * rng.uniform(0.95, 1.4)
        max_chars = len(text) + 4  # only what can fall inside the crop
        for sign, neighbour in zip((-1, 1), neighbours):
            if neighbour:
                x_n = margin_x + rng.uniform(-0.3, 0.3) * width
                draw_text(canvas, (x_n, baseline + sign * pitch), neighbour[:max_chars], pil_font, Layout(), rng)

    # Vertical crop: around the ink or the font's line box, sometimes clipping the extremes.
    if rng.random() < 0.5:
        y0, y1 = top, bottom
    else:
        y0, y1 = baseline - ascent, baseline + descent
    ink_h = max(y1 - y0, 4)
    if rng.random() < cfg.p(cfg.tight_crop_p):
        pad_top, pad_bottom = -rng.uniform(0, 0.08) * ink_h, -rng.uniform(0, 0.06) * ink_h
    else:
        pad_top, pad_bottom = rng.exponential(0.12) * ink_h, rng.exponential(0.12) * ink_h
    y0 = int(np.clip(y0 - pad_top, 0, canvas_h - 2))
    y1 = int(np.clip(y1 + pad_bottom, y0 + 2, canvas_h))
    x0 = int(np.clip(left - rng.exponential(0.15) * size, 0, left))
    x1 = int(np.clip(right + rng.exponential(0.15) * size, right, canvas_w))

    if rng.random() < cfg.p(cfg.rule_p):
        kind = rng.random()
        thick = max(1, int(size * rng.uniform(0.03, 0.09)))
        if kind < 0.5:  # underline just below the baseline, or a rule under the descenders
            y = baseline + int(descent * rng.uniform(0.2, 1.0))
            canvas[y:y + thick, x0:x1 + 1] = 255
        elif kind < 0.8:  # table rule at the top or bottom edge of the crop
            y = y0 + int(rng.uniform(0, 2)) if rng.random() < 0.5 else y1 - thick - int(rng.uniform(0, 2))
            canvas[max(y, 0):y + thick, x0:x1 + 1] = 255
        else:  # vertical cell border at a side
            x = x0 + 1 if rng.random() < 0.5 else x1 - thick - 1
            canvas[y0:y1 + 1, max(x, 0):x + thick] = 255

    mask = canvas[y0:y1, x0:x1].astype(np.float32) * (1.0 / 255.0)  # crop first: cheaper
    if not font.family_has_italic and "italic" not in font.style and rng.random() < cfg.p(cfg.slant_p):
        mask = slant(mask, rng.uniform(8, 14))
    mask = _print_defects(mask, rng, cfg, size)
    return _compose(mask, rng, cfg)


def slant(mask: np.ndarray, degrees: float) -> np.ndarray:
    """Shear the ink to the right by ``degrees`` (a synthetic oblique), widening the crop to keep it all."""
    h, w = mask.shape
    shear = float(np.tan(np.radians(degrees)))
    extra = int(np.ceil(shear * h))
    matrix = np.float32([[1, -shear, shear * h], [0, 1, 0]])
    return cv2.warpAffine(mask, matrix, (w + extra, h), flags=cv2.INTER_LINEAR, borderValue=0)


def print_look(mask: np.ndarray, rng: Rng, size: int) -> np.ndarray:
    """Laser (toner scattered round the strokes) or inkjet (ink bled into the paper) on the ink mask."""
    if rng.random() < 0.5:  # laser: toner specks near the strokes, slightly rough edges
        near = cv2.dilate((mask > 0.3).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        specks = (rng.random(mask.shape, dtype=np.float32) < rng.uniform(0.02, 0.08)) & near
        return np.maximum(mask, specks.astype(np.float32) * rng.uniform(0.4, 0.9))
    sigma = max(0.4, size * rng.uniform(0.01, 0.03))  # inkjet: bleed, then the ink's own threshold
    bled = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.clip((bled - 0.15) / 0.55, 0, 1)


def scan_resolution(mask: np.ndarray, rng: Rng) -> np.ndarray:
    """Scan at a lower resolution: area-sample the ink down, back up, then an ink threshold.

    A low threshold fills in serifs and counters; a high one breaks hairlines.
    """
    h, w = mask.shape
    factor = rng.uniform(0.4, 0.7)
    small = cv2.resize(mask, (max(2, int(w * factor)), max(2, int(h * factor))), interpolation=cv2.INTER_AREA)
    back = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.6:
        level = rng.uniform(0.3, 0.55)
        return np.clip((back - level) * rng.uniform(2.5, 5) + 0.5, 0, 1)
    return back


def _print_defects(mask: np.ndarray, rng: Rng, cfg: RenderConfig, size: int) -> np.ndarray:
    """Dot-matrix heads, laser / inkjet looks, scan resolution, thermal fading, bold / thin ink — on the ink mask."""
    if rng.random() < cfg.p(cfg.dot_matrix_p) and size >= 20:  # smaller dots are illegible
        mask = dot_matrix(mask, rng, size)
    elif rng.random() < cfg.p(cfg.print_look_p):
        mask = print_look(mask, rng, size)
    if rng.random() < cfg.p(cfg.scan_resolution_p) and size >= 20:
        mask = scan_resolution(mask, rng)
    if rng.random() < cfg.p(cfg.weight_p):
        k = 2 if size < 34 else 3
        kernel = np.ones((k, k), np.uint8)
        mask = cv2.dilate(mask, kernel) if rng.random() < 0.55 else cv2.erode(mask, np.ones((2, 2), np.uint8))
    if rng.random() < cfg.p(cfg.thermal_p):
        # Fading never drops below ``floor`` of full ink, so every glyph stays readable (labels stay true).
        fade = smooth_noise(rng, mask.shape, cell=size * rng.uniform(0.5, 2.0))
        floor = rng.uniform(0.35, 0.7)
        mask = mask * (floor + (1.0 - floor) * fade)
        if rng.random() < 0.5:  # broken thin strokes: pin-holes in the ink
            holes = rng.random(mask.shape, dtype=np.float32) < rng.uniform(0.02, 0.1)
            mask = np.where(holes, mask * 0.3, mask)
    return mask


def _compose(mask: np.ndarray, rng: Rng, cfg: RenderConfig) -> np.ndarray:
    """Ink mask → grayscale image with paper colour, ink colour, texture and shading."""
    h, w = mask.shape
    r = rng.random()
    if r < cfg.p(cfg.inverted_p):
        paper, ink = rng.uniform(0, 90), rng.uniform(170, 255)
    elif r < cfg.p(cfg.inverted_p) + cfg.p(cfg.low_contrast_p):
        paper = rng.uniform(140, 250)
        ink = paper - rng.uniform(45, 90)
    else:
        paper, ink = rng.uniform(170, 255), rng.uniform(0, 100)
    if rng.random() < cfg.p(cfg.texture_p):
        texture = smooth_noise(rng, (h, w), cell=rng.uniform(2, 12)) - 0.5
        shade = np.linspace(0, 1, w, dtype=np.float32)[None, :] if rng.random() < 0.5 else \
            np.linspace(0, 1, h, dtype=np.float32)[:, None]
        paper = paper + texture * rng.uniform(5, 40) + (shade - 0.5) * rng.uniform(-50, 50)
    image = paper + (ink - paper) * mask
    return np.clip(image, 0, 255).astype(np.uint8)
