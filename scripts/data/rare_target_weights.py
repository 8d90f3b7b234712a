"""Build the rare-character target weights (``ocrlite/data/corpus/rare_target_weights.tsv``): read lines of the
``rare_chars`` source in the *training* faces, as training draws them (damage included), with a model, and weight
each target character by how often that model misreads it — so a fine-tune from that model draws what it still
gets wrong more often (a curriculum; never measured on a judge set or held-out faces).

    python scripts/data/rare_target_weights.py --model ocrlite/models/default.onnx --lines 4000 \\
        --out ocrlite/data/corpus/rare_target_weights.tsv

weight = 1 + GAIN × (1 − recall), recall smoothed as (recalled + 1) / (count + 2), between 1 and 1 + GAIN: a
character read perfectly keeps the uniform share, one never read is drawn 1 + GAIN times as often.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ocrlite.evaluation.by_char import char_report
from ocrlite.recognition.charset import Charset
from ocrlite.synth.generator import GeneratorConfig, LineGenerator
from ocrlite.synth.rare import rare_targets

#: How many times more often a character the model never reads is drawn than one it always reads.
GAIN = 4.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the recognizer to measure (.onnx or .pt)")
    parser.add_argument("--lines", type=int, default=4000, help="rare_chars lines to read")
    parser.add_argument("--seed", type=int, default=391)
    parser.add_argument("--out", type=Path, required=True, help="the TSV to write (refuses an existing one)")
    parser.add_argument("--force", action="store_true", help="overwrite --out")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.force:
        print(f"error: {args.out} exists (use --force)", file=sys.stderr)
        return 1
    import ocrlite

    rec = ocrlite.load(args.model, threads=1)
    charset = Charset.default()
    gen = LineGenerator(charset, GeneratorConfig(text_weights={"rare_chars": 1.0}))
    truths, images = [], []
    for i in range(args.lines):
        image, label = gen.generate(args.seed, i)
        truths.append(label)
        images.append(image)
    preds = [p.text for p in rec.predict(images, batch_size=1)]  # batch 1: as the gate and the judge read
    stats = char_report(preds, truths)
    rows = []
    for ch in rare_targets(charset.chars):
        s = stats.get(ch)
        count, recalled = (s.count, s.recalled) if s else (0, 0)
        recall = (recalled + 1) / (count + 2)
        rows.append((ch, count, recall, 1.0 + GAIN * (1.0 - recall)))
    text = [f"# rare_chars target weights: {args.lines} lines, seed {args.seed}, training faces with damage, read by "
            f"{Path(args.model).name}; weight = 1 + {GAIN:g} x (1 - smoothed recall)", "char\tcount\trecall\tweight"]
    text += [f"{ch}\t{count}\t{recall:.4f}\t{weight:.3f}" for ch, count, recall, weight in rows]
    args.out.write_text("\n".join(text) + "\n", encoding="utf-8")
    worst = sorted(rows, key=lambda r: -r[3])[:12]
    print("heaviest:", ", ".join(f"{ch} {w:.2f} (recall {r:.2f}, n {n})" for ch, n, r, w in worst))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
