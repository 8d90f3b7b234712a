#!/usr/bin/env bash
# Ship the equal-budget backbone comparison (scripts/train/train_comparison.sh): for each backbone, tune its
# width scale and text-band trimming on synthetic lines only (scripts/ship/tune_width_scale.py; 1,000 lines
# in training fonts and 1,000 in the held-out fonts, seeds no reported set uses), then store best.pt
# with those settings as weights/NAME.pt (fp16; `ocrlite bench` exports the ONNX it measures).
#
#   scripts/ship/ship_comparison.sh [BACKBONE ...]
#   ROOT=weights/runs/compare_v2 DEST=weights TUNE=/tmp THREADS=1 scripts/ship/ship_comparison.sh squeezenet
#
# Each backbone's tuning table is kept in $ROOT/NAME/tune.md. A backbone whose run has not finished its
# schedule is refused (ship what was declared, not a half-trained model).
set -euo pipefail
ROOT=${ROOT:-runs/compare_v2}
DEST=${DEST:-weights}
TUNE=${TUNE:-/tmp}
GRID=${GRID:-0.9,1.0,1.05,1.1,1.15,1.2,1.25,1.3}
THREADS=${THREADS:-2}  # 1 beside a training run
backbones=("$@")
[[ ${#backbones[@]} -eq 0 ]] && backbones=(squeezenet mobilenet mobilenet_v2 shufflenet xception)

[[ -f "$TUNE/tune3_seen/labels.tsv" ]] || ocrlite synth --out "$TUNE/tune3_seen" --n 1000 --seed 31 --force >&2
[[ -f "$TUNE/tune3_unseen/labels.tsv" ]] ||
    ocrlite synth --out "$TUNE/tune3_unseen" --n 1000 --seed 32 --fonts ocrlite/data/fonts/holdout --force >&2

for name in "${backbones[@]}"; do
    run="$ROOT/$name"
    [[ -f "$run/best.pt" ]] || { echo "ship_comparison.sh: $run/best.pt: no such file (train it first)" >&2; exit 2; }
    python scripts/train/run_finished.py "$run" || { echo "ship_comparison.sh: $run has not finished its schedule" >&2; exit 2; }
    python scripts/ship/tune_width_scale.py "$run/best.pt" --grid "$GRID" --trim both --threads "$THREADS" \
        --sets "$TUNE/tune3_seen" "$TUNE/tune3_unseen" | tee "$run/tune.md"
    best=$(tail -n 1 "$run/tune.md")  # "best: width_scale X, trim_to_text on|off"
    scale=$(sed -E 's/^best: width_scale ([0-9.]+),.*/\1/' <<<"$best")
    trim=--no-trim-to-text
    [[ "$best" == *"trim_to_text on" ]] && trim=--trim-to-text
    python scripts/ship/ship_weights.py "$run/best.pt" "$DEST/$name.pt" --width-scale "$scale" "$trim" --force
done
