"""Contact sheet: accented words as the recognizer sees them, at its 32 input rows and at 48 (issue 39's question
whether 32 px leaves the marks too small to tell apart). Each held-out face gives two strips, 32 rows then 48,
after the default model's own preprocessing (text band trimmed, width stretched), scaled to the same height:

    python scripts/data/accent_sheet.py --out docs/judge_v7/accents_32_48.png
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import ocrlite
from ocrlite.recognition.preprocess import PreprocessConfig, prepare_with_width
from ocrlite.synth.fonts import HOLDOUT_FONT_DIR, discover_fonts

TEXT = "hôtel hötel naïve ÏLE ÊTRE ËTRE Âge Äge coûte Noël"
FACES = ("B612Mono-Regular", "Caladea-Regular", "ClearSans-Regular", "Go-Regular", "Vollkorn-Regular")
SHOWN_ROWS = 96


def strip(image: Image.Image, config: PreprocessConfig) -> Image.Image:
    """The model's input for ``image`` (normalised back to 0–255), scaled up to SHOWN_ROWS without smoothing."""
    array, filled = prepare_with_width(image, config)
    array = array[:, :filled]
    array = ((array - array.min()) / (np.ptp(array) + 1e-6) * 255).astype(np.uint8)
    return Image.fromarray(array).resize((filled * SHOWN_ROWS // config.height, SHOWN_ROWS), Image.Resampling.NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the PNG to write")
    parser.add_argument("--text", default=TEXT)
    parser.add_argument("--font-size", type=int, default=40, help="render size before preprocessing (px)")
    args = parser.parse_args()
    config = ocrlite.load().preprocess  # the shipped default's own preprocessing (trim, width scale)
    faces = [p for p in discover_fonts(HOLDOUT_FONT_DIR) if p.stem in FACES]
    strips = []
    for face in faces:
        font = ImageFont.truetype(str(face), args.font_size)
        line = Image.new("L", (int(font.getlength(args.text)) + 2 * args.font_size, 2 * args.font_size), 255)
        ImageDraw.Draw(line).text((args.font_size // 2, args.font_size // 4), args.text, font=font, fill=0)
        strips += [strip(line, replace(config, height=rows)) for rows in (32, 48)]
    sheet = Image.new("L", (max(s.width for s in strips), len(strips) * (SHOWN_ROWS + 6)), 128)
    for i, s in enumerate(strips):
        sheet.paste(s, (0, i * (SHOWN_ROWS + 6)))
    sheet.save(args.out)
    print(f"{args.out}: {len(faces)} faces × (32 rows, 48 rows)")


if __name__ == "__main__":
    main()
