"""Read the issue-39 sentences in every face: how many faces does a model read each of them in exactly?

    python scripts/bench/read_in_every_face.py --weights ocrlite/models/default.onnx [--weights other.pt ...]

Each sentence is drawn clean (no damage, ``RenderConfig(strength=0)``) in every face of the training library
(``ocrlite/data/fonts``) and of the held-out families (``ocrlite/data/fonts/holdout``) that draws all of its
characters with their own glyphs (a face that prints ``"`` for ``”`` is skipped for that sentence), and read at
batch 1 on one thread. Prints, per model and sentence, the faces read exactly, and the commonest misreadings.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from ocrlite.recognition.charset import Charset
from ocrlite.synth.fonts import FONT_DIR, HOLDOUT_FONT_DIR, load_fonts
from ocrlite.synth.render import RenderConfig, render_line

SENTENCES = (
    "« Où est l’hôtel ? » — Ça coûte 45,00 € à Noël.",
    "„Die Straße ist 3–5 km lang“, sagte er.",
    "“It’s the café’s last crème brûlée…” she said.",
    "Él llegó tarde: ¿Qué pasó con el niño? — Nada.",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", action="append", required=True, help="model file or shipped name (repeatable)")
    parser.add_argument("--size", type=int, default=31, help="font size in px before the resize to the model height "
                        "(default: 31, one of the generator's sizes)")
    args = parser.parse_args(argv)
    from ocrlite.api import load_recognizer

    charset = Charset.default()
    libraries = {"training faces": load_fonts(FONT_DIR, charset.chars), "held-out faces": load_fonts(HOLDOUT_FONT_DIR, charset.chars)}
    config = RenderConfig(strength=0.0, sizes=(args.size,))
    images: dict[tuple[str, str], list[np.ndarray]] = {}
    for library, fonts in libraries.items():
        for sentence in SENTENCES:
            need = set(sentence)
            images[(library, sentence)] = [render_line(sentence, f, np.random.default_rng(i), config, small_caps=False)
                                           for i, f in enumerate(fonts) if need <= f.chars]
    for weights in args.weights:
        rec = load_recognizer(weights, "auto", threads=1)
        print(f"\n### {weights}\n\n| faces | sentence | read exactly | commonest misreadings |\n|---|---|---|---|")
        for (library, sentence), lines in images.items():
            reads = [rec.predict_prepared([rec.prepare(im)])[0].text for im in lines]
            wrong = Counter(r for r in reads if r != sentence)
            exact = len(reads) - sum(wrong.values())
            shown = "; ".join(f"`{r}` ×{n}" for r, n in wrong.most_common(2))
            print(f"| {library} | `{sentence}` | {exact}/{len(reads)} ({exact / max(1, len(reads)):.0%}) | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
