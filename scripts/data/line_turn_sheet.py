"""Contact sheet of what the line-turn classifier trains on: windows of one batch, upright or turned round,
each with its label (red bar: turned), real receipt lines and synthetic lines mixed as in training.

    python scripts/data/line_turn_sheet.py --pages ../shared/data/sroie_pages_train --out docs/detector/line_turn_samples.png
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, ImageDraw

from ocrlite.datasets.page_sets import read_page_set
from ocrlite.training.line_turn_data import LineTurnSamples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", nargs="*", default=[])
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=40, help="windows on the sheet (even)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pages = [p for folder in args.pages for p in read_page_set(folder).pages]
    batch = LineTurnSamples(args.seed, args.n, pages, 0.3).batch(0)
    windows = ((batch.windows[:, 0].numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    h, w = windows.shape[1:]
    cols, pad = 2, 6
    rows = (len(windows) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (w + pad + 8), rows * (h + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (window, turned) in enumerate(zip(windows, batch.turned.numpy())):
        x, y = (i % cols) * (w + pad + 8), (i // cols) * (h + pad)
        sheet.paste(Image.fromarray(window).convert("RGB"), (x + 8, y))
        draw.rectangle([x, y, x + 4, y + h - 1], fill=(220, 30, 30) if turned else (40, 160, 40))
    sheet.save(args.out)
    print(f"wrote {args.out}: {len(windows)} windows, {int(batch.turned.sum())} turned")


if __name__ == "__main__":
    main()
