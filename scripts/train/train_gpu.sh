#!/usr/bin/env bash
# Continue a training run on a machine with a CUDA GPU and many cores (e.g. 1 GPU + 16 cores):
# the run's own schedule and settings, on cuda, with enough data workers to keep the GPU busy.
# last.pt is written in RUN_DIR every --save-every steps and when stopped (Ctrl-C / SIGTERM / the
# time limit below), so the run comes back with RUN_DIR/last.pt and goes on anywhere with --resume.
#
#   scripts/train/train_gpu.sh RUN_DIR [EXTRA TRAIN OPTIONS]            # e.g. weights/runs/campaign
#   TIME_LIMIT=540 scripts/train/train_gpu.sh weights/runs/campaign              # stop (saving last.pt) after 9 min
#   DEVICE=cpu WORKERS=2 scripts/train/train_gpu.sh runs/tiny --stop-at 12   # the same logic on a CPU (tests)
#
# WORKERS defaults to cores - 2 (one core for the trainer, one for the system): the generator makes
# ~600 lines/s per core (generator v2, `python scripts/bench/bench_synth.py`), so 14 workers give ~8,000 lines/s.
set -euo pipefail
RUN=${1:?usage: scripts/train/train_gpu.sh RUN_DIR [EXTRA TRAIN OPTIONS]}
shift
[[ -f "$RUN/last.pt" ]] || { echo "train_gpu.sh: $RUN/last.pt not found (start the run first)" >&2; exit 2; }
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))}
PY=${PYTHON:-python3}
cmd=("$PY" -m ocrlite train --out "$RUN" --resume --device "$DEVICE" --workers "$WORKERS" --threads 2 "$@")
echo "train_gpu.sh: ${cmd[*]}" >&2
if [[ -n "${TIME_LIMIT:-}" ]]; then
    # SIGTERM at the limit: the trainer finishes its step, saves last.pt and exits 143.
    status=0; timeout --signal=TERM "$TIME_LIMIT" "${cmd[@]}" || status=$?
    [[ $status -eq 0 || $status -eq 124 || $status -eq 143 ]] || exit "$status"
else
    "${cmd[@]}"
fi
