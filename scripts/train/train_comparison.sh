#!/usr/bin/env bash
# The equal-budget backbone comparison: every backbone gets STEPS steps at batch 32 (3,500: ~103 k
# synthetic lines of generator v2, ~8 % of the sampled lines being dropped as too wide or too long
# for CTC), the same schedule, seed and validation sets, in ROOT/NAME. A run folder that already
# exists is resumed with its own schedule, so this script can be stopped (Ctrl-C saves last.pt) and
# started again.
#
#   scripts/train/train_comparison.sh [BACKBONE ...] [-- EXTRA TRAIN OPTIONS]
#   scripts/train/train_comparison.sh squeezenet xception                       # 2 CPU cores: ~0.5-1.5 h each
#   scripts/train/train_comparison.sh -- --device cuda --workers 14 --threads 2  # a GPU machine: data workers are the limit
#
# Then tune and ship each: python scripts/ship/tune_width_scale.py $ROOT/NAME/best.pt --sets /tmp/tune_seen /tmp/tune_unseen
#                           python scripts/ship/ship_weights.py $ROOT/NAME/best.pt weights/NAME.pt --width-scale X
set -euo pipefail

VAL_SET=${VAL_SET:-../shared/data/sroie_dev}
ROOT=${ROOT:-runs/compare_v2}
STEPS=${STEPS:-3500}
backbones=()
while [[ $# -gt 0 && "$1" != "--" ]]; do backbones+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
[[ ${#backbones[@]} -eq 0 ]] && backbones=(squeezenet mobilenet mobilenet_v2 shufflenet xception)

for name in "${backbones[@]}"; do
    if [[ -f "$ROOT/$name/last.pt" ]]; then
        python scripts/train/run_finished.py "$ROOT/$name" && { echo "$ROOT/$name: finished" >&2; continue; }
        ocrlite train --out "$ROOT/$name" --resume "$@"
    else
        val=()
        [[ -d "$VAL_SET" ]] && val=(--val "$VAL_SET")
        ocrlite train --backbone "$name" --out "$ROOT/$name" --steps "$STEPS" --batch-size 32 --val-every 500 \
            "${val[@]}" --workers 1 "$@"
    fi
done
