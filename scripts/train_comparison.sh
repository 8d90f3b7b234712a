#!/usr/bin/env bash
# The equal-budget backbone comparison: every backbone gets 5,600 steps at batch 32 (~168 k synthetic
# samples), the same schedule, seed and validation sets. A run folder that already exists is resumed
# with its own schedule, so this script can be stopped (Ctrl-C saves last.pt) and started again.
#
#   scripts/train_comparison.sh [BACKBONE ...] [-- EXTRA TRAIN OPTIONS]
#   scripts/train_comparison.sh squeezenet xception                       # 2 CPU cores: ~2-3 h each
#   scripts/train_comparison.sh -- --device cuda --workers 14 --threads 2  # a GPU machine: data workers are the limit
#
# Then tune and ship each: python scripts/tune_width_scale.py runs/NAME/best.pt --sets /tmp/tune_seen /tmp/tune_unseen
#                           python scripts/ship_weights.py runs/NAME/best.pt weights/NAME.pt --width-scale X
set -euo pipefail

VAL_SET=${VAL_SET:-../shared/data/sroie_dev}
backbones=()
while [[ $# -gt 0 && "$1" != "--" ]]; do backbones+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
[[ ${#backbones[@]} -eq 0 ]] && backbones=(squeezenet mobilenet mobilenet_v2 shufflenet xception)

for name in "${backbones[@]}"; do
    if [[ -f "runs/$name/last.pt" ]]; then
        ocrlite train --out "runs/$name" --resume "$@"
    else
        val=()
        [[ -d "$VAL_SET" ]] && val=(--val "$VAL_SET")
        ocrlite train --backbone "$name" --out "runs/$name" --steps 5600 --batch-size 32 --val-every 500 \
            "${val[@]}" --workers 1 "$@"
    fi
done
